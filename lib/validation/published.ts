/**
 * Published clinical validation figures of CT-based strength (BCT) and DXA, each once with its
 * source (shared/reference/bct-reference.md §6-§7; all ✔ there unless marked). The validation
 * notebook sets a cohort's own estimates beside these, labelled "published" and "this cohort".
 *
 * @example
 * ```ts
 * import { PUBLISHED_FIGURES } from "bct/lib/validation/published";
 * PUBLISHED_FIGURES.filter((f) => f.measure === "femoral strength OR per SD decrease");
 * ```
 * @module
 */

/** An estimate with its 95% interval as published. */
export interface PublishedEstimate {
  estimate: number;
  ci?: [number, number];
}

/** One published figure. Plain data. */
export interface PublishedFigure {
  /** What is measured, in the words the cohort comparison uses for its own estimate. */
  measure: PublishedMeasure;
  /** Sex or group the figure is for ("women", "men", "both"). */
  group: "women" | "men" | "both";
  value: PublishedEstimate;
  /** Effect measure: odds ratio, hazard ratio, AUC or correlation. */
  kind: "odds ratio per SD" | "hazard ratio per SD" | "AUC" | "correlation R";
  /** Study, design and site, short. */
  study: string;
  citation: string;
  note?: string;
}

/** The measures the cohort comparison can set beside a published figure. */
export type PublishedMeasure =
  | "femoral strength OR per SD decrease"
  | "femoral strength HR per SD decrease"
  | "hip T-score HR per SD decrease (BCT)"
  | "hip T-score HR per SD decrease (DXA)"
  | "DXA aBMD HR per SD decrease"
  | "load-to-strength ratio HR per SD increase"
  | "strength AUC"
  | "aBMD AUC"
  | "load-to-strength ratio AUC"
  | "CT vs DXA neck aBMD correlation"
  | "CT vs DXA total hip aBMD correlation";

const KOPPERDAHL = "Kopperdahl DL et al. 2014, J Bone Miner Res 29:570 (AGES-Reykjavik)";
const ADAMS = "Adams AL et al. 2018, J Bone Miner Res 33:1291 (FOCUS, Kaiser Permanente)";
const ORWOLL = "Orwoll ES et al. 2009, J Bone Miner Res 24:475 (MrOS hip)";
const WANG = "Wang X et al. 2012, J Bone Miner Res 27:808 (MrOS spine, L1)";
const CANN = "Cann CE et al. 2014, PLoS One 9:e91904 (CTXA vs DXA, 69 patients)";

/** The published figures (bct-reference.md §6-§7 ✔). */
export const PUBLISHED_FIGURES: readonly PublishedFigure[] = [
  { measure: "femoral strength OR per SD decrease", group: "women", value: { estimate: 4.2, ci: [2.6, 6.9] }, kind: "odds ratio per SD", study: "AGES-Reykjavik case-control, hip fracture, age-adjusted", citation: KOPPERDAHL },
  { measure: "femoral strength OR per SD decrease", group: "men", value: { estimate: 3.5, ci: [2.3, 5.3] }, kind: "odds ratio per SD", study: "AGES-Reykjavik case-control, hip fracture, age-adjusted", citation: KOPPERDAHL },
  { measure: "femoral strength HR per SD decrease", group: "women", value: { estimate: 2.8, ci: [2.2, 3.5] }, kind: "hazard ratio per SD", study: "FOCUS case-cohort, hip fracture, adjusted for age, race, BMI", citation: ADAMS },
  { measure: "femoral strength HR per SD decrease", group: "men", value: { estimate: 2.8, ci: [2.1, 3.7] }, kind: "hazard ratio per SD", study: "FOCUS case-cohort, hip fracture, adjusted for age, race, BMI", citation: ADAMS },
  { measure: "hip T-score HR per SD decrease (BCT)", group: "women", value: { estimate: 2.1, ci: [1.8, 2.5] }, kind: "hazard ratio per SD", study: "FOCUS, CT-derived hip T-score", citation: ADAMS },
  { measure: "hip T-score HR per SD decrease (DXA)", group: "women", value: { estimate: 2.1, ci: [1.7, 2.5] }, kind: "hazard ratio per SD", study: "FOCUS, DXA hip T-score", citation: ADAMS },
  { measure: "hip T-score HR per SD decrease (BCT)", group: "men", value: { estimate: 2.8, ci: [2.1, 3.8] }, kind: "hazard ratio per SD", study: "FOCUS, CT-derived hip T-score", citation: ADAMS },
  { measure: "hip T-score HR per SD decrease (DXA)", group: "men", value: { estimate: 2.5, ci: [2.0, 3.2] }, kind: "hazard ratio per SD", study: "FOCUS, DXA hip T-score", citation: ADAMS },
  { measure: "femoral strength HR per SD decrease", group: "men", value: { estimate: 13.1, ci: [3.9, 43.5] }, kind: "hazard ratio per SD", study: "MrOS hip, 40 fractures vs 210 subcohort, unadjusted", citation: ORWOLL },
  { measure: "load-to-strength ratio HR per SD increase", group: "men", value: { estimate: 4.0, ci: [2.7, 6.0] }, kind: "hazard ratio per SD", study: "MrOS hip, unadjusted", citation: ORWOLL },
  { measure: "DXA aBMD HR per SD decrease", group: "men", value: { estimate: 5.1, ci: [2.8, 9.2] }, kind: "hazard ratio per SD", study: "MrOS hip, unadjusted", citation: ORWOLL },
  { measure: "strength AUC", group: "men", value: { estimate: 0.83 }, kind: "AUC", study: "MrOS spine (vertebral strength, L1), vertebral fracture", citation: WANG, note: "spine, not hip: the only AUCs the reference confirms" },
  { measure: "aBMD AUC", group: "men", value: { estimate: 0.76 }, kind: "AUC", study: "MrOS spine (DXA aBMD), vertebral fracture", citation: WANG, note: "spine, not hip" },
  { measure: "load-to-strength ratio AUC", group: "men", value: { estimate: 0.82 }, kind: "AUC", study: "MrOS spine, vertebral fracture", citation: WANG, note: "spine, not hip" },
  { measure: "CT vs DXA neck aBMD correlation", group: "both", value: { estimate: 0.95 }, kind: "correlation R", study: "CTXA femoral neck vs DXA (SEE 0.044 g/cm2)", citation: CANN },
  { measure: "CT vs DXA total hip aBMD correlation", group: "both", value: { estimate: 0.97 }, kind: "correlation R", study: "CTXA total hip vs DXA (SEE 0.044 g/cm2)", citation: CANN },
];
