/**
 * Level naming, step 1: the vertebral column's centreline (see spine-levels.ts). The density,
 * clamped and box-smoothed over about 9 mm, is thresholded so bodies and discs form one rod; per
 * axial slice the largest inscribed circle near the body's left-right centre is the column centre;
 * the longest smooth run of such slices, robustly smoothed, is the centreline with its tangent.
 * @module
 */
import { indexToWorld, type Vec3, type Volume } from "../volume/volume.js";
import { squaredDistanceToSeeds } from "./distance.js";
import { LevelNamingError, lerp3, median, unit, type Grid } from "./spine-levels-common.js";

/** Below this density (mg/cm3) a voxel is air, above it the patient: halfway between air (about -600) and fat (about -50). */
const BODY_OUTLINE_DENSITY = -300;
/** A column slice needs an inscribed circle at least this large (mm): a lumbar body or disc is far wider. */
export const MIN_COLUMN_RADIUS_MM = 8;
/** Half-windows (mm of z) of the robust centreline smoothing, for its points and for its tangent. */
const TRACK_SMOOTH_MM = 12;
const TANGENT_SMOOTH_MM = 20;

/** Box mean of `src` (clamped to [lo, hi]) with half-widths h (voxels) per axis, separable running sums. */
function boxSmooth(src: ArrayLike<number>, dims: Vec3, h: Vec3, lo: number, hi: number): Float32Array {
  const [nx, ny, nz] = dims;
  const out = new Float32Array(nx * ny * nz);
  for (let p = 0; p < out.length; p++) out[p] = Math.min(hi, Math.max(lo, src[p]));
  const maxLen = Math.max(nx, ny, nz);
  const line = new Float64Array(maxLen + 1);
  const pass = (len: number, stride: number, starts: number[], hw: number) => {
    if (hw < 1 || len < 2) return;
    for (const s0 of starts) {
      line[0] = 0;
      for (let q = 0; q < len; q++) line[q + 1] = line[q] + out[s0 + q * stride];
      for (let q = 0; q < len; q++) {
        const a = Math.max(0, q - hw), b = Math.min(len, q + hw + 1);
        out[s0 + q * stride] = (line[b] - line[a]) / (b - a);
      }
    }
  };
  const starts = (count: number, f: (t: number) => number) => Array.from({ length: count }, (_, t) => f(t));
  pass(nx, 1, starts(ny * nz, (t) => t * nx), h[0]);
  pass(ny, nx, starts(nx * nz, (t) => (t % nx) + Math.floor(t / nx) * nx * ny), h[1]);
  pass(nz, nx * ny, starts(nx * ny, (t) => t), h[2]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// 1. Column track
// ---------------------------------------------------------------------------------------------

/** One axial slice of the column centreline. */
export interface TrackPoint {
  k: number;
  /** Raw inscribed-circle centre and radius. */
  raw: Vec3;
  radiusMm: number;
  /** Smoothed centre and unit tangent (superior). */
  point: Vec3;
  tangent: Vec3;
}

function bodyCentreI(density: Volume, k: number): number {
  const [nx, ny] = density.dims;
  const base = nx * ny * k;
  const col = new Float64Array(nx);
  let tot = 0;
  for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) if (density.data[base + i + nx * j] > BODY_OUTLINE_DENSITY) { col[i]++; tot++; }
  if (tot === 0) return (nx - 1) / 2;
  let acc = 0;
  for (let i = 0; i < nx; i++) {
    acc += col[i];
    if (acc >= tot / 2) return i;
  }
  return (nx - 1) / 2;
}

export function columnTrack(density: Volume, g: Grid, columnThreshold: number, halfWidthMm: number): TrackPoint[] {
  const { nx, ny, nz } = g;
  const sp = density.spacing;
  const h: Vec3 = [Math.max(1, Math.round(4.5 / sp[0])), Math.max(1, Math.round(4.5 / sp[1])), Math.max(1, Math.round(4.5 / sp[2]))];
  const sm = boxSmooth(density.data, density.dims, h, -100, 400);
  const bg = new Uint8Array(nx * ny);
  const raw: { k: number; raw: Vec3; radiusMm: number }[] = [];
  const w = Math.max(1, Math.round(halfWidthMm / sp[0]));
  for (let k = 0; k < nz; k++) {
    const base = nx * ny * k;
    for (let p = 0; p < nx * ny; p++) bg[p] = sm[base + p] > columnThreshold ? 0 : 1;
    const d2 = squaredDistanceToSeeds(bg, [nx, ny, 1], [sp[0], sp[1], 1]);
    const ic = bodyCentreI(density, k);
    let best = 0, bi = -1, bj = -1;
    for (let j = 0; j < ny; j++) {
      for (let i = Math.max(0, Math.round(ic) - w); i <= Math.min(nx - 1, Math.round(ic) + w); i++) {
        const v = d2[i + nx * j];
        if (v > best && Number.isFinite(v)) { best = v; bi = i; bj = j; }
      }
    }
    if (bi >= 0) raw.push({ k, raw: indexToWorld(density, [bi, bj, k]), radiusMm: Math.sqrt(best) });
  }
  // the longest run of slices with a column-sized circle, moving smoothly
  const runs: (typeof raw)[] = [];
  let cur: typeof raw = [];
  for (const r of raw) {
    if (r.radiusMm < MIN_COLUMN_RADIUS_MM) continue;
    const last = cur[cur.length - 1];
    if (last && (r.k - last.k > 3 || Math.hypot(r.raw[0] - last.raw[0], r.raw[1] - last.raw[1]) > 15 + 5 * (r.k - last.k))) {
      runs.push(cur);
      cur = [];
    }
    cur.push(r);
  }
  if (cur.length) runs.push(cur);
  const extent = (run: typeof raw) => Math.abs(run[run.length - 1].raw[2] - run[0].raw[2]);
  let run = runs[0] ?? [];
  for (const r of runs) if (extent(r) > extent(run)) run = r;
  if (run.length < 3) {
    throw new LevelNamingError(`no vertebral column found: no run of axial slices holds a bone-and-disc rod of radius ${MIN_COLUMN_RADIUS_MM} mm or more near the left-right centre (is the density calibrated, and does the scan show the spine?)`);
  }
  run.sort((a, b) => a.raw[2] - b.raw[2]);
  return smoothTrack(run);
}

/**
 * Robust local linear regression of x(z), y(z): tricube weights over +/-{@link TRACK_SMOOTH_MM} of z,
 * bisquare weights on the residuals, 3 passes; the tangent from the same regression over
 * +/-{@link TANGENT_SMOOTH_MM}, where the 1-voxel steps of the raw centres average out.
 */
function smoothTrack(run: { k: number; raw: Vec3; radiusMm: number }[]): TrackPoint[] {
  const n = run.length;
  const z = run.map((r) => r.raw[2]);
  const robust = new Float64Array(n).fill(1);
  const fitAt = (c: number, halfWin: number) => {
    let sw = 0, sz = 0, szz = 0, sx = 0, sy = 0, szx = 0, szy = 0;
    for (let q = 0; q < n; q++) {
      const dz = z[q] - z[c];
      const u = Math.abs(dz) / (halfWin + 1e-6);
      if (u >= 1) continue;
      const wt = (1 - u * u * u) ** 3 * robust[q];
      sw += wt; sz += wt * dz; szz += wt * dz * dz;
      sx += wt * run[q].raw[0]; sy += wt * run[q].raw[1];
      szx += wt * dz * run[q].raw[0]; szy += wt * dz * run[q].raw[1];
    }
    const det = sw * szz - sz * sz;
    if (sw <= 0) return { x: run[c].raw[0], y: run[c].raw[1], dx: 0, dy: 0 };
    if (det <= 1e-9 * sw * sw) return { x: sx / sw, y: sy / sw, dx: 0, dy: 0 };
    return {
      x: (szz * sx - sz * szx) / det, y: (szz * sy - sz * szy) / det,
      dx: (sw * szx - sz * sx) / det, dy: (sw * szy - sz * sy) / det,
    };
  };
  let fit = run.map((_, c) => fitAt(c, TRACK_SMOOTH_MM));
  for (let pass = 0; pass < 3; pass++) {
    const res = run.map((r, c) => Math.hypot(r.raw[0] - fit[c].x, r.raw[1] - fit[c].y));
    const s = 6 * Math.max(median(res), 0.5);
    for (let q = 0; q < n; q++) robust[q] = res[q] < s ? (1 - (res[q] / s) ** 2) ** 2 : 0;
    fit = run.map((_, c) => fitAt(c, TRACK_SMOOTH_MM));
  }
  return run.map((r, c) => {
    const t = fitAt(c, TANGENT_SMOOTH_MM);
    return { k: r.k, raw: r.raw, radiusMm: r.radiusMm, point: [fit[c].x, fit[c].y, z[c]] as Vec3, tangent: unit([t.dx, t.dy, 1]) };
  });
}

/** Centreline point and tangent at world height zq (linear between slices, clamped). */
export function trackAt(track: TrackPoint[], zq: number): { point: Vec3; tangent: Vec3 } {
  if (zq <= track[0].point[2]) return { point: [track[0].point[0], track[0].point[1], zq], tangent: track[0].tangent };
  const last = track[track.length - 1];
  if (zq >= last.point[2]) return { point: [last.point[0], last.point[1], zq], tangent: last.tangent };
  let a = 0;
  while (track[a + 1].point[2] < zq) a++;
  const f = (zq - track[a].point[2]) / (track[a + 1].point[2] - track[a].point[2]);
  return { point: lerp3(track[a].point, track[a + 1].point, f), tangent: unit(lerp3(track[a].tangent, track[a + 1].tangent, f)) };
}
