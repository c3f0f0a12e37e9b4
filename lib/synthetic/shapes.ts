/**
 * Signed-distance primitives (mm, negative inside) and the smooth blending operators the phantoms
 * are built from. Each primitive precomputes its frame so `sd(x, y, z)` allocates nothing.
 *
 * Exactness: capsules and circular cylinders are exact signed distances.
 * Ellipses and ellipsoids use the first-order (gradient-normalised) estimate `k0 (k0 - 1) / k1`,
 * which is exact on the surface and accurate to O(d^2 * curvature) within a few mm of it: good
 * enough for shells of 0.5-5 mm, which is what the phantoms measure with it.
 * @module
 */
import type { Frame, Vec3 } from "./vec3.js";

/** Hermite smoothstep: 0 below `e0`, 1 above `e1`, smooth between (e0 > e1 reverses it). */
export function smoothstep(e0: number, e1: number, x: number): number {
  const t = Math.min(1, Math.max(0, (x - e0) / (e1 - e0)));
  return t * t * (3 - 2 * t);
}

/** Clamp `x` to [lo, hi]. */
export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** Linear interpolation a + (b - a) t. */
export function lerp(a: number, b: number, t: number): number {
  return a + (b - a) * t;
}

/**
 * Smooth union of two signed distances (polynomial smooth minimum with blend radius `k` mm): equal
 * to `min(a, b)` where the two differ by more than `k`, and a fillet up to `k / 4` mm where close.
 * @example
 * ```ts
 * smin(2, 10, 4); // 2
 * smin(1, 1, 4);  // 0: the fillet bulges 1 mm outwards where the surfaces meet
 * ```
 */
export function smin(a: number, b: number, k: number): number {
  const h = Math.max(k - Math.abs(a - b), 0) / k;
  return Math.min(a, b) - h * h * k * 0.25;
}

/** Smooth intersection (the mirror of {@link smin}). */
export function smax(a: number, b: number, k: number): number {
  return -smin(-a, -b, k);
}

/** A capsule: all points within `radius` of the segment a-b. */
export class Capsule {
  private readonly ab: Vec3;
  private readonly abab: number;
  constructor(
    readonly a: Vec3,
    readonly b: Vec3,
    readonly radius: number,
  ) {
    this.ab = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
    this.abab = this.ab[0] ** 2 + this.ab[1] ** 2 + this.ab[2] ** 2;
  }
  /** Distance to the segment (not signed). */
  segmentDistance(x: number, y: number, z: number): number {
    const a = this.a, ab = this.ab;
    const px = x - a[0], py = y - a[1], pz = z - a[2];
    const t = Math.min(1, Math.max(0, (px * ab[0] + py * ab[1] + pz * ab[2]) / this.abab));
    const qx = px - t * ab[0], qy = py - t * ab[1], qz = pz - t * ab[2];
    return Math.sqrt(qx * qx + qy * qy + qz * qz);
  }
  sd(x: number, y: number, z: number): number {
    return this.segmentDistance(x, y, z) - this.radius;
  }
}

/**
 * An ellipsoid with semi-axes `a`, `b`, `c` along the axes `ex`, `ey`, `ez` of `frame`
 * (first-order signed distance).
 */
export class Ellipsoid {
  constructor(
    readonly frame: Frame,
    readonly a: number,
    readonly b: number,
    readonly c: number,
  ) {}
  sd(x: number, y: number, z: number): number {
    const f = this.frame;
    const dx = x - f.origin[0], dy = y - f.origin[1], dz = z - f.origin[2];
    const u = dx * f.ex[0] + dy * f.ex[1] + dz * f.ex[2];
    const v = dx * f.ey[0] + dy * f.ey[1] + dz * f.ey[2];
    const w = dx * f.ez[0] + dy * f.ez[1] + dz * f.ez[2];
    return ellipsoidDistance(u, v, w, this.a, this.b, this.c);
  }
}

/** First-order signed distance of local point (u, v, w) to the ellipsoid with semi-axes a, b, c. */
export function ellipsoidDistance(u: number, v: number, w: number, a: number, b: number, c: number): number {
  const ua = u / a, vb = v / b, wc = w / c;
  const ua2 = ua / a, vb2 = vb / b, wc2 = wc / c;
  const k0 = Math.sqrt(ua * ua + vb * vb + wc * wc);
  const k1 = Math.sqrt(ua2 * ua2 + vb2 * vb2 + wc2 * wc2);
  if (k1 === 0) return -Math.min(a, b, c);
  return (k0 * (k0 - 1)) / k1;
}

/** First-order signed distance of in-plane point (u, v) to the ellipse with semi-axes a, b. */
export function ellipseDistance(u: number, v: number, a: number, b: number): number {
  const ua = u / a, vb = v / b;
  const ua2 = ua / a, vb2 = vb / b;
  const k0 = Math.sqrt(ua * ua + vb * vb);
  const k1 = Math.sqrt(ua2 * ua2 + vb2 * vb2);
  if (k1 === 0) return -Math.min(a, b);
  return (k0 * (k0 - 1)) / k1;
}

/**
 * An elliptic cylinder along `frame.ez`, semi-axes `a` (along ex) and `b` (along ey), between
 * local heights `z0` and `z1` (use +-Infinity for an open end).
 */
export class EllipticCylinder {
  constructor(
    readonly frame: Frame,
    readonly a: number,
    readonly b: number,
    readonly z0 = -Infinity,
    readonly z1 = Infinity,
  ) {}
  sd(x: number, y: number, z: number): number {
    const f = this.frame;
    const dx = x - f.origin[0], dy = y - f.origin[1], dz = z - f.origin[2];
    const u = dx * f.ex[0] + dy * f.ex[1] + dz * f.ex[2];
    const v = dx * f.ey[0] + dy * f.ey[1] + dz * f.ey[2];
    const w = dx * f.ez[0] + dy * f.ez[1] + dz * f.ez[2];
    const d = this.a === this.b ? Math.sqrt(u * u + v * v) - this.a : ellipseDistance(u, v, this.a, this.b);
    return Math.max(d, this.z0 - w, w - this.z1);
  }
}

/** A box with half extents `hx`, `hy`, `hz` along the frame axes and edges rounded by `radius`. */
export class RoundedBox {
  constructor(
    readonly frame: Frame,
    readonly hx: number,
    readonly hy: number,
    readonly hz: number,
    readonly radius = 0,
  ) {}
  sd(x: number, y: number, z: number): number {
    const f = this.frame;
    const dx = x - f.origin[0], dy = y - f.origin[1], dz = z - f.origin[2];
    const r = this.radius;
    const qx = Math.abs(dx * f.ex[0] + dy * f.ex[1] + dz * f.ex[2]) - (this.hx - r);
    const qy = Math.abs(dx * f.ey[0] + dy * f.ey[1] + dz * f.ey[2]) - (this.hy - r);
    const qz = Math.abs(dx * f.ez[0] + dy * f.ez[1] + dz * f.ez[2]) - (this.hz - r);
    const mx = Math.max(qx, 0), my = Math.max(qy, 0), mz = Math.max(qz, 0);
    const outside = Math.sqrt(mx * mx + my * my + mz * mz);
    return outside + Math.min(Math.max(qx, qy, qz), 0) - r;
  }
}
