/**
 * Spine densitometry from calibrated CT: the DXA-equivalent areal BMD of each lumbar level (an
 * anterior-posterior projection, as a DXA scanner sees the spine) and the QCT trabecular volumetric
 * BMD of the vertebral centrum with its ACR category. The steps live in their own modules:
 * - `dxa/projection`: the AP projection (the hip's projectDensity, viewed along LPS +y);
 * - `dxa/spine-regions`: each level's Hologic-style region, the soft-tissue baseline and the aBMD;
 * - `dxa/spine-roi`: the trabecular ROI and its mean;
 * - `dxa/spine-density`: K2HPO4 <-> HA at the scan's effective energy.
 *
 * ## AP aBMD on the DXA scale
 * Per level, from that level's own vertebra and body (so `bct analyze --level L1`, which gives one
 * vertebra, and `bct dxa`, which gives L1-L4, report the same L1): the region is the body's
 * projected width plus 2 mm each side (transverse processes out, as a DXA region leaves them out)
 * between lines 4 mm into the discs above and below the endplates; the BMC is the projected mineral
 * above the soft-tissue baseline (the calibrated density minus that of the soft tissue beside the
 * vertebra, over the vertebra and one voxel round it: what DXA's two-energy decomposition reports,
 * which takes the tissue inside the bone for the soft tissue beside it), the area the vertebra's
 * shadow inside the region, aBMD = BMC / area (g/cm2). The total L1-L4 aBMD is the sum of the BMCs
 * over the sum of the areas of the levels available (the usual DXA total ◇). Details and the
 * model's limits: `dxa/spine-regions`.
 *
 * Reference ranges the result is checked against (test/dxa/spine.test.ts): L1-L4 aBMD of adult men
 * on Hologic DXA, peak 1.091 +- 0.114 g/cm2 with no significant change with age (1.071 - 0.0007 age;
 * German population sample, Calcif Tissue Int 1995;56:350 ◇, abstract); per-level projected areas
 * about 13-18 cm2 in adult men (Hologic L1 smallest, L4 largest ◇). Published CT-vs-DXA agreement:
 * CTXA hip aBMD vs DXA R = 0.97 (neck) and 0.95 (total hip) in 69 patients (Cann et al. 2014 ✔,
 * bct-reference.md §6); for the spine only indirect figures were found: L1 BMC estimated from chest CT
 * vs DXA, r = 0.754, mean absolute error 1.64 g (BMC Musculoskelet Disord 2023, 24:114 ◇). QCT and
 * DXA spine disagree by design: DXA includes the posterior elements and degenerative bone that QCT's
 * trabecular ROI excludes (Scientifica 2014:765629, Fig. 5 ◇).
 *
 * ## QCT trabecular vBMD (`dxa/spine-roi`)
 * The mean density of an elliptic-cylinder ROI in the mid-body, the cortex left out by depth from the
 * body surface (4 mm). The reported trabecular vBMD is the mean over L1 and L2 when both are there
 * (the ACR practice parameter averages two vertebrae, typically L1-L2 ◇), else over the levels
 * available; it is given in mg/cm3 calcium hydroxyapatite (the ACR unit), rounded to 1 mg/cm3 (BCT
 * reporting precision, Keaveny et al. 2020 ✔), with the category of {@link acrCategory}; each level
 * also carries its own value and category.
 *
 * ## Density equivalents
 * bct's calibrated density is K2HPO4-equivalent; the ACR cut-points are in HA. No confirmed scalar
 * K2HPO4 <-> HA conversion is published (bct-reference.md §1), so {@link densityConverter} converts
 * between the two at the scan's effective energy E (`calibration/density` mineralConversion): the same
 * attenuation excess over water read as K2HPO4 or as HA, rhoHA = 1.0080 rhoK at 60 keV, 1.0283 at 70,
 * 1.0497 at 80 (d_K = 0.2174, d_HA = 1/3.16). Give E as {@link SpineDxaOptions.effectiveEnergyKeV};
 * without it the default {@link DEFAULT_EFFECTIVE_ENERGY_KEV} (70 keV ◇) is used with a warning. The
 * model is marked "unverified" (single-energy cross-calibrations measured rhoHA = 1.16-1.23 rhoK,
 * Goodsitt 1992). The aBMD is reported in the input density's own equivalent (the pipeline gives HA).
 *
 * @example
 * ```ts
 * import { spineDxa, vertebraeFromLabels } from "bct/lib/dxa/spine";
 * const vertebrae = vertebraeFromLabels(levels, { L1: 31, L2: 30, L3: 29, L4: 28 }, density);
 * const { result } = spineDxa(density, vertebrae, { densityMeasure: "rhoHA" });
 * result.aBMD;            // { L1: 0.62, L2: ..., } g/cm2
 * result.totalABMD;       // L1-L4
 * result.trabecularVBMD;  // mg/cm3 HA (mean of L1-L2), result.category: "normal" | "low" | "osteoporosis"
 * ```
 * @module
 */
import { mineralConversion } from "../calibration/density.js";
import { DEFAULT_EFFECTIVE_ENERGY_KEV, type MineralMeasure } from "../calibration/energy.js";
import { BctError } from "../errors.js";
import { labelMaskOnGrid, labelsPresent } from "../segmentation/labels.js";
import type { Mask } from "../segmentation/mask.js";
import { isolateVertebralBody } from "../segmentation/vertebra.js";
import { boundingBox } from "../volume/crop.js";
import type { GridGeometry } from "../volume/resample.js";
import { createVolume, type Vec3, type Volume } from "../volume/volume.js";
import type { ProjectionImage } from "./projection.js";
import { ACR_VBMD_CUTPOINTS_MG_CM3_HA, acrCategory, type VbmdCategory } from "./reference.js";
import { asMask, checkGrid, round, SpineDxaError } from "./spine-common.js";
import { densityConverter, type DensityConversionStep, type DensityConverter, type DensityConverterOptions } from "./spine-density.js";
import { defaultSpinePixelMm, levelAbmd, levelRegion, mergeImages, softTissueBaseline, spineApFrame, SPINE_REGION_DEFAULTS, type LevelRegion, type SoftTissueBaseline, type SpineRegionOptions } from "./spine-regions.js";
import { SPINE_ROI_DEFAULTS, trabecularCentrumRoi, type SpineRoiOptions, type TrabecularRoi } from "./spine-roi.js";

export { SpineDxaError } from "./spine-common.js";
export * from "./spine-density.js";
export * from "./spine-regions.js";
export * from "./spine-roi.js";

// ---------------------------------------------------------------------------------------------
// Label maps
// ---------------------------------------------------------------------------------------------

/** One vertebra given to {@link spineDxa}. Masks are non-zero inside, on the density grid. */
export interface VertebraInput {
  /** Level name, e.g. "L1". */
  level: string;
  /** The whole vertebra (body and posterior elements). */
  mask: Volume;
  /** The vertebral body only; found with isolateVertebralBody when absent. */
  body?: Volume;
  /** Warnings from making the masks, passed on to the result. */
  warnings?: string[];
}

/** Options of {@link vertebraeFromLabels}. */
export interface VertebraeFromLabelsOptions {
  /** A body label map (e.g. TotalSegmentator "vertebrae_body": 1 = body): body = level mask AND this label. */
  body?: { map: Volume; label: number };
  /** Leave out levels whose label is absent from the map instead of throwing. Default false. */
  skipMissing?: boolean;
}

/**
 * The vertebrae of a label map (e.g. TotalSegmentator: L1 31, L2 30, L3 29, L4 28), each put on
 * `grid` (the density's grid) by nearest-neighbour resampling when the grids differ
 * (`labelMaskOnGrid`).
 * @throws SegmentationError when a level's label is absent (unless `skipMissing`) or vanishes on the grid.
 * @example
 * ```ts
 * const vs = vertebraeFromLabels(levels, { L1: 31, L2: 30, L3: 29, L4: 28 }, density, { skipMissing: true });
 * ```
 */
export function vertebraeFromLabels(labelMap: Volume, levels: Readonly<Record<string, number>>, grid: GridGeometry, opts: VertebraeFromLabelsOptions = {}): VertebraInput[] {
  const present = new Set(labelsPresent(labelMap).map((p) => p.label));
  const bodyMask = opts.body ? labelMaskOnGrid(opts.body.map, opts.body.label, grid) : null;
  const out: VertebraInput[] = [];
  for (const [level, label] of Object.entries(levels)) {
    if (opts.skipMissing && !present.has(label)) continue;
    const r = labelMaskOnGrid(labelMap, label, grid, { names: { [label]: level } });
    const v: VertebraInput = { level, mask: r.mask, warnings: [...r.warnings] };
    if (bodyMask) {
      const b = new Uint8Array(r.mask.data.length);
      let n = 0;
      for (let p = 0; p < b.length; p++) if (r.mask.data[p] && bodyMask.mask.data[p]) (b[p] = 1), n++;
      if (n) v.body = createVolume({ dims: r.mask.dims, spacing: r.mask.spacing, origin: r.mask.origin, direction: r.mask.direction, data: b });
      else v.warnings!.push(`the body label map has no body voxel in ${level}: the body is isolated from the vertebra mask instead`);
    }
    out.push(v);
  }
  return out;
}


// ---------------------------------------------------------------------------------------------
// The spine densitometry
// ---------------------------------------------------------------------------------------------

/** Options of {@link spineDxa}. */
export interface SpineDxaOptions extends SpineRegionOptions {
  /** Measure of the input density. Default "rhoK" (mg/cm3 K2HPO4, bct's calibration output). */
  densityMeasure?: "rhoK" | "rhoHA";
  /**
   * Effective energy of the scan (keV) for the K2HPO4 <-> HA conversion: an internal calibration's
   * `effectiveEnergyKeV`, or `calibration/energy` effectiveEnergyFromFit of a phantom fit. Default
   * {@link DEFAULT_EFFECTIVE_ENERGY_KEV} (70 keV ◇), with a warning.
   */
  effectiveEnergyKeV?: number;
  /**
   * Water displaced per unit mineral mass in each density's convention. Default rhoK 0.2174 (Mindways,
   * bct's calibration default: pass the calibration's own `waterDisplacement`, 0 for the embedded
   * synthetic phantoms), rhoHA 1/3.16.
   */
  waterDisplacement?: Partial<Record<MineralMeasure, number>>;
  /** Levels of the total aBMD. Default L1-L4 (those available). */
  totalLevels?: readonly string[];
  /** Levels averaged for the trabecular vBMD. Default L1 and L2 when both are available, else the available L1-L4 (else all). */
  trabecularLevels?: readonly string[];
  roi?: SpineRoiOptions;
}

/** Per-level numbers of {@link SpineDxaResult}. */
export interface SpineLevelResult {
  level: string;
  /** g/cm2 (mineral above the soft-tissue baseline / projected area), 3 decimals; null when the level has no projected bone. */
  aBMD: number | null;
  bmcG: number;
  areaCm2: number;
  /** The region's mineral relative to water (no baseline) and the soft tissue removed by the baseline (g). */
  grossBmcG: number;
  baselineG: number;
  /** The soft-tissue baseline (mg/cm3 in the input measure), how many voxels it was measured on, and how. */
  baseline: { densityMgCm3: number; sdMgCm3: number; voxels: number; source: SoftTissueBaseline["source"] };
  /** Trabecular vBMD (mg/cm3), 1 decimal; null when no ROI could be placed. */
  trabecularVBMD_HA: number | null;
  trabecularVBMD_K2HPO4: number | null;
  /** ACR category of this level's own trabecular vBMD (HA, rounded to 1 mg/cm3). */
  category: VbmdCategory | null;
  /** False when the vertebra mask touches the edge of the volume (cut by the field of view). */
  complete: boolean;
  /** The level's region: world x (patient left) and z (superior) limits (mm), and the body's edges and endplates. */
  region: { xMm: [number, number]; zMm: [number, number]; body: { xMm: [number, number]; zMm: [number, number] } };
  roi: { centre: Vec3; axis: Vec3; semiAxesMm: [number, number]; bodyExtentMm: [number, number]; heightMm: number; voxels: number; volumeCm3: number; sdK2HPO4: number; medianK2HPO4: number } | null;
}

/** The JSON-serialisable result of {@link spineDxa}. */
export interface SpineDxaResult {
  site: "spine";
  /** aBMD per level (g/cm2, 3 decimals), cranial first. */
  aBMD: Record<string, number>;
  /** Sum of BMC / sum of area over `totalLevels` (g/cm2, 3 decimals); null when none is available. */
  totalABMD: number | null;
  totalLevels: string[];
  totalBmcG: number;
  totalAreaCm2: number;
  levels: SpineLevelResult[];
  /** Trabecular vBMD, mg/cm3 hydroxyapatite (the ACR unit), rounded to 1 mg/cm3. */
  trabecularVBMD: number | null;
  /** The same in mg/cm3 K2HPO4, rounded to 1 mg/cm3. */
  trabecularVBMD_K2HPO4: number | null;
  trabecularLevels: string[];
  /** ACR category of the rounded HA value. */
  category: VbmdCategory | null;
  densityEquivalent: {
    input: "rhoK" | "rhoHA";
    reported: "rhoHA";
    /** The conversion from the input measure to the other one. */
    conversion: { formula: string; steps: DensityConversionStep[]; confidence: "verified" | "unverified" };
    /** Effective energy of the conversion (keV), and whether it was given or defaulted. */
    effectiveEnergyKeV: number;
    energySource: "given" | "default";
    /** Water displaced per unit mineral mass used for each measure. */
    waterDisplacement: Record<MineralMeasure, number>;
    /** rhoHA / rhoK at that energy. */
    haPerK2HPO4: number;
    /** The ACR cut-points (HA) in mg/cm3 K2HPO4 through this conversion. */
    acrCutpointsK2HPO4: { osteoporosis: number; normal: number };
  };
  projection: { axis: string; pixelMm: number; totalMineralG: number };
  regionOptions: { lateralMarginMm: number; discMarginMm: number; shellVoxels: number; baseline: "adjacent" | number; baselineGapMm: number; baselineWidthMm: number; softTissueRange: [number, number] };
  roiOptions: Required<SpineRoiOptions>;
  warnings: string[];
}

/** Intermediate results kept for display. */
export interface SpineDxaArtifacts {
  /** All levels' images of mineral above their baselines (g/cm2) on one canvas, with the vertebrae's shadow. */
  projection: ProjectionImage;
  /** Each level's region (world mm). */
  regions: LevelRegion[];
  /** The body masks used (given or isolated), by level. */
  bodies: Record<string, Mask>;
  /** Trabecular ROIs, by level. */
  rois: Record<string, TrabecularRoi>;
}

interface Lv { level: string; mask: Mask; body: Mask | null; complete: boolean; cz: number }

/** Masks on the grid, the body of each level (given or isolated), completeness, cranio-caudal order. */
function prepareLevels(density: Volume, vertebrae: readonly VertebraInput[], warnings: string[]): Lv[] {
  if (!vertebrae.length) throw new SpineDxaError("no vertebra given");
  const names = vertebrae.map((v) => v.level);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new SpineDxaError(`level ${dup} is given twice`);
  const lvs: Lv[] = [];
  for (const v of vertebrae) {
    checkGrid(`the ${v.level} mask`, v.mask, density);
    for (const w of v.warnings ?? []) warnings.push(`${v.level}: ${w}`);
    const mask = asMask(v.mask);
    const box = boundingBox(mask, (x) => x !== 0);
    if (!box) throw new SpineDxaError(`the ${v.level} mask is empty`);
    const complete = [0, 1, 2].every((c) => box.min[c] > 0 && box.max[c] < density.dims[c]);
    if (!complete) warnings.push(`${v.level}: the vertebra touches the edge of the volume (cut by the field of view): its aBMD and vBMD are incomplete and it is left out of the totals`);
    let body: Mask | null = null;
    if (v.body) {
      checkGrid(`the ${v.level} body mask`, v.body, density);
      body = asMask(v.body);
    } else {
      try {
        const b = isolateVertebralBody(mask);
        body = b.body;
        for (const w of b.warnings) warnings.push(`${v.level} body: ${w}`);
      } catch (e) {
        if (!(e instanceof BctError)) throw e;
        warnings.push(`${v.level}: the vertebral body could not be isolated (${e.message}): no trabecular ROI, and the whole vertebra sets the region`);
      }
    }
    lvs.push({ level: v.level, mask, body, complete, cz: 0.5 * (box.min[2] + box.max[2]) * density.spacing[2] * density.direction[8] + density.origin[2] });
  }
  return lvs.sort((a, b) => b.cz - a.cz); // cranial first (world z of the mask box centre)
}

interface Converters { toHA: (x: number) => number; toK: (x: number) => number; toOther: DensityConverter; kToHA: DensityConverter; haToK: DensityConverter; input: "rhoK" | "rhoHA" }

function converters(opts: SpineDxaOptions): Converters {
  const input = opts.densityMeasure ?? "rhoK";
  const convOpts: DensityConverterOptions = { effectiveEnergyKeV: opts.effectiveEnergyKeV, waterDisplacement: opts.waterDisplacement };
  const toOther = densityConverter(input, input === "rhoK" ? "rhoHA" : "rhoK", convOpts);
  return {
    input, toOther,
    toHA: (x) => (input === "rhoHA" ? x : toOther.convert(x)),
    toK: (x) => (input === "rhoK" ? x : toOther.convert(x)),
    kToHA: input === "rhoK" ? toOther : densityConverter("rhoK", "rhoHA", convOpts),
    haToK: input === "rhoHA" ? toOther : densityConverter("rhoHA", "rhoK", convOpts),
  };
}

/** One level: region, baseline, aBMD, trabecular ROI. */
function measureLevel(density: Volume, l: Lv, pixelMm: number, opts: SpineDxaOptions, roiOpts: Required<SpineRoiOptions>, cv: Converters, warnings: string[]) {
  const frame = spineApFrame(density);
  const region = levelRegion(l.level, l.body ?? l.mask, pixelMm, opts);
  const baseline = softTissueBaseline(density, l.mask, region, opts);
  if (baseline.source === "none") warnings.push(`${l.level}: too little soft tissue beside the vertebra (${baseline.voxels} voxels) to measure the soft-tissue baseline: the mineral is taken relative to water (baseline 0)`);
  const a = levelAbmd(density, l.mask, region, baseline, frame, pixelMm, opts);
  let roi: TrabecularRoi | null = null;
  if (l.body && !l.complete) warnings.push(`${l.level}: no trabecular ROI on a vertebra cut by the field of view`);
  else if (l.body) {
    try {
      roi = trabecularCentrumRoi(density, l.body, roiOpts);
      for (const w of roi.warnings) warnings.push(`${l.level} ROI: ${w}`);
    } catch (e) {
      if (!(e instanceof BctError)) throw e;
      warnings.push(`${l.level}: no trabecular ROI: ${e.message}`);
    }
  }
  if (a.areaMm2 === 0) warnings.push(`${l.level}: no projected bone in its region`);
  const ha = roi ? round(cv.toHA(roi.mean), 1) : null;
  const level: SpineLevelResult = {
    level: l.level,
    aBMD: a.areaMm2 > 0 ? round((a.bmcMg / a.areaMm2) * 0.1, 3) : null,
    bmcG: round(a.bmcMg / 1000, 3),
    areaCm2: round(a.areaMm2 / 100, 2),
    grossBmcG: round(a.grossMg / 1000, 3),
    baselineG: round(a.baselineMg / 1000, 3),
    baseline: { densityMgCm3: round(baseline.densityMgCm3, 1), sdMgCm3: round(baseline.sdMgCm3, 1), voxels: baseline.voxels, source: baseline.source },
    trabecularVBMD_HA: ha,
    trabecularVBMD_K2HPO4: roi ? round(cv.toK(roi.mean), 1) : null,
    category: ha === null ? null : acrCategory(Math.round(ha)),
    complete: l.complete,
    region: { xMm: region.xMm.map((x) => round(x, 2)) as [number, number], zMm: region.zMm.map((x) => round(x, 2)) as [number, number], body: { xMm: region.body.xMm.map((x) => round(x, 2)) as [number, number], zMm: region.body.zMm.map((x) => round(x, 2)) as [number, number] } },
    roi: roi ? { centre: roi.centre.map((x) => round(x, 2)) as Vec3, axis: roi.axis.map((x) => round(x, 4)) as Vec3, semiAxesMm: [round(roi.semiAxesMm[0], 2), round(roi.semiAxesMm[1], 2)], bodyExtentMm: [round(roi.bodyExtentMm[0], 2), round(roi.bodyExtentMm[1], 2)], heightMm: round(roi.heightMm, 2), voxels: roi.voxels, volumeCm3: round(roi.volumeCm3, 3), sdK2HPO4: round(roi.sd * (cv.input === "rhoK" ? 1 : Math.abs(cv.toOther.slope)), 1), medianK2HPO4: round(cv.toK(roi.median), 1) } : null,
  };
  return { level, region, abmd: a, roi, rawK: roi ? cv.toK(roi.mean) : null };
}

/** The levels of the total aBMD and its BMC and area (raw mg, mm2). */
function totalAbmd(levels: SpineLevelResult[], raw: Map<string, { bmcMg: number; areaMm2: number }>, opts: SpineDxaOptions, warnings: string[]) {
  const available = new Set(levels.filter((l) => l.complete && l.aBMD !== null).map((l) => l.level));
  const wanted = opts.totalLevels ?? ["L1", "L2", "L3", "L4"];
  let totalLevels = wanted.filter((l) => available.has(l));
  if (!totalLevels.length && !opts.totalLevels) {
    totalLevels = levels.filter((l) => available.has(l.level)).map((l) => l.level);
    if (totalLevels.length) warnings.push(`none of L1-L4 is available: the total aBMD covers ${totalLevels.join(", ")}`);
  }
  const missing = wanted.filter((l) => !available.has(l));
  if (missing.length && totalLevels.length) warnings.push(`the total aBMD leaves out ${missing.join(", ")} (not given, cut by the field of view, or without bone)`);
  let bmc = 0, area = 0;
  for (const l of totalLevels) (bmc += raw.get(l)!.bmcMg), (area += raw.get(l)!.areaMm2);
  return { totalLevels, bmc, area };
}

/** The levels averaged for the trabecular vBMD and the mean (K2HPO4). */
function trabecularMean(levels: SpineLevelResult[], rawK: Map<string, number>, opts: SpineDxaOptions, warnings: string[]) {
  const withRoi = levels.filter((l) => rawK.has(l.level)).map((l) => l.level);
  let trabLevels: string[];
  if (opts.trabecularLevels) {
    trabLevels = opts.trabecularLevels.filter((l) => rawK.has(l));
    const miss = opts.trabecularLevels.filter((l) => !rawK.has(l));
    if (miss.length) warnings.push(`no trabecular vBMD for ${miss.join(", ")}: left out of the mean`);
  } else if (rawK.has("L1") && rawK.has("L2")) {
    trabLevels = ["L1", "L2"];
  } else {
    const lumbar = withRoi.filter((l) => ["L1", "L2", "L3", "L4"].includes(l));
    trabLevels = lumbar.length ? lumbar : withRoi;
    if (trabLevels.length) warnings.push(`L1 and L2 are not both available: the trabecular vBMD is the mean of ${trabLevels.join(", ")} (QCT practice averages two vertebrae, typically L1-L2 ◇)`);
  }
  if (!trabLevels.length) warnings.push("no trabecular ROI could be placed: no trabecular vBMD and no ACR category");
  return { trabLevels, trabK: trabLevels.length ? trabLevels.reduce((s, l) => s + rawK.get(l)!, 0) / trabLevels.length : null };
}

/** The density-equivalent record and its warnings. */
function densityEquivalent(cv: Converters, opts: SpineDxaOptions, warnings: string[]): SpineDxaResult["densityEquivalent"] {
  const model = cv.kToHA.mineral!;
  const convOpts = { waterDisplacement: opts.waterDisplacement };
  if (model.energySource === "default") {
    warnings.push(
      `no effective energy given: K2HPO4 <-> HA is converted at the default ${model.effectiveEnergyKeV} keV (◇, a typical 120 kVp effective energy); ` +
        `give effectiveEnergyKeV (the internal calibration's effectiveEnergyKeV, or effectiveEnergyFromFit of the phantom fit): rhoHA/rhoK would be ` +
        `${mineralConversion("rhoK", "rhoHA", 60, convOpts).factor.toFixed(3)} at 60 keV and ${mineralConversion("rhoK", "rhoHA", 80, convOpts).factor.toFixed(3)} at 80 keV`,
    );
  }
  warnings.push(
    `${cv.input === "rhoK" ? "trabecular vBMD in mg/cm3 HA is converted from K2HPO4" : "the K2HPO4 values are converted from HA"} as ${cv.toOther.formula} ` +
      `(attenuation equivalence at ${+model.effectiveEnergyKeV.toFixed(2)} keV, water displacement ${+model.waterDisplacement.rhoK.toFixed(4)} for K2HPO4 and ${+model.waterDisplacement.rhoHA.toFixed(4)} for HA; ` +
      `a monoenergetic model, not a published conversion: single-energy cross-calibrations measured rhoHA = 1.16-1.23 rhoK, Goodsitt 1992), so the ACR category is uncertain near its cut-points ` +
      `(${ACR_VBMD_CUTPOINTS_MG_CM3_HA.osteoporosis} and ${ACR_VBMD_CUTPOINTS_MG_CM3_HA.normal} mg/cm3 HA = ${cv.haToK.convert(ACR_VBMD_CUTPOINTS_MG_CM3_HA.osteoporosis).toFixed(1)} and ${cv.haToK.convert(ACR_VBMD_CUTPOINTS_MG_CM3_HA.normal).toFixed(1)} mg/cm3 K2HPO4 here)`,
  );
  warnings.push("the ACR cut-points assume the ROI and calibration of a QCT spine exam; this ROI and calibration are bct's own and not validated against QCT Pro (◇)");
  return {
    input: cv.input,
    reported: "rhoHA",
    conversion: { formula: cv.toOther.formula, steps: cv.toOther.steps, confidence: cv.toOther.confidence },
    effectiveEnergyKeV: model.effectiveEnergyKeV,
    energySource: model.energySource,
    waterDisplacement: model.waterDisplacement,
    haPerK2HPO4: model.factor,
    acrCutpointsK2HPO4: { osteoporosis: round(cv.haToK.convert(ACR_VBMD_CUTPOINTS_MG_CM3_HA.osteoporosis), 1), normal: round(cv.haToK.convert(ACR_VBMD_CUTPOINTS_MG_CM3_HA.normal), 1) },
  };
}

/**
 * Spine densitometry from a calibrated density volume and the lumbar vertebrae: AP aBMD per level
 * (each from its own region and soft-tissue baseline) and in total, and the QCT trabecular vBMD with
 * its ACR category (see the module notes).
 * @throws SpineDxaError for no vertebra, duplicate level names, masks off the density grid or empty.
 * @example
 * ```ts
 * const { result, artifacts } = spineDxa(density, vertebraeFromLabels(levels, { L1: 31, L2: 30, L3: 29, L4: 28 }, density));
 * console.log(result.aBMD, result.totalABMD, result.trabecularVBMD, result.category);
 * ```
 */
export function spineDxa(density: Volume, vertebrae: readonly VertebraInput[], opts: SpineDxaOptions = {}): { result: SpineDxaResult; artifacts: SpineDxaArtifacts } {
  const warnings: string[] = [];
  const lvs = prepareLevels(density, vertebrae, warnings);
  const roiOpts = { ...SPINE_ROI_DEFAULTS, ...opts.roi };
  const regionOpts = { ...SPINE_REGION_DEFAULTS, ...opts };
  const pixelMm = opts.pixelMm ?? defaultSpinePixelMm(density);
  if (!(pixelMm > 0)) throw new SpineDxaError(`pixelMm must be positive, got ${pixelMm}`);
  if (Math.max(...density.spacing) > 2) {
    warnings.push(`the density grid's voxels are ${density.spacing.map((s) => s.toFixed(2)).join(" x ")} mm: coarse for spine densitometry; bone edges in the projection are steps of that size`);
  }
  const cv = converters(opts);
  const measured = lvs.map((l) => measureLevel(density, l, pixelMm, opts, roiOpts, cv, warnings));
  const levels = measured.map((m) => m.level);
  const raw = new Map(measured.map((m) => [m.level.level, { bmcMg: m.abmd.bmcMg, areaMm2: m.abmd.areaMm2 }]));
  const rawK = new Map<string, number>();
  for (const m of measured) if (m.rawK !== null) rawK.set(m.level.level, m.rawK);
  const total = totalAbmd(levels, raw, opts, warnings);
  const { trabLevels, trabK } = trabecularMean(levels, rawK, opts, warnings);
  const trabHA = trabK === null ? null : Math.round(cv.kToHA.convert(trabK));
  const eq = densityEquivalent(cv, opts, warnings);
  const aBMD: Record<string, number> = {};
  for (const l of levels) if (l.aBMD !== null) aBMD[l.level] = l.aBMD;
  const frame = spineApFrame(density);
  const projection = mergeImages(measured.map((m) => m.abmd.image), frame);
  const bodies: Record<string, Mask> = {}, rois: Record<string, TrabecularRoi> = {};
  for (const [t, m] of measured.entries()) {
    if (lvs[t].body) bodies[m.level.level] = lvs[t].body!;
    if (m.roi) rois[m.level.level] = m.roi;
  }
  const result: SpineDxaResult = {
    site: "spine",
    aBMD,
    totalABMD: total.area > 0 ? round((total.bmc / total.area) * 0.1, 3) : null,
    totalLevels: total.totalLevels,
    totalBmcG: round(total.bmc / 1000, 3),
    totalAreaCm2: round(total.area / 100, 2),
    levels,
    trabecularVBMD: trabHA,
    trabecularVBMD_K2HPO4: trabK === null ? null : Math.round(trabK),
    trabecularLevels: trabLevels,
    category: trabHA === null ? null : acrCategory(trabHA),
    densityEquivalent: eq,
    projection: { axis: "world LPS +y (anterior -> posterior); image columns along +x (patient left), rows along -z (inferior)", pixelMm, totalMineralG: round(projection.totalMineralG, 4) },
    regionOptions: { lateralMarginMm: regionOpts.lateralMarginMm, discMarginMm: regionOpts.discMarginMm, shellVoxels: regionOpts.shellVoxels, baseline: regionOpts.baseline, baselineGapMm: regionOpts.baselineGapMm, baselineWidthMm: regionOpts.baselineWidthMm, softTissueRange: regionOpts.softTissueRange },
    roiOptions: roiOpts,
    warnings,
  };
  return { result, artifacts: { projection, regions: measured.map((m) => m.region), bodies, rois } };
}
