/**
 * The catalogue of density -> elastic modulus and density -> yield stress laws for bone, each with
 * its input density measure, validity site and citation. Every published coefficient lives here,
 * once; the rest of bct refers to a law by its `id`.
 *
 * Sources: `shared/reference/bct-reference.md` §2 and its implementation defaults. `confidence` is
 * "verified" where the reference marks the number as read in a primary or directly citing source
 * (✔), "unverified" where it is from a secondary source (◇) and should be checked before it is
 * relied on clinically.
 *
 * @example
 * ```ts
 * import { modulusLaw } from "bct/lib/materials/laws";
 * const law = modulusLaw("morgan2003-femoral-neck");
 * law.modulus(0.5); // E (MPa) at rhoApp = 0.5 g/cm3: 6850 * 0.5^1.49
 * ```
 * @module
 */
import { BctError } from "../errors.js";
import type { DensityMeasure } from "../calibration/density.js";

/** A density -> Young's modulus law. */
export interface ModulusLaw {
  id: string;
  /** Short display name. */
  name: string;
  /** The density measure the law takes (units in `DENSITY_UNITS`). */
  input: DensityMeasure;
  /** Anatomical site the law was fitted on. */
  site: string;
  formula: string;
  citation: string;
  confidence: "verified" | "unverified";
  /** Young's modulus (MPa) at density `rho` in the law's input measure. */
  modulus(rho: number): number;
}

/** A density -> yield stress law (magnitude, MPa). */
export interface YieldLaw {
  id: string;
  name: string;
  input: DensityMeasure;
  /** Loading mode the law describes. */
  mode: "compression" | "tension";
  site: string;
  formula: string;
  citation: string;
  confidence: "verified" | "unverified";
  /** Yield stress magnitude (MPa) at density `rho`. */
  yieldStress(rho: number): number;
}

/** Power law a * rho^b for rho > 0, 0 otherwise (a non-positive density carries no stiffness). */
const power = (a: number, b: number) => (rho: number) => (rho > 0 ? a * Math.pow(rho, b) : 0);

const MORGAN2003 = "Morgan EF, Bayraktar HH, Keaveny TM 2003, J Biomech 36:897-904";

/** The modulus law catalogue. */
export const MODULUS_LAWS: readonly ModulusLaw[] = [
  {
    id: "morgan2003-femoral-neck",
    name: "Morgan 2003, femoral neck",
    input: "rhoApp",
    site: "femoral neck",
    formula: "E = 6850 * rhoApp^1.49",
    citation: MORGAN2003,
    confidence: "verified",
    modulus: power(6850, 1.49),
  },
  {
    id: "morgan2003-vertebra",
    name: "Morgan 2003, vertebra",
    input: "rhoApp",
    site: "vertebra",
    formula: "E = 4730 * rhoApp^1.56",
    citation: MORGAN2003,
    confidence: "verified",
    modulus: power(4730, 1.56),
  },
  {
    id: "morgan2003-trochanter",
    name: "Morgan 2003, greater trochanter",
    input: "rhoApp",
    site: "greater trochanter",
    formula: "E = 15010 * rhoApp^2.18",
    citation: MORGAN2003,
    confidence: "unverified",
    modulus: power(15010, 2.18),
  },
  {
    id: "morgan2003-tibia",
    name: "Morgan 2003, proximal tibia",
    input: "rhoApp",
    site: "proximal tibia",
    formula: "E = 15520 * rhoApp^1.93",
    citation: MORGAN2003,
    confidence: "unverified",
    modulus: power(15520, 1.93),
  },
  {
    id: "morgan2003-pooled",
    name: "Morgan 2003, pooled sites",
    input: "rhoApp",
    site: "pooled",
    formula: "E = 8920 * rhoApp^1.83",
    citation: MORGAN2003,
    confidence: "unverified",
    modulus: power(8920, 1.83),
  },
  {
    id: "keyak2005",
    name: "Keyak 2005",
    input: "rhoAsh",
    site: "proximal femur",
    formula: "E = 14900 * rhoAsh^1.86",
    citation: "Keyak JH et al. 2005, Clin Orthop Relat Res 437:219-228 (constants as in the open re-implementation by A. Sas 2019)",
    confidence: "verified",
    modulus: power(14900, 1.86),
  },
  {
    id: "keller1994",
    name: "Keller 1994, femur and spine pooled",
    input: "rhoAsh",
    site: "femur and spine",
    formula: "E = 10500 * rhoAsh^2.29",
    citation: "Keller TS 1994, J Biomech 27:1159-1168 (Bonelab Ogo legacy hip default)",
    confidence: "unverified",
    modulus: power(10500, 2.29),
  },
  {
    id: "kopperdahl2002",
    name: "Kopperdahl 2002, vertebral trabecular bone",
    input: "rhoK",
    site: "vertebra",
    formula: "E = -34.7 + 3.230 * rhoK (rhoK in mg/cm3)",
    citation: "Kopperdahl DL, Morgan EF, Keaveny TM 2002, J Orthop Res 20:801; Crawford RP et al. 2003, Bone 33:744 (as coded in Bonelab Ogo)",
    confidence: "verified",
    modulus: (k) => Math.max(0, -34.7 + 3.23 * k),
  },
  {
    id: "mechanical-finder",
    name: "Keyak/Keller piecewise (Mechanical Finder)",
    input: "rhoAsh",
    site: "proximal femur",
    formula: "E = 33900 rho^2.20 (rho <= 0.27); 5307 rho + 469 (0.27 < rho < 0.6); 10200 rho^2.01 (rho >= 0.6)",
    citation: "Bessho M et al. 2007, J Biomech 40:1745 (Keyak 1994 / Keller 1994 splice); unverified",
    confidence: "unverified",
    modulus: (r) => (r <= 0 ? 0 : r <= 0.27 ? 33900 * Math.pow(r, 2.2) : r < 0.6 ? 5307 * r + 469 : 10200 * Math.pow(r, 2.01)),
  },
];

/** The yield law catalogue. */
export const YIELD_LAWS: readonly YieldLaw[] = [
  {
    id: "keyak2005-yield",
    name: "Keyak 2005 yield stress",
    input: "rhoAsh",
    mode: "compression",
    site: "proximal femur",
    formula: "S = 102 * rhoAsh^1.80",
    citation: "Keyak JH et al. 2005, Clin Orthop Relat Res 437:219-228 (constants as in A. Sas 2019)",
    confidence: "verified",
    yieldStress: power(102, 1.8),
  },
  {
    id: "morgan-keaveny-compression",
    name: "Morgan/Keaveny compressive yield (spliced)",
    input: "rhoApp",
    mode: "compression",
    site: "proximal femur",
    formula: "sigma_yc = 85.5 rhoApp^2.26 (rhoApp <= 0.355); 38.5 rhoApp^1.48 otherwise",
    citation: "Morgan & Keaveny 2001 / Morgan 2003 as spliced in DXA-FE work (secondary)",
    confidence: "unverified",
    yieldStress: (r) => (r <= 0 ? 0 : r <= 0.355 ? 85.5 * Math.pow(r, 2.26) : 38.5 * Math.pow(r, 1.48)),
  },
  {
    id: "morgan-keaveny-tension",
    name: "Morgan/Keaveny tensile yield (spliced)",
    input: "rhoApp",
    mode: "tension",
    site: "proximal femur",
    formula: "sigma_yt = 50.1 rhoApp^2.04 (rhoApp <= 0.355); 22.6 rhoApp^1.26 otherwise",
    citation: "Morgan & Keaveny 2001 / Morgan 2003 as spliced in DXA-FE work (secondary)",
    confidence: "unverified",
    yieldStress: (r) => (r <= 0 ? 0 : r <= 0.355 ? 50.1 * Math.pow(r, 2.04) : 22.6 * Math.pow(r, 1.26)),
  },
  {
    id: "kopperdahl2002-yield",
    name: "Kopperdahl 2002 compressive yield",
    input: "rhoApp",
    mode: "compression",
    site: "vertebra",
    formula: "sigma_yc = 37.4 * rhoApp^1.39",
    citation: "Kopperdahl & Keaveny 1998 / Kopperdahl 2002 as coded in Bonelab Ogo (paper unverified)",
    confidence: "unverified",
    yieldStress: power(37.4, 1.39),
  },
];

/** An unknown law id. */
export class MaterialLawError extends BctError {
  override name = "MaterialLawError";
}

/** The modulus law with this id. @throws MaterialLawError listing the known ids. */
export function modulusLaw(id: string): ModulusLaw {
  const law = MODULUS_LAWS.find((l) => l.id === id);
  if (!law) throw new MaterialLawError(`unknown modulus law "${id}"; known: ${MODULUS_LAWS.map((l) => l.id).join(", ")}`);
  return law;
}

/** The yield law with this id. @throws MaterialLawError listing the known ids. */
export function yieldLaw(id: string): YieldLaw {
  const law = YIELD_LAWS.find((l) => l.id === id);
  if (!law) throw new MaterialLawError(`unknown yield law "${id}"; known: ${YIELD_LAWS.map((l) => l.id).join(", ")}`);
  return law;
}

/**
 * Keyak 2005 post-yield behaviour of bone as functions of ash density (g/cm3): elastic, perfectly
 * plastic at the yield stress S over a plateau strain eps_AB, linear softening at E_p down to
 * sigma_min, then perfectly plastic (bct-reference.md §2 ✔, constants as in the open
 * re-implementation by A. Sas 2019; check them in Clin Orthop Relat Res 437:219 before clinical use).
 * Keyak treats bone with rhoAsh >= 0.8 g/cm3 as cortical (◇).
 */
export const KEYAK2005_POST_YIELD = {
  citation: "Keyak JH et al. 2005, Clin Orthop Relat Res 437:219-228 (constants as in A. Sas 2019)",
  corticalAshDensity: 0.8,
  /** Plastic plateau length eps_AB. */
  plateauStrain: (rhoAsh: number, cortical: boolean) => (cortical ? Math.max(0, 0.0184 - 0.01 * rhoAsh) : 0.00189 + 0.0241 * rhoAsh),
  /** Softening modulus E_p (MPa, negative). */
  softeningModulus: (rhoAsh: number, cortical: boolean) => (cortical ? -1000 : -2080 * Math.pow(rhoAsh, 1.45)),
  /** Minimum (residual) stress sigma_min (MPa). */
  minimumStress: (rhoAsh: number) => 43.1 * Math.pow(rhoAsh, 1.81),
} as const;
