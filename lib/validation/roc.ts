/**
 * ROC analysis of a continuous score against a binary outcome: the empirical curve, the area under it
 * (Mann-Whitney, ties counted 1/2), its DeLong et al. (1988, Biometrics 44:837) variance and confidence
 * interval, the paired DeLong test of two correlated AUCs measured on the same subjects, the
 * Youden-optimal threshold, and the Hanley & McNeil (1982, Radiology 143:29) SE formula for comparison.
 *
 * The DeLong variance uses placement values computed from mid-ranks (Sun & Xu 2014, IEEE Signal
 * Process Lett 21:1389), O(N log N):
 * V10(X_i) = (rank of X_i among all - rank among cases) / nControls,
 * V01(Y_j) = 1 - (rank of Y_j among all - rank among controls) / nCases,
 * Var(AUC) = S10 / nCases + S01 / nControls with S10, S01 the sample variances (n - 1 denominators).
 *
 * Direction: `"higher"` (default) means larger scores indicate the event; use `"lower"` for scores
 * such as bone strength where low values predict fracture. The direction is never guessed from the
 * data (that would bias the AUC upward).
 *
 * @example
 * ```ts
 * const r = roc(strengthN, fractured, { direction: "lower" });
 * r.auc.estimate; r.auc.ci; r.youden.threshold;
 * const test = delongTest(strengthN, neckABMD, fractured, { direction: ["lower", "lower"] });
 * ```
 * @module
 */
import { normalQuantile, normalTwoSidedP } from "./distributions.js";
import { ValidationStatsError } from "./errors.js";
import { checkConfLevel, checkScored, type Outcome } from "./input.js";
import { midRanks } from "./ranks.js";

/** Which end of the score indicates the event. */
export type ScoreDirection = "higher" | "lower";

/** How an AUC confidence interval is made. */
export type AucCIMethod = "wald" | "logit";

/** Options of {@link roc} and {@link delongAuc}. */
export interface RocOptions {
  /** "higher" (default): larger scores indicate the event; "lower": smaller scores do. */
  direction?: ScoreDirection;
  /** Confidence level. Default 0.95. */
  confLevel?: number;
  /**
   * "wald" (default): AUC +/- z SE, clipped to [0, 1] (as pROC's `ci.auc(method = "delong")`);
   * "logit": logit(AUC) +/- z SE / (AUC (1 - AUC)), back-transformed (stays inside (0, 1)).
   */
  ciMethod?: AucCIMethod;
}

/** One point of the empirical ROC curve. Plain data. */
export interface RocPoint {
  /**
   * Subjects with score >= threshold ("higher") or <= threshold ("lower") are called positive; `null`
   * for the first point, where no subject is called positive.
   */
  threshold: number | null;
  /** False-positive rate, 1 - specificity. */
  fpr: number;
  /** True-positive rate, the sensitivity. */
  tpr: number;
}

/** The Youden-optimal cut-off. Plain data. */
export interface YoudenPoint {
  /** Threshold (see {@link RocPoint.threshold}). */
  threshold: number;
  sensitivity: number;
  specificity: number;
  /** Youden's J = sensitivity + specificity - 1. */
  j: number;
}

/** An AUC with its DeLong variance and interval. Plain data. */
export interface AucResult {
  estimate: number;
  /** DeLong standard error. */
  se: number;
  /** DeLong variance S10/nCases + S01/nControls. */
  variance: number;
  ci: [number, number];
  confLevel: number;
  ciMethod: AucCIMethod;
  nCases: number;
  nControls: number;
  direction: ScoreDirection;
  warnings: string[];
}

/** A full ROC analysis. Plain data. */
export interface RocResult {
  direction: ScoreDirection;
  nCases: number;
  nControls: number;
  /** Curve points from (0, 0) to (1, 1), thresholds from strictest to most lenient. */
  points: RocPoint[];
  auc: AucResult;
  youden: YoudenPoint;
  warnings: string[];
}

/** Placement values of a score (DeLong 1988). Plain data. */
export interface Placements {
  /** Mann-Whitney AUC, P(case > control) + P(tie)/2. */
  auc: number;
  /** V10 per case (in input order of the cases): fraction of controls it exceeds, ties 1/2. */
  cases: number[];
  /** V01 per control: fraction of cases exceeding it, ties 1/2. */
  controls: number[];
}

function checkDirection(d: unknown): ScoreDirection {
  const dir = d ?? "higher";
  if (dir !== "higher" && dir !== "lower") throw new ValidationStatsError(`direction must be "higher" or "lower"; got ${String(d)}`);
  return dir;
}

function checkCIMethod(m: unknown): AucCIMethod {
  const method = m ?? "wald";
  if (method !== "wald" && method !== "logit") throw new ValidationStatsError(`ciMethod must be "wald" or "logit"; got ${String(m)}`);
  return method;
}

/** Placement values for validated input. */
function placementsOf(scores: readonly number[], positive: readonly boolean[], direction: ScoreDirection): Placements {
  const s = direction === "higher" ? scores : scores.map((v) => -v);
  const all = midRanks(s);
  const caseScores: number[] = [];
  const controlScores: number[] = [];
  const caseAll: number[] = [];
  const controlAll: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (positive[i]) {
      caseScores.push(s[i]);
      caseAll.push(all[i]);
    } else {
      controlScores.push(s[i]);
      controlAll.push(all[i]);
    }
  }
  const m = caseScores.length;
  const n = controlScores.length;
  const caseWithin = midRanks(caseScores);
  const controlWithin = midRanks(controlScores);
  const cases = caseAll.map((r, i) => (r - caseWithin[i]) / n);
  const controls = controlAll.map((r, j) => 1 - (r - controlWithin[j]) / m);
  let sum = 0;
  for (const v of cases) sum += v;
  return { auc: sum / m, cases, controls };
}

/**
 * DeLong placement values and the Mann-Whitney AUC of a score.
 *
 * @throws {@link ValidationStatsError} on unequal lengths, non-finite scores, a non-binary outcome or
 *   an outcome with one class only
 * @example
 * ```ts
 * placementValues([0.9, 0.4, 0.6, 0.2], [1, 1, 0, 0]); // { auc: 0.75, cases: [1, 0.5], controls: [0.5, 1] }
 * ```
 */
export function placementValues(scores: readonly number[], outcome: Outcome, direction: ScoreDirection = "higher"): Placements {
  const { positive } = checkScored(scores, outcome, "scores");
  return placementsOf(scores, positive, checkDirection(direction));
}

function mean(v: readonly number[]): number {
  let s = 0;
  for (const x of v) s += x;
  return s / v.length;
}

/** Sample covariance (n - 1 denominator). */
function covariance(a: readonly number[], b: readonly number[]): number {
  const ma = mean(a);
  const mb = mean(b);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - ma) * (b[i] - mb);
  return s / (a.length - 1);
}

function aucInterval(auc: number, se: number, z: number, method: AucCIMethod): [number, number] {
  if (!Number.isFinite(se)) return [NaN, NaN];
  if (method === "wald") return [Math.max(0, auc - z * se), Math.min(1, auc + z * se)];
  if (auc <= 0 || auc >= 1) return [auc, auc];
  const l = Math.log(auc / (1 - auc));
  const h = (z * se) / (auc * (1 - auc));
  const inv = (x: number) => 1 / (1 + Math.exp(-x));
  return [inv(l - h), inv(l + h)];
}

function aucFromPlacements(
  p: Placements,
  direction: ScoreDirection,
  confLevel: number,
  ciMethod: AucCIMethod,
): AucResult {
  const m = p.cases.length;
  const n = p.controls.length;
  const warnings: string[] = [];
  let variance = NaN;
  if (m < 2 || n < 2) {
    warnings.push(`the DeLong variance needs at least 2 events and 2 non-events (got ${m} and ${n})`);
  } else {
    variance = covariance(p.cases, p.cases) / m + covariance(p.controls, p.controls) / n;
  }
  const se = Math.sqrt(variance);
  if (p.auc === 0 || p.auc === 1) warnings.push("the score separates the classes perfectly; the DeLong variance is 0 and the interval uninformative");
  if (p.auc < 0.5) warnings.push(`AUC = ${p.auc.toFixed(3)} < 0.5: check the direction (is a ${direction === "higher" ? "lower" : "higher"} score the event?)`);
  if (Math.min(m, n) < 10) warnings.push(`only ${Math.min(m, n)} subjects in the smaller class; the DeLong interval is a large-sample approximation`);
  const z = normalQuantile(0.5 + confLevel / 2);
  return {
    estimate: p.auc,
    se,
    variance,
    ci: aucInterval(p.auc, se, z, ciMethod),
    confLevel,
    ciMethod,
    nCases: m,
    nControls: n,
    direction,
    warnings,
  };
}

/**
 * AUC with its DeLong variance and confidence interval.
 *
 * @param scores - the score per subject (finite numbers)
 * @param outcome - the event per subject (true/1) or non-event (false/0)
 * @throws {@link ValidationStatsError} on unequal lengths, non-finite scores, a non-binary outcome or
 *   an outcome with one class only
 * @example
 * ```ts
 * delongAuc([0.9, 0.4, 0.6, 0.2, 0.8], [1, 1, 0, 0, 1], { ciMethod: "logit" });
 * ```
 */
export function delongAuc(scores: readonly number[], outcome: Outcome, options: RocOptions = {}): AucResult {
  const { positive } = checkScored(scores, outcome, "scores");
  const direction = checkDirection(options.direction);
  return aucFromPlacements(
    placementsOf(scores, positive, direction),
    direction,
    checkConfLevel(options.confLevel),
    checkCIMethod(options.ciMethod),
  );
}

/** The empirical curve of validated input. */
function curveOf(scores: readonly number[], positive: readonly boolean[], direction: ScoreDirection, m: number, n: number): RocPoint[] {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) =>
    direction === "higher" ? scores[b] - scores[a] : scores[a] - scores[b],
  );
  const points: RocPoint[] = [{ threshold: null, fpr: 0, tpr: 0 }];
  let tp = 0;
  let fp = 0;
  let i = 0;
  while (i < order.length) {
    const t = scores[order[i]];
    while (i < order.length && scores[order[i]] === t) {
      if (positive[order[i]]) tp++;
      else fp++;
      i++;
    }
    points.push({ threshold: t, fpr: fp / n, tpr: tp / m });
  }
  return points;
}

/** Youden-optimal point of a curve: the largest J, the strictest threshold among ties. */
function youdenOf(points: readonly RocPoint[]): YoudenPoint {
  let best: YoudenPoint | undefined;
  for (const p of points) {
    if (p.threshold === null) continue;
    const j = p.tpr - p.fpr;
    if (best === undefined || j > best.j + 1e-12) best = { threshold: p.threshold, sensitivity: p.tpr, specificity: 1 - p.fpr, j };
  }
  return best!;
}

/**
 * Empirical ROC analysis: curve points, DeLong AUC with CI, and the Youden-optimal threshold.
 *
 * @param scores - the score per subject (finite numbers)
 * @param outcome - the event per subject (true/1) or non-event (false/0)
 * @throws {@link ValidationStatsError} on unequal lengths, non-finite scores, a non-binary outcome or
 *   an outcome with one class only
 * @example
 * ```ts
 * const r = roc([3, 1, 4, 1, 5, 9, 2, 6], [0, 0, 1, 0, 1, 1, 0, 1]);
 * r.auc.estimate; // 1
 * r.youden;       // { threshold: 4, sensitivity: 1, specificity: 1, j: 1 }
 * ```
 */
export function roc(scores: readonly number[], outcome: Outcome, options: RocOptions = {}): RocResult {
  const { positive, nCases, nControls } = checkScored(scores, outcome, "scores");
  const direction = checkDirection(options.direction);
  const auc = aucFromPlacements(
    placementsOf(scores, positive, direction),
    direction,
    checkConfLevel(options.confLevel),
    checkCIMethod(options.ciMethod),
  );
  const points = curveOf(scores, positive, direction, nCases, nControls);
  return { direction, nCases, nControls, points, auc, youden: youdenOf(points), warnings: [...auc.warnings] };
}

/** Options of {@link delongTest}. */
export interface DelongTestOptions {
  /** Direction of each score, or one for both. Default "higher". */
  direction?: ScoreDirection | [ScoreDirection, ScoreDirection];
  /** Confidence level of the interval of the difference. Default 0.95. */
  confLevel?: number;
}

/** The paired DeLong comparison of two AUCs on the same subjects. Plain data. */
export interface DelongTestResult {
  auc1: number;
  auc2: number;
  /** auc1 - auc2. */
  difference: number;
  /** DeLong SE of the difference. */
  se: number;
  /** Wald interval of the difference, difference +/- z SE. */
  ci: [number, number];
  confLevel: number;
  /** z = difference / se. */
  z: number;
  /** Two-sided p-value of z. */
  p: number;
  /** DeLong SEs of each AUC. */
  se1: number;
  se2: number;
  /** Correlation of the two AUC estimates. */
  correlation: number;
  nCases: number;
  nControls: number;
  warnings: string[];
}

/**
 * DeLong et al. (1988) test of two correlated AUCs: two scores measured on the same subjects with the
 * same outcome. Var(A1 - A2) = (S10_11 + S10_22 - 2 S10_12)/nCases + (S01_11 + S01_22 - 2 S01_12)/nControls.
 *
 * @param scores1 - the first score per subject
 * @param scores2 - the second score per subject, same subjects in the same order
 * @param outcome - the event per subject
 * @throws {@link ValidationStatsError} on unequal lengths, non-finite scores, a non-binary outcome, an
 *   outcome with one class only, or fewer than 2 events or non-events
 * @example
 * ```ts
 * const t = delongTest(bctStrength, neckABMD, fractured, { direction: "lower" });
 * t.difference; t.z; t.p;
 * ```
 */
export function delongTest(
  scores1: readonly number[],
  scores2: readonly number[],
  outcome: Outcome,
  options: DelongTestOptions = {},
): DelongTestResult {
  const { positive, nCases: m, nControls: n } = checkScored(scores1, outcome, "scores1");
  checkScored(scores2, outcome, "scores2");
  const dirs = Array.isArray(options.direction) ? options.direction : [options.direction, options.direction];
  const d1 = checkDirection(dirs[0]);
  const d2 = checkDirection(dirs[1]);
  const confLevel = checkConfLevel(options.confLevel);
  if (m < 2 || n < 2) throw new ValidationStatsError(`the DeLong test needs at least 2 events and 2 non-events (got ${m} and ${n})`);
  const p1 = placementsOf(scores1, positive, d1);
  const p2 = placementsOf(scores2, positive, d2);
  const v1 = covariance(p1.cases, p1.cases) / m + covariance(p1.controls, p1.controls) / n;
  const v2 = covariance(p2.cases, p2.cases) / m + covariance(p2.controls, p2.controls) / n;
  const c12 = covariance(p1.cases, p2.cases) / m + covariance(p1.controls, p2.controls) / n;
  const variance = Math.max(0, v1 + v2 - 2 * c12);
  const se = Math.sqrt(variance);
  const difference = p1.auc - p2.auc;
  const warnings: string[] = [];
  let z: number;
  if (se === 0) {
    z = difference === 0 ? NaN : Math.sign(difference) * Infinity;
    warnings.push("the variance of the difference is 0 (identical rankings or perfect separation); the test is undefined");
  } else z = difference / se;
  if (Math.min(m, n) < 10) warnings.push(`only ${Math.min(m, n)} subjects in the smaller class; the DeLong test is a large-sample approximation`);
  const zq = normalQuantile(0.5 + confLevel / 2);
  return {
    auc1: p1.auc,
    auc2: p2.auc,
    difference,
    se,
    ci: [difference - zq * se, difference + zq * se],
    confLevel,
    z,
    p: Number.isNaN(z) ? NaN : normalTwoSidedP(z),
    se1: Math.sqrt(v1),
    se2: Math.sqrt(v2),
    correlation: v1 > 0 && v2 > 0 ? c12 / Math.sqrt(v1 * v2) : NaN,
    nCases: m,
    nControls: n,
    warnings,
  };
}

/**
 * Hanley & McNeil (1982) standard error of an AUC from its value and the class sizes:
 * SE^2 = [A(1-A) + (nCases-1)(Q1 - A^2) + (nControls-1)(Q2 - A^2)] / (nCases nControls),
 * Q1 = A/(2-A), Q2 = 2A^2/(1+A). Provided for comparison with published studies; prefer DeLong.
 *
 * @throws {@link ValidationStatsError} when the AUC is outside [0, 1] or a class size is below 1
 * @example
 * ```ts
 * hanleyMcNeilSE(0.893, 51, 58); // 0.0325 (Hanley & McNeil 1982: 0.032)
 * ```
 */
export function hanleyMcNeilSE(auc: number, nCases: number, nControls: number): number {
  if (!(auc >= 0 && auc <= 1)) throw new ValidationStatsError(`auc must lie in [0, 1]; got ${auc}`);
  if (!(nCases >= 1 && nControls >= 1)) throw new ValidationStatsError(`class sizes must be at least 1; got ${nCases} and ${nControls}`);
  const q1 = auc / (2 - auc);
  const q2 = (2 * auc * auc) / (1 + auc);
  const a2 = auc * auc;
  return Math.sqrt((auc * (1 - auc) + (nCases - 1) * (q1 - a2) + (nControls - 1) * (q2 - a2)) / (nCases * nControls));
}
