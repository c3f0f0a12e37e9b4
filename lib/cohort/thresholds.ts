/**
 * Strength thresholds derived from a reference population, the way the published BCT cut-points were
 * made (Keaveny et al. 2020 ✔): per site and sex, the strength expected at the BMD cut-points of the
 * clinical categories. Hip: strength regressed on the femoral-neck T-score (bct's DXA scale), the
 * "fragile" bound is the strength predicted at T = -2.5 and the "low" bound at T = -1.0. Spine:
 * strength regressed on the trabecular vBMD (mg/cm³ HA), predicted at 80 and 120 mg/cm³ (the WHO and
 * ACR cut-points, lib/dxa/reference.ts).
 *
 * - The regression is ordinary least squares of strength (N) on the BMD measure, per site and sex
 *   (lib/validation/regression.ts).
 * - The confidence intervals are percentile intervals of a seeded nonparametric bootstrap: the
 *   subjects of each group are resampled with replacement (counter-based RNG of lib/synthetic/rng.ts,
 *   so the same seed gives the same intervals), refitted, and the predictions' quantiles taken.
 * - A table that mixes strength definitions at one site is refused: thresholds belong to one definition.
 * - The agreement between the strength class (these cut-points) and the BMD class (WHO / ACR) on the
 *   same population is reported per site and sex: percent agreement and linearly weighted kappa.
 *
 * The input table (`results.csv`, as `bct cohort reference` writes it) has the columns id, site
 * (hip|spine), sex (F|M), strengthN, bmd, definitionId; `definitions.json` beside it (id -> the full
 * definition) and `population.json` (how the population was made) are recorded when present.
 *
 * @example
 * ```ts
 * import { deriveThresholds, readReferenceResults } from "bct/lib/cohort/thresholds";
 * const set = deriveThresholds(readReferenceResults("ref/results.csv"), { bootstrap: 2000, seed: 1 });
 * set.sites.hip?.F; // { fragile, low, ci, n, r2 }
 * ```
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import * as aq from "arquero";
import { acrCategory, ACR_VBMD_CUTPOINTS_MG_CM3_HA, whoCategory, WHO_T_SCORE_CUTPOINTS } from "../dxa/reference.js";
import { BctError } from "../errors.js";
import type { Sex, Site, StrengthClass } from "../strength/classify.js";
import type { StrengthDefinition } from "../strength/definition.js";
import { classOf, THRESHOLDS_FORMAT, THRESHOLDS_VERSION, validateThresholdSet, type CutPoints, type SiteThresholds, type ThresholdSet } from "../strength/thresholds.js";
import { uniformAt } from "../synthetic/rng.js";
import { cohenKappa } from "../validation/kappa.js";
import { linearRegression } from "../validation/regression.js";

/** A table that cannot give thresholds: missing columns, mixed definitions, too few subjects. */
export class ThresholdDerivationError extends BctError {
  override name = "ThresholdDerivationError";
}

/** One subject of a reference table. */
export interface ReferenceRow {
  id: string;
  site: Site;
  sex: Sex;
  strengthN: number;
  /** Hip: femoral-neck T-score; spine: trabecular vBMD (mg/cm³ HA). */
  bmd: number;
  definitionId: string;
}

/** A reference table with what was found beside it. */
export interface ReferenceTable {
  source: string;
  rows: ReferenceRow[];
  /** Full definitions by id (definitions.json beside the table), when present. */
  definitions: Record<string, StrengthDefinition>;
  /** How the population was made (population.json beside the table), when present. */
  population?: Record<string, unknown>;
}

/** The BMD measure of each site and its two cut-points (fragile, low), in the measure's unit. */
export const BMD_CUTPOINTS: Readonly<Record<Site, { measure: string; unit: string; fragile: number; low: number; categories: string }>> = {
  hip: { measure: "femoral-neck T-score (bct DXA-equivalent, NHANES III reference)", unit: "SD", fragile: WHO_T_SCORE_CUTPOINTS.osteoporosis, low: WHO_T_SCORE_CUTPOINTS.normal, categories: "WHO" },
  spine: { measure: "trabecular vBMD (QCT)", unit: "mg/cm3 HA", fragile: ACR_VBMD_CUTPOINTS_MG_CM3_HA.osteoporosis, low: ACR_VBMD_CUTPOINTS_MG_CM3_HA.normal, categories: "ACR" },
};

const REQUIRED = ["id", "site", "sex", "strengthN", "bmd", "definitionId"] as const;

/**
 * Read a reference table (CSV) and, beside it, definitions.json and population.json.
 * @throws ThresholdDerivationError for an unreadable file, a missing column or a bad value.
 */
export function readReferenceResults(path: string): ReferenceTable {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ThresholdDerivationError(`cannot read the reference table ${path}: ${(e as Error).message}`);
  }
  const t = aq.fromCSV(text.replace(/(\r?\n)+$/, "\n"), { parse: { id: String, site: String, sex: String, definitionId: String } });
  const cols = t.columnNames();
  const missing = REQUIRED.filter((c) => !cols.includes(c));
  if (missing.length) throw new ThresholdDerivationError(`${path}: missing column(s) ${missing.join(", ")} (needs ${REQUIRED.join(", ")}; \`bct cohort reference\` writes such a table)`);
  const rows = (t.objects() as Record<string, unknown>[]).map((r, i) => checkRow(r, `${path} row ${i + 2}`));
  const dir = dirname(path);
  const readJson = (name: string) => {
    const f = join(dir, name);
    if (!existsSync(f)) return undefined;
    try {
      return JSON.parse(readFileSync(f, "utf8")) as Record<string, unknown>;
    } catch (e) {
      throw new ThresholdDerivationError(`${f} is not valid JSON: ${(e as Error).message}`);
    }
  };
  return { source: path, rows, definitions: (readJson("definitions.json") ?? {}) as Record<string, StrengthDefinition>, population: readJson("population.json") };
}

/**
 * Several reference tables as one (e.g. the hip and the spine halves of a population run separately):
 * rows concatenated, definitions merged, each table's population kept under its file name.
 * @throws ThresholdDerivationError when two tables hold the same subject id.
 */
export function mergeReferenceTables(tables: readonly ReferenceTable[]): ReferenceTable {
  if (tables.length === 1) return tables[0];
  const seen = new Set<string>();
  for (const t of tables) for (const r of t.rows) {
    if (seen.has(r.id)) throw new ThresholdDerivationError(`subject ${r.id} appears in more than one table (${tables.map((x) => x.source).join(", ")})`);
    seen.add(r.id);
  }
  return {
    source: tables.map((t) => t.source).join(" + "),
    rows: tables.flatMap((t) => t.rows),
    definitions: Object.assign({}, ...tables.map((t) => t.definitions)),
    population: Object.fromEntries(tables.filter((t) => t.population).map((t) => [t.source, t.population])),
  };
}

function checkRow(r: Record<string, unknown>, where: string): ReferenceRow {
  const site = r.site, sex = r.sex;
  if (site !== "hip" && site !== "spine") throw new ThresholdDerivationError(`${where}: site must be hip or spine, got ${JSON.stringify(site)}`);
  if (sex !== "F" && sex !== "M") throw new ThresholdDerivationError(`${where}: sex must be F or M, got ${JSON.stringify(sex)}`);
  const num = (k: string) => {
    const v = typeof r[k] === "number" ? (r[k] as number) : Number(r[k]);
    if (!Number.isFinite(v)) throw new ThresholdDerivationError(`${where}: ${k} must be a number, got ${JSON.stringify(r[k])}`);
    return v;
  };
  const strengthN = num("strengthN");
  if (!(strengthN > 0)) throw new ThresholdDerivationError(`${where}: strengthN must be positive, got ${strengthN}`);
  const definitionId = String(r.definitionId ?? "");
  if (!definitionId || definitionId === "null" || definitionId === "undefined") throw new ThresholdDerivationError(`${where}: definitionId is empty: every strength must say which definition produced it`);
  return { id: String(r.id), site, sex, strengthN, bmd: num("bmd"), definitionId };
}

/** Options of {@link deriveThresholds}. */
export interface ThresholdDerivationOptions {
  /** Bootstrap resamples per group. Default 2000; 0 = no intervals. */
  bootstrap?: number;
  /** Bootstrap seed, an integer in [0, 2^32). Default 1. */
  seed?: number;
  /** Confidence level of the intervals. Default 0.95. */
  confLevel?: number;
  /** Name of the set. Default "bct-reference". */
  name?: string;
  /** Fewest subjects per site and sex. Default 8. */
  minPerGroup?: number;
}

/** The regression of one site and sex, as recorded in the set's derivation. */
export interface GroupFit {
  site: Site;
  sex: Sex;
  n: number;
  /** strength = intercept + slope × bmd (N, N per unit of the BMD measure). */
  intercept: number;
  slope: number;
  r2: number;
  residualSEN: number;
  bmdRange: [number, number];
  /** Unrounded predictions at the BMD cut-points (N). */
  atFragileN: number;
  atLowN: number;
  /** Bootstrap resamples that were refitted (resamples with a constant BMD are skipped). */
  bootstrapUsed: number;
  warnings: string[];
}

/** Strength class against BMD class on the reference population, for one site and sex. */
export interface GroupAgreement {
  site: Site;
  sex: Sex;
  n: number;
  /** Rows strength class (fragile, low, normal), columns BMD class (osteoporosis, low/osteopenia, normal). */
  table: number[][];
  percentAgreement: number;
  /** Linearly weighted kappa and its 95% interval; null when it is undefined (one category only). */
  weightedKappa: number | null;
  kappaCI: [number, number] | null;
  note?: string;
}

const round10 = (x: number) => Math.round(x / 10) * 10;

/** y = a + b x by least squares from centred sums; null when x is constant. */
function fit(x: readonly number[], y: readonly number[]): { a: number; b: number } | null {
  const n = x.length;
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) (mx += x[i]), (my += y[i]);
  mx /= n;
  my /= n;
  let sxx = 0, sxy = 0;
  for (let i = 0; i < n; i++) (sxx += (x[i] - mx) ** 2), (sxy += (x[i] - mx) * (y[i] - my));
  if (!(sxx > 1e-12 * n)) return null;
  const b = sxy / sxx;
  return { a: my - b * mx, b };
}

/** Type-7 quantile of sorted values. */
function quantile(sorted: readonly number[], p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h), hi = Math.ceil(h);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * Percentile bootstrap intervals of the predictions at the two cut-points, resampling the group's
 * subjects with replacement. Resample r draws index `floor(u n)` with u = uniformAt(seed, stream, r n + i).
 */
export function bootstrapPredictions(x: readonly number[], y: readonly number[], at: readonly [number, number], opts: { resamples: number; seed: number; stream: number; confLevel: number }): { ci: [[number, number], [number, number]]; used: number } {
  const n = x.length;
  const p0: number[] = [], p1: number[] = [];
  const bx = new Array<number>(n), by = new Array<number>(n);
  for (let r = 0; r < opts.resamples; r++) {
    for (let i = 0; i < n; i++) {
      const k = Math.min(n - 1, Math.floor(uniformAt(opts.seed, opts.stream, r * n + i) * n));
      bx[i] = x[k];
      by[i] = y[k];
    }
    const f = fit(bx, by);
    if (!f) continue;
    p0.push(f.a + f.b * at[0]);
    p1.push(f.a + f.b * at[1]);
  }
  const alpha = (1 - opts.confLevel) / 2;
  const ci = (v: number[]): [number, number] => {
    v.sort((a, b) => a - b);
    return v.length ? [quantile(v, alpha), quantile(v, 1 - alpha)] : [NaN, NaN];
  };
  return { ci: [ci(p0), ci(p1)], used: p0.length };
}

/** The fit, cut-points and intervals of one site and sex. */
function deriveGroup(site: Site, sex: Sex, rows: readonly ReferenceRow[], o: Required<Omit<ThresholdDerivationOptions, "name">>): { cut: CutPoints; fit: GroupFit } {
  const x = rows.map((r) => r.bmd), y = rows.map((r) => r.strengthN);
  const cp = BMD_CUTPOINTS[site];
  let reg;
  try {
    reg = linearRegression(x, y);
  } catch (e) {
    throw new ThresholdDerivationError(`${site} ${sex}: cannot regress strength on ${cp.measure}: ${(e as Error).message}`);
  }
  const a = reg.intercept.estimate, b = reg.slope.estimate;
  const atFragileN = a + b * cp.fragile, atLowN = a + b * cp.low;
  const warnings: string[] = [];
  if (!(b > 0)) warnings.push(`strength does not increase with ${cp.measure} (slope ${b.toFixed(1)} N per ${cp.unit}): the cut-points are meaningless`);
  const lo = Math.min(...x), hi = Math.max(...x);
  for (const [name, v] of [["fragile", cp.fragile], ["low", cp.low]] as const) {
    if (v < lo || v > hi) warnings.push(`the ${name} cut-point ${v} ${cp.unit} lies outside the population's range [${lo.toFixed(2)}, ${hi.toFixed(2)}]: the threshold is extrapolated`);
  }
  const stream = 1000 + (site === "hip" ? 0 : 10) + (sex === "F" ? 0 : 1);
  const boot = o.bootstrap > 0 ? bootstrapPredictions(x, y, [cp.fragile, cp.low], { resamples: o.bootstrap, seed: o.seed, stream, confLevel: o.confLevel }) : null;
  if (!(round10(atFragileN) > 0 && round10(atLowN) > round10(atFragileN))) {
    throw new ThresholdDerivationError(`${site} ${sex}: the regression predicts ${atFragileN.toFixed(0)} N at ${cp.fragile} and ${atLowN.toFixed(0)} N at ${cp.low} ${cp.unit}: no valid cut-points (fragile must be positive and below low)`);
  }
  const cut: CutPoints = {
    fragile: round10(atFragileN),
    low: round10(atLowN),
    ...(boot ? { ci: { fragile: boot.ci[0].map(round10) as [number, number], low: boot.ci[1].map(round10) as [number, number], level: o.confLevel } } : {}),
    n: rows.length,
    r2: Number(reg.r2.toFixed(4)),
  };
  return {
    cut,
    fit: {
      site, sex, n: rows.length, intercept: a, slope: b, r2: reg.r2, residualSEN: reg.residualSE, bmdRange: [lo, hi], atFragileN, atLowN,
      bootstrapUsed: boot?.used ?? 0, warnings,
    },
  };
}

const STRENGTH_RANK: Record<StrengthClass, number> = { fragile: 0, low: 1, normal: 2 };

/** The BMD class rank of a subject (0 osteoporosis, 1 osteopenia/low, 2 normal). */
export function bmdClassRank(site: Site, bmd: number): number {
  if (site === "hip") return { osteoporosis: 0, osteopenia: 1, normal: 2 }[whoCategory(Math.round(bmd * 10) / 10)];
  return { osteoporosis: 0, low: 1, normal: 2 }[acrCategory(Math.round(bmd))];
}

/**
 * Agreement of the strength class under `cut` with the BMD class, on `rows` (one site and sex):
 * the 3 x 3 table, percent agreement and linearly weighted kappa (lib/validation/kappa.ts).
 */
export function classAgreement(site: Site, sex: Sex, rows: readonly ReferenceRow[], cut: Pick<CutPoints, "fragile" | "low">): GroupAgreement {
  const s = rows.map((r) => STRENGTH_RANK[classOf(r.strengthN, cut)]);
  const d = rows.map((r) => bmdClassRank(site, r.bmd));
  const table = [0, 1, 2].map((i) => [0, 1, 2].map((j) => s.filter((v, k) => v === i && d[k] === j).length));
  const percentAgreement = (100 * s.filter((v, k) => v === d[k]).length) / rows.length;
  let weightedKappa: number | null = null, kappaCI: [number, number] | null = null, note: string | undefined;
  try {
    const k = cohenKappa(s, d, { categories: [0, 1, 2], weights: "linear" });
    if (Number.isFinite(k.kappa)) {
      weightedKappa = k.kappa;
      kappaCI = k.ci;
    } else note = "kappa undefined (both ratings in one category)";
  } catch (e) {
    note = `kappa undefined: ${(e as Error).message}`;
  }
  return { site, sex, n: rows.length, table, percentAgreement, weightedKappa, kappaCI, ...(note ? { note } : {}) };
}

/** The single definition of a site's rows. @throws ThresholdDerivationError when they mix definitions. */
function siteDefinition(site: Site, rows: readonly ReferenceRow[], table: ReferenceTable): StrengthDefinition {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.definitionId, (counts.get(r.definitionId) ?? 0) + 1);
  if (counts.size > 1) {
    throw new ThresholdDerivationError(`the ${site} rows of ${table.source} mix strength definitions (${[...counts].map(([id, n]) => `${id}: ${n}`).join("; ")}): thresholds belong to one definition; split the table or re-run the population with one definition`);
  }
  const id = [...counts.keys()][0];
  return table.definitions[id] ?? ({ id, site } as StrengthDefinition);
}

/**
 * Derive a thresholds set from a reference table (module docs), with the per-group regressions and the
 * class agreement in `derivation`.
 * @throws ThresholdDerivationError for mixed definitions, too few subjects in a group, or a fit that gives no valid cut-points.
 */
export function deriveThresholds(table: ReferenceTable, opts: ThresholdDerivationOptions = {}): ThresholdSet {
  const o = { bootstrap: opts.bootstrap ?? 2000, seed: opts.seed ?? 1, confLevel: opts.confLevel ?? 0.95, minPerGroup: opts.minPerGroup ?? 8 };
  if (!Number.isInteger(o.bootstrap) || o.bootstrap < 0) throw new ThresholdDerivationError(`bootstrap resamples must be a whole number >= 0, got ${o.bootstrap}`);
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff) throw new ThresholdDerivationError(`seed must be an integer from 0 to 4294967295, got ${o.seed}`);
  if (!(o.confLevel > 0 && o.confLevel < 1)) throw new ThresholdDerivationError(`confidence level must be in (0, 1), got ${o.confLevel}`);
  const sites = (["hip", "spine"] as const).filter((s) => table.rows.some((r) => r.site === s));
  if (!sites.length) throw new ThresholdDerivationError(`${table.source} has no rows`);
  const out: Partial<Record<Site, SiteThresholds>> = {};
  const fits: GroupFit[] = [], agreement: GroupAgreement[] = [];
  for (const site of sites) {
    const rows = table.rows.filter((r) => r.site === site);
    const definition = siteDefinition(site, rows, table);
    const bySex = {} as Record<Sex, CutPoints>;
    for (const sex of ["F", "M"] as const) {
      const g = rows.filter((r) => r.sex === sex);
      if (g.length < o.minPerGroup) throw new ThresholdDerivationError(`${site} ${sex === "F" ? "women" : "men"}: ${g.length} subject(s), at least ${o.minPerGroup} are needed`);
      const d = deriveGroup(site, sex, g, o);
      bySex[sex] = d.cut;
      fits.push(d.fit);
      agreement.push(classAgreement(site, sex, g, d.cut));
    }
    out[site] = { definition, derivedForText: `bct strength definition ${definition.id}`, F: bySex.F, M: bySex.M };
  }
  const set: ThresholdSet = {
    format: THRESHOLDS_FORMAT,
    version: THRESHOLDS_VERSION,
    name: opts.name ?? "bct-reference",
    kind: "derived",
    source: `bct cohort thresholds ${table.source.split(" + ").map((x) => basename(dirname(x)) + "/" + basename(x)).join(" ")} (regression of strength on BMD per site and sex, Keaveny 2020 method)`,
    citation: "Keaveny 2020",
    cohort: { table: table.source.split(" + ").map((x) => basename(dirname(x)) + "/" + basename(x)).join(" + "), rows: table.rows.length, ...(table.population ? { population: table.population } : {}) },
    sites: out,
    derivation: {
      method: "OLS of strength (N) on the BMD measure per site and sex; cut-points = predictions at the BMD cut-points, rounded to 10 N; percentile bootstrap intervals (subjects resampled with replacement)",
      bmd: Object.fromEntries(sites.map((s) => [s, BMD_CUTPOINTS[s]])),
      bootstrap: { resamples: o.bootstrap, seed: o.seed, confLevel: o.confLevel },
      fits,
      agreement,
    },
  };
  return validateThresholdSet(set, "derived thresholds");
}

/** The derivation as text lines (stdout of `bct cohort thresholds`). */
export function thresholdsSummary(set: ThresholdSet): string[] {
  const d = set.derivation as { fits: GroupFit[]; agreement: GroupAgreement[] };
  const lines = [`thresholds "${set.name}" (${set.kind}), ${set.source}`];
  for (const f of d.fits) {
    const st = set.sites[f.site]!, c = st[f.sex], cp = BMD_CUTPOINTS[f.site];
    const a = d.agreement.find((x) => x.site === f.site && x.sex === f.sex)!;
    const ci = (k: "fragile" | "low") => (c.ci ? ` [${c.ci[k][0]}, ${c.ci[k][1]}]` : "");
    lines.push(
      `${f.site} ${f.sex === "F" ? "women" : "men  "} n=${f.n}: strength = ${f.intercept.toFixed(0)} + ${f.slope.toFixed(1)} x ${cp.unit === "SD" ? "T" : "vBMD"}, R^2 ${f.r2.toFixed(3)}; ` +
        `fragile <= ${c.fragile} N${ci("fragile")}, normal >= ${c.low} N${ci("low")}; ` +
        `agreement with ${cp.categories} ${a.percentAgreement.toFixed(0)}%, weighted kappa ${a.weightedKappa === null ? "-" : a.weightedKappa.toFixed(2)}` +
        (f.warnings.length ? `; ${f.warnings.join("; ")}` : ""),
    );
  }
  for (const [site, st] of Object.entries(set.sites)) lines.push(`${site}: derived for ${st!.definition!.id}`);
  return lines;
}
