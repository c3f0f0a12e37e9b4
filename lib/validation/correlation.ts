/**
 * Correlation with confidence intervals: Pearson's r and Spearman's rho.
 *
 * - Pearson: p-value from t = r sqrt((n-2)/(1-r^2)) on n-2 degrees of freedom (exact under bivariate
 *   normality); CI by Fisher's z, atanh(r) +/- z_{1-alpha/2} / sqrt(n-3), back-transformed.
 * - Spearman: Pearson's r of the mid-ranks (ties averaged); p-value from the same t statistic on n-2
 *   degrees of freedom (the large-sample approximation, not the exact permutation distribution); CI by
 *   Fisher's z with the Bonett & Wright (2000, Psychometrika 65:23) variance (1 + rho^2/2)/(n-3).
 *
 * @example
 * ```ts
 * const r = pearson(strengthN, neckABMD);   // { r, ci: [lo, hi], p, ... }
 * const s = spearman(strengthN, neckABMD);
 * ```
 * @module
 */
import { fisherZ, fisherZInverse, normalQuantile, tTwoSidedP } from "./distributions.js";
import { centredSums, checkConfLevel, checkPairs } from "./input.js";
import { midRanks } from "./ranks.js";

/** Options of {@link pearson} and {@link spearman}. */
export interface CorrelationOptions {
  /** Confidence level of the interval. Default 0.95. */
  confLevel?: number;
}

/** A correlation coefficient with its test and interval. Plain data. */
export interface CorrelationResult {
  method: "pearson" | "spearman";
  /** Number of pairs. */
  n: number;
  /** The coefficient (r or rho). */
  estimate: number;
  /** t statistic of H0: no correlation, estimate * sqrt((n-2)/(1-estimate^2)). */
  t: number;
  /** Degrees of freedom of t, n - 2. */
  df: number;
  /** Two-sided p-value of t. */
  p: number;
  /** Confidence interval [lower, upper] (NaN for n = 3, where n - 3 = 0). */
  ci: [number, number];
  confLevel: number;
  /** How the interval was made. */
  ciMethod: string;
  /** How the p-value was made. */
  pMethod: string;
  warnings: string[];
}

/** Pearson's r of two arrays (assumed validated, n >= 2). NaN when either is constant. */
function pearsonR(x: readonly number[], y: readonly number[]): number {
  const { sxx, syy, sxy } = centredSums(x, y);
  if (sxx === 0 || syy === 0) return NaN;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

function correlationResult(
  method: "pearson" | "spearman",
  r: number,
  n: number,
  confLevel: number,
  zVariance: (r: number) => number,
  ciMethod: string,
  pMethod: string,
  warnings: string[],
): CorrelationResult {
  const df = n - 2;
  let t: number;
  let p: number;
  if (Number.isNaN(r)) {
    warnings.push("one variable is constant; the correlation is undefined");
    t = NaN;
    p = NaN;
  } else if (Math.abs(r) === 1) {
    t = r * Infinity;
    p = 0;
    warnings.push("the correlation is exactly +/-1");
  } else {
    t = r * Math.sqrt(df / (1 - r * r));
    p = tTwoSidedP(t, df);
  }
  let ci: [number, number] = [NaN, NaN];
  if (n <= 3) {
    warnings.push("n = 3: the Fisher z interval needs n > 3");
  } else if (!Number.isNaN(r)) {
    if (Math.abs(r) === 1) ci = [r, r];
    else {
      const z = fisherZ(r);
      const half = normalQuantile(0.5 + confLevel / 2) * Math.sqrt(zVariance(r));
      ci = [fisherZInverse(z - half), fisherZInverse(z + half)];
    }
  }
  if (n < 10) warnings.push(`only ${n} pairs; the interval and p-value rest on large-sample approximations`);
  return { method, n, estimate: r, t, df, p, ci, confLevel, ciMethod, pMethod, warnings };
}

/**
 * Pearson's product-moment correlation with a t-test p-value and a Fisher z confidence interval
 * (SE of atanh(r) = 1/sqrt(n-3)).
 *
 * @param x - first variable (finite numbers)
 * @param y - second variable, paired with `x`
 * @throws {@link ValidationStatsError} on unequal lengths, fewer than 3 pairs or non-finite values
 * @example
 * ```ts
 * // Anscombe (1973) set I: r = 0.816, 95% CI 0.424 to 0.951, p = 0.00217
 * pearson([10, 8, 13, 9, 11, 14, 6, 4, 12, 7, 5],
 *         [8.04, 6.95, 7.58, 8.81, 8.33, 9.96, 7.24, 4.26, 10.84, 4.82, 5.68]);
 * ```
 */
export function pearson(x: readonly number[], y: readonly number[], options: CorrelationOptions = {}): CorrelationResult {
  const n = checkPairs(x, y, "x", "y", 3);
  const confLevel = checkConfLevel(options.confLevel);
  return correlationResult(
    "pearson",
    pearsonR(x, y),
    n,
    confLevel,
    () => 1 / (n - 3),
    "Fisher z, SE 1/sqrt(n-3)",
    "t test on n-2 df",
    [],
  );
}

/**
 * Spearman's rank correlation (mid-ranks for ties) with a t-approximation p-value and a Fisher z
 * confidence interval using the Bonett-Wright variance (1 + rho^2/2)/(n-3).
 *
 * @param x - first variable (finite numbers)
 * @param y - second variable, paired with `x`
 * @throws {@link ValidationStatsError} on unequal lengths, fewer than 3 pairs or non-finite values
 * @example
 * ```ts
 * spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]).estimate; // 0.8
 * ```
 */
export function spearman(x: readonly number[], y: readonly number[], options: CorrelationOptions = {}): CorrelationResult {
  const n = checkPairs(x, y, "x", "y", 3);
  const confLevel = checkConfLevel(options.confLevel);
  const rx = midRanks(x);
  const ry = midRanks(y);
  const warnings: string[] = [];
  if (new Set(x).size < n || new Set(y).size < n) warnings.push("ties present: mid-ranks used");
  return correlationResult(
    "spearman",
    pearsonR(rx, ry),
    n,
    confLevel,
    (r) => (1 + (r * r) / 2) / (n - 3),
    "Fisher z, Bonett-Wright variance (1 + rho^2/2)/(n-3)",
    "t approximation on n-2 df",
    warnings,
  );
}
