import { describe, expect, it } from "vitest";
import { linearRegression, midRanks, pearson, spearman, ValidationStatsError } from "../../lib/validation/index.js";

// Anscombe F. J. (1973) Graphs in statistical analysis. Am Stat 27:17-21, Table 1.
const X = [10, 8, 13, 9, 11, 14, 6, 4, 12, 7, 5];
const X4 = [8, 8, 8, 8, 8, 8, 8, 19, 8, 8, 8];
const Y = [
  [8.04, 6.95, 7.58, 8.81, 8.33, 9.96, 7.24, 4.26, 10.84, 4.82, 5.68],
  [9.14, 8.14, 8.74, 8.77, 9.26, 8.1, 6.13, 3.1, 9.13, 7.26, 4.74],
  [7.46, 6.77, 12.74, 7.11, 7.81, 8.84, 6.08, 5.39, 8.15, 6.42, 5.73],
  [6.58, 5.76, 7.71, 8.84, 8.47, 7.04, 5.25, 12.5, 5.56, 7.91, 6.89],
];
const quartet = Y.map((y, i) => ({ x: i === 3 ? X4 : X, y }));

describe("pearson", () => {
  it("gives r = 0.82 for each of Anscombe's four data sets (0.8162 to 0.8165)", () => {
    for (const { x, y } of quartet) expect(pearson(x, y).estimate).toBeCloseTo(0.816, 2);
  });

  it("Anscombe set I: t = 4.24 on 9 df, p = 0.00217, Fisher-z CI", () => {
    const r = pearson(X, Y[0]);
    expect(r.estimate).toBeCloseTo(0.8164205, 7);
    expect(r.df).toBe(9);
    expect(r.t).toBeCloseTo(4.24, 2); // Anscombe 1973: t = 4.24
    expect(r.p).toBeCloseTo(0.00217, 5); // as the slope test of the same data (R: summary(lm))
    // hand-computed: tanh(atanh(0.8164205) -/+ 1.959964 / sqrt(8)) = 0.42439, 0.95069
    expect(r.ci[0]).toBeCloseTo(0.42439, 5);
    expect(r.ci[1]).toBeCloseTo(0.95069, 5);
    expect(r.ciMethod).toMatch(/1\/sqrt\(n-3\)/);
  });

  it("is invariant to affine change of scale and flips sign with one variable", () => {
    const r = pearson(X, Y[0]).estimate;
    expect(pearson(X.map((v) => 3 * v - 7), Y[0].map((v) => v / 2 + 1)).estimate).toBeCloseTo(r, 14);
    expect(pearson(X.map((v) => -v), Y[0]).estimate).toBeCloseTo(-r, 14);
  });

  it("handles degenerate and invalid input", () => {
    const perfect = pearson([1, 2, 3, 4], [2, 4, 6, 8]);
    expect(perfect.estimate).toBe(1);
    expect(perfect.p).toBe(0);
    const flat = pearson([1, 2, 3], [5, 5, 5]);
    expect(flat.estimate).toBeNaN();
    expect(flat.warnings.join()).toMatch(/constant/);
    expect(pearson([1, 2, 3], [1, 3, 2]).ci).toEqual([NaN, NaN]); // n = 3: no Fisher interval
    expect(() => pearson([1, 2], [1, 2])).toThrow(/at least 3 pairs/);
    expect(() => pearson([1, 2, 3], [1, 2])).toThrow(/unequal lengths/);
    expect(() => pearson([1, NaN, 3], [1, 2, 3])).toThrow(ValidationStatsError);
    expect(() => pearson([1, 2, 3], [1, 2, 3], { confLevel: 95 })).toThrow(/confLevel/);
  });
});

describe("spearman", () => {
  it("equals 1 - 6 sum d^2 / (n (n^2 - 1)) without ties (hand-computed: sum d^2 = 16, rho = 0.90303)", () => {
    const x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const y = [3, 1, 2, 5, 4, 7, 6, 10, 8, 9];
    const s = spearman(x, y);
    expect(s.estimate).toBeCloseTo(1 - (6 * 16) / (10 * 99), 14);
    // t = rho sqrt(8 / (1 - rho^2)) on 8 df; scipy.stats.spearmanr gives p = 0.000343612
    expect(s.p).toBeCloseTo(0.000343612, 8);
    // Bonett-Wright: tanh(atanh(0.90303) -/+ 1.959964 sqrt((1 + 0.90303^2/2) / 7)) = 0.54375, 0.98258
    expect(s.ci[0]).toBeCloseTo(0.54375, 5);
    expect(s.ci[1]).toBeCloseTo(0.98258, 5);
    expect(s.ciMethod).toMatch(/Bonett-Wright/);
  });

  it("uses mid-ranks for ties (hand-ranked; scipy.stats.spearmanr: rho = 0.900778, p = 0.002264)", () => {
    const a = [1, 2, 2, 3, 4, 4, 4, 5];
    const b = [2, 1, 3, 3, 5, 4, 6, 6];
    expect(midRanks(a)).toEqual([1, 2.5, 2.5, 4, 6, 6, 6, 8]);
    expect(midRanks(b)).toEqual([2, 1, 3.5, 3.5, 6, 5, 7.5, 7.5]);
    const s = spearman(a, b);
    expect(s.estimate).toBeCloseTo(pearson([1, 2.5, 2.5, 4, 6, 6, 6, 8], [2, 1, 3.5, 3.5, 6, 5, 7.5, 7.5]).estimate, 14);
    expect(s.estimate).toBeCloseTo(0.900778, 6);
    expect(s.p).toBeCloseTo(0.002264, 6);
    expect(s.warnings.join()).toMatch(/ties/);
  });

  it("is invariant to monotone transforms", () => {
    expect(spearman(X, Y[0]).estimate).toBeCloseTo(spearman(X.map(Math.exp), Y[0].map((v) => v ** 3)).estimate, 14);
  });
});

describe("linearRegression", () => {
  it("reproduces Anscombe's statistics for all four sets (y = 3.00 + 0.500 x, slope SE 0.118, t 4.24, residual SS 13.75, R^2 0.667)", () => {
    for (const { x, y } of quartet) {
      const fit = linearRegression(x, y);
      expect(fit.slope.estimate).toBeCloseTo(0.5, 3);
      expect(fit.intercept.estimate).toBeCloseTo(3.0, 2);
      expect(fit.slope.se).toBeCloseTo(0.118, 3);
      expect(fit.slope.t).toBeCloseTo(4.24, 2);
      expect(fit.r2).toBeCloseTo(0.667, 2);
      expect(fit.residualSE ** 2 * 9).toBeCloseTo(13.75, 1);
      expect(fit.df).toBe(9);
    }
  });

  it("Anscombe set I in full (R summary(lm): 3.0001 (SE 1.1247, p 0.0257) + 0.5001 x (SE 0.1179, p 0.00217), s = 1.237)", () => {
    const fit = linearRegression(X, Y[0]);
    expect(fit.intercept.estimate).toBeCloseTo(3.0001, 4);
    expect(fit.intercept.se).toBeCloseTo(1.1247, 4);
    expect(fit.intercept.p).toBeCloseTo(0.0257, 4);
    expect(fit.slope.estimate).toBeCloseTo(0.5001, 4);
    expect(fit.slope.se).toBeCloseTo(0.1179, 4);
    expect(fit.slope.p).toBeCloseTo(0.00217, 5);
    expect(fit.residualSE).toBeCloseTo(1.237, 3);
    expect(fit.r2).toBeCloseTo(0.6665, 4);
    expect(fit.adjustedR2).toBeCloseTo(0.6295, 4);
    // R confint(): slope 0.23337 to 0.76681, intercept 0.45574 to 5.54444
    expect(fit.slope.ci[0]).toBeCloseTo(0.23337, 5);
    expect(fit.slope.ci[1]).toBeCloseTo(0.76681, 5);
    expect(fit.intercept.ci[0]).toBeCloseTo(0.45574, 5);
    expect(fit.intercept.ci[1]).toBeCloseTo(5.54444, 5);
    expect(fit.residuals.reduce((s, v) => s + v, 0)).toBeCloseTo(0, 12);
  });

  it("recovers an exact line and rejects a constant predictor", () => {
    const fit = linearRegression([1, 2, 3, 4], [5, 7, 9, 11]);
    expect(fit.slope.estimate).toBeCloseTo(2, 14);
    expect(fit.intercept.estimate).toBeCloseTo(3, 14);
    expect(fit.r2).toBeCloseTo(1, 14);
    expect(() => linearRegression([2, 2, 2], [1, 2, 3])).toThrow(/constant/);
    expect(() => linearRegression([1, 2, Infinity], [1, 2, 3])).toThrow(ValidationStatsError);
  });
});
