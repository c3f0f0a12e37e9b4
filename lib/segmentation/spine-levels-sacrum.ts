/**
 * Level naming, step 3: the sacrum (see spine-levels.ts). Per axial slice, the bone connected in the
 * slice to the column centre within an antero-posterior band: at the sacrum it runs through the alae
 * and the sacroiliac joints into both ilia, so it reaches {@link SACRAL_HALF_WIDTH_MM} on both sides; a
 * lumbar vertebra's transverse processes do not. The lowest run of at least two such slices in the
 * lower half of the column is the sacrum; its top marks the L5/S1 disc.
 * @module
 */
import { indexToWorld, type Vec3, type Volume } from "../volume/volume.js";
import type { Grid } from "./spine-levels-common.js";
import type { TrackPoint } from "./spine-levels-column.js";

interface SacralSlice { k: number; halfWidth: [number, number]; sacral: boolean }

/**
 * Per track slice: how far (mm, right and left) the bone joined in-plane to the column centre reaches
 * within the antero-posterior band. Gaps narrower than about 3 mm are bridged, so that a sacroiliac
 * joint space does not part the sacrum from the ilia.
 */
function sacralWidths(density: Volume, g: Grid, track: TrackPoint[], boneThreshold: number, sacralHalfWidth: number): SacralSlice[] {
  const { nx, ny } = g;
  const sp = density.spacing;
  const ri = Math.max(1, Math.round(3 / sp[0])), rj = Math.max(1, Math.round(3 / sp[1]));
  const seen = new Uint8Array(nx * ny);
  const stack = new Int32Array(nx * ny);
  const out: SacralSlice[] = [];
  for (const t of track) {
    const k = t.k, base = nx * ny * k;
    const c = t.point;
    // world offsets of voxel (i, j) of this slice from the centre: x and y
    const o = indexToWorld(density, [0, 0, k]);
    const dxOf = (i: number, j: number) => o[0] + i * g.ei[0] + j * g.ej[0] - c[0];
    const dyOf = (i: number, j: number) => o[1] + i * g.ei[1] + j * g.ej[1] - c[1];
    const inBand = (i: number, j: number) => {
      const dy = dyOf(i, j);
      return dy >= -15 && dy <= 20; // 15 mm anterior (-y) to 20 mm posterior (+y)
    };
    seen.fill(0);
    // seed: the bone voxel of the band nearest the centre, within 15 mm
    let seed = -1, bestD = 15 * 15;
    for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
      if (density.data[base + i + nx * j] <= boneThreshold || !inBand(i, j)) continue;
      const d2 = dxOf(i, j) ** 2 + dyOf(i, j) ** 2;
      if (d2 < bestD) { bestD = d2; seed = i + nx * j; }
    }
    let right = 0, left = 0;
    if (seed >= 0) {
      let top = 0;
      stack[top++] = seed;
      seen[seed] = 1;
      while (top > 0) {
        const q = stack[--top];
        const i = q % nx, j = (q - i) / nx;
        const dx = dxOf(i, j);
        if (dx > left) left = dx;
        if (-dx > right) right = -dx;
        for (let b = Math.max(0, j - rj); b <= Math.min(ny - 1, j + rj); b++) {
          for (let a = Math.max(0, i - ri); a <= Math.min(nx - 1, i + ri); a++) {
            const r = a + nx * b;
            if (seen[r] || density.data[base + r] <= boneThreshold || !inBand(a, b)) continue;
            seen[r] = 1;
            stack[top++] = r;
          }
        }
      }
    }
    out.push({ k, halfWidth: [right, left], sacral: right >= sacralHalfWidth && left >= sacralHalfWidth });
  }
  return out;
}

/** The sacrum found along the column. */
export interface SacrumFound {
  topSlice: number;
  bottomSlice: number;
  /** World height of its top slice's centreline point, and that point. */
  topZ: number;
  topPoint: Vec3;
  maxHalfWidthMm: [number, number];
  /** The other runs of sacrum-wide slices (ribs, a transitional vertebra): their slices and top height. */
  otherRuns: { slices: number[]; topZ: number }[];
}

/**
 * The sacrum: the lowest run of >= 2 sacrum-wide slices whose top lies in the lower half of the
 * column (higher runs are ribs); null when there is none, with the widest two-sided reach seen.
 */
export function findSacrum(density: Volume, g: Grid, track: TrackPoint[], boneThreshold: number, sacralHalfWidth: number, arcAtZ: (z: number) => number, lengthMm: number): { sacrum: SacrumFound | null; widestMm: number } {
  const widths = sacralWidths(density, g, track, boneThreshold, sacralHalfWidth);
  const widestMm = Math.max(...widths.map((w) => Math.min(w.halfWidth[0], w.halfWidth[1])));
  const runs: SacralSlice[][] = [];
  let cur: SacralSlice[] = [];
  for (const w of widths) {
    if (w.sacral && cur.length && Math.abs(w.k - cur[cur.length - 1].k) === 1) cur.push(w);
    else if (w.sacral) { if (cur.length) runs.push(cur); cur = [w]; }
    else if (cur.length) { runs.push(cur); cur = []; }
  }
  if (cur.length) runs.push(cur);
  const byK = new Map(track.map((t) => [t.k, t]));
  const zOfK = (k: number) => byK.get(k)!.point[2];
  const topOf = (r: SacralSlice[]) => Math.max(...r.map((w) => zOfK(w.k)));
  const candidates = runs.filter((r) => r.length >= 2 && arcAtZ(topOf(r)) <= lengthMm / 2);
  if (!candidates.length) return { sacrum: null, widestMm };
  const run = candidates.reduce((a, b) => (topOf(b) < topOf(a) ? b : a));
  const top = run.reduce((a, b) => (zOfK(b.k) > zOfK(a.k) ? b : a));
  const bottom = run.reduce((a, b) => (zOfK(b.k) < zOfK(a.k) ? b : a));
  const p = byK.get(top.k)!.point;
  return {
    sacrum: {
      topSlice: top.k, bottomSlice: bottom.k, topZ: zOfK(top.k), topPoint: [p[0], p[1], p[2]],
      maxHalfWidthMm: [Math.max(...run.map((w) => w.halfWidth[0])), Math.max(...run.map((w) => w.halfWidth[1]))].map((x) => +x.toFixed(1)) as [number, number],
      otherRuns: runs.filter((r) => r !== run && r.length >= 2).map((r) => ({ slices: r.map((w) => w.k), topZ: topOf(r) })),
    },
    widestMm,
  };
}
