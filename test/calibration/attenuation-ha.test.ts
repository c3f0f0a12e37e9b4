import { describe, expect, it } from "vitest";
import { ATTENUATION_ENERGIES_KEV, PHYSICAL_DENSITY, massAttenuation } from "../../lib/calibration/attenuation.js";

/**
 * NIST Table 3 (Hubbell & Seltzer 2004, NIST SRD 126) mu/rho at 60 keV, cm2/g, typed in here so the
 * test does not read the module's own table. H, C, O, P, Ca as in lib/calibration/attenuation.ts;
 * N, Na, Mg, S (needed only for cortical bone) from the same table.
 */
const NIST_60: Record<string, number> = { H: 0.326, C: 0.1753, N: 0.1817, O: 0.1907, Na: 0.2268, Mg: 0.257, P: 0.3494, S: 0.4053, Ca: 0.6578 };
/** IUPAC standard atomic weights. */
const AW: Record<string, number> = { H: 1.008, O: 15.999, P: 30.974, Ca: 40.078 };

describe("calcium and hydroxyapatite attenuation", () => {
  it("HA by the mixture rule at 60 keV equals a hand computation from the element values and mass fractions", () => {
    // Ca10(PO4)6(OH)2: 10 Ca, 6 P, 26 O, 2 H; M = 1004.61 g/mol
    const n = { Ca: 10, P: 6, O: 26, H: 2 };
    const M = Object.entries(n).reduce((s, [el, k]) => s + AW[el] * k, 0);
    expect(M).toBeCloseTo(1004.614, 3);
    const w = Object.fromEntries(Object.entries(n).map(([el, k]) => [el, (AW[el] * k) / M]));
    expect(w.Ca).toBeCloseTo(0.39894, 5); // 39.9% calcium by mass
    const hand = Object.entries(w).reduce((s, [el, f]) => s + f * NIST_60[el], 0);
    // 0.39894 x 0.6578 + 0.18499 x 0.3494 + 0.41406 x 0.1907 + 0.00201 x 0.326 = 0.40667 cm2/g
    expect(hand).toBeCloseTo(0.40667, 5);
    expect(massAttenuation("hydroxyapatite", 60)).toBeCloseTo(hand, 10);
    // HA attenuates more per gram than K2HPO4 at 60 keV (0.3890; Ca 20 vs K 19, 40% vs 45% by mass)
    expect(massAttenuation("hydroxyapatite", 60)).toBeGreaterThan(massAttenuation("k2hpo4", 60));
  });

  it("the mixture rule with the calcium column reproduces NIST Table 4's ICRU-44 cortical bone (published value)", () => {
    // ICRU-44 cortical bone, NIST Table 2 (fractions by weight): H .034 C .155 N .042 O .435 Na .001
    // Mg .002 P .103 S .003 Ca .225; NIST Table 4 gives mu/rho = 0.3148 cm2/g at 60 keV.
    const w = { H: 0.034, C: 0.155, N: 0.042, O: 0.435, Na: 0.001, Mg: 0.002, P: 0.103, S: 0.003, Ca: 0.225 };
    const mix = Object.entries(w).reduce((s, [el, f]) => s + f * NIST_60[el], 0);
    expect(mix).toBeCloseTo(0.3148, 4); // 0.31479
    expect(massAttenuation("corticalBone", 60)).toBe(0.3148);
    // calcium carries 47% of cortical bone's attenuation at 60 keV: a wrong Ca value would show here
    expect((0.225 * NIST_60.Ca) / mix).toBeGreaterThan(0.45);
    // the same check on the whole 10-200 keV grid with the module's calcium column, recovered from its
    // HA column: within 0.1% of NIST Table 4 at every energy (measured: within 0.04%)
    const others = { N: [3.879, 1.236, 0.6178, 0.3066, 0.2288, 0.198, 0.1817, 0.1639, 0.1529, 0.1353, 0.1233], Na: [15.57, 4.694, 2.057, 0.7197, 0.3969, 0.2804, 0.2268, 0.1796, 0.1585, 0.1335, 0.1199], Mg: [21.05, 6.358, 2.763, 0.9306, 0.4881, 0.3292, 0.257, 0.1951, 0.1686, 0.1394, 0.1245], S: [50.12, 15.5, 6.708, 2.113, 0.9872, 0.5849, 0.4053, 0.2585, 0.202, 0.1506, 0.1302] };
    const H = [0.3854, 0.3764, 0.3695, 0.357, 0.3458, 0.3355, 0.326, 0.3091, 0.2944, 0.2651, 0.2429];
    const C = [2.373, 0.8071, 0.442, 0.2562, 0.2076, 0.1871, 0.1753, 0.161, 0.1514, 0.1347, 0.1229];
    const O = [5.952, 1.836, 0.8651, 0.3779, 0.2585, 0.2132, 0.1907, 0.1678, 0.1551, 0.1361, 0.1237];
    const P = [40.35, 12.39, 5.352, 1.7, 0.8096, 0.4916, 0.3494, 0.2324, 0.1865, 0.1432, 0.125];
    ATTENUATION_ENERGIES_KEV.forEach((E, e) => {
      // Ca recovered from the module's HA column: (mu_HA - w_P mu_P - w_O mu_O - w_H mu_H) / w_Ca
      const M = 1004.614, wCa = 400.78 / M, wP = 185.844 / M, wO = 415.974 / M, wH = 2.016 / M;
      const ca = (massAttenuation("hydroxyapatite", E) - wP * P[e] - wO * O[e] - wH * H[e]) / wCa;
      const bone = 0.034 * H[e] + 0.155 * C[e] + 0.042 * others.N[e] + 0.435 * O[e] + 0.001 * others.Na[e] + 0.002 * others.Mg[e] + 0.103 * P[e] + 0.003 * others.S[e] + 0.225 * ca;
      expect(Math.abs(bone / massAttenuation("corticalBone", E) - 1)).toBeLessThan(0.001);
    });
  });

  it("HA's density is the one calculated from its unit cell", () => {
    // hexagonal cell a = 9.41 Å, c = 6.88 Å, Z = 2 formula units Ca5(PO4)3OH of 502.31 g/mol
    const volumeCm3 = (Math.sqrt(3) / 2) * 9.41 ** 2 * 6.88 * 1e-24;
    const massG = (2 * 502.31) / 6.02214076e23;
    expect(massG / volumeCm3).toBeCloseTo(3.16, 2); // 3.162
    expect(PHYSICAL_DENSITY.hydroxyapatite).toBe(3.16);
  });
});
