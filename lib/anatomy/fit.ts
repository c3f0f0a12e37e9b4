/**
 * Geometric fits used to find anatomical landmarks: a least-squares sphere (femoral head), a
 * principal axis (shaft, neck, vertebral body) and a plane (endplates).
 * @module
 */
import { BctError } from "../errors.js";
import type { Vec3 } from "../volume/volume.js";

/** Landmarks that cannot be found. */
export class AnatomyError extends BctError {
  override name = "AnatomyError";
}

/** Eigen-decomposition of a symmetric 3x3 matrix (cyclic Jacobi): values ascending, vectors as columns. */
export function symmetricEigen3(m: ArrayLike<number>): { values: Vec3; vectors: [Vec3, Vec3, Vec3] } {
  const a = Array.from(m).slice(0, 9);
  const v = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  for (let sweep = 0; sweep < 50; sweep++) {
    const off = a[1] ** 2 + a[2] ** 2 + a[5] ** 2;
    if (off < 1e-30 * (a[0] ** 2 + a[4] ** 2 + a[8] ** 2 + 1e-300)) break;
    for (const [p, q] of [[0, 1], [0, 2], [1, 2]] as const) {
      const apq = a[3 * p + q];
      if (Math.abs(apq) < 1e-300) continue;
      const theta = (a[3 * q + q] - a[3 * p + p]) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1), s = t * c;
      for (let k = 0; k < 3; k++) {
        const akp = a[3 * k + p], akq = a[3 * k + q];
        a[3 * k + p] = c * akp - s * akq;
        a[3 * k + q] = s * akp + c * akq;
      }
      for (let k = 0; k < 3; k++) {
        const apk = a[3 * p + k], aqk = a[3 * q + k];
        a[3 * p + k] = c * apk - s * aqk;
        a[3 * q + k] = s * apk + c * aqk;
      }
      for (let k = 0; k < 3; k++) {
        const vkp = v[3 * k + p], vkq = v[3 * k + q];
        v[3 * k + p] = c * vkp - s * vkq;
        v[3 * k + q] = s * vkp + c * vkq;
      }
    }
  }
  const order = [0, 1, 2].sort((x, y) => a[4 * x] - a[4 * y]);
  return {
    values: order.map((c) => a[4 * c]) as Vec3,
    vectors: order.map((c) => [v[c], v[3 + c], v[6 + c]] as Vec3) as [Vec3, Vec3, Vec3],
  };
}

/** Centroid and principal axes of a point cloud (flat xyz). */
export interface PrincipalAxes {
  centroid: Vec3;
  /** Unit axes, largest spread first. */
  axes: [Vec3, Vec3, Vec3];
  /** Variances along the axes (mm^2), descending. */
  variances: Vec3;
}

/**
 * Principal component analysis of points (flat xyz array).
 * @example
 * ```ts
 * const { axes } = principalAxes(shaftPoints); // axes[0] is the shaft axis
 * ```
 */
export function principalAxes(xyz: ArrayLike<number>): PrincipalAxes {
  const n = xyz.length / 3;
  if (n < 3) throw new AnatomyError(`principal axes need at least 3 points, got ${n}`);
  const c: Vec3 = [0, 0, 0];
  for (let p = 0; p < n; p++) for (let d = 0; d < 3; d++) c[d] += xyz[3 * p + d] / n;
  const C = new Array(9).fill(0);
  for (let p = 0; p < n; p++) {
    const x = xyz[3 * p] - c[0], y = xyz[3 * p + 1] - c[1], z = xyz[3 * p + 2] - c[2];
    C[0] += x * x; C[1] += x * y; C[2] += x * z; C[4] += y * y; C[5] += y * z; C[8] += z * z;
  }
  C[3] = C[1]; C[6] = C[2]; C[7] = C[5];
  for (let k = 0; k < 9; k++) C[k] /= n;
  const { values, vectors } = symmetricEigen3(C);
  return { centroid: c, axes: [vectors[2], vectors[1], vectors[0]], variances: [values[2], values[1], values[0]] };
}

/** A fitted sphere. */
export interface SphereFit {
  centre: Vec3;
  radius: number;
  /** Root-mean-square distance of the points from the sphere (mm). */
  rms: number;
}

/**
 * Least-squares sphere through points: the algebraic (linear) fit, refined by Gauss-Newton on the
 * geometric distances |p - c| - r.
 * @throws AnatomyError with fewer than 4 points or coplanar points.
 */
export function fitSphere(xyz: ArrayLike<number>): SphereFit {
  const n = xyz.length / 3;
  if (n < 4) throw new AnatomyError(`a sphere fit needs at least 4 points, got ${n}`);
  // Algebraic: |p|^2 = 2 c.p + (r^2 - |c|^2): linear in (c, k). Normal equations 4x4.
  const A = new Array(16).fill(0), b = [0, 0, 0, 0];
  for (let p = 0; p < n; p++) {
    const x = xyz[3 * p], y = xyz[3 * p + 1], z = xyz[3 * p + 2];
    const row = [2 * x, 2 * y, 2 * z, 1], rhs = x * x + y * y + z * z;
    for (let i = 0; i < 4; i++) {
      b[i] += row[i] * rhs;
      for (let j = 0; j < 4; j++) A[4 * i + j] += row[i] * row[j];
    }
  }
  const s = solveSmall(A, b, 4);
  if (!s) throw new AnatomyError("sphere fit failed: the points are coplanar or collinear");
  let c: Vec3 = [s[0], s[1], s[2]];
  let r = Math.sqrt(Math.max(0, s[3] + c[0] ** 2 + c[1] ** 2 + c[2] ** 2));
  for (let it = 0; it < 20; it++) {
    const JTJ = new Array(16).fill(0), JTr = [0, 0, 0, 0];
    for (let p = 0; p < n; p++) {
      const dx = xyz[3 * p] - c[0], dy = xyz[3 * p + 1] - c[1], dz = xyz[3 * p + 2] - c[2];
      const d = Math.hypot(dx, dy, dz) || 1e-12;
      const res = d - r;
      const J = [-dx / d, -dy / d, -dz / d, -1];
      for (let i = 0; i < 4; i++) {
        JTr[i] += J[i] * res;
        for (let j = 0; j < 4; j++) JTJ[4 * i + j] += J[i] * J[j];
      }
    }
    const step = solveSmall(JTJ, JTr.map((x) => -x), 4);
    if (!step) break;
    c = [c[0] + step[0], c[1] + step[1], c[2] + step[2]];
    r += step[3];
    if (Math.hypot(...step) < 1e-10 * (1 + r)) break;
  }
  let ss = 0;
  for (let p = 0; p < n; p++) ss += (Math.hypot(xyz[3 * p] - c[0], xyz[3 * p + 1] - c[1], xyz[3 * p + 2] - c[2]) - r) ** 2;
  return { centre: c, radius: r, rms: Math.sqrt(ss / n) };
}

/** A fitted plane: unit normal and a point on it (the centroid). */
export interface PlaneFit {
  point: Vec3;
  normal: Vec3;
  rms: number;
}

/** Least-squares (orthogonal) plane through points. */
export function fitPlane(xyz: ArrayLike<number>): PlaneFit {
  const pa = principalAxes(xyz);
  const nrm = pa.axes[2];
  return { point: pa.centroid, normal: nrm, rms: Math.sqrt(Math.max(0, pa.variances[2])) };
}

/** Gaussian elimination with partial pivoting for a small dense system; null when singular. */
function solveSmall(A: number[], b: number[], n: number): number[] | null {
  const M = A.slice(), x = b.slice();
  const scale = Math.max(...M.map(Math.abs)) || 1;
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(M[r * n + col]) > Math.abs(M[piv * n + col])) piv = r;
    if (Math.abs(M[piv * n + col]) < 1e-12 * scale) return null;
    if (piv !== col) {
      for (let k = 0; k < n; k++) [M[col * n + k], M[piv * n + k]] = [M[piv * n + k], M[col * n + k]];
      [x[col], x[piv]] = [x[piv], x[col]];
    }
    for (let r = col + 1; r < n; r++) {
      const f = M[r * n + col] / M[col * n + col];
      for (let k = col; k < n; k++) M[r * n + k] -= f * M[col * n + k];
      x[r] -= f * x[col];
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = x[r];
    for (let k = r + 1; k < n; k++) s -= M[r * n + k] * x[k];
    x[r] = s / M[r * n + r];
  }
  return x;
}
