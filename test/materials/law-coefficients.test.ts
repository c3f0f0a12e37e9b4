import { describe, expect, it } from "vitest";
import { KEYAK2005_POST_YIELD, modulusLaw, yieldLaw } from "../../lib/materials/laws.js";

/**
 * The law coefficients against the papers' values, evaluated at two densities each so that both the
 * coefficient and the exponent are pinned (a halved coefficient or a changed exponent fails).
 * Morgan, Bayraktar & Keaveny 2003 (J Biomech 36:897), Table 2, E (MPa) with rho_app (g/cm3);
 * Keyak et al. 2005 (Clin Orthop 437:219) with rho_ash (g/cm3), bct-reference.md §2.
 */
const POWER_LAWS: [string, number, number][] = [
  ["morgan2003-femoral-neck", 6850, 1.49],
  ["morgan2003-vertebra", 4730, 1.56],
  ["morgan2003-trochanter", 15010, 2.18],
  ["morgan2003-tibia", 15520, 1.93],
  ["morgan2003-pooled", 8920, 1.83],
  ["keyak2005", 14900, 1.86],
  ["keller1994", 10500, 2.29],
];

describe("modulus law coefficients (paper values)", () => {
  for (const [id, a, b] of POWER_LAWS) {
    it(`${id}: E = ${a} rho^${b}`, () => {
      const law = modulusLaw(id);
      expect(law.modulus(1) / a).toBeCloseTo(1, 12);
      expect(law.modulus(0.5) / (a * Math.pow(0.5, b))).toBeCloseTo(1, 12);
      expect(law.modulus(0.2) / (a * Math.pow(0.2, b))).toBeCloseTo(1, 12);
    });
  }
  it("Kopperdahl 2002 (as coded in Ogo): E = -34.7 + 3.230 rhoK", () => {
    const law = modulusLaw("kopperdahl2002");
    expect(law.modulus(100)).toBeCloseTo(-34.7 + 323, 9);
    expect(law.modulus(200)).toBeCloseTo(-34.7 + 646, 9);
  });
});

describe("Keyak 2005 yield and post-yield coefficients", () => {
  it("yield stress S = 102 rho^1.80, sigma_min = 43.1 rho^1.81", () => {
    const y = yieldLaw("keyak2005-yield");
    expect(y.yieldStress(1)).toBeCloseTo(102, 9);
    expect(y.yieldStress(0.5)).toBeCloseTo(102 * Math.pow(0.5, 1.8), 9);
    expect(KEYAK2005_POST_YIELD.minimumStress(1)).toBeCloseTo(43.1, 9);
    expect(KEYAK2005_POST_YIELD.minimumStress(0.5)).toBeCloseTo(43.1 * Math.pow(0.5, 1.81), 9);
  });
  it("plateau eps_AB = 0.00189 + 0.0241 rho (trabecular), 0.0184 - 0.0100 rho (cortical); E_p = -2080 rho^1.45 / -1000 MPa", () => {
    expect(KEYAK2005_POST_YIELD.plateauStrain(0.5, false)).toBeCloseTo(0.00189 + 0.0241 * 0.5, 12);
    expect(KEYAK2005_POST_YIELD.plateauStrain(1, false)).toBeCloseTo(0.00189 + 0.0241, 12);
    expect(KEYAK2005_POST_YIELD.plateauStrain(1, true)).toBeCloseTo(0.0184 - 0.01, 12);
    expect(KEYAK2005_POST_YIELD.softeningModulus(0.5, false)).toBeCloseTo(-2080 * Math.pow(0.5, 1.45), 9);
    expect(KEYAK2005_POST_YIELD.softeningModulus(1, true)).toBe(-1000);
  });
  it("Morgan & Keaveny yield splices (DXA-FE): compression 85.5 rho^2.26 / 38.5 rho^1.48, tension 50.1 rho^2.04 / 22.6 rho^1.26", () => {
    const c = yieldLaw("morgan-keaveny-compression"), t = yieldLaw("morgan-keaveny-tension");
    expect(c.yieldStress(0.3)).toBeCloseTo(85.5 * Math.pow(0.3, 2.26), 9);
    expect(c.yieldStress(0.6)).toBeCloseTo(38.5 * Math.pow(0.6, 1.48), 9);
    expect(t.yieldStress(0.3)).toBeCloseTo(50.1 * Math.pow(0.3, 2.04), 9);
    expect(t.yieldStress(0.6)).toBeCloseTo(22.6 * Math.pow(0.6, 1.26), 9);
  });
});
