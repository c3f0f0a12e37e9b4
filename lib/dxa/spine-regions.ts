/**
 * Hologic-style lumbar regions on the AP projection and their DXA-equivalent aBMD, one level at a
 * time (see the `dxa/spine` module notes for the model).
 *
 * **Projection.** The shared `dxa/projection` projectDensity, viewed anterior -> posterior along world
 * LPS +y with image columns along +x (patient left: the patient's right on the image's left, as on a
 * DXA print-out) and rows along -z (down = inferior), the frame's origin on the density grid's first
 * voxel centre so that on an axis-aligned grid with pixels the size of the voxels the pixel centres
 * fall on voxel centres ({@link spineApFrame}).
 *
 * **Region of a level** ({@link levelRegion}), from that level's own vertebral body only, so that a
 * level's region and aBMD do not depend on which other levels are given: a rectangle whose columns
 * span the body's projected width (median over the body's middle rows of its left and right edges)
 * plus {@link SpineRegionOptions.lateralMarginMm} (default 2 mm) each side, so the transverse
 * processes beyond the body's lateral walls are left out as a DXA lumbar region leaves them out
 * (◇: Hologic's default region is fitted to the body's width); rows from the height of the body's
 * inferior to that of its superior endplate centre (`anatomy/vertebra` planes; where they cannot be
 * fitted, the medians of the body's projected extents over its middle columns) extended by
 * {@link SpineRegionOptions.discMarginMm} (default 4 mm, about half a lumbar disc's height ◇) into
 * each disc space: the intervertebral lines lie in the discs.
 *
 * **Soft-tissue baseline** ({@link softTissueBaseline}). DXA's two-energy decomposition splits each
 * ray into bone mineral and soft tissue whose composition is read beside the spine (the baseline);
 * within the bone the marrow and other non-mineral tissue are taken for that soft tissue, so the
 * reported BMC is the mineral above it. A calibrated CT density is the attenuation excess over
 * water: projected over the bone it holds the mineral plus the non-mineral tissue's own excess over
 * water. The DXA-equivalent mineral of a bone voxel is therefore rho - rho_st, with rho_st the
 * calibrated density of the soft tissue beside the vertebra: the mean density, in the density's own
 * measure, of the voxels in two lateral strips ({@link SpineRegionOptions.baselineGapMm} 5 mm
 * outside the region, {@link SpineRegionOptions.baselineWidthMm} 20 mm wide) over the region's rows
 * and the vertebra's anterior-posterior extent, leaving out the vertebra (and one voxel round it)
 * and anything outside {@link SpineRegionOptions.softTissueRange} (default -150..100 mg/cm3: gas and
 * bone). (The mineral's own displacement of soft tissue, rho_min/3160 of rho_st, is under 0.5% and
 * neglected.) The BMC collects rho - rho_st over the vertebra mask and
 * {@link SpineRegionOptions.shellVoxels} (default 1) voxel layer round it, so the partial-volume
 * mineral of the cortex's blurred edge is counted and the soft tissue in that shell cancels.
 *
 * **BMC, area, aBMD.** BMC = the projected rho - rho_st over all the region's pixels; area = the
 * region's pixels inside the vertebra's shadow (a DXA edge detection finds the bone's outline); aBMD =
 * BMC / area. A neighbour's process projecting into the region is not counted (DXA would count it):
 * this is what keeps the level's number independent of the other levels.
 *
 * **Where it lands, and what is left.** On the TotalSegmentator example (a 55-year-old man, 3 mm,
 * internal calibration, HA-equivalent) the regions are 15.5-19.0 cm2, in DXA's range, but L1-L4 is
 * 0.545 g/cm2, well under the 1.03 +- 0.11 g/cm2 expected of men of that age (see `dxa/spine`): the
 * vertebrae simply hold about 8-10 g each of K2HPO4/HA-equivalent mineral relative to water, where
 * DXA reports about 14-16 g. More shell voxels do not close it (0.57 with two layers, 0.59 with
 * three). Reading the bone voxels through a published ash law instead, rhoAsh = 1.06 rhoK + 38.9
 * mg/cm3 (Keyak 1994 ✔, `calibration/density`; its intercept is the marrow and matrix deficit that
 * DXA's decomposition removes with the soft tissue), would give 0.73; it is not used here because
 * that law was fitted on femoral specimens and the hip's aBMD (`dxa/hip`) deliberately keeps a scalar
 * equivalent: a choice for the whole DXA side, not for one site.
 * @module
 */
import { vertebraLandmarks } from "../anatomy/vertebra.js";
import { BctError } from "../errors.js";
import { dilate26, projectDensity, type DxaFrame, type ProjectionImage } from "./projection.js";
import type { Mask } from "../segmentation/mask.js";
import { boundingBox } from "../volume/crop.js";
import type { GridGeometry } from "../volume/resample.js";
import { createVolume, worldToIndex, type Vec3, type Volume } from "../volume/volume.js";
import { halfVoxelAlong, median, SpineDxaError, voxelWorld } from "./spine-common.js";

/** Options of the level regions and their aBMD. */
export interface SpineRegionOptions {
  /** Pixel edge (mm). Default the smaller grid spacing along world x and z. A pixel centred on a voxel face (0.5 mm pixels on 1 mm slices) counts as the bone it touches, so give a pixel that divides the spacings an odd number of times. */
  pixelMm?: number;
  /** Region columns beyond the body's projected lateral edges (mm). Default 2. */
  lateralMarginMm?: number;
  /** Region rows beyond the body's endplates, into the discs (mm). Default 4 ◇ (half a lumbar disc). */
  discMarginMm?: number;
  /** Voxel layers round the vertebra mask whose mineral above the baseline is collected. Default 1. */
  shellVoxels?: number;
  /** The soft-tissue baseline: "adjacent" (measured beside the vertebra, default) or a given density (mg/cm3, the input measure; 0 = water). */
  baseline?: "adjacent" | number;
  /** Gap between the region's edge and the baseline strips (mm). Default 5. */
  baselineGapMm?: number;
  /** Width of each baseline strip (mm). Default 20. */
  baselineWidthMm?: number;
  /** Densities counted as soft tissue in the strips (mg/cm3, the input measure). Default [-150, 100]. */
  softTissueRange?: [number, number];
}

/** Defaults of {@link SpineRegionOptions} (pixelMm: from the grid). */
export const SPINE_REGION_DEFAULTS = {
  lateralMarginMm: 2, discMarginMm: 4, shellVoxels: 1, baseline: "adjacent" as "adjacent" | number, baselineGapMm: 5, baselineWidthMm: 20, softTissueRange: [-150, 100] as [number, number],
};

/** Fewer soft-tissue voxels than this in the strips: no baseline can be measured (bct's own check). */
const MIN_BASELINE_VOXELS = 30;

/** A level's region on the AP projection, world LPS mm. */
export interface LevelRegion {
  level: string;
  /** Region limits along world x (patient left) and z (superior). */
  xMm: [number, number];
  zMm: [number, number];
  /** The body's projected width (lateral edges) and its endplates (inferior, superior). */
  body: { xMm: [number, number]; zMm: [number, number] };
}

/** The soft-tissue baseline of a level. */
export interface SoftTissueBaseline {
  /** Density subtracted from every collected voxel (mg/cm3, the input measure). */
  densityMgCm3: number;
  sdMgCm3: number;
  /** Soft-tissue voxels it was measured on (0 when given). */
  voxels: number;
  source: "adjacent" | "given" | "none";
}

/** The aBMD numbers of one level. */
export interface LevelAbmd {
  /** Mineral above the baseline in the region (mg), its projected bone area (mm2). */
  bmcMg: number;
  areaMm2: number;
  /** The same mineral without the baseline (rho relative to water) and the soft tissue removed (mg). */
  grossMg: number;
  baselineMg: number;
  /** The level's image: projected rho - rho_st (g/cm2) and the vertebra's shadow. */
  image: ProjectionImage;
}

/** The AP view of the spine on the density's grid (see the module notes). */
export function spineApFrame(grid: GridGeometry): DxaFrame {
  return { origin: [grid.origin[0], grid.origin[1], grid.origin[2]], ex: [1, 0, 0], ey: [0, 0, -1], view: [0, 1, 0] };
}

/** The default pixel edge: the grid spacing along world x or z, whichever is smaller (mm). */
export function defaultSpinePixelMm(grid: GridGeometry): number {
  return Math.min(halfVoxelAlong(grid, [1, 0, 0]), halfVoxelAlong(grid, [0, 0, 1])) * 2;
}

/**
 * A level's region from its vertebral body alone (see the module notes).
 * @throws SpineDxaError when the body mask is empty.
 * @example
 * ```ts
 * const r = levelRegion("L1", bodyMask, 1);
 * r.xMm; // [left-right limits] = body edges -+ 2 mm; r.zMm: endplates -+ 4 mm
 * ```
 */
export function levelRegion(level: string, body: Mask, pixelMm: number, opts: SpineRegionOptions = {}): LevelRegion {
  const o = { ...SPINE_REGION_DEFAULTS, ...opts };
  const box = boundingBox(body, (x) => x !== 0);
  if (!box) throw new SpineDxaError(`the ${level} body mask is empty`);
  const hx = halfVoxelAlong(body, [1, 0, 0]), hz = halfVoxelAlong(body, [0, 0, 1]);
  const xs: number[] = [], zs: number[] = [];
  const [nx, ny] = body.dims;
  for (let k = box.min[2]; k < box.max[2]; k++) for (let j = box.min[1]; j < box.max[1]; j++) for (let i = box.min[0]; i < box.max[0]; i++) {
    if (!body.data[i + nx * (j + ny * k)]) continue;
    const w = voxelWorld(body, i, j, k);
    xs.push(w[0]); zs.push(w[2]);
  }
  let zLo = Infinity, zHi = -Infinity, xLo = Infinity, xHi = -Infinity;
  for (let t = 0; t < xs.length; t++) (zLo = Math.min(zLo, zs[t])), (zHi = Math.max(zHi, zs[t])), (xLo = Math.min(xLo, xs[t])), (xHi = Math.max(xHi, xs[t]));
  // per row (z bin): lateral edges, over the body's middle half of rows
  const rows = new Map<number, [number, number]>(), cols = new Map<number, [number, number]>();
  for (let t = 0; t < xs.length; t++) {
    const r = Math.round(zs[t] / pixelMm), c = Math.round(xs[t] / pixelMm);
    const a = rows.get(r);
    if (!a) rows.set(r, [xs[t], xs[t]]); else (a[0] = Math.min(a[0], xs[t])), (a[1] = Math.max(a[1], xs[t]));
    const b = cols.get(c);
    if (!b) cols.set(c, [zs[t], zs[t]]); else (b[0] = Math.min(b[0], zs[t])), (b[1] = Math.max(b[1], zs[t]));
  }
  const middle = <T>(m: Map<number, T>, lo: number, hi: number) => [...m.entries()].filter(([key]) => key * pixelMm >= lo + 0.25 * (hi - lo) - 1e-9 && key * pixelMm <= hi - 0.25 * (hi - lo) + 1e-9).map(([, v]) => v);
  const midRows = middle(rows, zLo, zHi), midCols = middle(cols, xLo, xHi);
  const useRows = midRows.length ? midRows : [...rows.values()], useCols = midCols.length ? midCols : [...cols.values()];
  const left = median(useRows.map((a) => a[0])) - hx, right = median(useRows.map((a) => a[1])) + hx;
  let inf = median(useCols.map((b) => b[0])) - hz, sup = median(useCols.map((b) => b[1])) + hz;
  try {
    // the endplates' centres: on a body tilted by lordosis the projected extents overstate the height
    const lm = vertebraLandmarks(body);
    inf = lm.inferiorEndplate.centre[2];
    sup = lm.superiorEndplate.centre[2];
  } catch (e) {
    if (!(e instanceof BctError)) throw e; // too small or flat for planes: the projected extents stay
  }
  return {
    level,
    xMm: [left - o.lateralMarginMm, right + o.lateralMarginMm],
    zMm: [inf - o.discMarginMm, sup + o.discMarginMm],
    body: { xMm: [left, right], zMm: [inf, sup] },
  };
}

/**
 * The soft-tissue baseline beside a vertebra (see the module notes), or the given one.
 * @example
 * ```ts
 * const b = softTissueBaseline(density, vertebraMask, levelRegion("L1", body, 1));
 * b.densityMgCm3; // e.g. 5 mg/cm3: the fat and muscle beside the spine, relative to water
 * ```
 */
export function softTissueBaseline(density: Volume, vertebra: Mask, region: LevelRegion, opts: SpineRegionOptions = {}): SoftTissueBaseline {
  const o = { ...SPINE_REGION_DEFAULTS, ...opts };
  if (typeof o.baseline === "number") {
    if (!Number.isFinite(o.baseline)) throw new SpineDxaError(`the baseline density must be a finite number, got ${o.baseline}`);
    return { densityMgCm3: o.baseline, sdMgCm3: 0, voxels: 0, source: "given" };
  }
  const box = boundingBox(vertebra, (x) => x !== 0)!;
  const hy = halfVoxelAlong(vertebra, [0, 1, 0]);
  let yLo = Infinity, yHi = -Infinity;
  for (const i of [box.min[0], box.max[0] - 1]) for (const j of [box.min[1], box.max[1] - 1]) for (const k of [box.min[2], box.max[2] - 1]) {
    const w = voxelWorld(vertebra, i, j, k);
    yLo = Math.min(yLo, w[1]); yHi = Math.max(yHi, w[1]);
  }
  yLo -= hy; yHi += hy;
  const [x0, x1] = region.xMm, [z0, z1] = region.zMm;
  const strips: [number, number][] = [[x0 - o.baselineGapMm - o.baselineWidthMm, x0 - o.baselineGapMm], [x1 + o.baselineGapMm, x1 + o.baselineGapMm + o.baselineWidthMm]];
  const near = dilate26(vertebra.data, vertebra.dims, 1);
  const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  for (const x of [strips[0][0], strips[1][1]]) for (const y of [yLo, yHi]) for (const z of [z0, z1]) {
    const ijk = worldToIndex(density, [x, y, z]);
    for (let c = 0; c < 3; c++) (lo[c] = Math.min(lo[c], ijk[c])), (hi[c] = Math.max(hi[c], ijk[c]));
  }
  const [nx, ny, nz] = density.dims;
  const [r0, r1] = o.softTissueRange;
  let n = 0, s1 = 0, s2 = 0;
  for (let k = Math.max(0, Math.floor(lo[2])); k <= Math.min(nz - 1, Math.ceil(hi[2])); k++) {
    for (let j = Math.max(0, Math.floor(lo[1])); j <= Math.min(ny - 1, Math.ceil(hi[1])); j++) {
      for (let i = Math.max(0, Math.floor(lo[0])); i <= Math.min(nx - 1, Math.ceil(hi[0])); i++) {
        const p = i + nx * (j + ny * k);
        if (near[p]) continue;
        const w = voxelWorld(density, i, j, k);
        if (w[1] < yLo || w[1] > yHi || w[2] < z0 || w[2] > z1) continue;
        if (!((w[0] >= strips[0][0] && w[0] <= strips[0][1]) || (w[0] >= strips[1][0] && w[0] <= strips[1][1]))) continue;
        const rho = density.data[p];
        if (!(rho >= r0 && rho <= r1)) continue;
        n++; s1 += rho; s2 += rho * rho;
      }
    }
  }
  if (n < MIN_BASELINE_VOXELS) return { densityMgCm3: 0, sdMgCm3: 0, voxels: n, source: "none" };
  const mean = s1 / n;
  return { densityMgCm3: mean, sdMgCm3: n > 1 ? Math.sqrt(Math.max(0, (s2 - n * mean * mean) / (n - 1))) : 0, voxels: n, source: "adjacent" };
}

/** Pixel centre (world x, z) of an image of the spine frame. */
function pixelXZ(img: ProjectionImage, col: number, row: number): [number, number] {
  return [img.frame.origin[0] + col * img.pixelMm, img.frame.origin[2] - row * img.pixelMm];
}

/**
 * A level's BMC above the soft-tissue baseline, projected bone area and image (see the module notes).
 * @throws DxaError (projection) when the vertebra mask is empty.
 * @example
 * ```ts
 * const a = levelAbmd(density, vertebra, region, baseline, spineApFrame(density), 1);
 * a.bmcMg / a.areaMm2 * 0.1; // aBMD, g/cm2
 * ```
 */
export function levelAbmd(density: Volume, vertebra: Mask, region: LevelRegion, baseline: SoftTissueBaseline, frame: DxaFrame, pixelMm: number, opts: SpineRegionOptions = {}): LevelAbmd {
  const o = { ...SPINE_REGION_DEFAULTS, ...opts };
  const popts = { pixelMm, shellVoxels: o.shellVoxels, marginMm: 0 };
  const gross = projectDensity(density, vertebra, frame, popts);
  const ones = createVolume({ dims: density.dims, spacing: density.spacing, origin: density.origin, direction: density.direction, data: new Float32Array(density.data.length).fill(1) });
  const vol = projectDensity(ones, vertebra, frame, popts); // collected volume per pixel: 1 mg/cm3 each
  const pixCm2 = (pixelMm * pixelMm) / 100;
  const data = new Float32Array(gross.data.length);
  let g = 0, v = 0, area = 0;
  for (let row = 0; row < gross.height; row++) for (let col = 0; col < gross.width; col++) {
    const q = col + gross.width * row;
    data[q] = gross.data[q] - baseline.densityMgCm3 * vol.data[q];
    const [x, z] = pixelXZ(gross, col, row);
    if (x < region.xMm[0] || x > region.xMm[1] || z < region.zMm[0] || z > region.zMm[1]) continue;
    g += gross.data[q] * pixCm2 * 1000; // mg
    v += vol.data[q] * pixCm2 * 1000; // mg at 1 mg/cm3 = mm3 / 1000
    if (gross.mask[q]) area += pixelMm * pixelMm;
  }
  const baselineMg = baseline.densityMgCm3 * v;
  return { bmcMg: g - baselineMg, areaMm2: area, grossMg: g, baselineMg, image: { ...gross, data, totalMineralG: gross.totalMineralG - (baseline.densityMgCm3 * vol.totalMineralG) } };
}

/** One image holding several levels' images of the same frame and pixel (summed; bone where any is). */
export function mergeImages(images: readonly ProjectionImage[], frame: DxaFrame): ProjectionImage {
  if (!images.length) throw new SpineDxaError("no image to merge");
  const p = images[0].pixelMm;
  const off = images.map((im) => {
    const d: Vec3 = [im.frame.origin[0] - frame.origin[0], im.frame.origin[1] - frame.origin[1], im.frame.origin[2] - frame.origin[2]];
    return [Math.round((d[0] * frame.ex[0] + d[1] * frame.ex[1] + d[2] * frame.ex[2]) / p), Math.round((d[0] * frame.ey[0] + d[1] * frame.ey[1] + d[2] * frame.ey[2]) / p)];
  });
  const c0 = Math.min(...off.map((o) => o[0])), r0 = Math.min(...off.map((o) => o[1]));
  const width = Math.max(...images.map((im, t) => off[t][0] + im.width)) - c0, height = Math.max(...images.map((im, t) => off[t][1] + im.height)) - r0;
  const data = new Float32Array(width * height), mask = new Uint8Array(width * height);
  let total = 0;
  images.forEach((im, t) => {
    total += im.totalMineralG;
    for (let r = 0; r < im.height; r++) for (let c = 0; c < im.width; c++) {
      const q = c + off[t][0] - c0 + width * (r + off[t][1] - r0), s = c + im.width * r;
      data[q] += im.data[s];
      mask[q] |= im.mask[s];
    }
  });
  const origin: Vec3 = [0, 1, 2].map((a) => frame.origin[a] + c0 * p * frame.ex[a] + r0 * p * frame.ey[a]) as Vec3;
  let nBone = 0;
  for (const m of mask) nBone += m;
  return { width, height, pixelMm: p, data, mask, frame: { ...frame, origin, pixelMm: p }, totalMineralG: total, boneAreaCm2: (nBone * p * p) / 100, subdivisions: images[0].subdivisions };
}
