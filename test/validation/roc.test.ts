import { describe, expect, it } from "vitest";
import {
  delongAuc,
  delongTest,
  hanleyMcNeilSE,
  normalQuantile,
  placementValues,
  roc,
  ValidationStatsError,
} from "../../lib/validation/index.js";

/** Expand rating counts (rating r has counts[r-1] subjects) into arrays. */
function expand(cases: number[], controls: number[]): { scores: number[]; outcome: number[] } {
  const scores: number[] = [];
  const outcome: number[] = [];
  cases.forEach((c, r) => {
    for (let i = 0; i < c; i++) (scores.push(r + 1), outcome.push(1));
  });
  controls.forEach((c, r) => {
    for (let i = 0; i < c; i++) (scores.push(r + 1), outcome.push(0));
  });
  return { scores, outcome };
}

// Hanley J. A., McNeil B. J. (1982) The meaning and use of the area under a ROC curve. Radiology
// 143:29-36, Table 1: CT images rated 1 (definitely normal) to 5 (definitely abnormal);
// 58 normal: 33, 6, 6, 11, 2; 51 abnormal: 3, 2, 2, 11, 33. Area W = 0.893, SE(W) = 0.032.
const hm = expand([3, 2, 2, 11, 33], [33, 6, 6, 11, 2]);

/** A deterministic pseudo-random generator (LCG) for reproducible synthetic data. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (1664525 * s + 1013904223) >>> 0) / 2 ** 32);
}

/** psi(x, y) of DeLong 1988: 1 if x > y, 1/2 if tied, 0 otherwise. */
const psi = (x: number, y: number) => (x > y ? 1 : x === y ? 0.5 : 0);

/** DeLong placements and (co)variances straight from the definition, O(m n). */
function bruteDelong(s1: number[], s2: number[], outcome: number[]) {
  const idxC = outcome.map((o, i) => (o ? i : -1)).filter((i) => i >= 0);
  const idxN = outcome.map((o, i) => (o ? -1 : i)).filter((i) => i >= 0);
  const m = idxC.length;
  const n = idxN.length;
  const place = (s: number[]) => ({
    v10: idxC.map((i) => idxN.reduce((a, j) => a + psi(s[i], s[j]), 0) / n),
    v01: idxN.map((j) => idxC.reduce((a, i) => a + psi(s[i], s[j]), 0) / m),
  });
  const p1 = place(s1);
  const p2 = place(s2);
  // AUC by pair counting
  let pairs1 = 0;
  let pairs2 = 0;
  for (const i of idxC) for (const j of idxN) (pairs1 += psi(s1[i], s1[j]), pairs2 += psi(s2[i], s2[j]));
  const a1 = pairs1 / (m * n);
  const a2 = pairs2 / (m * n);
  const cov = (u: number[], v: number[], mu: number, mv: number) => u.reduce((acc, x, k) => acc + (x - mu) * (v[k] - mv), 0) / (u.length - 1);
  const s10 = [cov(p1.v10, p1.v10, a1, a1), cov(p2.v10, p2.v10, a2, a2), cov(p1.v10, p2.v10, a1, a2)];
  const s01 = [cov(p1.v01, p1.v01, a1, a1), cov(p2.v01, p2.v01, a2, a2), cov(p1.v01, p2.v01, a1, a2)];
  return {
    a1,
    a2,
    var1: s10[0] / m + s01[0] / n,
    var2: s10[1] / m + s01[1] / n,
    varDiff: (s10[0] + s10[1] - 2 * s10[2]) / m + (s01[0] + s01[1] - 2 * s01[2]) / n,
  };
}

describe("AUC", () => {
  it("Hanley & McNeil 1982 rating data: AUC = 0.893, SE 0.032 (their formula)", () => {
    const auc = delongAuc(hm.scores, hm.outcome);
    expect(auc.estimate).toBeCloseTo(0.893, 3);
    expect(auc.nCases).toBe(51);
    expect(auc.nControls).toBe(58);
    expect(hanleyMcNeilSE(auc.estimate, 51, 58)).toBeCloseTo(0.032, 3);
    // DeLong on the same data, against the O(m n) definition
    const b = bruteDelong(hm.scores, hm.scores, hm.outcome);
    expect(auc.estimate).toBeCloseTo(b.a1, 14);
    expect(auc.variance).toBeCloseTo(b.var1, 14);
  });

  it("hand-computed DeLong example: cases 5, 4, 3; controls 3, 2, 1", () => {
    // V10 = 1, 1, 5/6 (the case at 3 ties one control); V01 = 5/6, 1, 1; AUC = 17/18.
    // S10 = S01 = [(1/18)^2 + (1/18)^2 + (2/18)^2] / 2 = 1/108; Var = (1/108)/3 + (1/108)/3 = 1/162.
    const scores = [5, 4, 3, 3, 2, 1];
    const outcome = [1, 1, 1, 0, 0, 0];
    const p = placementValues(scores, outcome);
    expect(p.cases).toEqual([1, 1, 5 / 6]);
    expect(p.controls.map((v) => +v.toFixed(14))).toEqual([+(5 / 6).toFixed(14), 1, 1]);
    const auc = delongAuc(scores, outcome);
    expect(auc.estimate).toBeCloseTo(17 / 18, 15);
    expect(auc.variance).toBeCloseTo(1 / 162, 15);
    // Wald CI clipped to [0, 1]: 17/18 + 1.96 x 0.0786 > 1
    const z = normalQuantile(0.975);
    expect(auc.ci[0]).toBeCloseTo(17 / 18 - z * Math.sqrt(1 / 162), 14);
    expect(auc.ci[1]).toBe(1);
    expect(auc.ciMethod).toBe("wald");
    // logit CI: logit(17/18) -/+ z SE / (A(1-A)), back-transformed
    const lg = delongAuc(scores, outcome, { ciMethod: "logit" });
    const l = Math.log(17);
    const h = (z * Math.sqrt(1 / 162)) / ((17 / 18) * (1 / 18));
    expect(lg.ci[0]).toBeCloseTo(1 / (1 + Math.exp(-(l - h))), 14);
    expect(lg.ci[1]).toBeCloseTo(1 / (1 + Math.exp(-(l + h))), 14);
    expect(lg.ci[1]).toBeLessThan(1);
  });

  it("fast (mid-rank) DeLong equals the O(m n) definition on tied random data", () => {
    const rnd = lcg(7);
    for (let rep = 0; rep < 5; rep++) {
      const n = 40 + rep * 23;
      const outcome = Array.from({ length: n }, (_, i) => (i % 3 === 0 || rnd() < 0.2 ? 1 : 0));
      const scores = outcome.map((o) => Math.round((rnd() + 0.4 * o) * 8) / 8); // coarse: many ties
      const b = bruteDelong(scores, scores, outcome);
      const auc = delongAuc(scores, outcome);
      expect(auc.estimate).toBeCloseTo(b.a1, 13);
      expect(auc.variance).toBeCloseTo(b.var1, 15);
      // the "lower" direction is the mirror image: AUC' = 1 - AUC, same variance
      const low = delongAuc(scores, outcome, { direction: "lower" });
      expect(low.estimate).toBeCloseTo(1 - auc.estimate, 13);
      expect(low.variance).toBeCloseTo(auc.variance, 15);
    }
  });

  it("rejects unusable input", () => {
    expect(() => delongAuc([1, 2, 3], [1, 1, 1])).toThrow(/only one class/);
    expect(() => delongAuc([1, 2, 3], [1, 0])).toThrow(/unequal lengths/);
    expect(() => delongAuc([1, NaN, 3], [1, 0, 1])).toThrow(ValidationStatsError);
    expect(() => delongAuc([1, 2, 3], [1, 2, 0])).toThrow(/binary outcome/);
    expect(() => delongAuc([1, 2, 3], [1, 0, 0], { direction: "up" as never })).toThrow(/direction/);
    expect(delongAuc([1, 2, 3], [1, 0, 0]).warnings.join()).toMatch(/at least 2 events/);
  });
});

describe("roc curve and Youden threshold", () => {
  it("scikit-learn's documented roc_curve example", () => {
    // sklearn.metrics.roc_curve docs: y = [1, 1, 2, 2] (2 positive), scores [0.1, 0.4, 0.35, 0.8]:
    // fpr [0, 0, 0.5, 0.5, 1], tpr [0, 0.5, 0.5, 1, 1], thresholds [inf, 0.8, 0.4, 0.35, 0.1];
    // roc_auc_score = 0.75
    const r = roc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]);
    expect(r.points.map((p) => p.fpr)).toEqual([0, 0, 0.5, 0.5, 1]);
    expect(r.points.map((p) => p.tpr)).toEqual([0, 0.5, 0.5, 1, 1]);
    expect(r.points.map((p) => p.threshold)).toEqual([null, 0.8, 0.4, 0.35, 0.1]);
    expect(r.auc.estimate).toBe(0.75);
    // J = 0.5 at 0.8 and at 0.35: the stricter threshold is reported
    expect(r.youden).toEqual({ threshold: 0.8, sensitivity: 0.5, specificity: 1, j: 0.5 });
    expect(JSON.parse(JSON.stringify(r)).points[0].threshold).toBeNull();
  });

  it("trapezoidal area of the curve equals the Mann-Whitney AUC, ties included", () => {
    const r = roc(hm.scores, hm.outcome);
    let area = 0;
    for (let i = 1; i < r.points.length; i++) {
      const a = r.points[i - 1];
      const b = r.points[i];
      area += ((b.fpr - a.fpr) * (a.tpr + b.tpr)) / 2;
    }
    expect(area).toBeCloseTo(r.auc.estimate, 14);
    expect(r.points.length).toBe(6); // (0,0) and the 5 ratings
    expect(r.points.at(-1)).toMatchObject({ fpr: 1, tpr: 1 });
  });

  it("direction 'lower': low scores are the events (e.g. bone strength and fracture)", () => {
    const strength = [2100, 2500, 2900, 3400, 3900, 4200, 4600, 5000];
    const fractured = [1, 1, 0, 1, 0, 0, 0, 0];
    const r = roc(strength, fractured, { direction: "lower" });
    // pairs (case < control, hand-counted): 2100 and 2500 beat all 5 controls, 3400 beats 4 of 5 -> 14/15
    expect(r.auc.estimate).toBeCloseTo(14 / 15, 15);
    expect(r.points[1].threshold).toBe(2100);
    expect(r.youden).toMatchObject({ threshold: 3400, sensitivity: 1, specificity: 0.8 });
    expect(roc(strength, fractured).auc.warnings.join()).toMatch(/check the direction/);
  });
});

describe("delongTest (paired)", () => {
  it("equals the O(m n) definition of Var(A1 - A2) on correlated random scores", () => {
    const rnd = lcg(2024);
    const n = 120;
    const outcome = Array.from({ length: n }, (_, i) => (i % 4 === 0 || rnd() < 0.15 ? 1 : 0));
    const latent = outcome.map((o) => rnd() + 0.5 * o);
    const s1 = latent.map((v) => Math.round((v + 0.3 * rnd()) * 20) / 20);
    const s2 = latent.map((v) => Math.round((v + 0.9 * rnd()) * 10) / 10);
    const b = bruteDelong(s1, s2, outcome);
    const t = delongTest(s1, s2, outcome);
    expect(t.auc1).toBeCloseTo(b.a1, 13);
    expect(t.auc2).toBeCloseTo(b.a2, 13);
    expect(t.se ** 2).toBeCloseTo(b.varDiff, 15);
    expect(t.se1 ** 2).toBeCloseTo(b.var1, 15);
    expect(t.z).toBeCloseTo((b.a1 - b.a2) / Math.sqrt(b.varDiff), 10);
    expect(t.correlation).toBeGreaterThan(0);
    // swapping the scores flips the sign only
    const swapped = delongTest(s2, s1, outcome);
    expect(swapped.z).toBeCloseTo(-t.z, 12);
    expect(swapped.p).toBeCloseTo(t.p, 12);
  });

  it("a monotone transform of the same score has the same AUC: difference 0 and an undefined test", () => {
    const scores = [0.2, 0.5, 0.1, 0.9, 0.7, 0.3, 0.8, 0.4];
    const outcome = [0, 1, 0, 1, 1, 0, 0, 1];
    const t = delongTest(scores, scores.map(Math.exp), outcome);
    expect(t.difference).toBe(0);
    expect(t.se).toBe(0);
    expect(t.z).toBeNaN();
    expect(t.warnings.join()).toMatch(/variance of the difference is 0/);
  });

  it("accepts a direction per score", () => {
    const s = [1, 2, 3, 4, 5, 6];
    const outcome = [0, 0, 1, 0, 1, 1];
    const t = delongTest(s, s.map((v) => -v), outcome, { direction: ["higher", "lower"] });
    expect(t.auc1).toBeCloseTo(t.auc2, 15);
    expect(() => delongTest(s, s.slice(1), outcome)).toThrow(/unequal lengths/);
  });
});
