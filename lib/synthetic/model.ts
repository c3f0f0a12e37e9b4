/**
 * The contract between phantom anatomy and CT formation: a phantom is an analytic function of the
 * world position (LPS, mm) giving a tissue class, a structure label and a K2HPO4-equivalent mineral
 * density (mg/cm3). Rendering evaluates it on any grid, at any supersampling.
 * @module
 */

/** What a phantom says about one point. Reused by the caller: parts overwrite every field. */
export interface PointSample {
  /** Tissue id (see `TISSUES`). */
  tissue: number;
  /** Structure label (0: none). */
  label: number;
  /** K2HPO4-equivalent mineral density (mg/cm3); 0 outside bone and calibration rods. */
  density: number;
}

/** A new, zeroed {@link PointSample}. */
export function pointSample(): PointSample {
  return { tissue: 0, label: 0, density: 0 };
}

/** A structure label of a phantom. */
export interface LabelInfo {
  value: number;
  name: string;
  description: string;
}

/** A piece of anatomy (or equipment) that claims the points it contains. */
export interface Part {
  /** Fill `out` and return true when (x, y, z) belongs to this part; leave `out` alone otherwise. */
  sample(x: number, y: number, z: number, out: PointSample): boolean;
}

/** A complete phantom: every point of space gets a tissue (air outside everything). */
export interface Phantom {
  name: string;
  /** The non-zero labels the phantom uses. */
  labels: LabelInfo[];
  sample(x: number, y: number, z: number, out: PointSample): void;
}
