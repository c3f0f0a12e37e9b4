/**
 * Binary logistic regression by iteratively reweighted least squares (Newton-Raphson on the
 * log-likelihood), with Wald standard errors from the inverse Fisher information, Wald intervals and
 * odds ratios, including the odds ratio per standard deviation of a predictor: the effect size the
 * fracture-prediction literature reports (e.g. Kopperdahl 2014: age-adjusted odds ratio per SD of
 * femoral strength).
 *
 * @example
 * ```ts
 * // odds ratio per SD decrease of strength, adjusted for age
 * const fit = logisticRegression({ strength: strengthN.map((s) => -s), age }, fractured);
 * fit.coefficients.strength.oddsRatioPerSD; // { estimate, ci }
 * ```
 * @module
 */
import { normalQuantile, normalTwoSidedP } from "./distributions.js";
import { ValidationStatsError } from "./errors.js";
import { checkConfLevel, checkFinite, toBinary, type Outcome } from "./input.js";

/** One predictor's coefficient with its Wald inference. Plain data. */
export interface LogisticCoefficient {
  /** Log-odds per unit of the predictor. */
  estimate: number;
  se: number;
  /** Wald z = estimate / se. */
  z: number;
  p: number;
  ci: [number, number];
  /** exp(estimate): odds ratio per unit, with its interval. */
  oddsRatio: { estimate: number; ci: [number, number] };
  /** exp(estimate * SD of the predictor): odds ratio per standard deviation (sample SD, n - 1). */
  oddsRatioPerSD: { estimate: number; ci: [number, number]; sd: number };
}

/** A fitted logistic model. Plain data. */
export interface LogisticResult {
  method: "logistic regression (IRLS, Wald inference)";
  n: number;
  events: number;
  intercept: Omit<LogisticCoefficient, "oddsRatio" | "oddsRatioPerSD">;
  coefficients: Record<string, LogisticCoefficient>;
  logLikelihood: number;
  /** Log-likelihood of the intercept-only model. */
  nullLogLikelihood: number;
  /** Likelihood-ratio chi-square of the model against the intercept-only model, and its degrees of freedom. */
  likelihoodRatio: { chi2: number; df: number };
  iterations: number;
  converged: boolean;
  confLevel: number;
  warnings: string[];
}

/** Options of {@link logisticRegression}. */
export interface LogisticOptions {
  confLevel?: number;
  /** Newton iterations at most. Default 50. */
  maxIterations?: number;
  /** Convergence on the largest coefficient change. Default 1e-10. */
  tol?: number;
}

/** Solve the symmetric positive definite system A x = b (Cholesky); returns x and A^-1. */
function spdInverse(A: number[][]): number[][] {
  const p = A.length;
  const L = A.map(() => new Array<number>(p).fill(0));
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i][j];
      for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
      if (i === j) {
        if (!(s > 0)) throw new ValidationStatsError("logistic regression: the information matrix is singular (a predictor is constant, collinear or separates the outcome)");
        L[i][i] = Math.sqrt(s);
      } else L[i][j] = s / L[j][j];
    }
  }
  const inv = A.map(() => new Array<number>(p).fill(0));
  for (let c = 0; c < p; c++) {
    const y = new Array<number>(p).fill(0);
    for (let i = 0; i < p; i++) {
      let s = i === c ? 1 : 0;
      for (let k = 0; k < i; k++) s -= L[i][k] * y[k];
      y[i] = s / L[i][i];
    }
    for (let i = p - 1; i >= 0; i--) {
      let s = y[i];
      for (let k = i + 1; k < p; k++) s -= L[k][i] * inv[k][c];
      inv[i][c] = s / L[i][i];
    }
  }
  return inv;
}

const sampleSD = (x: readonly number[]) => {
  const m = x.reduce((a, b) => a + b, 0) / x.length;
  return Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / (x.length - 1));
};

/**
 * Fit logit P(outcome) = b0 + sum_j b_j x_j.
 *
 * @param predictors - named predictor columns of equal length (finite numbers)
 * @param outcome - 1/true = event (e.g. fracture), 0/false = none
 * @throws {@link ValidationStatsError} on unequal lengths, non-finite values, no events or no
 *   non-events, or a singular information matrix (collinear or constant predictors)
 * @example
 * ```ts
 * // a binary predictor reproduces the 2x2 table's odds ratio ad/bc and Woolf's SE sqrt(1/a+1/b+1/c+1/d)
 * logisticRegression({ exposed: [1, 1, 1, 0, 0, 0, 0] }, [1, 1, 0, 1, 0, 0, 0]);
 * ```
 */
export function logisticRegression(predictors: Record<string, readonly number[]>, outcome: Outcome, options: LogisticOptions = {}): LogisticResult {
  const names = Object.keys(predictors);
  const y = toBinary(outcome, "outcome").map((b) => (b ? 1 : 0));
  const n = y.length;
  for (const name of names) {
    checkFinite(predictors[name], name);
    if (predictors[name].length !== n) throw new ValidationStatsError(`logistic regression: predictor "${name}" has ${predictors[name].length} values for ${n} outcomes`);
  }
  const events = y.reduce<number>((a, b) => a + b, 0);
  if (events === 0 || events === n) throw new ValidationStatsError(`logistic regression needs both events and non-events (got ${events} of ${n})`);
  const confLevel = checkConfLevel(options.confLevel);
  const p = names.length + 1;
  const X = Array.from({ length: n }, (_, i) => [1, ...names.map((nm) => predictors[nm][i])]);
  const beta = new Array<number>(p).fill(0);
  beta[0] = Math.log(events / (n - events));
  const warnings: string[] = [];
  const maxIt = options.maxIterations ?? 50, tol = options.tol ?? 1e-10;
  let iterations = 0, converged = false, info: number[][] = [];
  const loglik = (b: number[]) => {
    let ll = 0;
    for (let i = 0; i < n; i++) {
      const eta = X[i].reduce((s, x, j) => s + x * b[j], 0);
      // log(1 + e^eta) computed stably
      const log1pexp = eta > 0 ? eta + Math.log1p(Math.exp(-eta)) : Math.log1p(Math.exp(eta));
      ll += y[i] * eta - log1pexp;
    }
    return ll;
  };
  for (; iterations < maxIt; iterations++) {
    const grad = new Array<number>(p).fill(0);
    info = Array.from({ length: p }, () => new Array<number>(p).fill(0));
    for (let i = 0; i < n; i++) {
      const eta = X[i].reduce((s, x, j) => s + x * beta[j], 0);
      const mu = 1 / (1 + Math.exp(-eta));
      const w = mu * (1 - mu);
      for (let a = 0; a < p; a++) {
        grad[a] += (y[i] - mu) * X[i][a];
        for (let b = 0; b <= a; b++) info[a][b] += w * X[i][a] * X[i][b];
      }
    }
    for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) info[b][a] = info[a][b];
    const inv = spdInverse(info);
    let maxStep = 0;
    const step = inv.map((row) => row.reduce((s, v, j) => s + v * grad[j], 0));
    // Step halving keeps the likelihood increasing.
    const ll0 = loglik(beta);
    let t = 1;
    let trial = beta.map((b, j) => b + step[j]);
    while (loglik(trial) < ll0 - 1e-12 && t > 1e-6) {
      t /= 2;
      trial = beta.map((b, j) => b + t * step[j]);
    }
    for (let j = 0; j < p; j++) {
      maxStep = Math.max(maxStep, Math.abs(trial[j] - beta[j]));
      beta[j] = trial[j];
    }
    if (maxStep < tol) {
      converged = true;
      iterations++;
      break;
    }
  }
  // Information at the solution.
  info = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  for (let i = 0; i < n; i++) {
    const eta = X[i].reduce((s, x, j) => s + x * beta[j], 0);
    const mu = 1 / (1 + Math.exp(-eta));
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) info[a][b] += mu * (1 - mu) * X[i][a] * X[i][b];
  }
  const cov = spdInverse(info);
  if (!converged) warnings.push(`logistic regression did not converge in ${maxIt} iterations: the outcome may be (quasi-)separated by the predictors; the estimates are unreliable`);
  if (beta.some((b) => Math.abs(b) > 15)) warnings.push("a coefficient is very large: the outcome may be (nearly) separated by a predictor");
  const epv = Math.min(events, n - events) / names.length;
  if (epv < 10) warnings.push(`only ${epv.toFixed(1)} events per predictor (fewer than 10): the Wald intervals are approximate (Peduzzi 1996)`);
  const zq = normalQuantile(0.5 + confLevel / 2);
  const coef = (j: number) => {
    const se = Math.sqrt(cov[j][j]);
    const est = beta[j];
    return { estimate: est, se, z: est / se, p: normalTwoSidedP(est / se), ci: [est - zq * se, est + zq * se] as [number, number] };
  };
  const coefficients: Record<string, LogisticCoefficient> = {};
  names.forEach((name, k) => {
    const c = coef(k + 1);
    const sd = sampleSD(predictors[name]);
    coefficients[name] = {
      ...c,
      oddsRatio: { estimate: Math.exp(c.estimate), ci: [Math.exp(c.ci[0]), Math.exp(c.ci[1])] },
      oddsRatioPerSD: { estimate: Math.exp(c.estimate * sd), ci: [Math.exp(c.ci[0] * sd), Math.exp(c.ci[1] * sd)], sd },
    };
  });
  const ll = loglik(beta);
  const pe = events / n;
  const nullLL = events * Math.log(pe) + (n - events) * Math.log(1 - pe);
  return {
    method: "logistic regression (IRLS, Wald inference)",
    n, events,
    intercept: coef(0),
    coefficients,
    logLikelihood: ll,
    nullLogLikelihood: nullLL,
    likelihoodRatio: { chi2: 2 * (ll - nullLL), df: names.length },
    iterations, converged, confLevel, warnings,
  };
}
