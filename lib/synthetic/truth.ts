/**
 * Ground-truth summaries shared by the hip and spine scans: grid, CT formation, per-label and
 * per-tissue statistics, JSON rounding.
 * @module
 */
import type { IndexBox } from "../volume/crop.js";
import type { GridGeometry } from "../volume/resample.js";
import { voxelVolume } from "../volume/volume.js";
import { FWHM_PER_SIGMA, effectiveFwhm, type ScannerModel } from "./ct-formation.js";
import type { LabelInfo } from "./model.js";
import type { SyntheticScan } from "./scan.js";
import { TISSUES, tissueHuTable } from "./tissues.js";

/** Per-label truth measured on the generated maps. */
export interface LabelTruth extends LabelInfo {
  /** Voxels whose centre lies in the structure. */
  voxelCount: number;
  /** voxelCount times the voxel volume (mm3). */
  volumeMm3: number;
  /** Mean of the density map over those voxels (mg/cm3 K2HPO4). */
  meanDensityMgCm3: number;
}

/**
 * Voxel counts, volumes and mean density of each label.
 * @example
 * ```ts
 * const rows = labelStatistics(scan, phantom.labels);
 * rows.find((r) => r.name === "femur")?.voxelCount;
 * ```
 */
export function labelStatistics(scan: SyntheticScan, labels: LabelInfo[]): LabelTruth[] {
  const count = new Float64Array(256), sum = new Float64Array(256);
  const l = scan.labels.data, d = scan.density.data;
  for (let n = 0; n < l.length; n++) {
    count[l[n]]++;
    sum[l[n]] += d[n];
  }
  const vv = voxelVolume(scan.labels);
  return labels.map((info) => ({
    ...info,
    voxelCount: count[info.value],
    volumeMm3: count[info.value] * vv,
    meanDensityMgCm3: count[info.value] ? sum[info.value] / count[info.value] : 0,
  }));
}

/** Voxel counts of each tissue (at voxel centres), with its HU at zero density. */
export function tissueStatistics(scan: SyntheticScan): { id: number; name: string; huBase: number; source: string; voxelCount: number }[] {
  const count = new Float64Array(256);
  for (const t of scan.tissues.data) count[t]++;
  const hu = tissueHuTable(scan.scanner.tissueHu);
  return TISSUES.map((t) => ({ id: t.id, name: t.name, huBase: hu[t.id], source: t.source, voxelCount: count[t.id] }));
}

/** The CT formation model, as recorded in a truth file. */
export function formationTruth(scanner: ScannerModel, grid: GridGeometry): Record<string, unknown> {
  const s = scanner.supersampling;
  const hu = tissueHuTable(scanner.tissueHu);
  return {
    relation: "HU = huBase(tissue) + slope * rhoK, with rhoK the K2HPO4-equivalent mineral density (mg/cm3)",
    slopeHuPerMgCm3: scanner.slope,
    slopeNote: "a choice of this phantom (bct-reference.md gives no typical value): 1100 mg/cm3 cortical bone reads 1375 HU above its water-equivalent base",
    tissues: TISSUES.map((t) => ({ id: t.id, name: t.name, huBase: hu[t.id], source: t.source })),
    partialVolume: `mean over ${s}x${s}x${s} subsamples per voxel (a box of the voxel size)`,
    psf: {
      type: "separable Gaussian, applied on the subsample grid before the voxel mean",
      fwhmMm: scanner.psfFwhmMm,
      sigmaMm: scanner.psfFwhmMm.map((f) => f / FWHM_PER_SIGMA),
    },
    effectiveFwhmMm: scanner.psfFwhmMm.map((f, c) => effectiveFwhm(f, grid.spacing[c])),
    effectiveFwhmNote: "FWHM of the Gaussian with the variance of PSF * voxel box: 2.3548 sqrt(sigma^2 + spacing^2 / 12)",
    noise: {
      type: "additive white Gaussian; counter-based RNG keyed by (seed, flat voxel index): lowbias32 hash, Box-Muller",
      sdHu: scanner.noiseSdHu,
    },
    quantization: `round to the nearest integer HU (ties up), clamp to [${scanner.huRange.join(", ")}], int16`,
    supersampling: s,
  };
}

/** The grid (and the generated box, when it is not the whole grid). */
export function gridTruth(grid: GridGeometry, box: IndexBox): Record<string, unknown> {
  const whole = box.min.every((m) => m === 0) && box.max.every((m, c) => m === grid.dims[c]);
  return {
    dims: grid.dims,
    spacing: grid.spacing,
    origin: grid.origin,
    direction: grid.direction,
    ...(whole ? {} : { generatedBox: box }),
  };
}

/** A copy of `x` with every number rounded to `digits` decimals (stable, readable JSON). */
export function roundNumbers<T>(x: T, digits = 6): T {
  const f = 10 ** digits;
  const walk = (v: unknown): unknown => {
    if (typeof v === "number") return Number.isFinite(v) ? Math.round(v * f) / f + 0 : v;
    if (Array.isArray(v)) return v.map(walk);
    if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>, walk);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, walk(e)]));
    return v;
  };
  return walk(x) as T;
}
