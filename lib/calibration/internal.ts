/**
 * Internal (phantomless) calibration: HU -> K2HPO4-equivalent density (mg/cm3) from the patient's
 * own reference tissues (air, adipose, skeletal muscle, blood; optionally cortical bone).
 *
 * ## Method
 * 1. **Reference tissue ROIs**, found automatically ({@link findReferenceTissues}: air outside the
 *    body, the subcutaneous fat ring, paraspinal/gluteal muscle, the aorta beside the spine), or taken
 *    from a label map (e.g. TotalSegmentator: {@link TOTALSEGMENTATOR_REFERENCE_LABELS}), or given as
 *    masks. Each ROI is eroded (`erodeMm`) and summarised by a robust mean ({@link robustMean}).
 * 2. **Effective energy** E: the monoenergetic energy at which the tissues' theoretical CT numbers,
 *    HU_t(E) = 1000 (rho_t (mu/rho)_t(E) - (mu/rho)_w(E)) / (mu/rho)_w(E) with the ICRU-44/46
 *    compositions and densities and the NIST mass attenuation tables ({@link ./attenuation}), best
 *    explain the measured HU under a linear scanner model HU_meas = a + b HU_t(E) (least squares,
 *    E searched on a 0.5 keV grid). This follows Michalski et al. 2020 (Med Eng Phys 78:55, as
 *    implemented in Bonelab Ogo `internal_calibration.py`: energy grid search against the same
 *    NIST/ICRU tables); Michalski's own criterion (maximum r^2 of HU against mass attenuation) is
 *    available as `energyCriterion: "michalski-r2"`. The default criterion fits HU to *linear*
 *    attenuation (what a CT number measures) and so uses each tissue's density.
 * 3. **Equivalent density** of each tissue at E, in the convention of a K2HPO4 calibration phantom:
 *    the concentration c of K2HPO4 in a water base that has the tissue's attenuation,
 *    mu_w (1 - delta c) + (mu/rho)_K c = mu_t, i.e. rhoK_t = HU_t(E) / ((mu/rho)_K / (mu/rho)_w - delta)
 *    in mg/cm3, where delta is the water displaced per unit mass of K2HPO4 (default 0.2174, the
 *    Mindways QCT Pro water correction sigma_CT = sigma_ref - 0.2174, bct-reference.md §1 ✔; 0 for an
 *    ideal water-equivalent base such as the synthetic phantom's rods).
 * 4. **Fit**: the ordinary least-squares line of measured HU on rhoK_t ({@link fitCalibration}), the
 *    same {@link CalibrationFit} as a phantom calibration (slope, intercept, R^2, residuals, SE).
 *
 * Why not Michalski's triglyceride decomposition as is: it multiplies two regressions on HU (mass
 * attenuation and physical density), so the HU -> rhoK map is quadratic, gives water about +35
 * mg/cm3, and its bone values change by 60% depending on whether cortical bone is among the
 * references (bct prototype with the same tables: HU 1000 -> 507 vs 818 mg/cm3). The K2HPO4-in-water
 * basis is linear in HU, gives water 0 mg/cm3 by construction, and matches how phantom densities are
 * defined, so phantom and internal calibrations can be compared directly.
 *
 * Limits: the tissues' HU spread along the energy axis is small (fat vs muscle about 110-160 HU
 * between 80 and 50 keV), so E is uncertain by several keV when the fat or muscle ROI is contaminated;
 * the slope follows (mu/rho)_w / (mu/rho)_K(E). Internal calibration differs from synchronous phantom
 * calibration by <5% to about 10% (review, Curr Osteoporos Rep 2023 ✔); contrast-enhanced scans
 * are unvalidated (blood is not blood any more).
 *
 * @example
 * ```ts
 * import { internalCalibration } from "bct/lib/calibration/internal";
 * import { applyCalibration } from "bct/lib/calibration/fit";
 * const cal = internalCalibration(ct);                         // automatic tissue ROIs
 * const cal2 = internalCalibration(ct, { labels: totalSeg });  // TotalSegmentator muscle + aorta
 * const density = applyCalibration(ct, cal.fit);               // mg/cm3 K2HPO4
 * console.log(cal.effectiveEnergyKeV, cal.fit.slope, cal.warnings);
 * ```
 * @module
 */
import { createVolume, indexToWorld, sameGrid, type Volume } from "../volume/volume.js";
import { resampleToGrid } from "../volume/resample.js";
import { connectedComponents } from "../segmentation/components.js";
import { squaredDistanceToSeeds } from "../segmentation/distance.js";
import { type Mask } from "../segmentation/mask.js";
import { dilate, erode } from "../segmentation/morphology.js";
import { fillHolesPerSlice } from "../segmentation/bone.js";
import { ATTENUATION_ENERGIES_KEV, PHYSICAL_DENSITY, massAttenuation, theoreticalHu, type AttenuationMaterial } from "./attenuation.js";
import { CalibrationError, fitCalibration, type CalibrationFit } from "./fit.js";

/** Reference tissues of the internal calibration. */
export type ReferenceTissue = "air" | "adipose" | "muscle" | "blood" | "corticalBone";

const MATERIAL: Record<ReferenceTissue, AttenuationMaterial> = {
  air: "air",
  adipose: "adipose",
  muscle: "muscle",
  blood: "blood",
  corticalBone: "corticalBone",
};

/**
 * TotalSegmentator v2 "total" task labels for the reference tissues (class_map_total.json): skeletal
 * muscle = autochthon_left/right (86, 87) and iliopsoas_left/right (88, 89); blood = aorta (52).
 * The task has no subcutaneous-fat or air label: those are found automatically.
 */
export const TOTALSEGMENTATOR_REFERENCE_LABELS: Readonly<Partial<Record<ReferenceTissue, readonly number[]>>> = {
  muscle: [86, 87, 88, 89],
  blood: [52],
};

/** Water displaced per unit mass of K2HPO4 in the Mindways QCT Pro convention (bct-reference.md §1 ✔). */
export const MINDWAYS_WATER_DISPLACEMENT = 0.2174;

/** A robust summary of ROI values. */
export interface RobustStats {
  /** Mean of the values within `k` robust SDs (1.4826 MAD) of the median. */
  mean: number;
  median: number;
  /** Robust SD: 1.4826 * median absolute deviation. */
  sd: number;
  /** Values given / kept. */
  n: number;
  kept: number;
}

/**
 * Outlier-safe mean: the mean of values within `k` robust SDs of the median (k = 3 by default).
 * @throws CalibrationError when there are no values.
 */
export function robustMean(values: ArrayLike<number>, k = 3): RobustStats {
  const n = values.length;
  if (n === 0) throw new CalibrationError("robust mean of an empty ROI");
  const a = Float64Array.from(values).sort();
  const med = n % 2 ? a[(n - 1) / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
  const dev = a.map((x) => Math.abs(x - med)).sort();
  const mad = n % 2 ? dev[(n - 1) / 2] : (dev[n / 2 - 1] + dev[n / 2]) / 2;
  const sd = 1.4826 * mad;
  const lim = sd > 0 ? k * sd : 0.5;
  let s = 0, kept = 0;
  for (let i = 0; i < n; i++) if (Math.abs(a[i] - med) <= lim) (s += a[i]), kept++;
  return { mean: s / kept, median: med, sd, n, kept };
}

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

// ---------------------------------------------------------------------------------------------
// Automatic reference tissues
// ---------------------------------------------------------------------------------------------

/** Options of {@link findReferenceTissues}. */
export interface AutoTissueOptions {
  /** Which tissues to look for. Default air, adipose, muscle, and blood unless `anatomy` is "hip". */
  tissues?: ReferenceTissue[];
  /**
   * "spine" (default): abdominal scan, blood from the aorta. "hip": no aorta in the field of view,
   * so the default tissues are air, adipose and muscle (Lee et al. 2017 use air and hip adipose).
   */
  anatomy?: "spine" | "hip";
  /** HU above which a voxel belongs to the patient (body outline). Default -250 (below the fat, above foam and carbon tables). */
  bodyThresholdHu?: number;
  /** Air: at least this far (mm) outside the body. Default 10. */
  airMarginMm?: number;
  /** Adipose HU window. Default [-190, -30] (the usual CT adipose window ◇). */
  adiposeHu?: [number, number];
  /** Subcutaneous fat: at most this deep (mm) under the skin. Default 40. */
  fatDepthMm?: number;
  /** Muscle HU window. Default [-29, 150] (the usual CT skeletal-muscle window ◇). */
  muscleHu?: [number, number];
  /** Muscle: subcutaneous fat must lie behind it (posteriorly) within this distance (mm). Default 80. */
  fatBehindMm?: number;
  /** Muscle: at least this deep (mm) under the skin and this far from bone (mm). Defaults 15 and 5. */
  muscleDepthMm?: number;
  boneMarginMm?: number;
  /** Bone HU threshold used to find the spine and keep ROIs off bone. Default 200. */
  boneHu?: number;
  /** Aorta ROI radius (mm). Default 6. */
  aortaRadiusMm?: number;
  /** Erosion of each automatic ROI (mm). Default: one voxel (the largest spacing). */
  erodeMm?: number;
}

function defaultTissues(anatomy: "spine" | "hip" | undefined): ReferenceTissue[] {
  return anatomy === "hip" ? ["air", "adipose", "muscle"] : ["air", "adipose", "muscle", "blood"];
}

/** Result of {@link findReferenceTissues}. */
export interface AutoTissueResult {
  masks: Partial<Record<ReferenceTissue, Mask>>;
  body: Mask;
  /** Aorta centre per slice where found (world LPS mm), for display and checks. */
  aortaCentres: { k: number; x: number; y: number }[];
  warnings: string[];
}

/**
 * Find reference-tissue ROIs in a HU volume by HU windows and anatomy (axial slices along voxel
 * axis k are assumed):
 * - **body**: HU > `bodyThresholdHu`, largest 26-connected component, holes filled per slice;
 * - **air**: HU <= -900 at least `airMarginMm` outside the body;
 * - **adipose**: the subcutaneous fat ring, adipose window within `fatDepthMm` of the skin;
 * - **muscle**: muscle window with subcutaneous fat behind it (posteriorly, within `fatBehindMm`:
 *   this keeps out a calibration phantom or table under the back), at least `muscleDepthMm`
 *   deep and `boneMarginMm` from bone, posterior to the spine (paraspinal muscles) where a spine is
 *   found in the slice, otherwise in the posterior half of the body (gluteal muscles);
 * - **blood**: the aorta, a homogeneous soft-tissue disc of `aortaRadiusMm` found anterior-left of
 *   the vertebral body in each slice with a spine (lowest HU SD among candidate discs), kept where its
 *   centre agrees with the median centre within 10 mm.
 * Each ROI is eroded by `erodeMm`. Tissues that cannot be found are left out with a warning.
 */
export function findReferenceTissues(ct: Volume, opts: AutoTissueOptions = {}): AutoTissueResult {
  const warnings: string[] = [];
  const want = new Set(opts.tissues ?? defaultTissues(opts.anatomy));
  const [nx, ny, nz] = ct.dims;
  const nxy = nx * ny;
  const n = ct.data.length;
  const hu = ct.data;
  const geom = { dims: ct.dims, spacing: ct.spacing, origin: ct.origin, direction: ct.direction };
  const mk = (data: Uint8Array): Mask => createVolume({ ...geom, data });
  const erodeMm = opts.erodeMm ?? Math.max(...ct.spacing);
  const boneHu = opts.boneHu ?? 200;

  // body
  const bodyTh = opts.bodyThresholdHu ?? -250;
  const raw = new Uint8Array(n);
  for (let p = 0; p < n; p++) raw[p] = hu[p] > bodyTh ? 1 : 0;
  const cc = connectedComponents({ data: raw, dims: ct.dims }, 26);
  if (cc.count === 0) throw new CalibrationError(`no voxel above ${bodyTh} HU: is this a CT in HU?`);
  let best = 0;
  for (let c = 1; c < cc.sizes.length; c++) if (cc.sizes[c] > cc.sizes[best]) best = c;
  const bodyData = new Uint8Array(n);
  for (let p = 0; p < n; p++) bodyData[p] = cc.labels[p] === best + 1 ? 1 : 0;
  const body = fillHolesPerSlice(mk(bodyData));
  const notBody = new Uint8Array(n);
  for (let p = 0; p < n; p++) notBody[p] = body.data[p] ? 0 : 1;
  const depth2 = squaredDistanceToSeeds(notBody, ct.dims, ct.spacing); // inside: depth under the skin
  const masks: Partial<Record<ReferenceTissue, Mask>> = {};

  const finish = (t: ReferenceTissue, data: Uint8Array, what: string) => {
    let m = mk(data);
    if (erodeMm > 0) m = erode(m, erodeMm);
    let c = 0;
    for (let p = 0; p < n; p++) c += m.data[p];
    if (c < 10) {
      warnings.push(`automatic ${t} ROI not found (${c} voxels after a ${erodeMm} mm erosion): ${what}`);
      return;
    }
    masks[t] = m;
  };

  if (want.has("air")) {
    const out2 = squaredDistanceToSeeds(body.data, ct.dims, ct.spacing);
    const margin = opts.airMarginMm ?? 10;
    const air = new Uint8Array(n);
    for (let p = 0; p < n; p++) air[p] = !body.data[p] && out2[p] > margin * margin && hu[p] <= -900 ? 1 : 0;
    finish("air", air, "the body fills the field of view; give an air ROI or use a label map");
  }

  const [fLo, fHi] = opts.adiposeHu ?? [-190, -30];
  const fatDepth = opts.fatDepthMm ?? 40;
  const fatRing = new Uint8Array(n);
  for (let p = 0; p < n; p++) fatRing[p] = body.data[p] && depth2[p] <= fatDepth * fatDepth && hu[p] >= fLo && hu[p] <= fHi ? 1 : 0;
  if (want.has("adipose")) finish("adipose", fatRing.slice(), "no subcutaneous fat in the adipose window");

  // bone, spine per slice
  const bone = new Uint8Array(n);
  for (let p = 0; p < n; p++) bone[p] = body.data[p] && hu[p] > boneHu ? 1 : 0;
  const xy = new Float64Array(2 * nxy);
  for (let j = 0, q = 0; j < ny; j++) for (let i = 0; i < nx; i++, q++) {
    const w = indexToWorld(ct, [i, j, 0]);
    xy[2 * q] = w[0];
    xy[2 * q + 1] = w[1];
  }
  interface SliceSpine { cx: number; cy: number; halfW: number; spine: { x: number; y: number; yAnt: number } | null }
  const slices: SliceSpine[] = [];
  const minSpineArea = 150; // mm2: a vertebral cross-section is > 600 mm2
  const pixelArea = ct.spacing[0] * ct.spacing[1];
  const median = (a: number[]) => [...a].sort((u, v) => u - v)[a.length >> 1];
  for (let k = 0; k < nz; k++) {
    const base = k * nxy;
    let sx = 0, sy = 0, c = 0, xmin = Infinity, xmax = -Infinity;
    for (let q = 0; q < nxy; q++) {
      if (!body.data[base + q]) continue;
      sx += xy[2 * q];
      sy += xy[2 * q + 1];
      c++;
      xmin = Math.min(xmin, xy[2 * q]);
      xmax = Math.max(xmax, xy[2 * q]);
    }
    if (!c) {
      slices.push({ cx: NaN, cy: NaN, halfW: 0, spine: null });
      continue;
    }
    const cx = sx / c, cy = sy / c;
    // spine: bone within 40 mm of the body's midline; its anterior edge is the most anterior bone
    // within 12 mm of the spine's x and at most 60 mm in front of the median bone y (this leaves out
    // the pubis and anterior ribs)
    const xs: number[] = [], ys: number[] = [];
    for (let q = 0; q < nxy; q++) {
      if (bone[base + q] && Math.abs(xy[2 * q] - cx) < 40) {
        xs.push(xy[2 * q]);
        ys.push(xy[2 * q + 1]);
      }
    }
    let spine: SliceSpine["spine"] = null;
    if (xs.length * pixelArea >= minSpineArea) {
      const x = median(xs), ym = median(ys);
      let yAnt = Infinity;
      for (let t = 0; t < xs.length; t++) if (Math.abs(xs[t] - x) < 12 && ys[t] >= ym - 60) yAnt = Math.min(yAnt, ys[t]);
      if (Number.isFinite(yAnt)) spine = { x, y: ym, yAnt };
    }
    slices.push({ cx, cy, halfW: (xmax - xmin) / 2, spine });
  }

  if (want.has("muscle")) {
    const bm = opts.boneMarginMm ?? 5;
    const near = bm > 0 ? dilate(mk(bone), bm).data : bone;
    const [mLo, mHi] = opts.muscleHu ?? [-29, 150];
    const md = opts.muscleDepthMm ?? 15;
    // Patient side of the subcutaneous fat: muscle has adipose tissue behind it (posterior, along the
    // column of voxels) within fatBehindMm; a calibration phantom or table under the back has not.
    const fatBehind = new Uint8Array(n);
    const L = opts.fatBehindMm ?? 80;
    const sgn = ct.direction[4] >= 0 ? 1 : -1; // +j is posterior when the j axis points along +y
    // eroded ring: the one-voxel partial-volume rim of a phantom or table edge is not fat
    const fatCore = erode(mk(fatRing), Math.max(...ct.spacing)).data;
    for (let k = 0; k < nz; k++) for (let i = 0; i < nx; i++) {
      let last = Infinity;
      for (let t = 0; t < ny; t++) {
        const j = sgn > 0 ? ny - 1 - t : t;
        const p = i + nx * (j + ny * k);
        if (fatCore[p]) last = 0;
        else last += ct.spacing[1];
        if (last <= L) fatBehind[p] = 1;
      }
    }
    const muscle = new Uint8Array(n);
    for (let k = 0; k < nz; k++) {
      const s = slices[k];
      if (!Number.isFinite(s.cx)) continue;
      const yRef = s.spine ? s.spine.y : s.cy;
      const xRef = s.spine ? s.spine.x : s.cx;
      const xLim = s.spine ? 80 : 0.6 * s.halfW;
      for (let q = 0, p = k * nxy; q < nxy; q++, p++) {
        if (!fatBehind[p] || fatRing[p] || near[p] || depth2[p] < md * md) continue;
        if (hu[p] < mLo || hu[p] > mHi) continue;
        if (xy[2 * q + 1] <= yRef || Math.abs(xy[2 * q] - xRef) > xLim) continue;
        muscle[p] = 1;
      }
    }
    finish("muscle", muscle, "no soft tissue in the muscle window behind the spine or in the posterior body");
  }

  const aortaCentres: AutoTissueResult["aortaCentres"] = [];
  if (want.has("blood")) {
    const r = opts.aortaRadiusMm ?? 6;
    const di = Math.ceil(r / ct.spacing[0]), dj = Math.ceil(r / ct.spacing[1]);
    const offs: number[] = [];
    for (let b = -dj; b <= dj; b++) for (let a = -di; a <= di; a++) {
      if ((a * ct.spacing[0]) ** 2 + (b * ct.spacing[1]) ** 2 <= r * r) offs.push(a + nx * b);
    }
    const found: { k: number; q: number; x: number; y: number }[] = [];
    for (let k = 0; k < nz; k++) {
      const s = slices[k];
      if (!s.spine) continue;
      const base = k * nxy;
      let bestSd = Infinity, bestQ = -1;
      for (let j = dj; j < ny - dj; j++) for (let i = di; i < nx - di; i++) {
        const q = i + nx * j;
        // anterior-left of the vertebral body (LPS: +x left, -y anterior)
        const dx = xy[2 * q] - s.spine.x, dy = s.spine.yAnt - xy[2 * q + 1];
        if (dx < -5 || dx > 40 || dy < r || dy > 45) continue;
        let sum = 0, sum2 = 0, inWin = 0;
        let ok = true;
        for (const o of offs) {
          const p = base + q + o;
          const v = hu[p];
          if (!body.data[p] || v > boneHu || v < -30) {
            ok = false;
            break;
          }
          sum += v;
          sum2 += v * v;
          if (v >= 0 && v <= 100) inWin++;
        }
        if (!ok || inWin < 0.9 * offs.length) continue;
        const mean = sum / offs.length;
        const sd = Math.sqrt(Math.max(0, sum2 / offs.length - mean * mean));
        if (sd < bestSd) {
          bestSd = sd;
          bestQ = q;
        }
      }
      if (bestQ >= 0) found.push({ k, q: bestQ, x: xy[2 * bestQ], y: xy[2 * bestQ + 1] });
    }
    if (found.length) {
      const med = (a: number[]) => [...a].sort((u, v) => u - v)[a.length >> 1];
      const mx = med(found.map((f) => f.x)), my = med(found.map((f) => f.y));
      const blood = new Uint8Array(n);
      for (const f of found) {
        if (Math.hypot(f.x - mx, f.y - my) > 10) continue;
        aortaCentres.push({ k: f.k, x: f.x, y: f.y });
        for (const o of offs) blood[f.k * nxy + f.q + o] = 1;
      }
      let c = 0;
      for (let p = 0; p < n; p++) c += blood[p];
      // the disc is already inside the lumen: no erosion
      if (c >= 10) masks.blood = mk(blood);
      else warnings.push("automatic blood (aorta) ROI not found: fewer than 10 consistent voxels");
    } else {
      warnings.push("automatic blood (aorta) ROI not found: no spine in the field of view, or no homogeneous soft-tissue disc anterior-left of it; give a label map (TotalSegmentator aorta = 52)");
    }
  }
  return { masks, body, aortaCentres, warnings };
}

// ---------------------------------------------------------------------------------------------
// The whole method
// ---------------------------------------------------------------------------------------------

/** Options of {@link internalCalibration}. */
export interface InternalCalibrationOptions extends InternalFitOptions, AutoTissueOptions {
  /** A label map (any grid; resampled to the CT grid by nearest neighbour when it differs). */
  labels?: Volume;
  /** Label numbers per tissue in `labels`. Default {@link TOTALSEGMENTATOR_REFERENCE_LABELS}. */
  labelIds?: Partial<Record<ReferenceTissue, readonly number[]>>;
  /** Explicit ROI masks on the CT grid (used as given, not eroded). */
  masks?: Partial<Record<ReferenceTissue, Mask>>;
  /** Erosion of label-map ROIs (mm). Default one voxel (the largest spacing). */
  labelErodeMm?: number;
  /** Minimum ROI voxels. Default 10. */
  minVoxels?: number;
}

/**
 * Internal calibration of a CT volume (HU): ROIs from `masks`, then `labels`, then automatic search,
 * per tissue; robust means; effective energy; K2HPO4-equivalent fit. See the module notes.
 * @throws CalibrationError when fewer than 2 (3 without a fixed energy) tissues can be measured, or
 *   a given mask is on another grid.
 */
export function internalCalibration(ct: Volume, opts: InternalCalibrationOptions = {}): InternalCalibrationResult {
  const warnings: string[] = [];
  const tissues = opts.tissues ?? defaultTissues(opts.anatomy);
  const minVoxels = opts.minVoxels ?? 10;
  const rois: Partial<Record<ReferenceTissue, { mask: Mask; source: TissueSample["source"]; labels?: number[] }>> = {};
  for (const t of tissues) {
    const m = opts.masks?.[t];
    if (!m) continue;
    if (!sameGrid(m, ct)) throw new CalibrationError(`the ${t} mask is not on the CT grid: resample it (resampleToGrid, nearest) first`);
    rois[t] = { mask: m, source: "mask" };
  }
  if (opts.labels) {
    let lab = opts.labels;
    if (!sameGrid(lab, ct)) {
      lab = resampleToGrid(lab, ct, { interpolation: "nearest", fill: 0 });
      warnings.push("the label map is on a different grid from the CT: it was resampled onto the CT grid (nearest neighbour)");
    }
    const ids = opts.labelIds ?? TOTALSEGMENTATOR_REFERENCE_LABELS;
    const er = opts.labelErodeMm ?? Math.max(...ct.spacing);
    for (const t of tissues) {
      if (rois[t] || !ids[t]) continue;
      const set = new Set(ids[t]);
      const data = new Uint8Array(ct.data.length);
      let c = 0;
      for (let p = 0; p < data.length; p++) if (set.has(lab.data[p])) (data[p] = 1), c++;
      if (!c) {
        warnings.push(`label map has none of the ${t} labels ${[...set].join(", ")}: ${t} is searched automatically`);
        continue;
      }
      let m: Mask = createVolume({ dims: ct.dims, spacing: ct.spacing, origin: ct.origin, direction: ct.direction, data });
      if (er > 0) {
        const e = erode(m, er);
        let ce = 0;
        for (let p = 0; p < data.length; p++) ce += e.data[p];
        if (ce >= minVoxels) m = e;
        else warnings.push(`the ${t} label ROI vanishes under a ${er} mm erosion (${ce} voxels): used uneroded`);
      }
      rois[t] = { mask: m, source: "label map", labels: [...set] };
    }
  }
  const missing = tissues.filter((t) => !rois[t]);
  if (missing.length) {
    const auto = findReferenceTissues(ct, { ...opts, tissues: missing });
    warnings.push(...auto.warnings);
    for (const t of missing) if (auto.masks[t]) rois[t] = { mask: auto.masks[t]!, source: "automatic" };
  }
  const samples: TissueSample[] = [];
  for (const t of tissues) {
    const r = rois[t];
    if (!r) continue;
    const vals: number[] = [];
    for (let p = 0; p < ct.data.length; p++) if (r.mask.data[p]) vals.push(ct.data[p]);
    if (vals.length < minVoxels) {
      warnings.push(`the ${t} ROI has ${vals.length} voxels (< ${minVoxels}): left out`);
      continue;
    }
    const st = robustMean(vals);
    samples.push({ tissue: t, hu: st.mean, medianHu: st.median, sdHu: st.sd, voxels: vals.length, source: r.source, labels: r.labels });
  }
  const res = internalCalibrationFromSamples(samples, opts);
  return { ...res, warnings: [...warnings, ...res.warnings] };
}
