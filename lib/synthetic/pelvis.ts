/**
 * A hemipelvis fragment around the hip joint: an acetabular cup (a spherical shell over the half
 * facing away from the acetabular opening) joined smoothly to stubs of the ilium (upwards), the
 * ischium (down and back) and the superior pubic ramus (towards the midline), with the acetabular
 * cavity carved out as an exact sphere. The cavity radius is the femoral head radius plus the joint
 * space, so the bone-to-bone gap between femur and pelvis is the joint space everywhere the cup
 * covers the head: segmentation must separate two bones a few mm apart.
 *
 * Densities are K2HPO4-equivalent, mg/cm3.
 * @module
 */
import { SyntheticError } from "./errors.js";
import type { Part, PointSample } from "./model.js";
import { Capsule, EllipticCylinder, clamp, smin } from "./shapes.js";
import { TISSUE } from "./tissues.js";
import { add, cross, normalize, orthogonalize, rad, type Vec3 } from "./vec3.js";

/** Everything that defines the pelvis fragment. Lengths mm, angles degrees, densities mg/cm3 K2HPO4. */
export interface PelvisParams {
  side: "right" | "left";
  /** Acetabulum centre (LPS mm): the femoral head centre for a concentric joint. */
  acetabulumCentre: Vec3;
  /** Radius of the bony acetabular surface (femoral head radius + joint space). */
  cavityRadius: number;
  /** Thickness of the acetabular cup wall. */
  wallThickness: number;
  /** Angle of the acetabular opening axis from the inferior direction in the coronal plane. */
  inclinationDeg: number;
  /** Anterior tilt of the acetabular opening axis. */
  anteversionDeg: number;
  /** Cortical thickness. */
  cortex: number;
  corticalDensity: number;
  /** Trabecular field: `base + subchondral * exp(-(r - cavityRadius)^2 / (2 * 5^2))`, clamped. */
  trabecular: { base: number; subchondral: number; min: number; max: number };
}

/** A right acetabulum around a 24 mm head with a 3 mm joint space, centred at the LPS origin. */
export const DEFAULT_PELVIS: PelvisParams = {
  side: "right",
  acetabulumCentre: [0, 0, 0],
  cavityRadius: 27,
  wallThickness: 10,
  inclinationDeg: 45,
  anteversionDeg: 20,
  cortex: 1.5,
  corticalDensity: 900,
  trabecular: { base: 130, subchondral: 90, min: 60, max: 300 },
};

/**
 * The pelvis fragment as a {@link Part}.
 * @example
 * ```ts
 * const pelvis = new PelvisPhantom({ ...DEFAULT_PELVIS, acetabulumCentre: [-88, 2.5, 0] }, 2);
 * pelvis.openingAxis; // unit vector lateral, inferior and anterior
 * ```
 */
export class PelvisPhantom implements Part {
  /** Unit vector out of the acetabular opening. */
  readonly openingAxis: Vec3;
  private readonly ilium: EllipticCylinder;
  private readonly ischium: Capsule;
  private readonly pubis: Capsule;
  private readonly outerRadius: number;
  private readonly boxMin: Vec3;
  private readonly boxMax: Vec3;

  constructor(
    readonly params: PelvisParams,
    readonly label: number,
  ) {
    const p = params;
    if (!(p.cavityRadius > 0 && p.wallThickness > p.cortex)) {
      throw new SyntheticError("pelvis cavity radius must be positive and the wall thicker than the cortex");
    }
    const ms = p.side === "right" ? 1 : -1;
    const H = p.acetabulumCentre;
    const inc = rad(p.inclinationDeg), av = rad(p.anteversionDeg);
    // Lateral is -ms x; inferior -z; anterior -y.
    this.openingAxis = normalize([-ms * Math.sin(inc) * Math.cos(av), -Math.sin(av), -Math.cos(inc) * Math.cos(av)]);
    const ez = normalize([-ms * 0.25, 0.2, 1]);
    const ex = orthogonalize([ms * 0.6, 0.8, 0], ez);
    this.ilium = new EllipticCylinder({ origin: add(H, [ms * 6, 4, 0]), ex, ey: cross(ez, ex), ez }, 26, 13, 0, Infinity);
    this.ischium = new Capsule(add(H, [ms * 16, 10, -14]), add(H, [ms * 24, 32, -62]), 11);
    this.pubis = new Capsule(add(H, [ms * 14, -14, -12]), add(H, [ms * 85, -32, -22]), 9);
    this.outerRadius = p.cavityRadius + p.wallThickness;
    // Bounding box of every piece (the ilium taken 150 mm up its axis) plus the blend margin.
    const m = 8;
    const spheres: [Vec3, number][] = [
      [H, this.outerRadius],
      [this.ischium.a, 11],
      [this.ischium.b, 11],
      [this.pubis.a, 9],
      [this.pubis.b, 9],
      [this.ilium.frame.origin, 26],
      [add(this.ilium.frame.origin, [150 * ez[0], 150 * ez[1], 150 * ez[2]]), 26],
    ];
    this.boxMin = [0, 1, 2].map((c) => Math.min(...spheres.map(([q, r]) => q[c] - r - m))) as Vec3;
    this.boxMax = [0, 1, 2].map((c) => Math.max(...spheres.map(([q, r]) => q[c] + r + m))) as Vec3;
  }

  /** Signed distance (mm) to the bone surface; exact on the acetabular cavity. */
  signedDistance(x: number, y: number, z: number): number {
    const H = this.params.acetabulumCentre, a = this.openingAxis;
    const dx = x - H[0], dy = y - H[1], dz = z - H[2];
    const r = Math.sqrt(dx * dx + dy * dy + dz * dz);
    const cup = Math.max(r - this.outerRadius, dx * a[0] + dy * a[1] + dz * a[2]);
    let f = smin(cup, this.ilium.sd(x, y, z), 8);
    f = smin(f, this.ischium.sd(x, y, z), 8);
    f = smin(f, this.pubis.sd(x, y, z), 8);
    return Math.max(f, this.params.cavityRadius - r);
  }

  sample(x: number, y: number, z: number, out: PointSample): boolean {
    const lo = this.boxMin, hi = this.boxMax;
    if (x < lo[0] || x > hi[0] || y < lo[1] || y > hi[1] || z < lo[2] || z > hi[2]) return false;
    const f = this.signedDistance(x, y, z);
    if (f > 0) return false;
    const p = this.params;
    out.label = this.label;
    if (-f < p.cortex) {
      out.tissue = TISSUE.cortical_bone;
      out.density = p.corticalDensity;
      return true;
    }
    const H = p.acetabulumCentre;
    const dx = x - H[0], dy = y - H[1], dz = z - H[2];
    const r = Math.sqrt(dx * dx + dy * dy + dz * dz);
    const tb = p.trabecular;
    out.tissue = TISSUE.trabecular_bone;
    out.density = clamp(tb.base + tb.subchondral * Math.exp(-((r - p.cavityRadius) ** 2) / 50), tb.min, tb.max);
    return true;
  }

}
