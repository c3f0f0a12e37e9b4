/**
 * The figures of an analysis report, as plain plotly figures or HTML fragments, built from the
 * pipeline's results and artifacts. Each function takes plain data so a notebook can call it too.
 * @module
 */
import type { CalibrationFit } from "../calibration/fit.js";
import type { PlotlyFigure } from "../display/plotly.js";
import { meshFigure } from "../display/mesh.js";
import type { ElementGrid } from "../mesh/voxelize.js";
import { voxelSurface, type TriangleSurface } from "../mesh/surface.js";
import { modelToWorld } from "../mesh/model.js";
import type { VoxelModel } from "../fe/voxel-model.js";
import { voxelNodePosition } from "../fe/voxel-model.js";

/** Calibration points and the fitted line, HU against density. */
export function calibrationFigure(fit: CalibrationFit): PlotlyFigure {
  const xs = fit.points.map((p) => p.density);
  const lo = Math.min(0, ...xs), hi = Math.max(...xs);
  return {
    data: [
      { type: "scatter", mode: "markers+text", x: xs, y: fit.points.map((p) => p.hu), text: fit.points.map((p) => p.name), textposition: "top left", name: "reference materials", marker: { size: 9 } },
      { type: "scatter", mode: "lines", x: [lo, hi], y: [fit.huIntercept + fit.huPerDensity * lo, fit.huIntercept + fit.huPerDensity * hi], name: `HU = ${fit.huIntercept.toFixed(1)} + ${fit.huPerDensity.toFixed(4)} rho (R^2 ${fit.r2.toFixed(5)})` },
    ],
    layout: { title: { text: `Calibration: ${fit.method}` }, xaxis: { title: { text: `density (mg/cm3, ${fit.measure})` } }, yaxis: { title: { text: "HU" } }, height: 380 },
  };
}

/** The model's outer surface coloured by a per-element field (e.g. modulus, risk), in world LPS. */
export function elementFieldFigure(grid: ElementGrid, field: ArrayLike<number>, label: string, title: string, range?: [number, number], surface: TriangleSurface = voxelSurface(grid)): PlotlyFigure {
  const perTriangle = Array.from(surface.triangleElement, (q) => field[q]);
  return meshFigure({ vertices: surface.vertices, triangles: surface.triangles, field: perTriangle, fieldLabel: label, title, range });
}

/**
 * The load case drawn on the model: the surface, the loaded and supported node sets, and an arrow
 * along the load direction at the head.
 */
export function loadCaseFigure(grid: ElementGrid, model: VoxelModel, sets: { name: string; nodes: ArrayLike<number>; color: string }[], load: { at: number[]; direction: number[]; lengthMm?: number }, surface: TriangleSurface = voxelSurface(grid)): PlotlyFigure {
  const fig = meshFigure({ vertices: surface.vertices, triangles: surface.triangles, opacity: 0.35, title: "Load case" });
  for (const s of sets) {
    const x: number[] = [], y: number[] = [], z: number[] = [];
    const step = Math.max(1, Math.floor(s.nodes.length / 1500));
    for (let a = 0; a < s.nodes.length; a += step) {
      const w = modelToWorld(grid, voxelNodePosition(model, s.nodes[a]));
      x.push(w[0]); y.push(w[1]); z.push(w[2]);
    }
    fig.data.push({ type: "scatter3d", mode: "markers", x, y, z, name: s.name, marker: { size: 2, color: s.color } });
  }
  const L = load.lengthMm ?? 40;
  const tail = load.at.map((c, k) => c - L * load.direction[k]);
  fig.data.push({ type: "scatter3d", mode: "lines", x: [tail[0], load.at[0]], y: [tail[1], load.at[1]], z: [tail[2], load.at[2]], name: "load direction", line: { width: 8, color: "crimson" } });
  fig.data.push({ type: "cone", x: [load.at[0]], y: [load.at[1]], z: [load.at[2]], u: [load.direction[0]], v: [load.direction[1]], w: [load.direction[2]], sizemode: "absolute", sizeref: 8, showscale: false, colorscale: [[0, "crimson"], [1, "crimson"]], name: "load" });
  return fig;
}

/** A force-displacement curve with its strength marked. */
export function forceDisplacementFigure(curve: { displacementMm: number; forceN: number }[], strengthN: number, linearStiffness?: number): PlotlyFigure {
  const x = curve.map((p) => p.displacementMm), y = curve.map((p) => p.forceN);
  const data: Record<string, unknown>[] = [{ type: "scatter", mode: "lines+markers", x, y, name: "nonlinear" }];
  if (linearStiffness) {
    const xm = Math.max(...x);
    data.push({ type: "scatter", mode: "lines", x: [0, Math.min(xm, (1.2 * strengthN) / linearStiffness)], y: [0, Math.min(xm * linearStiffness, 1.2 * strengthN)], name: "linear", line: { dash: "dot" } });
  }
  data.push({ type: "scatter", mode: "lines", x: [0, Math.max(...x)], y: [strengthN, strengthN], name: `strength ${strengthN.toFixed(0)} N`, line: { dash: "dash", color: "crimson" } });
  return { data, layout: { title: { text: "Force-displacement" }, xaxis: { title: { text: "displacement (mm)" } }, yaxis: { title: { text: "force (N)" } }, height: 380 } };
}
