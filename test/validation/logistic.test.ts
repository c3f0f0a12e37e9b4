import { describe, expect, it } from "vitest";
import { logisticRegression } from "../../lib/validation/logistic.js";
import { ValidationStatsError } from "../../lib/validation/errors.js";

/** Expand a table of (x values, events, non-events) into rows. */
function rows(cells: { x: number[]; events: number; nonEvents: number }[], names: string[]) {
  const preds: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const y: number[] = [];
  for (const c of cells) {
    for (let k = 0; k < c.events + c.nonEvents; k++) {
      names.forEach((n, j) => preds[n].push(c.x[j]));
      y.push(k < c.events ? 1 : 0);
    }
  }
  return { preds, y };
}

describe("logistic regression", () => {
  it("a binary predictor reproduces the 2x2 odds ratio ad/bc and Woolf's SE (closed form)", () => {
    const a = 30, b = 70, c = 12, d = 88; // exposed: 30 events / 70 none; unexposed: 12 / 88
    const { preds, y } = rows([{ x: [1], events: a, nonEvents: b }, { x: [0], events: c, nonEvents: d }], ["exposed"]);
    const fit = logisticRegression(preds, y);
    const or = (a * d) / (b * c);
    const se = Math.sqrt(1 / a + 1 / b + 1 / c + 1 / d);
    expect(fit.converged).toBe(true);
    expect(fit.coefficients.exposed.oddsRatio.estimate).toBeCloseTo(or, 10);
    expect(fit.coefficients.exposed.se).toBeCloseTo(se, 10);
    expect(fit.coefficients.exposed.oddsRatio.ci[0]).toBeCloseTo(Math.exp(Math.log(or) - 1.959963985 * se), 6);
    expect(fit.intercept.estimate).toBeCloseTo(Math.log(c / d), 10);
    // likelihood ratio against the closed-form log-likelihoods of the saturated 2x2 model
    const ll = a * Math.log(a / 100) + b * Math.log(b / 100) + c * Math.log(c / 100) + d * Math.log(d / 100);
    expect(fit.logLikelihood).toBeCloseTo(ll, 8);
    const p = 42 / 200;
    expect(fit.nullLogLikelihood).toBeCloseTo(42 * Math.log(p) + 158 * Math.log(1 - p), 8);
  });

  it("a saturated three-group model gives each group's odds ratio against the reference", () => {
    const g = [{ e: 10, n: 40 }, { e: 20, n: 30 }, { e: 5, n: 45 }];
    const { preds, y } = rows([
      { x: [0, 0], events: g[0].e, nonEvents: g[0].n },
      { x: [1, 0], events: g[1].e, nonEvents: g[1].n },
      { x: [0, 1], events: g[2].e, nonEvents: g[2].n },
    ], ["g1", "g2"]);
    const fit = logisticRegression(preds, y);
    const odds = g.map((x) => x.e / x.n);
    expect(fit.coefficients.g1.oddsRatio.estimate).toBeCloseTo(odds[1] / odds[0], 9);
    expect(fit.coefficients.g2.oddsRatio.estimate).toBeCloseTo(odds[2] / odds[0], 9);
    expect(fit.coefficients.g2.se).toBeCloseTo(Math.sqrt(1 / 10 + 1 / 40 + 1 / 5 + 1 / 45), 9);
  });

  it("odds ratio per SD is exp(beta * SD), invariant to the predictor's scale", () => {
    const x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    const y = [0, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 1];
    const f1 = logisticRegression({ x }, y);
    const f2 = logisticRegression({ x: x.map((v) => 1000 * v + 7) }, y);
    const sd = Math.sqrt(x.reduce((s, v) => s + (v - 6.5) ** 2, 0) / 11);
    expect(f1.coefficients.x.oddsRatioPerSD.sd).toBeCloseTo(sd, 12);
    expect(f1.coefficients.x.oddsRatioPerSD.estimate).toBeCloseTo(Math.exp(f1.coefficients.x.estimate * sd), 12);
    expect(f2.coefficients.x.oddsRatioPerSD.estimate).toBeCloseTo(f1.coefficients.x.oddsRatioPerSD.estimate, 6);
    expect(f1.warnings.join(" ")).toMatch(/events per predictor/);
  });

  it("fails clearly without events, and warns on separation", () => {
    expect(() => logisticRegression({ x: [1, 2, 3] }, [0, 0, 0])).toThrow(ValidationStatsError);
    expect(() => logisticRegression({ x: [1, 2] }, [0, 1, 1])).toThrow(/2 values for 3/);
    const sep = logisticRegression({ x: [1, 2, 3, 4, 5, 6] }, [0, 0, 0, 1, 1, 1], { maxIterations: 30 });
    expect(sep.warnings.join(" ")).toMatch(/separat/);
  });
});
