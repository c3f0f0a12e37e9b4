/**
 * Reclassification measures of Pencina et al. (2008, Stat Med 27:157) for comparing an old and a new
 * risk model (for example DXA T-score categories vs BCT strength categories) on the same subjects:
 *
 * - categorical NRI: among events, P(up) - P(down); among non-events, P(down) - P(up); NRI = the sum;
 * - continuous (category-free) NRI: the same with "up" meaning the new risk exceeds the old;
 * - IDI: mean change of predicted probability in events minus that in non-events.
 *
 * NRI variance: by default Pencina 2008's (p_up + p_down)/n per group (the McNemar-type variance under
 * no change); `variance: "multinomial"` uses (p_up + p_down - (p_up - p_down)^2)/n, the variance of the
 * estimate when it is non-zero (preferable for intervals). z = NRI / SE, two-sided p, Wald interval.
 * IDI SE (Pencina 2008): sqrt(se_events^2 + se_nonevents^2), each the SE of the mean of paired
 * differences (n - 1 denominator).
 *
 * @example
 * ```ts
 * const cuts = [0.1, 0.2];
 * const nri = categoricalNri(categorize(riskDxa, cuts), categorize(riskBct, cuts), fractured);
 * const cnri = continuousNri(riskDxa, riskBct, fractured);
 * const i = idi(riskDxa, riskBct, fractured);
 * ```
 * @module
 */
import { normalQuantile, normalTwoSidedP } from "./distributions.js";
import { ValidationStatsError } from "./errors.js";
import { checkConfLevel, checkFinite, toBinary, type Outcome } from "./input.js";

/** Variance of the NRI. */
export type NriVariance = "pencina2008" | "multinomial";

/** Options of the NRI functions. */
export interface NriOptions {
  /** Confidence level. Default 0.95. */
  confLevel?: number;
  /** "pencina2008" (default) or "multinomial"; see the module notes. */
  variance?: NriVariance;
}

/** Movements of one outcome group. Plain data. */
export interface NriComponent {
  /** Subjects in the group. */
  n: number;
  /** Moved to a higher risk (category) under the new model. */
  up: number;
  /** Moved to a lower risk. */
  down: number;
  unchanged: number;
  /** Events: (up - down)/n; non-events: (down - up)/n. */
  nri: number;
  se: number;
}

/** A net reclassification improvement. Plain data. */
export interface NriResult {
  type: "categorical" | "continuous";
  /** NRI = events.nri + nonEvents.nri (range -2 to 2). */
  nri: number;
  events: NriComponent;
  nonEvents: NriComponent;
  se: number;
  z: number;
  p: number;
  ci: [number, number];
  confLevel: number;
  variance: NriVariance;
  warnings: string[];
}

/**
 * Risk categories from risks and ascending cut-points: category c (0-based) holds risks in
 * [cut_{c-1}, cut_c), i.e. the number of cut-points at or below the risk.
 *
 * @throws {@link ValidationStatsError} on non-finite risks or cut-points not strictly ascending
 * @example
 * ```ts
 * categorize([0.05, 0.06, 0.25], [0.06, 0.2]); // [0, 1, 2]
 * ```
 */
export function categorize(risk: readonly number[], cutpoints: readonly number[]): number[] {
  checkFinite(risk, "risk");
  checkFinite(cutpoints, "cutpoints");
  for (let i = 1; i < cutpoints.length; i++) {
    if (!(cutpoints[i] > cutpoints[i - 1])) throw new ValidationStatsError("cutpoints must be strictly ascending");
  }
  return risk.map((r) => {
    let c = 0;
    while (c < cutpoints.length && r >= cutpoints[c]) c++;
    return c;
  });
}

function checkTriple(before: readonly number[], after: readonly number[], outcome: Outcome): boolean[] {
  checkFinite(before, "before");
  checkFinite(after, "after");
  const events = toBinary(outcome, "outcome");
  if (before.length !== after.length || before.length !== events.length) {
    throw new ValidationStatsError(
      `before, after and outcome have unequal lengths (${before.length}, ${after.length}, ${events.length}); they must describe the same subjects`,
    );
  }
  const ne = events.filter(Boolean).length;
  if (ne === 0 || ne === events.length) {
    throw new ValidationStatsError(`the outcome has only one class (${ne} events, ${events.length - ne} non-events); reclassification needs both`);
  }
  return events;
}

function nriOf(
  type: "categorical" | "continuous",
  before: readonly number[],
  after: readonly number[],
  events: readonly boolean[],
  options: NriOptions,
): NriResult {
  const confLevel = checkConfLevel(options.confLevel);
  const variance = options.variance ?? "pencina2008";
  if (variance !== "pencina2008" && variance !== "multinomial") {
    throw new ValidationStatsError(`variance must be "pencina2008" or "multinomial"; got ${String(variance)}`);
  }
  const count = (isEvent: boolean) => {
    let n = 0;
    let up = 0;
    let down = 0;
    for (let i = 0; i < events.length; i++) {
      if (events[i] !== isEvent) continue;
      n++;
      if (after[i] > before[i]) up++;
      else if (after[i] < before[i]) down++;
    }
    const pu = up / n;
    const pd = down / n;
    const v = variance === "pencina2008" ? (pu + pd) / n : (pu + pd - (pu - pd) ** 2) / n;
    return { n, up, down, unchanged: n - up - down, nri: isEvent ? pu - pd : pd - pu, se: Math.sqrt(v) };
  };
  const ev = count(true);
  const ne = count(false);
  const nri = ev.nri + ne.nri;
  const se = Math.sqrt(ev.se ** 2 + ne.se ** 2);
  const warnings: string[] = [];
  let z: number;
  if (se === 0) {
    z = nri === 0 ? NaN : Math.sign(nri) * Infinity;
    warnings.push("no subject changed category; the NRI test is undefined");
  } else z = nri / se;
  if (Math.min(ev.n, ne.n) < 20) warnings.push(`only ${Math.min(ev.n, ne.n)} subjects in the smaller outcome group; the NRI test is a large-sample approximation`);
  const zq = normalQuantile(0.5 + confLevel / 2);
  return {
    type,
    nri,
    events: ev,
    nonEvents: ne,
    se,
    z,
    p: Number.isNaN(z) ? NaN : normalTwoSidedP(z),
    ci: [nri - zq * se, nri + zq * se],
    confLevel,
    variance,
    warnings,
  };
}

/**
 * Categorical NRI (Pencina 2008) from the risk categories of the old and new model (ordered integer
 * categories, higher = riskier; see {@link categorize}).
 *
 * @param before - category per subject under the old model
 * @param after - category per subject under the new model
 * @param outcome - the event per subject
 * @throws {@link ValidationStatsError} on unequal lengths, non-integer categories, a non-binary outcome
 *   or one with a single class
 * @example
 * ```ts
 * // 4 events: 2 up, 1 down; 4 non-events: 1 down -> NRI = 1/4 + 1/4 = 0.5
 * categoricalNri([0, 0, 1, 1, 1, 1, 0, 0], [1, 1, 0, 1, 0, 1, 0, 0], [1, 1, 1, 1, 0, 0, 0, 0]).nri;
 * ```
 */
export function categoricalNri(before: readonly number[], after: readonly number[], outcome: Outcome, options: NriOptions = {}): NriResult {
  const events = checkTriple(before, after, outcome);
  before.forEach((v, i) => {
    if (!Number.isInteger(v)) throw new ValidationStatsError(`before[${i}] = ${v} is not an integer category; use categorize() on risks`);
  });
  after.forEach((v, i) => {
    if (!Number.isInteger(v)) throw new ValidationStatsError(`after[${i}] = ${v} is not an integer category; use categorize() on risks`);
  });
  return nriOf("categorical", before, after, events, options);
}

/**
 * Continuous (category-free) NRI, "NRI(>0)": any increase of the new model's risk over the old counts as
 * up, any decrease as down. Risks may be probabilities or any scores on a common scale.
 *
 * @param before - risk per subject under the old model
 * @param after - risk per subject under the new model
 * @param outcome - the event per subject
 * @throws {@link ValidationStatsError} on unequal lengths, non-finite risks, a non-binary outcome or one
 *   with a single class
 * @example
 * ```ts
 * continuousNri([0.1, 0.2, 0.3, 0.4], [0.2, 0.3, 0.2, 0.3], [1, 1, 0, 0]).nri; // 2
 * ```
 */
export function continuousNri(before: readonly number[], after: readonly number[], outcome: Outcome, options: NriOptions = {}): NriResult {
  const events = checkTriple(before, after, outcome);
  return nriOf("continuous", before, after, events, options);
}

/** An integrated discrimination improvement. Plain data. */
export interface IdiResult {
  /** IDI = (mean new - mean old | events) - (mean new - mean old | non-events). */
  idi: number;
  /** Mean change of predicted probability among events (improvement in integrated sensitivity). */
  eventsChange: number;
  /** Mean change among non-events (an increase is a loss of integrated specificity). */
  nonEventsChange: number;
  /** Discrimination slopes (mean risk of events minus non-events) of each model. */
  slopeBefore: number;
  slopeAfter: number;
  se: number;
  z: number;
  p: number;
  ci: [number, number];
  confLevel: number;
  nEvents: number;
  nNonEvents: number;
  warnings: string[];
}

/**
 * Integrated discrimination improvement (Pencina 2008) of predicted probabilities.
 *
 * @param before - predicted probability per subject under the old model, in [0, 1]
 * @param after - predicted probability under the new model, in [0, 1]
 * @param outcome - the event per subject
 * @throws {@link ValidationStatsError} on unequal lengths, values outside [0, 1], a non-binary outcome,
 *   or fewer than 2 events or non-events
 * @example
 * ```ts
 * idi([0.2, 0.4, 0.3, 0.1], [0.5, 0.5, 0.2, 0.1], [1, 1, 0, 0]).idi; // 0.2 - (-0.05) = 0.25
 * ```
 */
export function idi(before: readonly number[], after: readonly number[], outcome: Outcome, options: { confLevel?: number } = {}): IdiResult {
  const events = checkTriple(before, after, outcome);
  const confLevel = checkConfLevel(options.confLevel);
  for (const [arr, name] of [[before, "before"], [after, "after"]] as const) {
    arr.forEach((v, i) => {
      if (v < 0 || v > 1) throw new ValidationStatsError(`${name}[${i}] = ${v}; the IDI needs predicted probabilities in [0, 1]`);
    });
  }
  const group = (isEvent: boolean) => {
    const d: number[] = [];
    let mb = 0;
    let ma = 0;
    for (let i = 0; i < events.length; i++) {
      if (events[i] !== isEvent) continue;
      d.push(after[i] - before[i]);
      mb += before[i];
      ma += after[i];
    }
    const n = d.length;
    const mean = d.reduce((s, v) => s + v, 0) / n;
    const sd2 = n > 1 ? d.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1) : NaN;
    return { n, mean, se2: sd2 / n, mb: mb / n, ma: ma / n };
  };
  const ev = group(true);
  const ne = group(false);
  if (ev.n < 2 || ne.n < 2) throw new ValidationStatsError(`the IDI needs at least 2 events and 2 non-events (got ${ev.n} and ${ne.n})`);
  const value = ev.mean - ne.mean;
  const se = Math.sqrt(ev.se2 + ne.se2);
  const warnings: string[] = [];
  let z: number;
  if (se === 0) {
    z = value === 0 ? NaN : Math.sign(value) * Infinity;
    warnings.push("the changes are constant within each group; the IDI test is undefined");
  } else z = value / se;
  const zq = normalQuantile(0.5 + confLevel / 2);
  return {
    idi: value,
    eventsChange: ev.mean,
    nonEventsChange: ne.mean,
    slopeBefore: ev.mb - ne.mb,
    slopeAfter: ev.ma - ne.ma,
    se,
    z,
    p: Number.isNaN(z) ? NaN : normalTwoSidedP(z),
    ci: [value - zq * se, value + zq * se],
    confLevel,
    nEvents: ev.n,
    nNonEvents: ne.n,
    warnings,
  };
}
