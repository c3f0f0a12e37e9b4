/**
 * Seeded, counter-based random numbers. Value number `index` of stream `stream` under `seed` is a
 * pure function of those three integers, so the noise of any voxel can be computed on its own: a
 * sub-block of a scan gets exactly the noise the whole scan has there, and the result never depends
 * on the order of evaluation. The hash is Wellons' "lowbias32" integer mixer applied twice with the
 * key folded in between (https://nullprogram.com/blog/2018/07/31/); Gaussians come from the
 * Box-Muller transform of two independent uniforms.
 * @module
 */
import { SyntheticError } from "./errors.js";

/** The lowbias32 32-bit integer hash (a bijection on uint32). */
export function mix32(x: number): number {
  x = x >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Check that `seed` is an integer in [0, 2^32 - 1]. */
export function checkSeed(seed: number): number {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new SyntheticError(`seed must be an integer from 0 to 4294967295, got ${seed}`);
  }
  return seed;
}

/** The 32-bit key of (seed, stream). */
function key(seed: number, stream: number): number {
  return mix32((seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0);
}

/**
 * A uniform 32-bit integer for (`seed`, `stream`, `index`); `index` is an integer in [0, 2^32).
 * @example
 * ```ts
 * hash32(1, 0, 12345) === hash32(1, 0, 12345); // true, always
 * ```
 */
export function hash32(seed: number, stream: number, index: number): number {
  const k = key(seed, stream);
  return mix32((mix32((index ^ k) >>> 0) + k) >>> 0);
}

/** A uniform number in the open interval (0, 1) for (`seed`, `stream`, `index`). */
export function uniformAt(seed: number, stream: number, index: number): number {
  return (hash32(seed, stream, index) + 0.5) / 4294967296;
}

/**
 * A standard normal number for (`seed`, `index`) (Box-Muller on streams 0 and 1).
 * @example
 * ```ts
 * const noise = Float64Array.from({ length: 1000 }, (_, p) => 12 * gaussianAt(7, p)); // SD 12
 * ```
 */
export function gaussianAt(seed: number, index: number): number {
  const u1 = uniformAt(seed, 0, index);
  const u2 = uniformAt(seed, 1, index);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}
