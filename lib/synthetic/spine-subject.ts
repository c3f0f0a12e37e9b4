/**
 * A synthetic spine subject: the spine phantom ({@link DEFAULT_SPINE_PHANTOM}, L3 between L2 and L4)
 * with the vertebra's size and trabecular density set by two factors, and a population model of them
 * by sex and age. The default phantom is factor 1 for both and is unchanged.
 *
 * - `size` multiplies the vertebra's `scale` (every length of the three vertebrae, the discs and the
 *   canal; the soft tissue is unchanged).
 * - `trabecularDensity` multiplies every term of the trabecular density field of the three vertebrae
 *   (base, gradients, endplate and basivertebral terms, clamps), so the field is exactly the factor
 *   times its default; the cortical shell and the posterior elements are unchanged.
 *
 * Population model ({@link SPINE_AGE_MODEL}):
 * - trabecular vBMD (mg/cm³ HA, the QCT centrum measure of lib/dxa/spine.ts) falls linearly from a
 *   young-adult peak at 20 to the peak × (1 - lifetime loss) at 97: lifetime losses of central
 *   trabecular vBMD 55% (women) and 46% (men) (Riggs et al. 2004, JBMR 19:1945 ✔, abstract); the
 *   young-adult peak is ◇ (about 170 mg/cm³ HA, typical young-adult QCT reference means; not re-read);
 * - size: men's vertebral cross-sectional area is 35-42% larger than women's in young adulthood and
 *   grows by about 15% over life in both sexes (Riggs 2004 ✔): women 0.92 and men 1.08 of the default
 *   L3 (area ratio 1.38) at 20, times the periosteal expansion of lib/synthetic/subject.ts.
 *
 * @example
 * ```ts
 * import { meanSpineFactors, spineSubjectPhantom } from "bct/lib/synthetic/spine-subject";
 * const scan = generateSpineScan({ seed: 7, phantom: spineSubjectPhantom(meanSpineFactors("F", 75)) });
 * ```
 * @module
 */
import type { Sex } from "../strength/classify.js";
import { SyntheticError } from "./errors.js";
import { DEFAULT_SPINE_PHANTOM, type SpinePhantomParams } from "./spine-phantom.js";
import { periostealExpansion } from "./subject.js";

/** The two factors of a spine subject (1 = the default spine phantom). */
export interface SpineSubjectFactors {
  trabecularDensity: number;
  size: number;
}

/** Factor bounds (outside them the phantom stops being a plausible lumbar vertebra or leaves the grid). */
export const SPINE_FACTOR_BOUNDS: Readonly<Record<keyof SpineSubjectFactors, [number, number]>> = {
  trabecularDensity: [0.25, 2.0],
  size: [0.8, 1.25],
};

/**
 * The centrum trabecular vBMD (mg/cm³ HA) of the default spine phantom, measured by `spineDxa`
 * (lib/dxa/spine.ts, default ROI) on the exact density at the generator's 70 keV (checked by
 * test/synthetic/spine-subject.test.ts). A factor f gives f times this, up to the size's small effect
 * on the endplate and basivertebral terms.
 */
export const DEFAULT_SPINE_CENTRUM_VBMD_HA = 132.8; // re-measured with the deep-core trabecular ROI of lib/dxa/spine-roi.ts (131.1 with the earlier ROI)

/** The population model of spine subjects (module docs). */
export const SPINE_AGE_MODEL = {
  /** Young-adult trabecular vBMD, mg/cm³ HA (◇). */
  peakVbmdHA: 170,
  peakAge: 20,
  endAge: 97,
  /** Fraction of the peak lost from 20 to 97 (Riggs 2004 ✔). */
  lifetimeLoss: { F: 0.55, M: 0.46 },
  /** Size factor at 20 (Riggs 2004 ✔: men's vertebral area 35-42% larger; 1.08² / 0.92² = 1.38). */
  sizeAt20: { F: 0.92, M: 1.08 },
} as const;

/** Mean trabecular vBMD (mg/cm³ HA) of a subject of `sex` aged `age` ({@link SPINE_AGE_MODEL}). */
export function meanSpineVbmdHA(sex: Sex, age: number): number {
  const m = SPINE_AGE_MODEL;
  if (sex !== "F" && sex !== "M") throw new SyntheticError(`sex must be "F" or "M", got ${JSON.stringify(sex)}`);
  if (!Number.isFinite(age) || age <= 0) throw new SyntheticError(`age must be a positive number of years, got ${age}`);
  const t = Math.min(1, Math.max(0, (age - m.peakAge) / (m.endAge - m.peakAge)));
  return m.peakVbmdHA * (1 - m.lifetimeLoss[sex] * t);
}

/** The population-mean factors of a spine subject (module docs). */
export function meanSpineFactors(sex: Sex, age: number): SpineSubjectFactors {
  const vbmd = meanSpineVbmdHA(sex, age);
  return {
    trabecularDensity: vbmd / DEFAULT_SPINE_CENTRUM_VBMD_HA,
    size: SPINE_AGE_MODEL.sizeAt20[sex] * periostealExpansion(age, SPINE_AGE_MODEL.peakAge),
  };
}

/**
 * The spine phantom of a subject: the default with the vertebrae scaled by `size` and their trabecular
 * fields by `trabecularDensity`.
 * @throws SyntheticError for a factor outside {@link SPINE_FACTOR_BOUNDS}.
 */
export function spineSubjectPhantom(f: SpineSubjectFactors): SpinePhantomParams {
  for (const [k, [lo, hi]] of Object.entries(SPINE_FACTOR_BOUNDS)) {
    const v = f[k as keyof SpineSubjectFactors];
    if (typeof v !== "number" || !Number.isFinite(v) || v < lo || v > hi) throw new SyntheticError(`spine subject: ${k} must be a number from ${lo} to ${hi}, got ${JSON.stringify(v)}`);
  }
  const d = DEFAULT_SPINE_PHANTOM, v = d.vertebra, t = v.trabecular, k = f.trabecularDensity;
  const trabecular = { ...t, base: t.base * k, apGradient: t.apGradient * k, endplate: t.endplate * k, basivertebral: t.basivertebral * k, min: t.min * k, max: t.max * k };
  return { ...structuredClone(d), vertebra: { ...structuredClone(v), scale: v.scale * f.size, trabecular } };
}
