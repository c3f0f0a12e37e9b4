/**
 * Bland-Altman agreement of two measurement methods on the same subjects: bias (mean difference),
 * SD of the differences, limits of agreement bias +/- k SD, their confidence intervals, and a check
 * for proportional bias (regression of the difference on the mean).
 *
 * Confidence intervals (t on n - 1 df, Bland & Altman 1986 Lancet i:307 and 1999 Stat Methods Med Res
 * 8:135):
 * - bias: SE = SD / sqrt(n);
 * - limits: by default the approximate SE of Bland & Altman 1999, SD * sqrt(1/n + k^2 / (2(n-1)));
 *   `limitSE: "1986"` gives the cruder SE sqrt(3 SD^2 / n) used in the 1986 paper.
 *
 * @example
 * ```ts
 * const ba = blandAltman(dxaEquivalentNeck, measuredNeck);
 * ba.bias; ba.limits; ba.proportionalBias.slope.p;
 * ```
 * @module
 */
import { tQuantile } from "./distributions.js";
import { ValidationStatsError } from "./errors.js";
import { checkConfLevel, checkPairs } from "./input.js";
import { linearRegression, type Coefficient } from "./regression.js";

/** Options of {@link blandAltman}. */
export interface BlandAltmanOptions {
  /** Multiplier k of the SD in the limits of agreement. Default 1.96 (the 1986 paper used 2). */
  limitMultiplier?: number;
  /** Confidence level of the intervals of bias and limits. Default 0.95. */
  confLevel?: number;
  /** SE formula of the limits: "1999" (default) or "1986" (sqrt(3 SD^2 / n)). */
  limitSE?: "1999" | "1986";
}

/** An estimate with its standard error and interval. Plain data. */
export interface EstimateWithCI {
  estimate: number;
  se: number;
  ci: [number, number];
}

/** A Bland-Altman analysis. Differences are `a - b`. Plain data. */
export interface BlandAltmanResult {
  n: number;
  /** Mean difference a - b, with SE SD/sqrt(n) and t interval. */
  bias: EstimateWithCI;
  /** Standard deviation of the differences (n - 1 denominator). */
  sdDifference: number;
  limitMultiplier: number;
  /** Lower limit of agreement bias - k SD, with its SE and t interval. */
  lowerLimit: EstimateWithCI;
  /** Upper limit of agreement bias + k SD, with its SE and t interval. */
  upperLimit: EstimateWithCI;
  /** Regression of the difference on the mean of the two methods (slope != 0 suggests proportional bias). */
  proportionalBias: { intercept: Coefficient; slope: Coefficient; r2: number };
  /** Differences a - b and means (a + b)/2 per subject, for the plot. */
  differences: number[];
  means: number[];
  confLevel: number;
  /** Which SE formula the limits' intervals use. */
  limitSEMethod: string;
  warnings: string[];
}

/**
 * Bland-Altman analysis of method `a` against method `b` (differences a - b).
 *
 * @param a - measurements by the first method
 * @param b - measurements by the second method on the same subjects
 * @throws {@link ValidationStatsError} on unequal lengths, fewer than 3 pairs, non-finite values or a
 *   non-positive limit multiplier
 * @example
 * ```ts
 * // Bland & Altman 1986: Wright vs mini Wright peak flow, bias -2.1 l/min, SD 38.8, limits -79.7 to 75.5
 * const ba = blandAltman(wright, miniWright, { limitMultiplier: 2, limitSE: "1986" });
 * ```
 */
export function blandAltman(a: readonly number[], b: readonly number[], options: BlandAltmanOptions = {}): BlandAltmanResult {
  const n = checkPairs(a, b, "a", "b", 3);
  const confLevel = checkConfLevel(options.confLevel);
  const k = options.limitMultiplier ?? 1.96;
  if (!(k > 0) || !Number.isFinite(k)) throw new ValidationStatsError(`limitMultiplier must be a positive number; got ${k}`);
  const limitSE = options.limitSE ?? "1999";
  if (limitSE !== "1999" && limitSE !== "1986") throw new ValidationStatsError(`limitSE must be "1999" or "1986"; got ${String(limitSE)}`);
  const differences = a.map((v, i) => v - b[i]);
  const means = a.map((v, i) => (v + b[i]) / 2);
  let bias = 0;
  for (const d of differences) bias += d;
  bias /= n;
  let ss = 0;
  for (const d of differences) ss += (d - bias) ** 2;
  const sd = Math.sqrt(ss / (n - 1));
  const tq = tQuantile(0.5 + confLevel / 2, n - 1);
  const seBias = sd / Math.sqrt(n);
  const seLimit = limitSE === "1986" ? Math.sqrt((3 * sd * sd) / n) : sd * Math.sqrt(1 / n + (k * k) / (2 * (n - 1)));
  const withCI = (estimate: number, se: number): EstimateWithCI => ({ estimate, se, ci: [estimate - tq * se, estimate + tq * se] });
  const warnings: string[] = [];
  let proportionalBias: BlandAltmanResult["proportionalBias"];
  if (means.every((m) => m === means[0])) {
    warnings.push("all means are equal; the proportional-bias regression is undefined");
    const nan: Coefficient = { estimate: NaN, se: NaN, t: NaN, p: NaN, ci: [NaN, NaN] };
    proportionalBias = { intercept: nan, slope: nan, r2: NaN };
  } else {
    const fit = linearRegression(means, differences, { confLevel });
    proportionalBias = { intercept: fit.intercept, slope: fit.slope, r2: fit.r2 };
    if (fit.slope.p < 1 - confLevel) {
      warnings.push(
        `the difference depends on the magnitude (slope ${fit.slope.estimate.toPrecision(3)}, p = ${fit.slope.p.toPrecision(2)}): proportional bias; constant limits of agreement may mislead`,
      );
    }
  }
  return {
    n,
    bias: withCI(bias, seBias),
    sdDifference: sd,
    limitMultiplier: k,
    lowerLimit: withCI(bias - k * sd, seLimit),
    upperLimit: withCI(bias + k * sd, seLimit),
    proportionalBias,
    differences,
    means,
    confLevel,
    limitSEMethod: limitSE === "1986" ? "Bland & Altman 1986: sqrt(3 SD^2 / n)" : "Bland & Altman 1999: SD sqrt(1/n + k^2/(2(n-1)))",
    warnings,
  };
}
