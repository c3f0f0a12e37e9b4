/**
 * Post-processing of stresses and strains: von Mises stress, principal values, strain energy density,
 * and resultant force and moment of nodal forces.
 * Voigt order everywhere: [xx, yy, zz, xy, yz, zx]; strains carry engineering shears (gamma = 2 eps).
 * @module
 */

/**
 * Von Mises equivalent stress of a Voigt stress (MPa).
 * @example
 * vonMises([100, 0, 0, 0, 0, 0]); // 100
 */
export function vonMises(s: ArrayLike<number>): number {
  const a = s[0] - s[1], b = s[1] - s[2], c = s[2] - s[0];
  return Math.sqrt(0.5 * (a * a + b * b + c * c) + 3 * (s[3] * s[3] + s[4] * s[4] + s[5] * s[5]));
}

/**
 * Eigenvalues, descending, of the symmetric tensor [[a0, a3, a5], [a3, a1, a4], [a5, a4, a2]]
 * (closed form, trigonometric solution of the characteristic cubic).
 */
export function symmetricEigenvalues(t: ArrayLike<number>): [number, number, number] {
  const a = t[0], b = t[1], c = t[2], d = t[3], e = t[4], f = t[5];
  const p1 = d * d + e * e + f * f;
  const q = (a + b + c) / 3;
  const p2 = (a - q) ** 2 + (b - q) ** 2 + (c - q) ** 2 + 2 * p1;
  if (p2 <= 1e-300 * (1 + q * q)) return [q, q, q];
  const p = Math.sqrt(p2 / 6);
  const B0 = (a - q) / p, B1 = (b - q) / p, B2 = (c - q) / p, B3 = d / p, B4 = e / p, B5 = f / p;
  const detB = B0 * (B1 * B2 - B4 * B4) - B3 * (B3 * B2 - B4 * B5) + B5 * (B3 * B4 - B1 * B5);
  const r = Math.max(-1, Math.min(1, detB / 2));
  const phi = Math.acos(r) / 3;
  const l1 = q + 2 * p * Math.cos(phi);
  const l3 = q + 2 * p * Math.cos(phi + (2 * Math.PI) / 3);
  return [l1, 3 * q - l1 - l3, l3];
}

/**
 * Principal strains (descending) of a Voigt strain with engineering shears.
 * @example
 * principalStrains([0.001, 0, 0, 0, 0, 0]); // [0.001, 0, 0]
 */
export function principalStrains(eps: ArrayLike<number>): [number, number, number] {
  return symmetricEigenvalues([eps[0], eps[1], eps[2], eps[3] / 2, eps[4] / 2, eps[5] / 2]);
}

/** Principal stresses (descending) of a Voigt stress. */
export function principalStresses(s: ArrayLike<number>): [number, number, number] {
  return symmetricEigenvalues(s);
}

/** Strain energy density 1/2 sigma : eps (mJ/mm^3 = MPa) from Voigt stress and engineering strain. */
export function strainEnergyDensity(stress: ArrayLike<number>, strain: ArrayLike<number>): number {
  let w = 0;
  for (let i = 0; i < 6; i++) w += stress[i] * strain[i];
  return 0.5 * w;
}

/**
 * Resultant force and moment (about `about`) of nodal forces f (3 per node) over `nodes`,
 * with node positions from `position(node)`.
 */
export function resultant(
  f: ArrayLike<number>, nodes: ArrayLike<number>, position: (node: number) => readonly number[],
  about: readonly number[] = [0, 0, 0],
): { force: [number, number, number]; moment: [number, number, number] } {
  const F: [number, number, number] = [0, 0, 0], M: [number, number, number] = [0, 0, 0];
  for (let k = 0; k < nodes.length; k++) {
    const n = nodes[k];
    const fx = f[3 * n], fy = f[3 * n + 1], fz = f[3 * n + 2];
    const p = position(n);
    const rx = p[0] - about[0], ry = p[1] - about[1], rz = p[2] - about[2];
    F[0] += fx; F[1] += fy; F[2] += fz;
    M[0] += ry * fz - rz * fy; M[1] += rz * fx - rx * fz; M[2] += rx * fy - ry * fx;
  }
  return { force: F, moment: M };
}
