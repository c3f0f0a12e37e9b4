import { describe, expect, it } from "vitest";
import {
  binomialProportion,
  diagnosticAccuracy,
  diagnosticAtThreshold,
  roc,
  twoByTwo,
  ValidationStatsError,
} from "../../lib/validation/index.js";

/** P(Binomial(n, p) <= x) by direct summation. */
function binomCdf(x: number, n: number, p: number): number {
  let c = 1;
  let s = 0;
  for (let j = 0; j <= x; j++) {
    if (j > 0) c = (c * (n - j + 1)) / j;
    s += c * p ** j * (1 - p) ** (n - j);
  }
  return s;
}

describe("binomialProportion", () => {
  // Newcombe R. G. (1998) Two-sided confidence intervals for the single proportion: comparison of seven
  // methods. Stat Med 17:857-872, Table II (95% intervals, methods 3 = Wilson score, 5 = exact).
  const newcombe: [number, number, [number, number], [number, number]][] = [
    [81, 263, [0.2553, 0.3662], [0.2527, 0.3676]],
    [15, 148, [0.0624, 0.1605], [0.0578, 0.1617]],
    [0, 20, [0, 0.1611], [0, 0.1684]],
    [1, 29, [0.0061, 0.1718], [0.0009, 0.1776]],
  ];
  it.each(newcombe)("%i/%i matches Newcombe 1998 Table II", (x, n, wilson, exact) => {
    const w = binomialProportion(x, n);
    expect(w.estimate).toBe(x / n);
    expect(w.ci[0]).toBeCloseTo(wilson[0], 4);
    expect(w.ci[1]).toBeCloseTo(wilson[1], 4);
    const cp = binomialProportion(x, n, { ciMethod: "clopper-pearson" });
    expect(cp.ci[0]).toBeCloseTo(exact[0], 4);
    expect(cp.ci[1]).toBeCloseTo(exact[1], 4);
  });

  it("Clopper-Pearson limits solve the binomial tail equations (by direct summation)", () => {
    for (const [x, n] of [[3, 17], [45, 50], [1, 10], [12, 12]]) {
      const { ci } = binomialProportion(x, n, { ciMethod: "clopper-pearson" });
      if (x > 0) expect(1 - binomCdf(x - 1, n, ci[0])).toBeCloseTo(0.025, 12); // P(X >= x | L) = 0.025
      if (x < n) expect(binomCdf(x, n, ci[1])).toBeCloseTo(0.025, 12); //   P(X <= x | U) = 0.025
    }
    expect(binomialProportion(12, 12, { ciMethod: "clopper-pearson" }).ci[1]).toBe(1);
    // 90% exact interval for 0/n is [0, 1 - 0.05^(1/n)]
    expect(binomialProportion(0, 10, { ciMethod: "clopper-pearson", confLevel: 0.9 }).ci[1]).toBeCloseTo(1 - 0.05 ** 0.1, 12);
  });

  it("rejects impossible counts", () => {
    expect(() => binomialProportion(5, 3)).toThrow(/exceeds/);
    expect(() => binomialProportion(1.5, 3)).toThrow(ValidationStatsError);
    expect(() => binomialProportion(1, 3, { ciMethod: "wald" as never })).toThrow(/ciMethod/);
    expect(binomialProportion(0, 0).estimate).toBeNaN();
  });
});

describe("diagnosticAccuracy", () => {
  it("hand-computed 2x2 table: tp 45, fp 10, fn 5, tn 40", () => {
    const d = diagnosticAccuracy({ tp: 45, fp: 10, fn: 5, tn: 40 }, { ciMethod: "clopper-pearson" });
    expect(d.sensitivity).toMatchObject({ estimate: 0.9, count: 45, total: 50 });
    expect(d.specificity.estimate).toBe(0.8);
    expect(d.ppv.estimate).toBeCloseTo(45 / 55, 15);
    expect(d.npv.estimate).toBeCloseTo(40 / 45, 15);
    expect(d.accuracy.estimate).toBe(0.85);
    expect(d.prevalence.estimate).toBe(0.5);
    expect(d.lrPositive).toBeCloseTo(0.9 / 0.2, 12);
    expect(d.lrNegative).toBeCloseTo(0.1 / 0.8, 12);
    expect(d.youdenJ).toBeCloseTo(0.7, 14);
    // exact 95% interval of 45/50 (scipy.stats.beta.ppf): 0.78186 to 0.96672
    expect(d.sensitivity.ci[0]).toBeCloseTo(0.78186, 5);
    expect(d.sensitivity.ci[1]).toBeCloseTo(0.96672, 5);
    expect(d.ciMethod).toBe("clopper-pearson");
    expect(d.warnings).toEqual([]);
  });

  it("cross-tabulates and dichotomises at a threshold consistently with the ROC points", () => {
    expect(twoByTwo([1, 1, 0, 0, true], [1, 0, 1, 0, true])).toEqual({ tp: 2, fp: 1, fn: 1, tn: 1 });
    const strength = [2100, 2500, 2900, 3400, 3900, 4200, 4600, 5000];
    const fractured = [1, 1, 0, 1, 0, 0, 0, 0];
    const d = diagnosticAtThreshold(strength, fractured, 3400, { direction: "lower" });
    expect(d.table).toEqual({ tp: 3, fp: 1, fn: 0, tn: 4 });
    const point = roc(strength, fractured, { direction: "lower" }).points.find((p) => p.threshold === 3400)!;
    expect(d.sensitivity.estimate).toBe(point.tpr);
    expect(1 - d.specificity.estimate).toBeCloseTo(point.fpr, 15);
    expect(d.direction).toBe("lower");
  });

  it("warns on undefined measures and rejects bad input", () => {
    const d = diagnosticAccuracy({ tp: 0, fp: 0, fn: 3, tn: 7 });
    expect(d.ppv.estimate).toBeNaN();
    expect(d.warnings.join()).toMatch(/no test positives/);
    expect(() => diagnosticAccuracy({ tp: 0, fp: 0, fn: 0, tn: 0 })).toThrow(/empty/);
    expect(() => diagnosticAccuracy({ tp: -1, fp: 0, fn: 0, tn: 1 })).toThrow(/non-negative integer/);
    expect(() => twoByTwo([1, 0], [1])).toThrow(/unequal lengths/);
    expect(() => diagnosticAtThreshold([1, 2], [1, 0], NaN)).toThrow(/threshold/);
  });
});
