/**
 * The vector operations of PCG and of the Chebyshev smoother, as one interface so that the parallel
 * engine can run them on all threads. The serial versions are here.
 * @module
 */

/** Fused vector operations (all arrays of equal length n). */
export interface VectorOps {
  dot(a: Float64Array, b: Float64Array): number;
  /** x += alpha p; r -= alpha q; returns r.r */
  cgUpdate(x: Float64Array, r: Float64Array, p: Float64Array, q: Float64Array, alpha: number): number;
  /** p = z + beta p */
  xpby(z: Float64Array, p: Float64Array, beta: number): void;
  /** z = w .* r */
  mul(w: Float64Array, r: Float64Array, z: Float64Array): void;
  /** d = c1 d + c2 w .* (r - t); x += d. With t = null: d = c2 w .* r; x = d (a start from zero). */
  chebStep(d: Float64Array, x: Float64Array, w: Float64Array, r: Float64Array, t: Float64Array | null, c1: number, c2: number): void;
}

/** Serial kernels over [i0, i1); shared by the serial ops and the parallel kernels (self-contained). */
export function dotRange(a: Float64Array, b: Float64Array, i0: number, i1: number): number {
  let s0 = 0, s1 = 0;
  let i = i0;
  for (; i + 1 < i1; i += 2) { s0 += a[i] * b[i]; s1 += a[i + 1] * b[i + 1]; }
  if (i < i1) s0 += a[i] * b[i];
  return s0 + s1;
}
export function cgUpdateRange(x: Float64Array, r: Float64Array, p: Float64Array, q: Float64Array, alpha: number, i0: number, i1: number): number {
  let s = 0;
  for (let i = i0; i < i1; i++) { x[i] += alpha * p[i]; const v = r[i] - alpha * q[i]; r[i] = v; s += v * v; }
  return s;
}
export function xpbyRange(z: Float64Array, p: Float64Array, beta: number, i0: number, i1: number): void {
  for (let i = i0; i < i1; i++) p[i] = z[i] + beta * p[i];
}
export function mulRange(w: Float64Array, r: Float64Array, z: Float64Array, i0: number, i1: number): void {
  for (let i = i0; i < i1; i++) z[i] = w[i] * r[i];
}
export function chebRange(d: Float64Array, x: Float64Array, w: Float64Array, r: Float64Array, t: Float64Array | null, c1: number, c2: number, i0: number, i1: number): void {
  if (t === null) {
    for (let i = i0; i < i1; i++) { const v = c2 * w[i] * r[i]; d[i] = v; x[i] = v; }
  } else {
    for (let i = i0; i < i1; i++) { const v = c1 * d[i] + c2 * w[i] * (r[i] - t[i]); d[i] = v; x[i] += v; }
  }
}

/** The serial vector operations. */
export const serialVectorOps: VectorOps = {
  dot: (a, b) => dotRange(a, b, 0, a.length),
  cgUpdate: (x, r, p, q, alpha) => cgUpdateRange(x, r, p, q, alpha, 0, x.length),
  xpby: (z, p, beta) => xpbyRange(z, p, beta, 0, z.length),
  mul: (w, r, z) => mulRange(w, r, z, 0, z.length),
  chebStep: (d, x, w, r, t, c1, c2) => chebRange(d, x, w, r, t, c1, c2, 0, d.length),
};
