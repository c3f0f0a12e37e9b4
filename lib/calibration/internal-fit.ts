/**
 * The fit part of the internal (phantomless) calibration: from the measured HU of reference tissues
 * to the effective energy, each tissue's K2HPO4-equivalent density and the HU -> density line (steps
 * 2-4 of the method in {@link ./internal}).
 *
 * @example
 * ```ts
 * import { internalCalibrationFromSamples } from "bct/lib/calibration/internal-fit";
 * const cal = internalCalibrationFromSamples([
 *   { tissue: "air", hu: -1000 }, { tissue: "adipose", hu: -95 }, { tissue: "muscle", hu: 45 }, { tissue: "blood", hu: 42 },
 * ]);
 * console.log(cal.effectiveEnergyKeV, cal.fit.slope);
 * ```
 * @module
 */
import type { ReferenceTissue } from "../segmentation/reference-tissues.js";
import { ATTENUATION_ENERGIES_KEV, PHYSICAL_DENSITY, massAttenuation, theoreticalHu, type AttenuationMaterial } from "./attenuation.js";
import { CalibrationError, fitCalibration, type CalibrationFit } from "./fit.js";

const MATERIAL: Record<ReferenceTissue, AttenuationMaterial> = {
  air: "air",
  adipose: "adipose",
  muscle: "muscle",
  blood: "blood",
  corticalBone: "corticalBone",
};

/** Water displaced per unit mass of K2HPO4 in the Mindways QCT Pro convention (bct-reference.md §1 ✔). */
export const MINDWAYS_WATER_DISPLACEMENT = 0.2174;

/** One measured reference tissue. */
export interface TissueSample {
  tissue: ReferenceTissue;
  /** Robust mean HU of the (eroded) ROI. */
  hu: number;
  medianHu?: number;
  sdHu?: number;
  voxels?: number;
  /** Where the ROI came from. */
  source?: "automatic" | "label map" | "mask" | "given";
  /** Label numbers used (label-map source). */
  labels?: number[];
}

/** A reference tissue at the effective energy. */
export interface ReferenceAtEnergy {
  tissue: ReferenceTissue;
  measuredHu: number;
  /** ICRU physical density (g/cm3). */
  physicalDensity: number;
  /** mu/rho at E (cm2/g). */
  massAttenuation: number;
  /** HU of the ICRU tissue at E. */
  theoreticalHu: number;
  /** K2HPO4-equivalent density (mg/cm3) at E: the calibration point's known density. */
  equivalentDensity: number;
}

/** Options of {@link internalCalibrationFromSamples}. */
export interface InternalFitOptions {
  /** Fix the effective energy (keV) instead of searching it. */
  effectiveEnergyKeV?: number;
  /** Energy search range (keV). Default [10, 200] (the tables' range). */
  energyRangeKeV?: [number, number];
  /** Energy grid step (keV). Default 0.5 (as Michalski 2020). */
  energyStepKeV?: number;
  /**
   * "hu-linear" (default): least-squares residual of measured HU against the theoretical HU of each
   * ICRU tissue under HU = a + b HU_t(E). "michalski-r2": maximum r^2 of measured HU against mass
   * attenuation (mu/rho) at E, as in Michalski 2020 / Ogo.
   */
  energyCriterion?: "hu-linear" | "michalski-r2";
  /** Water displaced per unit K2HPO4 mass. Default {@link MINDWAYS_WATER_DISPLACEMENT}; 0 for an ideal water-equivalent base. */
  waterDisplacement?: number;
  /** Warn when the scanner gain b departs from 1 by more than this. Default 0.1. */
  gainTolerance?: number;
  /** Warn when a tissue's HU residual exceeds this (HU). Default 20. */
  residualToleranceHu?: number;
}

/** Result of an internal calibration. Plain data. */
export interface InternalCalibrationResult {
  fit: CalibrationFit;
  effectiveEnergyKeV: number;
  energyCriterion: "hu-linear" | "michalski-r2" | "fixed";
  /** Scanner model at E: HU_meas = offset + gain * HU_theoretical (least squares). */
  scanner: { gain: number; offsetHu: number; residualSdHu: number };
  /** (mu/rho)_K / (mu/rho)_w - delta at E: HU per mg/cm3 of the ideal scanner. */
  idealHuPerDensity: number;
  waterDisplacement: number;
  references: ReferenceAtEnergy[];
  samples: TissueSample[];
  warnings: string[];
}

function linfit(x: number[], y: number[]): { a: number; b: number; sse: number; r2: number } {
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n, my = y.reduce((s, v) => s + v, 0) / n;
  let sxx = 0, sxy = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i] - mx) ** 2;
    sxy += (x[i] - mx) * (y[i] - my);
    syy += (y[i] - my) ** 2;
  }
  const b = sxx > 0 ? sxy / sxx : 0;
  const a = my - b * mx;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (y[i] - a - b * x[i]) ** 2;
  return { a, b, sse, r2: syy > 0 && sxx > 0 ? (sxy * sxy) / (sxx * syy) : 0 };
}

/**
 * Internal calibration from measured tissue HU (the fit part of the method; see the module notes).
 * @example
 * ```ts
 * const cal = internalCalibrationFromSamples([
 *   { tissue: "air", hu: -1000 }, { tissue: "adipose", hu: -95 }, { tissue: "muscle", hu: 45 }, { tissue: "blood", hu: 42 },
 * ]);
 * cal.effectiveEnergyKeV; cal.fit.slope; // mg/cm3 per HU
 * ```
 * @throws CalibrationError with fewer than 2 tissues, a tissue given twice, fewer than 3 tissues
 *   without `effectiveEnergyKeV`, or an energy outside the tables.
 */
export function internalCalibrationFromSamples(samples: TissueSample[], opts: InternalFitOptions = {}): InternalCalibrationResult {
  const warnings: string[] = [];
  if (samples.length < 2) throw new CalibrationError(`internal calibration needs at least 2 reference tissues, got ${samples.length}`);
  const seen = new Set<string>();
  for (const s of samples) {
    if (seen.has(s.tissue)) throw new CalibrationError(`reference tissue "${s.tissue}" is given twice`);
    seen.add(s.tissue);
    if (!Number.isFinite(s.hu)) throw new CalibrationError(`reference tissue "${s.tissue}" has a non-finite HU (${s.hu})`);
  }
  const hu = samples.map((s) => s.hu);
  const mats = samples.map((s) => MATERIAL[s.tissue]);
  const delta = opts.waterDisplacement ?? MINDWAYS_WATER_DISPLACEMENT;
  const [E0, E1] = opts.energyRangeKeV ?? [ATTENUATION_ENERGIES_KEV[0], ATTENUATION_ENERGIES_KEV[ATTENUATION_ENERGIES_KEV.length - 1]];
  const step = opts.energyStepKeV ?? 0.5;
  const criterion = opts.effectiveEnergyKeV !== undefined ? "fixed" : (opts.energyCriterion ?? "hu-linear");
  let E: number;
  if (opts.effectiveEnergyKeV !== undefined) {
    E = opts.effectiveEnergyKeV;
    massAttenuation("water", E); // range check
  } else {
    if (samples.length < 3) {
      throw new CalibrationError(
        `with ${samples.length} reference tissues the effective energy cannot be searched (any energy fits two points): add a third tissue or give effectiveEnergyKeV`,
      );
    }
    let best = Infinity;
    E = NaN;
    for (let e = E0; e <= E1 + 1e-9; e += step) {
      let score: number;
      if (criterion === "michalski-r2") score = -linfit(hu, mats.map((m) => massAttenuation(m, e))).r2;
      else score = linfit(mats.map((m) => theoreticalHu(m, e)), hu).sse;
      if (score < best - 1e-12) {
        best = score;
        E = e;
      }
    }
    if (E <= E0 + step / 2 || E >= E1 - step / 2) {
      warnings.push(`the effective energy ${E} keV lies at the edge of the search range [${E0}, ${E1}] keV: the tissue HU do not fit the ICRU tissues at any energy; check the ROIs`);
    }
  }
  const muW = massAttenuation("water", E);
  const ideal = massAttenuation("k2hpo4", E) / muW - delta;
  const thHu = mats.map((m) => theoreticalHu(m, E));
  const scan = linfit(thHu, hu);
  const references: ReferenceAtEnergy[] = samples.map((s, i) => ({
    tissue: s.tissue,
    measuredHu: s.hu,
    physicalDensity: PHYSICAL_DENSITY[mats[i]],
    massAttenuation: massAttenuation(mats[i], E),
    theoreticalHu: thHu[i],
    equivalentDensity: thHu[i] / ideal,
  }));
  const fit = fitCalibration(
    references.map((r, i) => ({ name: r.tissue, density: r.equivalentDensity, hu: r.measuredHu, voxels: samples[i].voxels, huSd: samples[i].sdHu })),
    {
      measure: "rhoK",
      method: `internal calibration (${samples.map((s) => s.tissue).join(", ")}): effective energy ${E} keV, K2HPO4 in water (displacement ${delta})`,
      minR2: 0.99,
    },
  );
  const gainTol = opts.gainTolerance ?? 0.1;
  if (samples.length >= 2 && Math.abs(scan.b - 1) > gainTol) {
    warnings.push(`the scanner gain against the ICRU tissues is ${scan.b.toFixed(3)} (expected 1 +/- ${gainTol}): the HU scale or an ROI is off`);
  }
  const resTol = opts.residualToleranceHu ?? 20;
  for (const p of fit.points) {
    if (Math.abs(p.residualHu) > resTol) warnings.push(`reference "${p.name}" misses the calibration line by ${p.residualHu.toFixed(1)} HU (> ${resTol}): check its ROI`);
  }
  const residualSdHu = samples.length > 2 ? Math.sqrt(scan.sse / (samples.length - 2)) : NaN;
  return {
    fit: { ...fit, warnings: [...fit.warnings] },
    effectiveEnergyKeV: E,
    energyCriterion: criterion,
    scanner: { gain: scan.b, offsetHu: scan.a, residualSdHu },
    idealHuPerDensity: ideal,
    waterDisplacement: delta,
    references,
    samples: samples.map((s) => ({ ...s })),
    warnings: [...warnings, ...fit.warnings],
  };
}
