/**
 * Reference-tissue regions for the internal (phantomless) calibration: air outside the body, the
 * subcutaneous fat ring, paraspinal or gluteal muscle, and the aorta beside the spine, found in a HU
 * volume by HU windows and anatomy; or the regions of a label map (TotalSegmentator). Calibration
 * (lib/calibration/internal) receives the HU samples of these regions and fits the line.
 *
 * ## Working grid
 * A clinical scan (512 x 512 x 300 voxels of 0.78 x 0.78 x 1 mm) has ~80 M voxels; the tissues are
 * large (centimetres) and the search needs distance transforms, connected components and erosions.
 * So the anatomy is found on a **working grid**: the scan averaged over blocks of f_c voxels along
 * each axis c, f_c = max(1, round(`workingSpacingMm` / spacing_c)) (default 3 mm: 4 x 4 x 3 blocks
 * on the clinical grid, 1 x 1 x 1 on a 3 mm scan, where the search is the full one). There the body,
 * the depth under the skin, the spine per slice, the bone margin and the fat behind the muscle are
 * found; each ROI is then made at **full resolution**, as the full search makes it:
 * - air: the working-grid blocks (10 mm outside the body, no partial volume to keep out);
 * - adipose and muscle: the scan voxels of the blocks where the anatomy allows the tissue, in the
 *   tissue's HU window by their own HU, eroded by one scan voxel ({@link refineAtFullResolution});
 * - blood: the spine of each scan slice from its own bone voxels and the aorta disc searched on the
 *   scan's own voxels (row prefix sums keep that cheap).
 * The calibration takes the full-resolution HU of these ROIs ({@link sampleReferenceRegions}). With
 * `workingSpacingMm: 0` everything runs on the scan's own grid (the full route, minutes on a
 * clinical grid); the two agree within 1% in calibration slope (test/calibration/internal-fast).
 *
 * @example
 * ```ts
 * import { findReferenceRegions, sampleReferenceRegions } from "bct/lib/segmentation/reference-tissues";
 * const regions = findReferenceRegions(ct, { anatomy: "spine" }); // on a 3 mm working grid
 * const samples = sampleReferenceRegions(ct, regions);            // full-resolution HU per tissue
 * console.log(regions.factor, samples.muscle?.length, regions.warnings);
 * ```
 * @module
 */
import { boundingBox } from "../volume/crop.js";
import { createVolume, indexToWorld, worldToIndex, type Vec3, type Volume } from "../volume/volume.js";
import { fillHolesPerSlice } from "./bone.js";
import { connectedComponents } from "./components.js";
import { squaredDistanceToSeeds } from "./distance.js";
import { SegmentationError, type Mask } from "./mask.js";
import { dilate, erode } from "./morphology.js";

/** Reference tissues of the internal calibration. */
export type ReferenceTissue = "air" | "adipose" | "muscle" | "blood" | "corticalBone";

/**
 * TotalSegmentator v2 "total" task labels for the reference tissues (class_map_total.json): skeletal
 * muscle = autochthon_left/right (86, 87) and iliopsoas_left/right (88, 89); blood = aorta (52).
 * The task has no subcutaneous-fat or air label: those are found automatically.
 */
export const TOTALSEGMENTATOR_REFERENCE_LABELS: Readonly<Partial<Record<ReferenceTissue, readonly number[]>>> = {
  muscle: [86, 87, 88, 89],
  blood: [52],
};

/** Options of {@link findReferenceRegions} and {@link findReferenceTissues}. */
export interface AutoTissueOptions {
  /** Which tissues to look for. Default air, adipose, muscle, and blood unless `anatomy` is "hip". */
  tissues?: ReferenceTissue[];
  /**
   * "spine" (default): abdominal scan, blood from the aorta. "hip": no aorta in the field of view,
   * so the default tissues are air, adipose and muscle (Lee et al. 2017 use air and hip adipose).
   */
  anatomy?: "spine" | "hip";
  /**
   * Spacing (mm) of the working grid the regions are found on (block means of the scan; see the
   * module notes). Default 3; 0 searches on the scan's own grid.
   */
  workingSpacingMm?: number;
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
  /**
   * Erosion of each automatic ROI (mm). Default: one voxel of the working grid (its largest spacing),
   * so every scan voxel of a kept block lies inside the tissue; air (already `airMarginMm` outside
   * the body): one voxel of the scan.
   */
  erodeMm?: number;
}

/** The default tissues for an anatomy. */
export function defaultReferenceTissues(anatomy: "spine" | "hip" | undefined): ReferenceTissue[] {
  return anatomy === "hip" ? ["air", "adipose", "muscle"] : ["air", "adipose", "muscle", "blood"];
}

/**
 * A region of the scan held compactly: scan voxel (i, j, k) belongs to it when `mask` voxel
 * (floor((i - offset[0]) / factor[0]), ...) is set. A working-grid mask has offset 0; a
 * full-resolution mask cropped to a box has factor 1 and the box's first voxel as offset.
 */
export interface ScanRegion {
  mask: Mask;
  factor: Vec3;
  offset: Vec3;
}

/** Result of {@link findReferenceRegions}. */
export interface ReferenceRegions {
  /** The working grid's block size (voxels of the scan per working voxel along i, j, k). */
  factor: Vec3;
  /** The region of each tissue found. */
  regions: Partial<Record<ReferenceTissue, ScanRegion>>;
  /** The body on the working grid. */
  body: Mask;
  /** Aorta disc centre per scan slice where found (world LPS mm), for display and checks. */
  aortaCentres: { k: number; x: number; y: number }[];
  warnings: string[];
}

/** Result of {@link findReferenceTissues}: masks on the scan's grid. */
export interface AutoTissueResult {
  masks: Partial<Record<ReferenceTissue, Mask>>;
  body: Mask;
  /** Aorta disc centre per scan slice where found (world LPS mm). */
  aortaCentres: { k: number; x: number; y: number }[];
  warnings: string[];
}

/** The working-grid block size of a scan: f_c = max(1, round(working / spacing_c)). */
export function workingFactor(spacing: Vec3, workingSpacingMm: number): Vec3 {
  return spacing.map((s) => (workingSpacingMm > 0 ? Math.max(1, Math.round(workingSpacingMm / s)) : 1)) as Vec3;
}

/**
 * The block means of `v` over blocks of `factor` voxels (the last block along an axis may be
 * partial): a Float32 volume whose voxel centres are the blocks' centres.
 */
export function blockMean(v: Volume, factor: Vec3): Volume<Float32Array> {
  const [nx, ny, nz] = v.dims;
  const [fx, fy, fz] = factor;
  const cx = Math.ceil(nx / fx), cy = Math.ceil(ny / fy), cz = Math.ceil(nz / fz);
  const sum = new Float64Array(cx * cy * cz);
  const d = v.data;
  for (let k = 0; k < nz; k++) {
    const K = Math.floor(k / fz) * cx * cy;
    for (let j = 0; j < ny; j++) {
      const row = K + Math.floor(j / fy) * cx;
      const p = nx * (j + ny * k);
      for (let I = 0; I < cx; I++) {
        const i1 = Math.min(nx, (I + 1) * fx);
        let s = 0;
        for (let i = I * fx; i < i1; i++) s += d[p + i];
        sum[row + I] += s;
      }
    }
  }
  // voxels per block (the last block along an axis may be partial)
  const len = (n: number, f: number, I: number) => Math.min(n, (I + 1) * f) - I * f;
  const out = new Float32Array(sum.length);
  for (let K = 0, q = 0; K < cz; K++) for (let J = 0; J < cy; J++) {
    const c = len(nz, fz, K) * len(ny, fy, J);
    for (let I = 0; I < cx; I++, q++) out[q] = sum[q] / (c * len(nx, fx, I));
  }
  return createVolume({
    dims: [cx, cy, cz], spacing: [v.spacing[0] * fx, v.spacing[1] * fy, v.spacing[2] * fz],
    origin: indexToWorld(v, [(fx - 1) / 2, (fy - 1) / 2, (fz - 1) / 2]), direction: v.direction, data: out,
  });
}

/**
 * Find the reference-tissue regions on the working grid (see the module notes), by HU windows and
 * anatomy (axial slices along voxel axis k are assumed):
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
 * Each ROI but the aorta disc is eroded by `erodeMm`. Tissues that cannot be found are left out with
 * a warning.
 * @throws SegmentationError when no voxel lies above the body threshold (not a CT in HU).
 */
export function findReferenceRegions(ct: Volume, opts: AutoTissueOptions = {}): ReferenceRegions {
  const factor = workingFactor(ct.spacing, opts.workingSpacingMm ?? 3);
  const coarse = factor.some((f) => f > 1);
  const work: Volume = coarse ? blockMean(ct, factor) : ct;
  const want = new Set(opts.tissues ?? defaultReferenceTissues(opts.anatomy));
  const s = searchContext(work, opts);
  const regions: Partial<Record<ReferenceTissue, ScanRegion>> = {};
  const warnings: string[] = [];
  const keep = (t: ReferenceTissue, r: ScanRegion, erodeMm: number, what: string) => {
    const c = countSet(r.mask.data) * r.factor[0] * r.factor[1] * r.factor[2]; // scan voxels
    if (c < 10) warnings.push(`automatic ${t} ROI not found (${c} voxels after a ${+erodeMm.toFixed(2)} mm erosion): ${what}`);
    else regions[t] = r;
  };
  const onWorkingGrid = (t: ReferenceTissue, data: Uint8Array, what: string, erodeMm = s.erodeMm) =>
    keep(t, { mask: erodeMm > 0 ? erode(s.mk(data), erodeMm) : s.mk(data), factor, offset: [0, 0, 0] }, erodeMm, what);
  // Adipose and muscle on a coarse working grid: the anatomy (where) from the working grid, the HU
  // window and the erosion at full resolution, as the full search does them.
  const fullErode = opts.erodeMm ?? Math.max(...ct.spacing);
  const refined = (t: ReferenceTissue, where: Uint8Array, window: [number, number], what: string) =>
    keep(t, refineAtFullResolution(ct, s.mk(where), factor, window, fullErode), fullErode, what);
  // Air lies airMarginMm outside the body already (no partial volume to keep out): eroded by the
  // scan's own voxel, not the working grid's, so a narrow air gap in a small field of view remains.
  if (want.has("air")) onWorkingGrid("air", airRegion(s, opts), "the body fills the field of view; give an air ROI or use a label map", fullErode);
  const fatRing = fatRingRegion(s, opts, true);
  const fatWhat = "no subcutaneous fat in the adipose window";
  if (want.has("adipose")) {
    if (coarse) refined("adipose", fatRingRegion(s, opts, false), opts.adiposeHu ?? ADIPOSE_HU, fatWhat);
    else onWorkingGrid("adipose", fatRing.slice(), fatWhat);
  }
  const slices = want.has("muscle") || want.has("blood") ? sliceSpines(s) : [];
  const muscleWhat = "no soft tissue in the muscle window behind the spine or in the posterior body";
  if (want.has("muscle")) {
    if (coarse) refined("muscle", muscleRegion(s, opts, fatRing, slices, false), opts.muscleHu ?? MUSCLE_HU, muscleWhat);
    else onWorkingGrid("muscle", muscleRegion(s, opts, fatRing, slices, true), muscleWhat);
  }
  const aortaCentres: ReferenceRegions["aortaCentres"] = [];
  if (want.has("blood")) {
    // the disc is already inside the lumen: no erosion
    const a = coarse ? refineAortaAtFullResolution(ct, s, slices, factor, opts.aortaRadiusMm ?? 6) : aortaRegion(s, opts, slices);
    aortaCentres.push(...a.centres);
    if (a.region) regions.blood = a.region;
    else warnings.push(a.warning!);
  }
  return { factor, regions, body: s.body, aortaCentres, warnings };
}

/** Default adipose and muscle HU windows (the usual CT windows ◇). */
const ADIPOSE_HU: [number, number] = [-190, -30];
const MUSCLE_HU: [number, number] = [-29, 150];

/**
 * The full-resolution ROI of a tissue: scan voxels whose working-grid block is in `where` and whose
 * own HU lies in `window`, eroded by `erodeMm`; held in the bounding box of `where` grown by one voxel
 * (so the erosion is the same as on the whole scan).
 */
function refineAtFullResolution(ct: Volume, where: Mask, factor: Vec3, window: [number, number], erodeMm: number): ScanRegion {
  const box = inclusiveBox(where, (x) => x !== 0);
  const a = [0, 0, 0] as Vec3, dims = [1, 1, 1] as Vec3;
  if (box) {
    for (let c = 0; c < 3; c++) {
      a[c] = Math.max(0, box[0][c] * factor[c] - 1);
      dims[c] = Math.min(ct.dims[c] - 1, (box[1][c] + 1) * factor[c]) - a[c] + 1;
    }
  }
  const [bx, by, bz] = dims;
  const [nx, ny] = ct.dims;
  const [cx, cy] = where.dims;
  const bi = Int32Array.from({ length: bx }, (_, i) => Math.min(cx - 1, Math.floor((i + a[0]) / factor[0])));
  const roi = new Uint8Array(bx * by * bz);
  const [lo, hi] = window;
  const d = ct.data, w = where.data;
  if (box) {
    for (let k = 0, q = 0; k < bz; k++) {
      const K = Math.floor((k + a[2]) / factor[2]) * cx * cy;
      for (let j = 0; j < by; j++) {
        const row = K + Math.floor((j + a[1]) / factor[1]) * cx;
        const p0 = a[0] + nx * (j + a[1] + ny * (k + a[2]));
        for (let i = 0; i < bx; i++, q++) {
          if (!w[row + bi[i]]) continue;
          const v = d[p0 + i];
          if (v >= lo && v <= hi) roi[q] = 1;
        }
      }
    }
  }
  let mask: Mask = createVolume({ dims, spacing: ct.spacing, origin: indexToWorld(ct, a), direction: ct.direction, data: roi });
  if (erodeMm > 0) mask = erode(mask, erodeMm);
  return { mask, factor: [1, 1, 1], offset: a };
}

/** Index bounding box [lo, hi] (inclusive) of the voxels where `predicate` holds, or null (lib/volume/crop's box, whose max is exclusive). */
function inclusiveBox(v: Volume, predicate: (value: number) => boolean): [Vec3, Vec3] | null {
  const box = boundingBox(v, predicate);
  return box && [box.min, box.max.map((x) => x - 1) as Vec3];
}

/**
 * Find the reference-tissue ROIs with masks on the scan's own grid: {@link findReferenceRegions}
 * with its working-grid masks spread back over their blocks ({@link regionOnGrid}). For display and
 * checks; the calibration samples the regions directly ({@link sampleReferenceRegions}).
 */
export function findReferenceTissues(ct: Volume, opts: AutoTissueOptions = {}): AutoTissueResult {
  const r = findReferenceRegions(ct, opts);
  const masks: Partial<Record<ReferenceTissue, Mask>> = {};
  for (const [t, reg] of Object.entries(r.regions) as [ReferenceTissue, ScanRegion][]) masks[t] = regionOnGrid(ct, reg);
  return { masks, body: regionOnGrid(ct, { mask: r.body, factor: r.factor, offset: [0, 0, 0] }), aortaCentres: r.aortaCentres, warnings: r.warnings };
}

/** A region as a mask on the scan's grid. */
export function regionOnGrid(ct: Volume, r: ScanRegion): Mask {
  if (r.factor.every((f) => f === 1) && r.offset.every((o) => o === 0) && r.mask.dims.every((d, c) => d === ct.dims[c])) return r.mask;
  const out = new Uint8Array(ct.data.length);
  forEachRegionRun(ct.dims, r, (p0, len) => out.fill(1, p0, p0 + len));
  return createVolume({ dims: ct.dims, spacing: ct.spacing, origin: ct.origin, direction: ct.direction, data: out });
}

/**
 * The full-resolution HU of each region's voxels (Float32, in scan order), or every s-th of them,
 * s = ceil(the region's voxel count bound / `maxSamples`), when there may be more than `maxSamples`
 * (default 1,000,000: the air around a patient holds tens of millions of voxels, and a million
 * already fixes its mean to well under 0.1 HU).
 */
export function sampleReferenceRegions(ct: Volume, found: Pick<ReferenceRegions, "regions">, opts: { maxSamples?: number } = {}): Partial<Record<ReferenceTissue, Float32Array>> {
  const out: Partial<Record<ReferenceTissue, Float32Array>> = {};
  const d = ct.data;
  const max = opts.maxSamples ?? 1_000_000;
  for (const [t, r] of Object.entries(found.regions) as [ReferenceTissue, ScanRegion][]) {
    const bound = countSet(r.mask.data) * r.factor[0] * r.factor[1] * r.factor[2];
    const stride = Math.max(1, Math.ceil(bound / max));
    const vals = new Float32Array(Math.ceil(bound / stride));
    let n = 0, c = 0;
    forEachRegionRun(ct.dims, r, (p0, len) => {
      for (let t = (stride - (c % stride)) % stride; t < len; t += stride) vals[n++] = d[p0 + t];
      c += len;
    });
    out[t] = vals.slice(0, n);
  }
  return out;
}

/** Call `f(p0, len)` for every run of scan voxels p0 .. p0 + len - 1 of a region along a row, in scan order. */
function forEachRegionRun(dims: Vec3, r: ScanRegion, f: (p0: number, len: number) => void): void {
  const [nx, ny, nz] = dims;
  const [fx, fy, fz] = r.factor;
  const [ox, oy, oz] = r.offset;
  const [cx, cy, cz] = r.mask.dims;
  const md = r.mask.data;
  const k1 = Math.min(nz, oz + cz * fz), j1 = Math.min(ny, oy + cy * fy);
  for (let k = oz; k < k1; k++) {
    const K = Math.floor((k - oz) / fz) * cx * cy;
    for (let j = oy; j < j1; j++) {
      const row = K + Math.floor((j - oy) / fy) * cx;
      const base = nx * (j + ny * k);
      for (let I = 0; I < cx; I++) {
        if (!md[row + I]) continue;
        const i0 = ox + I * fx;
        let I1 = I + 1;
        while (I1 < cx && md[row + I1]) I1++;
        f(base + i0, Math.min(nx, ox + I1 * fx) - i0);
        I = I1 - 1;
      }
    }
  }
}

function countSet(a: Uint8Array): number {
  let c = 0;
  for (let p = 0; p < a.length; p++) c += a[p];
  return c;
}

/** What every tissue search shares: the working volume, the body, its depth map and in-plane world positions. */
interface SearchContext {
  v: Volume;
  n: number;
  nxy: number;
  body: Mask;
  /** Squared depth (mm^2) under the skin inside the body. */
  depth2: Float64Array;
  /** World x, y of each in-plane voxel (interleaved). */
  xy: Float64Array;
  erodeMm: number;
  boneHu: number;
  mk: (data: Uint8Array) => Mask;
}

function searchContext(v: Volume, opts: AutoTissueOptions): SearchContext {
  const [nx, ny] = v.dims;
  const n = v.data.length, nxy = nx * ny;
  const mk = (data: Uint8Array): Mask => createVolume({ dims: v.dims, spacing: v.spacing, origin: v.origin, direction: v.direction, data });
  const bodyTh = opts.bodyThresholdHu ?? -250;
  const raw = new Uint8Array(n);
  for (let p = 0; p < n; p++) raw[p] = v.data[p] > bodyTh ? 1 : 0;
  const cc = connectedComponents({ data: raw, dims: v.dims }, 26);
  if (cc.count === 0) throw new SegmentationError(`no voxel above ${bodyTh} HU: is this a CT in HU?`);
  let best = 0;
  for (let c = 1; c < cc.sizes.length; c++) if (cc.sizes[c] > cc.sizes[best]) best = c;
  for (let p = 0; p < n; p++) raw[p] = cc.labels[p] === best + 1 ? 1 : 0;
  const body = fillHolesPerSlice(mk(raw));
  const notBody = new Uint8Array(n);
  for (let p = 0; p < n; p++) notBody[p] = body.data[p] ? 0 : 1;
  const depth2 = squaredDistanceToSeeds(notBody, v.dims, v.spacing);
  const xy = new Float64Array(2 * nxy);
  for (let j = 0, q = 0; j < ny; j++) for (let i = 0; i < nx; i++, q++) {
    const w = indexToWorld(v, [i, j, 0]);
    xy[2 * q] = w[0];
    xy[2 * q + 1] = w[1];
  }
  return { v, n, nxy, body, depth2, xy, erodeMm: opts.erodeMm ?? Math.max(...v.spacing), boneHu: opts.boneHu ?? 200, mk };
}

function airRegion(s: SearchContext, opts: AutoTissueOptions): Uint8Array {
  const out2 = squaredDistanceToSeeds(s.body.data, s.v.dims, s.v.spacing);
  const margin = opts.airMarginMm ?? 10;
  const air = new Uint8Array(s.n);
  for (let p = 0; p < s.n; p++) air[p] = !s.body.data[p] && out2[p] > margin * margin && s.v.data[p] <= -900 ? 1 : 0;
  return air;
}

/** The subcutaneous fat ring: body within `fatDepthMm` of the skin, in the adipose window when `windowed`. */
function fatRingRegion(s: SearchContext, opts: AutoTissueOptions, windowed: boolean): Uint8Array {
  const [fLo, fHi] = windowed ? (opts.adiposeHu ?? ADIPOSE_HU) : [-Infinity, Infinity];
  const fatDepth = opts.fatDepthMm ?? 40;
  const hu = s.v.data;
  const ring = new Uint8Array(s.n);
  for (let p = 0; p < s.n; p++) ring[p] = s.body.data[p] && s.depth2[p] <= fatDepth * fatDepth && hu[p] >= fLo && hu[p] <= fHi ? 1 : 0;
  return ring;
}

/** Per slice: body centre and half width, and the spine (median bone x, y; anterior edge y). */
interface SliceSpine { cx: number; cy: number; halfW: number; spine: { x: number; y: number; yAnt: number } | null }

const median = (a: number[]) => [...a].sort((u, v) => u - v)[a.length >> 1];

function sliceSpines(s: Pick<SearchContext, "v" | "nxy" | "xy" | "body" | "boneHu">): SliceSpine[] {
  const [, , nz] = s.v.dims;
  const { nxy, xy, body } = s;
  const hu = s.v.data;
  const slices: SliceSpine[] = [];
  const minSpineArea = 150; // mm2: a vertebral cross-section is > 600 mm2
  const pixelArea = s.v.spacing[0] * s.v.spacing[1];
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
      if (body.data[base + q] && hu[base + q] > s.boneHu && Math.abs(xy[2 * q] - cx) < 40) {
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
  return slices;
}

/**
 * Patient side of the subcutaneous fat: voxels with adipose tissue behind them (posterior, along the
 * column of voxels) within `L` mm; a calibration phantom or table under the back has none.
 */
function fatBehindMap(s: SearchContext, fatRing: Uint8Array, L: number): Uint8Array {
  const [nx, ny, nz] = s.v.dims;
  const fatBehind = new Uint8Array(s.n);
  const sgn = s.v.direction[4] >= 0 ? 1 : -1; // +j is posterior when the j axis points along +y
  // eroded ring: the one-voxel partial-volume rim of a phantom or table edge is not fat
  const fatCore = erode(s.mk(fatRing), Math.max(...s.v.spacing)).data;
  for (let k = 0; k < nz; k++) for (let i = 0; i < nx; i++) {
    let last = Infinity;
    for (let t = 0; t < ny; t++) {
      const j = sgn > 0 ? ny - 1 - t : t;
      const p = i + nx * (j + ny * k);
      if (fatCore[p]) last = 0;
      else last += s.v.spacing[1];
      if (last <= L) fatBehind[p] = 1;
    }
  }
  return fatBehind;
}

/** Paraspinal or gluteal muscle (see {@link findReferenceRegions}); the muscle window and the fat ring are left out unless `windowed`. */
function muscleRegion(s: SearchContext, opts: AutoTissueOptions, fatRing: Uint8Array, slices: SliceSpine[], windowed: boolean): Uint8Array {
  const hu = s.v.data;
  const bone = new Uint8Array(s.n);
  for (let p = 0; p < s.n; p++) bone[p] = s.body.data[p] && hu[p] > s.boneHu ? 1 : 0;
  const bm = opts.boneMarginMm ?? 5;
  const near = bm > 0 ? dilate(s.mk(bone), bm).data : bone;
  const [mLo, mHi] = windowed ? (opts.muscleHu ?? MUSCLE_HU) : [-Infinity, Infinity];
  const md = opts.muscleDepthMm ?? 15;
  const fatBehind = fatBehindMap(s, fatRing, opts.fatBehindMm ?? 80);
  const muscle = new Uint8Array(s.n);
  const { nxy, xy, depth2 } = s;
  for (let k = 0; k < slices.length; k++) {
    const sl = slices[k];
    if (!Number.isFinite(sl.cx)) continue;
    const yRef = sl.spine ? sl.spine.y : sl.cy;
    const xRef = sl.spine ? sl.spine.x : sl.cx;
    const xLim = sl.spine ? 80 : 0.6 * sl.halfW;
    for (let q = 0, p = k * nxy; q < nxy; q++, p++) {
      if (!fatBehind[p] || (windowed && fatRing[p]) || near[p] || depth2[p] < md * md) continue;
      if (hu[p] < mLo || hu[p] > mHi) continue;
      if (xy[2 * q + 1] <= yRef || Math.abs(xy[2 * q] - xRef) > xLim) continue;
      muscle[p] = 1;
    }
  }
  return muscle;
}

/** The best aorta disc per slice with a spine: homogeneous soft tissue anterior-left of the vertebral body. */
function aortaCandidates(s: SearchContext, slices: SliceSpine[], offs: number[], r: number, di: number, dj: number) {
  const [nx, ny] = s.v.dims;
  const hu = s.v.data;
  const found: { k: number; q: number; x: number; y: number }[] = [];
  for (let k = 0; k < slices.length; k++) {
    const sp = slices[k].spine;
    if (!sp) continue;
    const base = k * s.nxy;
    let bestSd = Infinity, bestQ = -1;
    for (let j = dj; j < ny - dj; j++) for (let i = di; i < nx - di; i++) {
      const q = i + nx * j;
      // anterior-left of the vertebral body (LPS: +x left, -y anterior)
      const dx = s.xy[2 * q] - sp.x, dy = sp.yAnt - s.xy[2 * q + 1];
      if (dx < -5 || dx > 40 || dy < r || dy > 45) continue;
      let sum = 0, sum2 = 0, inWin = 0;
      let ok = true;
      for (const o of offs) {
        const p = base + q + o;
        const v = hu[p];
        if (!s.body.data[p] || v > s.boneHu || v < -30) {
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
    if (bestQ >= 0) found.push({ k, q: bestQ, x: s.xy[2 * bestQ], y: s.xy[2 * bestQ + 1] });
  }
  return found;
}

/** The aorta ROI of the search, or why there is none. */
interface AortaRegion { region: ScanRegion | null; centres: ReferenceRegions["aortaCentres"]; warning?: string }

const NO_AORTA = "automatic blood (aorta) ROI not found: no spine in the field of view, or no homogeneous soft-tissue disc anterior-left of it; give a label map (TotalSegmentator aorta = 52)";
const FEW_AORTA = "automatic blood (aorta) ROI not found: fewer than 10 consistent voxels";

function aortaRegion(s: SearchContext, opts: AutoTissueOptions, slices: SliceSpine[]): AortaRegion {
  const nx = s.v.dims[0];
  const r = opts.aortaRadiusMm ?? 6;
  const di = Math.ceil(r / s.v.spacing[0]), dj = Math.ceil(r / s.v.spacing[1]);
  const offs: number[] = [];
  for (let b = -dj; b <= dj; b++) for (let a = -di; a <= di; a++) {
    if ((a * s.v.spacing[0]) ** 2 + (b * s.v.spacing[1]) ** 2 <= r * r) offs.push(a + nx * b);
  }
  const found = aortaCandidates(s, slices, offs, r, di, dj);
  if (!found.length) {
    return { region: null, centres: [], warning: NO_AORTA };
  }
  const mx = median(found.map((f) => f.x)), my = median(found.map((f) => f.y));
  const blood = new Uint8Array(s.n);
  const centres: ReferenceRegions["aortaCentres"] = [];
  for (const f of found) {
    if (Math.hypot(f.x - mx, f.y - my) > 10) continue;
    centres.push({ k: f.k, x: f.x, y: f.y });
    for (const o of offs) blood[f.k * s.nxy + f.q + o] = 1;
  }
  if (countSet(blood) >= 10) return { region: { mask: s.mk(blood), factor: [1, 1, 1], offset: [0, 0, 0] }, centres };
  return { region: null, centres, warning: FEW_AORTA };
}

/**
 * The aorta discs at full resolution: in each scan slice with a spine (found in the slice's own bone
 * voxels near the working slice's body midline), the disc of radius `r` with the lowest HU SD
 * anterior-left of the vertebral body (the criteria of {@link aortaCandidates} on the scan's own
 * voxels, the body from the working grid), kept where its centre agrees with the median centre within
 * 10 mm; held in the discs' bounding box. Disc sums come from row prefix sums (a disc is a stack of
 * row segments), so each candidate costs one step per disc row.
 */
function refineAortaAtFullResolution(ct: Volume, s: SearchContext, slices: SliceSpine[], factor: Vec3, r: number): AortaRegion {
  const [nx, ny, nz] = ct.dims;
  const [hx, hy] = ct.spacing;
  const [cx, cy] = s.v.dims;
  const bi = Int32Array.from({ length: nx }, (_, i) => Math.floor(i / factor[0]));
  const bj = Int32Array.from({ length: ny }, (_, j) => Math.floor(j / factor[1]) * cx);
  const dj = Math.ceil(r / hy);
  // the disc as row segments: row b spans columns -half[b]..half[b]
  // (a row beyond the radius is empty: half -1)
  const half = Array.from({ length: 2 * dj + 1 }, (_, t) => {
    const rest = r * r - ((t - dj) * hy) ** 2;
    return rest < 0 ? -1 : Math.floor(Math.sqrt(rest) / hx + 1e-9);
  });
  const di = Math.max(0, ...half);
  const area = half.reduce((a, h) => a + 2 * h + 1, 0);
  const xy = new Float64Array(2 * nx * ny);
  for (let j = 0, q = 0; j < ny; j++) for (let i = 0; i < nx; i++, q++) {
    const w = indexToWorld(ct, [i, j, 0]);
    xy[2 * q] = w[0];
    xy[2 * q + 1] = w[1];
  }
  const discs: { k: number; i: number; j: number; x: number; y: number }[] = [];
  for (let k = 0; k < nz; k++) {
    const wk = slices[Math.floor(k / factor[2])];
    if (!Number.isFinite(wk.cx)) continue;
    const bodyAt = (i: number, j: number) => s.body.data[bi[i] + bj[j] + Math.floor(k / factor[2]) * cx * cy] === 1;
    const sp = spineInSlice(ct, k, wk.cx, xy, bodyAt, s.boneHu);
    if (!sp) continue;
    const z = indexToWorld(ct, [0, 0, k])[2];
    // index box of the search window (LPS: +x left, -y anterior): x in [sx - 5, sx + 40], y in [yAnt - 45, yAnt - r]
    const corners = [[sp.x - 5, sp.yAnt - 45], [sp.x + 40, sp.yAnt - 45], [sp.x - 5, sp.yAnt - r], [sp.x + 40, sp.yAnt - r]].map(([x, y]) => worldToIndex(ct, [x, y, z]));
    const i0 = Math.max(di, Math.floor(Math.min(...corners.map((c) => c[0])))), i1 = Math.min(nx - 1 - di, Math.ceil(Math.max(...corners.map((c) => c[0]))));
    const j0 = Math.max(dj, Math.floor(Math.min(...corners.map((c) => c[1])))), j1 = Math.min(ny - 1 - dj, Math.ceil(Math.max(...corners.map((c) => c[1]))));
    if (i1 < i0 || j1 < j0) continue;
    // row prefix sums over the window grown by the disc: value, value^2, in [0, 100], and disqualifying voxels
    const a0 = i0 - di, W = i1 - i0 + 2 * di + 2, r0 = j0 - dj, H = j1 - j0 + 2 * dj + 1;
    const S = new Float64Array(W * H), S2 = new Float64Array(W * H), IN = new Int32Array(W * H), BAD = new Int32Array(W * H);
    for (let t = 0; t < H; t++) {
      const j = r0 + t, base = nx * (j + ny * k);
      for (let u = 1; u < W; u++) {
        const i = a0 + u - 1, v = ct.data[base + i], o = t * W + u;
        S[o] = S[o - 1] + v;
        S2[o] = S2[o - 1] + v * v;
        IN[o] = IN[o - 1] + (v >= 0 && v <= 100 ? 1 : 0);
        BAD[o] = BAD[o - 1] + (v > s.boneHu || v < -30 || !bodyAt(i, j) ? 1 : 0);
      }
    }
    let bestSd = Infinity, best: [number, number] | null = null;
    for (let j = j0; j <= j1; j++) for (let i = i0; i <= i1; i++) {
      const q = i + nx * j;
      const dx = xy[2 * q] - sp.x, dy = sp.yAnt - xy[2 * q + 1];
      if (dx < -5 || dx > 40 || dy < r || dy > 45) continue;
      let sum = 0, sum2 = 0, inWin = 0, bad = 0;
      for (let b = 0; b <= 2 * dj; b++) {
        if (half[b] < 0) continue;
        const row = (j - dj + b - r0) * W, lo = row + i - half[b] - a0, hi = row + i + half[b] - a0 + 1;
        bad += BAD[hi] - BAD[lo];
        sum += S[hi] - S[lo];
        sum2 += S2[hi] - S2[lo];
        inWin += IN[hi] - IN[lo];
      }
      if (bad || inWin < 0.9 * area) continue;
      const mean = sum / area, sd = Math.sqrt(Math.max(0, sum2 / area - mean * mean));
      if (sd < bestSd) { bestSd = sd; best = [i, j]; }
    }
    if (best) discs.push({ k, i: best[0], j: best[1], x: xy[2 * (best[0] + nx * best[1])], y: xy[2 * (best[0] + nx * best[1]) + 1] });
  }
  if (!discs.length) return { region: null, centres: [], warning: NO_AORTA };
  const mx = median(discs.map((d) => d.x)), my = median(discs.map((d) => d.y));
  const kept = discs.filter((d) => Math.hypot(d.x - mx, d.y - my) <= 10);
  const centres = kept.map((d) => ({ k: d.k, x: d.x, y: d.y }));
  if (kept.length * area < 10) return { region: null, centres, warning: FEW_AORTA };
  const a: Vec3 = [Math.min(...kept.map((d) => d.i)) - di, Math.min(...kept.map((d) => d.j)) - dj, Math.min(...kept.map((d) => d.k))];
  const dims: Vec3 = [Math.max(...kept.map((d) => d.i)) + di - a[0] + 1, Math.max(...kept.map((d) => d.j)) + dj - a[1] + 1, Math.max(...kept.map((d) => d.k)) - a[2] + 1];
  const data = new Uint8Array(dims[0] * dims[1] * dims[2]);
  for (const d of kept) for (let b = 0; b <= 2 * dj; b++) for (let u = -half[b]; u <= half[b]; u++) data[d.i + u - a[0] + dims[0] * (d.j + b - dj - a[1] + dims[1] * (d.k - a[2]))] = 1;
  return { region: { mask: createVolume({ dims, spacing: ct.spacing, origin: indexToWorld(ct, a), direction: ct.direction, data }), factor: [1, 1, 1], offset: a }, centres };
}

/**
 * The spine of scan slice k from its own bone voxels, as {@link sliceSpines} finds it, given the
 * body's midline x (`cx`, from the working slice): bone (HU > boneHu in the body) within 40 mm of the
 * midline; median x and y; anterior edge within 12 mm of that x and 60 mm of that y.
 */
function spineInSlice(ct: Volume, k: number, cx: number, xy: Float64Array, bodyAt: (i: number, j: number) => boolean, boneHu: number): SliceSpine["spine"] {
  const [nx, ny] = ct.dims;
  const base = nx * ny * k;
  const xs: number[] = [], ys: number[] = [];
  // the columns that can hold x within 40 mm of the midline (all of them on an oblique grid)
  let i0 = 0, i1 = nx - 1;
  if (Math.abs(ct.direction[0]) > 1 - 1e-6) {
    const a = worldToIndex(ct, [cx - 40, 0, 0])[0], b = worldToIndex(ct, [cx + 40, 0, 0])[0];
    i0 = Math.max(0, Math.floor(Math.min(a, b)) - 1);
    i1 = Math.min(nx - 1, Math.ceil(Math.max(a, b)) + 1);
  }
  for (let j = 0; j < ny; j++) for (let i = i0; i <= i1; i++) {
    const q = i + nx * j;
    if (ct.data[base + q] > boneHu && Math.abs(xy[2 * q] - cx) < 40 && bodyAt(i, j)) {
      xs.push(xy[2 * q]);
      ys.push(xy[2 * q + 1]);
    }
  }
  if (xs.length * ct.spacing[0] * ct.spacing[1] < 150) return null; // mm2: a vertebral cross-section is > 600 mm2
  const x = median(xs), ym = median(ys);
  let yAnt = Infinity;
  for (let t = 0; t < xs.length; t++) if (Math.abs(xs[t] - x) < 12 && ys[t] >= ym - 60) yAnt = Math.min(yAnt, ys[t]);
  return Number.isFinite(yAnt) ? { x, y: ym, yAnt } : null;
}

/** Options of {@link labelReferenceRegions}. */
export interface LabelRegionOptions {
  /** Tissues to take from the label map. */
  tissues: ReferenceTissue[];
  /** Label numbers per tissue. Default {@link TOTALSEGMENTATOR_REFERENCE_LABELS}. */
  labelIds?: Partial<Record<ReferenceTissue, readonly number[]>>;
  /** Erosion of each label ROI (mm). Default one voxel (the scan's largest spacing). */
  erodeMm?: number;
  /** Keep an ROI uneroded when the erosion leaves fewer voxels than this. Default 10. */
  minVoxels?: number;
}

/** Result of {@link labelReferenceRegions}: full-resolution HU samples per tissue found in the map. */
export interface LabelRegions {
  values: Partial<Record<ReferenceTissue, Float32Array>>;
  labels: Partial<Record<ReferenceTissue, number[]>>;
  warnings: string[];
}

/**
 * The reference-tissue ROIs of a label map already on the scan's grid (e.g. TotalSegmentator muscle
 * and aorta), each eroded by `erodeMm` (within its bounding box, so a small ROI in a large scan costs
 * little), with the HU of their voxels.
 */
export function labelReferenceRegions(ct: Volume, labels: Volume, opts: LabelRegionOptions): LabelRegions {
  const ids = opts.labelIds ?? TOTALSEGMENTATOR_REFERENCE_LABELS;
  const er = opts.erodeMm ?? Math.max(...ct.spacing);
  const minVoxels = opts.minVoxels ?? 10;
  const out: LabelRegions = { values: {}, labels: {}, warnings: [] };
  for (const t of opts.tissues) {
    if (!ids[t]) continue;
    const set = new Set(ids[t]);
    const box = inclusiveBox(labels, (x) => x !== 0 && set.has(x));
    if (!box) {
      out.warnings.push(`label map has none of the ${t} labels ${[...set].join(", ")}: ${t} is searched automatically`);
      continue;
    }
    // The ROI in its bounding box grown by one background voxel (so the erosion is the same as on the
    // whole scan), except where the box meets the scan's border (outside the scan counts as inside).
    const [lo, hi] = box;
    const a = [0, 1, 2].map((c) => Math.max(0, lo[c] - 1)) as Vec3;
    const b = [0, 1, 2].map((c) => Math.min(ct.dims[c] - 1, hi[c] + 1)) as Vec3;
    const dims = [0, 1, 2].map((c) => b[c] - a[c] + 1) as Vec3;
    const [bx, by] = dims;
    const [nx, ny] = ct.dims;
    const at = (i: number, j: number, k: number) => i + a[0] + nx * (j + a[1] + ny * (k + a[2]));
    const roi = new Uint8Array(dims[0] * dims[1] * dims[2]);
    for (let k = 0, q = 0; k < dims[2]; k++) for (let j = 0; j < by; j++) for (let i = 0; i < bx; i++, q++) {
      if (set.has(labels.data[at(i, j, k)])) roi[q] = 1;
    }
    let m: Uint8Array = roi;
    if (er > 0) {
      const e = erode(createVolume({ dims, spacing: ct.spacing, data: roi }), er).data;
      const ce = countSet(e);
      if (ce >= minVoxels) m = e;
      else out.warnings.push(`the ${t} label ROI vanishes under a ${er} mm erosion (${ce} voxels): used uneroded`);
    }
    const vals = new Float32Array(countSet(m));
    let n = 0;
    for (let k = 0, q = 0; k < dims[2]; k++) for (let j = 0; j < by; j++) for (let i = 0; i < bx; i++, q++) {
      if (m[q]) vals[n++] = ct.data[at(i, j, k)];
    }
    out.values[t] = vals;
    out.labels[t] = [...set];
  }
  return out;
}

