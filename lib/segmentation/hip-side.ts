/**
 * Which hip to analyse on a scan, and its femur: a pelvic CT usually shows both hips, sometimes one
 * with a metal implant.
 *
 * Method of {@link chooseHipSide} (calibrated density, mg/cm3):
 * 1. **Bone and metal**: bone is density in [`threshold`, `maxDensity`], metal is density above
 *    `maxDensity` (the limits and metal rule of `bone.ts`: {@link DEFAULT_BONE_THRESHOLD},
 *    {@link DEFAULT_MAX_BONE_DENSITY}; at the usual 1.25-1.45 HU per mg/cm3 the metal limit is about
 *    2500-2900 HU).
 * 2. **Both hips in view** when the bone spans at least `bilateralWidthMm` (default 250 mm) from
 *    right to left: an adult pelvis is 250-300 mm wide across the iliac crests and more across the
 *    greater trochanters, while a one-hip field of view is about 150-200 mm. The midline is then the
 *    middle of the bone's right-left extent.
 * 3. **Implants**: metal on each side of the midline; a side holds an implant when its metal volume
 *    is at least `implantMinMm3` (default 1000 mm3: a hip stem or cup is tens of cm3, surgical clips
 *    and calcified specks well under 1 cm3).
 * 4. **The side**: the one asked for (with a warning when it holds an implant); by default the side
 *    without an implant (with a warning naming the implant side), the left when neither has one (the
 *    hip a DXA scanner measures by default; a bct choice), and an error when both have one.
 *
 * {@link segmentHipFemur} then isolates that side's femur: on a two-hip scan from that side's half of
 * the bone (cut at the midline, so the other femur and the other half of the pelvis are gone),
 * markers chosen for a half pelvis (`isolateFemur`'s `lateral` option); on a one-hip scan from the
 * bone mask as before, failing when the side asked for is not the one in view.
 *
 * @example
 * ```ts
 * import { segmentHipFemur } from "bct/lib/segmentation/hip-side";
 * const { femur, side, warnings } = segmentHipFemur(density, { side: "right" });
 * ```
 * @module
 */
import { createVolume, indexToWorld, voxelVolume, type Vec3, type Volume } from "../volume/volume.js";
import { boneMask, DEFAULT_BONE_THRESHOLD, DEFAULT_MAX_BONE_DENSITY, fillHolesInView } from "./bone.js";
import { FemurIncompleteError, isolateFemur, MIN_FEMORAL_HEAD_RADIUS_MM, SHAFT_START_HEAD_RADII, type FemurOptions, type FemurResult } from "./femur.js";
import { squaredDistanceToSeeds } from "./distance.js";
import { dilate } from "./morphology.js";
import { SegmentationError, type Mask } from "./mask.js";

/** A patient side. */
export type HipSide = "left" | "right";

/** Options of {@link chooseHipSide}. */
export interface HipSideOptions {
  /** The side to analyse; default: the side without a metal implant (see the module notes). */
  side?: HipSide;
  /** Bone threshold (mg/cm3). Default {@link DEFAULT_BONE_THRESHOLD}. */
  threshold?: number;
  /** Density above which a voxel is metal (mg/cm3). Default {@link DEFAULT_MAX_BONE_DENSITY}. */
  maxDensity?: number;
  /** Right-left bone extent (mm) from which both hips count as in view. Default 250. */
  bilateralWidthMm?: number;
  /** Metal volume (mm3) on one side from which that side holds an implant. Default 1000. */
  implantMinMm3?: number;
}

/** Result of {@link chooseHipSide}. Plain data. */
export interface HipSideChoice {
  /** The side to analyse; null on a one-hip scan without `side` (the femur tells). */
  side: HipSide | null;
  /** Both hips in view. */
  bilateral: boolean;
  /** World x (LPS mm) of the midline on a two-hip scan, else null. */
  midlineX: number | null;
  /** Right-left extent of the bone (mm). */
  boneWidthMm: number;
  /** Metal volume (mm3) per side; on a one-hip scan all of it is counted under `right` (bone.ts warns about it). */
  metalMm3: Record<HipSide, number>;
  implant: Record<HipSide, boolean>;
  chosenBy: "option" | "no implant" | "default (left)" | "one hip in view";
  warnings: string[];
}

const other = (s: HipSide): HipSide => (s === "left" ? "right" : "left");

/**
 * Both hips in view? Where is the midline, which side has metal, and which side to analyse (see the
 * module notes).
 * @throws SegmentationError when no bone is found, or both hips hold implants and no side is given.
 */
export function chooseHipSide(density: Volume, opts: HipSideOptions = {}): HipSideChoice {
  const lo = opts.threshold ?? DEFAULT_BONE_THRESHOLD, hi = opts.maxDensity ?? DEFAULT_MAX_BONE_DENSITY;
  const [nx, ny, nz] = density.dims;
  const d = density.data;
  let xmin = Infinity, xmax = -Infinity;
  const metalX: number[] = [];
  for (let k = 0, p = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, p++) {
    if (d[p] < lo) continue;
    const x = indexToWorld(density, [i, j, k])[0];
    if (d[p] > hi) metalX.push(x);
    else {
      if (x < xmin) xmin = x;
      if (x > xmax) xmax = x;
    }
  }
  if (!Number.isFinite(xmin) || !Number.isFinite(xmax)) throw new SegmentationError(`no bone (density ${lo}-${hi} mg/cm3) in the scan: is it calibrated density of a hip CT?`);
  const width = xmax - xmin;
  const bilateral = width >= (opts.bilateralWidthMm ?? 250);
  const mid = (xmin + xmax) / 2;
  const vv = voxelVolume(density);
  const metalMm3: Record<HipSide, number> = { left: 0, right: 0 };
  for (const x of metalX) metalMm3[bilateral && x > mid ? "left" : "right"] += vv;
  const minImplant = opts.implantMinMm3 ?? 1000;
  const implant = { left: bilateral && metalMm3.left >= minImplant, right: bilateral && metalMm3.right >= minImplant };
  const warnings: string[] = [];
  const base = { bilateral, midlineX: bilateral ? mid : null, boneWidthMm: width, metalMm3, implant };
  if (!bilateral) {
    return { ...base, side: opts.side ?? null, chosenBy: opts.side ? "option" : "one hip in view", warnings };
  }
  const describe = (s: HipSide) => `the ${s} hip has a metal implant (${(metalMm3[s] / 1000).toFixed(1)} cm3 above ${hi} mg/cm3)`;
  if (opts.side) {
    if (implant[opts.side]) warnings.push(`${describe(opts.side)}: the ${opts.side} femur was asked for, but metal is not bone and the bone around it is disturbed by artefacts; its strength and aBMD are unreliable${implant[other(opts.side)] ? "" : ` (the ${other(opts.side)} hip has none)`}`);
    return { ...base, side: opts.side, chosenBy: "option", warnings };
  }
  if (implant.left && implant.right) {
    throw new SegmentationError(`both hips have metal implants (left ${(metalMm3.left / 1000).toFixed(1)} cm3, right ${(metalMm3.right / 1000).toFixed(1)} cm3 above ${hi} mg/cm3): neither femur can be analysed as bone; give --side to analyse one anyway`);
  }
  if (implant.left || implant.right) {
    const bad: HipSide = implant.left ? "left" : "right";
    warnings.push(`${describe(bad)}: the ${other(bad)} hip is analysed (give --side ${bad} to analyse the implant side anyway)`);
    return { ...base, side: other(bad), chosenBy: "no implant", warnings };
  }
  return { ...base, side: "left", chosenBy: "default (left)", warnings: ["both hips are in view and neither has an implant: the left hip is analysed (the DXA default; give --side right for the other)"] };
}

/** Options of {@link segmentHipFemur}: the side choice and the femur isolation. */
export interface HipFemurOptions extends HipSideOptions, FemurOptions {}

/** Result of {@link segmentHipFemur}. */
export interface HipFemurResult {
  femur: FemurResult;
  /** The bone the femur was isolated from (one half on a two-hip scan). */
  bone: Mask;
  choice: HipSideChoice;
  /** The side analysed. */
  side: HipSide;
  warnings: string[];
}

/**
 * The femur of the chosen hip (see the module notes).
 * @throws SegmentationError when the side asked for is not in view, or as {@link chooseHipSide} and
 *   `isolateFemur` (FemurIncompleteError when the head, neck or shaft is cut off).
 */
export function segmentHipFemur(density: Volume, opts: HipFemurOptions = {}): HipFemurResult {
  const choice = chooseHipSide(density, opts);
  if (!choice.bilateral) {
    const bone = boneMask(density, { threshold: opts.threshold, maxDensity: opts.maxDensity });
    const femur = isolateFemur(bone.mask, opts);
    if (opts.side && femur.side && femur.side !== opts.side) {
      throw new SegmentationError(`the ${opts.side} hip was asked for, but only the ${femur.side} hip is in view (bone ${choice.boneWidthMm.toFixed(0)} mm wide from right to left)`);
    }
    const side = femur.side ?? opts.side ?? "right";
    return { femur, bone: bone.mask, choice, side, warnings: [...choice.warnings, ...bone.warnings, ...femur.warnings] };
  }
  const side = choice.side!;
  const bone = halfBone(density, side, choice.midlineX!, opts);
  let femur: FemurResult;
  try {
    if (opts.requireComplete ?? true) checkShaftBelowJoint(bone, side, choice.midlineX!);
    femur = isolateFemur(bone, { ...opts, lateral: { side, midlineX: choice.midlineX! } });
  } catch (e) {
    // The error ends the analysis before its warnings are shown: say which side was taken and why.
    if (e instanceof FemurIncompleteError && choice.warnings.length) throw new FemurIncompleteError(e.part, `${e.message} (${choice.warnings.join("; ")})`);
    throw e;
  }
  return { femur, bone, choice, side, warnings: [...choice.warnings, ...femur.warnings] };
}

/**
 * Smallest distance (mm) of a hip joint centre from the midline: the femoral heads lie 70-110 mm
 * from it, the sacrum and the lumbar bodies within 50 mm. A bct bound.
 */
export const MIN_HIP_JOINT_LATERAL_MM = 50;

/**
 * The hip joint of one side's bone, found without separating the femur: the deepest bone voxel at
 * least {@link MIN_HIP_JOINT_LATERAL_MM} from the midline in the lower half of the bone (the femoral
 * head in its acetabulum is the thickest bone there), and its depth (about the head radius).
 */
export function hipJointCentre(bone: Mask, side: HipSide, midlineX: number): { centre: Vec3; depthMm: number } {
  const [nx, ny, nz] = bone.dims;
  const n = bone.data.length;
  const bg = new Uint8Array(n);
  for (let p = 0; p < n; p++) bg[p] = bone.data[p] ? 0 : 1;
  const d2 = squaredDistanceToSeeds(bg, bone.dims, bone.spacing);
  const sgn = side === "left" ? 1 : -1;
  let zlo = Infinity, zhi = -Infinity;
  for (let k = 0, p = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, p++) {
    if (!bone.data[p]) continue;
    const z = indexToWorld(bone, [i, j, k])[2];
    zlo = Math.min(zlo, z);
    zhi = Math.max(zhi, z);
  }
  let best = -1, bestW: Vec3 = [0, 0, 0];
  for (let k = 0, p = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, p++) {
    if (!bone.data[p] || (best >= 0 && d2[p] <= d2[best])) continue;
    const w = indexToWorld(bone, [i, j, k]);
    if (w[2] > (zlo + zhi) / 2 || sgn * (w[0] - midlineX) < MIN_HIP_JOINT_LATERAL_MM) continue;
    best = p;
    bestW = w;
  }
  if (best < 0) throw new SegmentationError(`no ${side} hip joint found: no bone ${MIN_HIP_JOINT_LATERAL_MM} mm or more ${side} of the midline in the lower half of the scan's bone`);
  return { centre: bestW, depthMm: Math.sqrt(d2[best]) };
}

/**
 * A femoral shaft on a two-hip scan before the femur is cut from the pelvis (which a coarse scan
 * may not allow): the side's bone lateral of the joint must reach {@link SHAFT_START_HEAD_RADII}
 * head radii plus 5 slices below the hip joint centre, as `isolateFemur` needs for the shaft axis.
 * @throws FemurIncompleteError ("shaft") when it does not.
 */
export function checkShaftBelowJoint(bone: Mask, side: HipSide, midlineX: number): void {
  const joint = hipJointCentre(bone, side, midlineX);
  const r = Math.max(joint.depthMm, MIN_FEMORAL_HEAD_RADIUS_MM);
  const sgn = side === "left" ? 1 : -1;
  const [nx, ny, nz] = bone.dims;
  let lowest = Infinity;
  for (let k = 0, p = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, p++) {
    if (!bone.data[p]) continue;
    const w = indexToWorld(bone, [i, j, k]);
    if (sgn * (w[0] - joint.centre[0]) >= 0 && w[2] < lowest) lowest = w[2];
  }
  const need = SHAFT_START_HEAD_RADII * r + 5 * Math.abs(bone.spacing[2]);
  const below = joint.centre[2] - lowest;
  if (below < need) {
    const at = joint.centre.map((v) => v.toFixed(0)).join(", ");
    throw new FemurIncompleteError("shaft", `the ${side} femoral shaft is not in the field of view: the bone lateral of the ${side} hip joint (centre about [${at}] mm LPS) ends ${below.toFixed(0)} mm below the joint centre, and the hip model needs the femur from the head to at least ${need.toFixed(0)} mm below it (${SHAFT_START_HEAD_RADII} head radii of about ${r.toFixed(0)} mm plus 5 slices: shaft axis, distal boundary, DXA regions; the proximal cut lies at 2 head diameters): give a scan that covers the proximal femur below the lesser trochanter`);
  }
}

/**
 * One side's bone: density in [threshold, maxDensity] on that side of the midline, away from metal
 * by 2 mm, holes filled (as `boneMask` does, but keeping every component: the femur may already be
 * apart from the half pelvis).
 */
function halfBone(density: Volume, side: HipSide, midlineX: number, opts: HipSideOptions): Mask {
  const lo = opts.threshold ?? DEFAULT_BONE_THRESHOLD, hi = opts.maxDensity ?? DEFAULT_MAX_BONE_DENSITY;
  const [nx, ny, nz] = density.dims;
  const geom = { dims: density.dims, spacing: density.spacing, origin: density.origin, direction: density.direction };
  const metal = new Uint8Array(density.data.length);
  let anyMetal = false;
  for (let p = 0; p < metal.length; p++) if (density.data[p] > hi) (metal[p] = 1), (anyMetal = true);
  const near = anyMetal ? dilate(createVolume({ ...geom, data: metal }), 2).data : metal;
  const sgn = side === "left" ? 1 : -1;
  const m = new Uint8Array(metal.length);
  for (let k = 0, p = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, p++) {
    const v = density.data[p];
    if (v >= lo && !near[p] && sgn * (indexToWorld(density, [i, j, k])[0] - midlineX) > 0) m[p] = 1;
  }
  return fillHolesInView(createVolume({ ...geom, data: m })).mask;
}
