/**
 * Soft tissue: the body outline with its skin and subcutaneous fat layers, and z-invariant
 * elliptic tubes for muscles and vessels. All shapes are extruded along the scanner z axis, which
 * is how a trunk looks over the few centimetres a hip or spine scan covers.
 * @module
 */
import { ellipseDistance, smax } from "./shapes.js";
import { TISSUE } from "./tissues.js";

/** The body outline: an axial ellipse, flattened at the back where the patient lies on the phantom. */
export interface BodyOutlineParams {
  /** Centre of the ellipse (LPS x, y mm). */
  centre: [number, number];
  /** Semi-axes along x and y (mm). */
  semiAxes: [number, number];
  /** The back is cut flat at this y (the top of the calibration phantom), mm. */
  backY: number;
  /** Skin thickness (mm). */
  skin: number;
  /** Subcutaneous fat thickness under the skin (mm). */
  fat: number;
}

/** Which layer of the body a point is in. */
export const BodyLayer = { Outside: 0, Skin: 1, Fat: 2, Inside: 3 } as const;
/** A value of {@link BodyLayer}. */
export type BodyLayer = (typeof BodyLayer)[keyof typeof BodyLayer];

/**
 * The body outline with skin and subcutaneous fat.
 * @example
 * ```ts
 * const body = new BodyOutline({ centre: [0, 0], semiAxes: [150, 95], backY: 80, skin: 2, fat: 15 });
 * body.layer(0, -94.5); // BodyLayer.Skin
 * ```
 */
export class BodyOutline {
  constructor(readonly params: BodyOutlineParams) {}

  /** Signed distance (mm) to the skin surface in the axial plane (first-order for the ellipse). */
  signedDistance(x: number, y: number): number {
    const p = this.params;
    const e = ellipseDistance(x - p.centre[0], y - p.centre[1], p.semiAxes[0], p.semiAxes[1]);
    return smax(e, y - p.backY, 6);
  }

  /** The layer a point falls in. */
  layer(x: number, y: number): BodyLayer {
    const d = -this.signedDistance(x, y);
    if (d < 0) return BodyLayer.Outside;
    if (d < this.params.skin) return BodyLayer.Skin;
    if (d < this.params.skin + this.params.fat) return BodyLayer.Fat;
    return BodyLayer.Inside;
  }

  /** The tissue of the outer layers at a point (air outside, skin, subcutaneous fat), or null inside the body. */
  outerTissue(x: number, y: number): number | null {
    switch (this.layer(x, y)) {
      case BodyLayer.Outside:
        return TISSUE.air;
      case BodyLayer.Skin:
        return TISSUE.skin;
      case BodyLayer.Fat:
        return TISSUE.fat;
      default:
        return null;
    }
  }
}

/** A z-invariant elliptic tube (a muscle or a vessel in cross-section), optionally rotated in-plane. */
export class AxialEllipse {
  private readonly c: number;
  private readonly s: number;
  constructor(
    readonly centre: [number, number],
    readonly semiAxes: [number, number],
    readonly angleDeg = 0,
  ) {
    this.c = Math.cos((angleDeg * Math.PI) / 180);
    this.s = Math.sin((angleDeg * Math.PI) / 180);
  }
  /** True when the axial point (x, y) is inside. */
  contains(x: number, y: number): boolean {
    const dx = x - this.centre[0], dy = y - this.centre[1];
    const u = (this.c * dx + this.s * dy) / this.semiAxes[0];
    const v = (-this.s * dx + this.c * dy) / this.semiAxes[1];
    return u * u + v * v <= 1;
  }
}
