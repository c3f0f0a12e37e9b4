/**
 * Vertebral body landmarks from a body mask (posterior elements excluded): centroid, superior and
 * inferior endplate planes, body axis and height. World LPS, mm.
 *
 * Algorithm: the body axis starts as the scanner's cranio-caudal axis; the mask's surface voxels whose
 * outward side faces along +/- the axis (their neighbour in that direction is outside the mask) and
 * that lie in the cranial or caudal quarter of the body are endplate candidates; a least-squares plane
 * through each set (with points more than 1.5 mm off the plane dropped and the plane refitted) gives the
 * endplate; the body axis is the bisector of the two outward normals, and the procedure repeats once
 * with that axis. Each plane is moved out by half a voxel (voxel centres lie inside the surface).
 * Height = distance between the endplate planes along the axis through the centroid.
 *
 * @example
 * ```ts
 * import { vertebraLandmarks } from "bct/lib/anatomy/vertebra";
 * const v = vertebraLandmarks(bodyMask);
 * console.log(v.heightMm, v.axis);
 * ```
 * @module
 */
import { indexToWorld, type Vec3, type Volume } from "../volume/volume.js";
import { AnatomyError, fitPlane, type PlaneFit } from "./fit.js";

/** Vertebral body landmarks (world LPS, mm). Plain data. */
export interface VertebraLandmarks {
  centroid: Vec3;
  /** Unit body axis, pointing cranially (superior). */
  axis: Vec3;
  superiorEndplate: { centre: Vec3; normal: Vec3; rms: number };
  inferiorEndplate: { centre: Vec3; normal: Vec3; rms: number };
  /** Angle between the endplates (deg). */
  endplateAngleDeg: number;
  heightMm: number;
  volumeMm3: number;
  warnings: string[];
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const unit = (a: Vec3): Vec3 => {
  const n = Math.hypot(a[0], a[1], a[2]) || 1;
  return [a[0] / n, a[1] / n, a[2] / n];
};

/**
 * Landmarks of a vertebral body mask (non-zero = body).
 * @throws AnatomyError for an empty or flat mask, or endplates that cannot be fitted.
 */
export function vertebraLandmarks(mask: Volume): VertebraLandmarks {
  const [nx, ny, nz] = mask.dims;
  const idx: number[] = [];
  for (let p = 0; p < mask.data.length; p++) if (mask.data[p]) idx.push(p);
  if (idx.length < 100) throw new AnatomyError(`the vertebral body mask has ${idx.length} voxels: too few`);
  const vox = mask.spacing[0] * mask.spacing[1] * mask.spacing[2];
  const pos = new Float64Array(3 * idx.length);
  const c: Vec3 = [0, 0, 0];
  idx.forEach((p, q) => {
    const w = indexToWorld(mask, [p % nx, Math.floor(p / nx) % ny, Math.floor(p / (nx * ny))]);
    pos.set(w, 3 * q);
    c[0] += w[0] / idx.length; c[1] += w[1] / idx.length; c[2] += w[2] / idx.length;
  });
  const inside = (i: number, j: number, k: number) => i >= 0 && j >= 0 && k >= 0 && i < nx && j < ny && k < nz && mask.data[i + nx * (j + ny * k)] !== 0;
  // Index step that best follows a world direction.
  const stepAlong = (dir: Vec3): Vec3 => {
    const d = mask.direction;
    const s: Vec3 = [0, 0, 0];
    let best = -1, bestAxis = 0;
    for (let a = 0; a < 3; a++) {
      const proj = Math.abs(d[a] * dir[0] + d[3 + a] * dir[1] + d[6 + a] * dir[2]);
      if (proj > best) { best = proj; bestAxis = a; }
    }
    s[bestAxis] = Math.sign(d[bestAxis] * dir[0] + d[3 + bestAxis] * dir[1] + d[6 + bestAxis] * dir[2]);
    return s;
  };
  let axis: Vec3 = [0, 0, 1];
  let sup: PlaneFit | null = null, inf: PlaneFit | null = null;
  for (let pass = 0; pass < 2; pass++) {
    let lo = Infinity, hi = -Infinity;
    for (let q = 0; q < idx.length; q++) {
      const h = dot([pos[3 * q] - c[0], pos[3 * q + 1] - c[1], pos[3 * q + 2] - c[2]], axis);
      lo = Math.min(lo, h);
      hi = Math.max(hi, h);
    }
    const up = stepAlong(axis);
    const supPts: number[] = [], infPts: number[] = [];
    for (let q = 0; q < idx.length; q++) {
      const p = idx[q];
      const i = p % nx, j = Math.floor(p / nx) % ny, k = Math.floor(p / (nx * ny));
      const h = dot([pos[3 * q] - c[0], pos[3 * q + 1] - c[1], pos[3 * q + 2] - c[2]], axis);
      if (h > hi - 0.25 * (hi - lo) && !inside(i + up[0], j + up[1], k + up[2])) supPts.push(pos[3 * q], pos[3 * q + 1], pos[3 * q + 2]);
      if (h < lo + 0.25 * (hi - lo) && !inside(i - up[0], j - up[1], k - up[2])) infPts.push(pos[3 * q], pos[3 * q + 1], pos[3 * q + 2]);
    }
    if (supPts.length < 30 || infPts.length < 30) throw new AnatomyError("the endplates could not be found: is the mask a vertebral body?");
    sup = robustPlane(supPts);
    inf = robustPlane(infPts);
    let ns = sup.normal, ni = inf.normal;
    if (dot(ns, axis) < 0) ns = [-ns[0], -ns[1], -ns[2]];
    if (dot(ni, axis) > 0) ni = [-ni[0], -ni[1], -ni[2]];
    sup = { ...sup, normal: ns };
    inf = { ...inf, normal: ni };
    axis = unit([ns[0] - ni[0], ns[1] - ni[1], ns[2] - ni[2]]);
  }
  // The surface voxel centres lie half a voxel inside the true surface: move each plane out by half
  // the voxel's extent along its normal.
  const halfVoxel = (n: Vec3) => {
    const d = mask.direction, h = mask.spacing;
    let e = 0;
    for (let a = 0; a < 3; a++) e += Math.abs(d[a] * n[0] + d[3 + a] * n[1] + d[6 + a] * n[2]) * h[a];
    return 0.5 * e;
  };
  for (const pl of [sup!, inf!]) {
    const o = halfVoxel(pl.normal);
    pl.point = [pl.point[0] + o * pl.normal[0], pl.point[1] + o * pl.normal[1], pl.point[2] + o * pl.normal[2]];
  }
  // Height along the axis through the centroid: where the axis line crosses each plane.
  const cross = (pl: PlaneFit) => dot([pl.point[0] - c[0], pl.point[1] - c[1], pl.point[2] - c[2]], pl.normal) / dot(axis, pl.normal);
  const height = cross(sup!) - cross(inf!);
  const angle = (Math.acos(Math.min(1, -dot(sup!.normal, inf!.normal))) * 180) / Math.PI;
  const warnings: string[] = [];
  if (angle > 15) warnings.push(`the endplates are ${angle.toFixed(1)} deg apart: a wedged or fractured body?`);
  return {
    centroid: c,
    axis,
    superiorEndplate: { centre: sup!.point, normal: sup!.normal, rms: sup!.rms },
    inferiorEndplate: { centre: inf!.point, normal: inf!.normal, rms: inf!.rms },
    endplateAngleDeg: angle,
    heightMm: height,
    volumeMm3: idx.length * vox,
    warnings,
  };
}

/** Plane fit, then refit without points more than 1.5 mm off (the rim and the waist). */
function robustPlane(xyz: number[]): PlaneFit {
  let pl = fitPlane(xyz);
  for (let pass = 0; pass < 2; pass++) {
    const keep: number[] = [];
    for (let q = 0; q < xyz.length; q += 3) {
      const d = (xyz[q] - pl.point[0]) * pl.normal[0] + (xyz[q + 1] - pl.point[1]) * pl.normal[1] + (xyz[q + 2] - pl.point[2]) * pl.normal[2];
      if (Math.abs(d) <= 1.5) keep.push(xyz[q], xyz[q + 1], xyz[q + 2]);
    }
    if (keep.length < 30) break;
    pl = fitPlane(keep);
  }
  return pl;
}
