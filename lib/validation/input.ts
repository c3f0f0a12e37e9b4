/**
 * Input checks shared by the validation statistics. Each throws {@link ValidationStatsError} with a
 * message naming the argument and the problem.
 * @module
 */
import { ValidationStatsError } from "./errors.js";

/** A binary outcome: `true`/`1` is the event (case, positive), `false`/`0` the non-event. */
export type Outcome = readonly (boolean | number)[];

/**
 * Check that `values` is an array of finite numbers and return it.
 *
 * @example
 * ```ts
 * checkFinite([1, 2, 3], "x"); // ok
 * checkFinite([1, NaN], "x");  // throws "x[1] is NaN; ..."
 * ```
 */
export function checkFinite(values: readonly number[], name: string): readonly number[] {
  if (!Array.isArray(values) && !ArrayBuffer.isView(values)) {
    throw new ValidationStatsError(`${name} must be an array of numbers`);
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      const what = typeof v !== "number" ? `not a number (${String(v)})` : Number.isNaN(v) ? "NaN" : String(v);
      throw new ValidationStatsError(`${name}[${i}] is ${what}; remove or impute missing values before computing statistics`);
    }
  }
  return values;
}

/**
 * Check two arrays of finite numbers of equal length, at least `minN` long.
 *
 * @example
 * ```ts
 * checkPairs([1, 2, 3], [2, 4, 7], "x", "y", 3);
 * ```
 */
export function checkPairs(x: readonly number[], y: readonly number[], xName: string, yName: string, minN: number): number {
  checkFinite(x, xName);
  checkFinite(y, yName);
  if (x.length !== y.length) {
    throw new ValidationStatsError(`${xName} and ${yName} have unequal lengths (${x.length} and ${y.length}); they must be paired`);
  }
  if (x.length < minN) {
    throw new ValidationStatsError(`at least ${minN} pairs are needed; got ${x.length}`);
  }
  return x.length;
}

/**
 * Convert a binary outcome to booleans, checking each entry is `true`/`false`/`1`/`0`.
 *
 * @example
 * ```ts
 * toBinary([1, 0, true], "outcome"); // [true, false, true]
 * ```
 */
export function toBinary(outcome: Outcome, name: string): boolean[] {
  if (!Array.isArray(outcome)) throw new ValidationStatsError(`${name} must be an array of booleans or 0/1`);
  return outcome.map((v, i) => {
    if (v === true || v === 1) return true;
    if (v === false || v === 0) return false;
    throw new ValidationStatsError(`${name}[${i}] is ${String(v)}; a binary outcome must be true/false or 1/0`);
  });
}

/**
 * Check a confidence level lies strictly between 0 and 1 and return it (default 0.95).
 *
 * @example
 * ```ts
 * checkConfLevel(undefined); // 0.95
 * ```
 */
export function checkConfLevel(level: number | undefined): number {
  const c = level ?? 0.95;
  if (!(c > 0 && c < 1)) throw new ValidationStatsError(`confLevel must lie strictly between 0 and 1; got ${c}`);
  return c;
}

/**
 * Check a score array and a binary outcome of the same length with both classes present.
 * Returns the outcome as booleans with the counts of cases (events) and controls.
 *
 * @example
 * ```ts
 * checkScored([0.2, 0.9], [0, 1], "score"); // { positive: [false, true], nCases: 1, nControls: 1 }
 * ```
 */
export function checkScored(
  scores: readonly number[],
  outcome: Outcome,
  scoreName: string,
): { positive: boolean[]; nCases: number; nControls: number } {
  checkFinite(scores, scoreName);
  const positive = toBinary(outcome, "outcome");
  if (positive.length !== scores.length) {
    throw new ValidationStatsError(`${scoreName} and outcome have unequal lengths (${scores.length} and ${positive.length})`);
  }
  let nCases = 0;
  for (const p of positive) if (p) nCases++;
  const nControls = positive.length - nCases;
  if (nCases === 0 || nControls === 0) {
    throw new ValidationStatsError(
      `the outcome has only one class (${nCases} events, ${nControls} non-events); ROC analysis needs both`,
    );
  }
  return { positive, nCases, nControls };
}

/** Means and centred sums of squares and products of paired arrays (the inputs of r and OLS). */
export interface CentredSums {
  mx: number;
  my: number;
  sxx: number;
  syy: number;
  sxy: number;
}

/** Two-pass (centred, numerically stable) means and sums of squares/products of `x` and `y`. */
export function centredSums(x: readonly number[], y: readonly number[]): CentredSums {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  return { mx, my, sxx, syy, sxy };
}
