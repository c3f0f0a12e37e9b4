/**
 * The elastic-plastic bone material of the nonlinear pushover, as a *secant* (total-strain,
 * deformation-theory) law: per element, an equivalent strain against asymmetric tension and
 * compression yield strains gives a secant modulus E_s <= E, which the matrix-free voxel solver can
 * use unchanged (one stiffness template scaled per element).
 *
 * **Equivalent strain.** From the element's centroid principal strains eps1 >= eps2 >= eps3, the
 * strain ratio is r = max(eps1 / eps_yt, -eps3 / eps_yc, 0) (the principal strain that is closer to
 * its yield strain governs, as in the Bologna/Schileo strain criterion; bct-reference.md §4 ✔). The
 * governing mode is tension when eps1 / eps_yt wins, compression otherwise; the governing strain is
 * e = r * eps_y(mode).
 *
 * **Uniaxial law in the governing mode** (stress magnitude, MPa, E = element modulus,
 * sigma_y = E * eps_y(mode)):
 * - elastic: sigma = E e for e <= eps_y;
 * - perfectly plastic: sigma = sigma_y after (the default; Keaveny/BCT style "elastic-fully plastic
 *   with asymmetric yield", bct-reference.md §2 ◇);
 * - optional Keyak 2005 style softening (bct-reference.md §2 ✔ constants from A. Sas' open
 *   re-implementation): a plateau sigma_y for eps_y < e <= eps_y + eps_AB, then a linear drop with
 *   slope E_p < 0, down to sigma_min = residualFraction * sigma_y, then flat at sigma_min. Keyak's
 *   law is a compression law; here the same shape, scaled by each mode's own yield stress, is used
 *   in tension too (an assumption).
 *
 * The secant modulus is E_s = sigma(e) / e, floored at `floor * E` so the stiffness stays positive
 * definite (a floored element carries more stress than the law says; the pushover reports how many).
 *
 * **Yield strains** come either as strains (default: the Bayraktar 2004 cortical tissue limits
 * 0.73% / 1.04% adopted by Schileo 2014, {@link SCHILEO_STRAIN_LIMITS}), as yield stresses per
 * element (eps_y = sigma_y / E), or from density through two yield laws of `lib/materials/laws.ts`.
 * @module
 */
import { BctError } from "../errors.js";
import { convertDensity, type DensityMeasure } from "../calibration/density.js";
import { KEYAK2005_POST_YIELD, yieldLaw } from "../materials/laws.js";
import { SCHILEO_STRAIN_LIMITS } from "./criteria.js";

/** A pushover material that cannot be set up (bad yield values, wrong array lengths). */
export class PushoverError extends BctError {
  override name = "PushoverError";
}

/** One number for every element, or one per element. */
export type PerElement = number | ArrayLike<number>;

/**
 * Where the yield strains come from.
 * - `strain`: yield strains (positive, e.g. 0.0073 / 0.0104), one value or one per element.
 * - `stress`: yield stress magnitudes (MPa) per element; eps_y = sigma_y / E with the model's moduli.
 * - `law`: yield stress from density through yield laws of `lib/materials/laws.ts` (ids of a
 *   tension and a compression law); `density` per element in `measure` (converted to each law's
 *   input measure with `lib/calibration/density.ts`; default: the law's own measure).
 */
export type YieldSpec =
  | { kind: "strain"; tension: PerElement; compression: PerElement }
  | { kind: "stress"; tension: PerElement; compression: PerElement }
  | { kind: "law"; tension: string; compression: string; density: ArrayLike<number>; measure?: DensityMeasure };

/**
 * Post-yield branch. `perfect` (default): flat at the yield stress. `softening`: Keyak 2005 style
 * plateau of length `plateauStrain`, then slope `softeningModulus` (MPa, negative), down to
 * `residualFraction` of the yield stress.
 */
export type PostYield =
  | { kind: "perfect" }
  | { kind: "softening"; plateauStrain: PerElement; softeningModulus: PerElement; residualFraction: PerElement };

/** The material of a pushover, resolved to per-element arrays. */
export interface SecantMaterial {
  /** Initial (elastic) modulus per element (MPa). */
  modulus: Float64Array;
  /** Yield strains per element (positive). */
  yieldTension: Float64Array;
  yieldCompression: Float64Array;
  /** Softening parameters per element, or undefined for perfect plasticity. */
  softening?: { plateauStrain: Float64Array; softeningModulus: Float64Array; residualFraction: Float64Array };
  /** Lower bound of E_s / E. */
  floor: number;
  /** Human-readable description, for results and reports. */
  description: string;
}

const expand = (v: PerElement, n: number, what: string): Float64Array => {
  if (typeof v === "number") return new Float64Array(n).fill(v);
  if (v.length !== n) throw new PushoverError(`${what}: ${v.length} values for ${n} elements`);
  return Float64Array.from(v);
};

/**
 * Resolve a yield specification and post-yield branch into per-element arrays.
 * @example
 * const mat = secantMaterial(model.modulus, { kind: "strain", tension: 0.0073, compression: 0.0104 });
 * mat.yieldCompression[0]; // 0.0104
 */
export function secantMaterial(
  modulus: ArrayLike<number>, spec: YieldSpec = { kind: "strain", ...SCHILEO_STRAIN_LIMITS }, post: PostYield = { kind: "perfect" }, floor = 1e-3,
): SecantMaterial {
  const n = modulus.length;
  const E = Float64Array.from(modulus);
  let yt: Float64Array, yc: Float64Array, description: string;
  if (spec.kind === "strain") {
    yt = expand(spec.tension, n, "tension yield strain");
    yc = expand(spec.compression, n, "compression yield strain");
    description = typeof spec.tension === "number" && typeof spec.compression === "number"
      ? `yield strains ${(spec.tension * 100).toFixed(3)}% tension / ${(spec.compression * 100).toFixed(3)}% compression`
      : "per-element yield strains";
  } else if (spec.kind === "stress") {
    const st = expand(spec.tension, n, "tension yield stress"), sc = expand(spec.compression, n, "compression yield stress");
    yt = st.map((s, e) => s / E[e]);
    yc = sc.map((s, e) => s / E[e]);
    description = "per-element yield stresses / modulus";
  } else {
    const lt = yieldLaw(spec.tension), lc = yieldLaw(spec.compression);
    if (spec.density.length !== n) throw new PushoverError(`density: ${spec.density.length} values for ${n} elements`);
    const rho = (x: number, to: DensityMeasure) => (spec.measure && spec.measure !== to ? convertDensity(x, spec.measure, to) : x);
    yt = new Float64Array(n);
    yc = new Float64Array(n);
    for (let e = 0; e < n; e++) {
      yt[e] = lt.yieldStress(rho(spec.density[e], lt.input)) / E[e];
      yc[e] = lc.yieldStress(rho(spec.density[e], lc.input)) / E[e];
    }
    description = `yield stress: ${lt.name} (tension), ${lc.name} (compression), over element modulus`;
  }
  for (let e = 0; e < n; e++) {
    if (!(E[e] > 0)) throw new PushoverError(`element ${e} has modulus ${E[e]}: need > 0`);
    if (!(yt[e] > 0) || !(yc[e] > 0)) {
      throw new PushoverError(`element ${e} has yield strains ${yt[e]} (tension) / ${yc[e]} (compression): need finite values > 0 (is its density <= 0?)`);
    }
  }
  if (!(floor > 0 && floor <= 1)) throw new PushoverError(`secant modulus floor ${floor}: need 0 < floor <= 1`);
  const mat: SecantMaterial = { modulus: E, yieldTension: yt, yieldCompression: yc, floor, description: description + ", elastic-perfectly plastic" };
  if (post.kind === "softening") {
    const s = {
      plateauStrain: expand(post.plateauStrain, n, "plateau strain"),
      softeningModulus: expand(post.softeningModulus, n, "softening modulus"),
      residualFraction: expand(post.residualFraction, n, "residual fraction"),
    };
    for (let e = 0; e < n; e++) {
      if (!(s.plateauStrain[e] >= 0) || !(s.softeningModulus[e] <= 0) || !(s.residualFraction[e] >= 0 && s.residualFraction[e] <= 1)) {
        throw new PushoverError(`element ${e}: softening needs plateauStrain >= 0, softeningModulus <= 0, 0 <= residualFraction <= 1`);
      }
    }
    mat.softening = s;
    mat.description = description + ", elastic-plastic with softening (Keyak 2005 shape)";
  }
  return mat;
}

/**
 * Keyak 2005 post-yield parameters per element from ash density (g/cm3), with the constants of
 * {@link KEYAK2005_POST_YIELD} (lib/materials/laws.ts): plateau strain, softening modulus, and the
 * residual stress as a fraction of the Keyak yield stress S (`keyak2005-yield`).
 * `cortical` marks elements to treat as cortical (Keyak: rhoAsh >= 0.8 g/cm3 ◇ when omitted).
 * @example
 * const post = keyak2005Softening(rhoAsh);
 * // Keyak's one yield stress S in both modes (◇: an assumption in tension)
 * pushover(model, bcs, { yield: { kind: "law", tension: "keyak2005-yield", compression: "keyak2005-yield", density: rhoAsh }, postYield: post });
 */
export function keyak2005Softening(rhoAsh: ArrayLike<number>, cortical?: ArrayLike<number>): PostYield {
  const n = rhoAsh.length;
  const plateauStrain = new Float64Array(n), softeningModulus = new Float64Array(n), residualFraction = new Float64Array(n);
  const S = yieldLaw("keyak2005-yield");
  for (let e = 0; e < n; e++) {
    const r = Math.max(rhoAsh[e], 1e-6);
    const cort = cortical ? cortical[e] !== 0 : r >= KEYAK2005_POST_YIELD.corticalAshDensity;
    plateauStrain[e] = KEYAK2005_POST_YIELD.plateauStrain(r, cort);
    softeningModulus[e] = KEYAK2005_POST_YIELD.softeningModulus(r, cort);
    residualFraction[e] = Math.min(1, KEYAK2005_POST_YIELD.minimumStress(r) / S.yieldStress(r));
  }
  return { kind: "softening", plateauStrain, softeningModulus, residualFraction };
}

/** Governing mode codes of {@link secantState}: 0 unstrained, 1 tension, 2 compression. */
export const MODE_NONE = 0, MODE_TENSION = 1, MODE_COMPRESSION = 2;

/**
 * Secant modulus of element `e` at principal strains eps1 (largest) and eps3 (smallest).
 * Writes into `out`: [E_s, strain ratio r, mode code, 1 if floored].
 */
export function secantState(mat: SecantMaterial, e: number, eps1: number, eps3: number, out: Float64Array): void {
  const E = mat.modulus[e];
  const rt = eps1 / mat.yieldTension[e], rc = -eps3 / mat.yieldCompression[e];
  const r = Math.max(rt, rc, 0);
  const mode = r <= 0 ? MODE_NONE : rc > rt ? MODE_COMPRESSION : MODE_TENSION;
  out[1] = r;
  out[2] = mode;
  let ratio = 1; // E_s / E
  if (r > 1) {
    const ey = mode === MODE_COMPRESSION ? mat.yieldCompression[e] : mat.yieldTension[e];
    const strain = r * ey;
    let stress = E * ey; // perfectly plastic
    const s = mat.softening;
    if (s) {
      const past = strain - ey - s.plateauStrain[e];
      if (past > 0) stress = Math.max(s.residualFraction[e] * E * ey, E * ey + s.softeningModulus[e] * past);
    }
    ratio = stress / (E * strain);
  }
  const floored = ratio < mat.floor;
  out[0] = E * (floored ? mat.floor : ratio);
  out[3] = floored ? 1 : 0;
}
