/**
 * BCT fracture-risk class from strength: fragile / low / normal bone strength, by sex and site, with
 * the Keaveny 2020 thresholds ({@link BCT_STRENGTH_THRESHOLDS}).
 *
 * @example
 * ```ts
 * classifyStrength(3400, "hip", "F"); // "low"
 * ```
 * @module
 */
import { BctError } from "../errors.js";
import { BCT_STRENGTH_THRESHOLDS } from "./criteria.js";

export type StrengthClass = "fragile" | "low" | "normal";
export type Site = "hip" | "spine";
export type Sex = "F" | "M";

/**
 * Class of a strength (N). Boundaries follow Keaveny 2020 Table 1: fragile is "<= fragile bound",
 * normal is ">= low bound", low in between. The thresholds assume VirtuOst's exact pipeline
 * (bct-reference.md, gaps §1): a re-implementation must be calibrated against it before relying on them.
 */
export function classifyStrength(strengthN: number, site: Site, sex: Sex): StrengthClass {
  if (!Number.isFinite(strengthN) || strengthN <= 0) throw new BctError(`a strength must be a positive number of newtons, got ${strengthN}`);
  const t = BCT_STRENGTH_THRESHOLDS[site]?.[sex];
  if (!t) throw new BctError(`no strength thresholds for site "${site}" and sex "${sex}" (use hip|spine and F|M)`);
  if (strengthN <= t.fragile) return "fragile";
  if (strengthN >= t.low) return "normal";
  return "low";
}
