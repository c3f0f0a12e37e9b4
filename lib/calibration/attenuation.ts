/**
 * Photon mass attenuation coefficients (mu/rho, cm2/g, coherent scattering included) of the
 * reference tissues and calibration materials used by the internal (phantomless) calibration, and
 * their interpolation in energy.
 *
 * Sources (tabulated physical data, reproduced as facts):
 * - Tissues and water: Hubbell JH, Seltzer SM (2004), *Tables of X-Ray Mass Attenuation Coefficients
 *   and Mass Energy-Absorption Coefficients*, NIST Standard Reference Database 126 (NISTIR 5632),
 *   Table 4: "Adipose Tissue (ICRU-44)", "Air, Dry (near sea level)", "Blood, Whole (ICRU-44)",
 *   "Bone, Cortical (ICRU-44)", "Muscle, Skeletal (ICRU-44)", "Water, Liquid". The same values are
 *   used by Bonelab Ogo's internal calibration (Michalski et al. 2020, Med Eng Phys 78:55).
 * - Compounds: K2HPO4, triglyceride (C55H98O6) and hydroxyapatite (HA, Ca10(PO4)6(OH)2) by the
 *   mixture rule mu/rho = sum w_i (mu/rho)_i over the elements H, C, O, P, K, Ca of Hubbell & Seltzer
 *   Table 3 (standard atomic weights). At 60 keV this gives 0.3890 (K2HPO4) and 0.1944 cm2/g
 *   (triglyceride), equal to NIST XCOM to the 4th digit, and 0.4067 cm2/g (HA); the same rule over
 *   the ICRU-44 cortical-bone composition reproduces NIST Table 4's 0.3148 cm2/g (checked in the
 *   tests, which is what validates the calcium column).
 * - Calcium (Z = 20), Table 3: 93.41, 29.79, 13.06, 4.080, 1.830, 1.019, 0.6578, 0.3656, 0.2571,
 *   0.1674, 0.1376 cm2/g on the grid below, read from two independent transcriptions of the NIST
 *   table (github.com/ehsteve/roentgen `roentgen/data/elements/z20.csv`, whose K column equals ours
 *   digit for digit, and an R table of NIST XCOM atom coefficients) that agree digit for digit.
 * - Physical densities: ICRU Report 44/46 as listed in the same NIST Table 2 (adipose 0.95, blood
 *   1.06, cortical bone 1.92, skeletal muscle 1.05, air 0.001205, water 1.00 g/cm3). Minerals: HA
 *   3.16 g/cm3, the density calculated from its hexagonal unit cell (a = 9.41 Å, c = 6.88 Å, Z = 2
 *   formula units Ca5(PO4)3OH of 502.31 g/mol; measured 3.14-3.21), as in the mineralogical data
 *   quoted by Wikipedia "Hydroxyapatite" ◇ (the unit-cell arithmetic is checked in the tests);
 *   K2HPO4 2.44 g/cm3 (anhydrous crystal, Wikipedia "Dipotassium phosphate" ◇).
 *
 * Only the standard energy grid from 10 to 200 keV is kept: every material is free of absorption
 * edges there (the K edges of P, K and Ca lie below 4.1 keV), so log-log interpolation between grid
 * points is smooth and accurate, and clinical CT effective energies (about 40 to 90 keV) lie well
 * inside it.
 *
 * @example
 * ```ts
 * import { massAttenuation } from "bct/lib/calibration/attenuation";
 * massAttenuation("water", 60); // 0.2059 cm2/g
 * massAttenuation("k2hpo4", 70); // log-log interpolated between 60 and 80 keV
 * massAttenuation("hydroxyapatite", 60); // 0.4067 cm2/g
 * ```
 * @module
 */
import { CalibrationError } from "./fit.js";

/** Materials with tabulated mass attenuation. */
export type AttenuationMaterial = "air" | "adipose" | "muscle" | "blood" | "corticalBone" | "water" | "k2hpo4" | "triglyceride" | "hydroxyapatite";

/** The energy grid of the tables (keV). */
export const ATTENUATION_ENERGIES_KEV: readonly number[] = [10, 15, 20, 30, 40, 50, 60, 80, 100, 150, 200];

/** NIST Table 4 (ICRU-44 tissues, air, water): mu/rho in cm2/g on {@link ATTENUATION_ENERGIES_KEV}. */
const TISSUE_TABLES: Record<"air" | "adipose" | "muscle" | "blood" | "corticalBone" | "water", readonly number[]> = {
  adipose: [3.268, 1.083, 0.5677, 0.3063, 0.2396, 0.2123, 0.1974, 0.18, 0.1688, 0.15, 0.1368],
  air: [5.12, 1.614, 0.7779, 0.3538, 0.2485, 0.208, 0.1875, 0.1662, 0.1541, 0.1356, 0.1233],
  blood: [5.519, 1.744, 0.8428, 0.3852, 0.2715, 0.2278, 0.2057, 0.1827, 0.1695, 0.1492, 0.1358],
  corticalBone: [28.51, 9.032, 4.001, 1.331, 0.6655, 0.4242, 0.3148, 0.2229, 0.1855, 0.148, 0.1309],
  muscle: [5.356, 1.693, 0.8205, 0.3783, 0.2685, 0.2262, 0.2048, 0.1823, 0.1693, 0.1492, 0.1358],
  water: [5.329, 1.673, 0.8096, 0.3756, 0.2683, 0.2269, 0.2059, 0.1837, 0.1707, 0.1505, 0.137],
};

/** NIST Table 3 (elements): mu/rho in cm2/g on {@link ATTENUATION_ENERGIES_KEV}. */
const ELEMENT_TABLES: Record<"H" | "C" | "O" | "P" | "K" | "Ca", readonly number[]> = {
  H: [0.3854, 0.3764, 0.3695, 0.357, 0.3458, 0.3355, 0.326, 0.3091, 0.2944, 0.2651, 0.2429],
  C: [2.373, 0.8071, 0.442, 0.2562, 0.2076, 0.1871, 0.1753, 0.161, 0.1514, 0.1347, 0.1229],
  O: [5.952, 1.836, 0.8651, 0.3779, 0.2585, 0.2132, 0.1907, 0.1678, 0.1551, 0.1361, 0.1237],
  P: [40.35, 12.39, 5.352, 1.7, 0.8096, 0.4916, 0.3494, 0.2324, 0.1865, 0.1432, 0.125],
  K: [79.07, 25.03, 10.93, 3.413, 1.541, 0.8679, 0.5678, 0.3251, 0.2345, 0.1582, 0.1319],
  Ca: [93.41, 29.79, 13.06, 4.08, 1.83, 1.019, 0.6578, 0.3656, 0.2571, 0.1674, 0.1376],
};

/** Standard atomic weights (IUPAC, abridged; Ca 40.078). */
const ATOMIC_WEIGHT: Record<keyof typeof ELEMENT_TABLES, number> = { H: 1.008, C: 12.011, O: 15.999, P: 30.974, K: 39.098, Ca: 40.078 };

/** mu/rho of a compound from its formula (atoms per formula unit) by the mixture rule. */
function compoundTable(formula: Partial<Record<keyof typeof ELEMENT_TABLES, number>>): number[] {
  const entries = Object.entries(formula) as [keyof typeof ELEMENT_TABLES, number][];
  const molar = entries.reduce((s, [el, n]) => s + ATOMIC_WEIGHT[el] * n, 0);
  return ATTENUATION_ENERGIES_KEV.map((_, e) => entries.reduce((s, [el, n]) => s + ((ATOMIC_WEIGHT[el] * n) / molar) * ELEMENT_TABLES[el][e], 0));
}

const TABLES: Record<AttenuationMaterial, readonly number[]> = {
  ...TISSUE_TABLES,
  k2hpo4: compoundTable({ K: 2, H: 1, P: 1, O: 4 }),
  triglyceride: compoundTable({ C: 55, H: 98, O: 6 }),
  hydroxyapatite: compoundTable({ Ca: 10, P: 6, O: 26, H: 2 }),
};

/**
 * Physical (mass) densities, g/cm3: ICRU-44/46 reference tissues as in NIST Table 2. K2HPO4,
 * triglyceride and hydroxyapatite are given for completeness (K2HPO4 crystal 2.44 ◇; triolein about
 * 0.91 ◇; HA 3.16 from its unit cell, see the module notes).
 */
export const PHYSICAL_DENSITY: Readonly<Record<AttenuationMaterial, number>> = {
  air: 0.001205,
  adipose: 0.95,
  muscle: 1.05,
  blood: 1.06,
  corticalBone: 1.92,
  water: 1.0,
  k2hpo4: 2.44,
  triglyceride: 0.91,
  hydroxyapatite: 3.16,
};

/**
 * mu/rho (cm2/g) of `material` at `energyKeV`, log-log interpolated on the 10-200 keV grid.
 * @throws CalibrationError outside 10-200 keV.
 */
export function massAttenuation(material: AttenuationMaterial, energyKeV: number): number {
  const E = ATTENUATION_ENERGIES_KEV;
  if (!(energyKeV >= E[0] && energyKeV <= E[E.length - 1])) {
    throw new CalibrationError(`mass attenuation is tabulated from ${E[0]} to ${E[E.length - 1]} keV; ${energyKeV} keV is outside`);
  }
  const t = TABLES[material];
  let i = 0;
  while (i < E.length - 2 && energyKeV > E[i + 1]) i++;
  const f = Math.log(energyKeV / E[i]) / Math.log(E[i + 1] / E[i]);
  return Math.exp(Math.log(t[i]) + f * (Math.log(t[i + 1]) - Math.log(t[i])));
}

/** Linear attenuation (1/cm) of a material at its ICRU density: rho * mu/rho. */
export function linearAttenuation(material: AttenuationMaterial, energyKeV: number, density = PHYSICAL_DENSITY[material]): number {
  return density * massAttenuation(material, energyKeV);
}

/**
 * Theoretical CT number of a material at a monoenergetic effective energy:
 * HU = 1000 (mu - mu_water) / mu_water (Hounsfield scale, water at 1 g/cm3).
 * @example
 * ```ts
 * theoreticalHu("adipose", 60); // about -89 HU
 * ```
 */
export function theoreticalHu(material: AttenuationMaterial, energyKeV: number, density = PHYSICAL_DENSITY[material]): number {
  const muW = massAttenuation("water", energyKeV);
  return (1000 * (density * massAttenuation(material, energyKeV) - muW)) / muW;
}
