/**
 * Automatic lumbar level naming without a label map: find the vertebral column in a calibrated
 * density volume, find the intervertebral discs along it, find the sacrum, name the levels by
 * counting up from the sacrum, cross-check the count against the ribs, and cut out one named
 * vertebra for {@link isolateVertebralBody}.
 *
 * Method of {@link nameLumbarLevels} (density in mg/cm3 K2HPO4, world LPS mm; the scan must be axial):
 * 1. **Column track.** The density, clamped to [-100, 400] and box-smoothed over about 9 mm, is
 *    thresholded at {@link COLUMN_THRESHOLD}: between soft tissue and disc, so bodies and discs form one
 *    solid rod whatever holes the trabecular bone has. In each axial slice the largest inscribed circle
 *    (2D distance-transform maximum) within +/-25 mm left-right of the body outline's centre is the
 *    column centre. The longest run of slices with a circle of radius >= 8 mm is kept and smoothed by
 *    robust (bisquare) local linear regression over +/-12 mm of z (its tangent over +/-20 mm): a
 *    curved centreline with its local direction (lordosis included).
 * 2. **Disc profile.** Along the centreline, in 1 mm steps of z, the median density over a 6 mm
 *    radius disc *perpendicular to the local tangent* (trilinear samples). Sampling across the column
 *    rather than per axial slice keeps the tilted L5/S1 disc from reading as bone. Discs are local
 *    minima of the (2 mm Gaussian-smoothed) profile; each is scored by its depth below the lower of
 *    the two highest points within 15 mm on either side (the endplates), and its extent is where the
 *    profile climbs back halfway to that level (the endplates lie there).
 * 3. **Sacrum.** Per axial slice, the bone (> {@link LEVEL_BONE_THRESHOLD}) connected in the slice to the
 *    column centre within an antero-posterior band (20 mm behind to 15 mm in front of the centre): at the
 *    sacrum it runs through the alae and the sacroiliac joints into both ilia, so it reaches
 *    {@link SACRAL_HALF_WIDTH_MM} on both sides; a lumbar vertebra's transverse processes do not. The
 *    lowest run of at least two such slices in the lower half of the column is the sacrum (higher
 *    runs are ribs); its top slice marks the L5/S1 disc.
 * 4. **Naming.** The L5/S1 disc is the deepest profile minimum from 10 mm below to 25 mm above the
 *    sacral top (the sacral top itself when there is none). From it, a best-chain search (dynamic
 *    programming over pairs: maximal summed depth less the change of spacing from one pair of discs to
 *    the next) picks the discs above with 22-45 mm between neighbours, which keeps the chain off the
 *    shallower minima at mid-body; the levels between them are, bottom up, L5, L4, L3, L2, L1, T12,
 *    T11 (S1 below L5/S1).
 * 5. **Cross-checks.** Ribs: bone components (26-connected, > {@link LEVEL_BONE_THRESHOLD}) outside a
 *    30 mm half-width slab around the column that reach the slab's edge behind the body centre and run
 *    out to >= 70 mm laterally; the level of their medial end bears ribs, and T12 is the lowest
 *    rib-bearing vertebra. Heights: every lumbar level's disc-to-disc length against the median.
 *    Sacrum-wide bone within L5: a transitional vertebra. Any disagreement becomes a warning; the
 *    names always follow the sacrum count.
 *
 * {@link lumbarVertebraMask} cuts one complete level out: bone between its discs' endplate planes.
 *
 * On the example scan (3 mm voxels) this names S1 to T12 as TotalSegmentator does, finds every disc
 * within 2 mm of TotalSegmentator's disc label, both 12th ribs at T12, and gives vertebral bodies
 * (after {@link isolateVertebralBody}) with Dice 0.89-0.94 against TotalSegmentator's (L1 0.92);
 * test/segmentation/spine-levels.test.ts. Contrast-filled vessels or bowel beside the column, a
 * scan that stops above the sacrum, and transitional vertebrae are its known limits.
 *
 * The numbers marked "tuned" below were set on the TotalSegmentator example scan (3 mm slices) and
 * its labels; they are choices, not published values.
 *
 * @example
 * ```ts
 * import { nameLumbarLevels, lumbarVertebraMask } from "bct/lib/segmentation/spine-levels";
 * import { isolateVertebralBody } from "bct/lib/segmentation/vertebra";
 * const naming = nameLumbarLevels(density);
 * for (const w of naming.warnings) console.warn(w);
 * const L1 = lumbarVertebraMask(density, "L1", { naming });
 * const { body } = isolateVertebralBody(L1);
 * ```
 * @module
 */
import { boundingBox, cropVolume } from "../volume/crop.js";
import { trilinearAt } from "../volume/resample.js";
import { createVolume, indexToWorld, worldToIndex, type Vec3, type Volume } from "../volume/volume.js";
import { connectedComponents, fillHoles } from "./components.js";
import { squaredDistanceToSeeds } from "./distance.js";
import { SegmentationError, type Mask } from "./mask.js";
import { paste } from "./femur.js";
import { close } from "./morphology.js";

/** Automatic level naming failed: no column, no sacrum, or the level asked for is not in view. */
export class LevelNamingError extends SegmentationError {
  override name = "LevelNamingError";
}

/**
 * Bone threshold of the level naming (mg/cm3 K2HPO4). Tuned: on 3 mm slices 150 breaks the thin
 * vertebral bodies apart; 75 keeps them (about a fifth of TotalSegmentator's body voxels read below
 * 75 on the example scan, its disc voxels a median 64).
 */
export const LEVEL_BONE_THRESHOLD = 75;

/**
 * Threshold (mg/cm3 K2HPO4) of the ~9 mm box-smoothed density that makes bodies and discs one rod.
 * Tuned: between muscle (27) and blood (36) of the example scan's internal calibration and its disc
 * median (64, TotalSegmentator disc label).
 */
export const COLUMN_THRESHOLD = 55;

/**
 * Half-width (mm, each side of the column centre) that the bone joined to the column must reach in an
 * axial slice for the slice to count as sacrum (alae joined to the ilia). Tuned: the example scan's
 * L5 with its transverse processes spans at most 96 mm (48 a side), its sacrum with the ilia 189-210 mm.
 */
export const SACRAL_HALF_WIDTH_MM = 60;

/**
 * Closing radius (mm) of a cut-out vertebra. Tuned: about a fifth of a 3 mm body's voxels read below
 * {@link LEVEL_BONE_THRESHOLD}, scattered through it; without the closing the body that
 * {@link isolateVertebralBody} finds in the example scan's L1 keeps a quarter of its voxels (Dice 0.32
 * against TotalSegmentator's), with it Dice 0.92.
 */
export const VERTEBRA_CLOSING_MM = 3;

/** Names of the levels the naming can give, bottom up. */
export const SPINE_LEVELS_BOTTOM_UP = ["S1", "L5", "L4", "L3", "L2", "L1", "T12", "T11", "T10"] as const;
/** A vertebral level name. */
export type SpineLevelName = (typeof SPINE_LEVELS_BOTTOM_UP)[number];

/** Options of {@link nameLumbarLevels}. */
export interface SpineLevelOptions {
  /** Bone threshold (mg/cm3). Default {@link LEVEL_BONE_THRESHOLD}. */
  boneThreshold?: number;
  /** Column (bodies + discs) threshold of the smoothed density (mg/cm3). Default {@link COLUMN_THRESHOLD}. */
  columnThreshold?: number;
  /** Half-width (mm) of the left-right search window around the body outline's centre. Default 25. */
  searchHalfWidthMm?: number;
  /** Radius (mm) of the disc sampled across the column for the profile. Default 6. */
  profileRadiusMm?: number;
  /** Spacing (mm) of neighbouring discs along the column: [min, max]. Default [22, 45]. */
  discSpacingMm?: [number, number];
  /** Sacrum half-width (mm). Default {@link SACRAL_HALF_WIDTH_MM}. */
  sacralHalfWidthMm?: number;
}

/** An intervertebral disc found along the column (world LPS mm). */
export interface DiscPlane {
  /** The two levels it separates, upper/lower: "L5/S1", "L4/L5", ... */
  name: string;
  /** Its centre on the column centreline. */
  point: Vec3;
  /** Unit column direction there, pointing superior: the disc plane's normal. */
  normal: Vec3;
  /** Position along the centreline (mm from its lowest point). */
  arcMm: number;
  /** Profile density at the disc (mg/cm3). */
  densityMgCm3: number;
  /** Depth of the profile minimum below the neighbouring endplates (mg/cm3). */
  depthMgCm3: number;
  /**
   * The disc's extent along the column (mm from `point`, below and above): where the profile climbs
   * back halfway from the minimum to the lower of its endplate peaks. The endplates lie there.
   */
  extentMm: [number, number];
  /** "profile": a profile minimum; "sacrum": placed at the sacral top for want of a minimum. */
  source: "profile" | "sacrum";
}

/** A named vertebra. */
export interface NamedLevel {
  name: SpineLevelName;
  /** Its centre on the column centreline (midway between its discs). */
  centre: Vec3;
  /** Unit column direction at the centre, pointing superior. */
  axis: Vec3;
  /** Disc below (null for S1). */
  inferior: DiscPlane | null;
  /** Disc above (null for the topmost level when the scan ends in it). */
  superior: DiscPlane | null;
  /** Disc-to-disc length along the centreline (mm), null when a disc is missing. */
  heightMm: number | null;
  /** Axial slices (k) whose centreline point lies between its discs. */
  slices: [number, number];
  /** True when both discs were found: only such a level can be cut out. */
  complete: boolean;
}

/** Result of {@link nameLumbarLevels}: plain, JSON-serialisable data. */
export interface SpineLevelsResult {
  /** Named levels, bottom up. */
  levels: NamedLevel[];
  /** Discs, bottom up. */
  discs: DiscPlane[];
  /** The column centreline: slices it spans, its length, and the mean inscribed radius. */
  column: { slices: [number, number]; lengthMm: number; meanRadiusMm: number };
  /** The disc profile along the centreline. */
  profile: { arcMm: number[]; densityMgCm3: number[] };
  /** Sacrum evidence. */
  sacrum: { topSlice: number; bottomSlice: number; topPoint: Vec3; maxHalfWidthMm: [number, number]; otherRuns: number[][] };
  /** Rib evidence: the ribs found, the lowest rib-bearing level, and whether it is the named T12. */
  ribs: { found: { medialEnd: Vec3; level: SpineLevelName | null; lateralReachMm: number; side: "left" | "right" }[]; lowestLevel: SpineLevelName | null; agrees: boolean | null };
  /** Disc-to-disc heights (mm) of the complete lumbar levels, and their median. */
  heights: { level: SpineLevelName; heightMm: number }[];
  medianHeightMm: number | null;
  /** The method, in one line, for reports. */
  method: string;
  warnings: string[];
}

// ---------------------------------------------------------------------------------------------
// Small vector helpers
// ---------------------------------------------------------------------------------------------

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const unit = (a: Vec3): Vec3 => {
  const n = Math.hypot(a[0], a[1], a[2]) || 1;
  return [a[0] / n, a[1] / n, a[2] / n];
};
const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const lerp3 = (a: Vec3, b: Vec3, f: number): Vec3 => [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2])];
const round3 = (a: Vec3, d = 2): Vec3 => a.map((x) => +x.toFixed(d)) as Vec3;

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Below this density (mg/cm3) a voxel is air, above it the patient: halfway between air (about -600) and fat (about -50). */
const BODY_OUTLINE_DENSITY = -300;
/** A column slice needs an inscribed circle at least this large (mm): a lumbar body or disc is far wider. */
const MIN_COLUMN_RADIUS_MM = 8;
/** Half-windows (mm of z) of the robust centreline smoothing, for its points and for its tangent. */
const TRACK_SMOOTH_MM = 12;
const TANGENT_SMOOTH_MM = 20;
/** Half-window (mm along the column) in which a disc minimum looks for its endplates. */
const ENDPLATE_WINDOW_MM = 15;
/** Ribs: the slab around the column cut away (mm each side), and the lateral reach a rib must have (mm). */
const RIB_SLAB_MM = 30;
const RIB_REACH_MM = 70;

// ---------------------------------------------------------------------------------------------
// Geometry of the grid
// ---------------------------------------------------------------------------------------------

interface Grid {
  nx: number; ny: number; nz: number;
  /** World step (mm) per unit of i and j. */
  ei: Vec3; ej: Vec3;
}

function gridOf(v: Volume): Grid {
  const d = v.direction, s = v.spacing;
  const cos30 = Math.cos(Math.PI / 6);
  if (Math.abs(d[0]) < cos30 || Math.abs(d[4]) < cos30 || Math.abs(d[8]) < cos30) {
    throw new LevelNamingError(`automatic level naming needs an axial scan (voxel axes within 30 degrees of left-right, antero-posterior and cranio-caudal); this one's direction is [${d.map((x) => x.toFixed(3)).join(", ")}]: give a vertebra label map (--labels) instead`);
  }
  return {
    nx: v.dims[0], ny: v.dims[1], nz: v.dims[2],
    ei: [d[0] * s[0], d[3] * s[0], d[6] * s[0]],
    ej: [d[1] * s[1], d[4] * s[1], d[7] * s[1]],
  };
}

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
interface TrackPoint {
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

function columnTrack(density: Volume, g: Grid, columnThreshold: number, halfWidthMm: number): TrackPoint[] {
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
    throw new LevelNamingError(`no vertebral column found: no run of axial slices holds a bone-and-disc rod of radius ${MIN_COLUMN_RADIUS_MM} mm or more near the left-right centre (is the density calibrated, and does the scan show the lumbar spine?)`);
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
function trackAt(track: TrackPoint[], zq: number): { point: Vec3; tangent: Vec3 } {
  if (zq <= track[0].point[2]) return { point: [track[0].point[0], track[0].point[1], zq], tangent: track[0].tangent };
  const last = track[track.length - 1];
  if (zq >= last.point[2]) return { point: [last.point[0], last.point[1], zq], tangent: last.tangent };
  let a = 0;
  while (track[a + 1].point[2] < zq) a++;
  const f = (zq - track[a].point[2]) / (track[a + 1].point[2] - track[a].point[2]);
  return { point: lerp3(track[a].point, track[a + 1].point, f), tangent: unit(lerp3(track[a].tangent, track[a + 1].tangent, f)) };
}

// ---------------------------------------------------------------------------------------------
// 2. Disc profile along the centreline
// ---------------------------------------------------------------------------------------------

interface Profile {
  z: number[];
  arc: number[];
  value: number[];
  smooth: number[];
  point: Vec3[];
  tangent: Vec3[];
}

function discProfile(density: Volume, track: TrackPoint[], radiusMm: number): Profile {
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

interface Minimum { index: number; arc: number; value: number; depth: number; below: number; above: number }

function profileMinima(p: Profile): Minimum[] {
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


// ---------------------------------------------------------------------------------------------
// 3. Sacrum: bone joined to the column reaching both ilia
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// 4. Disc chain
// ---------------------------------------------------------------------------------------------

/**
 * The chain of minima above `start` with neighbours `lo`..`hi` mm apart that maximises the summed
 * depth less the irregularity of the spacing (1 mg/cm3 per mm of change from one spacing to the next).
 */
function bestChain(start: Minimum, cands: Minimum[], lo: number, hi: number): Minimum[] {
  const nodes = [start, ...cands.filter((m) => m.arc > start.arc).sort((a, b) => a.arc - b.arc)];
  const n = nodes.length;
  // best[a][b]: best score of a chain from start whose last two nodes are a then b
  const best = Array.from({ length: n }, () => new Float64Array(n).fill(-Infinity));
  const prev = Array.from({ length: n }, () => new Int32Array(n).fill(-1));
  const ok = (a: number, b: number) => {
    const d = nodes[b].arc - nodes[a].arc;
    return d >= lo && d <= hi;
  };
  for (let b = 1; b < n; b++) if (ok(0, b)) best[0][b] = nodes[0].depth + nodes[b].depth;
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
  let bs = nodes[0].depth, ba = -1, bb = 0;
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

// ---------------------------------------------------------------------------------------------
// 5. Ribs: the lowest rib-bearing vertebra is T12
// ---------------------------------------------------------------------------------------------

interface RibFound { medialEnd: Vec3; lateralReachMm: number; side: "left" | "right" }

/**
 * Ribs: components of bone outside the slab |x - centre x| < {@link RIB_SLAB_MM} (over the track's
 * slices) that touch the slab's edge behind the body centre, reach {@link RIB_REACH_MM} laterally and
 * lie wholly above the sacrum. A transverse process does not reach that far; an ilium reaches below.
 */
function findRibs(density: Volume, g: Grid, track: TrackPoint[], boneThreshold: number, sacralTopZ: number): RibFound[] {
  const { nx, ny, nz } = g;
  const byK = new Map(track.map((t) => [t.k, t]));
  const m = new Uint8Array(nx * ny * nz);
  for (const t of track) {
    const o = indexToWorld(density, [0, 0, t.k]);
    for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
      const p = i + nx * (j + ny * t.k);
      if (density.data[p] <= boneThreshold) continue;
      const dx = o[0] + i * g.ei[0] + j * g.ej[0] - t.point[0];
      if (Math.abs(dx) >= RIB_SLAB_MM) m[p] = 1;
    }
  }
  const cc = connectedComponents({ data: m, dims: density.dims }, 26);
  const vox = density.spacing[0] * density.spacing[1] * density.spacing[2];
  const st = Array.from({ length: cc.count }, () => ({ n: 0, minLat: Infinity, maxLat: 0, zMin: Infinity, side: 0 }));
  const lat = (p: number): { lat: number; dx: number; dy: number; w: Vec3 } => {
    const i = p % nx, j = Math.floor(p / nx) % ny, k = Math.floor(p / (nx * ny));
    const w = indexToWorld(density, [i, j, k]);
    const t = byK.get(k)!;
    const dx = w[0] - t.point[0];
    return { lat: Math.abs(dx), dx, dy: w[1] - t.point[1], w };
  };
  for (let p = 0; p < m.length; p++) {
    const l = cc.labels[p];
    if (!l) continue;
    const s = st[l - 1];
    const q = lat(p);
    s.n++;
    if (q.lat < s.minLat) { s.minLat = q.lat; s.side = Math.sign(q.dx); }
    if (q.lat > s.maxLat) s.maxLat = q.lat;
    if (q.w[2] < s.zMin) s.zMin = q.w[2];
  }
  const edge = RIB_SLAB_MM + 1.5 * Math.max(density.spacing[0], density.spacing[1]);
  const ribs: RibFound[] = [];
  st.forEach((s, c) => {
    // a rib: touches the slab edge, runs out laterally, lies above the sacrum, is not a pelvis-sized mass (> 50 cm3)
    if (s.minLat > edge || s.maxLat < RIB_REACH_MM || s.zMin <= sacralTopZ || s.n * vox > 50_000) return;
    // medial end: the voxels within one voxel of the closest approach
    const end: Vec3 = [0, 0, 0];
    let ne = 0, dyMean = 0;
    for (let p = 0; p < m.length; p++) {
      if (cc.labels[p] !== c + 1) continue;
      const q = lat(p);
      if (q.lat > s.minLat + Math.max(density.spacing[0], density.spacing[1])) continue;
      end[0] += q.w[0]; end[1] += q.w[1]; end[2] += q.w[2]; dyMean += q.dy; ne++;
    }
    dyMean /= ne;
    // the rib's medial end lies beside or behind the body centre (LPS +y posterior), not in front of it
    if (dyMean < -10 || dyMean > 50) return;
    ribs.push({ medialEnd: [end[0] / ne, end[1] / ne, end[2] / ne], lateralReachMm: s.maxLat, side: s.side > 0 ? "left" : "right" });
  });
  return ribs;
}

// ---------------------------------------------------------------------------------------------
// The naming
// ---------------------------------------------------------------------------------------------

/**
 * Find and name the lumbar vertebrae (and S1, T12, T11 where in view) of a calibrated density volume,
 * without a label map (see the module notes for the method and its cross-checks).
 * @example
 * ```ts
 * const naming = nameLumbarLevels(density);
 * const L1 = naming.levels.find((l) => l.name === "L1");
 * console.log(L1?.centre, naming.ribs.agrees, naming.warnings);
 * ```
 * @throws LevelNamingError when the scan is not axial, no column is found, or no sacrum is in view.
 */
export function nameLumbarLevels(density: Volume, opts: SpineLevelOptions = {}): SpineLevelsResult {
  const boneTh = opts.boneThreshold ?? LEVEL_BONE_THRESHOLD;
  const [lo, hi] = opts.discSpacingMm ?? [22, 45];
  const sacralHalf = opts.sacralHalfWidthMm ?? SACRAL_HALF_WIDTH_MM;
  const warnings: string[] = [];
  const g = gridOf(density);
  const track = columnTrack(density, g, opts.columnThreshold ?? COLUMN_THRESHOLD, opts.searchHalfWidthMm ?? 25);
  const prof = discProfile(density, track, opts.profileRadiusMm ?? 6);
  const minima = profileMinima(prof);
  const arcAtZ = (z: number) => {
    let q = 0;
    while (q < prof.z.length - 1 && prof.z[q + 1] <= z) q++;
    return prof.arc[q];
  };
  const sliceOf = (z: number) => {
    let best = track[0];
    for (const t of track) if (Math.abs(t.point[2] - z) < Math.abs(best.point[2] - z)) best = t;
    return best.k;
  };

  // sacrum: the lowest run of >= 2 sacral slices in the lower half of the column (higher runs are ribs)
  const widths = sacralWidths(density, g, track, boneTh, sacralHalf);
  const runs: SacralSlice[][] = [];
  let cur: SacralSlice[] = [];
  for (const w of widths) {
    if (w.sacral && cur.length && Math.abs(w.k - cur[cur.length - 1].k) === 1) cur.push(w);
    else if (w.sacral) { if (cur.length) runs.push(cur); cur = [w]; }
    else if (cur.length) { runs.push(cur); cur = []; }
  }
  if (cur.length) runs.push(cur);
  const zOfK = (k: number) => track.find((t) => t.k === k)!.point[2];
  const topOf = (r: SacralSlice[]) => Math.max(...r.map((w) => zOfK(w.k)));
  const sEnd = prof.arc[prof.arc.length - 1];
  const candidates = runs.filter((r) => r.length >= 2 && arcAtZ(topOf(r)) <= sEnd / 2);
  if (!candidates.length) {
    const widest = Math.max(...widths.map((w) => Math.min(w.halfWidth[0], w.halfWidth[1])));
    throw new LevelNamingError(`no sacrum found: along the lower half of the ${sEnd.toFixed(0)} mm of vertebral column in view, no two adjacent axial slices have bone joined to the column reaching ${sacralHalf} mm to both sides (the sacral alae joined to the ilia; the widest reaches ${widest.toFixed(0)} mm). Automatic level naming counts up from the sacrum: give a vertebra label map (--labels, e.g. TotalSegmentator's) with --level or --label instead`);
  }
  const run = candidates.reduce((a, b) => (topOf(b) < topOf(a) ? b : a));
  const runTop = run.reduce((a, b) => (zOfK(b.k) > zOfK(a.k) ? b : a));
  const runBottom = run.reduce((a, b) => (zOfK(b.k) < zOfK(a.k) ? b : a));
  const topZ = zOfK(runTop.k);
  const otherRuns = runs.filter((r) => r !== run).map((r) => r.map((w) => w.k));

  // L5/S1: the deepest minimum near the sacral top
  const sTop = arcAtZ(topZ);
  const near = minima.filter((m) => m.arc >= sTop - 10 && m.arc <= sTop + 25);
  let l5s1: Minimum;
  let l5s1Source: DiscPlane["source"] = "profile";
  if (near.length) l5s1 = near.reduce((a, b) => (b.depth > a.depth ? b : a));
  else {
    const q = prof.arc.findIndex((s) => s >= sTop);
    l5s1 = { index: q, arc: prof.arc[q], value: prof.smooth[q], depth: 0, below: 0, above: 0 };
    l5s1Source = "sacrum";
    warnings.push("no disc minimum found along the column within 10 mm below to 25 mm above the top of the sacrum: the L5/S1 disc is placed at the sacral top");
  }
  const chain = bestChain(l5s1, minima.filter((m) => m.depth > 0), lo, hi);
  const discs: DiscPlane[] = chain.map((m, c) => {
    const upper = SPINE_LEVELS_BOTTOM_UP[c + 1], lower = SPINE_LEVELS_BOTTOM_UP[c];
    return {
      name: `${upper ?? "?"}/${lower}`,
      point: round3(prof.point[m.index]),
      normal: round3(prof.tangent[m.index], 4),
      arcMm: +m.arc.toFixed(1),
      densityMgCm3: +m.value.toFixed(1),
      depthMgCm3: +m.depth.toFixed(1),
      extentMm: [+m.below.toFixed(1), +m.above.toFixed(1)] as [number, number],
      source: c === 0 ? l5s1Source : "profile",
    };
  }).slice(0, SPINE_LEVELS_BOTTOM_UP.length - 1);
  const lastDisc = discs[discs.length - 1];
  if (sEnd - lastDisc.arcMm > hi) warnings.push(`no disc found in the ${(sEnd - lastDisc.arcMm).toFixed(0)} mm of column above the ${lastDisc.name} disc: the levels above it are not named`);

  // levels
  const heightsAll = discs.slice(1).map((d, c) => d.arcMm - discs[c].arcMm);
  const typical = heightsAll.length ? median(heightsAll) : 35;
  const atArc = (s: number) => {
    const q = Math.max(0, Math.min(prof.arc.length - 1, prof.arc.findIndex((a) => a >= s) < 0 ? prof.arc.length - 1 : prof.arc.findIndex((a) => a >= s)));
    return { point: prof.point[q], tangent: prof.tangent[q], z: prof.z[q] };
  };
  const slicesBetween = (s0: number, s1: number): [number, number] => {
    const ks = track.filter((t) => { const s = arcAtZ(t.point[2]); return s >= s0 && s <= s1; }).map((t) => t.k);
    return ks.length ? [Math.min(...ks), Math.max(...ks)] : [sliceOf(atArc((s0 + s1) / 2).z), sliceOf(atArc((s0 + s1) / 2).z)];
  };
  const levels: NamedLevel[] = [];
  {
    const s1 = Math.max(0, discs[0].arcMm - typical / 2);
    const a = atArc(s1);
    levels.push({ name: "S1", centre: round3(a.point), axis: round3(a.tangent, 4), inferior: null, superior: discs[0], heightMm: null, slices: slicesBetween(Math.max(0, discs[0].arcMm - typical), discs[0].arcMm), complete: false });
  }
  for (let c = 1; c < discs.length; c++) {
    const a = atArc((discs[c - 1].arcMm + discs[c].arcMm) / 2);
    levels.push({
      name: SPINE_LEVELS_BOTTOM_UP[c], centre: round3(a.point), axis: round3(a.tangent, 4), inferior: discs[c - 1], superior: discs[c],
      heightMm: +(discs[c].arcMm - discs[c - 1].arcMm).toFixed(1), slices: slicesBetween(discs[c - 1].arcMm, discs[c].arcMm), complete: true,
    });
  }
  if (discs.length < SPINE_LEVELS_BOTTOM_UP.length && sEnd - lastDisc.arcMm >= 10) {
    const a = atArc(Math.min(sEnd, lastDisc.arcMm + typical / 2));
    levels.push({ name: SPINE_LEVELS_BOTTOM_UP[discs.length], centre: round3(a.point), axis: round3(a.tangent, 4), inferior: lastDisc, superior: null, heightMm: null, slices: slicesBetween(lastDisc.arcMm, sEnd), complete: false });
  }

  // cross-check: sacrum-wide bone within L5 (a transitional vertebra); runs higher up are ribs
  if (discs.length >= 2) {
    for (const r of runs) {
      if (r === run || r.length < 2) continue;
      const s = arcAtZ(topOf(r));
      if (s > discs[0].arcMm && s < discs[1].arcMm) warnings.push(`bone joined to both ilia also at slices ${Math.min(...r.map((w) => w.k))}-${Math.max(...r.map((w) => w.k))}, within the level counted as L5: a transitional lumbosacral vertebra (sacralised L5) would make the count from the sacrum one level off; check the levels on the images`);
    }
  }

  // cross-check: heights of the lumbar levels
  const heights = levels.filter((l) => l.complete && l.name.startsWith("L")).map((l) => ({ level: l.name, heightMm: l.heightMm! }));
  const medianHeight = heights.length ? median(heights.map((h) => h.heightMm)) : null;
  for (const h of heights) {
    if (medianHeight !== null && Math.abs(h.heightMm - medianHeight) > 0.3 * medianHeight) {
      warnings.push(`${h.level} measures ${h.heightMm.toFixed(0)} mm disc to disc against a median of ${medianHeight.toFixed(0)} mm for the lumbar levels: a disc may be missed or a body split there, which would shift the names above it`);
    }
  }
  const lumbarComplete = heights.length;
  if (lumbarComplete < 5) warnings.push(`only ${lumbarComplete} lumbar level(s) lie wholly between discs found along the column`);

  // cross-check: ribs
  const levelAtZ = (z: number): NamedLevel | null => {
    const s = arcAtZ(z);
    for (const l of levels) {
      const s0 = l.inferior ? l.inferior.arcMm : -Infinity, s1 = l.superior ? l.superior.arcMm : Infinity;
      if (s >= s0 && s < s1) return l;
    }
    return null;
  };
  const ribsRaw = findRibs(density, g, track, boneTh, topZ);
  const ribs = ribsRaw.map((r) => ({ medialEnd: round3(r.medialEnd), level: levelAtZ(r.medialEnd[2])?.name ?? null, lateralReachMm: +r.lateralReachMm.toFixed(1), side: r.side }));
  const order = (n: SpineLevelName | null) => (n === null ? Infinity : SPINE_LEVELS_BOTTOM_UP.indexOf(n));
  const lowest = ribs.length ? ribs.reduce((a, b) => (order(b.level) < order(a.level) ? b : a)).level : null;
  let agrees: boolean | null = null;
  if (!ribs.length) {
    warnings.push("no ribs found beside the column: the count from the sacrum could not be checked against T12 (the lowest rib-bearing vertebra)");
  } else {
    agrees = lowest === "T12";
    if (lowest !== "T12") {
      const d = order(lowest) - order("T12");
      warnings.push(`the lowest ribs attach at the level counted as ${lowest ?? "?"} from the sacrum, not at T12: ${d < 0 ? `either that vertebra carries a lumbar rib or the count from the sacrum is ${-d} level(s) too low` : `either T12's ribs were not found or the count from the sacrum is ${d} level(s) too high`}; the names follow the sacrum count, check them on the images`);
    }
  }
  const ks = track.map((t) => t.k);
  return {
    levels,
    discs,
    column: { slices: [Math.min(...ks), Math.max(...ks)], lengthMm: +sEnd.toFixed(1), meanRadiusMm: +(track.reduce((s, t) => s + t.radiusMm, 0) / track.length).toFixed(1) },
    profile: { arcMm: prof.arc.map((s) => +s.toFixed(1)), densityMgCm3: prof.value.map((v) => +v.toFixed(1)) },
    sacrum: { topSlice: runTop.k, bottomSlice: runBottom.k, topPoint: round3(track.find((t) => t.k === runTop.k)!.point), maxHalfWidthMm: [Math.max(...run.map((w) => w.halfWidth[0])), Math.max(...run.map((w) => w.halfWidth[1]))].map((x) => +x.toFixed(1)) as [number, number], otherRuns },
    ribs: { found: ribs, lowestLevel: lowest, agrees },
    heights,
    medianHeightMm: medianHeight,
    method: "column centreline (inscribed circles of the smoothed bone-and-disc rod), disc minima of the density across the column, counted up from the sacrum (bone joined to both ilia); cross-checked by the ribs (T12) and the level heights",
    warnings,
  };
}

// ---------------------------------------------------------------------------------------------
// One vertebra's mask
// ---------------------------------------------------------------------------------------------

/** Options of {@link lumbarVertebraMask}. */
export interface LumbarMaskOptions extends SpineLevelOptions {
  /** A naming already made on this density (else it is made here). */
  naming?: SpineLevelsResult;
  /**
   * Generous bounds (mm) of the vertebra around its centre: left-right, in front of and behind the
   * centre. Defaults 60, 40, 90: wider than a lumbar vertebra's transverse processes and deeper than its
   * spinous process, so the bound only keeps ilia and ribs out.
   */
  lateralMm?: number;
  anteriorMm?: number;
  posteriorMm?: number;
  /** Radius (mm) of the closing that bridges trabecular gaps. Default {@link VERTEBRA_CLOSING_MM}. */
  closingMm?: number;
}

/**
 * The whole vertebra of one named level on the density grid: the bone (> {@link LEVEL_BONE_THRESHOLD})
 * between the mid-planes of its two discs (each perpendicular to the column there), within generous
 * bounds, the component holding the body centre, with its enclosed cavities filled. Ready for
 * {@link isolateVertebralBody}.
 * @example
 * ```ts
 * const L1 = lumbarVertebraMask(density, "L1");
 * const { body } = isolateVertebralBody(L1);
 * ```
 * @throws LevelNamingError when the level is not named, or lacks a disc above or below.
 */
export function lumbarVertebraMask(density: Volume, level: string, opts: LumbarMaskOptions = {}): Mask {
  const naming = opts.naming ?? nameLumbarLevels(density, opts);
  const name = level.toUpperCase();
  const lv = naming.levels.find((l) => l.name === name);
  const named = naming.levels.map((l) => (l.complete ? l.name : `${l.name} (partly)`)).join(", ");
  if (!lv) throw new LevelNamingError(`level ${name} was not found along the column; the levels named are ${named}`);
  if (!lv.complete || !lv.inferior || !lv.superior) throw new LevelNamingError(`level ${name} has no disc found ${lv.inferior ? "above" : "below"} it, so it cannot be cut out; the complete levels are ${naming.levels.filter((l) => l.complete).map((l) => l.name).join(", ")}`);
  const th = opts.boneThreshold ?? LEVEL_BONE_THRESHOLD;
  const lat = opts.lateralMm ?? 60, ant = opts.anteriorMm ?? 40, post = opts.posteriorMm ?? 90;
  const [nx, ny, nz] = density.dims;
  const c = lv.centre, inf = lv.inferior, sup = lv.superior;
  // index box of the world box around the level
  const half = (lv.heightMm ?? 40) / 2 + 40;
  const lo: Vec3 = [Infinity, Infinity, Infinity], hi: Vec3 = [-Infinity, -Infinity, -Infinity];
  for (const x of [c[0] - lat, c[0] + lat]) for (const y of [c[1] - ant, c[1] + post]) for (const z of [c[2] - half, c[2] + half]) {
    const q = worldToIndex(density, [x, y, z]);
    for (let a = 0; a < 3; a++) { lo[a] = Math.min(lo[a], q[a]); hi[a] = Math.max(hi[a], q[a]); }
  }
  const i0 = Math.max(0, Math.floor(lo[0])), i1 = Math.min(nx - 1, Math.ceil(hi[0]));
  const j0 = Math.max(0, Math.floor(lo[1])), j1 = Math.min(ny - 1, Math.ceil(hi[1]));
  const k0 = Math.max(0, Math.floor(lo[2])), k1 = Math.min(nz - 1, Math.ceil(hi[2]));
  const cand = new Uint8Array(nx * ny * nz);
  const core: number[] = [];
  for (let k = k0; k <= k1; k++) for (let j = j0; j <= j1; j++) for (let i = i0; i <= i1; i++) {
    const p = i + nx * (j + ny * k);
    if (density.data[p] <= th) continue;
    const w = indexToWorld(density, [i, j, k]);
    if (Math.abs(w[0] - c[0]) > lat || w[1] - c[1] < -ant || w[1] - c[1] > post) continue;
    if (dot([w[0] - inf.point[0], w[1] - inf.point[1], w[2] - inf.point[2]], inf.normal) < inf.extentMm[1]) continue;
    if (dot([w[0] - sup.point[0], w[1] - sup.point[1], w[2] - sup.point[2]], sup.normal) >= -sup.extentMm[0]) continue;
    cand[p] = 1;
    if (Math.hypot(w[0] - c[0], w[1] - c[1], w[2] - c[2]) <= 12) core.push(p);
  }
  const cc = connectedComponents({ data: cand, dims: density.dims }, 26);
  const votes = new Map<number, number>();
  for (const p of core) votes.set(cc.labels[p], (votes.get(cc.labels[p]) ?? 0) + 1);
  let best = 0, bestN = 0;
  for (const [l, n] of votes) if (n > bestN) { best = l; bestN = n; }
  if (!best) throw new LevelNamingError(`no bone above ${th} mg/cm3 within 12 mm of the ${name} body centre: is the density calibrated?`);
  const out = new Uint8Array(cand.length);
  for (let p = 0; p < out.length; p++) out[p] = cc.labels[p] === best ? 1 : 0;
  const comp = createVolume({ dims: density.dims, spacing: density.spacing, origin: density.origin, direction: density.direction, data: out });
  // close the trabecular gaps below the threshold, then fill what the shell encloses (in a box with a margin)
  const r = opts.closingMm ?? VERTEBRA_CLOSING_MM;
  const box = boundingBox(comp, (v) => v !== 0, Math.ceil(r / Math.min(...density.spacing)) + 2)!;
  const closed = fillHoles(close(cropVolume(comp, box), r));
  return paste(comp, box, closed.data);
}
