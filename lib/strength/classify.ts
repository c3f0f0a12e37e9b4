/**
 * BCT fracture-risk class from strength: fragile / low / normal bone strength, by sex and site, with
 * the published Keaveny 2020 thresholds (the `keaveny2020` set of lib/strength/thresholds.ts). To
 * classify with a set derived for a strength definition, use `classifyWithThresholds` there.
 *
 * @example
 * ```ts
 * classifyStrength(3400, "hip", "F"); // "low"
 * ```
 * @module
 */
import { BctError } from "../errors.js";
import { classOf, KEAVENY_2020 } from "./thresholds.js";

export type StrengthClass = "fragile" | "low" | "normal";
export type Site = "hip" | "spine";
export type Sex = "F" | "M";

/**
 * Class of a strength (N) with the published Keaveny 2020 Table 1 cut-points: fragile is "<= fragile
 * bound", normal is ">= low bound", low in between. The thresholds assume VirtuOst's exact pipeline
 * (bct-reference.md, gaps §1): a re-implementation must be calibrated against it before relying on them.
 */
export function classifyStrength(strengthN: number, site: Site, sex: Sex): StrengthClass {
  const t = KEAVENY_2020.sites[site]?.[sex];
  if (!t) throw new BctError(`no strength thresholds for site "${site}" and sex "${sex}" (use hip|spine and F|M)`);
  return classOf(strengthN, t);
}
