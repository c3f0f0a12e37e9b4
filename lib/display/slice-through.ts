/**
 * Slices through a point of interest (the analysed bone: a vertebral body's centroid, a femoral
 * neck's): the axial, coronal and sagittal planes that pass through the point, with the mask's
 * outline and labelled outlines of other regions (calibration ROIs, DXA regions) on top, so a reader
 * can check the segmentation and the regions by eye. Shared by the HTML report and the notebooks.
 *
 * @example
 * ```ts
 * import { sliceThroughBundle, maskCentroid } from "bct/lib/display/slice-through";
 * display(sliceThroughBundle(ct, maskCentroid(bodyMask), { mask: { volume: bodyMask, label: "vertebral body" } }));
 * ```
 * @module
 */
import { indexToWorld, worldToIndex, createVolume, type Vec3, type Volume } from "../volume/volume.js";
import type { Rgb } from "./colormap.js";
import { DisplayError } from "./errors.js";
import { escapeHtml, type MimeBundle } from "./mime.js";
import { encodePng } from "./png.js";
import { patientAxes, sliceImage, type MaskOverlay, type Plane, type SliceImage } from "./slice.js";
import { sliceCaption } from "./slice-view.js";
import type { WindowLevel, WindowPreset } from "./window.js";

/** A region drawn as an outline: a mask or a label volume (each non-zero value its own region) on the image's grid. */
export interface OutlineRegion {
  volume: Volume;
  /** Legend text, e.g. "calibration rods (ROI)". */
  label: string;
  color?: Rgb;
}

/** Options of {@link sliceThrough}. */
export interface SliceThroughOptions {
  /** Window preset or values; default "bone". */
  window?: WindowPreset | WindowLevel;
  /** The analysed bone's mask, drawn as a red outline; each pane reports how many of its pixels it covers. */
  mask?: { volume: Volume; label?: string; color?: Rgb };
  /** Further outlined regions (calibration ROIs, DXA regions, ...). */
  outlines?: OutlineRegion[];
  /** Longer side of each pane in pixels (see `sliceImage`); default 320. */
  minSize?: number;
}

/** One pane of {@link sliceThrough}. */
export interface SlicePane {
  plane: Plane;
  image: SliceImage;
  /** Mask pixels (voxels != 0 of `mask`) in the pane. */
  maskPixels: number;
  /** Pixels of each outlined region (voxels != 0) in the pane, in the order of `outlines`. */
  regionPixels: number[];
}

/** Result of {@link sliceThrough}. */
export interface SliceThrough {
  /** The point (LPS mm) the planes pass through. */
  point: Vec3;
  panes: SlicePane[];
  /** Colour and text of each outline. */
  legend: { label: string; color: Rgb }[];
}

const PLANES: Plane[] = ["axial", "coronal", "sagittal"];
/** Patient axis normal to each plane (0 x, 1 y, 2 z). */
const NORMAL: Record<Plane, number> = { axial: 2, coronal: 1, sagittal: 0 };
/** Outline colours in turn (after the mask's red). */
const PALETTE: Rgb[] = [[0, 200, 255], [255, 210, 0], [80, 255, 80], [255, 80, 255], [255, 140, 0]];

/**
 * The slice number (display order, as `sliceImage`'s `index`) of the plane through a world point.
 * @throws DisplayError when the point is outside the volume along the plane's normal.
 */
export function sliceIndexThrough(volume: Volume, plane: Plane, pointLps: ArrayLike<number>): number {
  const { voxelAxis, sign } = patientAxes(volume.direction);
  const a = NORMAL[plane];
  const c = voxelAxis[a];
  const k = Math.round(worldToIndex(volume, [pointLps[0], pointLps[1], pointLps[2]])[c]);
  const n = volume.dims[c];
  if (!(k >= 0 && k < n)) throw new DisplayError(`the point [${Array.from(pointLps, (v) => v.toFixed(1)).join(", ")}] mm lies outside the volume (${plane} slice ${k} of 0..${n - 1})`);
  return sign[a] > 0 ? k : n - 1 - k;
}

function countPixels(img: SliceImage, volume: Volume, plane: Plane, index: number): number {
  // Render the region alone as a fill on a black image and count its tinted pixels: same sampling as the pane.
  const probe = sliceImage(volume, { plane, index, window: { center: 1e9, width: 1 }, minSize: 0, overlays: [{ kind: "mask", volume, color: [255, 255, 255], opacity: 1 }] });
  const scale = img.width / probe.width;
  let c = 0;
  for (let p = 0; p < probe.width * probe.height; p++) if (probe.rgb[3 * p] === 255) c++;
  return Math.round(c * scale * scale);
}

/**
 * The three orthogonal slices through `pointLps`, with the mask outline and the region outlines.
 * @throws DisplayError for a point outside the volume or overlays on another grid.
 */
export function sliceThrough(volume: Volume, pointLps: ArrayLike<number>, opts: SliceThroughOptions = {}): SliceThrough {
  const point: Vec3 = [pointLps[0], pointLps[1], pointLps[2]];
  const legend: SliceThrough["legend"] = [];
  const overlays: MaskOverlay[] = [];
  if (opts.mask) {
    const color = opts.mask.color ?? [255, 40, 40];
    overlays.push({ kind: "mask", volume: opts.mask.volume, color, style: "outline" });
    legend.push({ label: opts.mask.label ?? "mask", color });
  }
  (opts.outlines ?? []).forEach((o, i) => {
    const color = o.color ?? PALETTE[i % PALETTE.length];
    overlays.push({ kind: "mask", volume: o.volume, color, style: "outline" });
    legend.push({ label: o.label, color });
  });
  const panes = PLANES.map((plane) => {
    const index = sliceIndexThrough(volume, plane, point);
    const image = sliceImage(volume, { plane, index, window: opts.window ?? "bone", overlays, minSize: opts.minSize ?? 320 });
    return {
      plane,
      image,
      maskPixels: opts.mask ? countPixels(image, opts.mask.volume, plane, index) : 0,
      regionPixels: (opts.outlines ?? []).map((o) => countPixels(image, o.volume, plane, index)),
    };
  });
  return { point, panes, legend };
}

/** Options of {@link sliceThroughBundle}. */
export interface SliceThroughBundleOptions extends SliceThroughOptions {
  /** Title above the panes. */
  title?: string;
  /** What the point is, for the caption (e.g. "centroid of the vertebral body"). */
  pointName?: string;
  /** Width (CSS pixels) each pane is shown at; default 340. */
  viewWidth?: number;
}

const css = (c: Rgb) => `rgb(${c[0]},${c[1]},${c[2]})`;

/** The HTML of a {@link sliceThrough}: three panes, captions with each plane's position, and the legend. */
export function sliceThroughHtml(s: SliceThrough, opts: Pick<SliceThroughBundleOptions, "title" | "pointName" | "viewWidth"> = {}): string {
  const w = opts.viewWidth ?? 340;
  const figures = s.panes
    .map(({ image }) => {
      const png = encodePng({ width: image.width, height: image.height, channels: 3, data: image.rgb }).toString("base64");
      return `<figure style="margin:0 8px 0 0;display:inline-block;vertical-align:top;width:${w}px">` +
        `<img alt="${image.plane} slice" style="width:${w}px;image-rendering:pixelated" src="data:image/png;base64,${png}"/>` +
        `<figcaption style="font:11px sans-serif">${escapeHtml(sliceCaption(image))}</figcaption></figure>`;
    })
    .join("");
  const title = opts.title ? `<div style="font:bold 13px sans-serif;margin-bottom:4px">${escapeHtml(opts.title)}</div>` : "";
  const legend = s.legend.map((l) => `<span style="margin-right:14px"><span style="display:inline-block;width:18px;height:3px;vertical-align:middle;margin-right:4px;background:${css(l.color)}"></span>${escapeHtml(l.label)}</span>`).join("");
  const where = `planes through ${escapeHtml(opts.pointName ?? "the point")} at [${s.point.map((v) => v.toFixed(1)).join(", ")}] mm (LPS)`;
  return `<div class="bct-slices">${title}<div>${figures}</div><div style="font:12px sans-serif;margin-top:4px">${legend}</div><div style="font:11px sans-serif;color:#555">${where}</div></div>`;
}

/**
 * The slices through a point as a notebook bundle (HTML with inline PNGs, and a text summary).
 * @example
 * ```ts
 * display(sliceThroughBundle(ct, headCentre, { mask: { volume: femur, label: "femur" }, title: "Femur" }));
 * ```
 */
export function sliceThroughBundle(volume: Volume, pointLps: ArrayLike<number>, opts: SliceThroughBundleOptions = {}): MimeBundle {
  const s = sliceThrough(volume, pointLps, opts);
  const text = [opts.title ?? "CT slices", ...s.panes.map((p) => `  ${sliceCaption(p.image)}; mask ${p.maskPixels} pixels`)].join("\n");
  return { data: { "text/html": sliceThroughHtml(s, opts), "text/plain": text }, metadata: {} };
}

/**
 * Centroid (LPS mm) of the voxels != 0 of a mask, optionally only those for which `where(world)` holds.
 * @throws DisplayError when no voxel counts.
 */
export function maskCentroid(mask: Volume, where?: (w: Vec3) => boolean): Vec3 {
  const [nx, ny, nz] = mask.dims;
  const s = [0, 0, 0];
  let c = 0;
  for (let k = 0, p = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, p++) {
    if (!mask.data[p]) continue;
    const w = indexToWorld(mask, [i, j, k]);
    if (where && !where(w)) continue;
    s[0] += w[0];
    s[1] += w[1];
    s[2] += w[2];
    c++;
  }
  if (!c) throw new DisplayError("the mask is empty: no centroid to slice through");
  return [s[0] / c, s[1] / c, s[2] / c];
}

/** A cylinder (a disc swept from `from` to `to`, world LPS mm), e.g. a calibration rod's ROI. */
export interface CylinderRegion {
  from: ArrayLike<number>;
  to: ArrayLike<number>;
  radiusMm: number;
}

/** A label volume on `like`'s grid: voxel centres inside cylinder i get the value i + 1. */
export function cylinderLabels(like: Volume, cylinders: CylinderRegion[]): Volume<Uint8Array> {
  const [nx, ny, nz] = like.dims;
  const data = new Uint8Array(nx * ny * nz);
  cylinders.forEach((c, q) => {
    const ax = [c.to[0] - c.from[0], c.to[1] - c.from[1], c.to[2] - c.from[2]];
    const len2 = ax[0] * ax[0] + ax[1] * ax[1] + ax[2] * ax[2] || 1;
    // only the index box around the cylinder's end points, grown by the radius
    const ends = [worldToIndex(like, [c.from[0], c.from[1], c.from[2]]), worldToIndex(like, [c.to[0], c.to[1], c.to[2]])];
    const lo = [0, 1, 2].map((a) => Math.max(0, Math.floor(Math.min(ends[0][a], ends[1][a]) - c.radiusMm / like.spacing[a]) - 1));
    const hi = [0, 1, 2].map((a) => Math.min(like.dims[a] - 1, Math.ceil(Math.max(ends[0][a], ends[1][a]) + c.radiusMm / like.spacing[a]) + 1));
    for (let k = lo[2]; k <= hi[2]; k++) for (let j = lo[1]; j <= hi[1]; j++) for (let i = lo[0]; i <= hi[0]; i++) {
      const p = i + nx * (j + ny * k);
      const w = indexToWorld(like, [i, j, k]);
      const d = [w[0] - c.from[0], w[1] - c.from[1], w[2] - c.from[2]];
      const t = (d[0] * ax[0] + d[1] * ax[1] + d[2] * ax[2]) / len2;
      if (t < -1e-6 || t > 1 + 1e-6) continue;
      const r2 = (d[0] - t * ax[0]) ** 2 + (d[1] - t * ax[1]) ** 2 + (d[2] - t * ax[2]) ** 2;
      if (r2 <= c.radiusMm * c.radiusMm) data[p] = q + 1;
    }
  });
  return createVolume({ dims: like.dims, spacing: like.spacing, origin: like.origin, direction: like.direction, data });
}
