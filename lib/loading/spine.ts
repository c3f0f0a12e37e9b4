/**
 * Vertebral compression as data, the PMMA endplate caps it needs, and its boundary conditions.
 *
 * The mechanical test that the published vertebral strengths reproduce (bct-reference.md §4): the
 * vertebral body, posterior elements removed, is embedded at both endplates in PMMA layers; the
 * inferior platen is fixed and the superior platen is displaced along the body axis as one rigid,
 * parallel plate (no tilt, no lateral translation), with the strength from the force on the platen.
 * Here the caps are material (lib/mesh/caps.ts): each a slab perpendicular to the body axis, 10 mm
 * thick with the body 6 mm deep in it (Ogo ✔, said to match Keaveny's BCT models), PMMA
 * E = 2500 MPa; the bone inside keeps its own material. The platens are the caps' outer faces: the
 * inferior one fixed in all three directions, the superior one a rigid cap with the body axis as its
 * first local axis, moved `displacementMm` toward the inferior one.
 *
 * Both caps are perpendicular to the body axis of the landmarks (the bisector of the endplate
 * normals), so the platens are parallel, as in the test; the bone's extreme surface along the axis
 * sets where each cap sits, so neither the CT slice spacing nor a fitted plane's depth enters.
 *
 * @example
 * ```ts
 * const lc = compression();
 * const capped = capVertebralBody(grid, landmarks, lc);
 * const model = gridToVoxelModel(capped.grid, capModulus(capped.material, boneModulus));
 * const bc = spineBoundaryConditions(model, capped, landmarks, lc);
 * const sol = solve(model, bc.bcs);
 * ```
 * @module
 */
import type { BoundaryCondition } from "../fe/bc.js";
import { voxelNodePosition, type VoxelModel } from "../fe/voxel-model.js";
import type { VertebraLandmarks } from "../anatomy/vertebra.js";
import { addCap, OGO_CAP, platenModelNodes, PMMA, type CappedGrid } from "../mesh/caps.js";
import { worldVectorToModel } from "../mesh/model.js";
import type { ElementGrid } from "../mesh/voxelize.js";
import type { Mat3, Vec3 } from "../volume/volume.js";
import { LoadCaseError } from "./hip.js";

/** Axial compression of a vertebral body between PMMA endplate caps. */
export interface CompressionCase {
  kind: "vertebral-compression";
  /** Platen displacement toward the inferior endplate (mm) of the linear solve (a pushover scales it). */
  displacementMm: number;
  /** PMMA cap thickness along the body axis (mm). Default 10 (Ogo ✔). */
  capThicknessMm: number;
  /** Depth of the body inside each cap, from its extreme surface (mm). Default 6 (Ogo ✔, said to match BCT). */
  capIntrusionMm: number;
  /** Dilation of each cap's footprint beyond the projected body (mm): the PMMA ring around the embedded rim. Default 1. */
  capFootprintDilationMm: number;
}

/** The reference compression case, with `changes`. */
export function compression(changes: Partial<Omit<CompressionCase, "kind">> = {}): CompressionCase {
  return { kind: "vertebral-compression", displacementMm: 0.1, capThicknessMm: OGO_CAP.thicknessMm, capIntrusionMm: OGO_CAP.intrusionMm, capFootprintDilationMm: 1, ...changes };
}

/** The boundary of a compression case in words (for the strength definition and reports). */
export function compressionBoundaryText(lc: CompressionCase): string {
  return `vertebral body (posterior elements cut at the pedicles) embedded ${lc.capIntrusionMm} mm deep in ${lc.capThicknessMm} mm PMMA endplate caps `
    + `(E ${PMMA.modulusMPa} MPa, nu ${PMMA.poisson}) perpendicular to the body axis; inferior platen fixed, superior platen rigid and parallel, displaced along the axis`;
}

/**
 * The body with both PMMA endplate caps: "SUPERIOR" along the body axis, "INFERIOR" against it.
 * @throws MeshError (lib/mesh/caps) when a cap cannot be built.
 */
export function capVertebralBody(grid: ElementGrid, v: Pick<VertebraLandmarks, "axis">, lc: CompressionCase): CappedGrid {
  const a = v.axis;
  const cap = { thicknessMm: lc.capThicknessMm, intrusionMm: lc.capIntrusionMm, footprintDilationMm: lc.capFootprintDilationMm };
  const sup = addCap(grid, { name: "SUPERIOR", direction: a, ...cap });
  return addCap(sup, { name: "INFERIOR", direction: [-a[0], -a[1], -a[2]], ...cap });
}

/** Boundary conditions of a compression case. */
export interface SpineBoundaryConditions {
  bcs: BoundaryCondition[];
  /** Body axis in the model frame (unit, cranial). */
  axis: Vec3;
  /** Model nodes of the superior (displaced) and inferior (fixed) platens. */
  superiorNodes: Int32Array;
  inferiorNodes: Int32Array;
  warnings: string[];
}

/** An orthonormal frame (row-major, columns) whose first axis is `a`. */
function frameAlong(a: Vec3): Mat3 {
  const helper: Vec3 = Math.abs(a[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
  const b: Vec3 = [a[1] * helper[2] - a[2] * helper[1], a[2] * helper[0] - a[0] * helper[2], a[0] * helper[1] - a[1] * helper[0]];
  const bn = Math.hypot(...b);
  const e2: Vec3 = [b[0] / bn, b[1] / bn, b[2] / bn];
  const e3: Vec3 = [a[1] * e2[2] - a[2] * e2[1], a[2] * e2[0] - a[0] * e2[2], a[0] * e2[1] - a[1] * e2[0]];
  return [a[0], e2[0], e3[0], a[1], e2[1], e3[1], a[2], e2[2], e3[2]];
}

/**
 * Compression boundary conditions on a model built from `capped` (the grid of
 * {@link capVertebralBody}): the inferior platen fixed, the superior platen a rigid cap ("SUPERIOR")
 * whose reference DOF 0 (along the body axis, cranial) is prescribed to -`displacementMm`, its other
 * five DOFs held at zero (parallel platen).
 * @throws LoadCaseError when a platen holds too few nodes or the caps are missing.
 */
export function spineBoundaryConditions(model: VoxelModel, capped: Pick<CappedGrid, "grid" | "caps">, v: Pick<VertebraLandmarks, "axis">, lc: CompressionCase): SpineBoundaryConditions {
  const supCap = capped.caps.find((c) => c.name === "SUPERIOR"), infCap = capped.caps.find((c) => c.name === "INFERIOR");
  if (!supCap || !infCap) throw new LoadCaseError("the vertebral body has no SUPERIOR and INFERIOR PMMA caps: build the grid with capVertebralBody");
  if (!(lc.displacementMm > 0)) throw new LoadCaseError(`the platen displacement must be > 0 mm (toward the inferior platen), got ${lc.displacementMm}`);
  const sup = platenModelNodes(model, supCap), inf = platenModelNodes(model, infCap);
  if (sup.length < 4 || inf.length < 4) throw new LoadCaseError(`the endplate platens hold ${sup.length} and ${inf.length} nodes: is the mask a vertebral body?`);
  const axis = worldVectorToModel(capped.grid, v.axis);
  let ref: Vec3 = [0, 0, 0];
  for (const q of sup) {
    const p = voxelNodePosition(model, q);
    ref = [ref[0] + p[0] / sup.length, ref[1] + p[1] / sup.length, ref[2] + p[2] / sup.length];
  }
  const bcs: BoundaryCondition[] = [
    { kind: "rigid", nodes: sup, reference: ref, axes: frameAlong(axis), displacement: [-lc.displacementMm, 0, 0, 0, 0, 0], set: "SUPERIOR" },
    ...([0, 1, 2] as const).map((component): BoundaryCondition => ({ kind: "displacement", nodes: inf, component, value: 0, set: "INFERIOR" })),
  ];
  return { bcs, axis, superiorNodes: sup, inferiorNodes: inf, warnings: [] };
}
