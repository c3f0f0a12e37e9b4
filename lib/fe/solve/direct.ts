/**
 * Direct solve of a symmetric positive definite system by skyline (profile) Cholesky, A = L L^T.
 * Memory and time depend on the profile: fine for teaching models and for the coarsest multigrid
 * grid (a voxel grid numbered layer by layer has a profile of about one node layer).
 * @module
 */
import { SolverDivergedError } from "../errors.js";

/** A factorised matrix: row i of L holds columns first[i]..i at values[start[i] ..]. */
export interface SkylineFactor {
  n: number;
  first: Int32Array;
  start: Float64Array;
  values: Float64Array;
}

/**
 * Factorise a symmetric matrix given by its entries (only j <= i are used) as `rows[i]` = list of
 * [column, value] pairs; `shift` scales the diagonal by (1 + shift) first (0 = exact). Throws
 * SolverDivergedError when a pivot is not positive (singular or indefinite matrix).
 * @example
 * const f = choleskyFactor(2, [[[0, 4]], [[0, 1], [1, 3]]]);
 * choleskySolve(f, Float64Array.of(1, 2)); // [1/11, 7/11]
 */
export function choleskyFactor(n: number, rows: readonly (readonly (readonly [number, number])[])[], shift = 0): SkylineFactor {
  const first = new Int32Array(n), start = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    let f = i;
    for (const [j] of rows[i]) if (j < f) f = j;
    first[i] = f;
    start[i + 1] = start[i] + (i - f + 1);
  }
  const L = new Float64Array(start[n]);
  for (let i = 0; i < n; i++) for (const [j, v] of rows[i]) if (j <= i) L[start[i] + j - first[i]] += v;
  if (shift) for (let i = 0; i < n; i++) L[start[i + 1] - 1] *= 1 + shift;
  for (let i = 0; i < n; i++) {
    const fi = first[i], si = start[i] - fi; // L[i][k] = L[si + k]
    for (let j = fi; j < i; j++) {
      const fj = first[j], sj = start[j] - fj;
      let s = L[si + j];
      for (let k = Math.max(fi, fj); k < j; k++) s -= L[si + k] * L[sj + k];
      L[si + j] = s / L[sj + j];
    }
    let d = L[si + i];
    for (let k = fi; k < i; k++) d -= L[si + k] * L[si + k];
    if (!(d > 0)) throw new SolverDivergedError(`Cholesky pivot ${i} is ${d}: the matrix is singular or not positive definite (a part with no constraint?)`);
    L[si + i] = Math.sqrt(d);
  }
  return { n, first, start, values: L };
}

/** Solve L L^T x = b (b is not modified). */
export function choleskySolve(f: SkylineFactor, b: ArrayLike<number>, x: Float64Array = new Float64Array(f.n)): Float64Array {
  const { n, first, start, values: L } = f;
  for (let i = 0; i < n; i++) {
    const fi = first[i], si = start[i] - fi;
    let s = b[i];
    for (let k = fi; k < i; k++) s -= L[si + k] * x[k];
    x[i] = s / L[si + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    const fi = first[i], si = start[i] - fi;
    const xi = (x[i] /= L[si + i]);
    for (let k = fi; k < i; k++) x[k] -= L[si + k] * xi;
  }
  return x;
}
