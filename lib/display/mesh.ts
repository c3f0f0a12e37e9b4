/**
 * A 3D surface view of a triangle mesh with a scalar field on it (plotly `mesh3d`), from plain
 * arrays so any mesh source can use it (a bone surface, an FE model's outer faces).
 *
 * @example
 * ```ts
 * import { meshFigure } from "bct/lib/display/mesh";
 * import { plotlyBundle } from "bct/lib/display/plotly";
 * const fig = meshFigure({
 *   vertices: [0, 0, 0, 10, 0, 0, 0, 10, 0, 0, 0, 10],
 *   triangles: [0, 1, 2, 0, 1, 3, 0, 2, 3, 1, 2, 3],
 *   field: [0, 1, 2, 3], fieldLabel: "strain energy (mJ)",
 * });
 * plotlyBundle(fig);
 * ```
 * @module
 */
import { plotlyColorscale, type ColormapName } from "./colormap.js";
import { DisplayError } from "./errors.js";
import type { PlotlyFigure } from "./plotly.js";

/** Inputs of {@link meshFigure}. */
export interface MeshView {
  /** Vertex coordinates (LPS, mm), flat x0, y0, z0, x1, ... */
  vertices: ArrayLike<number>;
  /** Vertex indices (0-based) of each triangle, flat a0, b0, c0, a1, ... */
  triangles: ArrayLike<number>;
  /** A value per vertex (smooth) or per triangle (flat), coloured through `colormap`. */
  field?: ArrayLike<number>;
  fieldLabel?: string;
  /** Default "viridis". */
  colormap?: ColormapName;
  /** Colour range; default the field's range. */
  range?: [number, number];
  /** Surface colour without a field; default bone white "rgb(227,218,201)". */
  color?: string;
  opacity?: number;
  title?: string;
}

/**
 * The plotly figure of a mesh.
 * @throws DisplayError when array lengths do not fit (vertices not a multiple of 3, an index out of
 *   range, a field that is neither per vertex nor per triangle).
 */
export function meshFigure(m: MeshView): PlotlyFigure {
  const nv = m.vertices.length / 3;
  const nt = m.triangles.length / 3;
  if (!Number.isInteger(nv) || nv < 3) throw new DisplayError(`mesh vertices must be x,y,z triples (at least 3), got ${m.vertices.length} numbers`);
  if (!Number.isInteger(nt) || nt < 1) throw new DisplayError(`mesh triangles must be index triples, got ${m.triangles.length} numbers`);
  const x = new Array<number>(nv), y = new Array<number>(nv), z = new Array<number>(nv);
  for (let v = 0; v < nv; v++) {
    x[v] = m.vertices[3 * v];
    y[v] = m.vertices[3 * v + 1];
    z[v] = m.vertices[3 * v + 2];
  }
  const i = new Array<number>(nt), j = new Array<number>(nt), k = new Array<number>(nt);
  for (let t = 0; t < nt; t++) {
    const a = m.triangles[3 * t], b = m.triangles[3 * t + 1], c = m.triangles[3 * t + 2];
    for (const idx of [a, b, c]) {
      if (!Number.isInteger(idx) || idx < 0 || idx >= nv) throw new DisplayError(`triangle ${t} names vertex ${idx}, outside 0..${nv - 1}`);
    }
    i[t] = a;
    j[t] = b;
    k[t] = c;
  }
  const trace: Record<string, unknown> = { type: "mesh3d", x, y, z, i, j, k, flatshading: false, opacity: m.opacity ?? 1 };
  if (m.field) {
    const n = m.field.length;
    if (n !== nv && n !== nt) throw new DisplayError(`the field has ${n} values; give one per vertex (${nv}) or per triangle (${nt})`);
    trace.intensity = Array.from(m.field, (v) => (Number.isFinite(v) ? v : null));
    trace.intensitymode = n === nv ? "vertex" : "cell";
    trace.colorscale = plotlyColorscale(m.colormap ?? "viridis");
    trace.colorbar = { title: { text: m.fieldLabel ?? "" } };
    if (m.range) {
      trace.cmin = m.range[0];
      trace.cmax = m.range[1];
    }
    trace.hovertemplate = `x %{x:.1f} y %{y:.1f} z %{z:.1f} mm<br>${m.fieldLabel ?? "value"} %{intensity:.4g}<extra></extra>`;
  } else {
    trace.color = m.color ?? "rgb(227,218,201)";
  }
  return {
    data: [trace],
    layout: {
      title: m.title ? { text: m.title } : undefined,
      scene: {
        aspectmode: "data",
        xaxis: { title: { text: "x (R→L, mm)" } },
        yaxis: { title: { text: "y (A→P, mm)" } },
        zaxis: { title: { text: "z (I→S, mm)" } },
      },
      margin: { l: 0, r: 0, t: m.title ? 40 : 10, b: 0 },
      height: 480,
    },
  };
}
