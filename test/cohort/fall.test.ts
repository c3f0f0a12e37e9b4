import { describe, expect, it } from "vitest";
import { factorOfRisk, fallForceN, FallModelError, SPRING_MASS_FALL, STANDARD_GRAVITY } from "../../lib/cohort/fall.js";

describe("fall force (spring-mass model)", () => {
  it("matches the hand-computed force for 170 cm, 70 kg", () => {
    // v = sqrt(2 * 9.80665 m/s2 * 0.53 * 1.70 m) = 4.20376 m/s; sqrt(80000 N/m * 0.35 * 70 kg) = 1400 kg/s
    expect(fallForceN(170, 70)).toBeCloseTo(4.2037582 * 1400, 2);
    expect(fallForceN(170, 70)).toBeCloseTo(5885.26, 1);
  });

  it("matches a second hand-computed case and every option", () => {
    // 160 cm, 60 kg, k = 70 kN/m, m_eff = 0.35 * 60 = 21 kg, h = 0.53 * 1.6 = 0.848 m
    // v = sqrt(2 * 9.80665 * 0.848) = 4.078245 m/s; sqrt(70000 * 21) = 1212.436 kg/s; F = 4944.61 N
    expect(fallForceN(160, 60, { stiffnessNPerM: 70_000 })).toBeCloseTo(4.078245 * 1212.4356, 1);
    // g = 10, f_h = 0.5, f_m = 0.5, k = 100 kN/m, 180 cm, 80 kg: v = sqrt(2*10*0.9) = sqrt(18); sqrt(1e5 * 40) = 2000
    expect(fallForceN(180, 80, { gravity: 10, hipHeightFraction: 0.5, effectiveMassFraction: 0.5, stiffnessNPerM: 1e5 })).toBeCloseTo(
      Math.sqrt(18) * 2000, 6);
    // attenuation: 71 N per mm of trochanteric soft tissue, floored at 0
    expect(fallForceN(170, 70, { softTissueMm: 30 })).toBeCloseTo(5885.26 - 2130, 1);
    expect(fallForceN(170, 70, { softTissueMm: 30, attenuationNPerMm: 50 })).toBeCloseTo(5885.26 - 1500, 1);
    expect(fallForceN(170, 70, { softTissueMm: 500 })).toBe(0);
  });

  it("scales as sqrt(height) and sqrt(weight)", () => {
    expect(fallForceN(170 * 4, 70) / fallForceN(170, 70)).toBeCloseTo(2, 10);
    expect(fallForceN(170, 70 * 9) / fallForceN(170, 70)).toBeCloseTo(3, 10);
  });

  it("documents constants that reproduce the module's numbers", () => {
    expect(SPRING_MASS_FALL.effectiveMassFraction).toBe(0.35);
    expect(STANDARD_GRAVITY).toBe(9.80665);
    // the force lies within the measured 4.0 +/- 1.7 kN hip impact range +/- 2 SD (Lim & Choi 2020)
    expect(fallForceN(170, 70)).toBeGreaterThan(4000 - 2 * 1700);
    expect(fallForceN(170, 70)).toBeLessThan(4000 + 2 * 1700);
  });

  it("rejects impossible inputs", () => {
    expect(() => fallForceN(0, 70)).toThrow(FallModelError);
    expect(() => fallForceN(170, -1)).toThrow(FallModelError);
    expect(() => fallForceN(170, Number.NaN)).toThrow(/weight/);
    expect(() => fallForceN(170, 70, { softTissueMm: -1 })).toThrow(FallModelError);
    expect(() => fallForceN(170, 70, { stiffnessNPerM: 0 })).toThrow(/stiffness/);
  });
});

describe("factor of risk", () => {
  it("is force over strength", () => {
    expect(factorOfRisk(5885, 3000)).toBeCloseTo(1.961667, 6);
    expect(factorOfRisk(3000, 3000)).toBe(1);
    expect(factorOfRisk(0, 3000)).toBe(0);
  });
  it("rejects a non-positive strength or a negative force", () => {
    expect(() => factorOfRisk(1000, 0)).toThrow(FallModelError);
    expect(() => factorOfRisk(-1, 1000)).toThrow(FallModelError);
    expect(() => factorOfRisk(1000, Number.NaN)).toThrow(/strength/);
  });
});
