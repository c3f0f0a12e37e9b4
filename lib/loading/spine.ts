/**
 * Vertebral compression as data, and its boundary conditions on a vertebral-body voxel model.
 *
 * Uniform axial compression between the endplates (bct-reference.md §4: "vertebral body loaded in
 * uniform axial displacement between PMMA endplate layers, with the inferior cap fixed" ◇; Ogo embeds
 * the endplates 6 mm deep in 10 mm PMMA caps ✔): the bone within `capDepthMm` inside the fitted
 * inferior endplate plane is fixed; the bone within `capDepthMm` inside the fitted superior endplate
 * plane moves as one rigid, parallel platen `displacementMm` along the body axis toward the inferior
 * one, with no lateral translation or rotation (bonded caps). Measuring from the fitted planes (not
 * from the most extreme bone) keeps a single osteophyte or the stair steps of a coarse scan from
 * deciding where the platen sits; on a coarse scan make the depth at least one slice.
 *
 * @example
 * ```ts
 * const bc = spineBoundaryConditions(model, grid, vertebraLandmarks(body), compression());
 * const sol = solve(model, bc.bcs);
 * ```
 * @module
 */
import type { BoundaryCondition } from "../fe/bc.js";
import { voxelNodeCount, voxelNodePosition, type VoxelModel } from "../fe/voxel-model.js";
import type { VertebraLandmarks } from "../anatomy/vertebra.js";
import { worldToModel, worldVectorToModel } from "../mesh/model.js";
import type { ElementGrid } from "../mesh/voxelize.js";
import type { Mat3, Vec3 } from "../volume/volume.js";
import { LoadCaseError } from "./hip.js";

/** Axial compression of a vertebral body. */
export interface CompressionCase {
  kind: "vertebral-compression";
  /** Platen displacement toward the inferior endplate (mm). */
  displacementMm: number;
  /** Depth of bone held by each cap, along the axis (mm). */
  capDepthMm: number;
}

/** The reference compression case, with `changes`. */
export function compression(changes: Partial<Omit<CompressionCase, "kind">> = {}): CompressionCase {
  return { kind: "vertebral-compression", displacementMm: 0.1, capDepthMm: 2.0, ...changes };
}

/** Boundary conditions of a compression case. */
export interface SpineBoundaryConditions {
  bcs: BoundaryCondition[];
  /** Body axis in the model frame (unit, cranial). */
  axis: Vec3;
  superiorNodes: Int32Array;
  inferiorNodes: Int32Array;
  warnings: string[];
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

/**
 * Compression boundary conditions on a vertebral-body model built from `grid`.
 * @throws LoadCaseError when an endplate layer holds too few nodes.
 */
export function spineBoundaryConditions(model: VoxelModel, grid: Pick<ElementGrid, "origin" | "direction">, v: VertebraLandmarks, lc: CompressionCase): SpineBoundaryConditions {
  const axis = worldVectorToModel(grid, v.axis);
  const supC = worldToModel(grid, v.superiorEndplate.centre), supN = worldVectorToModel(grid, v.superiorEndplate.normal);
  const infC = worldToModel(grid, v.inferiorEndplate.centre), infN = worldVectorToModel(grid, v.inferiorEndplate.normal);
  const nn = voxelNodeCount(model);
  const sup: number[] = [], inf: number[] = [];
  for (let q = 0; q < nn; q++) {
    const p = voxelNodePosition(model, q);
    // signed distances outward of each endplate plane (normals point out of the body)
    const ds = dot([p[0] - supC[0], p[1] - supC[1], p[2] - supC[2]], supN);
    const di = dot([p[0] - infC[0], p[1] - infC[1], p[2] - infC[2]], infN);
    if (ds >= -lc.capDepthMm) sup.push(q);
    else if (di >= -lc.capDepthMm) inf.push(q);
  }
  if (sup.length < 4 || inf.length < 4) throw new LoadCaseError(`endplate caps hold ${sup.length} and ${inf.length} nodes: is the mask a vertebral body?`);
  const helper: Vec3 = Math.abs(axis[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
  const b: Vec3 = [axis[1] * helper[2] - axis[2] * helper[1], axis[2] * helper[0] - axis[0] * helper[2], axis[0] * helper[1] - axis[1] * helper[0]];
  const bn = Math.hypot(...b);
  const e2: Vec3 = [b[0] / bn, b[1] / bn, b[2] / bn];
  const e3: Vec3 = [axis[1] * e2[2] - axis[2] * e2[1], axis[2] * e2[0] - axis[0] * e2[2], axis[0] * e2[1] - axis[1] * e2[0]];
  const axes: Mat3 = [axis[0], e2[0], e3[0], axis[1], e2[1], e3[1], axis[2], e2[2], e3[2]];
  const supNodes = Int32Array.from(sup), infNodes = Int32Array.from(inf);
  let ref: Vec3 = [0, 0, 0];
  for (const q of supNodes) {
    const p = voxelNodePosition(model, q);
    ref = [ref[0] + p[0] / sup.length, ref[1] + p[1] / sup.length, ref[2] + p[2] / sup.length];
  }
  const bcs: BoundaryCondition[] = [
    { kind: "rigid", nodes: supNodes, reference: ref, axes, displacement: [-lc.displacementMm, 0, 0, 0, 0, 0], set: "SUPERIOR" },
    ...([0, 1, 2] as const).map((component): BoundaryCondition => ({ kind: "displacement", nodes: infNodes, component, value: 0, set: "INFERIOR" })),
  ];
  return { bcs, axis, superiorNodes: supNodes, inferiorNodes: infNodes, warnings: [] };
}
