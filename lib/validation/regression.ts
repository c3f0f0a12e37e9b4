/**
 * Ordinary least-squares line y = a + b x with standard errors, t intervals and tests, R^2 and the
 * residual standard error (n - 2 degrees of freedom).
 *
 * @example
 * ```ts
 * const fit = linearRegression(neckABMD, strengthN);
 * fit.slope.estimate; fit.slope.ci; fit.r2;
 * ```
 * @module
 */
import { tQuantile, tTwoSidedP } from "./distributions.js";
import { ValidationStatsError } from "./errors.js";
import { centredSums, checkConfLevel, checkPairs } from "./input.js";

/** A regression coefficient with its inference. Plain data. */
export interface Coefficient {
  estimate: number;
  /** Standard error. */
  se: number;
  /** t statistic of H0: coefficient = 0. */
  t: number;
  /** Two-sided p-value on the residual degrees of freedom. */
  p: number;
  /** t-based confidence interval. */
  ci: [number, number];
}

/** Options of {@link linearRegression}. */
export interface RegressionOptions {
  /** Confidence level of the coefficient intervals. Default 0.95. */
  confLevel?: number;
}

/** An OLS line with its inference. Plain data. */
export interface RegressionResult {
  method: "ordinary least squares";
  n: number;
  /** Residual degrees of freedom, n - 2. */
  df: number;
  intercept: Coefficient;
  slope: Coefficient;
  /** Coefficient of determination. */
  r2: number;
  /** Adjusted R^2, 1 - (1 - R^2)(n - 1)/(n - 2). */
  adjustedR2: number;
  /** Residual standard error sqrt(SSE / (n - 2)). */
  residualSE: number;
  /** Residuals y - (a + b x), in input order. */
  residuals: number[];
  confLevel: number;
  warnings: string[];
}

/**
 * Fit y = a + b x by ordinary least squares.
 *
 * @param x - predictor (finite numbers, not all equal)
 * @param y - response, paired with `x`
 * @throws {@link ValidationStatsError} on unequal lengths, fewer than 3 pairs, non-finite values or a
 *   constant `x`
 * @example
 * ```ts
 * // Anscombe (1973) set I: y = 3.00 + 0.500 x, R^2 = 0.667, residual SE 1.237
 * linearRegression([10, 8, 13, 9, 11, 14, 6, 4, 12, 7, 5],
 *                  [8.04, 6.95, 7.58, 8.81, 8.33, 9.96, 7.24, 4.26, 10.84, 4.82, 5.68]);
 * ```
 */
export function linearRegression(
  x: readonly number[],
  y: readonly number[],
  options: RegressionOptions = {},
): RegressionResult {
  const n = checkPairs(x, y, "x", "y", 3);
  const confLevel = checkConfLevel(options.confLevel);
  const { mx, my, sxx, syy, sxy } = centredSums(x, y);
  if (sxx === 0) throw new ValidationStatsError("x is constant; a regression line needs at least two distinct x values");
  const b = sxy / sxx;
  const a = my - b * mx;
  const residuals = new Array<number>(n);
  let sse = 0;
  for (let i = 0; i < n; i++) {
    residuals[i] = y[i] - (a + b * x[i]);
    sse += residuals[i] * residuals[i];
  }
  const df = n - 2;
  const s2 = sse / df;
  const residualSE = Math.sqrt(s2);
  const r2 = syy === 0 ? NaN : Math.max(0, 1 - sse / syy);
  const tq = tQuantile(0.5 + confLevel / 2, df);
  const coef = (estimate: number, se: number): Coefficient => {
    const t = se === 0 ? (estimate === 0 ? NaN : Math.sign(estimate) * Infinity) : estimate / se;
    return { estimate, se, t, p: Number.isNaN(t) ? NaN : tTwoSidedP(t, df), ci: [estimate - tq * se, estimate + tq * se] };
  };
  const warnings: string[] = [];
  if (syy === 0) warnings.push("y is constant; R^2 is undefined");
  if (sse === 0) warnings.push("the points lie exactly on a line; standard errors are zero");
  return {
    method: "ordinary least squares",
    n,
    df,
    intercept: coef(a, Math.sqrt(s2 * (1 / n + (mx * mx) / sxx))),
    slope: coef(b, Math.sqrt(s2 / sxx)),
    r2,
    adjustedR2: 1 - ((1 - r2) * (n - 1)) / df,
    residualSE,
    residuals,
    confLevel,
    warnings,
  };
}
