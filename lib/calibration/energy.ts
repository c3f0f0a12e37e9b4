/**
 * The effective energy of a CT scan from its calibration slope, and the mineral-in-water model
 * behind it.
 *
 * ## Model
 * A calibration material is a mineral dissolved or dispersed in a water-equivalent base: c mg/cm3 of
 * mineral m displaces `d * c` mg/cm3 of water (d = water displaced per unit mineral mass). On a
 * monoenergetic beam of energy E its CT number is
 *
 *   HU = 1000 (mu - mu_w) / mu_w = c * ((mu/rho)_m(E) / (mu/rho)_w(E) - d)   (c in mg/cm3, water 1 g/cm3)
 *
 * so the ideal calibration slope is {@link mineralHuPerDensity}(m, E, d) =
 * (mu/rho)_m / (mu/rho)_w - d HU per mg/cm3, with the NIST mass attenuation coefficients of
 * {@link ./attenuation} (K2HPO4 and hydroxyapatite by the mixture rule). This is the relation the
 * internal calibration uses for its equivalent densities ({@link ./internal}, step 3) and the one the
 * embedded synthetic scanner is built on (`lib/synthetic/ct-formation.ts`: slope =
 * (mu/rho)_K / (mu/rho)_w at 70 keV, d = 0, an ideal water-equivalent base).
 *
 * Water displacement d, by convention of the calibration that defines the density:
 * - rhoK, Mindways-type K2HPO4 phantom (and bct's internal calibration by default): d = 0.2174, the
 *   QCT Pro water correction sigma_CT = sigma_ref - 0.2174 ({@link MINDWAYS_WATER_DISPLACEMENT},
 *   bct-reference.md §1 ✔); it is about the water a gram of K2HPO4 displaces *in solution* ◇, not
 *   the 1/2.44 = 0.41 of the crystal;
 * - rhoK, the embedded synthetic phantoms: d = 0 (ideal water-equivalent base, by design);
 * - rhoHA, HA crystals dispersed in a water-equivalent base (solid HA phantoms): d = 1/3.16, the
 *   volume of the crystal ({@link PHYSICAL_DENSITY}.hydroxyapatite).
 *
 * ## Effective energy from a slope ({@link effectiveEnergyFromSlope})
 * (mu/rho)_m / (mu/rho)_w falls strictly from 15 to 200 keV for both minerals (photoelectric
 * absorption of K, Ca and P fades towards Compton scattering, where all ratios tend to about 1); on
 * the NIST grid it peaks at 15 keV (K2HPO4: 8.42 at 10 keV, 8.44 at 15, 7.63 at 20). So on
 * {@link ENERGY_SEARCH_RANGE_KEV} a measured slope fixes one energy: the root of
 * mineralHuPerDensity(m, E, d) = slope, found by bisection in log E. Its standard error is the
 * slope's divided by |d slope / d E| at the root. The estimate assumes a correct HU scale (water 0,
 * air -1000: a scanner gain error moves it) and a monoenergetic beam; a polychromatic beam's
 * effective energy differs between materials (beam hardening), so it is the *mineral's* effective
 * energy, which is what a mineral conversion ({@link ../calibration/density}.mineralEquivalent) needs.
 *
 * @example
 * ```ts
 * import { effectiveEnergyFromSlope, effectiveEnergyFromFit } from "bct/lib/calibration/energy";
 * effectiveEnergyFromSlope(1.58721, { waterDisplacement: 0 }).effectiveEnergyKeV; // 70.0 (the synthetic scanner)
 * const e = effectiveEnergyFromFit(phantomCalibration(ct, certificate).fit);   // Mindways convention, d = 0.2174
 * e.effectiveEnergyKeV, e.standardErrorKeV;
 * ```
 * @module
 */
import { ATTENUATION_ENERGIES_KEV, PHYSICAL_DENSITY, massAttenuation } from "./attenuation.js";
import type { DensityMeasure } from "./density.js";
import { CalibrationError, type CalibrationFit } from "./fit.js";
import { MINDWAYS_WATER_DISPLACEMENT } from "./internal.js";

/** The mineral equivalents that have an attenuation model. */
export type MineralMeasure = Extract<DensityMeasure, "rhoK" | "rhoHA">;

/** The attenuation-table material of each mineral measure. */
export const MINERAL_MATERIAL: Readonly<Record<MineralMeasure, "k2hpo4" | "hydroxyapatite">> = { rhoK: "k2hpo4", rhoHA: "hydroxyapatite" };

/**
 * Default water displacement (g of water per g of mineral) of each measure: rhoK in the Mindways
 * convention ({@link MINDWAYS_WATER_DISPLACEMENT}, bct's calibration default), rhoHA as crystals of
 * density {@link PHYSICAL_DENSITY}.hydroxyapatite in a water-equivalent base. See the module notes.
 */
export const DEFAULT_WATER_DISPLACEMENT: Readonly<Record<MineralMeasure, number>> = {
  rhoK: MINDWAYS_WATER_DISPLACEMENT,
  rhoHA: 1 / PHYSICAL_DENSITY.hydroxyapatite,
};

/**
 * Effective energy (keV) assumed when a scan's own is unknown: a typical 120 kVp clinical CT beam is
 * about 60-70 keV effective ◇ (the embedded synthetic scanner's choice, `lib/synthetic/ct-formation.ts`);
 * internal calibration of the real TotalSegmentator scan finds 61 keV (test/calibration/energy.test.ts).
 */
export const DEFAULT_EFFECTIVE_ENERGY_KEV = 70;

/**
 * Energies (keV) searched by {@link effectiveEnergyFromSlope}: from 15 keV, where the mineral/water
 * attenuation ratio peaks on the NIST grid, to the tables' 200 keV; clinical CT effective energies lie
 * well inside.
 */
export const ENERGY_SEARCH_RANGE_KEV: readonly [number, number] = [15, ATTENUATION_ENERGIES_KEV[ATTENUATION_ENERGIES_KEV.length - 1]];

/**
 * HU per mg/cm3 of `measure`'s mineral in a water-equivalent base on a monoenergetic beam of
 * `energyKeV`: (mu/rho)_m / (mu/rho)_w - d (see the module notes).
 * @throws CalibrationError outside the tables' 10-200 keV.
 * @example
 * ```ts
 * mineralHuPerDensity("rhoK", 70, 0);       // 1.5872 (the synthetic scanner's slope)
 * mineralHuPerDensity("rhoK", 70, 0.2174);  // 1.3698 (Mindways convention)
 * mineralHuPerDensity("rhoHA", 70);         // 1.3321 (HA crystals, d = 1/3.16)
 * ```
 */
export function mineralHuPerDensity(measure: MineralMeasure, energyKeV: number, waterDisplacement = DEFAULT_WATER_DISPLACEMENT[measure]): number {
  return massAttenuation(MINERAL_MATERIAL[measure], energyKeV) / massAttenuation("water", energyKeV) - waterDisplacement;
}

/** Options of {@link effectiveEnergyFromSlope}. */
export interface EffectiveEnergyOptions {
  /** The mineral of the calibration. Default "rhoK". */
  measure?: MineralMeasure;
  /** Water displaced per unit mineral mass in the calibration's convention. Default {@link DEFAULT_WATER_DISPLACEMENT}. */
  waterDisplacement?: number;
  /** Standard error of the slope (HU per mg/cm3), for the energy's standard error. */
  slopeStdError?: number;
  /** Warn when the energy's standard error exceeds this (keV). Default 5 (bct's own check, not a published value). */
  maxStandardErrorKeV?: number;
}

/** Result of {@link effectiveEnergyFromSlope}. Plain data. */
export interface EffectiveEnergyEstimate {
  effectiveEnergyKeV: number;
  /** The slope it was solved for (HU per mg/cm3). */
  huPerDensity: number;
  measure: MineralMeasure;
  waterDisplacement: number;
  /** d slope / d E at the root (HU per mg/cm3 per keV; negative). */
  slopePerKeV: number;
  /** Standard error of the energy from the slope's (keV); null when no slope error was given. */
  standardErrorKeV: number | null;
  method: string;
  warnings: string[];
}

/**
 * The monoenergetic effective energy at which a mineral-in-water calibration has slope
 * `huPerDensity` (HU per mg/cm3): the root of {@link mineralHuPerDensity} = slope (see the module
 * notes).
 * @throws CalibrationError when the slope is not finite and positive or no energy in
 *   {@link ENERGY_SEARCH_RANGE_KEV} gives it.
 * @example
 * ```ts
 * effectiveEnergyFromSlope(1.58721, { waterDisplacement: 0 }).effectiveEnergyKeV; // 70.0
 * effectiveEnergyFromSlope(1.3698).effectiveEnergyKeV;                           // 70.0 (d = 0.2174)
 * ```
 */
export function effectiveEnergyFromSlope(huPerDensity: number, opts: EffectiveEnergyOptions = {}): EffectiveEnergyEstimate {
  const measure = opts.measure ?? "rhoK";
  const d = opts.waterDisplacement ?? DEFAULT_WATER_DISPLACEMENT[measure];
  if (!(huPerDensity > 0) || !Number.isFinite(huPerDensity)) {
    throw new CalibrationError(`the calibration slope must be a positive number of HU per mg/cm3, got ${huPerDensity}`);
  }
  const [lo, hi] = ENERGY_SEARCH_RANGE_KEV;
  const g = (e: number) => mineralHuPerDensity(measure, e, d) - huPerDensity;
  const gLo = g(lo), gHi = g(hi);
  if (!(gLo >= 0 && gHi <= 0)) {
    throw new CalibrationError(
      `a slope of ${huPerDensity} HU per mg/cm3 (${measure}, water displacement ${d}) matches no energy from ${lo} to ${hi} keV ` +
        `(the model gives ${(gHi + huPerDensity).toFixed(3)} to ${(gLo + huPerDensity).toFixed(3)}): check the certificate's units, the HU scale, or the displacement convention`,
    );
  }
  // g falls strictly with E on the search range (checked in the tests on the grid): bisection in log E
  let a = Math.log(lo), b = Math.log(hi);
  for (let it = 0; it < 80 && b - a > 1e-12; it++) {
    const m = 0.5 * (a + b);
    if (g(Math.exp(m)) > 0) a = m;
    else b = m;
  }
  const root = Math.exp(0.5 * (a + b));
  const h = Math.min(0.01 * root, root - lo, hi - root) || 1e-3;
  const slopePerKeV = (g(root + h) - g(root - h)) / (2 * h);
  const se = opts.slopeStdError !== undefined && Number.isFinite(opts.slopeStdError) ? Math.abs(opts.slopeStdError / slopePerKeV) : null;
  const warnings: string[] = [];
  const maxSe = opts.maxStandardErrorKeV ?? 5;
  if (se !== null && se > maxSe) warnings.push(`the effective energy is poorly determined: ${root.toFixed(1)} +/- ${se.toFixed(1)} keV from the slope's standard error`);
  return {
    effectiveEnergyKeV: root,
    huPerDensity,
    measure,
    waterDisplacement: d,
    slopePerKeV,
    standardErrorKeV: se,
    method: `root of (mu/rho)_${MINERAL_MATERIAL[measure]}(E) / (mu/rho)_water(E) - ${d} = ${huPerDensity} HU per mg/cm3 (NIST XCOM tables, monoenergetic mineral-in-water model)`,
    warnings,
  };
}

/**
 * {@link effectiveEnergyFromSlope} of a fitted calibration line (its HU-per-density slope and that
 * slope's standard error; its measure must be rhoK or rhoHA).
 * @throws CalibrationError for another measure, or as {@link effectiveEnergyFromSlope}.
 * @example
 * ```ts
 * const cal = phantomCalibration(ct, mindwaysCertificate);
 * effectiveEnergyFromFit(cal.fit).effectiveEnergyKeV; // Mindways convention (d = 0.2174)
 * ```
 */
export function effectiveEnergyFromFit(
  fit: Pick<CalibrationFit, "huPerDensity" | "slopeStdError" | "measure">,
  opts: Omit<EffectiveEnergyOptions, "measure" | "slopeStdError"> = {},
): EffectiveEnergyEstimate {
  if (fit.measure !== "rhoK" && fit.measure !== "rhoHA") {
    throw new CalibrationError(`an effective energy needs a mineral calibration (rhoK or rhoHA), not ${fit.measure}`);
  }
  return effectiveEnergyFromSlope(fit.huPerDensity, { ...opts, measure: fit.measure, slopeStdError: fit.slopeStdError });
}
