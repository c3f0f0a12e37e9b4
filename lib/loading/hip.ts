/**
 * Hip load cases as data, and their boundary conditions on a femur voxel model.
 *
 * A load case is a small object a scientist edits in a notebook (an angle, a depth); `hipBoundary
 * Conditions` turns it into FE boundary conditions using the femur's landmarks (lib/anatomy).
 *
 * **Sideways fall** (bct-reference.md §4, the Courtney/Hayes configuration used by Keyak,
 * Dragomir-Daescu and Bonelab Ogo ◇): the shaft at 10 degrees to the ground and the neck internally
 * rotated 15 degrees; the load on the femoral head points to the ground; the greater trochanter (GT)
 * rests on the ground; the distal cut is constrained. The femur is adducted: the GT is the lowest
 * point and the knee end is raised by the shaft angle, so "down" has a component along the shaft
 * toward the hip. In the femur frame (proximal p, medial m, anterior a) the head load direction is
 *   u = cos(alpha) (cos(beta) (-m) + sin(beta) (-a)) + sin(alpha) p,
 * lateral (toward the GT), tilted along the shaft by alpha and posteriorly by the internal rotation
 * beta (the GT is struck on its posterolateral side).
 *
 * **Single-leg stance** (Keyak ◇): the joint reaction on the head at `angleDeg` (default 20) to the
 * shaft in the coronal plane, pushing the head distally and laterally: u = -cos(g) p - sin(g) m; the
 * distal cut is fixed.
 *
 * Both are displacement-controlled through rigid caps (the PMMA caps of experiments and of Ogo, which
 * embeds the head and GT `capDepthMm` = 6 mm deep ✔): the head cap moves `displacementMm` along u with
 * its other translations and all rotations free (a frictionless load pad); the GT cap is held along u
 * only (a frictionless ground); the distal cut is fully fixed. The reaction at the head cap along u
 * is the load; stiffness = load / displacement.
 *
 * @example
 * ```ts
 * const lc = sidewaysFall();                    // defaults from the reference
 * const { bcs, direction } = hipBoundaryConditions(model, grid, landmarks, lc);
 * const sol = solve(model, bcs);
 * ```
 * @module
 */
import { BctError } from "../errors.js";
import type { BoundaryCondition } from "../fe/bc.js";
import { voxelNodeCount, voxelNodePosition, type VoxelModel } from "../fe/voxel-model.js";
import type { FemurLandmarks } from "../anatomy/femur.js";
import { worldToModel, worldVectorToModel } from "../mesh/model.js";
import type { ElementGrid } from "../mesh/voxelize.js";
import type { Mat3, Vec3 } from "../volume/volume.js";

/** A load case that cannot be applied to this model. */
export class LoadCaseError extends BctError {
  override name = "LoadCaseError";
}

/** Sideways fall on the greater trochanter. */
export interface SidewaysFallCase {
  kind: "sideways-fall";
  /** Angle of the shaft to the ground (deg). Reference: 10. */
  shaftAngleDeg: number;
  /** Internal rotation of the neck (deg). Reference: 15. */
  internalRotationDeg: number;
  /** Head cap displacement toward the ground (mm). */
  displacementMm: number;
  /** Depth of the head and GT caps (mm). Ogo: 6 mm intrusion. */
  capDepthMm: number;
  /** Distal cut: nodes within this distance of the most distal node along the shaft are fixed (mm). */
  distalLayerMm: number;
}

/** Single-leg stance. */
export interface StanceCase {
  kind: "stance";
  /** Angle of the head load to the shaft axis in the coronal plane (deg). Reference: about 20. */
  angleDeg: number;
  displacementMm: number;
  capDepthMm: number;
  distalLayerMm: number;
}

export type HipLoadCase = SidewaysFallCase | StanceCase;

/** The reference sideways fall (bct-reference.md §4), with `changes`. */
export function sidewaysFall(changes: Partial<Omit<SidewaysFallCase, "kind">> = {}): SidewaysFallCase {
  return { kind: "sideways-fall", shaftAngleDeg: 10, internalRotationDeg: 15, displacementMm: 0.5, capDepthMm: 6, distalLayerMm: 1.5, ...changes };
}

/** The reference single-leg stance (bct-reference.md §4), with `changes`. */
export function stance(changes: Partial<Omit<StanceCase, "kind">> = {}): StanceCase {
  return { kind: "stance", angleDeg: 20, displacementMm: 0.5, capDepthMm: 6, distalLayerMm: 1.5, ...changes };
}

const rad = (d: number) => (d * Math.PI) / 180;
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: ArrayLike<number>, b: ArrayLike<number>): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const unit = (a: Vec3): Vec3 => {
  const n = Math.hypot(a[0], a[1], a[2]) || 1;
  return [a[0] / n, a[1] / n, a[2] / n];
};

/** Direction of the head load (world LPS, unit) for a load case in a femur frame. */
export function hipLoadDirection(frame: FemurLandmarks["frame"], lc: HipLoadCase): Vec3 {
  const { proximal: p, medial: m, anterior: a } = frame;
  if (lc.kind === "sideways-fall") {
    const al = rad(lc.shaftAngleDeg), be = rad(lc.internalRotationDeg);
    return unit([0, 1, 2].map((c) => Math.cos(al) * (-Math.cos(be) * m[c] - Math.sin(be) * a[c]) + Math.sin(al) * p[c]) as Vec3);
  }
  const g = rad(lc.angleDeg);
  return unit([0, 1, 2].map((c) => -Math.cos(g) * p[c] - Math.sin(g) * m[c]) as Vec3);
}

/** Boundary conditions of a hip load case, with what they were built from. */
export interface HipBoundaryConditions {
  bcs: BoundaryCondition[];
  /** Load direction in the model frame (unit). */
  direction: Vec3;
  /** Load direction in the world (LPS, unit). */
  directionWorld: Vec3;
  /** Orthonormal axes (columns) of the caps' local frame; the first is the load direction. */
  capAxes: Mat3;
  headNodes: Int32Array;
  trochanterNodes: Int32Array;
  distalNodes: Int32Array;
  /** Model-frame reference point of the head cap (the head centre). */
  headReference: Vec3;
  warnings: string[];
}

/**
 * Boundary conditions of a hip load case on a femur voxel model built from `grid`.
 * @throws LoadCaseError when a cap or the distal cut finds no nodes.
 */
export function hipBoundaryConditions(model: VoxelModel, grid: Pick<ElementGrid, "origin" | "direction">, femur: FemurLandmarks, lc: HipLoadCase): HipBoundaryConditions {
  const uWorld = hipLoadDirection(femur.frame, lc);
  const u = worldVectorToModel(grid, uWorld);
  const shaft = worldVectorToModel(grid, femur.shaftAxis);
  const head = worldToModel(grid, femur.headCentre);
  const nn = voxelNodeCount(model);
  const pos = new Float64Array(3 * nn);
  for (let q = 0; q < nn; q++) pos.set(voxelNodePosition(model, q), 3 * q);
  const warnings: string[] = [];
  // Cap axes: u, and two directions across it.
  const helper: Vec3 = Math.abs(u[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
  const v = unit(cross(u, helper)), w = cross(u, v);
  const capAxes: Mat3 = [u[0], v[0], w[0], u[1], v[1], w[1], u[2], v[2], w[2]];
  // Head cap: nodes within capDepth of the head's extreme point against u (where the load pad sits).
  let headTop = -Infinity;
  for (let q = 0; q < nn; q++) {
    const d = Math.hypot(pos[3 * q] - head[0], pos[3 * q + 1] - head[1], pos[3 * q + 2] - head[2]);
    if (d > femur.headRadius * 1.3) continue;
    headTop = Math.max(headTop, -dot([pos[3 * q] - head[0], pos[3 * q + 1] - head[1], pos[3 * q + 2] - head[2]], u));
  }
  const headNodes: number[] = [];
  for (let q = 0; q < nn; q++) {
    const r: Vec3 = [pos[3 * q] - head[0], pos[3 * q + 1] - head[1], pos[3 * q + 2] - head[2]];
    if (Math.hypot(...r) > femur.headRadius * 1.3) continue;
    if (-dot(r, u) >= headTop - lc.capDepthMm) headNodes.push(q);
  }
  // Distal cut: the most distal nodes along the shaft.
  let distalMost = Infinity;
  for (let q = 0; q < nn; q++) distalMost = Math.min(distalMost, dot([pos[3 * q], pos[3 * q + 1], pos[3 * q + 2]], shaft));
  const distalNodes: number[] = [];
  for (let q = 0; q < nn; q++) if (dot([pos[3 * q], pos[3 * q + 1], pos[3 * q + 2]], shaft) <= distalMost + lc.distalLayerMm) distalNodes.push(q);
  // GT cap (sideways fall): the nodes farthest along u, away from the head and clear of the distal
  // cut (the ground touches the trochanter, not the cut end of the model).
  const trochanterNodes: number[] = [];
  if (lc.kind === "sideways-fall") {
    const clearOfCut = distalMost + lc.distalLayerMm; // above the fixed layer (independent of the cap depth, so deeper caps hold supersets)
    const candidate = (q: number) =>
      Math.hypot(pos[3 * q] - head[0], pos[3 * q + 1] - head[1], pos[3 * q + 2] - head[2]) > femur.headRadius * 1.5 &&
      dot([pos[3 * q], pos[3 * q + 1], pos[3 * q + 2]], shaft) > clearOfCut;
    let low = -Infinity;
    for (let q = 0; q < nn; q++) if (candidate(q)) low = Math.max(low, dot([pos[3 * q], pos[3 * q + 1], pos[3 * q + 2]], u));
    // The lowest point of the whole model must be on the trochanter: otherwise the cut end would hit the ground first.
    let lowest = -Infinity;
    for (let q = 0; q < nn; q++) lowest = Math.max(lowest, dot([pos[3 * q], pos[3 * q + 1], pos[3 * q + 2]], u));
    if (lowest > low + lc.capDepthMm) {
      throw new LoadCaseError(
        `in a ${lc.shaftAngleDeg} deg fall the cut distal end of this model, not the greater trochanter, would touch the ground first: ` +
          "use a smaller shaft angle or a longer model (more shaft below the trochanters)",
      );
    }
    for (let q = 0; q < nn; q++) if (candidate(q) && dot([pos[3 * q], pos[3 * q + 1], pos[3 * q + 2]], u) >= low - lc.capDepthMm) trochanterNodes.push(q);
  }
  if (headNodes.length < 4) throw new LoadCaseError(`the head cap holds ${headNodes.length} node(s): is the femoral head in the model?`);
  if (distalNodes.length < 4) throw new LoadCaseError("no distal cut found to constrain");
  if (lc.kind === "sideways-fall" && trochanterNodes.length < 4) throw new LoadCaseError("no greater-trochanter contact found");
  const bcs: BoundaryCondition[] = [
    {
      kind: "rigid",
      nodes: Int32Array.from(headNodes),
      reference: head,
      axes: capAxes,
      displacement: [lc.displacementMm, null, null, null, null, null],
      set: "HEAD",
    },
    ...([0, 1, 2] as const).map((component): BoundaryCondition => ({ kind: "displacement", nodes: Int32Array.from(distalNodes), component, value: 0, set: "DISTAL" })),
  ];
  if (lc.kind === "sideways-fall") {
    // The cap turns freely about the ground contact point (the GT's lowest node along u), a point
    // that does not depend on the cap depth: deeper caps then add constraints to shallower ones.
    let contact = trochanterNodes[0];
    for (const q of trochanterNodes) if (dot([pos[3 * q], pos[3 * q + 1], pos[3 * q + 2]], u) > dot([pos[3 * contact], pos[3 * contact + 1], pos[3 * contact + 2]], u)) contact = q;
    const c: Vec3 = [pos[3 * contact], pos[3 * contact + 1], pos[3 * contact + 2]];
    bcs.push({ kind: "rigid", nodes: Int32Array.from(trochanterNodes), reference: c, axes: capAxes, displacement: [0, null, null, null, null, null], set: "TROCHANTER" });
  }
  return {
    bcs,
    direction: u,
    directionWorld: uWorld,
    capAxes,
    headNodes: Int32Array.from(headNodes),
    trochanterNodes: Int32Array.from(trochanterNodes),
    distalNodes: Int32Array.from(distalNodes),
    headReference: head,
    warnings,
  };
}
