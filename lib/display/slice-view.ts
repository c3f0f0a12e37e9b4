/**
 * CT slices as notebook outputs: one slice as a PNG bundle, or the three orthogonal planes side by
 * side as HTML (inline PNGs, so they show in a saved notebook and in its HTML export).
 *
 * @example
 * ```ts
 * import { orthoSlicesBundle } from "bct/lib/display/slice-view";
 * import { display } from "bct/kernel/display";
 * display(orthoSlicesBundle(scan.volume, { window: "bone" }));
 * ```
 * @module
 */
import type { Volume } from "../volume/volume.js";
import { cssGradient } from "./colormap.js";
import { escapeHtml, type MimeBundle } from "./mime.js";
import { encodePng } from "./png.js";
import { sliceImage, type Plane, type SliceImage, type SliceOptions } from "./slice.js";

/** One slice as PNG bytes. */
export function slicePng(volume: Volume, opts: SliceOptions): { png: Buffer; image: SliceImage } {
  const image = sliceImage(volume, opts);
  return { png: encodePng({ width: image.width, height: image.height, channels: 3, data: image.rgb }), image };
}

const AXIS_NAME = ["x (R→L)", "y (A→P)", "z (I→S)"];
const NORMAL_AXIS: Record<Plane, number> = { axial: 2, coronal: 1, sagittal: 0 };

/** A one-line caption: plane, slice, position, window. */
export function sliceCaption(img: SliceImage): string {
  const axis = AXIS_NAME[NORMAL_AXIS[img.plane]].split(" ")[0];
  return `${img.plane} ${img.index + 1}/${img.count} (${axis} = ${img.position.toFixed(1)} mm), W ${img.window.width} / L ${img.window.center}, ${img.pixelSize.toFixed(2)} mm/pixel`;
}

/**
 * One slice as a bundle: `image/png` (with its size in the metadata) and a text caption.
 * @example
 * ```ts
 * import { sliceBundle } from "bct/lib/display/slice-view";
 * const b = sliceBundle(volume, { plane: "axial", window: "softTissue" });
 * b.data["text/plain"]; // "axial 61/122 (z = ... mm), W 400 / L 40, ..."
 * ```
 */
export function sliceBundle(volume: Volume, opts: SliceOptions): MimeBundle {
  const { png, image } = slicePng(volume, opts);
  return {
    data: { "image/png": png.toString("base64"), "text/plain": sliceCaption(image) },
    metadata: { "image/png": { width: image.width, height: image.height } },
  };
}

function colourBars(img: SliceImage): string {
  return img.fieldRanges
    .map(
      (f) =>
        `<div style="font:11px sans-serif;margin-top:2px">${escapeHtml(f.label)}: ${fmt(f.range[0])}` +
        `<span style="display:inline-block;width:120px;height:9px;margin:0 4px;vertical-align:middle;background:${cssGradient(f.colormap)}"></span>${fmt(f.range[1])}</div>`,
    )
    .join("");
}

function fmt(x: number): string {
  return Math.abs(x) >= 1000 || (Math.abs(x) < 0.01 && x !== 0) ? x.toExponential(2) : String(Number(x.toPrecision(4)));
}

/** Options of {@link orthoSlicesBundle}: {@link SliceOptions} without the plane, plus per-plane indices. */
export interface OrthoOptions extends Omit<SliceOptions, "plane" | "index"> {
  /** Slice numbers (display order) per plane; default the middle of each. */
  index?: Partial<Record<Plane, number>>;
  /** Title above the views. */
  title?: string;
  /** Width (CSS pixels) each view is shown at; default 260. */
  viewWidth?: number;
}

/**
 * Axial, coronal and sagittal slices side by side (HTML with inline PNGs) and a text summary.
 * @example
 * ```ts
 * import { orthoSlicesBundle } from "bct/lib/display/slice-view";
 * orthoSlicesBundle(volume, { window: "bone", overlays: [{ kind: "mask", volume: bone }] });
 * ```
 */
export function orthoSlicesBundle(volume: Volume, opts: OrthoOptions = {}): MimeBundle {
  const planes: Plane[] = ["axial", "coronal", "sagittal"];
  const w = opts.viewWidth ?? 260;
  const views = planes.map((plane) => slicePng(volume, { ...opts, plane, index: opts.index?.[plane] }));
  const figures = views
    .map(
      ({ png, image }) =>
        `<figure style="margin:0 8px 0 0;display:inline-block;vertical-align:top;width:${w}px">` +
        `<img alt="${image.plane} slice" style="width:${w}px;image-rendering:pixelated" src="data:image/png;base64,${png.toString("base64")}"/>` +
        `<figcaption style="font:11px sans-serif">${escapeHtml(sliceCaption(image))}</figcaption></figure>`,
    )
    .join("");
  const title = opts.title ? `<div style="font:bold 13px sans-serif;margin-bottom:4px">${escapeHtml(opts.title)}</div>` : "";
  const html = `<div class="bct-slices">${title}<div>${figures}</div>${colourBars(views[0].image)}</div>`;
  const text = [opts.title ?? "CT slices", ...views.map((v) => "  " + sliceCaption(v.image))].join("\n");
  return { data: { "text/html": html, "text/plain": text }, metadata: {} };
}
