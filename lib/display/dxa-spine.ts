/**
 * The spine DXA-equivalent figure: the anterior-posterior projection of the vertebrae as an aBMD
 * image (as a DXA lumbar scan shows it: patient's right on the image's left, superior up), each
 * level's region outlined, with its aBMD and trabecular vBMD.
 *
 * @example
 * ```ts
 * import { spineDxa } from "bct/lib/dxa/spine";
 * import { spineDxaFigure } from "bct/lib/display/dxa-spine";
 * import { plotlyBundle } from "bct/lib/display/plotly";
 * const { result, artifacts } = spineDxa(density, vertebrae);
 * display(plotlyBundle(spineDxaFigure(result, artifacts)));
 * ```
 * @module
 */
import type { SpineDxaArtifacts, SpineDxaResult } from "../dxa/spine.js";
import { plotlyColorscale, type ColormapName } from "./colormap.js";
import type { PlotlyFigure } from "./plotly.js";

/** Options of {@link spineDxaFigure}. */
export interface SpineDxaFigureOptions {
  /** Colour map of the aBMD image. Default "grey" (as a DXA image). */
  colormap?: ColormapName;
  /** Figure height in pixels. Default 560. */
  height?: number;
  title?: string;
}

const LEVEL_COLOURS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324"];

/**
 * The AP projection (aBMD per pixel, g/cm2; no colour off bone) with each level's region drawn as a
 * box (its band between the intervertebral lines, over the columns it covers) and labelled with its
 * aBMD and trabecular vBMD. World LPS millimetres on both axes, equal scale.
 * @example
 * ```ts
 * const fig = spineDxaFigure(result, artifacts); // { data: [heatmap], layout: { shapes, annotations, ... } }
 * ```
 */
export function spineDxaFigure(result: SpineDxaResult, artifacts: Pick<SpineDxaArtifacts, "projection" | "regions">, opts: SpineDxaFigureOptions = {}): PlotlyFigure {
  const p = artifacts.projection;
  const px = p.pixelMm, o = p.frame.origin;
  // image columns run along +x, rows along -z (spine frame): flip the rows so z ascends upwards
  const xs = Array.from({ length: p.width }, (_, c) => o[0] + c * px);
  const zs = Array.from({ length: p.height }, (_, t) => o[2] - (p.height - 1 - t) * px);
  const img: (number | null)[][] = [];
  let hi = 0;
  for (let t = 0; t < p.height; t++) {
    const r = p.height - 1 - t;
    const row: (number | null)[] = new Array(p.width);
    for (let c = 0; c < p.width; c++) {
      const q = c + p.width * r;
      row[c] = p.mask[q] ? p.data[q] : null;
      if (p.mask[q] && p.data[q] > hi) hi = p.data[q];
    }
    img.push(row);
  }
  const byLevel = new Map(result.levels.map((l) => [l.level, l]));
  const shapes: Record<string, unknown>[] = [];
  const annotations: Record<string, unknown>[] = [];
  artifacts.regions.forEach((b, t) => {
    const colour = LEVEL_COLOURS[t % LEVEL_COLOURS.length];
    const [xl, xr] = b.xMm, [zl, zh] = b.zMm;
    shapes.push({ type: "rect", xref: "x", yref: "y", x0: xl, x1: xr, y0: zl, y1: zh, line: { color: colour, width: 2 }, fillcolor: "rgba(0,0,0,0)" });
    const l = byLevel.get(b.level);
    const parts = [`<b>${b.level}</b>`];
    if (l?.aBMD != null) parts.push(`${l.aBMD.toFixed(3)} g/cm² (${l.areaCm2.toFixed(1)} cm²)`);
    if (l?.trabecularVBMD_HA != null) parts.push(`vBMD ${l.trabecularVBMD_HA.toFixed(0)} mg/cm³ HA`);
    if (l && !l.complete) parts.push("(cut by the field of view)");
    annotations.push({ x: xr, y: 0.5 * (zl + zh), xref: "x", yref: "y", text: parts.join("<br>"), showarrow: false, xanchor: "left", font: { color: colour, size: 12 } });
  });
  const total = result.totalABMD != null ? `${result.totalLevels.length > 1 ? `${result.totalLevels[0]}-${result.totalLevels[result.totalLevels.length - 1]}` : result.totalLevels.join("")} aBMD ${result.totalABMD.toFixed(3)} g/cm²` : "no total aBMD";
  const trab = result.trabecularVBMD != null ? `trabecular vBMD ${result.trabecularVBMD} mg/cm³ HA (${result.trabecularLevels.join(", ")}; ${result.category})` : "no trabecular vBMD";
  return {
    data: [
      {
        type: "heatmap", x: xs, y: zs, z: img, zmin: 0, zmax: hi > 0 ? hi : 1,
        colorscale: plotlyColorscale(opts.colormap ?? "grey"), hoverongaps: false,
        colorbar: { title: { text: "aBMD (g/cm²)" } },
        hovertemplate: "x %{x:.1f} mm, z %{y:.1f} mm<br>mineral above soft tissue %{z:.3f} g/cm²<extra></extra>",
        name: "AP projection",
      },
    ],
    layout: {
      title: { text: opts.title ?? `Spine AP projection: ${total} · ${trab}` },
      xaxis: { title: { text: "x (mm, LPS: patient left →)" }, constrain: "domain" },
      yaxis: { title: { text: "z (mm, superior ↑)" }, scaleanchor: "x", scaleratio: 1 },
      shapes,
      annotations,
      margin: { r: 170 },
      height: opts.height ?? 560,
      plot_bgcolor: "black",
    },
  };
}
