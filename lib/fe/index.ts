/**
 * # bct/fe - finite elements for bone
 *
 * A bone model is a grid of small cubes (voxels, usually 1 mm), each a trilinear 8-node brick
 * element with its own Young's modulus from CT density. Loading it (a displacement on the femoral
 * head, a compression of a vertebra) gives the linear system K u = f: K is the stiffness (N/mm),
 * u the nodal displacements (mm), f the forces (N). This module builds, solves and checks it.
 *
 * **Elements** (`hex8.ts`, `tet4.ts`, `element.ts`): shape functions N_a, their gradients, the
 * strain-displacement matrix B (strain = B u_e), and the element stiffness K_e = integral of
 * B^T D B over the element, with D the isotropic elasticity matrix (`material.ts`). Hex8 uses
 * 2x2x2 Gauss points, exactly like CalculiX's C3D8. Post-processing (`post.ts`): von Mises stress,
 * principal strains, strain energy density.
 *
 * **Models**: `VoxelModel` (grid, mask, one modulus per voxel; only the bone's nodes are numbered)
 * and `UnstructuredModel` (any hex8/tet4 mesh, for teaching and verification).
 * **Boundary conditions** (`bc.ts`): prescribed displacements, nodal forces, rigid caps that tie a
 * surface to a reference point (master-slave elimination, no penalty).
 *
 * **Solving** (`solve/`): every voxel is the same cube, so K is never assembled: K u is computed
 * element by element from one 24x24 template times the modulus (`voxel-operator.ts`, exploiting the
 * cube's mirror symmetries to cut the work 4x). Conjugate gradients (`pcg.ts`) needs only that
 * product. Bone is stiff next to soft, so plain CG needs thousands of iterations; geometric
 * multigrid (`multigrid.ts`) solves the smooth part of the error on coarser voxel grids (2 mm,
 * 4 mm, ...) and brings that down to tens. Both cores are used through the worker pool
 * (`parallel.ts` on `lib/parallel/pool.ts`). Unstructured models use an assembled sparse matrix
 * (`sparse.ts`) and can be solved directly (`direct.ts`).
 *
 * **Interoperability** (`inp/`): read and write CalculiX/Abaqus decks, so every result can be
 * checked against CalculiX (the tests do, to 0.1%).
 *
 * @example
 * import { createVoxelModel, voxelNodesWhere, fixed, solve } from "bct/lib/fe/index";
 * const model = createVoxelModel({ dims: [10, 10, 30], spacing: [1, 1, 1], mask: new Uint8Array(3000).fill(1), modulus: 5000 });
 * const bottom = voxelNodesWhere(model, (i, j, k) => k === 0);
 * const top = voxelNodesWhere(model, (i, j, k) => k === 30);
 * const result = solve(model, [...fixed(bottom), { kind: "displacement", nodes: top, component: 2, value: -0.3 }]);
 * // total reaction on the top face: sum of result.reactions[3 * node + 2] over `top` = -5000 N
 * @module
 */
export * from "./errors.js";
export * from "./material.js";
export * from "./hex8.js";
export * from "./tet4.js";
export * from "./element.js";
export * from "./post.js";
export * from "./voxel-model.js";
export * from "./unstructured-model.js";
export * from "./model.js";
export * from "./bc.js";
export * from "./solve/pcg.js";
export * from "./solve/direct.js";
export * from "./solve/sparse.js";
export * from "./solve/voxel-operator.js";
export * from "./solve/multigrid.js";
export * from "./solve/solve.js";
export * from "./solve/parallel.js";
export * from "./inp/read.js";
export * from "./inp/write.js";
export * from "./results.js";
