/**
 * The load side of the factor of risk: the peak force on the greater trochanter in a sideways fall
 * from standing height, and Φ = F_fall / strength (Keaveny & Bouxsein 2008, JBMR, PMC2684155 ✔:
 * fracture is expected in theory when Φ > 1).
 *
 * The fall force is the Robinovitch spring-mass impact model (bct-reference.md §5 ◇): the body's
 * effective mass `m_eff` lands on the trochanter with the velocity of a free fall of the hip from its
 * standing height, and is stopped by the pelvis and soft tissue acting as a linear spring of stiffness
 * `k`, so the peak force is
 *
 *     F = v · sqrt(k · m_eff),   v = sqrt(2 · g · h_hip),   m_eff = f_m · W,   h_hip = f_h · H
 *
 * (energy balance: ½ m_eff v² = ½ k x², F = k x). Every constant is ◇ (not re-read in the primary
 * paper, bct-reference.md "Gaps" item 3):
 * - `f_m` = 7/20 of body mass (van den Kroonenberg et al. 1995, J Biomech Eng 117:309 ◇);
 * - `k` = 80 kN/m, the middle of the 70-90 kN/m range quoted for the pelvic impact stiffness
 *   (Robinovitch et al. 1991, J Biomech Eng 113:366 ◇);
 * - `f_h` = 0.53 of stature, the height of the greater trochanter (hip joint) above the floor in the
 *   Drillis & Contini segment proportions (as tabulated in Winter, Biomechanics and Motor Control of
 *   Human Movement ◇).
 *
 * For 70 kg and 170 cm this gives 5.9 kN, the order of the 4.0 ± 1.7 kN measured in young adults
 * falling onto a mat (Lim & Choi 2020 ✔; a mat and young, protective falls lower the force).
 *
 * Why not the simplified height/weight form F ≈ 8.25 · W · (H / 170 cm)^0.5 N quoted from Riggs 2006
 * (bct-reference.md §5, "verify the constants before use")? Its units could not be confirmed: read
 * with W in kg it gives 578 N for 70 kg, an order of magnitude below measured hip impact forces; read
 * with W as a weight in newtons (kg × g) it gives 5.7 kN, close to the spring-mass value above, which
 * suggests that reading, but no source at hand says so. bct therefore uses the spring-mass model,
 * whose physics is explicit and whose constants are each documented (◇).
 *
 * Optional soft-tissue attenuation: F_att = F − 71 N/mm × trochanteric soft-tissue thickness
 * (Robinovitch 1995, as used by Bouxsein / Dufour 2011 ◇), floored at 0.
 * @module
 */
import { BctError } from "../errors.js";

/** A bad input to the fall-force or factor-of-risk model. */
export class FallModelError extends BctError {
  override name = "FallModelError";
}

/** Standard gravity (m/s²), by definition (CGPM 1901). */
export const STANDARD_GRAVITY = 9.80665;

/**
 * Constants of the spring-mass fall model, each with its source (all ◇, bct-reference.md §5 and
 * "Gaps" item 3).
 */
export const SPRING_MASS_FALL = {
  /** Effective mass / body mass: 7/20 (van den Kroonenberg et al. 1995 ◇). */
  effectiveMassFraction: 7 / 20,
  /** Pelvic impact stiffness (N/m): the middle of the quoted 70-90 kN/m (Robinovitch et al. 1991 ◇). */
  stiffnessNPerM: 80_000,
  /** Hip (greater trochanter) height / stature: 0.53 (Drillis & Contini proportions, via Winter ◇). */
  hipHeightFraction: 0.53,
  /** Force attenuation per mm of trochanteric soft tissue (N/mm): 71 (Robinovitch 1995 ◇). */
  attenuationNPerMm: 71,
} as const;

/** Options of {@link fallForceN}; every default is in {@link SPRING_MASS_FALL}. */
export interface FallForceOptions {
  effectiveMassFraction?: number;
  stiffnessNPerM?: number;
  hipHeightFraction?: number;
  /** Gravity (m/s²). Default {@link STANDARD_GRAVITY}. */
  gravity?: number;
  /** Trochanteric soft-tissue thickness (mm); when given, the attenuated force is returned. Default: none (peak force). */
  softTissueMm?: number;
  attenuationNPerMm?: number;
}

function positive(name: string, x: number): number {
  if (!Number.isFinite(x) || x <= 0) throw new FallModelError(`${name} must be a positive number, got ${x}`);
  return x;
}

/**
 * Peak force (N) on the greater trochanter in a sideways fall from standing height, by the
 * spring-mass model (module docs): F = sqrt(2 g f_h H) · sqrt(k f_m W).
 * @param heightCm stature (cm)
 * @param weightKg body mass (kg)
 * @example
 * ```ts
 * fallForceN(170, 70); // ≈ 5885 N: v = sqrt(2 · 9.80665 · 0.901) = 4.204 m/s, sqrt(80000 · 24.5) = 1400 kg/s
 * fallForceN(170, 70, { softTissueMm: 30 }); // ≈ 5885 − 71 · 30 = 3755 N
 * ```
 * @throws FallModelError for a non-positive height, weight or constant, or a negative soft-tissue thickness.
 */
export function fallForceN(heightCm: number, weightKg: number, opts: FallForceOptions = {}): number {
  positive("height (cm)", heightCm);
  positive("weight (kg)", weightKg);
  const fm = positive("effective mass fraction", opts.effectiveMassFraction ?? SPRING_MASS_FALL.effectiveMassFraction);
  const k = positive("stiffness (N/m)", opts.stiffnessNPerM ?? SPRING_MASS_FALL.stiffnessNPerM);
  const fh = positive("hip height fraction", opts.hipHeightFraction ?? SPRING_MASS_FALL.hipHeightFraction);
  const g = positive("gravity", opts.gravity ?? STANDARD_GRAVITY);
  const v = Math.sqrt(2 * g * fh * (heightCm / 100));
  const peak = v * Math.sqrt(k * fm * weightKg);
  if (opts.softTissueMm === undefined) return peak;
  if (!Number.isFinite(opts.softTissueMm) || opts.softTissueMm < 0) {
    throw new FallModelError(`soft-tissue thickness must be a number of mm >= 0, got ${opts.softTissueMm}`);
  }
  const a = positive("attenuation (N/mm)", opts.attenuationNPerMm ?? SPRING_MASS_FALL.attenuationNPerMm);
  return Math.max(0, peak - a * opts.softTissueMm);
}

/**
 * The factor of risk Φ = F_fall / strength (Keaveny & Bouxsein 2008 ✔): above 1, the fall load
 * exceeds the bone's strength.
 * @example
 * ```ts
 * factorOfRisk(5885, 3000); // 1.962
 * ```
 * @throws FallModelError for a non-positive strength or a negative or non-finite force.
 */
export function factorOfRisk(fallN: number, strengthN: number): number {
  if (!Number.isFinite(fallN) || fallN < 0) throw new FallModelError(`a fall force must be a number of newtons >= 0, got ${fallN}`);
  positive("strength (N)", strengthN);
  return fallN / strengthN;
}
