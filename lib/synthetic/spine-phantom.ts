/**
 * The spine phantom: a lumbar vertebra (L3 by default) with the adjacent vertebrae above and below
 * and the two intervertebral discs, the spinal canal (CSF, modelled as water), the aorta
 * (anterior-left of the body) and the inferior vena cava (anterior-right), psoas, quadratus
 * lumborum and erector spinae muscles in retroperitoneal fat, abdominal viscera in front, a
 * subcutaneous fat layer and skin; the patient lies supine on the calibration phantom and table.
 *
 * Labels: 1 vertebral body, 2 posterior elements (of the target vertebra), 3 vertebra above,
 * 4 vertebra below, 5 discs, 6 aorta, 7 inferior vena cava, 11-15 calibration rods A-E,
 * 16 phantom bar, 17 table.
 * @module
 */
import { CalibrationPhantom, DEFAULT_CALIBRATION_PHANTOM, type CalibrationPhantomParams } from "./calibration-phantom.js";
import { SyntheticError } from "./errors.js";
import type { LabelInfo, Phantom, PointSample } from "./model.js";
import { ellipseDistance } from "./shapes.js";
import { AxialEllipse, BodyOutline, type BodyOutlineParams } from "./soft-tissue.js";
import { TISSUE } from "./tissues.js";
import { axpy, type Vec3 } from "./vec3.js";
import { DEFAULT_VERTEBRA, VertebraPhantom, type VertebraParams } from "./vertebra.js";

/** An axial ellipse (LPS x, y centre and semi-axes, mm; in-plane rotation, degrees). */
export interface AxialEllipseParams {
  centre: [number, number];
  semiAxes: [number, number];
  angleDeg?: number;
}

/** Everything that defines the spine phantom (LPS mm). */
export interface SpinePhantomParams {
  /** The target vertebra. The adjacent ones share its orientation. */
  vertebra: VertebraParams;
  /** Names and size factors of the vertebrae above and below. */
  above: { level: string; scale: number };
  below: { level: string; scale: number };
  /** Disc height on the body axis (mm). */
  discHeight: number;
  /** Disc outline: semi-axes (mm) of the disc's ellipse and its posterior wall (local y), before scaling. */
  disc: { semiAxes: [number, number]; posteriorWall: number };
  /** Spinal canal: ellipse centred at local y `centreY` with semi-axes (mm), along the body axis. */
  canal: { centreY: number; semiAxes: [number, number] };
  aorta: AxialEllipseParams;
  ivc: AxialEllipseParams;
  /** Left-right pairs are mirrored about x = vertebra centre x. Centres are for the patient's left (+x). */
  psoas: AxialEllipseParams;
  quadratusLumborum: AxialEllipseParams;
  erectorSpinae: AxialEllipseParams;
  /** Points with y below this (anterior) and inside the body are viscera; elsewhere retroperitoneal fat. */
  visceraY: number;
  body: BodyOutlineParams;
  calibration: CalibrationPhantomParams;
}

/** The default spine: L3 at (1, -3, 0) LPS, tilted 6 deg (lordosis) and slightly rotated. */
export const DEFAULT_SPINE_PHANTOM: SpinePhantomParams = {
  vertebra: { ...DEFAULT_VERTEBRA, level: "L3", centre: [1, -3, 0], rotationDeg: [6, 2, 3] },
  above: { level: "L2", scale: 0.97 },
  below: { level: "L4", scale: 1.03 },
  discHeight: 10,
  disc: { semiAxes: [21, 16], posteriorWall: 13.5 },
  canal: { centreY: 21, semiAxes: [11, 8] },
  aorta: { centre: [17, -36], semiAxes: [11, 11] },
  ivc: { centre: [-21, -31], semiAxes: [12, 8], angleDeg: -10 },
  psoas: { centre: [38, 1], semiAxes: [13, 16], angleDeg: 20 },
  quadratusLumborum: { centre: [63, 24], semiAxes: [14, 9], angleDeg: 30 },
  erectorSpinae: { centre: [27, 52], semiAxes: [20, 16] },
  visceraY: -48,
  body: { centre: [0, -8], semiAxes: [150, 95], backY: 80, skin: 2, fat: 12 },
  calibration: { ...DEFAULT_CALIBRATION_PHANTOM, centreX: 0, topY: 80 },
};

/** Label values of the spine phantom. */
export const SPINE_LABEL = {
  vertebralBody: 1,
  posteriorElements: 2,
  vertebraAbove: 3,
  vertebraBelow: 4,
  discs: 5,
  aorta: 6,
  ivc: 7,
} as const;

/** A mirrored left-right pair of axial ellipses about x = `cx`. */
function pair(p: AxialEllipseParams, cx: number): AxialEllipse[] {
  const dx = p.centre[0] - cx;
  return [
    new AxialEllipse([cx + dx, p.centre[1]], p.semiAxes, p.angleDeg ?? 0),
    new AxialEllipse([cx - dx, p.centre[1]], p.semiAxes, -(p.angleDeg ?? 0)),
  ];
}

/**
 * The spine phantom.
 * @example
 * ```ts
 * const spine = new SpinePhantom();
 * spine.target.geometry.heightMm; // 26
 * ```
 */
export class SpinePhantom implements Phantom {
  readonly name = "spine";
  readonly target: VertebraPhantom;
  readonly above: VertebraPhantom;
  readonly below: VertebraPhantom;
  readonly body: BodyOutline;
  readonly calibration: CalibrationPhantom;
  readonly labels: LabelInfo[];
  private readonly aorta: AxialEllipse;
  private readonly ivc: AxialEllipse;
  private readonly muscles: AxialEllipse[];
  private readonly scratch: Vec3 = [0, 0, 0];

  constructor(readonly params: SpinePhantomParams = DEFAULT_SPINE_PHANTOM) {
    const p = params, v = p.vertebra;
    if (!(p.discHeight > 0)) throw new SyntheticError(`spine: disc height must be positive, got ${p.discHeight}`);
    this.target = new VertebraPhantom(v, SPINE_LABEL.vertebralBody, SPINE_LABEL.posteriorElements);
    const axis = this.target.geometry.axis;
    const h = v.bodyHeight * v.scale;
    const upShift = h / 2 + p.discHeight + (v.bodyHeight * v.scale * p.above.scale) / 2;
    const downShift = h / 2 + p.discHeight + (v.bodyHeight * v.scale * p.below.scale) / 2;
    this.above = new VertebraPhantom(
      { ...v, level: p.above.level, scale: v.scale * p.above.scale, centre: axpy(v.centre, upShift, axis) },
      SPINE_LABEL.vertebraAbove,
      SPINE_LABEL.vertebraAbove,
    );
    this.below = new VertebraPhantom(
      { ...v, level: p.below.level, scale: v.scale * p.below.scale, centre: axpy(v.centre, -downShift, axis) },
      SPINE_LABEL.vertebraBelow,
      SPINE_LABEL.vertebraBelow,
    );
    this.body = new BodyOutline(p.body);
    this.calibration = new CalibrationPhantom(p.calibration);
    this.aorta = new AxialEllipse(p.aorta.centre, p.aorta.semiAxes, p.aorta.angleDeg ?? 0);
    this.ivc = new AxialEllipse(p.ivc.centre, p.ivc.semiAxes, p.ivc.angleDeg ?? 0);
    const cx = v.centre[0];
    this.muscles = [...pair(p.psoas, cx), ...pair(p.quadratusLumborum, cx), ...pair(p.erectorSpinae, cx)];
    this.labels = [
      { value: SPINE_LABEL.vertebralBody, name: "vertebral_body", description: `${v.level} vertebral body (cortical shell, endplates, trabecular bone)` },
      { value: SPINE_LABEL.posteriorElements, name: "posterior_elements", description: `${v.level} pedicles, lamina, spinous, transverse and articular processes` },
      { value: SPINE_LABEL.vertebraAbove, name: "vertebra_above", description: `${p.above.level} (body and posterior elements), partly in the field` },
      { value: SPINE_LABEL.vertebraBelow, name: "vertebra_below", description: `${p.below.level} (body and posterior elements), partly in the field` },
      { value: SPINE_LABEL.discs, name: "discs", description: `intervertebral discs ${p.above.level}-${v.level} and ${v.level}-${p.below.level}` },
      { value: SPINE_LABEL.aorta, name: "aorta", description: "abdominal aorta (blood, no contrast)" },
      { value: SPINE_LABEL.ivc, name: "inferior_vena_cava", description: "inferior vena cava (blood, no contrast)" },
      ...this.calibration.labels(),
    ];
  }

  /** True when (x, y, z) lies in a disc: inside the disc outline, between facing endplate planes. */
  private inDisc(x: number, y: number, z: number): boolean {
    const t = this.target, p = this.params, k = p.vertebra.scale;
    const q = t.toLocal(x, y, z, this.scratch);
    const u = q[0], v = q[1], w = q[2];
    if (v > p.disc.posteriorWall * k || ellipseDistance(u, v, p.disc.semiAxes[0] * k, p.disc.semiAxes[1] * k) > 0) return false;
    if (t.endplateDistance(1, v, w) > 0) {
      const a = this.above.toLocal(x, y, z, this.scratch);
      return this.above.endplateDistance(-1, a[1], a[2]) > 0;
    }
    if (t.endplateDistance(-1, v, w) > 0) {
      const b = this.below.toLocal(x, y, z, this.scratch);
      return this.below.endplateDistance(1, b[1], b[2]) > 0;
    }
    return false;
  }

  sample(x: number, y: number, z: number, out: PointSample): void {
    if (this.target.sample(x, y, z, out)) return;
    if (this.above.sample(x, y, z, out)) return;
    if (this.below.sample(x, y, z, out)) return;
    out.density = 0;
    out.label = 0;
    if (this.inDisc(x, y, z)) {
      out.tissue = TISSUE.disc;
      out.label = SPINE_LABEL.discs;
      return;
    }
    const p = this.params;
    const c = this.target.toLocal(x, y, z, this.scratch);
    const cu = c[0], cv = c[1];
    const k = p.vertebra.scale;
    const cu2 = cu / (p.canal.semiAxes[0] * k), cv2 = (cv - p.canal.centreY * k) / (p.canal.semiAxes[1] * k);
    if (cu2 * cu2 + cv2 * cv2 <= 1) {
      out.tissue = TISSUE.water;
      return;
    }
    if (this.aorta.contains(x, y)) {
      out.tissue = TISSUE.blood;
      out.label = SPINE_LABEL.aorta;
      return;
    }
    if (this.ivc.contains(x, y)) {
      out.tissue = TISSUE.blood;
      out.label = SPINE_LABEL.ivc;
      return;
    }
    if (this.calibration.sample(x, y, z, out)) return;
    const outer = this.body.outerTissue(x, y);
    if (outer !== null) {
      out.tissue = outer;
      return;
    }
    for (const m of this.muscles) {
      if (m.contains(x, y)) {
        out.tissue = TISSUE.muscle;
        return;
      }
    }
    out.tissue = y < p.visceraY ? TISSUE.viscera : TISSUE.fat;
  }

}
