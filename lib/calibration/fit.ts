/**
 * The calibration line: least-squares fit of measured HU against known equivalent density, and its
 * application to a HU volume.
 *
 * The regression is HU = huIntercept + huPerDensity * rho (HU on density, the way phantom
 * certificates and QCT software fit it: density is the known, error-free quantity). The map used on
 * images is its inverse, rho = (HU - huIntercept) / huPerDensity.
 *
 * @example
 * ```ts
 * import { fitCalibration, applyCalibration } from "bct/lib/calibration/fit";
 * const fit = fitCalibration([
 *   { name: "A", density: 0, hu: 2 }, { name: "B", density: 100, hu: 128 }, { name: "C", density: 200, hu: 251 },
 * ], { measure: "rhoK" });
 * const density = applyCalibration(ctVolume, fit); // mg/cm3 K2HPO4
 * ```
 * @module
 */
import { BctError } from "../errors.js";
import { createVolume, type Vec3, type Volume } from "../volume/volume.js";
import type { DensityMeasure } from "./density.js";

/** One calibration point: a reference material of known density and its measured HU. */
export interface CalibrationPoint {
  name: string;
  /** Known equivalent density (mg/cm3, in the fit's measure). */
  density: number;
  /** Measured (robust mean) HU. */
  hu: number;
  /** Number of voxels behind `hu`, if known. */
  voxels?: number;
  /** Standard deviation of the HU sample, if known. */
  huSd?: number;
  /** Where it was measured, for display: a cylinder (a phantom rod's disc ROI over the slab), world LPS mm. */
  roi?: { kind: "cylinder"; from: Vec3; to: Vec3; radiusMm: number };
}

/** A fitted calibration line with its goodness of fit. Plain data. */
export interface CalibrationFit {
  method: string;
  /** The density measure the line yields (mg/cm3). */
  measure: DensityMeasure;
  /** HU per mg/cm3 (slope of HU on density). */
  huPerDensity: number;
  /** HU at zero density. */
  huIntercept: number;
  /** Density per HU of the inverse map (mg/cm3 per HU) = 1 / huPerDensity. */
  slope: number;
  /** Density at HU = 0 of the inverse map (mg/cm3). */
  intercept: number;
  /** Coefficient of determination of the HU-on-density regression. */
  r2: number;
  /** Residual standard error of HU (HU), n - 2 degrees of freedom (NaN for 2 points). */
  standardErrorHu: number;
  /** The same expressed in density (mg/cm3). */
  standardErrorDensity: number;
  /** Standard errors of the HU-on-density slope and intercept. */
  slopeStdError: number;
  interceptStdError: number;
  points: (CalibrationPoint & { residualHu: number; residualDensity: number })[];
  warnings: string[];
}

/** A calibration that cannot be made or trusted. */
export class CalibrationError extends BctError {
  override name = "CalibrationError";
}

/** R^2 below which a fit is flagged (bct-reference.md §1: phantom fits typically exceed 0.99). */
export const MIN_CALIBRATION_R2 = 0.99;

/** Options of {@link fitCalibration}. */
export interface FitOptions {
  measure: DensityMeasure;
  /** Name of the method, recorded in the result. Default "linear least squares". */
  method?: string;
  /** R^2 warning threshold. Default {@link MIN_CALIBRATION_R2}. */
  minR2?: number;
}

/**
 * Ordinary least-squares line of HU on density.
 * @throws CalibrationError with fewer than 2 points, non-finite values, or all densities equal.
 */
export function fitCalibration(points: CalibrationPoint[], opts: FitOptions): CalibrationFit {
  const n = points.length;
  if (n < 2) throw new CalibrationError(`a calibration line needs at least 2 reference materials, got ${n}`);
  for (const p of points) {
    if (!Number.isFinite(p.hu) || !Number.isFinite(p.density)) {
      throw new CalibrationError(`calibration point "${p.name}" has a non-finite value (HU ${p.hu}, density ${p.density})`);
    }
  }
  const mx = points.reduce((s, p) => s + p.density, 0) / n;
  const my = points.reduce((s, p) => s + p.hu, 0) / n;
  let sxx = 0, sxy = 0, syy = 0;
  for (const p of points) {
    sxx += (p.density - mx) ** 2;
    sxy += (p.density - mx) * (p.hu - my);
    syy += (p.hu - my) ** 2;
  }
  if (!(sxx > 0)) throw new CalibrationError("all calibration densities are equal: the slope is undefined");
  const b = sxy / sxx;
  const a = my - b * mx;
  if (!(Math.abs(b) > 0)) throw new CalibrationError("HU does not change with density (zero slope): check the reference ROIs");
  let sse = 0;
  const withRes = points.map((p) => {
    const r = p.hu - (a + b * p.density);
    sse += r * r;
    return { ...p, residualHu: r, residualDensity: -r / b };
  });
  const r2 = syy > 0 ? 1 - sse / syy : 1;
  const s = n > 2 ? Math.sqrt(sse / (n - 2)) : NaN;
  const warnings: string[] = [];
  const minR2 = opts.minR2 ?? MIN_CALIBRATION_R2;
  if (r2 < minR2) warnings.push(`calibration R^2 = ${r2.toFixed(4)} is below ${minR2}: check the reference ROIs`);
  if (b < 0) warnings.push("HU decreases with density: reference materials are probably mislabelled");
  return {
    method: opts.method ?? "linear least squares",
    measure: opts.measure,
    huPerDensity: b,
    huIntercept: a,
    slope: 1 / b,
    intercept: -a / b,
    r2,
    standardErrorHu: s,
    standardErrorDensity: s / Math.abs(b),
    slopeStdError: n > 2 ? s / Math.sqrt(sxx) : NaN,
    interceptStdError: n > 2 ? s * Math.sqrt(1 / n + (mx * mx) / sxx) : NaN,
    points: withRes,
    warnings,
  };
}

/** Density (mg/cm3) of one HU value under `fit`. */
export function huToDensity(fit: Pick<CalibrationFit, "slope" | "intercept">, hu: number): number {
  return fit.intercept + fit.slope * hu;
}

/** The calibrated density volume (Float32, mg/cm3 in `fit.measure`) on the same grid as `hu`. */
export function applyCalibration(hu: Volume, fit: Pick<CalibrationFit, "slope" | "intercept">): Volume<Float32Array> {
  const out = new Float32Array(hu.data.length);
  const { slope, intercept } = fit;
  const d = hu.data;
  for (let p = 0; p < d.length; p++) out[p] = intercept + slope * d[p];
  return createVolume({ dims: hu.dims, spacing: hu.spacing, origin: hu.origin, direction: hu.direction, data: out });
}
