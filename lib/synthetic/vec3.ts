/**
 * Small 3-vector helpers for building phantom geometry (not for hot loops: each call allocates).
 * @module
 */
import type { Vec3 } from "../volume/volume.js";

export type { Vec3 };

/** a + b */
export function add(a: Vec3, b: Vec3): Vec3 {
  return [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
}

/** a - b */
export function sub(a: Vec3, b: Vec3): Vec3 {
  return [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
}

/** s * a */
export function scale(a: Vec3, s: number): Vec3 {
  return [a[0] * s, a[1] * s, a[2] * s];
}

/** a + s * b */
export function axpy(a: Vec3, s: number, b: Vec3): Vec3 {
  return [a[0] + s * b[0], a[1] + s * b[1], a[2] + s * b[2]];
}

/** Sum of `weights[n] * vectors[n]`. */
export function combine(...terms: [number, Vec3][]): Vec3 {
  const out: Vec3 = [0, 0, 0];
  for (const [w, v] of terms) {
    out[0] += w * v[0];
    out[1] += w * v[1];
    out[2] += w * v[2];
  }
  return out;
}

/** Dot product. */
export function dot(a: Vec3, b: Vec3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/** Cross product a x b. */
export function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

/** Euclidean length. */
export function norm(a: Vec3): number {
  return Math.hypot(a[0], a[1], a[2]);
}

/** Unit vector along `a` (throws on a zero vector). */
export function normalize(a: Vec3): Vec3 {
  const n = norm(a);
  if (!(n > 0)) throw new RangeError("cannot normalise a zero vector");
  return [a[0] / n, a[1] / n, a[2] / n];
}

/** The part of `a` orthogonal to the unit vector `u`, normalised. */
export function orthogonalize(a: Vec3, u: Vec3): Vec3 {
  return normalize(axpy(a, -dot(a, u), u));
}

/** Angle between two vectors (degrees). */
export function angleDeg(a: Vec3, b: Vec3): number {
  const c = dot(a, b) / (norm(a) * norm(b));
  return (Math.acos(Math.min(1, Math.max(-1, c))) * 180) / Math.PI;
}

/** Rotate `v` about the unit axis `k` by `deg` degrees (right-hand rule, Rodrigues). */
export function rotateAbout(v: Vec3, k: Vec3, deg: number): Vec3 {
  const t = (deg * Math.PI) / 180;
  const c = Math.cos(t), s = Math.sin(t);
  const kv = cross(k, v);
  const kd = dot(k, v) * (1 - c);
  return [v[0] * c + kv[0] * s + k[0] * kd, v[1] * c + kv[1] * s + k[1] * kd, v[2] * c + kv[2] * s + k[2] * kd];
}

/** Degrees to radians. */
export function rad(deg: number): number {
  return (deg * Math.PI) / 180;
}

/**
 * An orthonormal frame: an origin and three unit axes (world LPS). The local coordinates of a world
 * point are its components along `ex`, `ey`, `ez` relative to `origin`.
 */
export interface Frame {
  origin: Vec3;
  ex: Vec3;
  ey: Vec3;
  ez: Vec3;
}

/** World position of local coordinates (a, b, c) in `f`. */
export function frameToWorld(f: Frame, a: number, b: number, c: number): Vec3 {
  return [
    f.origin[0] + a * f.ex[0] + b * f.ey[0] + c * f.ez[0],
    f.origin[1] + a * f.ex[1] + b * f.ey[1] + c * f.ez[1],
    f.origin[2] + a * f.ex[2] + b * f.ey[2] + c * f.ez[2],
  ];
}

