import { describe, expect, it } from "vitest";
import { blandAltman, linearRegression, ValidationStatsError } from "../../lib/validation/index.js";

// Bland J. M., Altman D. G. (1986) Statistical methods for assessing agreement between two methods of
// clinical measurement. Lancet i:307-310, Table 1: peak expiratory flow rate (l/min) of 17 subjects,
// first measurement with the Wright and with the mini Wright peak flow meter.
const wright = [494, 395, 516, 434, 476, 557, 413, 442, 650, 433, 417, 656, 267, 478, 178, 423, 427];
const mini = [512, 430, 520, 428, 500, 600, 364, 380, 658, 445, 432, 626, 260, 477, 259, 350, 451];

describe("blandAltman", () => {
  it("reproduces the 1986 PEFR analysis: bias -2.1, SD 38.8, limits -79.7 to 75.5 (bias +/- 2 SD)", () => {
    const ba = blandAltman(wright, mini, { limitMultiplier: 2, limitSE: "1986" });
    expect(ba.n).toBe(17);
    expect(ba.bias.estimate).toBeCloseTo(-36 / 17, 12); // the differences sum to -36 (hand-added)
    expect(ba.bias.estimate).toBeCloseTo(-2.1, 1);
    expect(ba.sdDifference).toBeCloseTo(38.8, 1);
    // the paper computes the limits from the rounded -2.1 and 38.8: -2.1 -/+ 77.6
    expect(Math.abs(ba.lowerLimit.estimate - -79.7)).toBeLessThan(0.1);
    expect(Math.abs(ba.upperLimit.estimate - 75.5)).toBeLessThan(0.1);
    // 1986 SEs: bias SD/sqrt(n) = 9.4, limits sqrt(3 SD^2/n) = 16.3; t(0.975, 16) = 2.12, so the limits'
    // intervals are -79.7 -/+ 2.12 x 16.3 = -114.3 to -45.1 and 40.9 to 110.1 (from rounded inputs)
    expect(ba.bias.se).toBeCloseTo(9.4, 1);
    expect(ba.lowerLimit.se).toBeCloseTo(16.3, 1);
    expect(Math.abs(ba.lowerLimit.ci[0] - -114.3)).toBeLessThan(0.25);
    expect(Math.abs(ba.lowerLimit.ci[1] - -45.1)).toBeLessThan(0.25);
    expect(Math.abs(ba.upperLimit.ci[0] - 40.9)).toBeLessThan(0.25);
    expect(Math.abs(ba.upperLimit.ci[1] - 110.1)).toBeLessThan(0.25);
    // bias CI, hand-computed: -2.118 -/+ 2.1199 x 38.765/sqrt(17) = -22.049 to 17.814
    expect(ba.bias.ci[0]).toBeCloseTo(-22.049, 3);
    expect(ba.bias.ci[1]).toBeCloseTo(17.814, 3);
    expect(ba.limitSEMethod).toMatch(/1986/);
  });

  it("uses the Bland & Altman 1999 SE of the limits by default (k = 1.96)", () => {
    const ba = blandAltman(wright, mini);
    // hand-computed: SD sqrt(1/17 + 1.96^2/32) = 38.76513 x 0.422937 = 16.3951; limits -78.0973, 73.8620
    expect(ba.limitMultiplier).toBe(1.96);
    expect(ba.lowerLimit.se).toBeCloseTo(16.3951, 4);
    expect(ba.lowerLimit.estimate).toBeCloseTo(-78.0973, 4);
    expect(ba.upperLimit.estimate).toBeCloseTo(73.862, 4);
    expect(ba.lowerLimit.ci[0]).toBeCloseTo(-112.8534, 3);
    expect(ba.upperLimit.ci[1]).toBeCloseTo(108.6181, 3);
    expect(ba.limitSEMethod).toMatch(/1999/);
  });

  it("checks proportional bias by regressing the difference on the mean", () => {
    const ba = blandAltman(wright, mini);
    const direct = linearRegression(wright.map((w, i) => (w + mini[i]) / 2), wright.map((w, i) => w - mini[i]));
    expect(ba.proportionalBias.slope.estimate).toBeCloseTo(direct.slope.estimate, 14);
    expect(ba.proportionalBias.slope.p).toBeGreaterThan(0.05); // no proportional bias in the PEFR data
    expect(ba.warnings).toEqual([]);
    // method b reads 10% high with noise: the difference falls with the magnitude
    const a = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
    const b = a.map((v, i) => 1.1 * v + (i % 2 === 0 ? 0.3 : -0.3));
    const pb = blandAltman(a, b);
    expect(pb.proportionalBias.slope.estimate).toBeLessThan(0);
    expect(pb.warnings.join()).toMatch(/proportional bias/);
  });

  it("validates input", () => {
    expect(() => blandAltman([1, 2], [1, 2])).toThrow(/at least 3 pairs/);
    expect(() => blandAltman([1, 2, 3], [1, 2, 3, 4])).toThrow(/unequal lengths/);
    expect(() => blandAltman([1, 2, NaN], [1, 2, 3])).toThrow(ValidationStatsError);
    expect(() => blandAltman([1, 2, 3], [1, 2, 3], { limitMultiplier: -1 })).toThrow(/limitMultiplier/);
  });
});
