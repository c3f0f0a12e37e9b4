/**
 * Exact Euclidean distance transform on an anisotropic voxel grid (Felzenszwalb & Huttenlocher 2012,
 * "Distance transforms of sampled functions", Theory of Computing 8:415): separable 1D lower
 * envelopes of parabolas, O(n) per line, exact in mm for any spacing.
 * @module
 */
import type { Vec3 } from "../volume/volume.js";

/**
 * Squared distance (mm^2) from each voxel centre to the nearest voxel centre where `seed[p]` is
 * non-zero (0 at seeds; Infinity everywhere when there is no seed).
 * @example
 * ```ts
 * const d2 = squaredDistanceToSeeds(mask.data, mask.dims, mask.spacing);
 * ```
 */
export function squaredDistanceToSeeds(seed: ArrayLike<number>, dims: Vec3, spacing: Vec3): Float64Array {
  const [nx, ny, nz] = dims;
  const n = nx * ny * nz;
  const f = new Float64Array(n);
  for (let p = 0; p < n; p++) f[p] = seed[p] ? 0 : Infinity;
  const maxLen = Math.max(nx, ny, nz);
  const line = new Float64Array(maxLen);
  const out = new Float64Array(maxLen);
  const v = new Int32Array(maxLen);
  const z = new Float64Array(maxLen + 1);
  const pass = (len: number, stride: number, starts: Iterable<number>, h: number) => {
    for (const s of starts) {
      for (let q = 0; q < len; q++) line[q] = f[s + q * stride];
      edt1d(line, len, h * h, out, v, z);
      for (let q = 0; q < len; q++) f[s + q * stride] = out[q];
    }
  };
  pass(nx, 1, range3(0, ny * nz, (t) => t * nx), spacing[0]);
  pass(ny, nx, range3(0, nx * nz, (t) => (t % nx) + Math.floor(t / nx) * nx * ny), spacing[1]);
  pass(nz, nx * ny, range3(0, nx * ny, (t) => t), spacing[2]);
  return f;
}

function* range3(a: number, b: number, map: (t: number) => number): Generator<number> {
  for (let t = a; t < b; t++) yield map(t);
}

/** 1D squared distance of sampled function f with sample spacing sqrt(h2), into d. */
function edt1d(f: Float64Array, n: number, h2: number, d: Float64Array, v: Int32Array, z: Float64Array): void {
  let k = -1;
  for (let q = 0; q < n; q++) {
    if (f[q] === Infinity) continue;
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -Infinity;
      z[1] = Infinity;
      continue;
    }
    let s: number;
    for (;;) {
      const r = v[k];
      s = (f[q] - f[r] + h2 * (q * q - r * r)) / (2 * h2 * (q - r));
      if (s <= z[k]) {
        k--;
        if (k < 0) break;
      } else break;
    }
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -Infinity;
      z[1] = Infinity;
      continue;
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = Infinity;
  }
  if (k < 0) {
    for (let q = 0; q < n; q++) d[q] = Infinity;
    return;
  }
  let j = 0;
  for (let q = 0; q < n; q++) {
    while (z[j + 1] < q) j++;
    const r = v[j];
    d[q] = h2 * (q - r) * (q - r) + f[r];
  }
}
