/**
 * Level naming, step 2: the discs along the column (see spine-levels.ts). The median density across
 * the column, perpendicular to its local direction, sampled every 1 mm along the centreline; discs
 * are the minima of that profile, scored by their depth below the endplates on either side; a
 * best-chain search keeps the regularly spaced ones.
 * @module
 */
import { trilinearAt } from "../volume/resample.js";
import { worldToIndex, type Vec3, type Volume } from "../volume/volume.js";
import { cross, median, unit } from "./spine-levels-common.js";
import { trackAt, type TrackPoint } from "./spine-levels-column.js";

/** Half-window (mm along the column) in which a disc minimum looks for its endplates. */
const ENDPLATE_WINDOW_MM = 15;

/** The density profile along the centreline: raw and 2 mm Gaussian-smoothed, with its points and tangents. */
export interface Profile {
  z: number[];
  arc: number[];
  value: number[];
  smooth: number[];
  point: Vec3[];
  tangent: Vec3[];
}

export function discProfile(density: Volume, track: TrackPoint[], radiusMm: number): Profile {
  const [nx, ny, nz] = density.dims;
  const z0 = track[0].point[2], z1 = track[track.length - 1].point[2];
  const step = 1;
  const rings = [0, radiusMm / 3, (2 * radiusMm) / 3, radiusMm];
  const out: Profile = { z: [], arc: [], value: [], smooth: [], point: [], tangent: [] };
  let arc = 0;
  for (let zq = z0; zq <= z1 + 1e-9; zq += step) {
    const { point, tangent } = trackAt(track, zq);
    const e: Vec3 = Math.abs(tangent[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
    const u = unit(cross(tangent, e)), v = cross(tangent, u);
    const vals: number[] = [];
    rings.forEach((r, ri) => {
      const m = ri === 0 ? 1 : 6 * ri;
      for (let a = 0; a < m; a++) {
        const th = (2 * Math.PI * a) / m;
        const c = Math.cos(th) * r, s = Math.sin(th) * r;
        const w: Vec3 = [point[0] + c * u[0] + s * v[0], point[1] + c * u[1] + s * v[1], point[2] + c * u[2] + s * v[2]];
        const ijk = worldToIndex(density, w);
        vals.push(trilinearAt(density.data, nx, ny, nz, ijk[0], ijk[1], ijk[2]));
      }
    });
    if (out.point.length) arc += Math.hypot(point[0] - out.point[out.point.length - 1][0], point[1] - out.point[out.point.length - 1][1], point[2] - out.point[out.point.length - 1][2]);
    out.z.push(zq);
    out.arc.push(arc);
    out.value.push(median(vals));
    out.point.push(point);
    out.tangent.push(tangent);
  }
  // Gaussian smoothing, sigma 2 mm of arc
  const n = out.value.length;
  const meanStep = n > 1 ? out.arc[n - 1] / (n - 1) : 1;
  const sig = 2 / meanStep, half = Math.ceil(3 * sig);
  for (let q = 0; q < n; q++) {
    let s = 0, ws = 0;
    for (let d = -half; d <= half; d++) {
      const r = q + d;
      if (r < 0 || r >= n) continue;
      const wt = Math.exp(-0.5 * (d / sig) ** 2);
      s += wt * out.value[r]; ws += wt;
    }
    out.smooth.push(s / ws);
  }
  return out;
}

export interface Minimum { index: number; arc: number; value: number; depth: number; below: number; above: number }

export function profileMinima(p: Profile): Minimum[] {
  const out: Minimum[] = [];
  const v = p.smooth, n = v.length;
  for (let q = 1; q < n - 1; q++) {
    if (!(v[q] < v[q - 1] && v[q] <= v[q + 1])) continue;
    let left = -Infinity, right = -Infinity;
    for (let r = q; r >= 0 && p.arc[q] - p.arc[r] <= ENDPLATE_WINDOW_MM; r--) left = Math.max(left, v[r]);
    for (let r = q; r < n && p.arc[r] - p.arc[q] <= ENDPLATE_WINDOW_MM; r++) right = Math.max(right, v[r]);
    const depth = Math.min(left, right) - v[q], half = v[q] + depth / 2;
    let a = q, b = q;
    while (a > 0 && v[a - 1] < half && p.arc[q] - p.arc[a - 1] <= ENDPLATE_WINDOW_MM) a--;
    while (b < n - 1 && v[b + 1] < half && p.arc[b + 1] - p.arc[q] <= ENDPLATE_WINDOW_MM) b++;
    // the half-depth crossings, interpolated between samples
    const cross = (x: number, y: number) => (v[y] === v[x] ? p.arc[x] : p.arc[x] + ((half - v[x]) / (v[y] - v[x])) * (p.arc[y] - p.arc[x]));
    const below = a > 0 ? p.arc[q] - cross(a, a - 1) : p.arc[q] - p.arc[a];
    const above = b < n - 1 ? cross(b, b + 1) - p.arc[q] : p.arc[b] - p.arc[q];
    out.push({ index: q, arc: p.arc[q], value: v[q], depth, below, above });
  }
  return out;
}


/**
 * The chain of minima with neighbours `lo`..`hi` mm apart that maximises the summed depth less the
 * irregularity of the spacing (1 mg/cm3 per mm of change from one spacing to the next): from `start`
 * upwards when given (the L5/S1 disc), else starting at any minimum (no sacrum in view).
 */
export function bestChain(start: Minimum | null, cands: Minimum[], lo: number, hi: number): Minimum[] {
  const above = cands.filter((m) => !start || m.arc > start.arc).sort((a, b) => a.arc - b.arc);
  const nodes = start ? [start, ...above] : above;
  const n = nodes.length;
  if (n === 0) return [];
  // best[a][b]: best score of a chain whose last two nodes are a then b
  const best = Array.from({ length: n }, () => new Float64Array(n).fill(-Infinity));
  const prev = Array.from({ length: n }, () => new Int32Array(n).fill(-1));
  const ok = (a: number, b: number) => {
    const d = nodes[b].arc - nodes[a].arc;
    return d >= lo && d <= hi;
  };
  const firsts = start ? [0] : nodes.map((_, a) => a);
  for (const a of firsts) for (let b = a + 1; b < n; b++) if (ok(a, b)) best[a][b] = nodes[a].depth + nodes[b].depth;
  for (let b = 1; b < n; b++) {
    for (let a = 0; a < b; a++) {
      if (best[a][b] === -Infinity) continue;
      for (let c = b + 1; c < n; c++) {
        if (!ok(b, c)) continue;
        const irregular = Math.abs((nodes[c].arc - nodes[b].arc) - (nodes[b].arc - nodes[a].arc));
        const s = best[a][b] + nodes[c].depth - irregular;
        if (s > best[b][c]) { best[b][c] = s; prev[b][c] = a; }
      }
    }
  }
  // a chain of one: the start, or the deepest minimum
  let bb = start ? 0 : nodes.reduce((m, x, q) => (x.depth > nodes[m].depth ? q : m), 0);
  let bs = nodes[bb].depth, ba = -1;
  for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) if (best[a][b] > bs) { bs = best[a][b]; ba = a; bb = b; }
  const chain: number[] = [bb];
  while (ba >= 0) {
    chain.push(ba);
    const p = prev[ba][bb];
    bb = ba;
    ba = p;
  }
  return chain.reverse().map((q) => nodes[q]);
}
