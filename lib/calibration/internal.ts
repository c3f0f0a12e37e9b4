/**
 * Internal (phantomless) calibration: HU -> K2HPO4-equivalent density (mg/cm3) from the patient's
 * own reference tissues (air, adipose, skeletal muscle, blood; optionally cortical bone).
 *
 * ## Method
 * 1. **Reference tissue ROIs** (lib/segmentation/reference-tissues), found automatically
 *    ({@link findReferenceRegions}: air outside the body, the subcutaneous fat ring, paraspinal/gluteal
 *    muscle, the aorta beside the spine; searched on a 3 mm working grid, `workingSpacingMm`), or
 *    taken from a label map (e.g. TotalSegmentator: {@link TOTALSEGMENTATOR_REFERENCE_LABELS}), or
 *    given as masks. Each ROI is eroded (`erodeMm`); the **full-resolution** HU of its voxels are
 *    summarised by a robust mean ({@link robustMean}).
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
 * const cal = internalCalibration(ct);                         // automatic tissue ROIs (3 mm working grid)
 * const full = internalCalibration(ct, { workingSpacingMm: 0 }); // the search on the scan's own grid
 * const cal2 = internalCalibration(ct, { labels: totalSeg });  // TotalSegmentator muscle + aorta
 * const density = applyCalibration(ct, cal.fit);               // mg/cm3 K2HPO4
 * console.log(cal.effectiveEnergyKeV, cal.fit.slope, cal.warnings);
 * ```
 * @module
 */
import { sameGrid, type Volume } from "../volume/volume.js";
import { resampleToGrid } from "../volume/resample.js";
import { type Mask } from "../segmentation/mask.js";
import {
  defaultReferenceTissues, findReferenceRegions, labelReferenceRegions, sampleReferenceRegions, TOTALSEGMENTATOR_REFERENCE_LABELS,
  type AutoTissueOptions, type ReferenceTissue,
} from "../segmentation/reference-tissues.js";
import { CalibrationError } from "./fit.js";
import { internalCalibrationFromSamples, type InternalCalibrationResult, type InternalFitOptions, type TissueSample } from "./internal-fit.js";
import { robustMean } from "./robust.js";

// The tissue finding lives in lib/segmentation/reference-tissues, the fit in ./internal-fit and the
// robust mean in ./robust; re-exported here so `calibration/internal` keeps offering the whole method.
export {
  findReferenceRegions, findReferenceTissues, sampleReferenceRegions, TOTALSEGMENTATOR_REFERENCE_LABELS,
  type AutoTissueOptions, type AutoTissueResult, type ReferenceRegions, type ReferenceTissue,
} from "../segmentation/reference-tissues.js";
export {
  internalCalibrationFromSamples, MINDWAYS_WATER_DISPLACEMENT,
  type InternalCalibrationResult, type InternalFitOptions, type ReferenceAtEnergy, type TissueSample,
} from "./internal-fit.js";
export { robustMean, type RobustStats } from "./robust.js";

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

/** The HU of each tissue's ROI and where it came from. */
type TissueValues = Partial<Record<ReferenceTissue, { values: ArrayLike<number>; source: TissueSample["source"]; labels?: number[] }>>;

/** The full-resolution HU of each tissue: from `masks`, then `labels`, then the automatic search. */
function tissueValues(ct: Volume, tissues: ReferenceTissue[], opts: InternalCalibrationOptions, warnings: string[]): TissueValues {
  const rois: TissueValues = {};
  for (const t of tissues) {
    const m = opts.masks?.[t];
    if (!m) continue;
    if (!sameGrid(m, ct)) throw new CalibrationError(`the ${t} mask is not on the CT grid: resample it (resampleToGrid, nearest) first`);
    const vals: number[] = [];
    for (let p = 0; p < ct.data.length; p++) if (m.data[p]) vals.push(ct.data[p]);
    rois[t] = { values: vals, source: "mask" };
  }
  if (opts.labels) {
    let lab = opts.labels;
    if (!sameGrid(lab, ct)) {
      lab = resampleToGrid(lab, ct, { interpolation: "nearest", fill: 0 });
      warnings.push("the label map is on a different grid from the CT: it was resampled onto the CT grid (nearest neighbour)");
    }
    const r = labelReferenceRegions(ct, lab, { tissues: tissues.filter((t) => !rois[t]), labelIds: opts.labelIds, erodeMm: opts.labelErodeMm, minVoxels: opts.minVoxels });
    warnings.push(...r.warnings);
    for (const [t, v] of Object.entries(r.values) as [ReferenceTissue, Float32Array][]) rois[t] = { values: v, source: "label map", labels: r.labels[t] };
  }
  const missing = tissues.filter((t) => !rois[t]);
  if (missing.length) {
    const regions = findReferenceRegions(ct, { ...opts, tissues: missing });
    warnings.push(...regions.warnings);
    const values = sampleReferenceRegions(ct, regions);
    for (const t of missing) if (values[t]) rois[t] = { values: values[t]!, source: "automatic" };
  }
  return rois;
}

/**
 * Internal calibration of a CT volume (HU): ROIs from `masks`, then `labels`, then automatic search,
 * per tissue; robust means of their full-resolution HU; effective energy; K2HPO4-equivalent fit. See
 * the module notes.
 * @throws CalibrationError when fewer than 2 (3 without a fixed energy) tissues can be measured, or
 *   a given mask is on another grid; SegmentationError when the scan has no body (not a CT in HU).
 */
export function internalCalibration(ct: Volume, opts: InternalCalibrationOptions = {}): InternalCalibrationResult {
  const warnings: string[] = [];
  const tissues = opts.tissues ?? defaultReferenceTissues(opts.anatomy);
  const minVoxels = opts.minVoxels ?? 10;
  const rois = tissueValues(ct, tissues, opts, warnings);
  const samples: TissueSample[] = [];
  for (const t of tissues) {
    const r = rois[t];
    if (!r) continue;
    if (r.values.length < minVoxels) {
      warnings.push(`the ${t} ROI has ${r.values.length} voxels (< ${minVoxels}): left out`);
      continue;
    }
    const st = robustMean(r.values);
    samples.push({ tissue: t, hu: st.mean, medianHu: st.median, sdHu: st.sd, voxels: r.values.length, source: r.source, labels: r.labels });
  }
  const res = internalCalibrationFromSamples(samples, opts);
  return { ...res, warnings: [...warnings, ...res.warnings] };
}
