/**
 * From an element grid to the FE voxel model, and between the model's frame and the world.
 *
 * The FE stage knows nothing of CT: its voxel model lives in a local frame whose axes are the grid's
 * i, j, k axes and whose origin is node (0, 0, 0). The element grid keeps the world placement
 * (origin and LPS direction), so load cases defined in the world (anatomy frames) are turned into
 * model coordinates here, and results are mapped back for display.
 *
 * @example
 * ```ts
 * const grid = voxelize(density, mask, { elementSize: 1.5 });
 * const { modulus } = mapModulus(grid.density, { law: "morgan2003-femoral-neck" });
 * const model = gridToVoxelModel(grid, modulus);
 * const headInModel = worldToModel(grid, headCentreLps);
 * ```
 * @module
 */
import { createVoxelModel, type VoxelModel } from "../fe/voxel-model.js";
import type { Vec3 } from "../volume/volume.js";
import type { ElementGrid } from "./voxelize.js";

type Placement = Pick<ElementGrid, "origin" | "direction">;

/** The voxel model of an element grid with one modulus (MPa) per active element. */
export function gridToVoxelModel(grid: ElementGrid, modulus: ArrayLike<number>, poisson = 0.3): VoxelModel {
  return createVoxelModel({ dims: grid.dims, spacing: grid.elementSize, origin: [0, 0, 0], voxels: grid.elements, modulus, poisson });
}

/** World (LPS, mm) point -> model frame: D^T (p - origin). */
export function worldToModel(g: Placement, p: ArrayLike<number>): Vec3 {
  const d = g.direction, x = p[0] - g.origin[0], y = p[1] - g.origin[1], z = p[2] - g.origin[2];
  return [d[0] * x + d[3] * y + d[6] * z, d[1] * x + d[4] * y + d[7] * z, d[2] * x + d[5] * y + d[8] * z];
}

/** World direction (or force, displacement) -> model frame: D^T v. */
export function worldVectorToModel(g: Placement, v: ArrayLike<number>): Vec3 {
  const d = g.direction;
  return [d[0] * v[0] + d[3] * v[1] + d[6] * v[2], d[1] * v[0] + d[4] * v[1] + d[7] * v[2], d[2] * v[0] + d[5] * v[1] + d[8] * v[2]];
}

/** Model-frame point -> world (LPS, mm): origin + D q. */
export function modelToWorld(g: Placement, q: ArrayLike<number>): Vec3 {
  const d = g.direction, o = g.origin;
  return [
    o[0] + d[0] * q[0] + d[1] * q[1] + d[2] * q[2],
    o[1] + d[3] * q[0] + d[4] * q[1] + d[5] * q[2],
    o[2] + d[6] * q[0] + d[7] * q[1] + d[8] * q[2],
  ];
}

/** Model-frame vector -> world: D v. */
export function modelVectorToWorld(g: Pick<ElementGrid, "direction">, v: ArrayLike<number>): Vec3 {
  const d = g.direction;
  return [d[0] * v[0] + d[1] * v[1] + d[2] * v[2], d[3] * v[0] + d[4] * v[1] + d[5] * v[2], d[6] * v[0] + d[7] * v[1] + d[8] * v[2]];
}
