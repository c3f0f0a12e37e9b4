/**
 * CT slice views: an axial, coronal or sagittal plane through a {@link Volume}, windowed to grey,
 * with optional mask and field overlays, as RGB pixels, a PNG, or a Jupyter bundle.
 *
 * Orientation follows the radiological convention whatever the voxel order on disk: axial is seen
 * from the feet (patient's left on the image's right, anterior up), coronal from the front (patient's
 * left on the right, superior up), sagittal from the patient's left (anterior on the left, superior
 * up). Each voxel axis is matched to the patient axis (LPS) it is closest to; an oblique scan is shown
 * in that nearest orientation, not resampled. Pixels are square: anisotropic voxels are stretched by
 * nearest-neighbour sampling so distances on screen are true.
 *
 * @example
 * ```ts
 * import { createVolume } from "bct/lib/volume/volume";
 * import { sliceImage } from "bct/lib/display/slice";
 * const v = createVolume({ dims: [64, 64, 20], spacing: [1, 1, 2] });
 * const img = sliceImage(v, { plane: "coronal", window: "bone" });
 * [img.width, img.height]; // [256, 160] (64 mm x 40 mm at 0.25 mm pixels)
 * ```
 * @module
 */
import type { Vec3, Volume } from "../volume/volume.js";
import { colormapRgb, type ColormapName, type Rgb } from "./colormap.js";
import { DisplayError } from "./errors.js";
import { resolveWindow, windowToGrey, type WindowLevel, type WindowPreset } from "./window.js";

/** An anatomical plane. */
export type Plane = "axial" | "coronal" | "sagittal";

/** A mask drawn over the slice: voxels != 0 are tinted. */
export interface MaskOverlay {
  kind: "mask";
  /** On the same grid (dims) as the image. */
  volume: Volume;
  /** Default red [255, 40, 40]. */
  color?: Rgb;
  /** 0..1, default 0.4 (fill) or 1 (outline). */
  opacity?: number;
  /**
   * "fill" (default) tints every voxel != 0; "outline" draws only the boundary: the pixels whose
   * value differs from a 4-neighbour's (so a label volume shows each region's border).
   */
  style?: "fill" | "outline";
}

/** A scalar field drawn over the slice through a colour map (e.g. density, modulus, strain). */
export interface FieldOverlay {
  kind: "field";
  /** On the same grid (dims) as the image. */
  volume: Volume;
  /** Values mapped to the ends of the colour map; default the field's finite min and max. */
  range?: [number, number];
  /** Default "viridis". */
  colormap?: ColormapName;
  /** 0..1, default 0.6. */
  opacity?: number;
  /** Only voxels where this mask is != 0 are painted (e.g. the bone). */
  where?: Volume;
  /** Values below this are not painted. */
  hideBelow?: number;
  /** Name and unit for captions, e.g. "density (mg/cm³)". */
  label?: string;
}

/** An overlay on a slice. */
export type Overlay = MaskOverlay | FieldOverlay;

/** Options of {@link sliceImage}. */
export interface SliceOptions {
  plane: Plane;
  /** Slice number along the plane's normal, counted in display order (0 = inferior / anterior / right); default the middle. */
  index?: number;
  /** Window preset or values; default "bone". */
  window?: WindowPreset | WindowLevel;
  overlays?: Overlay[];
  /** The longer side is enlarged (by whole pixels) to at least this many pixels, at most 8x; default 256. */
  minSize?: number;
}

/** A rendered slice. */
export interface SliceImage {
  width: number;
  height: number;
  /** RGB, row-major from the top-left. */
  rgb: Uint8Array;
  plane: Plane;
  /** Slice number in display order along the normal, and the count. */
  index: number;
  count: number;
  /** World coordinate (LPS, mm) of the slice along the plane's normal axis. */
  position: number;
  /** Pixel size (mm) on screen. */
  pixelSize: number;
  window: WindowLevel;
  /** Field overlays' resolved ranges, for colour bars. */
  fieldRanges: { label: string; range: [number, number]; colormap: ColormapName }[];
}

/** Patient axes (0 x: right->left, 1 y: anterior->posterior, 2 z: inferior->superior) of each plane. */
const PLANES: Record<Plane, { normal: number; col: number; colSign: 1 | -1; row: number; rowSign: 1 | -1 }> = {
  axial: { normal: 2, col: 0, colSign: 1, row: 1, rowSign: 1 },
  coronal: { normal: 1, col: 0, colSign: 1, row: 2, rowSign: -1 },
  sagittal: { normal: 0, col: 1, colSign: 1, row: 2, rowSign: -1 },
};

/** For each patient axis, the voxel axis closest to it and whether they point the same way. */
export function patientAxes(direction: ArrayLike<number>): { voxelAxis: Vec3; sign: Vec3 } {
  const voxelAxis: Vec3 = [-1, -1, -1];
  const sign: Vec3 = [1, 1, 1];
  const used = new Set<number>();
  // Assign the most clear-cut matches first, so an oblique scan still gets a permutation.
  const pairs: { a: number; c: number; w: number }[] = [];
  for (let a = 0; a < 3; a++) for (let c = 0; c < 3; c++) pairs.push({ a, c, w: Math.abs(direction[a * 3 + c]) });
  pairs.sort((p, q) => q.w - p.w);
  for (const { a, c } of pairs) {
    if (voxelAxis[a] >= 0 || used.has(c)) continue;
    voxelAxis[a] = c;
    sign[a] = direction[a * 3 + c] < 0 ? -1 : 1;
    used.add(c);
  }
  return { voxelAxis, sign };
}

function checkOverlay(base: Volume, o: Volume, what: string): void {
  if (o.dims[0] !== base.dims[0] || o.dims[1] !== base.dims[1] || o.dims[2] !== base.dims[2]) {
    throw new DisplayError(`${what} has dims ${o.dims.join("x")} but the image has ${base.dims.join("x")}; resample it onto the image grid first`);
  }
}

function finiteRange(data: ArrayLike<number>, where?: ArrayLike<number>): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    if (!Number.isFinite(x) || (where && where[i] === 0)) continue;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return Number.isFinite(lo) ? [lo, hi] : [0, 1];
}

/** Pixels (row-major) that are != 0 and differ from a 4-neighbour pixel or lie on the image edge. */
function outlinePixels(od: ArrayLike<number>, base: number, rowIndex: Int32Array, colIndex: Int32Array): Uint8Array {
  const w = colIndex.length, h = rowIndex.length;
  const at = (x: number, y: number) => od[base + rowIndex[y] + colIndex[x]];
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = at(x, y);
      if (v === 0) continue;
      if (x === 0 || y === 0 || x === w - 1 || y === h - 1 || at(x - 1, y) !== v || at(x + 1, y) !== v || at(x, y - 1) !== v || at(x, y + 1) !== v) out[y * w + x] = 1;
    }
  }
  return out;
}

/**
 * Render one slice.
 * @throws DisplayError for an index out of range, an overlay on another grid, or a bad window.
 */
export function sliceImage(volume: Volume, opts: SliceOptions): SliceImage {
  const plane = PLANES[opts.plane];
  if (!plane) throw new DisplayError(`unknown plane "${String(opts.plane)}"; use axial, coronal or sagittal`);
  const win = resolveWindow(opts.window ?? "bone");
  const { voxelAxis, sign } = patientAxes(volume.direction);
  const { dims, spacing, data } = volume;
  const nAxis = voxelAxis[plane.normal], cAxis = voxelAxis[plane.col], rAxis = voxelAxis[plane.row];
  const count = dims[nAxis];
  const index = opts.index ?? Math.floor(count / 2);
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new DisplayError(`${opts.plane} slice index ${index} is outside 0..${count - 1}`);
  }
  // Display order along each patient axis -> voxel index along the matched voxel axis.
  const toVoxel = (axis: number, displaySign: 1 | -1, t: number): number => {
    const n = dims[voxelAxis[axis]];
    return sign[axis] * displaySign > 0 ? t : n - 1 - t;
  };
  const kNormal = toVoxel(plane.normal, 1, index);

  const sc = spacing[cAxis], sr = spacing[rAxis];
  const nc = dims[cAxis], nr = dims[rAxis];
  let px = Math.min(sc, sr);
  let width = Math.max(1, Math.round((nc * sc) / px));
  let height = Math.max(1, Math.round((nr * sr) / px));
  const minSize = opts.minSize ?? 256;
  const f = Math.max(1, Math.min(8, Math.ceil(minSize / Math.max(width, height))));
  px /= f;
  width *= f;
  height *= f;

  const strides: Vec3 = [1, dims[0], dims[0] * dims[1]];
  const colIndex = new Int32Array(width);
  for (let x = 0; x < width; x++) {
    const t = Math.min(nc - 1, Math.floor(((x + 0.5) * px) / sc));
    colIndex[x] = toVoxel(plane.col, plane.colSign, t) * strides[cAxis];
  }
  const rowIndex = new Int32Array(height);
  for (let y = 0; y < height; y++) {
    const t = Math.min(nr - 1, Math.floor(((y + 0.5) * px) / sr));
    rowIndex[y] = toVoxel(plane.row, plane.rowSign, t) * strides[rAxis];
  }
  const base = kNormal * strides[nAxis];

  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const g = windowToGrey(data[base + rowIndex[y] + colIndex[x]], win);
      const o = (y * width + x) * 3;
      rgb[o] = rgb[o + 1] = rgb[o + 2] = g;
    }
  }

  const fieldRanges: SliceImage["fieldRanges"] = [];
  for (const ov of opts.overlays ?? []) {
    checkOverlay(volume, ov.volume, ov.kind === "mask" ? "the mask" : "the field");
    if (ov.kind === "field" && ov.where) checkOverlay(volume, ov.where, "the field's mask");
    const outline = ov.kind === "mask" && ov.style === "outline";
    const alpha = Math.min(1, Math.max(0, ov.opacity ?? (outline ? 1 : ov.kind === "mask" ? 0.4 : 0.6)));
    const od = ov.volume.data;
    let range: [number, number] = [0, 1];
    let cmap: ColormapName = "viridis";
    if (ov.kind === "field") {
      range = ov.range ?? finiteRange(od, ov.where?.data);
      cmap = ov.colormap ?? "viridis";
      fieldRanges.push({ label: ov.label ?? "field", range, colormap: cmap });
    }
    const color = ov.kind === "mask" ? (ov.color ?? [255, 40, 40]) : null;
    const span = range[1] - range[0] || 1;
    const edge = outline ? outlinePixels(od, base, rowIndex, colIndex) : null;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const v = base + rowIndex[y] + colIndex[x];
        const val = od[v];
        let c: Rgb;
        if (color) {
          if (val === 0 || (edge && !edge[y * width + x])) continue;
          c = color;
        } else {
          const field = ov as FieldOverlay;
          if (!Number.isFinite(val) || (field.where && field.where.data[v] === 0) || (field.hideBelow !== undefined && val < field.hideBelow)) continue;
          c = colormapRgb(cmap, (val - range[0]) / span);
        }
        const o = (y * width + x) * 3;
        for (let ch = 0; ch < 3; ch++) rgb[o + ch] = Math.round(rgb[o + ch] * (1 - alpha) + c[ch] * alpha);
      }
    }
  }

  // World coordinate of the slice along the normal: the centre of voxel kNormal.
  const d = volume.direction;
  const position = volume.origin[plane.normal] + d[plane.normal * 3 + nAxis] * spacing[nAxis] * kNormal;
  return { width, height, rgb, plane: opts.plane, index, count, position, pixelSize: px, window: win, fieldRanges };
}
