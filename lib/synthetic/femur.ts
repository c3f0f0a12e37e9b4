/**
 * A proximal-femur phantom: femoral head (sphere), neck (elliptic cross-section with a waist),
 * greater and lesser trochanters (ellipsoids), and a shaft (circular cylinder flaring proximally),
 * joined by smooth unions. Inside it, a cortical shell whose thickness varies by region and a
 * trabecular density field built from smooth analytic terms (compressive and tensile groups, a
 * dense head core, a sparse Ward's triangle and greater trochanter) that fades into the medullary
 * canal of the diaphysis.
 *
 * Frames (all unit vectors in LPS): `shaftAxis` points proximally along the shaft; `medial` is
 * perpendicular to it in the plane holding the shaft axis and the LPS x axis (the stand-in for the
 * posterior condylar axis, which the phantom lacks); `anterior` completes the frame. The neck axis
 * runs from the neck-shaft junction (where the neck axis meets the shaft axis) to the head centre:
 * `neckAxis = cos(180 - NSA) shaftAxis + sin(180 - NSA) (cos(AV) medial + sin(AV) anterior)`, so the
 * 3D angle between the shaft (pointing distally) and the neck is the neck-shaft angle NSA, and the
 * neck's angle out of the shaft-x plane about the shaft axis is the anteversion AV.
 *
 * Densities are K2HPO4-equivalent, mg/cm3.
 * @module
 */
import { SyntheticError } from "./errors.js";
import type { Part, PointSample } from "./model.js";
import { Capsule, Ellipsoid, clamp, ellipseDistance, lerp, smin, smoothstep } from "./shapes.js";
import { TISSUE } from "./tissues.js";
import { angleDeg, axpy, combine, cross, dot, normalize, orthogonalize, rad, sub, type Vec3 } from "./vec3.js";

/** Cortical thickness of each region (mm). */
export interface FemurCortex {
  /** Diaphysis (shaft at and below `shaftDiaphysisStart`). */
  diaphysis: number;
  /** Proximal end of the shaft (metaphysis, just below the trochanters). */
  metaphysis: number;
  /** Superior side of the neck. */
  neckSuperior: number;
  /** Inferior side of the neck (calcar). */
  neckInferior: number;
  /** Femoral head. */
  head: number;
  /** Trochanteric region. */
  trochanter: number;
}

/** Trabecular density field terms (K2HPO4-equivalent mg/cm3). */
export interface FemurTrabecular {
  /** Background density of the proximal femur. */
  base: number;
  /** Peak added along the principal compressive group (Gaussian tube, sigma 5 mm). */
  compressive: number;
  /** Peak added along the principal tensile group (Gaussian tube, sigma 4 mm). */
  tensile: number;
  /** Peak added in the head core (Gaussian, sigma 12 mm about the head centre). */
  head: number;
  /** Peak removed at Ward's triangle (Gaussian, sigma 6 mm). */
  wardDeficit: number;
  /** Peak removed in the greater trochanter (Gaussian, sigma 12 mm). */
  trochanterDeficit: number;
  /** The field is clamped to [min, max] before it fades into the canal. */
  min: number;
  max: number;
}

/** Everything that defines the femur phantom. Lengths mm, angles degrees, densities mg/cm3 K2HPO4. */
export interface FemurParams {
  side: "right" | "left";
  /** Femoral head centre (LPS mm). */
  headCentre: Vec3;
  headRadius: number;
  /** Distance from the neck-shaft junction to the head centre along the neck axis. */
  neckLength: number;
  neckShaftAngleDeg: number;
  anteversionDeg: number;
  /** Tilt of the shaft axis from the scanner z axis in the coronal plane, proximal end lateral. */
  shaftAdductionDeg: number;
  /** Tilt of the shaft axis from the scanner z axis in the sagittal plane, proximal end posterior. */
  shaftFlexionDeg: number;
  /** Neck semi-axes at the waist: [superior-inferior, anterior-posterior]. */
  neckSemiAxes: [number, number];
  /** Outer radius of the diaphysis. */
  shaftRadius: number;
  /** Outer radius the shaft cylinder flares to at its proximal end. */
  metaphysisRadius: number;
  /** Shaft position (mm along the shaft axis from the junction, negative = distal) where the diaphysis begins. */
  shaftDiaphysisStart: number;
  cortex: FemurCortex;
  /** Cortical density in the diaphysis and in the proximal femur. */
  corticalDensity: { diaphysis: number; proximal: number };
  trabecular: FemurTrabecular;
}

/** A right proximal femur of average adult size, head centre at the LPS origin. */
export const DEFAULT_FEMUR: FemurParams = {
  side: "right",
  headCentre: [0, 0, 0],
  headRadius: 24,
  neckLength: 52,
  neckShaftAngleDeg: 127,
  anteversionDeg: 12,
  shaftAdductionDeg: 8,
  shaftFlexionDeg: 4,
  neckSemiAxes: [16, 13],
  shaftRadius: 13.5,
  metaphysisRadius: 17,
  shaftDiaphysisStart: -60,
  cortex: { diaphysis: 4.0, metaphysis: 1.5, neckSuperior: 1.0, neckInferior: 2.0, head: 0.8, trochanter: 1.2 },
  corticalDensity: { diaphysis: 1100, proximal: 900 },
  trabecular: {
    base: 100,
    compressive: 170,
    tensile: 70,
    head: 40,
    wardDeficit: 90,
    trochanterDeficit: 35,
    min: 45,
    max: 320,
  },
};

/** The derived geometry of a femur phantom: the truth a scientist checks anatomy code against. */
export interface FemurGeometry {
  side: "right" | "left";
  headCentre: Vec3;
  headRadius: number;
  /** Where the neck axis meets the shaft axis. */
  neckShaftJunction: Vec3;
  /** Unit vector from the junction to the head centre. */
  neckAxis: Vec3;
  /** Unit vector along the shaft, pointing proximally. */
  shaftAxis: Vec3;
  /** Unit vector perpendicular to the shaft axis, towards the midline. */
  medial: Vec3;
  /** Unit vector perpendicular to the shaft axis and `medial`, anterior. */
  anterior: Vec3;
  /** Unit vector perpendicular to the neck axis towards the superior side of the neck. */
  neckSuperior: Vec3;
  /** 3D angle between the distal shaft axis and the neck axis (deg). */
  neckShaftAngleDeg: number;
  /** Angle of the neck axis out of the shaft-x plane, about the shaft axis (deg). */
  anteversionDeg: number;
  /** Distance from the head centre to the shaft axis (femoral offset, mm). */
  offsetMm: number;
  /** Distance along the neck axis from the junction where the head sphere meets the neck surface. */
  headNeckJunction: number;
  greaterTrochanterCentre: Vec3;
  lesserTrochanterCentre: Vec3;
  wardsTriangleCentre: Vec3;
  /** End points of the principal compressive group's axis. */
  compressiveGroup: [Vec3, Vec3];
  /** The principal tensile group's polyline. */
  tensileGroup: [Vec3, Vec3, Vec3];
}

/** Neck radius scale along the neck axis (1 at the waist, 1.35 at the base, 1.08 by the head). */
function neckScale(t: number): number {
  return 1 + 0.35 * (1 - smoothstep(0, 22, t)) + 0.08 * smoothstep(26, 36, t);
}

/**
 * Derive the femur's frames and landmarks from its parameters.
 * @example
 * ```ts
 * const g = femurGeometry(DEFAULT_FEMUR);
 * g.neckShaftAngleDeg; // 127
 * ```
 * @throws SyntheticError for a neck-shaft angle outside (90, 180) or a neck shorter than the head radius.
 */
export function femurGeometry(p: FemurParams): FemurGeometry {
  if (!(p.neckShaftAngleDeg > 90 && p.neckShaftAngleDeg < 180)) {
    throw new SyntheticError(`femur neck-shaft angle must be between 90 and 180 degrees, got ${p.neckShaftAngleDeg}`);
  }
  if (!(p.headRadius > 0 && p.neckLength > p.headRadius)) {
    throw new SyntheticError(`femur neck length (${p.neckLength} mm) must exceed the head radius (${p.headRadius} mm)`);
  }
  const ms = p.side === "right" ? 1 : -1; // LPS +x is the patient's left: medial for a right femur
  const shaftAxis = normalize([-ms * Math.tan(rad(p.shaftAdductionDeg)), Math.tan(rad(p.shaftFlexionDeg)), 1]);
  const medial = orthogonalize([ms, 0, 0], shaftAxis);
  // Shaft x medial points posterior for a right femur and anterior for a left one.
  const sm = normalize(cross(shaftAxis, medial));
  const ant: Vec3 = dot(sm, [0, -1, 0]) > 0 ? sm : [-sm[0], -sm[1], -sm[2]];
  const beta = rad(180 - p.neckShaftAngleDeg);
  const av = rad(p.anteversionDeg);
  const neckAxis = normalize(
    combine([Math.cos(beta), shaftAxis], [Math.sin(beta) * Math.cos(av), medial], [Math.sin(beta) * Math.sin(av), ant]),
  );
  const H = p.headCentre;
  const O = axpy(H, -p.neckLength, neckAxis);
  const neckSuperior = orthogonalize(shaftAxis, neckAxis);
  const G = combine([1, O], [14, shaftAxis], [-22, medial], [-6, ant]);
  const dLT = normalize(combine([0.6, medial], [-0.8, ant]));
  const L = combine([1, O], [-36, shaftAxis], [15, dLT]);
  const up: Vec3 = [0, 0, 1];
  const mx: Vec3 = [ms, 0, 0];
  const A = axpy(H, 0.75 * p.headRadius, normalize(combine([0.35, mx], [0.94, up])));
  const B = combine([1, O], [-18, shaftAxis], [15, medial]);
  const C = axpy(H, 0.62 * p.headRadius, normalize(combine([0.25, mx], [-0.97, up])));
  const D = combine([1, O], [30, neckAxis], [11, neckSuperior]);
  const E = combine([1, O], [-22, shaftAxis], [-13, medial]);
  const W = combine([1, O], [16, neckAxis], [-5, neckSuperior]);
  const a0 = p.neckSemiAxes[0] * neckScale(p.neckLength - p.headRadius * 0.7);
  const headNeckJunction = p.neckLength - Math.sqrt(Math.max(0, p.headRadius ** 2 - a0 ** 2));
  const hv = sub(H, O);
  const offsetMm = Math.hypot(...(axpy(hv, -dot(hv, shaftAxis), shaftAxis) as [number, number, number]));
  const perp = orthogonalize(neckAxis, shaftAxis);
  return {
    side: p.side,
    headCentre: [...H] as Vec3,
    headRadius: p.headRadius,
    neckShaftJunction: O,
    neckAxis,
    shaftAxis,
    medial,
    anterior: ant,
    neckSuperior,
    neckShaftAngleDeg: 180 - angleDeg(shaftAxis, neckAxis),
    anteversionDeg: (Math.atan2(dot(perp, ant), dot(perp, medial)) * 180) / Math.PI,
    offsetMm,
    headNeckJunction,
    greaterTrochanterCentre: G,
    lesserTrochanterCentre: L,
    wardsTriangleCentre: W,
    compressiveGroup: [A, B],
    tensileGroup: [C, D, E],
  };
}

/**
 * The femur phantom as a {@link Part}: claims the points inside the periosteal surface and gives
 * each its tissue (cortical bone, trabecular bone, or marrow in the canal), `label`, and density.
 * @example
 * ```ts
 * const femur = new FemurPhantom({ ...DEFAULT_FEMUR, headCentre: [-88, 2.5, 0] }, 1);
 * femur.signedDistance(-88, 2.5, 24 + 0.5); // ~0.5 mm: just above the top of the head
 * ```
 */
export class FemurPhantom implements Part {
  readonly geometry: FemurGeometry;
  private readonly gt: Ellipsoid;
  private readonly lt: Ellipsoid;
  private readonly compressive: Capsule;
  private readonly tensile1: Capsule;
  private readonly tensile2: Capsule;
  private readonly boxMin: Vec3;
  private readonly boxMax: Vec3;
  // Scratch results of the last signedDistance call (shaft position s, neck position t, neck q1, q2).
  private s = 0;
  private t = 0;
  private q1 = 0;
  private q2 = 0;

  constructor(
    readonly params: FemurParams,
    readonly label: number,
  ) {
    const g = (this.geometry = femurGeometry(params));
    this.gt = new Ellipsoid(
      { origin: g.greaterTrochanterCentre, ex: g.shaftAxis, ey: g.medial, ez: g.anterior },
      22,
      12,
      15,
    );
    const dPerp = orthogonalize(sub(g.lesserTrochanterCentre, g.neckShaftJunction), g.shaftAxis);
    this.lt = new Ellipsoid(
      { origin: g.lesserTrochanterCentre, ex: g.shaftAxis, ey: dPerp, ez: normalize(cross(g.shaftAxis, dPerp)) },
      12,
      8,
      8,
    );
    this.compressive = new Capsule(g.compressiveGroup[0], g.compressiveGroup[1], 0);
    this.tensile1 = new Capsule(g.tensileGroup[0], g.tensileGroup[1], 0);
    this.tensile2 = new Capsule(g.tensileGroup[1], g.tensileGroup[2], 0);
    // Bounding box of the proximal pieces (the shaft is tested separately: it is unbounded distally).
    const r = params.headRadius + 10;
    const pts = [g.headCentre, g.greaterTrochanterCentre, g.lesserTrochanterCentre, g.neckShaftJunction];
    const reach = [r, 32, 22, params.neckSemiAxes[0] * 1.35 + params.metaphysisRadius + 10];
    this.boxMin = [0, 1, 2].map((c) => Math.min(...pts.map((q, n) => q[c] - reach[n]))) as Vec3;
    this.boxMax = [0, 1, 2].map((c) => Math.max(...pts.map((q, n) => q[c] + reach[n]))) as Vec3;
  }

  /**
   * Signed distance (mm, negative inside) to the periosteal surface. Exact on the head and the
   * diaphysis, first-order on the ellipsoidal pieces, and a smooth-union fillet where pieces meet.
   */
  signedDistance(x: number, y: number, z: number): number {
    const g = this.geometry, p = this.params;
    const O = g.neckShaftJunction, us = g.shaftAxis, un = g.neckAxis, e1 = g.neckSuperior;
    const dx = x - O[0], dy = y - O[1], dz = z - O[2];
    // Shaft: circular cylinder along the shaft axis, flaring proximally, capped 12 mm above the junction.
    const s = dx * us[0] + dy * us[1] + dz * us[2];
    const rx = dx - s * us[0], ry = dy - s * us[1], rz = dz - s * us[2];
    const rShaft = p.shaftRadius + (p.metaphysisRadius - p.shaftRadius) * smoothstep(p.shaftDiaphysisStart, -12, s);
    const fShaft = Math.max(Math.sqrt(rx * rx + ry * ry + rz * rz) - rShaft, s - 12);
    // Neck: elliptic cross-section (e1 superior-inferior, e2 anterior-posterior) with a waist.
    const t = dx * un[0] + dy * un[1] + dz * un[2];
    const q1 = dx * e1[0] + dy * e1[1] + dz * e1[2];
    // e2 = un x e1, expanded inline.
    const e2x = un[1] * e1[2] - un[2] * e1[1], e2y = un[2] * e1[0] - un[0] * e1[2], e2z = un[0] * e1[1] - un[1] * e1[0];
    const q2 = dx * e2x + dy * e2y + dz * e2z;
    const sc = neckScale(t);
    const na = p.neckSemiAxes[0] * sc, nb = p.neckSemiAxes[1] * sc;
    const fEll = ellipseDistance(q1, q2, na, nb);
    const fNeck = Math.max(fEll, -10 - t, t - p.neckLength);
    const H = g.headCentre;
    const hx = x - H[0], hy = y - H[1], hz = z - H[2];
    const fHead = Math.sqrt(hx * hx + hy * hy + hz * hz) - p.headRadius;
    let f = smin(fShaft, this.gt.sd(x, y, z), 6);
    f = smin(f, fNeck, 8);
    f = smin(f, this.lt.sd(x, y, z), 4);
    f = smin(f, fHead, 3);
    this.s = s;
    this.t = t;
    this.q1 = q1;
    this.q2 = q2;
    return f;
  }

  /** True when (x, y, z) may be inside the femur (cheap bounding test). */
  private mayContain(x: number, y: number, z: number): boolean {
    const lo = this.boxMin, hi = this.boxMax;
    if (x >= lo[0] && x <= hi[0] && y >= lo[1] && y <= hi[1] && z >= lo[2] && z <= hi[2]) return true;
    const g = this.geometry, O = g.neckShaftJunction, us = g.shaftAxis;
    const dx = x - O[0], dy = y - O[1], dz = z - O[2];
    const s = dx * us[0] + dy * us[1] + dz * us[2];
    if (s > 20) return false;
    const r2 = dx * dx + dy * dy + dz * dz - s * s;
    const rm = this.params.metaphysisRadius + 2;
    return r2 < rm * rm;
  }

  /**
   * Cortical thickness (mm) prescribed at a point, from its shaft position `s` and neck
   * coordinates (`t` along the neck axis, `q1` superior, `q2` anterior) relative to the junction.
   */
  corticalThicknessAt(s: number, t: number, q1: number, q2: number): number {
    const c = this.params.cortex;
    const tShaft = lerp(c.diaphysis, c.metaphysis, smoothstep(this.params.shaftDiaphysisStart, -25, s));
    const rq = Math.sqrt(q1 * q1 + q2 * q2);
    const cosPhi = rq > 0 ? q1 / rq : 0;
    const tNeck = lerp(c.neckSuperior, c.neckInferior, (1 - cosPhi) / 2);
    const tj = this.geometry.headNeckJunction;
    const tNeckHead = lerp(tNeck, c.head, smoothstep(tj - 3, tj + 3, t));
    const tProx = lerp(c.trochanter, tNeckHead, smoothstep(2, 14, t));
    return lerp(tShaft, tProx, smoothstep(-40, -22, s));
  }

  /** Cortical thickness (mm) prescribed at world point (x, y, z). */
  corticalThickness(x: number, y: number, z: number): number {
    this.signedDistance(x, y, z);
    return this.corticalThicknessAt(this.s, this.t, this.q1, this.q2);
  }

  /** Cortical density (mg/cm3) at shaft position `s`. */
  corticalDensityAt(s: number): number {
    const d = this.params.corticalDensity;
    return lerp(d.diaphysis, d.proximal, smoothstep(this.params.shaftDiaphysisStart, -25, s));
  }

  /** Trabecular density (mg/cm3) at a point, before fading into the canal; `s` its shaft position. */
  trabecularDensity(x: number, y: number, z: number): number {
    const g = this.geometry, tb = this.params.trabecular;
    const dc = this.compressive.segmentDistance(x, y, z);
    const dt = Math.min(this.tensile1.segmentDistance(x, y, z), this.tensile2.segmentDistance(x, y, z));
    const H = g.headCentre, W = g.wardsTriangleCentre, G = g.greaterTrochanterCentre;
    const hx = x - H[0], hy = y - H[1], hz = z - H[2];
    const wx = x - W[0], wy = y - W[1], wz = z - W[2];
    const gx = x - G[0], gy = y - G[1], gz = z - G[2];
    const dH2 = hx * hx + hy * hy + hz * hz;
    const dW2 = wx * wx + wy * wy + wz * wz;
    const dG2 = gx * gx + gy * gy + gz * gz;
    const rho =
      tb.base +
      tb.compressive * Math.exp(-(dc * dc) / 50) + // sigma 5 mm
      tb.tensile * Math.exp(-(dt * dt) / 32) + // sigma 4 mm
      tb.head * Math.exp(-dH2 / 288) - // sigma 12 mm
      tb.wardDeficit * Math.exp(-dW2 / 72) - // sigma 6 mm
      tb.trochanterDeficit * Math.exp(-dG2 / 288); // sigma 12 mm
    return clamp(rho, tb.min, tb.max);
  }

  /** Weight of trabecular bone (1) against canal marrow (0) at shaft position `s`. */
  trabecularWeightAt(s: number): number {
    return smoothstep(-70, -38, s);
  }

  /**
   * The point where the ray from `inside` (a point inside the femur) along the unit vector `dir`
   * leaves the periosteal surface (bisection to 1e-6 mm within `maxDistance`).
   * @throws SyntheticError when `inside` is not inside or the ray does not leave within maxDistance.
   */
  surfacePoint(inside: Vec3, dir: Vec3, maxDistance = 60): Vec3 {
    const at = (t: number) => this.signedDistance(inside[0] + t * dir[0], inside[1] + t * dir[1], inside[2] + t * dir[2]);
    if (!(at(0) < 0) || !(at(maxDistance) > 0)) {
      throw new SyntheticError(`femur surfacePoint: [${inside.join(", ")}] is not inside or the ray does not exit within ${maxDistance} mm`);
    }
    // March to the first exit, then bisect.
    let a = 0, b = 0;
    for (let t = 0.25; t <= maxDistance; t += 0.25) {
      if (at(t) > 0) {
        a = t - 0.25;
        b = t;
        break;
      }
    }
    while (b - a > 1e-6) {
      const m = (a + b) / 2;
      if (at(m) > 0) b = m;
      else a = m;
    }
    const t = (a + b) / 2;
    return [inside[0] + t * dir[0], inside[1] + t * dir[1], inside[2] + t * dir[2]];
  }

  sample(x: number, y: number, z: number, out: PointSample): boolean {
    if (!this.mayContain(x, y, z)) return false;
    const f = this.signedDistance(x, y, z);
    if (f > 0) return false;
    const s = this.s;
    out.label = this.label;
    if (-f < this.corticalThicknessAt(s, this.t, this.q1, this.q2)) {
      out.tissue = TISSUE.cortical_bone;
      out.density = this.corticalDensityAt(s);
      return true;
    }
    const w = this.trabecularWeightAt(s);
    out.tissue = w >= 0.5 ? TISSUE.trabecular_bone : TISSUE.marrow;
    out.density = w > 0 ? w * this.trabecularDensity(x, y, z) : 0;
    return true;
  }
}
