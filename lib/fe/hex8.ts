/**
 * The trilinear 8-node hexahedron (CalculiX/Abaqus C3D8): shape functions, the strain-displacement
 * matrix B, and the stiffness by full 2x2x2 Gauss integration. Node order: the bottom face
 * (zeta = -1) counter-clockwise seen from +zeta, then the top face in the same order.
 * Coordinates are flat: node a at coords[3a..3a+2]; element DOFs are 3a + component.
 * @module
 */
import { ModelError } from "./errors.js";

/** Natural coordinates (xi, eta, zeta) of the 8 nodes, C3D8 order. */
export const HEX8_NODES: readonly (readonly [number, number, number])[] = [
  [-1, -1, -1], [1, -1, -1], [1, 1, -1], [-1, 1, -1],
  [-1, -1, 1], [1, -1, 1], [1, 1, 1], [-1, 1, 1],
];

const G = 1 / Math.sqrt(3);
/** The 2x2x2 Gauss points (weights all 1), ordered like the nodes they are nearest to. */
export const HEX8_GAUSS: readonly (readonly [number, number, number])[] = HEX8_NODES.map(
  ([a, b, c]) => [a * G, b * G, c * G] as const,
);

/** Shape functions N_a(xi, eta, zeta) into `out` (8). */
export function hex8Shape(xi: number, eta: number, zeta: number, out = new Float64Array(8)): Float64Array {
  for (let a = 0; a < 8; a++) {
    const [p, q, r] = HEX8_NODES[a];
    out[a] = 0.125 * (1 + p * xi) * (1 + q * eta) * (1 + r * zeta);
  }
  return out;
}

/**
 * Cartesian shape-function gradients at a natural point: dNdx[3a + d] = dN_a/dx_d. Returns det J.
 * Throws ModelError for an inverted or degenerate element (det J <= 0).
 */
export function hex8Gradients(
  coords: ArrayLike<number>, xi: number, eta: number, zeta: number, dNdx = new Float64Array(24),
): number {
  const dN = new Float64Array(24); // dN_a/dxi_k at [3a + k]
  for (let a = 0; a < 8; a++) {
    const [p, q, r] = HEX8_NODES[a];
    dN[3 * a] = 0.125 * p * (1 + q * eta) * (1 + r * zeta);
    dN[3 * a + 1] = 0.125 * q * (1 + p * xi) * (1 + r * zeta);
    dN[3 * a + 2] = 0.125 * r * (1 + p * xi) * (1 + q * eta);
  }
  return gradientsFromNatural(coords, dN, 8, dNdx);
}

/** Shared by hex8 and tet4: J_kd = sum_a dN_a/dxi_k x_ad, dN/dx = J^-1 dN/dxi. Returns det J. */
export function gradientsFromNatural(
  coords: ArrayLike<number>, dN: ArrayLike<number>, nNodes: number, dNdx: Float64Array,
): number {
  const J = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  for (let a = 0; a < nNodes; a++) {
    for (let k = 0; k < 3; k++) {
      const g = dN[3 * a + k];
      for (let d = 0; d < 3; d++) J[3 * k + d] += g * coords[3 * a + d];
    }
  }
  const det =
    J[0] * (J[4] * J[8] - J[5] * J[7]) - J[1] * (J[3] * J[8] - J[5] * J[6]) + J[2] * (J[3] * J[7] - J[4] * J[6]);
  if (!(det > 0)) throw new ModelError(`element has a non-positive Jacobian (det J = ${det}): inverted or degenerate`);
  const inv = [
    (J[4] * J[8] - J[5] * J[7]) / det, (J[2] * J[7] - J[1] * J[8]) / det, (J[1] * J[5] - J[2] * J[4]) / det,
    (J[5] * J[6] - J[3] * J[8]) / det, (J[0] * J[8] - J[2] * J[6]) / det, (J[2] * J[3] - J[0] * J[5]) / det,
    (J[3] * J[7] - J[4] * J[6]) / det, (J[1] * J[6] - J[0] * J[7]) / det, (J[0] * J[4] - J[1] * J[3]) / det,
  ];
  // dN/dx_d = sum_k (J^-1)_dk dN/dxi_k
  for (let a = 0; a < nNodes; a++) {
    const g0 = dN[3 * a], g1 = dN[3 * a + 1], g2 = dN[3 * a + 2];
    for (let d = 0; d < 3; d++) dNdx[3 * a + d] = inv[3 * d] * g0 + inv[3 * d + 1] * g1 + inv[3 * d + 2] * g2;
  }
  return det;
}

/**
 * The 6 x 3n strain-displacement matrix (row-major) from gradients, Voigt order
 * [xx, yy, zz, xy, yz, zx] with engineering shears.
 */
export function strainDisplacement(dNdx: ArrayLike<number>, nNodes: number, B = new Float64Array(18 * nNodes)): Float64Array {
  const n = 3 * nNodes;
  B.fill(0);
  for (let a = 0; a < nNodes; a++) {
    const gx = dNdx[3 * a], gy = dNdx[3 * a + 1], gz = dNdx[3 * a + 2];
    const c = 3 * a;
    B[c] = gx;
    B[n + c + 1] = gy;
    B[2 * n + c + 2] = gz;
    B[3 * n + c] = gy; B[3 * n + c + 1] = gx;
    B[4 * n + c + 1] = gz; B[4 * n + c + 2] = gy;
    B[5 * n + c] = gz; B[5 * n + c + 2] = gx;
  }
  return B;
}

/** K += w * B^T D B for a 6 x n B (n = 3 * nodes). */
export function addBtDB(K: Float64Array, B: Float64Array, D: ArrayLike<number>, w: number, n: number): void {
  const DB = new Float64Array(6 * n);
  for (let i = 0; i < 6; i++) {
    for (let k = 0; k < 6; k++) {
      const d = D[6 * i + k] * w;
      if (d === 0) continue;
      for (let j = 0; j < n; j++) DB[i * n + j] += d * B[k * n + j];
    }
  }
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 6; k++) {
      const b = B[k * n + i];
      if (b === 0) continue;
      for (let j = 0; j < n; j++) K[i * n + j] += b * DB[k * n + j];
    }
  }
}

/**
 * Element stiffness (24 x 24, row-major) of a hex8 with 2x2x2 Gauss integration, as CalculiX C3D8.
 * @example
 * const unitCube = [0,0,0, 1,0,0, 1,1,0, 0,1,0, 0,0,1, 1,0,1, 1,1,1, 0,1,1];
 * const K = hex8Stiffness(unitCube, isotropicElasticity(1000, 0.3));
 */
export function hex8Stiffness(coords: ArrayLike<number>, D: ArrayLike<number>): Float64Array {
  const K = new Float64Array(576);
  const dNdx = new Float64Array(24), B = new Float64Array(144);
  for (const [xi, eta, zeta] of HEX8_GAUSS) {
    const det = hex8Gradients(coords, xi, eta, zeta, dNdx);
    addBtDB(K, strainDisplacement(dNdx, 8, B), D, det, 24);
  }
  return K;
}

/** The coordinates (24) of an axis-aligned dx x dy x dz brick with its first node at the origin. */
export function brickCoords(dx: number, dy: number, dz: number): Float64Array {
  return Float64Array.from(HEX8_NODES.flatMap(([p, q, r]) => [((p + 1) / 2) * dx, ((q + 1) / 2) * dy, ((r + 1) / 2) * dz]));
}
