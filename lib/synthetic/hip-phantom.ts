/**
 * The hip phantom: a patient's right proximal femur in its acetabulum, in muscle under a fat layer
 * and skin, lying supine on a calibration phantom and the table. Air around.
 *
 * Labels: 1 femur, 2 pelvis, 11-15 calibration rods A-E, 16 phantom bar, 17 table; the joint space
 * (cartilage) and soft tissues are 0 (see the tissue map for them).
 * @module
 */
import { CalibrationPhantom, DEFAULT_CALIBRATION_PHANTOM, type CalibrationPhantomParams } from "./calibration-phantom.js";
import { SyntheticError } from "./errors.js";
import { DEFAULT_FEMUR, FemurPhantom, type FemurParams } from "./femur.js";
import type { LabelInfo, Phantom, PointSample } from "./model.js";
import { DEFAULT_PELVIS, PelvisPhantom, type PelvisParams } from "./pelvis.js";
import { BodyOutline, type BodyOutlineParams } from "./soft-tissue.js";
import { TISSUE } from "./tissues.js";
import type { Vec3 } from "./vec3.js";

/** Everything that defines the hip phantom (LPS mm). */
export interface HipPhantomParams {
  femur: FemurParams;
  pelvis: PelvisParams;
  body: BodyOutlineParams;
  calibration: CalibrationPhantomParams;
}

const HEAD: Vec3 = [-88, 2.5, 0];

/** The default hip: right femoral head at (-88, 2.5, 0) LPS, 3 mm joint space, phantom under the back at y = 68. */
export const DEFAULT_HIP_PHANTOM: HipPhantomParams = {
  femur: { ...DEFAULT_FEMUR, side: "right", headCentre: HEAD },
  pelvis: { ...DEFAULT_PELVIS, side: "right", acetabulumCentre: HEAD, cavityRadius: DEFAULT_FEMUR.headRadius + 3 },
  body: { centre: [-20, 4], semiAxes: [170, 68], backY: 68, skin: 2, fat: 12 },
  calibration: { ...DEFAULT_CALIBRATION_PHANTOM, centreX: -100, topY: 68 },
};

/** Label values of the hip phantom. */
export const HIP_LABEL = { femur: 1, pelvis: 2 } as const;

/**
 * The hip phantom.
 * @example
 * ```ts
 * const hip = new HipPhantom(DEFAULT_HIP_PHANTOM);
 * const out = pointSample();
 * hip.sample(-88, 2.5, 0, out); // femoral head centre: out.label === 1, trabecular bone
 * ```
 */
export class HipPhantom implements Phantom {
  readonly name = "hip";
  readonly femur: FemurPhantom;
  readonly pelvis: PelvisPhantom;
  readonly body: BodyOutline;
  readonly calibration: CalibrationPhantom;
  readonly labels: LabelInfo[];
  private readonly cavity2: number;

  constructor(readonly params: HipPhantomParams = DEFAULT_HIP_PHANTOM) {
    if (params.pelvis.cavityRadius <= params.femur.headRadius) {
      throw new SyntheticError("hip: the acetabular cavity radius must exceed the femoral head radius (joint space > 0)");
    }
    this.femur = new FemurPhantom(params.femur, HIP_LABEL.femur);
    this.pelvis = new PelvisPhantom(params.pelvis, HIP_LABEL.pelvis);
    this.body = new BodyOutline(params.body);
    this.calibration = new CalibrationPhantom(params.calibration);
    this.cavity2 = params.pelvis.cavityRadius ** 2;
    this.labels = [
      { value: HIP_LABEL.femur, name: "femur", description: `${params.femur.side} proximal femur (cortical and trabecular bone, canal)` },
      { value: HIP_LABEL.pelvis, name: "pelvis", description: `${params.pelvis.side} acetabulum with ilium, ischium and pubis stubs` },
      ...this.calibration.labels(),
    ];
  }

  /** Joint space (mm): acetabular cavity radius minus femoral head radius. */
  get jointSpaceMm(): number {
    return this.params.pelvis.cavityRadius - this.params.femur.headRadius;
  }

  sample(x: number, y: number, z: number, out: PointSample): void {
    if (this.femur.sample(x, y, z, out)) return;
    if (this.pelvis.sample(x, y, z, out)) return;
    out.label = 0;
    out.density = 0;
    const H = this.params.pelvis.acetabulumCentre;
    const dx = x - H[0], dy = y - H[1], dz = z - H[2];
    if (dx * dx + dy * dy + dz * dz < this.cavity2) {
      out.tissue = TISSUE.cartilage;
      return;
    }
    if (this.calibration.sample(x, y, z, out)) return;
    out.tissue = this.body.outerTissue(x, y) ?? TISSUE.muscle;
  }
}
