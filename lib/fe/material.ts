/**
 * Isotropic linear elasticity: the 6x6 constitutive matrix D in Voigt order
 * [xx, yy, zz, xy, yz, zx] with engineering shear strains (gamma = 2 epsilon).
 * @module
 */
import { ModelError } from "./errors.js";

/** Lame parameters of an isotropic material (MPa). */
export function lameParameters(E: number, nu: number): { lambda: number; mu: number } {
  if (!(E >= 0) || !(nu > -1 && nu < 0.5)) {
    throw new ModelError(`invalid elastic constants E=${E} MPa, nu=${nu}: need E >= 0 and -1 < nu < 0.5`);
  }
  return { lambda: (E * nu) / ((1 + nu) * (1 - 2 * nu)), mu: E / (2 * (1 + nu)) };
}

/**
 * The 6x6 isotropic elasticity matrix (row-major) so that stress = D * strain.
 * @example
 * const D = isotropicElasticity(1000, 0.3); // D[0] = lambda + 2 mu = 1346.15 MPa
 */
export function isotropicElasticity(E: number, nu: number): Float64Array {
  const { lambda, mu } = lameParameters(E, nu);
  const D = new Float64Array(36);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) D[6 * i + j] = lambda;
    D[6 * i + i] = lambda + 2 * mu;
    D[6 * (i + 3) + i + 3] = mu;
  }
  return D;
}
