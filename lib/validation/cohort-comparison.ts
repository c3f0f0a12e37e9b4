/**
 * BCT against DXA on a cohort, with the statistics a reviewer expects, from plain per-subject rows
 * (a `bct cohort run` results table, or any table with these columns):
 *
 * - correlation of strength with aBMD (Pearson and Spearman with intervals, OLS line);
 * - agreement of the CT-derived (DXA-equivalent) aBMD with measured DXA (Pearson, Bland-Altman);
 * - agreement of "fragile bone strength" with "T-score <= -2.5" (2x2 table, Cohen's kappa), and of the
 *   three-level classes (fragile/low/normal against osteoporosis/osteopenia/normal, linear weights);
 * - discrimination of the outcome: ROC/AUC with DeLong intervals for strength, CT aBMD, measured DXA
 *   aBMD and the load-to-strength ratio, the paired DeLong test of strength against DXA aBMD,
 *   sensitivity/specificity/PPV/NPV of "fragile" and of "T <= -2.5";
 * - odds ratio per SD decrease (logistic, age-adjusted where age is given);
 * - each of the cohort's estimates set beside the published figure of the same measure
 *   ({@link PUBLISHED_FIGURES}), labelled "published" and "this cohort".
 *
 * Nothing here knows of CT: the rows are numbers and labels.
 *
 * @example
 * ```ts
 * const cmp = compareCohort(rows); // rows: CohortComparisonRow[]
 * cmp.auc.strength.estimate; cmp.kappaFragileVsOsteoporosis.kappa; cmp.sideBySide;
 * ```
 * @module
 */
import { blandAltman, type BlandAltmanResult } from "./bland-altman.js";
import { pearson, spearman, type CorrelationResult } from "./correlation.js";
import { diagnosticAccuracy, twoByTwo, type DiagnosticResult } from "./diagnostic.js";
import { ValidationStatsError } from "./errors.js";
import { cohenKappa, type KappaResult } from "./kappa.js";
import { logisticRegression } from "./logistic.js";
import { PUBLISHED_FIGURES, type PublishedMeasure } from "./published.js";
import { linearRegression, type RegressionResult } from "./regression.js";
import { delongAuc, delongTest, type AucResult, type DelongTestResult } from "./roc.js";

/** One subject of a cohort comparison. Missing optional values are `undefined` or NaN. */
export interface CohortComparisonRow {
  id: string;
  sex: "F" | "M";
  age?: number;
  /** BCT femoral strength (N). */
  strengthN: number;
  /** BCT strength class. */
  classification: "fragile" | "low" | "normal";
  /** CT-derived (DXA-equivalent) femoral neck aBMD (g/cm2), its T-score and the WHO category of the lower hip T-score. */
  neckABMD?: number;
  totalHipABMD?: number;
  tScoreNeck?: number;
  tScoreTotalHip?: number;
  whoCategory?: "normal" | "osteopenia" | "osteoporosis";
  /** Measured DXA (g/cm2), when the cohort has it. */
  dxaNeckABMD?: number;
  dxaTotalHipABMD?: number;
  /** Fall force / strength. */
  factorOfRisk?: number;
  /** Outcome: 1 fracture, 0 none. */
  fracture?: number;
}

/** An estimate of this cohort beside a published one. Plain data. */
export interface SideBySideRow {
  measure: PublishedMeasure;
  group: string;
  kind: string;
  published: string;
  publishedSource: string;
  thisCohort: string;
  thisCohortN: number;
  note?: string;
}

/** The whole comparison. Plain data. */
export interface CohortComparison {
  n: number;
  nWithOutcome: number;
  fractures: number;
  strengthVsNeckABMD?: { pearson: CorrelationResult; spearman: CorrelationResult; regression: RegressionResult; aBMDSource: "CT" | "DXA" };
  ctVsDxaNeck?: { pearson: CorrelationResult; blandAltman: BlandAltmanResult };
  ctVsDxaTotalHip?: { pearson: CorrelationResult; blandAltman: BlandAltmanResult };
  /** "fragile" vs "T <= -2.5" (osteoporosis), both binary. */
  kappaFragileVsOsteoporosis?: KappaResult;
  /** fragile/low/normal vs osteoporosis/osteopenia/normal, linear weights. */
  kappaThreeClass?: KappaResult;
  /** Counts: strength class (rows) by WHO category (columns). */
  classTable?: { rows: string[]; columns: string[]; counts: number[][] };
  auc: Partial<Record<"strength" | "ctNeckABMD" | "dxaNeckABMD" | "factorOfRisk", AucResult>>;
  /** Paired DeLong test: strength vs the neck aBMD (measured DXA when present, else CT). */
  delongStrengthVsABMD?: DelongTestResult & { aBMDSource: "CT" | "DXA" };
  /** Test "fragile" and test "T <= -2.5" against the outcome. */
  diagnosticFragile?: DiagnosticResult;
  diagnosticOsteoporosis?: DiagnosticResult;
  /** Odds ratio per SD decrease (strength, aBMD) or increase (load-to-strength), age-adjusted when age is present. */
  oddsRatioPerSD: Partial<Record<"strength" | "dxaNeckABMD" | "ctNeckABMD" | "factorOfRisk", { estimate: number; ci: [number, number]; adjustedFor: string[]; warnings: string[] }>>;
  sideBySide: SideBySideRow[];
  warnings: string[];
}

const finite = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);
const fmt = (x: number, d = 2) => x.toFixed(d);
const fmtCI = (e: number, ci?: [number, number], d = 2) => (ci ? `${fmt(e, d)} (${fmt(ci[0], d)}-${fmt(ci[1], d)})` : fmt(e, d));

/**
 * Compare BCT with DXA on a cohort.
 * @throws {@link ValidationStatsError} when fewer than 3 subjects are given
 */
export function compareCohort(rows: readonly CohortComparisonRow[]): CohortComparison {
  if (rows.length < 3) throw new ValidationStatsError(`a cohort comparison needs at least 3 subjects; got ${rows.length}`);
  const warnings: string[] = [];
  const pick = (f: (r: CohortComparisonRow) => boolean) => rows.filter(f);
  const out: CohortComparison = {
    n: rows.length, nWithOutcome: 0, fractures: 0, auc: {}, oddsRatioPerSD: {}, sideBySide: [], warnings,
  };
  // Prefer measured DXA as "the aBMD" when the cohort has it.
  const withDxa = pick((r) => finite(r.dxaNeckABMD));
  const aBMDSource: "CT" | "DXA" = withDxa.length >= 3 ? "DXA" : "CT";
  const neck = (r: CohortComparisonRow) => (aBMDSource === "DXA" ? r.dxaNeckABMD : r.neckABMD);

  const sa = pick((r) => finite(r.strengthN) && finite(neck(r)));
  if (sa.length >= 3) {
    const x = sa.map((r) => neck(r)!), y = sa.map((r) => r.strengthN);
    out.strengthVsNeckABMD = { pearson: pearson(x, y), spearman: spearman(x, y), regression: linearRegression(x, y), aBMDSource };
  }
  for (const [key, ctK, dxK] of [["ctVsDxaNeck", "neckABMD", "dxaNeckABMD"], ["ctVsDxaTotalHip", "totalHipABMD", "dxaTotalHipABMD"]] as const) {
    const both = pick((r) => finite(r[ctK]) && finite(r[dxK]));
    if (both.length >= 3) {
      const a = both.map((r) => r[ctK] as number), b = both.map((r) => r[dxK] as number);
      out[key] = { pearson: pearson(a, b), blandAltman: blandAltman(a, b) };
    }
  }

  const cls = pick((r) => r.whoCategory !== undefined && r.classification !== undefined);
  if (cls.length >= 2) {
    const fragile = cls.map((r) => (r.classification === "fragile" ? "yes" : "no"));
    const osteo = cls.map((r) => (r.whoCategory === "osteoporosis" ? "yes" : "no"));
    out.kappaFragileVsOsteoporosis = cohenKappa(fragile, osteo, { categories: ["yes", "no"] });
    const rank = { fragile: 0, low: 1, normal: 2, osteoporosis: 0, osteopenia: 1 } as Record<string, number>;
    out.kappaThreeClass = cohenKappa(cls.map((r) => rank[r.classification]), cls.map((r) => rank[r.whoCategory!]), { categories: [0, 1, 2], weights: "linear" });
    const rowsL = ["fragile", "low", "normal"], colsL = ["osteoporosis", "osteopenia", "normal"];
    out.classTable = { rows: rowsL, columns: colsL, counts: rowsL.map((a) => colsL.map((b) => cls.filter((r) => r.classification === a && r.whoCategory === b).length)) };
  }

  const oc = pick((r) => r.fracture === 0 || r.fracture === 1);
  out.nWithOutcome = oc.length;
  out.fractures = oc.filter((r) => r.fracture === 1).length;
  const canDiscriminate = out.fractures >= 2 && oc.length - out.fractures >= 2;
  if (oc.length > 0 && !canDiscriminate) warnings.push(`only ${out.fractures} fractures among ${oc.length} subjects with an outcome: no ROC analysis`);
  if (canDiscriminate) {
    const scores: [keyof CohortComparison["auc"], (r: CohortComparisonRow) => number | undefined, "higher" | "lower"][] = [
      ["strength", (r) => r.strengthN, "lower"],
      ["ctNeckABMD", (r) => r.neckABMD, "lower"],
      ["dxaNeckABMD", (r) => r.dxaNeckABMD, "lower"],
      ["factorOfRisk", (r) => r.factorOfRisk, "higher"],
    ];
    const ages = oc.every((r) => finite(r.age));
    for (const [name, get, direction] of scores) {
      const sub = oc.filter((r) => finite(get(r)));
      if (sub.length < oc.length) continue;
      const y = sub.map((r) => r.fracture!);
      const s = sub.map((r) => get(r)!);
      out.auc[name] = delongAuc(s, y, { direction });
      // OR per SD change toward risk: the predictor is negated for "lower" scores.
      const pred: Record<string, number[]> = { [name]: s.map((v) => (direction === "lower" ? -v : v)) };
      if (ages) pred.age = sub.map((r) => r.age!);
      try {
        const fit = logisticRegression(pred, y);
        const c = fit.coefficients[name].oddsRatioPerSD;
        out.oddsRatioPerSD[name] = { estimate: c.estimate, ci: c.ci, adjustedFor: ages ? ["age"] : [], warnings: fit.warnings };
      } catch (e) {
        if (!(e instanceof ValidationStatsError)) throw e;
        warnings.push(`odds ratio per SD of ${name}: ${e.message}`);
      }
    }
    const aKey = aBMDSource === "DXA" ? "dxaNeckABMD" : "ctNeckABMD";
    if (out.auc.strength && out.auc[aKey]) {
      out.delongStrengthVsABMD = { ...delongTest(oc.map((r) => r.strengthN), oc.map((r) => neck(r)!), oc.map((r) => r.fracture!), { direction: "lower" }), aBMDSource };
    }
    const y = oc.map((r) => r.fracture!);
    out.diagnosticFragile = diagnosticAccuracy(twoByTwo(oc.map((r) => r.classification === "fragile"), y));
    if (oc.every((r) => r.whoCategory !== undefined)) out.diagnosticOsteoporosis = diagnosticAccuracy(twoByTwo(oc.map((r) => r.whoCategory === "osteoporosis"), y));
  }
  out.sideBySide = sideBySide(out, aBMDSource);
  return out;
}

/** The cohort's estimates beside the published figures of the same measures. */
function sideBySide(c: CohortComparison, aBMDSource: "CT" | "DXA"): SideBySideRow[] {
  const mine: Partial<Record<PublishedMeasure, { text: string; n: number; note?: string }>> = {};
  const or = c.oddsRatioPerSD;
  const adj = (a?: { adjustedFor: string[] }) => (a && a.adjustedFor.length ? `, ${a.adjustedFor.join(", ")}-adjusted` : "");
  if (or.strength) mine["femoral strength OR per SD decrease"] = { text: fmtCI(or.strength.estimate, or.strength.ci), n: c.nWithOutcome, note: `logistic, both sexes${adj(or.strength)}` };
  const dx = or.dxaNeckABMD ?? or.ctNeckABMD;
  if (dx) mine["DXA aBMD HR per SD decrease"] = { text: fmtCI(dx.estimate, dx.ci), n: c.nWithOutcome, note: `odds ratio (not hazard ratio), ${or.dxaNeckABMD ? "measured DXA" : "CT-derived"} neck aBMD${adj(dx)}` };
  if (or.factorOfRisk) mine["load-to-strength ratio HR per SD increase"] = { text: fmtCI(or.factorOfRisk.estimate, or.factorOfRisk.ci), n: c.nWithOutcome, note: `odds ratio (not hazard ratio)${adj(or.factorOfRisk)}` };
  if (c.auc.strength) mine["strength AUC"] = { text: fmtCI(c.auc.strength.estimate, c.auc.strength.ci), n: c.nWithOutcome, note: "hip strength, this cohort's outcome" };
  const aAuc = aBMDSource === "DXA" ? c.auc.dxaNeckABMD : c.auc.ctNeckABMD;
  if (aAuc) mine["aBMD AUC"] = { text: fmtCI(aAuc.estimate, aAuc.ci), n: c.nWithOutcome, note: `${aBMDSource === "DXA" ? "measured DXA" : "CT-derived"} neck aBMD` };
  if (c.auc.factorOfRisk) mine["load-to-strength ratio AUC"] = { text: fmtCI(c.auc.factorOfRisk.estimate, c.auc.factorOfRisk.ci), n: c.nWithOutcome };
  if (c.ctVsDxaNeck) mine["CT vs DXA neck aBMD correlation"] = { text: fmtCI(c.ctVsDxaNeck.pearson.estimate, c.ctVsDxaNeck.pearson.ci, 3), n: c.ctVsDxaNeck.pearson.n };
  if (c.ctVsDxaTotalHip) mine["CT vs DXA total hip aBMD correlation"] = { text: fmtCI(c.ctVsDxaTotalHip.pearson.estimate, c.ctVsDxaTotalHip.pearson.ci, 3), n: c.ctVsDxaTotalHip.pearson.n };
  return PUBLISHED_FIGURES.map((f) => {
    const m = mine[f.measure];
    return {
      measure: f.measure,
      group: f.group,
      kind: f.kind,
      published: fmtCI(f.value.estimate, f.value.ci, f.kind === "correlation R" || f.kind === "AUC" ? 2 : 1),
      publishedSource: `${f.study}; ${f.citation}`,
      thisCohort: m ? m.text : "-",
      thisCohortN: m ? m.n : 0,
      note: [f.note, m?.note].filter(Boolean).join("; ") || undefined,
    };
  });
}
