/**
 * Published reference values of the DXA side, each once, with its source
 * (shared/reference/bct-reference.md §5 and §6). Nothing else in bct hard-codes these numbers.
 *
 * @example
 * ```ts
 * import { tScore, whoCategory, NHANES3_HIP_REFERENCE } from "bct/lib/dxa/reference";
 * const ref = NHANES3_HIP_REFERENCE["white-female-20-29"];
 * const t = tScore(0.618, ref.neck); // (0.618 - 0.858) / 0.120 = -2.0
 * whoCategory(t); // "osteopenia"
 * ```
 * @module
 */

/** Young-adult mean and SD of an areal BMD (g/cm2). */
export interface YoungAdultReference {
  meanGcm2: number;
  sdGcm2: number;
}

/** A young-adult reference population for the hip, with its source. */
export interface HipReferencePopulation {
  id: HipReferenceId;
  description: string;
  neck: YoungAdultReference;
  totalHip: YoungAdultReference;
  citation: string;
  /** "verified" = read in the primary or a directly citing source; "unverified" = secondary (◇). */
  confidence: "verified" | "unverified";
}

export type HipReferenceId = "white-female-20-29" | "white-male-20-29";

/**
 * NHANES III young-adult hip references (Looker et al. 1998, Osteoporos Int 8:468; Hologic QDR;
 * non-Hispanic white adults aged 20-29). The female pair appears in public code (bct-reference.md §6 ◇);
 * the male pair is quoted "about" (◇): both should be checked against Looker 1998 Table 2 before a
 * clinical use.
 */
export const NHANES3_HIP_REFERENCE: Readonly<Record<HipReferenceId, HipReferencePopulation>> = {
  "white-female-20-29": {
    id: "white-female-20-29",
    description: "NHANES III non-Hispanic white women aged 20-29 (Hologic)",
    neck: { meanGcm2: 0.858, sdGcm2: 0.12 },
    totalHip: { meanGcm2: 0.942, sdGcm2: 0.122 },
    citation: "Looker AC et al. 1998, Osteoporos Int 8:468 (NHANES III)",
    confidence: "unverified",
  },
  "white-male-20-29": {
    id: "white-male-20-29",
    description: "NHANES III non-Hispanic white men aged 20-29 (Hologic)",
    neck: { meanGcm2: 0.93, sdGcm2: 0.136 },
    totalHip: { meanGcm2: 1.041, sdGcm2: 0.144 },
    citation: "Looker AC et al. 1998, Osteoporos Int 8:468 (NHANES III); values quoted as approximate",
    confidence: "unverified",
  },
};

/**
 * Which reference population a man's T-score uses. The WHO/IOF reference standard (Kanis et al. 2008,
 * Bone 42:467) uses the female young-adult reference for men as well ("female"); ISCD allows either
 * (◇, bct-reference.md §6). Women always use the female reference.
 */
export type MaleReferenceChoice = "female" | "male";

/** Default for men: the WHO/IOF choice (female reference). */
export const DEFAULT_MALE_REFERENCE: MaleReferenceChoice = "female";

/** The hip reference for a sex and the configured choice for men. */
export function hipReferenceFor(sex: "F" | "M", male: MaleReferenceChoice = DEFAULT_MALE_REFERENCE): HipReferencePopulation {
  return NHANES3_HIP_REFERENCE[sex === "M" && male === "male" ? "white-male-20-29" : "white-female-20-29"];
}

/** T = (aBMD - young-adult mean) / young-adult SD (bct-reference.md §6 ✔). */
export function tScore(aBMDgcm2: number, ref: YoungAdultReference): number {
  return (aBMDgcm2 - ref.meanGcm2) / ref.sdGcm2;
}

/** T-scores are reported to 0.1 (Keaveny et al. 2020 ✔). */
export function roundTScore(t: number): number {
  return Math.round(t * 10) / 10;
}

export type WhoCategory = "normal" | "osteopenia" | "osteoporosis";

/**
 * WHO categories on a T-score: osteoporosis at or below -2.5, normal at or above -1.0, osteopenia
 * between (WHO 1994 ◇; the same cut-points in Keaveny et al. 2020 Table 1 ✔).
 */
export const WHO_T_SCORE_CUTPOINTS = { osteoporosis: -2.5, normal: -1.0 } as const;

/** WHO category of a T-score (apply to the rounded T-score, as reported). */
export function whoCategory(t: number): WhoCategory {
  if (t <= WHO_T_SCORE_CUTPOINTS.osteoporosis) return "osteoporosis";
  if (t >= WHO_T_SCORE_CUTPOINTS.normal) return "normal";
  return "osteopenia";
}

export type VbmdCategory = "normal" | "low" | "osteoporosis";

/**
 * ACR (2013 practice parameter for QCT) categories of spinal trabecular vBMD, mg/cm3 calcium
 * hydroxyapatite equivalent: osteoporosis at or below 80, low between, normal at or above 120
 * (as used by BCT, Keaveny et al. 2020 Table 1 ✔).
 */
export const ACR_VBMD_CUTPOINTS_MG_CM3_HA = { osteoporosis: 80, normal: 120 } as const;

/** ACR category of a trabecular vBMD in mg/cm3 hydroxyapatite (apply to the value rounded to 1 mg/cm3). */
export function acrCategory(vbmdHA: number): VbmdCategory {
  if (vbmdHA <= ACR_VBMD_CUTPOINTS_MG_CM3_HA.osteoporosis) return "osteoporosis";
  if (vbmdHA >= ACR_VBMD_CUTPOINTS_MG_CM3_HA.normal) return "normal";
  return "low";
}

/**
 * BCT overall fracture risk (Keaveny et al. 2020 ✔): "high" when the strength is fragile or the BMD
 * category is osteoporosis at either site; "not increased" when everything measured is normal;
 * "increased" otherwise.
 */
export type OverallRisk = "high" | "increased" | "not increased";

/** Overall risk from the strength classes and BMD categories measured (any number of sites). */
export function overallRisk(strengthClasses: readonly ("fragile" | "low" | "normal")[], bmdCategories: readonly (WhoCategory | VbmdCategory)[]): OverallRisk {
  if (strengthClasses.includes("fragile") || bmdCategories.includes("osteoporosis")) return "high";
  if (strengthClasses.every((c) => c === "normal") && bmdCategories.every((c) => c === "normal")) return "not increased";
  return "increased";
}
