/**
 * Element-type dispatch shared by every model: stiffness, strains and stresses at a natural point,
 * for the two solid elements bct uses (hex8 = C3D8, tet4 = C3D4).
 * @module
 */
import { HEX8_GAUSS, hex8Gradients, hex8Stiffness, strainDisplacement } from "./hex8.js";
import { tet4Gradients, tet4Stiffness } from "./tet4.js";

/** The solid element types. */
export type ElementType = "hex8" | "tet4";

/** Nodes per element. */
export const NODES_PER_ELEMENT: Record<ElementType, number> = { hex8: 8, tet4: 4 };

/** Natural coordinates of the element centroid. */
export const CENTROID: Record<ElementType, [number, number, number]> = { hex8: [0, 0, 0], tet4: [0.25, 0.25, 0.25] };

/** Integration points of each type (hex8: 2x2x2 Gauss; tet4: its centroid). */
export const INTEGRATION_POINTS: Record<ElementType, readonly (readonly [number, number, number])[]> = {
  hex8: HEX8_GAUSS,
  tet4: [[0.25, 0.25, 0.25]],
};

/** Element stiffness (row-major, 3n x 3n) of any supported type. */
export function elementStiffness(type: ElementType, coords: ArrayLike<number>, D: ArrayLike<number>): Float64Array {
  return type === "hex8" ? hex8Stiffness(coords, D) : tet4Stiffness(coords, D);
}

/**
 * Strain (Voigt [xx, yy, zz, xy, yz, zx], engineering shears) at a natural point from the element's
 * nodal displacements ue (3 per node).
 */
export function elementStrain(
  type: ElementType, coords: ArrayLike<number>, ue: ArrayLike<number>, point: readonly number[] = CENTROID[type],
): Float64Array {
  const n = NODES_PER_ELEMENT[type];
  const dNdx = new Float64Array(3 * n);
  if (type === "hex8") hex8Gradients(coords, point[0], point[1], point[2], dNdx);
  else tet4Gradients(coords, dNdx);
  const B = strainDisplacement(dNdx, n);
  const eps = new Float64Array(6);
  for (let i = 0; i < 6; i++) {
    let s = 0;
    for (let j = 0; j < 3 * n; j++) s += B[i * 3 * n + j] * ue[j];
    eps[i] = s;
  }
  return eps;
}

/** stress = D * strain (Voigt, 6). */
export function stressFromStrain(D: ArrayLike<number>, strain: ArrayLike<number>): Float64Array {
  const s = new Float64Array(6);
  for (let i = 0; i < 6; i++) {
    let v = 0;
    for (let j = 0; j < 6; j++) v += D[6 * i + j] * strain[j];
    s[i] = v;
  }
  return s;
}
