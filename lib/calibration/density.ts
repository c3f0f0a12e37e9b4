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
 * ## K2HPO4 <-> hydroxyapatite ({@link mineralEquivalent}, {@link mineralConversion})
 * No confirmed scalar K2HPO4 <-> HA conversion is published (bct-reference.md §1), and none belongs
 * in the catalogue: the two equivalents relate through the scan's effective energy E. Both are a
 * mineral in a water-equivalent base (`./energy`): the same attenuation excess over water, read as
 * K2HPO4 or as HA, gives
 *
 *   rhoHA = rhoK * ((mu/rho)_K(E) - (mu/rho)_w(E) d_K) / ((mu/rho)_HA(E) - (mu/rho)_w(E) d_HA)
 *
 * with the NIST mass attenuation coefficients (`./attenuation`) and d the water displaced per unit
 * mineral mass in each density's convention (defaults: d_K = 0.2174, the Mindways convention of bct's
 * calibrations; d_HA = 1/3.16, HA crystals; the embedded synthetic phantoms have d_K = 0). This is how
 * Bonelab Ogo can convert, holding both K2HPO4 and CHA attenuation tables (bct-reference.md §1).
 * Factors rhoHA/rhoK with the defaults: 1.0080 at 60 keV, 1.0283 at 70, 1.0497 at 80 (tests). How
 * much the displacement matters, at 70 keV: none on either side 0.963; crystal volumes on both sides
 * (d_K = 1/2.44) 0.884; the synthetic phantoms' convention (d_K = 0, d_HA = 1/3.16) 1.192.
 * Measurement: Goodsitt 1992 (Bone Miner 19:145; GE 9600, liquid K2HPO4 vs solid HA standards, Image
 * Analysis) found BMD_K/BMD_HA = 0.96-1.02 with dual-energy QCT, where the model with the defaults
 * gives 0.992, 0.972 and 0.953 at 60, 70 and 80 keV, but 0.86 (80 kVp) and 0.81 (140 kVp) with
 * single-energy QCT (abstract ✔), i.e. rhoHA = 1.16-1.23 rhoK, which a monoenergetic model does not
 * reproduce (probably because the standards' bases are water-equivalent only approximately over a
 * polychromatic spectrum ◇). The conversion is therefore a model, marked "unverified".
 *
 * @example
 * ```ts
 * import { convertDensity, mineralEquivalent } from "bct/lib/calibration/density";
 * convertDensity(200, "rhoK", "rhoAsh"); // Keyak 1994: 1.06 * 0.200 + 0.0389 = 0.2509 g/cm3
 * mineralEquivalent(100, "rhoK", "rhoHA", 70); // 102.83 mg/cm3 HA
 * ```
 * @module
 */
import { BctError } from "../errors.js";
import { DEFAULT_WATER_DISPLACEMENT, MINERAL_MATERIAL, mineralHuPerDensity, type MineralMeasure } from "./energy.js";

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
  const mineral = (from === "rhoK" && to === "rhoHA") || (from === "rhoHA" && to === "rhoK");
  throw new DensityConversionError(
    `no published conversion from ${from} (${DENSITY_UNITS[from]}) to ${to} (${DENSITY_UNITS[to]})` +
      (mineral ? ": K2HPO4 and HA need a cross-calibration, not a constant; or convert at the scan's effective energy with mineralEquivalent" : ""),
  );
}

/** Convert one value along {@link conversionPath}. */
export function convertDensity(x: number, from: DensityMeasure, to: DensityMeasure): number {
  let y = x;
  for (const c of conversionPath(from, to)) y = c.convert(y);
  return y;
}

// ---------------------------------------------------------------------------------------------
// K2HPO4 <-> HA at an effective energy
// ---------------------------------------------------------------------------------------------

/** Options of {@link mineralConversion} and {@link mineralEquivalent}. */
export interface MineralConversionOptions {
  /**
   * Water displaced per unit mineral mass in each density's convention. Defaults
   * {@link DEFAULT_WATER_DISPLACEMENT}: rhoK 0.2174 (Mindways, bct's calibration default; use 0 for
   * the embedded synthetic phantoms and whatever `waterDisplacement` the calibration used), rhoHA 1/3.16.
   */
  waterDisplacement?: Partial<Record<MineralMeasure, number>>;
}

/** A K2HPO4 <-> HA conversion at one effective energy: a {@link DensityConversion} with its model. */
export interface MineralConversion extends DensityConversion {
  from: MineralMeasure;
  to: MineralMeasure;
  effectiveEnergyKeV: number;
  /** to = factor * from. */
  factor: number;
  waterDisplacement: Record<MineralMeasure, number>;
  /** HU per mg/cm3 of each mineral at the energy ({@link mineralHuPerDensity}). */
  huPerDensity: Record<MineralMeasure, number>;
}

/**
 * The conversion between K2HPO4- and HA-equivalent density at effective energy `energyKeV` (see the
 * module notes): to = from * huPerDensity(from) / huPerDensity(to).
 * @throws DensityConversionError unless from/to are rhoK and rhoHA, or when a mineral has no
 *   attenuation excess over water at that energy (huPerDensity <= 0: a displacement too large);
 *   CalibrationError outside the tables' 10-200 keV.
 * @example
 * ```ts
 * const c = mineralConversion("rhoK", "rhoHA", 70);
 * c.factor;        // 1.0283
 * c.convert(100);  // 102.83 mg/cm3 HA
 * c.formula;       // "rhoHA = 1.0283 * rhoK (attenuation equivalence at 70 keV; ...)"
 * ```
 */
export function mineralConversion(from: MineralMeasure, to: MineralMeasure, energyKeV: number, opts: MineralConversionOptions = {}): MineralConversion {
  if (!((from === "rhoK" && to === "rhoHA") || (from === "rhoHA" && to === "rhoK"))) {
    throw new DensityConversionError(`a mineral conversion goes between rhoK and rhoHA, not ${from} -> ${to}`);
  }
  const d: Record<MineralMeasure, number> = {
    rhoK: opts.waterDisplacement?.rhoK ?? DEFAULT_WATER_DISPLACEMENT.rhoK,
    rhoHA: opts.waterDisplacement?.rhoHA ?? DEFAULT_WATER_DISPLACEMENT.rhoHA,
  };
  const s: Record<MineralMeasure, number> = { rhoK: mineralHuPerDensity("rhoK", energyKeV, d.rhoK), rhoHA: mineralHuPerDensity("rhoHA", energyKeV, d.rhoHA) };
  for (const m of ["rhoK", "rhoHA"] as const) {
    if (!(s[m] > 0)) throw new DensityConversionError(`${m} with water displacement ${d[m]} has no attenuation excess over water at ${energyKeV} keV`);
  }
  const factor = s[from] / s[to];
  const e = +energyKeV.toFixed(2);
  const mu = (m: MineralMeasure) => `(mu/rho)_${MINERAL_MATERIAL[m] === "k2hpo4" ? "K" : "HA"}`;
  return {
    id: `attenuation-equivalence-${e}keV`,
    from,
    to,
    formula: `${to} = ${factor.toFixed(4)} * ${from} (attenuation equivalence at ${e} keV: ${to} = ${from} * (${mu(from)} - (mu/rho)_w * ${+d[from].toFixed(4)}) / (${mu(to)} - (mu/rho)_w * ${+d[to].toFixed(4)}))`,
    citation:
      "mineral-in-water attenuation model (bct, lib/calibration/energy.ts) with NIST XCOM mass attenuation coefficients (Hubbell & Seltzer 2004, NIST SRD 126, Tables 3-4); " +
      "water displacement: Mindways QCT Pro 0.2174 for K2HPO4 (bct-reference.md §1), 1/3.16 for HA crystals",
    confidence: "unverified",
    convert: (x) => factor * x,
    effectiveEnergyKeV: energyKeV,
    factor,
    waterDisplacement: d,
    huPerDensity: s,
  };
}

/**
 * Convert a mineral-equivalent density (mg/cm3) between K2HPO4 and HA at effective energy
 * `energyKeV` ({@link mineralConversion}); identity when `from === to`.
 * @example
 * ```ts
 * mineralEquivalent(100, "rhoK", "rhoHA", 60); // 100.80 mg/cm3 HA
 * mineralEquivalent(100, "rhoK", "rhoHA", 70, { waterDisplacement: { rhoK: 0 } }); // synthetic-phantom convention
 * ```
 */
export function mineralEquivalent(rho: number, from: MineralMeasure, to: MineralMeasure, energyKeV: number, opts: MineralConversionOptions = {}): number {
  return from === to ? rho : mineralConversion(from, to, energyKeV, opts).convert(rho);
}
