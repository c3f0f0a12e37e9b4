import { describe, expect, it } from "vitest";
import { cohenKappa, kappaFromTable, normalQuantile, ValidationStatsError, type KappaWeights } from "../../lib/validation/index.js";

// Fleiss J. L. (1981) Statistical Methods for Rates and Proportions, 2nd ed., Table 13.1 (3rd ed.
// Table 18.1): diagnoses of 100 subjects (psychiatric, neurological, organic) by two raters.
// po = 0.89, pe = 0.80 x 0.80 + 0.10 x 0.05 + 0.10 x 0.15 = 0.66, kappa = 0.23/0.34 = 0.676.
const FLEISS = [
  [75, 1, 4],
  [5, 4, 1],
  [0, 0, 10],
];

function weights(k: number, kind: KappaWeights): number[][] {
  return Array.from({ length: k }, (_, i) =>
    Array.from({ length: k }, (_, j) => (kind === "none" ? +(i === j) : kind === "linear" ? 1 - Math.abs(i - j) / (k - 1) : 1 - ((i - j) / (k - 1)) ** 2)),
  );
}

/** Weighted kappa of a proportion table from its definition. */
function kappaOfP(p: number[][], w: number[][]): number {
  const k = p.length;
  const r = p.map((row) => row.reduce((a, b) => a + b, 0));
  const c = p[0].map((_, j) => p.reduce((a, row) => a + row[j], 0));
  let po = 0;
  let pe = 0;
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) (po += w[i][j] * p[i][j], pe += w[i][j] * r[i] * c[j]);
  return (po - pe) / (1 - pe);
}

/**
 * Large-sample SE of kappa by the delta method with a numerical (central-difference) gradient:
 * Var = g' (diag(p) - p p') g / n. An independent route to the Fleiss-Cohen-Everitt (1969) variance.
 */
function deltaSE(p: number[][], w: number[][], n: number): number {
  const k = p.length;
  const flat = p.flat();
  const h = 1e-7;
  const g = flat.map((_, idx) => {
    const up = [...flat];
    const dn = [...flat];
    up[idx] += h;
    dn[idx] -= h;
    const toM = (f: number[]) => Array.from({ length: k }, (_, i) => f.slice(i * k, i * k + k));
    return (kappaOfP(toM(up), w) - kappaOfP(toM(dn), w)) / (2 * h);
  });
  let q = 0;
  for (let a = 0; a < flat.length; a++) {
    for (let b = 0; b < flat.length; b++) q += g[a] * g[b] * ((a === b ? flat[a] : 0) - flat[a] * flat[b]);
  }
  return Math.sqrt(q / n);
}

describe("kappaFromTable", () => {
  it("Fleiss's diagnosis example: po = 0.89, pe = 0.66, kappa = 0.676", () => {
    const k = kappaFromTable(FLEISS);
    expect(k.n).toBe(100);
    expect(k.observedAgreement).toBeCloseTo(0.89, 14);
    expect(k.expectedAgreement).toBeCloseTo(0.66, 14);
    expect(k.kappa).toBeCloseTo(0.23 / 0.34, 14);
    expect(k.kappa).toBeCloseTo(0.676, 3);
  });

  it("Fleiss-Cohen-Everitt SEs equal the delta-method variance (non-null: observed table; null: independence table)", () => {
    const p = FLEISS.map((r) => r.map((c) => c / 100));
    const rows = p.map((r) => r.reduce((a, b) => a + b, 0));
    const cols = p[0].map((_, j) => p.reduce((a, r) => a + r[j], 0));
    const independent = rows.map((ri) => cols.map((cj) => ri * cj));
    for (const kind of ["none", "linear", "quadratic"] as const) {
      const k = kappaFromTable(FLEISS, { weights: kind });
      const w = weights(3, kind);
      expect(k.kappa).toBeCloseTo(kappaOfP(p, w), 14);
      expect(k.se).toBeCloseTo(deltaSE(p, w, 100), 8);
      expect(k.seNull).toBeCloseTo(deltaSE(independent, w, 100), 8);
      const z = normalQuantile(0.975);
      expect(k.ci[0]).toBeCloseTo(k.kappa - z * k.se, 14);
      expect(k.z).toBeCloseTo(k.kappa / k.seNull, 14);
    }
    // the unweighted values, from the explicit unweighted FCE 1969 formulas (sum over the diagonal and the
    // off-diagonal cells; null: pe + pe^2 - sum p_i. p_.i (p_i. + p_.i)) evaluated by hand: SE = 0.08770, SE0 = 0.07619
    const u = kappaFromTable(FLEISS);
    expect(u.se).toBeCloseTo(0.0877, 4);
    expect(u.seNull).toBeCloseTo(0.07619, 5);
    expect(u.p).toBeLessThan(1e-15);
  });

  it("weighted kappa equals 1 - sum(v o) / sum(v e) with disagreement weights v (Cohen 1968 form)", () => {
    const t = [
      [11, 4, 1, 0],
      [3, 14, 5, 1],
      [1, 4, 12, 3],
      [0, 1, 2, 8],
    ];
    const n = t.flat().reduce((a, b) => a + b, 0);
    const r = t.map((row) => row.reduce((a, b) => a + b, 0));
    const c = t[0].map((_, j) => t.reduce((a, row) => a + row[j], 0));
    for (const [kind, v] of [
      ["linear", (i: number, j: number) => Math.abs(i - j)],
      ["quadratic", (i: number, j: number) => (i - j) ** 2],
    ] as const) {
      let num = 0;
      let den = 0;
      for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) (num += v(i, j) * t[i][j], den += (v(i, j) * r[i] * c[j]) / n);
      expect(kappaFromTable(t, { weights: kind }).kappa).toBeCloseTo(1 - num / den, 14);
    }
    // with two categories every weighting is the same
    const two = [[20, 5], [10, 15]];
    const base = kappaFromTable(two).kappa;
    expect(kappaFromTable(two, { weights: "linear" }).kappa).toBeCloseTo(base, 14);
    expect(kappaFromTable(two, { weights: "quadratic" }).se).toBeCloseTo(kappaFromTable(two).se, 14);
  });
});

describe("cohenKappa", () => {
  it("tabulates labels and matches the table version", () => {
    const a = ["fragile", "ok", "ok", "fragile"];
    const b = ["fragile", "ok", "fragile", "fragile"];
    // table (fragile, ok): [[2, 0], [1, 1]]; po = 3/4, pe = 1/2 x 3/4 + 1/2 x 1/4 = 1/2, kappa = 1/2
    const k = cohenKappa(a, b);
    expect(k.categories).toEqual(["fragile", "ok"]);
    expect(k.table).toEqual([[2, 0], [1, 1]]);
    expect(k.kappa).toBeCloseTo(0.5, 15);
    expect(k.warnings.join()).toMatch(/only 4 subjects/);
  });

  it("orders numeric categories numerically and honours explicit categories", () => {
    const a = [1, 2, 3, 10, 10, 2, 1, 3, 2, 1];
    const b = [1, 3, 3, 10, 3, 2, 1, 2, 2, 1];
    const k = cohenKappa(a, b, { weights: "linear" });
    expect(k.categories).toEqual([1, 2, 3, 10]);
    const withEmpty = cohenKappa(a, b, { weights: "linear", categories: [1, 2, 3, 4, 10] });
    expect(withEmpty.table.length).toBe(5);
    expect(cohenKappa(["b", "a", "c"], ["a", "a", "c"], { weights: "linear" }).warnings.join()).toMatch(/ordered as strings/);
  });

  it("handles degenerate and invalid input", () => {
    expect(cohenKappa(["x", "x", "x"], ["x", "x", "x"]).kappa).toBeNaN();
    expect(() => cohenKappa([1, 2], [1])).toThrow(/unequal lengths/);
    expect(() => cohenKappa([1, NaN], [1, 2])).toThrow(ValidationStatsError);
    expect(() => cohenKappa([1, 5], [1, 2], { categories: [1, 2] })).toThrow(/not one of the categories/);
    expect(() => kappaFromTable([[1, 2], [3]])).toThrow(/square/);
    expect(() => kappaFromTable([[1, -2], [3, 4]])).toThrow(/non-negative/);
  });
});
