/**
 * Material mapping: calibrated density per element -> Young's modulus per element, through a named
 * law and the named density conversions it needs.
 *
 * The element density is the mean of the calibrated equivalent density over the element (the mesh
 * stage averages voxel densities, partial-volume weighted); the law is applied to that mean
 * ("average density, then law", as Bonemat's density integration does), not to each voxel.
 *
 * @example
 * ```ts
 * import { mapModulus } from "bct/lib/materials/map";
 * const { modulus } = mapModulus(new Float32Array([150, 600]), { law: "morgan2003-femoral-neck" });
 * ```
 * @module
 */
import { conversionPath, type DensityMeasure } from "../calibration/density.js";
import { modulusLaw } from "./laws.js";

/**
 * Lowest equivalent density used for mapping (mg/cm3 K2HPO4): Bonelab Ogo clamps here, which with
 * its Keller law gives E about 0.1 MPa. (shared/reference/bct-reference.md, implementation defaults ✔)
 */
export const OGO_MIN_DENSITY_K2HPO4 = -31;
/** Modulus floor (MPa) so near-empty elements keep the stiffness matrix positive definite (the same 0.1 MPa). */
export const DEFAULT_MIN_MODULUS = 0.1;

/** Options of {@link mapModulus}. */
export interface MaterialMappingOptions {
  /** Modulus law id from `MODULUS_LAWS`. */
  law: string;
  /** Measure of the input densities. Default "rhoK" (mg/cm3 K2HPO4). */
  densityMeasure?: DensityMeasure;
  /** Input densities below this are clamped to it first (same measure). Default -31 for rhoK, none otherwise. */
  minDensity?: number;
  /** Moduli below this (MPa) are raised to it. Default 0.1 MPa. */
  minModulus?: number;
}

/** Result of {@link mapModulus}. */
export interface MaterialMappingResult {
  /** Young's modulus per element (MPa). */
  modulus: Float32Array;
  /** The law and conversions applied, by id, in order. */
  chain: string[];
  /** Elements raised to the modulus floor. */
  flooredCount: number;
  warnings: string[];
}

/** Map densities to moduli. @throws MaterialLawError / DensityConversionError for unknown ids or impossible chains. */
export function mapModulus(density: ArrayLike<number>, opts: MaterialMappingOptions): MaterialMappingResult {
  const law = modulusLaw(opts.law);
  const measure = opts.densityMeasure ?? "rhoK";
  const path = conversionPath(measure, law.input);
  const minDensity = opts.minDensity ?? (measure === "rhoK" ? OGO_MIN_DENSITY_K2HPO4 : -Infinity);
  const minModulus = opts.minModulus ?? DEFAULT_MIN_MODULUS;
  const out = new Float32Array(density.length);
  let floored = 0;
  for (let e = 0; e < density.length; e++) {
    let rho = Math.max(minDensity, density[e]);
    for (const c of path) rho = c.convert(rho);
    let E = law.modulus(rho);
    if (!(E >= minModulus)) {
      E = minModulus;
      floored++;
    }
    out[e] = E;
  }
  const warnings: string[] = [];
  if (law.confidence === "unverified") warnings.push(`law ${law.id} is from a secondary source; check it against ${law.citation}`);
  for (const c of path) if (c.confidence === "unverified") warnings.push(`conversion ${c.id} is from a secondary source (${c.citation})`);
  if (density.length && floored > 0.5 * density.length) {
    warnings.push(`${floored} of ${density.length} elements are at the modulus floor ${minModulus} MPa: is the density calibrated?`);
  }
  return { modulus: out, chain: [...path.map((c) => c.id), law.id], flooredCount: floored, warnings };
}
