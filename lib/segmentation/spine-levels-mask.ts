/**
 * One vertebra cut out of the density: by its name ({@link lumbarVertebraMask}), between two discs
 * found along the column ({@link vertebraMask}), or as the vertebra holding a given point
 * ({@link vertebraAtPoint}, for when the levels cannot be named).
 * @module
 */
import { boundingBox, cropVolume, type IndexBox } from "../volume/crop.js";
import { createVolume, indexToWorld, worldToIndex, type Vec3, type Volume } from "../volume/volume.js";
import { connectedComponents, fillHoles } from "./components.js";
import { paste } from "./femur.js";
import type { Mask } from "./mask.js";
import { close } from "./morphology.js";
import {
  dot, LEVEL_BONE_THRESHOLD, LevelNamingError, PointNotInVertebraError, VERTEBRA_CLOSING_MM,
  type ColumnLevel, type DiscPlane, type SpineLevelOptions, type SpineLevelsResult,
} from "./spine-levels-common.js";
import { namedOrThrow, nameLumbarLevels, surveyColumn, type ColumnSurvey } from "./spine-levels-naming.js";

/** Options of {@link lumbarVertebraMask} and {@link vertebraMask}. */
export interface LumbarMaskOptions extends SpineLevelOptions {
  /** A naming already made on this density, or on a coarser grid of the same scan (else it is made here). */
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
 * isolateVertebralBody.
 * @example
 * ```ts
 * const L1 = lumbarVertebraMask(density, "L1");
 * const { body } = isolateVertebralBody(L1);
 * ```
 * @throws LevelNamingError when the level is not named, or lacks a disc above or below.
 */
export function lumbarVertebraMask(density: Volume, level: string, opts: LumbarMaskOptions = {}): Mask {
  const naming = opts.naming ?? nameLumbarLevels(density, opts);
  return vertebraMask(density, findNamedLevel(naming, level), opts);
}

/** The complete level `level` of a naming. @throws LevelNamingError when it is not named or lacks a disc. */
export function findNamedLevel(naming: SpineLevelsResult, level: string): ColumnLevel {
  const name = level.toUpperCase();
  const lv = naming.levels.find((l) => l.name === name);
  const named = naming.levels.map((l) => (l.complete ? l.name : `${l.name} (partly)`)).join(", ");
  if (!lv) throw new LevelNamingError(`level ${name} was not found along the column; the levels named (from the ${naming.namedFrom}) are ${named}`);
  if (!lv.complete || !lv.inferior || !lv.superior) throw new LevelNamingError(`level ${name} has no disc found ${lv.inferior ? "above" : "below"} it, so it cannot be cut out; the complete levels are ${naming.levels.filter((l) => l.complete).map((l) => l.name).join(", ")}`);
  return lv;
}

/** Index box (end exclusive) of a world box, with `margin` voxels, clamped to the volume. */
function indexBox(v: Volume, lo: Vec3, hi: Vec3, margin: number): IndexBox {
  const a: Vec3 = [Infinity, Infinity, Infinity], b: Vec3 = [-Infinity, -Infinity, -Infinity];
  for (const x of [lo[0], hi[0]]) for (const y of [lo[1], hi[1]]) for (const z of [lo[2], hi[2]]) {
    const q = worldToIndex(v, [x, y, z]);
    for (let c = 0; c < 3; c++) { a[c] = Math.min(a[c], q[c]); b[c] = Math.max(b[c], q[c]); }
  }
  const min = a.map((x) => Math.max(0, Math.floor(x) - margin)) as Vec3;
  const max = b.map((x, c) => Math.min(v.dims[c], Math.ceil(x) + 1 + margin)) as Vec3;
  if (min.some((x, c) => x >= max[c])) throw new LevelNamingError("the vertebra's box lies outside the scan");
  return { min, max };
}

/**
 * The vertebra between a level's two discs on the density grid (see {@link lumbarVertebraMask}); the
 * level may come from a naming on a coarser grid of the same scan (the discs are world planes).
 * @throws LevelNamingError when the level lacks a disc, or no bone lies near its centre.
 */
export function vertebraMask(density: Volume, lv: ColumnLevel, opts: LumbarMaskOptions = {}): Mask {
  const label = lv.name ?? "vertebra";
  if (!lv.complete || !lv.inferior || !lv.superior) throw new LevelNamingError(`the ${label} has no disc found ${lv.inferior ? "above" : "below"} it, so it cannot be cut out`);
  const th = opts.boneThreshold ?? LEVEL_BONE_THRESHOLD;
  const lat = opts.lateralMm ?? 60, ant = opts.anteriorMm ?? 40, post = opts.posteriorMm ?? 90;
  const r = opts.closingMm ?? VERTEBRA_CLOSING_MM;
  const c = lv.centre, inf: DiscPlane = lv.inferior, sup: DiscPlane = lv.superior;
  const half = (lv.heightMm ?? 40) / 2 + 40;
  const margin = Math.ceil(r / Math.min(...density.spacing)) + 2;
  // work in a box around the level, with room for the closing
  const box = indexBox(density, [c[0] - lat, c[1] - ant, c[2] - half], [c[0] + lat, c[1] + post, c[2] + half], margin);
  const sub = cropVolume(density, box);
  const [sx, sy, sz] = sub.dims;
  const cand = new Uint8Array(sx * sy * sz);
  const core: number[] = [];
  for (let k = 0; k < sz; k++) for (let j = 0; j < sy; j++) for (let i = 0; i < sx; i++) {
    const p = i + sx * (j + sy * k);
    if (sub.data[p] <= th) continue;
    const w = indexToWorld(sub, [i, j, k]);
    if (Math.abs(w[0] - c[0]) > lat || w[1] - c[1] < -ant || w[1] - c[1] > post) continue;
    if (dot([w[0] - inf.point[0], w[1] - inf.point[1], w[2] - inf.point[2]], inf.normal) < inf.extentMm[1]) continue;
    if (dot([w[0] - sup.point[0], w[1] - sup.point[1], w[2] - sup.point[2]], sup.normal) >= -sup.extentMm[0]) continue;
    cand[p] = 1;
    if (Math.hypot(w[0] - c[0], w[1] - c[1], w[2] - c[2]) <= 12) core.push(p);
  }
  const cc = connectedComponents({ data: cand, dims: sub.dims }, 26);
  const votes = new Map<number, number>();
  for (const p of core) votes.set(cc.labels[p], (votes.get(cc.labels[p]) ?? 0) + 1);
  let best = 0, bestN = 0;
  for (const [l, n] of votes) if (n > bestN) { best = l; bestN = n; }
  if (!best) throw new LevelNamingError(`no bone above ${th} mg/cm3 within 12 mm of the ${label} body centre: is the density calibrated?`);
  const out = new Uint8Array(cand.length);
  for (let p = 0; p < out.length; p++) out[p] = cc.labels[p] === best ? 1 : 0;
  const comp = createVolume({ dims: sub.dims, spacing: sub.spacing, origin: sub.origin, direction: sub.direction, data: out });
  // close the trabecular gaps below the threshold, then fill what the shell encloses (in a box with a margin)
  const inner = boundingBox(comp, (v) => v !== 0, margin)!;
  const closed = paste(comp, inner, fillHoles(close(cropVolume(comp, inner), r)).data);
  return paste(density as unknown as Mask, box, closed.data);
}

/** The vertebra holding a point: its level (named when the naming could be made), its mask, and the naming. */
export interface VertebraPick {
  /** The point given (LPS mm). */
  point: Vec3;
  /** The level between the two discs around the point; `name` null when the levels could not be named. */
  level: ColumnLevel;
  /** The naming of the column, or null when neither a sacrum nor ribs are in view. */
  naming: SpineLevelsResult | null;
  /** The whole vertebra on the density grid. */
  mask: Mask;
  warnings: string[];
}

/** Radius (mm) within which a point level with a disc counts as in the disc: a lumbar disc's, about 20-25 mm (generous). */
const DISC_RADIUS_MM = 30;

const fmt = (p: Vec3) => `(${p.map((x) => x.toFixed(1)).join(", ")})`;

/** The level whose disc planes enclose the point. @throws PointNotInVertebraError in a disc or beyond the column. */
function levelHolding(survey: ColumnSurvey, p: Vec3): ColumnLevel {
  const rel = (d: DiscPlane) => dot([p[0] - d.point[0], p[1] - d.point[1], p[2] - d.point[2]], d.normal);
  for (const d of survey.discs) {
    const s = rel(d);
    if (s < -d.extentMm[0] || s >= d.extentMm[1]) continue;
    const r = Math.hypot(...[0, 1, 2].map((a) => p[a] - d.point[a] - s * d.normal[a]));
    const disc = `${d.name.includes("?") ? "" : `${d.name} `}intervertebral disc`;
    if (r <= DISC_RADIUS_MM) throw new PointNotInVertebraError(`the point ${fmt(p)} lies in the ${disc} at ${fmt(d.point)}, not inside a vertebra: give a point inside a vertebral body`);
    throw new PointNotInVertebraError(`the point ${fmt(p)} is not inside a vertebra: it lies ${r.toFixed(0)} mm from the column's axis, level with the ${disc} at ${fmt(d.point)}; give a point inside a vertebral body`);
  }
  const lv = survey.levels.find((l) => (!l.inferior || rel(l.inferior) >= l.inferior.extentMm[1]) && (!l.superior || rel(l.superior) < -l.superior.extentMm[0]));
  if (!lv) throw new PointNotInVertebraError(`the point ${fmt(p)} is not inside a vertebra: it lies beyond the vertebral column traced in the scan (slices ${survey.column.slices.join("-")}, lowest body centre ${fmt(survey.levels[0]?.centre ?? p)})`);
  if (!lv.complete) throw new PointNotInVertebraError(`the point ${fmt(p)} lies in the ${lv.name ?? "vertebra"} at the ${lv.inferior ? "top" : "bottom"} of the column in view, which has no disc found ${lv.inferior ? "above" : "below"} it: it cannot be cut out, give a point in a vertebra wholly in view`);
  return lv;
}

/**
 * Pick the vertebra holding a point (LPS mm): the level between the discs around it along the column,
 * cut out, and the point checked to lie in its bone (within one voxel). Works without a sacrum or ribs
 * in view (the level is then unnamed).
 * @example
 * ```ts
 * const pick = vertebraAtPoint(density, [4, -130, 352]);
 * console.log(pick.level.name, pick.level.centre);
 * ```
 * @throws PointNotInVertebraError when the point lies outside the scan, in a disc, beyond the column or off the vertebra's bone.
 */
export function vertebraAtPoint(density: Volume, point: Vec3, opts: LumbarMaskOptions & { survey?: ColumnSurvey } = {}): VertebraPick {
  const q = worldToIndex(density, point).map(Math.round);
  if (q.some((x, c) => x < 0 || x >= density.dims[c])) throw new PointNotInVertebraError(`the point ${fmt(point)} lies outside the scan (LPS mm; the scan spans ${fmt(indexToWorld(density, [0, 0, 0]))} to ${fmt(indexToWorld(density, density.dims.map((n) => n - 1)))})`);
  const survey = opts.survey ?? surveyColumn(density, opts);
  const warnings: string[] = [];
  const naming = survey.namedFrom === null ? null : namedOrThrow(survey);
  if (!naming) warnings.push(`the vertebra at ${fmt(point)} could not be named: ${survey.unnamedReason!.replace(/\. Without a label map.*$/, "")}`);
  const level = levelHolding(survey, point);
  const mask = vertebraMask(density, level, opts);
  const [nx, ny, nz] = density.dims;
  let inside = false;
  for (let dk = -1; dk <= 1 && !inside; dk++) for (let dj = -1; dj <= 1 && !inside; dj++) for (let di = -1; di <= 1 && !inside; di++) {
    const i = q[0] + di, j = q[1] + dj, k = q[2] + dk;
    if (i >= 0 && j >= 0 && k >= 0 && i < nx && j < ny && k < nz && mask.data[i + nx * (j + ny * k)]) inside = true;
  }
  if (!inside) {
    let near = Infinity;
    for (let p = 0; p < mask.data.length; p++) {
      if (!mask.data[p]) continue;
      const w = indexToWorld(density, [p % nx, Math.floor(p / nx) % ny, Math.floor(p / (nx * ny))]);
      near = Math.min(near, Math.hypot(w[0] - point[0], w[1] - point[1], w[2] - point[2]));
    }
    throw new PointNotInVertebraError(`the point ${fmt(point)} is not inside a vertebra: it lies between the discs of the ${level.name ?? "vertebra"} centred at ${fmt(level.centre)}, but ${near.toFixed(0)} mm from its bone; give a point inside the vertebral body (LPS mm)`);
  }
  return { point, level, naming, mask, warnings: [...(naming?.warnings ?? []), ...warnings] };
}
