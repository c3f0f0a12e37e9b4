/**
 * Cohen's kappa for agreement of two ratings of the same subjects on categories: unweighted (Cohen
 * 1960) and weighted with linear or quadratic agreement weights (Cohen 1968), with the large-sample
 * standard errors of Fleiss, Cohen & Everitt (1969, Psychol Bull 72:323):
 *
 * with proportions p_ij, margins p_i. and p_.j, agreement weights w_ij (w_ii = 1),
 * w_i. = sum_j p_.j w_ij, w_.j = sum_i p_i. w_ij, po = sum w_ij p_ij, pe = sum w_ij p_i. p_.j,
 * kappa = (po - pe)/(1 - pe):
 * - Var(kappa) = [sum_ij p_ij (w_ij - (w_i. + w_.j)(1 - kappa))^2 - (kappa - pe(1 - kappa))^2] / (n (1-pe)^2),
 *   used for the confidence interval kappa +/- z SE;
 * - Var0(kappa) = [sum_ij p_i. p_.j (w_ij - (w_i. + w_.j))^2 - pe^2] / (n (1-pe)^2), the variance under
 *   H0: kappa = 0, used for z = kappa / SE0.
 * Unweighted kappa is the case w = identity. Weights: linear 1 - |i-j|/(k-1), quadratic
 * 1 - (i-j)^2/(k-1)^2.
 *
 * @example
 * ```ts
 * const k = cohenKappa(bctClass, whoCategory, { categories: ["normal", "osteopenia", "osteoporosis"], weights: "linear" });
 * k.kappa; k.ci; k.p;
 * ```
 * @module
 */
import { normalQuantile, normalTwoSidedP } from "./distributions.js";
import { ValidationStatsError } from "./errors.js";
import { checkConfLevel } from "./input.js";

/** Agreement weighting of kappa. */
export type KappaWeights = "none" | "linear" | "quadratic";

/** A category label. */
export type Category = string | number | boolean;

/** Options of {@link cohenKappa} and {@link kappaFromTable}. */
export interface KappaOptions {
  /** "none" (default, Cohen 1960), "linear" or "quadratic" (Cohen 1968 weighted kappa). */
  weights?: KappaWeights;
  /** Confidence level. Default 0.95. */
  confLevel?: number;
}

/** Cohen's kappa with its standard errors. Plain data. */
export interface KappaResult {
  weights: KappaWeights;
  /** The categories in table order (labels for {@link cohenKappa}, indices for {@link kappaFromTable}). */
  categories: Category[];
  /** Counts: rows the first rating, columns the second. */
  table: number[][];
  n: number;
  /** Observed (weighted) agreement po. */
  observedAgreement: number;
  /** Chance-expected (weighted) agreement pe. */
  expectedAgreement: number;
  kappa: number;
  /** Fleiss-Cohen-Everitt large-sample SE (non-null), used for the interval. */
  se: number;
  ci: [number, number];
  confLevel: number;
  /** SE under H0: kappa = 0, used for the test. */
  seNull: number;
  /** z = kappa / seNull. */
  z: number;
  /** Two-sided p-value of z. */
  p: number;
  warnings: string[];
}

function weightMatrix(k: number, weights: KappaWeights): number[][] {
  return Array.from({ length: k }, (_, i) =>
    Array.from({ length: k }, (_, j) => {
      if (weights === "none") return i === j ? 1 : 0;
      const d = Math.abs(i - j) / (k - 1);
      return weights === "linear" ? 1 - d : 1 - d * d;
    }),
  );
}

function kappaOf(table: number[][], categories: Category[], options: KappaOptions, warnings: string[]): KappaResult {
  const weights = options.weights ?? "none";
  if (weights !== "none" && weights !== "linear" && weights !== "quadratic") {
    throw new ValidationStatsError(`weights must be "none", "linear" or "quadratic"; got ${String(weights)}`);
  }
  const confLevel = checkConfLevel(options.confLevel);
  const k = table.length;
  let n = 0;
  for (const row of table) for (const c of row) n += c;
  if (n === 0) throw new ValidationStatsError("the agreement table is empty");
  const p = table.map((row) => row.map((c) => c / n));
  const rowM = p.map((row) => row.reduce((s, v) => s + v, 0));
  const colM = Array.from({ length: k }, (_, j) => p.reduce((s, row) => s + row[j], 0));
  const w = weightMatrix(k, weights);
  let po = 0;
  let pe = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      po += w[i][j] * p[i][j];
      pe += w[i][j] * rowM[i] * colM[j];
    }
  }
  const wRow = Array.from({ length: k }, (_, i) => colM.reduce((s, pj, j) => s + pj * w[i][j], 0));
  const wCol = Array.from({ length: k }, (_, j) => rowM.reduce((s, pi, i) => s + pi * w[i][j], 0));
  const base = {
    weights,
    categories,
    table: table.map((r) => [...r]),
    n,
    observedAgreement: po,
    expectedAgreement: pe,
    confLevel,
  };
  if (k < 2 || Math.abs(1 - pe) < 1e-15) {
    warnings.push("both ratings use a single category; kappa is undefined");
    return { ...base, kappa: NaN, se: NaN, ci: [NaN, NaN], seNull: NaN, z: NaN, p: NaN, warnings };
  }
  const kappa = (po - pe) / (1 - pe);
  let a = 0;
  let a0 = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      a += p[i][j] * (w[i][j] - (wRow[i] + wCol[j]) * (1 - kappa)) ** 2;
      a0 += rowM[i] * colM[j] * (w[i][j] - (wRow[i] + wCol[j])) ** 2;
    }
  }
  const denom = n * (1 - pe) ** 2;
  const se = Math.sqrt(Math.max(0, (a - (kappa - pe * (1 - kappa)) ** 2) / denom));
  const seNull = Math.sqrt(Math.max(0, (a0 - pe * pe) / denom));
  const zq = normalQuantile(0.5 + confLevel / 2);
  const z = seNull > 0 ? kappa / seNull : NaN;
  if (n < 30) warnings.push(`only ${n} subjects; the kappa standard errors are large-sample approximations`);
  return {
    ...base,
    kappa,
    se,
    ci: [Math.max(-1, kappa - zq * se), Math.min(1, kappa + zq * se)],
    seNull,
    z,
    p: Number.isNaN(z) ? NaN : normalTwoSidedP(z),
    warnings,
  };
}

/**
 * Cohen's kappa from a square table of counts (rows: first rating, columns: second rating, categories
 * in the same order, which matters for weighted kappa).
 *
 * @throws {@link ValidationStatsError} when the table is not square, has a negative or non-finite
 *   count, or is empty
 * @example
 * ```ts
 * // Fleiss (1981) psychiatric diagnoses of 100 subjects: kappa = (0.89 - 0.66)/0.34 = 0.676
 * kappaFromTable([[75, 1, 4], [5, 4, 1], [0, 0, 10]]).kappa;
 * ```
 */
export function kappaFromTable(table: readonly (readonly number[])[], options: KappaOptions = {}): KappaResult {
  if (!Array.isArray(table) || table.length === 0) throw new ValidationStatsError("the agreement table must be a non-empty square array of counts");
  const k = table.length;
  table.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== k) throw new ValidationStatsError(`the agreement table must be square; row ${i} has ${row?.length} entries, expected ${k}`);
    row.forEach((c, j) => {
      if (!Number.isFinite(c) || c < 0) throw new ValidationStatsError(`table[${i}][${j}] = ${c}; counts must be finite and non-negative`);
    });
  });
  return kappaOf(
    table.map((r) => [...r]),
    Array.from({ length: k }, (_, i) => i),
    options,
    [],
  );
}

/** Options of {@link cohenKappa}. */
export interface CohenKappaOptions extends KappaOptions {
  /**
   * The categories in order (required order for weighted kappa). Default: the labels seen, numbers
   * ascending, otherwise sorted as strings. Listing categories no subject received keeps them in the
   * table (this changes weighted kappa's weights).
   */
  categories?: readonly Category[];
}

/**
 * Cohen's kappa of two ratings of the same subjects.
 *
 * @param a - the first rating per subject (category labels)
 * @param b - the second rating per subject
 * @throws {@link ValidationStatsError} on unequal lengths, fewer than 2 subjects, missing labels
 *   (null, undefined, NaN) or a label not in `categories`
 * @example
 * ```ts
 * cohenKappa(["fragile", "ok", "ok", "fragile"], ["fragile", "ok", "fragile", "fragile"]).kappa; // 0.5
 * ```
 */
export function cohenKappa(a: readonly Category[], b: readonly Category[], options: CohenKappaOptions = {}): KappaResult {
  if (!Array.isArray(a) || !Array.isArray(b)) throw new ValidationStatsError("the ratings must be arrays of category labels");
  if (a.length !== b.length) throw new ValidationStatsError(`the ratings have unequal lengths (${a.length} and ${b.length}); they must be paired`);
  if (a.length < 2) throw new ValidationStatsError(`at least 2 rated subjects are needed; got ${a.length}`);
  const check = (v: Category, name: string, i: number) => {
    if (v === null || v === undefined || (typeof v === "number" && !Number.isFinite(v))) {
      throw new ValidationStatsError(`${name}[${i}] is ${String(v)}; remove subjects with a missing rating`);
    }
  };
  a.forEach((v, i) => check(v, "a", i));
  b.forEach((v, i) => check(v, "b", i));
  const warnings: string[] = [];
  let categories: Category[];
  if (options.categories) {
    categories = [...options.categories];
    if (new Set(categories).size !== categories.length) throw new ValidationStatsError("categories contains duplicates");
  } else {
    const seen = [...new Set([...a, ...b])];
    if (seen.every((v) => typeof v === "number")) categories = (seen as number[]).sort((x, y) => x - y);
    else {
      categories = seen.sort((x, y) => String(x).localeCompare(String(y)));
      if ((options.weights ?? "none") !== "none") {
        warnings.push(`categories ordered as strings (${categories.join(", ")}); pass options.categories to set the order for weighted kappa`);
      }
    }
  }
  const index = new Map<Category, number>(categories.map((c, i) => [c, i]));
  const k = categories.length;
  const table = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < a.length; i++) {
    const r = index.get(a[i]);
    const c = index.get(b[i]);
    if (r === undefined) throw new ValidationStatsError(`a[${i}] = ${String(a[i])} is not one of the categories`);
    if (c === undefined) throw new ValidationStatsError(`b[${i}] = ${String(b[i])} is not one of the categories`);
    table[r][c]++;
  }
  return kappaOf(table, categories, options, warnings);
}
