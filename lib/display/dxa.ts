/**
 * The hip DXA-equivalent projection as a plotly figure: the aBMD image (g/cm2) with the regions of
 * interest outlined (femoral-neck box, total hip, trochanteric line) and the neck axis, so the ROI
 * placement can be checked by eye.
 *
 * @example
 * ```ts
 * import { hipDxa } from "bct/lib/dxa/hip";
 * import { dxaProjectionFigure } from "bct/lib/display/dxa";
 * import { plotlyBundle } from "bct/lib/display/plotly";
 * const { artifacts } = hipDxa(density, femurMask, { sex: "F" });
 * display(plotlyBundle(dxaProjectionFigure(artifacts)));
 * ```
 * @module
 */
import type { HipRois, Pixel2 } from "../dxa/hip-rois.js";
import type { ProjectionImage } from "../dxa/projection.js";
import { DisplayError } from "./errors.js";
import type { PlotlyFigure } from "./plotly.js";

/** Options of {@link dxaProjectionFigure}. */
export interface DxaFigureOptions {
  title?: string;
  /** Largest number of image pixels drawn; larger images are block-averaged. Default 250000. */
  maxPixels?: number;
  /** Colour range of the image (g/cm2). Default [0, 99th percentile of the bone pixels]. */
  range?: [number, number];
}

const ROI_COLOURS = { neck: "#e6550d", totalHip: "#31a354", trochLine: "#3182bd", axis: "#fdd0a2" } as const;

/**
 * The projection image with the ROI outlines. Axes are in mm in the DXA view (x along the image
 * columns, y down the shaft); the aspect ratio is 1.
 * @example
 * ```ts
 * const fig = dxaProjectionFigure({ image, rois });
 * fig.data[0].type; // "heatmap"
 * ```
 * @throws DisplayError when the image arrays do not match its size.
 */
export function dxaProjectionFigure(artifacts: { image: ProjectionImage; rois?: HipRois }, opts: DxaFigureOptions = {}): PlotlyFigure {
  const { image, rois } = artifacts;
  const { width: W, height: H, pixelMm: px, data, mask } = image;
  if (data.length !== W * H || mask.length !== W * H) throw new DisplayError(`projection image arrays have ${data.length}/${mask.length} values for ${W}x${H} pixels`);
  const maxPixels = opts.maxPixels ?? 250_000;
  const f = Math.max(1, Math.ceil(Math.sqrt((W * H) / maxPixels)));
  const w2 = Math.ceil(W / f), h2 = Math.ceil(H / f);
  const z: number[][] = [];
  for (let r2 = 0; r2 < h2; r2++) {
    const row: number[] = [];
    for (let c2 = 0; c2 < w2; c2++) {
      let s = 0, n = 0;
      for (let r = r2 * f; r < Math.min(H, (r2 + 1) * f); r++) for (let c = c2 * f; c < Math.min(W, (c2 + 1) * f); c++) { s += data[c + W * r]; n++; }
      row.push(Math.round((s / n) * 1e4) / 1e4);
    }
    z.push(row);
  }
  const x = Array.from({ length: w2 }, (_, c) => ((c + 0.5) * f - 0.5) * px);
  const y = Array.from({ length: h2 }, (_, r) => ((r + 0.5) * f - 0.5) * px);
  let range = opts.range;
  if (!range) {
    const vals: number[] = [];
    for (let q = 0; q < data.length; q++) if (mask[q]) vals.push(data[q]);
    vals.sort((a, b) => a - b);
    range = [0, vals.length ? vals[Math.floor(0.99 * (vals.length - 1))] : 1];
  }
  const traces: Record<string, unknown>[] = [
    { type: "heatmap", x, y, z, colorscale: "Greys", zmin: range[0], zmax: range[1], colorbar: { title: { text: "aBMD (g/cm2)" } }, hovertemplate: "x %{x:.1f} mm, y %{y:.1f} mm<br>aBMD %{z:.3f} g/cm2<extra></extra>", name: "aBMD" },
  ];
  const mm = (p: Pixel2) => [p[0] * px, p[1] * px];
  const outline = (poly: Pixel2[], name: string, color: string, text: string) => {
    if (poly.length < 2) return;
    const pts = [...poly, poly[0]].map(mm);
    traces.push({ type: "scatter", mode: "lines", x: pts.map((p) => p[0]), y: pts.map((p) => p[1]), name, line: { color, width: 2 }, hoverinfo: "text", text });
  };
  const annotations: Record<string, unknown>[] = [];
  if (rois) {
    const fmt = (m: { aBMD: number; bmcG: number; areaCm2: number }) => `aBMD ${m.aBMD.toFixed(3)} g/cm2, BMC ${m.bmcG.toFixed(2)} g, area ${m.areaCm2.toFixed(2)} cm2`;
    outline(rois.totalHip.polygon, "total hip", ROI_COLOURS.totalHip, `total hip: ${fmt(rois.totalHip)}`);
    outline(rois.neck.polygon, "femoral neck", ROI_COLOURS.neck, `femoral neck: ${fmt(rois.neck)}`);
    const [a, b] = rois.trochantericLine.map(mm);
    traces.push({ type: "scatter", mode: "lines", x: [a[0], b[0]], y: [a[1], b[1]], name: "trochanteric line", line: { color: ROI_COLOURS.trochLine, width: 2, dash: "dash" }, hoverinfo: "text", text: `trochanter: ${fmt(rois.trochanter)}; intertrochanteric: ${fmt(rois.intertrochanteric)}` });
    // Neck axis: from the head centre (tc mm from the box centre) to a box width beyond the box.
    const c = mm(rois.neckBox.centre), ax = rois.neckBox.axis, tc = rois.narrowestNeck.distanceFromHeadMm, out = rois.neckBox.widthMm;
    traces.push({ type: "scatter", mode: "lines+markers", x: [c[0] - ax[0] * out, c[0] + ax[0] * tc], y: [c[1] - ax[1] * out, c[1] + ax[1] * tc], name: "neck axis", marker: { size: [0, 7] }, line: { color: ROI_COLOURS.axis, width: 1, dash: "dot" }, hoverinfo: "skip" });
    const label = (poly: Pixel2[], text: string, color: string) => {
      if (!poly.length) return;
      const cx = poly.reduce((s, p) => s + p[0], 0) / poly.length, cy = poly.reduce((s, p) => s + p[1], 0) / poly.length;
      annotations.push({ x: cx * px, y: cy * px, text, showarrow: false, font: { color, size: 11 }, bgcolor: "rgba(255,255,255,0.7)" });
    };
    label(rois.neck.polygon, `neck ${rois.neck.aBMD.toFixed(3)}`, ROI_COLOURS.neck);
    label(rois.trochanter.polygon, `troch ${rois.trochanter.aBMD.toFixed(3)}`, ROI_COLOURS.trochLine);
    label(rois.intertrochanteric.polygon, `inter ${rois.intertrochanteric.aBMD.toFixed(3)}`, ROI_COLOURS.totalHip);
  }
  return {
    data: traces,
    layout: {
      title: { text: opts.title ?? (rois ? `Hip DXA-equivalent projection: total hip ${rois.totalHip.aBMD.toFixed(3)} g/cm2` : "DXA-equivalent projection") },
      xaxis: { title: { text: "mm (image columns)" }, constrain: "domain" },
      yaxis: { title: { text: "mm (down the shaft)" }, autorange: "reversed", scaleanchor: "x", scaleratio: 1 },
      annotations,
      height: 560,
      legend: { orientation: "h" },
    },
  };
}
