import { describe, expect, it } from "vitest";
import { massAttenuation } from "../../lib/calibration/attenuation.js";
import { conversionPath, DensityConversionError, mineralConversion, mineralEquivalent } from "../../lib/calibration/density.js";
import { CalibrationError, fitCalibration, huToDensity } from "../../lib/calibration/fit.js";

/**
 * By hand from NIST Table 3/4 (Hubbell & Seltzer 2004) at 60 and 80 keV, cm2/g: water; elements H,
 * O, P, K, Ca; mixtures with IUPAC atomic weights (K2HPO4 174.174 g/mol, HA 1004.614 g/mol); 70 keV
 * by log-log interpolation between 60 and 80 keV. Displacements: K2HPO4 0.2174 (Mindways QCT Pro),
 * HA 1/3.16 (crystal density).
 */
const T = {
  60: { w: 0.2059, H: 0.326, O: 0.1907, P: 0.3494, K: 0.5678, Ca: 0.6578 },
  80: { w: 0.1837, H: 0.3091, O: 0.1678, P: 0.2324, K: 0.3251, Ca: 0.3656 },
};
const k2hpo4 = (t: (typeof T)[60]) => (2 * 39.098 * t.K + 1.008 * t.H + 30.974 * t.P + 4 * 15.999 * t.O) / 174.174;
const ha = (t: (typeof T)[60]) => (10 * 40.078 * t.Ca + 6 * 30.974 * t.P + 26 * 15.999 * t.O + 2 * 1.008 * t.H) / 1004.614;
const loglog = (a: number, b: number, E: number) => Math.exp(Math.log(a) + (Math.log(E / 60) / Math.log(80 / 60)) * (Math.log(b) - Math.log(a)));
function handFactor(E: 60 | 70 | 80, dK = 0.2174, dHA = 1 / 3.16): number {
  const at = (f: (t: (typeof T)[60]) => number) => (E === 60 ? f(T[60]) : E === 80 ? f(T[80]) : loglog(f(T[60]), f(T[80]), 70));
  const w = at((t) => t.w), k = at(k2hpo4), h = at(ha);
  return (k - w * dK) / (h - w * dHA);
}

describe("K2HPO4 <-> HA at the effective energy", () => {
  it("equals the hand computation at 60 and 70 keV (and 80)", () => {
    // 60 keV: K2HPO4 0.38901, HA 0.40667, water 0.2059 -> (1.88929 - 0.2174) / (1.97508 - 0.31646) = 1.0080
    expect(handFactor(60)).toBeCloseTo(1.008, 4);
    expect(mineralEquivalent(100, "rhoK", "rhoHA", 60)).toBeCloseTo(100 * handFactor(60), 9);
    // 70 keV: K2HPO4 0.30743, HA 0.31930, water 0.19369 -> 1.0283
    expect(handFactor(70)).toBeCloseTo(1.0283, 4);
    expect(mineralEquivalent(100, "rhoK", "rhoHA", 70)).toBeCloseTo(100 * handFactor(70), 9);
    expect(mineralConversion("rhoK", "rhoHA", 80).factor).toBeCloseTo(handFactor(80), 9); // 1.0497
    // without any displacement, and with the crystal volume of K2HPO4 (2.44 g/cm3): how much d matters
    expect(mineralEquivalent(100, "rhoK", "rhoHA", 70, { waterDisplacement: { rhoK: 0, rhoHA: 0 } })).toBeCloseTo(100 * handFactor(70, 0, 0), 9); // 96.28
    expect(mineralEquivalent(100, "rhoK", "rhoHA", 70, { waterDisplacement: { rhoK: 1 / 2.44 } })).toBeCloseTo(100 * handFactor(70, 1 / 2.44), 9); // 88.39
    // the synthetic phantoms' convention (K2HPO4 in an ideal water base, d_K = 0)
    expect(mineralEquivalent(100, "rhoK", "rhoHA", 70, { waterDisplacement: { rhoK: 0 } })).toBeCloseTo(100 * handFactor(70, 0), 9); // 119.15
  });

  it("is linear through 0, inverts exactly, records its model, and stays within Goodsitt 1992's dual-energy range", () => {
    const c = mineralConversion("rhoK", "rhoHA", 70);
    const back = mineralConversion("rhoHA", "rhoK", 70);
    expect(c.convert(0)).toBe(0);
    expect(back.convert(c.convert(137))).toBeCloseTo(137, 10);
    expect(c.factor * back.factor).toBeCloseTo(1, 12);
    expect(mineralEquivalent(42, "rhoHA", "rhoHA", 70)).toBe(42);
    expect(c.formula).toMatch(/^rhoHA = 1\.0283 \* rhoK \(attenuation equivalence at 70 keV/);
    expect(c.confidence).toBe("unverified");
    expect(c.waterDisplacement).toEqual({ rhoK: 0.2174, rhoHA: 1 / 3.16 });
    expect(c.effectiveEnergyKeV).toBe(70);
    // Goodsitt 1992 (Bone Miner 19:145): BMD_K2HPO4 / BMD_HA = 0.96-1.02 by dual-energy QCT
    for (const E of [55, 60, 65, 70, 75]) {
      const r = 1 / mineralConversion("rhoK", "rhoHA", E).factor;
      expect(r).toBeGreaterThan(0.96);
      expect(r).toBeLessThan(1.02);
    }
    // the old catalogue chain (Keyak 1994, then Schileo 2008 inverted) put K 100 at HA 75: far from the physics
    expect(Math.abs(c.convert(100) - (((1.06 * 0.1 + 0.0389 - 0.079) / 0.877) * 1000))).toBeGreaterThan(25);
  });

  it("an HA rod read through the K2HPO4 calibration line of the same energy converts back to its HA density", () => {
    // Forward physics, monoenergetic: a rod of c mg/cm3 mineral m displacing d c mg/cm3 of water has
    // mu = (1 - d c/1000) mu_w + (c/1000) (mu/rho)_m (water 1 g/cm3), HU = 1000 (mu - mu_w) / mu_w.
    const hu = (m: "k2hpo4" | "hydroxyapatite", c: number, d: number, E: number) => {
      const muW = massAttenuation("water", E);
      const mu = (1 - (d * c) / 1000) * muW + (c / 1000) * massAttenuation(m, E);
      return (1000 * (mu - muW)) / muW;
    };
    for (const [dK, E] of [[0.2174, 60], [0.2174, 70], [0.2174, 80], [0, 70], [0.2174, 45]] as const) {
      const rods = [0, 50, 100, 200, 375].map((c, i) => ({ name: "ABCDE"[i], density: c, hu: hu("k2hpo4", c, dK, E) }));
      const fit = fitCalibration(rods, { measure: "rhoK" });
      for (const cHA of [50, 150, 400]) {
        const rhoK = huToDensity(fit, hu("hydroxyapatite", cHA, 1 / 3.16, E));
        expect(mineralEquivalent(rhoK, "rhoK", "rhoHA", E, { waterDisplacement: { rhoK: dK } })).toBeCloseTo(cHA, 8);
        // ... and only at the scan's own energy: converting at 100 keV misses by more than 3%
        if (E === 60) expect(Math.abs(mineralEquivalent(rhoK, "rhoK", "rhoHA", 100) / cHA - 1)).toBeGreaterThan(0.03);
      }
    }
  });

  it("rejects what it cannot convert", () => {
    expect(() => mineralConversion("rhoK", "rhoK", 70)).toThrow(DensityConversionError);
    expect(() => mineralConversion("rhoK", "rhoAsh" as "rhoHA", 70)).toThrow(/between rhoK and rhoHA/);
    expect(() => mineralEquivalent(100, "rhoK", "rhoHA", 5)).toThrow(CalibrationError);
    expect(() => mineralConversion("rhoK", "rhoHA", 150, { waterDisplacement: { rhoK: 1.2 } })).toThrow(/no attenuation excess/);
    // the catalogue still has no scalar K2HPO4 <-> HA law, and says where to go
    expect(() => conversionPath("rhoK", "rhoHA")).toThrow(/cross-calibration.*mineralEquivalent/);
  });
});
