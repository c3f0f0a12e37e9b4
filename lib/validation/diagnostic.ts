/**
 * Diagnostic accuracy of a binary test against a binary reference (outcome): the 2x2 table,
 * sensitivity, specificity, PPV, NPV, accuracy and prevalence, each a binomial proportion with a Wilson
 * score (default) or exact Clopper-Pearson interval, plus the likelihood ratios (point estimates).
 *
 * PPV and NPV are estimated as proportions of the test-positive and test-negative subjects; they are
 * meaningful only when the sample's prevalence is the population's (a cohort, not a case-control set).
 *
 * Interval methods (Newcombe 1998, Stat Med 17:857, methods 3 and 5):
 * - Wilson score: (p + z^2/2n +/- z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n);
 * - Clopper-Pearson: [Beta(alpha/2; x, n-x+1), Beta(1-alpha/2; x+1, n-x)], 0 and 1 at the ends.
 *
 * @example
 * ```ts
 * const d = diagnosticAtThreshold(strengthN, fractured, 3000, { direction: "lower" });
 * d.sensitivity; d.specificity.ci;
 * ```
 * @module
 */
import { betaQuantile, normalQuantile } from "./distributions.js";
import { ValidationStatsError } from "./errors.js";
import { checkConfLevel, checkScored, toBinary, type Outcome } from "./input.js";
import type { ScoreDirection } from "./roc.js";

/** Counts of a 2x2 table of a test against the reference. */
export interface TwoByTwo {
  /** Test positive, event. */
  tp: number;
  /** Test positive, no event. */
  fp: number;
  /** Test negative, event. */
  fn: number;
  /** Test negative, no event. */
  tn: number;
}

/** Interval method of a binomial proportion. */
export type ProportionCIMethod = "wilson" | "clopper-pearson";

/** Options of the proportion intervals. */
export interface ProportionOptions {
  /** "wilson" (default) or "clopper-pearson" (exact). */
  ciMethod?: ProportionCIMethod;
  /** Confidence level. Default 0.95. */
  confLevel?: number;
}

/** A binomial proportion x/n with its interval. Plain data. */
export interface Proportion {
  estimate: number;
  /** Numerator x. */
  count: number;
  /** Denominator n. */
  total: number;
  ci: [number, number];
}

function checkCount(v: number, name: string): void {
  if (!Number.isInteger(v) || v < 0) throw new ValidationStatsError(`${name} must be a non-negative integer count; got ${v}`);
}

function checkMethod(m: unknown): ProportionCIMethod {
  const method = m ?? "wilson";
  if (method !== "wilson" && method !== "clopper-pearson") {
    throw new ValidationStatsError(`ciMethod must be "wilson" or "clopper-pearson"; got ${String(m)}`);
  }
  return method;
}

/**
 * A binomial proportion x/n with a Wilson score or Clopper-Pearson interval. For n = 0 the estimate
 * and interval are NaN.
 *
 * @throws {@link ValidationStatsError} when x or n is not a non-negative integer or x > n
 * @example
 * ```ts
 * // Newcombe 1998, Table II: 81/263, Wilson 0.2553 to 0.3662, Clopper-Pearson 0.2527 to 0.3676
 * binomialProportion(81, 263);
 * binomialProportion(81, 263, { ciMethod: "clopper-pearson" });
 * ```
 */
export function binomialProportion(x: number, n: number, options: ProportionOptions = {}): Proportion {
  checkCount(x, "count");
  checkCount(n, "total");
  if (x > n) throw new ValidationStatsError(`count ${x} exceeds total ${n}`);
  const method = checkMethod(options.ciMethod);
  const confLevel = checkConfLevel(options.confLevel);
  if (n === 0) return { estimate: NaN, count: x, total: n, ci: [NaN, NaN] };
  const p = x / n;
  const alpha = 1 - confLevel;
  let ci: [number, number];
  if (method === "wilson") {
    const z = normalQuantile(1 - alpha / 2);
    const z2 = z * z;
    const denom = 1 + z2 / n;
    const centre = (p + z2 / (2 * n)) / denom;
    const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
    ci = [x === 0 ? 0 : Math.max(0, centre - half), x === n ? 1 : Math.min(1, centre + half)];
  } else {
    ci = [x === 0 ? 0 : betaQuantile(alpha / 2, x, n - x + 1), x === n ? 1 : betaQuantile(1 - alpha / 2, x + 1, n - x)];
  }
  return { estimate: p, count: x, total: n, ci };
}

/** Diagnostic accuracy from a 2x2 table. Plain data. */
export interface DiagnosticResult {
  table: TwoByTwo;
  /** tp / (tp + fn). */
  sensitivity: Proportion;
  /** tn / (tn + fp). */
  specificity: Proportion;
  /** Positive predictive value tp / (tp + fp). */
  ppv: Proportion;
  /** Negative predictive value tn / (tn + fn). */
  npv: Proportion;
  /** (tp + tn) / N. */
  accuracy: Proportion;
  /** (tp + fn) / N. */
  prevalence: Proportion;
  /** sensitivity / (1 - specificity) (Infinity when specificity is 1). */
  lrPositive: number;
  /** (1 - sensitivity) / specificity. */
  lrNegative: number;
  /** Youden's J = sensitivity + specificity - 1. */
  youdenJ: number;
  ciMethod: ProportionCIMethod;
  confLevel: number;
  warnings: string[];
}

/**
 * Cross-tabulate a binary test against a binary reference.
 *
 * @param testPositive - the test result per subject (true/1 positive)
 * @param outcome - the reference per subject (true/1 event)
 * @throws {@link ValidationStatsError} on unequal lengths or non-binary entries
 * @example
 * ```ts
 * twoByTwo([1, 1, 0, 0], [1, 0, 1, 0]); // { tp: 1, fp: 1, fn: 1, tn: 1 }
 * ```
 */
export function twoByTwo(testPositive: Outcome, outcome: Outcome): TwoByTwo {
  const t = toBinary(testPositive, "testPositive");
  const o = toBinary(outcome, "outcome");
  if (t.length !== o.length) throw new ValidationStatsError(`testPositive and outcome have unequal lengths (${t.length} and ${o.length})`);
  const table = { tp: 0, fp: 0, fn: 0, tn: 0 };
  for (let i = 0; i < t.length; i++) {
    if (t[i]) o[i] ? table.tp++ : table.fp++;
    else o[i] ? table.fn++ : table.tn++;
  }
  return table;
}

/**
 * Sensitivity, specificity, PPV, NPV, accuracy, prevalence (each with an interval) and likelihood
 * ratios of a 2x2 table.
 *
 * @throws {@link ValidationStatsError} when a count is not a non-negative integer or the table is empty
 * @example
 * ```ts
 * diagnosticAccuracy({ tp: 45, fp: 10, fn: 5, tn: 40 }, { ciMethod: "clopper-pearson" }).sensitivity;
 * // { estimate: 0.9, count: 45, total: 50, ci: [0.7819, 0.9667] }
 * ```
 */
export function diagnosticAccuracy(table: TwoByTwo, options: ProportionOptions = {}): DiagnosticResult {
  const { tp, fp, fn, tn } = table;
  checkCount(tp, "tp");
  checkCount(fp, "fp");
  checkCount(fn, "fn");
  checkCount(tn, "tn");
  const total = tp + fp + fn + tn;
  if (total === 0) throw new ValidationStatsError("the 2x2 table is empty");
  const ciMethod = checkMethod(options.ciMethod);
  const confLevel = checkConfLevel(options.confLevel);
  const prop = (x: number, n: number) => binomialProportion(x, n, { ciMethod, confLevel });
  const sensitivity = prop(tp, tp + fn);
  const specificity = prop(tn, tn + fp);
  const warnings: string[] = [];
  if (tp + fn === 0) warnings.push("no events: sensitivity is undefined");
  if (tn + fp === 0) warnings.push("no non-events: specificity is undefined");
  if (tp + fp === 0) warnings.push("no test positives: PPV is undefined");
  if (tn + fn === 0) warnings.push("no test negatives: NPV is undefined");
  const se = sensitivity.estimate;
  const sp = specificity.estimate;
  return {
    table: { tp, fp, fn, tn },
    sensitivity,
    specificity,
    ppv: prop(tp, tp + fp),
    npv: prop(tn, tn + fn),
    accuracy: prop(tp + tn, total),
    prevalence: prop(tp + fn, total),
    lrPositive: se / (1 - sp),
    lrNegative: (1 - se) / sp,
    youdenJ: se + sp - 1,
    ciMethod,
    confLevel,
    warnings,
  };
}

/** Options of {@link diagnosticAtThreshold}. */
export interface ThresholdOptions extends ProportionOptions {
  /** "higher" (default): score >= threshold is test-positive; "lower": score <= threshold is. */
  direction?: ScoreDirection;
}

/**
 * Diagnostic accuracy of a continuous score dichotomised at `threshold` (positive when
 * score >= threshold, or <= with `direction: "lower"`, the same convention as the ROC curve points).
 *
 * @throws {@link ValidationStatsError} on unequal lengths, non-finite scores or threshold, a
 *   non-binary outcome or one with a single class
 * @example
 * ```ts
 * diagnosticAtThreshold([1, 2, 3, 4], [0, 0, 1, 1], 3).sensitivity.estimate; // 1
 * ```
 */
export function diagnosticAtThreshold(
  scores: readonly number[],
  outcome: Outcome,
  threshold: number,
  options: ThresholdOptions = {},
): DiagnosticResult & { threshold: number; direction: ScoreDirection } {
  const { positive } = checkScored(scores, outcome, "scores");
  if (!Number.isFinite(threshold)) throw new ValidationStatsError(`threshold must be a finite number; got ${threshold}`);
  const direction = options.direction ?? "higher";
  if (direction !== "higher" && direction !== "lower") throw new ValidationStatsError(`direction must be "higher" or "lower"; got ${String(direction)}`);
  const test = scores.map((s) => (direction === "higher" ? s >= threshold : s <= threshold));
  return { ...diagnosticAccuracy(twoByTwo(test, positive), options), threshold, direction };
}
