/**
 * Density measures and the named conversions between them.
 *
 * Calibrated CT gives an *equivalent mineral density* (mg/cm3 of K2HPO4 or of hydroxyapatite, HA).
 * Density-modulus laws were fitted against *ash* or *apparent* density (g/cm3). Each conversion here
 * is a named, cited law so a notebook can swap one and see the effect; none is applied silently.
 *
 * | symbol | unit | meaning |
 * |---|---|---|
 * | rhoK | mg/cm3 | K2HPO4-equivalent density (calibration output) |
 * | rhoHA | mg/cm3 | hydroxyapatite-equivalent density |
 * | rhoAsh | g/cm3 | ash density (mineral mass per bulk volume) |
 * | rhoApp | g/cm3 | apparent (wet) density |
 *
 * @example
 * ```ts
 * import { convertDensity } from "bct/lib/calibration/density";
 * convertDensity(200, "rhoK", "rhoAsh"); // Keyak 1994: 1.06 * 0.200 + 0.0389 = 0.2509 g/cm3
 * ```
 * @module
 */
import { BctError } from "../errors.js";

/** A density measure; see the module table for units. */
export type DensityMeasure = "rhoK" | "rhoHA" | "rhoAsh" | "rhoApp";

/** Units of each measure. */
export const DENSITY_UNITS: Record<DensityMeasure, string> = {
  rhoK: "mg/cm3 K2HPO4",
  rhoHA: "mg/cm3 HA",
  rhoAsh: "g/cm3 ash",
  rhoApp: "g/cm3 apparent",
};

/** A one-step conversion between two measures. */
export interface DensityConversion {
  id: string;
  from: DensityMeasure;
  to: DensityMeasure;
  /** Human-readable formula in the measures' own units. */
  formula: string;
  citation: string;
  /** "verified" = read in the primary or a directly citing source; "unverified" = secondary (◇). */
  confidence: "verified" | "unverified";
  convert(x: number): number;
}

/**
 * The conversion catalogue. Every published coefficient lives here, once.
 * Sources as listed in `shared/reference/bct-reference.md` §1 and the implementation defaults.
 */
export const DENSITY_CONVERSIONS: readonly DensityConversion[] = [
  {
    id: "keyak1994-k2hpo4-ash",
    from: "rhoK",
    to: "rhoAsh",
    formula: "rhoAsh = 1.06 * rhoK/1000 + 0.0389",
    citation: "Keyak JH et al. 1994, J Biomed Mater Res 28:1329 (as coded in Bonelab Ogo bmd_K2hpo4ToAsh)",
    confidence: "verified",
    convert: (k) => 1.06 * (k / 1000) + 0.0389,
  },
  {
    id: "schileo2008-ha-ash",
    from: "rhoHA",
    to: "rhoAsh",
    formula: "rhoAsh = 0.877 * rhoHA/1000 + 0.079",
    citation: "Schileo E et al. 2008, J Biomech 41:356 (Bologna); unverified against the primary paper",
    confidence: "unverified",
    convert: (h) => 0.877 * (h / 1000) + 0.079,
  },
  {
    id: "ash-fraction-0.6",
    from: "rhoAsh",
    to: "rhoApp",
    formula: "rhoApp = rhoAsh / 0.6",
    citation: "ash fraction 0.6 (Les 1994; Kaneko 2004), the Bologna convention used with Morgan 2003",
    confidence: "unverified",
    convert: (a) => a / 0.6,
  },
];

/** A conversion path could not be found. */
export class DensityConversionError extends BctError {
  override name = "DensityConversionError";
}

/**
 * The chain of catalogue conversions from one measure to another (breadth-first, shortest path);
 * `[]` when `from === to`.
 * @throws DensityConversionError when no chain exists (e.g. rhoK -> rhoHA: no confirmed scalar
 *   conversion is published; cross-calibrate instead).
 */
export function conversionPath(from: DensityMeasure, to: DensityMeasure): DensityConversion[] {
  if (from === to) return [];
  const prev = new Map<DensityMeasure, DensityConversion>();
  const queue: DensityMeasure[] = [from];
  const seen = new Set<DensityMeasure>([from]);
  while (queue.length) {
    const m = queue.shift()!;
    for (const c of DENSITY_CONVERSIONS) {
      if (c.from !== m || seen.has(c.to)) continue;
      seen.add(c.to);
      prev.set(c.to, c);
      if (c.to === to) {
        const path: DensityConversion[] = [];
        for (let at: DensityMeasure = to; at !== from; ) {
          const step = prev.get(at)!;
          path.unshift(step);
          at = step.from;
        }
        return path;
      }
      queue.push(c.to);
    }
  }
  throw new DensityConversionError(
    `no published conversion from ${from} (${DENSITY_UNITS[from]}) to ${to} (${DENSITY_UNITS[to]})` +
      (from === "rhoK" && to === "rhoHA" ? ": K2HPO4 and HA need a cross-calibration, not a constant" : ""),
  );
}

/** Convert one value along {@link conversionPath}. */
export function convertDensity(x: number, from: DensityMeasure, to: DensityMeasure): number {
  let y = x;
  for (const c of conversionPath(from, to)) y = c.convert(y);
  return y;
}
