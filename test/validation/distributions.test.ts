import { describe, expect, it } from "vitest";
import {
  betaQuantile,
  erf,
  erfc,
  fisherZ,
  fisherZInverse,
  logGamma,
  normalCdf,
  normalQuantile,
  normalTwoSidedP,
  normalUpperTail,
  regularizedBeta,
  tCdf,
  tQuantile,
  tTwoSidedP,
  tUpperTail,
  ValidationStatsError,
} from "../../lib/validation/index.js";

describe("normal distribution", () => {
  it("matches tabulated quantiles (Abramowitz & Stegun 26.2, to 9 decimals)", () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963985, 9);
    expect(normalQuantile(0.995)).toBeCloseTo(2.575829304, 9);
    expect(normalQuantile(0.9)).toBeCloseTo(1.281551566, 9);
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(0.025)).toBeCloseTo(-1.959963985, 9);
    // far tail (region r > 5 of AS 241): Phi^-1(1e-10) = -6.361340902
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.361340902, 8);
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(1)).toBe(Infinity);
  });

  it("matches tabulated CDF values", () => {
    expect(normalCdf(1.96)).toBeCloseTo(0.9750021049, 10);
    expect(normalCdf(-3)).toBeCloseTo(0.001349898032, 12);
    expect(normalCdf(0)).toBe(0.5);
    // upper tail keeps relative precision: 1 - Phi(5) = 2.866515719e-7
    expect(normalUpperTail(5) / 2.866515719e-7).toBeCloseTo(1, 8);
    expect(erf(1)).toBeCloseTo(0.8427007929497149, 14);
    expect(erfc(0)).toBe(1);
    expect(erf(-1)).toBeCloseTo(-0.8427007929497149, 14);
  });

  it("inverts its own CDF over the whole range", () => {
    for (const p of [1e-300, 1e-50, 1e-8, 0.001, 0.02, 0.0751, 0.3, 0.5, 0.62, 0.9249, 0.99, 1 - 1e-12]) {
      const z = normalQuantile(p);
      const back = p < 0.5 ? normalCdf(z) : 1 - normalUpperTail(z);
      expect(Math.abs(back - p) / Math.min(p, 1 - p)).toBeLessThan(1e-12);
    }
  });

  it("gives two-sided p-values", () => {
    expect(normalTwoSidedP(1.959963985)).toBeCloseTo(0.05, 9);
    expect(normalTwoSidedP(-1.959963985)).toBeCloseTo(0.05, 9);
    expect(normalTwoSidedP(0)).toBe(1);
  });
});

describe("Student t distribution", () => {
  it("matches tabulated quantiles (Abramowitz & Stegun table 26.10)", () => {
    expect(tQuantile(0.975, 10)).toBeCloseTo(2.228138852, 9);
    expect(tQuantile(0.975, 1)).toBeCloseTo(12.70620474, 8);
    expect(tQuantile(0.975, 2)).toBeCloseTo(4.30265273, 8);
    expect(tQuantile(0.975, 5)).toBeCloseTo(2.570581836, 9);
    expect(tQuantile(0.975, 9)).toBeCloseTo(2.262157163, 9);
    expect(tQuantile(0.975, 16)).toBeCloseTo(2.119905299, 9);
    expect(tQuantile(0.975, 30)).toBeCloseTo(2.042272456, 9);
    expect(tQuantile(0.975, 100)).toBeCloseTo(1.983971519, 9);
    expect(tQuantile(0.995, 10)).toBeCloseTo(3.169272673, 9);
    expect(tQuantile(0.025, 10)).toBeCloseTo(-2.228138852, 9);
    expect(tQuantile(0.5, 7)).toBe(0);
  });

  it("agrees with the closed forms for 1 and 2 degrees of freedom", () => {
    for (const t of [-40, -3, -0.5, 0, 0.2, 1, 7, 300]) {
      // df = 1 (Cauchy): P(T > t) = 1/2 - atan(t)/pi; df = 2: P(T > t) = 1/2 - t / (2 sqrt(2 + t^2))
      expect(tUpperTail(t, 1)).toBeCloseTo(0.5 - Math.atan(t) / Math.PI, 14);
      expect(tUpperTail(t, 2)).toBeCloseTo(0.5 - t / (2 * Math.sqrt(2 + t * t)), 14);
    }
  });

  it("inverts its own CDF, including non-integer df", () => {
    for (const df of [1, 2, 3, 3.5, 9, 27, 250]) {
      for (const p of [1e-9, 0.001, 0.05, 0.3, 0.7, 0.975, 0.9999]) {
        expect(tCdf(tQuantile(p, df), df)).toBeCloseTo(p, 12);
      }
    }
    expect(tUpperTail(0, 4)).toBe(0.5);
    // tends to the normal as df grows
    expect(tQuantile(0.975, 1e5)).toBeCloseTo(1.959963985 + (1.959963985 ** 3 + 1.959963985) / (4 * 1e5), 7);
  });

  it("gives the Anscombe slope p-value (t = 4.241 on 9 df, p = 0.00217)", () => {
    expect(tTwoSidedP(4.2415, 9)).toBeCloseTo(0.00217, 5);
  });

  it("rejects invalid arguments", () => {
    expect(() => tQuantile(0.5, 0)).toThrow(ValidationStatsError);
    expect(() => tQuantile(1.2, 5)).toThrow(/probability/);
    expect(() => normalQuantile(NaN)).toThrow(ValidationStatsError);
  });
});

describe("gamma, beta and Fisher z", () => {
  it("logGamma reproduces factorials and Gamma(1/2) = sqrt(pi)", () => {
    let f = 1;
    for (let n = 1; n <= 20; n++) {
      expect(logGamma(n + 1)).toBeCloseTo(Math.log((f *= n)), 11);
    }
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 14);
    expect(logGamma(0.1)).toBeCloseTo(2.252712651734206, 13); // Gamma(0.1) = 9.513507698668732
  });

  it("regularized incomplete beta: closed forms and the binomial tail identity", () => {
    for (const x of [0.01, 0.3, 0.77]) {
      expect(regularizedBeta(x, 1, 1)).toBeCloseTo(x, 14);
      expect(regularizedBeta(x, 3.5, 1)).toBeCloseTo(x ** 3.5, 14);
      expect(regularizedBeta(x, 1, 4)).toBeCloseTo(1 - (1 - x) ** 4, 14);
    }
    // I_p(k, n-k+1) = P(Binomial(n, p) >= k), summed by hand
    const n = 20;
    const p = 0.35;
    const choose = (a: number, b: number) => {
      let c = 1;
      for (let i = 1; i <= b; i++) c = (c * (a - b + i)) / i;
      return c;
    };
    for (const k of [1, 5, 7, 12, 20]) {
      let tail = 0;
      for (let j = k; j <= n; j++) tail += choose(n, j) * p ** j * (1 - p) ** (n - j);
      expect(regularizedBeta(p, k, n - k + 1)).toBeCloseTo(tail, 13);
    }
  });

  it("betaQuantile inverts the incomplete beta", () => {
    for (const [q, a, b] of [[0.025, 81, 183], [0.975, 16, 133], [0.5, 0.5, 0.5], [0.001, 2, 30]]) {
      expect(regularizedBeta(betaQuantile(q, a, b), a, b)).toBeCloseTo(q, 13);
    }
  });

  it("Fisher z is atanh: z(0.5) = 0.5 ln 3", () => {
    expect(fisherZ(0.5)).toBeCloseTo(0.5 * Math.log(3), 15);
    expect(fisherZInverse(fisherZ(-0.37))).toBeCloseTo(-0.37, 15);
  });
});
