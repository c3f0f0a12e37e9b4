/**
 * A lumbar vertebra phantom. The body is an elliptic cylinder with a concave waist and a flat
 * posterior wall, cut by two planar endplates that may be wedged (anterior taller); a thin cortical
 * shell on the side walls and a thicker bony endplate layer; a trabecular density field that is
 * denser near the endplates and posteriorly and sparser around the basivertebral vein. The
 * posterior elements (pedicles, lamina, spinous and transverse processes, superior and inferior
 * articular processes) are simple rounded solids joined smoothly to each other and to the body.
 *
 * Local frame: `ex` patient left, `ey` posterior, `ez` superior (the body axis), rotated from LPS by
 * `rotationDeg` (about x, then y, then z); its origin is the body's geometric centre, halfway
 * between the endplate planes on the axis. Densities are K2HPO4-equivalent, mg/cm3.
 * @module
 */
import { SyntheticError } from "./errors.js";
import type { Part, PointSample } from "./model.js";
import { Capsule, EllipticCylinder, RoundedBox, clamp, ellipseDistance, smax, smin } from "./shapes.js";
import { TISSUE } from "./tissues.js";
import { frameToWorld, normalize, rotateAbout, type Frame, type Vec3 } from "./vec3.js";

/** Everything that defines one vertebra. Lengths mm, angles degrees, densities mg/cm3 K2HPO4. */
export interface VertebraParams {
  /** Name of the level, e.g. "L3". */
  level: string;
  /** Geometric centre of the body (LPS mm). */
  centre: Vec3;
  /** Rotation of the local frame from LPS: about x (sagittal tilt), then y, then z (axial). */
  rotationDeg: [number, number, number];
  /** Overall size factor applied to every length of the vertebra (1 = the sizes below). */
  scale: number;
  /** Endplate width (left-right) and depth (anterior-posterior) of the body. */
  bodyWidth: number;
  bodyDepth: number;
  /** Body height on its axis, between the endplate planes. */
  bodyHeight: number;
  /** Fractional narrowing of the body at mid-height (the concave waist). */
  waist: number;
  /** Local y of the flat posterior wall (less than bodyDepth / 2). */
  posteriorWall: number;
  /** Tilt of each endplate about the local x axis, anterior side away from the centre (deg). */
  endplateWedgeDeg: number;
  cortex: { wall: number; endplate: number; posterior: number };
  corticalDensity: { body: number; posterior: number };
  /**
   * Body trabecular field: `base + apGradient * y / (depth / 2) + endplate * exp(-d / endplateDecay)
   * - basivertebral * exp(-(x^2 + (y - 6)^2) / (2 * 5^2))`, clamped to [min, max]; d is the
   * distance to the nearer endplate plane. Posterior elements are uniform `posteriorElements`.
   */
  trabecular: {
    base: number;
    apGradient: number;
    endplate: number;
    endplateDecay: number;
    basivertebral: number;
    min: number;
    max: number;
    posteriorElements: number;
  };
}

/** An L3 of average adult size, centred at the LPS origin with its axis along +z. */
export const DEFAULT_VERTEBRA: VertebraParams = {
  level: "L3",
  centre: [0, 0, 0],
  rotationDeg: [0, 0, 0],
  scale: 1,
  bodyWidth: 40,
  bodyDepth: 30,
  bodyHeight: 26,
  waist: 0.08,
  posteriorWall: 12.5,
  endplateWedgeDeg: 2,
  cortex: { wall: 0.6, endplate: 1.0, posterior: 1.0 },
  corticalDensity: { body: 800, posterior: 850 },
  trabecular: {
    base: 120,
    apGradient: 25,
    endplate: 65,
    endplateDecay: 3,
    basivertebral: 40,
    min: 80,
    max: 210,
    posteriorElements: 200,
  },
};

/** The derived geometry of a vertebra: the truth anatomy code is checked against. */
export interface VertebraGeometry {
  level: string;
  /** The local frame (origin: the body's geometric centre). */
  frame: Frame;
  /** Unit body axis (superior). */
  axis: Vec3;
  /** Outward unit normal of the superior endplate plane. */
  superiorEndplateNormal: Vec3;
  /** Outward unit normal of the inferior endplate plane. */
  inferiorEndplateNormal: Vec3;
  /** Points where the body axis crosses the endplate planes. */
  superiorEndplateCentre: Vec3;
  inferiorEndplateCentre: Vec3;
  /** Heights (mm) on the axis, at the anterior edge and at the posterior wall (mid-sagittal plane). */
  heightMm: number;
  anteriorHeightMm: number;
  posteriorHeightMm: number;
  widthMm: number;
  depthMm: number;
  /** Angle between the two endplate planes (deg). */
  endplateAngleDeg: number;
}

/** Rotation of the LPS axes by (rx, ry, rz) degrees: x first, then y, then z. */
function rotatedFrame(origin: Vec3, r: [number, number, number]): Frame {
  const rot = (v: Vec3): Vec3 => rotateAbout(rotateAbout(rotateAbout(v, [1, 0, 0], r[0]), [0, 1, 0], r[1]), [0, 0, 1], r[2]);
  return { origin: [...origin] as Vec3, ex: normalize(rot([1, 0, 0])), ey: normalize(rot([0, 1, 0])), ez: normalize(rot([0, 0, 1])) };
}

/**
 * The vertebra phantom as a {@link Part}: body voxels get `bodyLabel`, posterior elements
 * `posteriorLabel`.
 * @example
 * ```ts
 * const l3 = new VertebraPhantom({ ...DEFAULT_VERTEBRA, rotationDeg: [6, 2, 3] }, 1, 2);
 * l3.geometry.superiorEndplateNormal; // tilted 6 deg (about x) plus the 2 deg wedge from +z
 * ```
 */
export class VertebraPhantom implements Part {
  readonly geometry: VertebraGeometry;
  private readonly f: Frame;
  private readonly a: number;
  private readonly b: number;
  private readonly h2: number;
  private readonly wall: number;
  private readonly sinW: number;
  private readonly cosW: number;
  // Posterior-element pieces, one array per shape type so each loop stays monomorphic.
  private readonly cylinders: EllipticCylinder[] = [];
  private readonly capsules: Capsule[] = [];
  private readonly boxes: RoundedBox[] = [];
  // Scratch of the last evaluation.
  private fBody = 0;
  private fSide = 0;
  private fSup = 0;
  private fInf = 0;
  private fPost = 0;
  private lu = 0;
  private lv = 0;

  constructor(
    readonly params: VertebraParams,
    readonly bodyLabel: number,
    readonly posteriorLabel: number,
  ) {
    const p = params, k = p.scale;
    if (!(p.posteriorWall < p.bodyDepth / 2) || !(k > 0) || !(p.waist >= 0 && p.waist < 0.5)) {
      throw new SyntheticError("vertebra: posteriorWall must be less than half the depth, scale positive, waist in [0, 0.5)");
    }
    const f = (this.f = rotatedFrame(p.centre, p.rotationDeg));
    this.a = (p.bodyWidth / 2) * k;
    this.b = (p.bodyDepth / 2) * k;
    this.h2 = (p.bodyHeight / 2) * k;
    this.wall = p.posteriorWall * k;
    const w = (p.endplateWedgeDeg * Math.PI) / 180;
    this.sinW = Math.sin(w);
    this.cosW = Math.cos(w);
    const L = (u: number, v: number, s: number): Vec3 => frameToWorld(f, u * k, v * k, s * k);
    const sideFrame = (u: number, s: number): Frame => ({ origin: L(u, 0, s), ex: f.ex, ey: f.ez, ez: f.ey });
    for (const side of [-1, 1]) {
      this.cylinders.push(new EllipticCylinder(sideFrame(13 * side, 2), 4.5 * k, 7.5 * k, 8 * k, 30 * k)); // pedicle
      this.capsules.push(
        new Capsule(L(13 * side, 20, 4), L(40 * side, 24, 6), 4 * k), // transverse process
        new Capsule(L(18 * side, 30, 6), L(18 * side, 34, 18), 4 * k), // superior articular process
        new Capsule(L(8.5 * side, 36, -4), L(8.5 * side, 38, -17), 3.5 * k), // inferior articular process
      );
    }
    this.boxes.push(
      new RoundedBox({ origin: L(0, 32, 1), ex: f.ex, ey: f.ey, ez: f.ez }, 15 * k, 4 * k, 8 * k, 2 * k), // lamina
      new RoundedBox({ origin: L(0, 48, -1), ex: f.ex, ey: f.ey, ez: f.ez }, 3.5 * k, 15 * k, 9 * k, 2 * k), // spinous process
    );
    const nSup = normalize([
      this.sinW * f.ey[0] + this.cosW * f.ez[0],
      this.sinW * f.ey[1] + this.cosW * f.ez[1],
      this.sinW * f.ey[2] + this.cosW * f.ez[2],
    ]);
    const nInf = normalize([
      this.sinW * f.ey[0] - this.cosW * f.ez[0],
      this.sinW * f.ey[1] - this.cosW * f.ez[1],
      this.sinW * f.ey[2] - this.cosW * f.ez[2],
    ]);
    const t = Math.tan(w);
    this.geometry = {
      level: p.level,
      frame: f,
      axis: [...f.ez] as Vec3,
      superiorEndplateNormal: nSup,
      inferiorEndplateNormal: nInf,
      superiorEndplateCentre: L(0, 0, p.bodyHeight / 2),
      inferiorEndplateCentre: L(0, 0, -p.bodyHeight / 2),
      heightMm: 2 * this.h2,
      anteriorHeightMm: 2 * (this.h2 + this.b * t),
      posteriorHeightMm: 2 * (this.h2 - this.wall * t),
      widthMm: 2 * this.a,
      depthMm: this.b + this.wall,
      endplateAngleDeg: 2 * p.endplateWedgeDeg,
    };
  }

  /** Local coordinates (u left, v posterior, w superior) of a world point, written into `out`. */
  toLocal(x: number, y: number, z: number, out: Vec3 = [0, 0, 0]): Vec3 {
    const f = this.f;
    const dx = x - f.origin[0], dy = y - f.origin[1], dz = z - f.origin[2];
    out[0] = dx * f.ex[0] + dy * f.ex[1] + dz * f.ex[2];
    out[1] = dx * f.ey[0] + dy * f.ey[1] + dz * f.ey[2];
    out[2] = dx * f.ez[0] + dy * f.ez[1] + dz * f.ez[2];
    return out;
  }

  /** Signed distance from local (v, w) to the superior (`which = 1`) or inferior (-1) endplate plane; negative towards the body. */
  endplateDistance(which: 1 | -1, v: number, w: number): number {
    return (v * this.sinW + which * w * this.cosW) - this.h2 * this.cosW;
  }

  /** Signed distance (mm) to the body alone. */
  bodyDistance(x: number, y: number, z: number): number {
    const f = this.f;
    const dx = x - f.origin[0], dy = y - f.origin[1], dz = z - f.origin[2];
    return this.bodyDistanceLocal(
      dx * f.ex[0] + dy * f.ex[1] + dz * f.ex[2],
      dx * f.ey[0] + dy * f.ey[1] + dz * f.ey[2],
      dx * f.ez[0] + dy * f.ez[1] + dz * f.ez[2],
    );
  }

  /** Signed distance (mm) to the body alone, from local coordinates. */
  bodyDistanceLocal(u: number, v: number, w: number): number {
    const zeta = Math.max(-1, Math.min(1, w / this.h2));
    const sc = 1 - this.params.waist * (1 - zeta * zeta);
    const fSide = smax(ellipseDistance(u, v, this.a * sc, this.b * sc), v - this.wall, 2);
    const fSup = this.endplateDistance(1, v, w);
    const fInf = this.endplateDistance(-1, v, w);
    this.fSide = fSide;
    this.fSup = fSup;
    this.fInf = fInf;
    this.lu = u;
    this.lv = v;
    return (this.fBody = Math.max(fSide, fSup, fInf));
  }

  /**
   * Signed distance (mm) to the posterior elements alone. Far from them (outside the local box
   * |u| < 50, 2 < v < 70, |w| < 29, times the scale) it returns a lower bound of at least 2 mm.
   */
  posteriorDistance(x: number, y: number, z: number): number {
    const f = this.f, k = this.params.scale;
    const dx = x - f.origin[0], dy = y - f.origin[1], dz = z - f.origin[2];
    const u = dx * f.ex[0] + dy * f.ex[1] + dz * f.ex[2];
    const v = dx * f.ey[0] + dy * f.ey[1] + dz * f.ey[2];
    const w = dx * f.ez[0] + dy * f.ez[1] + dz * f.ez[2];
    const out = Math.max(Math.abs(u) - 50 * k, 2 * k - v, v - 70 * k, Math.abs(w) - 29 * k);
    if (out > 0) return out + 2 * k;
    let d = Infinity;
    for (const c of this.cylinders) d = Math.min(d, c.sd(x, y, z));
    for (const c of this.capsules) d = Math.min(d, c.sd(x, y, z));
    for (const b of this.boxes) d = Math.min(d, b.sd(x, y, z));
    return d;
  }

  /** Signed distance (mm) to the whole vertebra (body and posterior elements, smoothly joined). */
  signedDistance(x: number, y: number, z: number): number {
    const fb = this.bodyDistance(x, y, z);
    const fp = (this.fPost = this.posteriorDistance(x, y, z));
    return smin(fb, fp, 2);
  }

  /** Body trabecular density (mg/cm3) at local (u, v) with endplate distances from the last evaluation. */
  private bodyTrabecular(): number {
    const tb = this.params.trabecular;
    const dEp = Math.max(0, Math.min(-this.fSup, -this.fInf));
    const u = this.lu, v = this.lv, k = this.params.scale;
    const rho =
      tb.base +
      (tb.apGradient * v) / this.b +
      tb.endplate * Math.exp(-dEp / (tb.endplateDecay * k)) -
      tb.basivertebral * Math.exp(-(u * u + (v - 6 * k) ** 2) / (2 * (5 * k) ** 2));
    return clamp(rho, tb.min, tb.max);
  }

  sample(x: number, y: number, z: number, out: PointSample): boolean {
    const f = this.f, k = this.params.scale;
    const dx = x - f.origin[0], dy = y - f.origin[1], dz = z - f.origin[2];
    // Cheap reject: the whole vertebra lies within |u| < 50, -22 < v < 70, |w| < 32 (times scale).
    const u = dx * f.ex[0] + dy * f.ex[1] + dz * f.ex[2];
    if (u > 50 * k || u < -50 * k) return false;
    const v = dx * f.ey[0] + dy * f.ey[1] + dz * f.ey[2];
    if (v > 70 * k || v < -22 * k) return false;
    const w = dx * f.ez[0] + dy * f.ez[1] + dz * f.ez[2];
    if (w > 32 * k || w < -32 * k) return false;
    const fu = this.signedDistance(x, y, z);
    if (fu > 0) return false;
    const p = this.params;
    if (this.fBody <= 0) {
      out.label = this.bodyLabel;
      const sideDepth = -smin(this.fSide, this.fPost, 2);
      if (-this.fSup < p.cortex.endplate * k || -this.fInf < p.cortex.endplate * k || sideDepth < p.cortex.wall * k) {
        out.tissue = TISSUE.cortical_bone;
        out.density = p.corticalDensity.body;
      } else {
        out.tissue = TISSUE.trabecular_bone;
        out.density = this.bodyTrabecular();
      }
      return true;
    }
    out.label = this.posteriorLabel;
    if (-fu < p.cortex.posterior * k) {
      out.tissue = TISSUE.cortical_bone;
      out.density = p.corticalDensity.posterior;
    } else {
      out.tissue = TISSUE.trabecular_bone;
      out.density = p.trabecular.posteriorElements;
    }
    return true;
  }
}
