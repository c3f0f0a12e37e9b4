/**
 * Hip load cases as data, and their boundary conditions on a femur voxel model.
 *
 * A load case is a small object a scientist edits in a notebook (an angle, a depth); `hipCaps`
 * embeds the femoral head (and, in a fall, the greater trochanter) in PMMA caps and
 * `hipBoundaryConditions` turns the case into FE boundary conditions using the femur's landmarks
 * (lib/anatomy).
 *
 * **Sideways fall** (bct-reference.md §4, the Courtney/Hayes configuration used by Keyak,
 * Dragomir-Daescu and Bonelab Ogo ◇): the shaft at 10 degrees to the ground and the neck internally
 * rotated 15 degrees; the load on the femoral head points to the ground; the greater trochanter (GT)
 * rests on the ground. The femur is adducted: the GT is the lowest point and the knee end is raised
 * by the shaft angle, so "down" has a component along the shaft toward the hip. In the femur frame
 * (proximal p, medial m, anterior a) the head load direction is
 *   u = cos(alpha) (cos(beta) (-m) + sin(beta) (-a)) + sin(alpha) p,
 * lateral (toward the GT), tilted along the shaft by alpha and posteriorly by the internal rotation
 * beta (the GT is struck on its posterolateral side).
 *
 * **Single-leg stance** (Keyak ◇): the joint reaction on the head at `angleDeg` (default 20) to the
 * shaft in the coronal plane, pushing the head distally and laterally: u = -cos(g) p - sin(g) m.
 *
 * **Caps** (`caps`, default "pmma"): the head and the GT are embedded `capDepthMm` = 6 mm deep in
 * PMMA caps `capThicknessMm` = 10 mm thick (E 2500 MPa, ν 0.3; Ogo ✔, lib/mesh/pmma-caps), as the
 * bones are potted in the tests; the rigid load pad sits on the head cap's outer face and moves
 * `displacementMm` along u with its other translations and all rotations free (frictionless pad);
 * the GT cap's outer face is held along u only (frictionless ground), free to turn about its first
 * contact point. "rigid" is the former model: the bone nodes within the cap depth are made rigid.
 *
 * **Distal boundary** (`distal`, default "pinned" in a fall): as in the Mayo sideways-fall model of
 * the Courtney-type test (Dragomir-Daescu et al. 2011, Ann Biomed Eng 39:742, PMC3045472, Fig. 4 ✔:
 * "the distal end of the femur was connected with beams to a rotation point. At the rotation point,
 * only rotation about the x-axis was allowed; the other five degrees of freedom were set to zero"),
 * the distal cut moves as a rigid body about a pivot at the cut's centroid, its three translations
 * and two rotations held and the rotation about the normal of the loading plane (the plane of the
 * load direction and the shaft axis, n = u x shaft) free: the shaft may swing in the loading plane
 * as the head is pushed down. "clamped" fixes every node of the cut (the former model, and the
 * stance default: Keyak's stance has the distal end fixed ◇).
 *
 * The reaction at the head pad along u is the load; stiffness = load / displacement.
 *
 * @example
 * ```ts
 * const lc = sidewaysFall();                    // defaults from the references
 * const capped = hipCaps(grid, landmarks, lc);  // PMMA caps on the element grid
 * const model = gridToVoxelModel(capped.grid, withPmmaModulus(bone, capped.material));
 * const { bcs, direction } = hipBoundaryConditions(model, capped.grid, landmarks, lc, capped);
 * const sol = solve(model, bcs);
 * ```
 * @module
 */
import { BctError } from "../errors.js";
import type { BoundaryCondition } from "../fe/bc.js";
import { voxelNodeCount, voxelNodePosition, type VoxelModel } from "../fe/voxel-model.js";
import type { FemurLandmarks } from "../anatomy/femur.js";
import { worldToModel, worldVectorToModel } from "../mesh/model.js";
import { addPmmaCaps, OGO_HIP_CAP, pmmaPlatenNodes, type CappedGrid } from "../mesh/pmma-caps.js";
import { elementCentre, type ElementGrid } from "../mesh/voxelize.js";
import type { Mat3, Vec3 } from "../volume/volume.js";

/** A load case that cannot be applied to this model. */
export class LoadCaseError extends BctError {
  override name = "LoadCaseError";
}

/** How the load enters the bone: PMMA caps as material (default) or rigid bone caps (former model). */
export type HipCaps = "pmma" | "rigid";
/** Distal boundary: pinned (rotation about the loading-plane normal free, Mayo ✔) or clamped (every node fixed). */
export type DistalBoundary = "pinned" | "clamped";

/** What both load cases share. */
interface HipCaseBase {
  /** Head cap displacement along the load direction (mm). */
  displacementMm: number;
  /** Intrusion of the caps into the bone (mm). Ogo: 6 mm ✔. */
  capDepthMm: number;
  /** Thickness of the PMMA caps (mm). Ogo: 10 mm ✔. */
  capThicknessMm: number;
  caps: HipCaps;
  distal: DistalBoundary;
  /** Distal cut: nodes within this distance of the most distal node along the shaft are constrained (mm). */
  distalLayerMm: number;
}

/** Sideways fall on the greater trochanter. */
export interface SidewaysFallCase extends HipCaseBase {
  kind: "sideways-fall";
  /** Angle of the shaft to the ground (deg). Reference: 10. */
  shaftAngleDeg: number;
  /** Internal rotation of the neck (deg). Reference: 15. */
  internalRotationDeg: number;
}

/** Single-leg stance. */
export interface StanceCase extends HipCaseBase {
  kind: "stance";
  /** Angle of the head load to the shaft axis in the coronal plane (deg). Reference: about 20. */
  angleDeg: number;
}

export type HipLoadCase = SidewaysFallCase | StanceCase;

const CAP_DEFAULTS = { displacementMm: 0.5, capDepthMm: OGO_HIP_CAP.intrusionMm, capThicknessMm: OGO_HIP_CAP.thicknessMm, caps: "pmma" as HipCaps, distalLayerMm: 1.5 };

/** The reference sideways fall (bct-reference.md §4), with `changes`. */
export function sidewaysFall(changes: Partial<Omit<SidewaysFallCase, "kind">> = {}): SidewaysFallCase {
  return { kind: "sideways-fall", shaftAngleDeg: 10, internalRotationDeg: 15, ...CAP_DEFAULTS, distal: "pinned", ...changes };
}

/** The reference single-leg stance (bct-reference.md §4), with `changes`. */
export function stance(changes: Partial<Omit<StanceCase, "kind">> = {}): StanceCase {
  return { kind: "stance", angleDeg: 20, ...CAP_DEFAULTS, distal: "clamped", ...changes };
}

/** A load case in words, for results and strength definitions (e.g. "sideways fall 10 deg / 15 deg"). */
export function describeHipLoadCase(lc: HipLoadCase): { loadCase: string; boundary: string } {
  const loadCase = lc.kind === "sideways-fall" ? `sideways fall ${lc.shaftAngleDeg} deg / ${lc.internalRotationDeg} deg` : `single-leg stance ${lc.angleDeg} deg`;
  const caps = lc.caps === "pmma"
    ? `PMMA caps ${lc.capThicknessMm} mm thick, ${lc.capDepthMm} mm intrusion, on the head${lc.kind === "sideways-fall" ? " and greater trochanter" : ""}`
    : `rigid bone caps ${lc.capDepthMm} mm deep on the head${lc.kind === "sideways-fall" ? " and greater trochanter" : ""}`;
  const distal = lc.distal === "pinned" ? "distal cut pinned (rotation about the loading-plane normal free)" : "distal cut clamped";
  return { loadCase, boundary: `${caps}; head pad displaced ${lc.displacementMm} mm; ${distal} (layer ${lc.distalLayerMm} mm)` };
}

const rad = (d: number) => (d * Math.PI) / 180;
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: ArrayLike<number>, b: ArrayLike<number>): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const unit = (a: Vec3): Vec3 => {
  const n = Math.hypot(a[0], a[1], a[2]) || 1;
  return [a[0] / n, a[1] / n, a[2] / n];
};
const sub = (a: ArrayLike<number>, b: ArrayLike<number>): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];

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

/** The femur regions of the caps (world points): near the head; the trochanter side, away from the head and clear of the distal cut. */
function capRegions(femur: FemurLandmarks, distalMostWorld: number, lc: HipLoadCase) {
  const head = femur.headCentre, R = femur.headRadius;
  const nearHead = (x: Vec3) => Math.hypot(...sub(x, head)) <= R * 1.3;
  const trochanter = (x: Vec3) => Math.hypot(...sub(x, head)) > R * 1.5 && dot(x, femur.shaftAxis) > distalMostWorld + lc.distalLayerMm + lc.capThicknessMm;
  return { nearHead, trochanter };
}

/**
 * The femur's element grid with the load case's PMMA caps (head; and GT in a fall). The caps face
 * the load pad (-u, on the head) and the ground (+u, under the GT).
 * @throws LoadCaseError when the cut distal end, not the GT, would touch the ground first.
 */
export function hipCaps(grid: ElementGrid, femur: FemurLandmarks, lc: HipLoadCase): CappedGrid {
  const u = hipLoadDirection(femur.frame, lc);
  let distalMost = Infinity;
  for (let q = 0; q < grid.elements.length; q++) distalMost = Math.min(distalMost, dot(elementCentre(grid, grid.elements[q]), femur.shaftAxis));
  const { nearHead, trochanter } = capRegions(femur, distalMost, lc);
  if (lc.kind === "sideways-fall") checkGroundContact(grid, u, trochanter, lc);
  const minusU: Vec3 = [-u[0], -u[1], -u[2]];
  return addPmmaCaps(grid, [
    { name: "HEAD", direction: minusU, depthMm: lc.capDepthMm, thicknessMm: lc.capThicknessMm, region: nearHead },
    ...(lc.kind === "sideways-fall" ? [{ name: "TROCHANTER", direction: u, depthMm: lc.capDepthMm, thicknessMm: lc.capThicknessMm, region: trochanter }] : []),
  ]);
}

/** The lowest bone along u must be on the trochanter: otherwise the cut end would hit the ground first. */
function checkGroundContact(grid: ElementGrid, u: Vec3, trochanter: (x: Vec3) => boolean, lc: SidewaysFallCase): void {
  let low = -Infinity, lowest = -Infinity;
  for (let q = 0; q < grid.elements.length; q++) {
    const c = elementCentre(grid, grid.elements[q]);
    const s = dot(c, u);
    lowest = Math.max(lowest, s);
    if (trochanter(c)) low = Math.max(low, s);
  }
  if (low === -Infinity) throw new LoadCaseError("no greater-trochanter contact found");
  if (lowest > low + lc.capDepthMm) {
    throw new LoadCaseError(
      `in a ${lc.shaftAngleDeg} deg fall the cut distal end of this model, not the greater trochanter, would touch the ground first: ` +
        "use a smaller shaft angle or a longer model (more shaft below the trochanters)",
    );
  }
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
  /** The nodes of the head load pad (PMMA cap's outer face, or the rigid bone cap). */
  headNodes: Int32Array;
  trochanterNodes: Int32Array;
  distalNodes: Int32Array;
  /** Model-frame reference point of the head cap (the head centre). */
  headReference: Vec3;
  /** Model-frame pivot of a pinned distal cut and the free rotation axis (world LPS, unit), when pinned. */
  distalPivot?: { point: Vec3; axisWorld: Vec3 };
  warnings: string[];
}

/** All node positions of a voxel model (model frame, 3 per node). */
function nodePositions(model: VoxelModel): Float64Array {
  const nn = voxelNodeCount(model);
  const pos = new Float64Array(3 * nn);
  for (let q = 0; q < nn; q++) pos.set(voxelNodePosition(model, q), 3 * q);
  return pos;
}

/** The former rigid bone caps: head nodes within capDepth of the head's extreme point against u; GT nodes within capDepth of the lowest trochanter node. */
function rigidCapNodes(pos: Float64Array, head: Vec3, headRadius: number, u: Vec3, shaft: Vec3, clearOfCut: number, lc: HipLoadCase): { head: number[]; trochanter: number[] } {
  const nn = pos.length / 3;
  const p = (q: number): Vec3 => [pos[3 * q], pos[3 * q + 1], pos[3 * q + 2]];
  const inHead = (q: number) => Math.hypot(...sub(p(q), head)) <= headRadius * 1.3;
  let headTop = -Infinity;
  for (let q = 0; q < nn; q++) if (inHead(q)) headTop = Math.max(headTop, -dot(sub(p(q), head), u));
  const headNodes: number[] = [];
  for (let q = 0; q < nn; q++) if (inHead(q) && -dot(sub(p(q), head), u) >= headTop - lc.capDepthMm) headNodes.push(q);
  const trochanter: number[] = [];
  if (lc.kind === "sideways-fall") {
    const candidate = (q: number) => Math.hypot(...sub(p(q), head)) > headRadius * 1.5 && dot(p(q), shaft) > clearOfCut;
    let low = -Infinity;
    for (let q = 0; q < nn; q++) if (candidate(q)) low = Math.max(low, dot(p(q), u));
    let lowest = -Infinity;
    for (let q = 0; q < nn; q++) lowest = Math.max(lowest, dot(p(q), u));
    if (lowest > low + lc.capDepthMm) {
      throw new LoadCaseError(
        `in a ${lc.shaftAngleDeg} deg fall the cut distal end of this model, not the greater trochanter, would touch the ground first: ` +
          "use a smaller shaft angle or a longer model (more shaft below the trochanters)",
      );
    }
    for (let q = 0; q < nn; q++) if (candidate(q) && dot(p(q), u) >= low - lc.capDepthMm) trochanter.push(q);
  }
  return { head: headNodes, trochanter };
}

/** The distal cut's boundary conditions: a pinned rigid cut (pivot at its centroid, rotation about n free) or every node fixed. */
function distalBoundary(pos: Float64Array, nodes: Int32Array, n: Vec3, lc: HipLoadCase): { bcs: BoundaryCondition[]; pivot?: Vec3 } {
  if (lc.distal === "clamped") {
    return { bcs: ([0, 1, 2] as const).map((component): BoundaryCondition => ({ kind: "displacement", nodes, component, value: 0, set: "DISTAL" })) };
  }
  const pivot: Vec3 = [0, 0, 0];
  for (const q of nodes) for (let c = 0; c < 3; c++) pivot[c] += pos[3 * q + c] / nodes.length;
  const helper: Vec3 = Math.abs(n[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
  const b = unit(cross(n, helper)), c = cross(n, b);
  const axes: Mat3 = [n[0], b[0], c[0], n[1], b[1], c[1], n[2], b[2], c[2]];
  return { bcs: [{ kind: "rigid", nodes, reference: pivot, axes, displacement: [0, 0, 0, null, 0, 0], set: "DISTAL" }], pivot };
}

/**
 * Boundary conditions of a hip load case on a femur voxel model built from `grid` (the capped grid
 * when `capped` is given: then the pad and the ground act on the PMMA caps' outer faces).
 * @throws LoadCaseError when a cap or the distal cut finds no nodes.
 */
export function hipBoundaryConditions(model: VoxelModel, grid: Pick<ElementGrid, "origin" | "direction">, femur: FemurLandmarks, lc: HipLoadCase, capped?: CappedGrid): HipBoundaryConditions {
  const warnings: string[] = [];
  if (lc.caps === "pmma" && !capped) warnings.push("the load case asks for PMMA caps but no capped grid (hipCaps) was given: rigid bone caps were used");
  const uWorld = hipLoadDirection(femur.frame, lc);
  const u = worldVectorToModel(grid, uWorld);
  const shaft = worldVectorToModel(grid, femur.shaftAxis);
  const head = worldToModel(grid, femur.headCentre);
  const pos = nodePositions(model);
  const nn = pos.length / 3;
  const helper: Vec3 = Math.abs(u[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
  const v = unit(cross(u, helper)), w = cross(u, v);
  const capAxes: Mat3 = [u[0], v[0], w[0], u[1], v[1], w[1], u[2], v[2], w[2]];
  // Distal cut: the most distal bone nodes along the shaft (PMMA nodes are never there: the caps sit proximally).
  let distalMost = Infinity;
  for (let q = 0; q < nn; q++) distalMost = Math.min(distalMost, dot(pos.subarray(3 * q, 3 * q + 3), shaft));
  const distal: number[] = [];
  for (let q = 0; q < nn; q++) if (dot(pos.subarray(3 * q, 3 * q + 3), shaft) <= distalMost + lc.distalLayerMm) distal.push(q);
  let headNodes: Int32Array, trochanterNodes: Int32Array, contact: Vec3 | undefined;
  if (capped) {
    const hi = capped.caps.findIndex((c) => c.name === "HEAD"), ti = capped.caps.findIndex((c) => c.name === "TROCHANTER");
    headNodes = pmmaPlatenNodes(model, capped, hi);
    trochanterNodes = ti >= 0 ? pmmaPlatenNodes(model, capped, ti) : new Int32Array(0);
    if (ti >= 0) contact = capped.caps[ti].contact;
  } else {
    const r = rigidCapNodes(pos, head, femur.headRadius, u, shaft, distalMost + lc.distalLayerMm, lc);
    headNodes = Int32Array.from(r.head);
    trochanterNodes = Int32Array.from(r.trochanter);
    // the rigid GT cap turns about the ground contact point (its lowest node along u), independent of the cap depth
    if (r.trochanter.length) {
      let best = r.trochanter[0];
      for (const q of r.trochanter) if (dot(pos.subarray(3 * q, 3 * q + 3), u) > dot(pos.subarray(3 * best, 3 * best + 3), u)) best = q;
      contact = [pos[3 * best], pos[3 * best + 1], pos[3 * best + 2]];
    }
  }
  if (headNodes.length < 4) throw new LoadCaseError(`the head cap holds ${headNodes.length} node(s): is the femoral head in the model?`);
  if (distal.length < 4) throw new LoadCaseError("no distal cut found to constrain");
  if (lc.kind === "sideways-fall" && trochanterNodes.length < 4) throw new LoadCaseError("no greater-trochanter contact found");
  const distalNodes = Int32Array.from(distal);
  const n = unit(cross(u, shaft));
  const db = distalBoundary(pos, distalNodes, n, lc);
  const bcs: BoundaryCondition[] = [
    { kind: "rigid", nodes: headNodes, reference: head, axes: capAxes, displacement: [lc.displacementMm, null, null, null, null, null], set: "HEAD" },
    ...db.bcs,
  ];
  if (lc.kind === "sideways-fall") bcs.push({ kind: "rigid", nodes: trochanterNodes, reference: contact!, axes: capAxes, displacement: [0, null, null, null, null, null], set: "TROCHANTER" });
  return {
    bcs, direction: u, directionWorld: uWorld, capAxes, headNodes, trochanterNodes, distalNodes, headReference: head,
    distalPivot: db.pivot ? { point: db.pivot, axisWorld: unit(cross(uWorld, femur.shaftAxis)) } : undefined,
    warnings,
  };
}
