/**
 * The linear 4-node tetrahedron (CalculiX/Abaqus C3D4): constant strain, one-point integration is
 * exact. Node order: nodes 1-2-3 counter-clockwise seen from node 4.
 * @module
 */
import { addBtDB, gradientsFromNatural, strainDisplacement } from "./hex8.js";

const TET4_DN = [-1, -1, -1, 1, 0, 0, 0, 1, 0, 0, 0, 1];

/** Cartesian gradients dNdx[3a + d] (constant over the element). Returns the volume. */
export function tet4Gradients(coords: ArrayLike<number>, dNdx = new Float64Array(12)): number {
  return gradientsFromNatural(coords, TET4_DN, 4, dNdx) / 6;
}

/**
 * Element stiffness (12 x 12, row-major) of a linear tetrahedron: V * B^T D B.
 * @example
 * const K = tet4Stiffness([0,0,0, 1,0,0, 0,1,0, 0,0,1], isotropicElasticity(1000, 0.3));
 */
export function tet4Stiffness(coords: ArrayLike<number>, D: ArrayLike<number>): Float64Array {
  const dNdx = new Float64Array(12);
  const V = tet4Gradients(coords, dNdx);
  const K = new Float64Array(144);
  addBtDB(K, strainDisplacement(dNdx, 4), D, V, 12);
  return K;
}
