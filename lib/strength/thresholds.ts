/**
 * Strength classification thresholds as data: a {@link ThresholdSet} names where its cut-points come
 * from and, per site, the {@link StrengthDefinition} it was derived for, so a strength is never
 * classified with cut-points that belong to another definition (issue #11 item 3).
 *
 * - The published Keaveny 2020 set ({@link KEAVENY_2020}, name `keaveny2020`) was derived for
 *   VirtuOst's pipeline, not for bct's: it classifies any definition, but every output says so.
 * - A derived set (made by `bct cohort thresholds`, lib/cohort/thresholds.ts) records the definition
 *   of the results it was derived from; with a result of another definition it refuses: no class and
 *   a warning saying why.
 * - The default for a result ({@link defaultThresholdSet}) is the shipped derived set for the result's
 *   definition id (datasets/thresholds/*.json), else the published set.
 *
 * @example
 * ```ts
 * import { classifyWithThresholds, thresholdSetByName } from "bct/lib/strength/thresholds";
 * const c = classifyWithThresholds(3400, "hip", "F", result.strength.definition, thresholdSetByName("keaveny2020"));
 * c.classification; // "low"; c.thresholds.matchesDefinition === false; c.warnings[0] says why
 * ```
 * @module
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BctError } from "../errors.js";
import { findPackage } from "../package-root.js";
import type { Sex, Site, StrengthClass } from "./classify.js";
import { PISTOIA_CRITICAL_FRACTION, SCHILEO_STRAIN_LIMITS } from "./criteria.js";
import { strengthDefinition, type StrengthDefinition } from "./definition.js";

/** A thresholds file (or object) that is not a valid {@link ThresholdSet}, or an unknown set name. */
export class ThresholdsError extends BctError {
  override name = "ThresholdsError";
}

/** Upper bounds (N) of "fragile" and "low" for one sex, with what a derivation knows about them. */
export interface CutPoints {
  /** Strength at or below which the bone is "fragile" (N). */
  fragile: number;
  /** Strength at or above which the bone is "normal" (N); "low" in between. */
  low: number;
  /** Bootstrap confidence intervals (N) of a derived set. */
  ci?: { fragile: [number, number]; low: [number, number]; level: number };
  /** Subjects of the group the cut-points were derived from. */
  n?: number;
  /** R² of the group's regression of strength on the BMD measure. */
  r2?: number;
}

/** One site's thresholds. */
export interface SiteThresholds {
  /** The definition the cut-points were derived for; null for a published set (see `derivedForText`). */
  definition: StrengthDefinition | null;
  /** In words: what the cut-points were derived for. */
  derivedForText: string;
  F: CutPoints;
  M: CutPoints;
}

/** A named set of strength thresholds, per site and sex, with its provenance. Plain JSON data. */
export interface ThresholdSet {
  format: typeof THRESHOLDS_FORMAT;
  version: typeof THRESHOLDS_VERSION;
  /** Short name (letters, digits, `-`, `_`, `.`). */
  name: string;
  /** "published": cut-points from the literature; "derived": from a reference population by regression. */
  kind: "published" | "derived";
  /** Where the cut-points come from, in words (citation or command and cohort). */
  source: string;
  /** Citation key(s) of the method (docs/references.md). */
  citation: string;
  /** The reference population of a derived set (free-form, as the derivation records it). */
  cohort?: Record<string, unknown>;
  sites: Partial<Record<Site, SiteThresholds>>;
  /** Anything else the derivation records (regressions, agreement, bootstrap settings). */
  derivation?: Record<string, unknown>;
}

export const THRESHOLDS_FORMAT = "bct-thresholds";
export const THRESHOLDS_VERSION = 1;

/**
 * The published BCT strength classes (Keaveny et al. 2020, Osteoporos Int 31:1025, Table 1 ✔): upper
 * bounds (N) of "fragile" and "low", by site and sex. They correspond to the strength expected at a
 * femoral-neck T-score of -2.5 / -1.0 (hip) and a trabecular vBMD of 80 / 120 mg/cm³ (spine) in
 * VirtuOst's reference data, and assume VirtuOst's exact pipeline (bct-reference.md, gaps §1).
 */
export const KEAVENY_2020: ThresholdSet = {
  format: "bct-thresholds",
  version: 1,
  name: "keaveny2020",
  kind: "published",
  source: "Keaveny TM et al. 2020, Osteoporos Int 31:1025, Table 1 (VirtuOst BCT)",
  citation: "Keaveny 2020",
  sites: {
    hip: {
      definition: null,
      derivedForText: "VirtuOst's hip analysis (sideways fall, nonlinear), not bct's definition",
      F: { fragile: 3000, low: 4000 },
      M: { fragile: 3500, low: 5000 },
    },
    spine: {
      definition: null,
      derivedForText: "VirtuOst's vertebral analysis (compression, nonlinear), not bct's definition",
      F: { fragile: 4500, low: 6000 },
      M: { fragile: 6500, low: 8500 },
    },
  },
};

/** The published sets selectable by name. */
export const PUBLISHED_THRESHOLD_SETS: Readonly<Record<string, ThresholdSet>> = { keaveny2020: KEAVENY_2020 };

/** The class of `strengthN` under `cut`: fragile at or below `fragile`, normal at or above `low` (Keaveny 2020 Table 1 ✔). */
export function classOf(strengthN: number, cut: Pick<CutPoints, "fragile" | "low">): StrengthClass {
  if (!Number.isFinite(strengthN) || strengthN <= 0) throw new BctError(`a strength must be a positive number of newtons, got ${strengthN}`);
  if (strengthN <= cut.fragile) return "fragile";
  if (strengthN >= cut.low) return "normal";
  return "low";
}

// ---------------------------------------------------------------------------------------------
// Validation and files
// ---------------------------------------------------------------------------------------------

function bad(where: string, msg: string): never {
  throw new ThresholdsError(`${where}: ${msg}`);
}

function checkCut(where: string, c: unknown): CutPoints {
  if (typeof c !== "object" || c === null) bad(where, "must be an object { fragile, low } (N)");
  const o = c as Record<string, unknown>;
  for (const k of ["fragile", "low"]) if (typeof o[k] !== "number" || !Number.isFinite(o[k] as number) || (o[k] as number) <= 0) bad(where, `${k} must be a positive number of newtons, got ${JSON.stringify(o[k])}`);
  if ((o.fragile as number) >= (o.low as number)) bad(where, `fragile (${o.fragile} N) must be below low (${o.low} N)`);
  if (o.ci !== undefined) {
    const ci = o.ci as Record<string, unknown>;
    const pair = (x: unknown) => Array.isArray(x) && x.length === 2 && x.every((v) => typeof v === "number" && Number.isFinite(v)) && x[0] <= x[1];
    if (typeof ci !== "object" || ci === null || !pair(ci.fragile) || !pair(ci.low)) bad(where, "ci must be { fragile: [lo, hi], low: [lo, hi], level }");
  }
  return o as unknown as CutPoints;
}

function checkDefinition(where: string, d: unknown, site: Site): StrengthDefinition | null {
  if (d === null) return null;
  if (typeof d !== "object" || d === undefined) bad(where, "definition must be a strength definition object or null");
  const o = d as Record<string, unknown>;
  if (typeof o.id !== "string" || !o.id) bad(where, "definition.id must be a non-empty string");
  if (o.site !== site) bad(where, `definition.site is ${JSON.stringify(o.site)}, but the thresholds are listed under ${site}`);
  return o as unknown as StrengthDefinition;
}

/**
 * Check a parsed thresholds object and narrow its type; `where` names it in messages (a file path).
 * @throws ThresholdsError naming the first bad field.
 */
export function validateThresholdSet(x: unknown, where = "thresholds"): ThresholdSet {
  if (typeof x !== "object" || x === null || Array.isArray(x)) bad(where, "not a JSON object");
  const o = x as Record<string, unknown>;
  if (o.format !== THRESHOLDS_FORMAT) bad(where, `format must be "${THRESHOLDS_FORMAT}", got ${JSON.stringify(o.format)} (make one with \`bct cohort thresholds\`)`);
  if (o.version !== THRESHOLDS_VERSION) bad(where, `version ${JSON.stringify(o.version)} is not supported (this bct reads version ${THRESHOLDS_VERSION})`);
  if (typeof o.name !== "string" || !/^[A-Za-z0-9._-]{1,80}$/.test(o.name)) bad(where, `name must be 1-80 letters, digits, ".", "_" or "-", got ${JSON.stringify(o.name)}`);
  if (o.kind !== "published" && o.kind !== "derived") bad(where, `kind must be "published" or "derived", got ${JSON.stringify(o.kind)}`);
  for (const k of ["source", "citation"]) if (typeof o[k] !== "string") bad(where, `${k} must be text`);
  const sites = o.sites as Record<string, unknown>;
  if (typeof sites !== "object" || sites === null) bad(where, "sites must be an object { hip?, spine? }");
  const names = Object.keys(sites);
  if (!names.length) bad(where, "sites holds no site (hip, spine)");
  for (const s of names) {
    if (s !== "hip" && s !== "spine") bad(where, `unknown site "${s}" (hip, spine)`);
    const st = sites[s] as Record<string, unknown>;
    if (typeof st !== "object" || st === null) bad(`${where} sites.${s}`, "must be an object");
    const def = checkDefinition(`${where} sites.${s}`, st.definition, s);
    if (o.kind === "derived" && def === null) bad(`${where} sites.${s}`, "a derived set must record the strength definition it was derived for");
    if (typeof st.derivedForText !== "string") bad(`${where} sites.${s}`, "derivedForText must be text");
    checkCut(`${where} sites.${s}.F`, st.F);
    checkCut(`${where} sites.${s}.M`, st.M);
  }
  return o as unknown as ThresholdSet;
}

/**
 * Read and check a thresholds JSON file.
 * @throws ThresholdsError for an unreadable file, invalid JSON or an invalid set.
 */
export function readThresholdSet(path: string): ThresholdSet {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ThresholdsError(`cannot read thresholds file ${path}: ${(e as Error).message}`);
  }
  let x: unknown;
  try {
    x = JSON.parse(text);
  } catch (e) {
    throw new ThresholdsError(`thresholds file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  return validateThresholdSet(x, path);
}

/**
 * A published set by name (`keaveny2020`), else a thresholds file by path.
 * @throws ThresholdsError for an unknown name that is no readable, valid file.
 */
export function resolveThresholdSet(nameOrPath: string): ThresholdSet {
  const published = PUBLISHED_THRESHOLD_SETS[nameOrPath];
  if (published) return published;
  if (!existsSync(nameOrPath)) {
    throw new ThresholdsError(`"${nameOrPath}" is neither a published thresholds set (${Object.keys(PUBLISHED_THRESHOLD_SETS).join(", ")}) nor a thresholds file`);
  }
  return readThresholdSet(nameOrPath);
}

/** A published set by name. @throws ThresholdsError for an unknown name. */
export function thresholdSetByName(name: string): ThresholdSet {
  const s = PUBLISHED_THRESHOLD_SETS[name];
  if (!s) throw new ThresholdsError(`no published thresholds set "${name}" (known: ${Object.keys(PUBLISHED_THRESHOLD_SETS).join(", ")})`);
  return s;
}

/** The folder of the shipped derived sets, relative to the package root. */
export const SHIPPED_THRESHOLDS_DIR = "datasets/thresholds";

/** The derived sets shipped in datasets/thresholds/*.json (invalid files are skipped: the dataset test checks them). */
export function shippedThresholdSets(): ThresholdSet[] {
  const dir = join(findPackage(import.meta.url).root, SHIPPED_THRESHOLDS_DIR);
  if (!existsSync(dir)) return [];
  const out: ThresholdSet[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith(".json")).sort()) {
    try {
      out.push(readThresholdSet(join(dir, f)));
    } catch {
      // not a thresholds set
    }
  }
  return out;
}

/**
 * The default thresholds for a strength of `definitionId` at `site`: the first shipped derived set
 * (datasets/thresholds, by file name) derived for that definition, else the published Keaveny 2020 set.
 */
export function defaultThresholdSet(site: Site, definitionId: string, shipped: readonly ThresholdSet[] = shippedThresholdSets()): ThresholdSet {
  return shipped.find((s) => s.sites[site]?.definition?.id === definitionId) ?? KEAVENY_2020;
}

// ---------------------------------------------------------------------------------------------
// Classification
// ---------------------------------------------------------------------------------------------

/** What a result records about the thresholds that classified it (`result.thresholds`). */
export interface ThresholdsUsed {
  name: string;
  kind: "published" | "derived";
  source: string;
  /** The definition id the set was derived for, or in words for a published set. */
  derivedFor: string;
  /** True when the set was derived for the definition that produced the strength. */
  matchesDefinition: boolean;
  /** The id of the definition that produced the strength. */
  definitionId: string;
  /** The cut-points used (N), null when the set refused. */
  fragileN: number | null;
  lowN: number | null;
  /** One sentence for reports. */
  note: string;
}

/** The class (null when the set refuses), what was used, and the warnings to pass on. */
export interface ThresholdClassification {
  classification: StrengthClass | null;
  thresholds: ThresholdsUsed;
  warnings: string[];
}

/**
 * Classify a strength with a set: a derived set classifies only a strength of the definition it was
 * derived for (else no class, and a warning); a published set classifies any strength and says that
 * it was derived for VirtuOst's pipeline.
 * @throws ThresholdsError when the set has no thresholds for the site.
 */
export function classifyWithThresholds(strengthN: number, site: Site, sex: Sex, definition: Pick<StrengthDefinition, "id">, set: ThresholdSet): ThresholdClassification {
  const st = set.sites[site];
  if (!st) throw new ThresholdsError(`thresholds "${set.name}" have no ${site} cut-points (sites: ${Object.keys(set.sites).join(", ")})`);
  const cut = st[sex];
  if (!cut) throw new ThresholdsError(`thresholds "${set.name}" have no ${site} cut-points for sex "${sex}" (F, M)`);
  const matches = st.definition !== null && st.definition.id === definition.id;
  const base = { name: set.name, kind: set.kind, source: set.source, derivedFor: st.definition?.id ?? st.derivedForText, matchesDefinition: matches, definitionId: definition.id };
  if (set.kind === "published") {
    const note = `${set.name} (${set.source}): published cut-points derived for ${st.derivedForText} (this strength: ${definition.id}); uncalibrated for bct`;
    return {
      classification: classOf(strengthN, cut),
      thresholds: { ...base, fragileN: cut.fragile, lowN: cut.low, note },
      warnings: [`strength class from the published ${set.name} thresholds, derived for ${st.derivedForText}; this strength's definition is ${definition.id} (derive thresholds for it with \`bct cohort thresholds\`)`],
    };
  }
  if (!matches) {
    const why = `thresholds "${set.name}" were derived for the strength definition ${st.definition!.id}, but this strength is ${definition.id}: no strength class (derive thresholds for this definition with \`bct cohort thresholds\`, or choose the published set keaveny2020)`;
    return { classification: null, thresholds: { ...base, fragileN: null, lowN: null, note: why }, warnings: [why] };
  }
  return {
    classification: classOf(strengthN, cut),
    thresholds: { ...base, fragileN: cut.fragile, lowN: cut.low, note: `${set.name} (${set.source}): derived for this strength's definition ${definition.id}` },
    warnings: [],
  };
}

// ---------------------------------------------------------------------------------------------
// The definition of a result
// ---------------------------------------------------------------------------------------------

/** What {@link provisionalDefinition} needs to know about an analysis. */
export interface DefinitionFacts {
  site: Site;
  /** True when the strength is the nonlinear pushover's. */
  nonlinear: boolean;
  elementSizeMm: number;
  modulusLaw: string;
  /** The load case as recorded in the result (its fields go into the id). */
  loadCase: { kind: string } & object;
}

/**
 * The strength definition of an analysis from the facts its result records, for results that do not
 * yet carry `result.strength.definition` (the pipeline's own definition takes precedence wherever it
 * exists: see {@link definitionOfResult}). Strains: the Schileo 2014 limits as coded
 * (lib/strength/criteria.ts); the linear criterion is the critical-volume one with the Pistoia 2%.
 */
export function provisionalDefinition(f: DefinitionFacts): StrengthDefinition {
  return strengthDefinition({
    site: f.site,
    criterion: f.nonlinear ? "nonlinear-peak" : "linear-critical-volume",
    loadCase: JSON.stringify(f.loadCase),
    boundary: f.site === "hip" ? "rigid head and trochanter caps, fixed distal layer (bct loading/hip)" : "rigid endplate caps (bct loading/spine)",
    modulusLaw: f.modulusLaw,
    strains: { ...SCHILEO_STRAIN_LIMITS, source: "Schileo 2014 (Bayraktar 2004 limits)" },
    ...(f.nonlinear ? {} : { criticalFraction: PISTOIA_CRITICAL_FRACTION }),
    elementSizeMm: f.elementSizeMm,
  });
}

/** A hip or spine result, as far as its definition goes. */
export interface ResultWithDefinition {
  site: Site;
  elementSizeMm: number;
  materials: { law: string };
  loadCase: { kind: string } & object;
  strength: { criterion: string; nonlinearN?: number; definition?: StrengthDefinition };
}

/**
 * The definition that produced a result's strength: `result.strength.definition` when the pipeline
 * recorded it, else {@link provisionalDefinition} of the result's recorded facts.
 */
export function definitionOfResult(r: ResultWithDefinition): StrengthDefinition {
  if (r.strength.definition) return r.strength.definition;
  const { directionLps: _d, ...loadCase } = r.loadCase as { kind: string; directionLps?: unknown };
  return provisionalDefinition({ site: r.site, nonlinear: r.strength.nonlinearN !== undefined, elementSizeMm: r.elementSizeMm, modulusLaw: r.materials.law, loadCase });
}

/** The published set's numbers as `{ site: { sex: { fragile, low } } }` (the former criteria.ts constant). */
export const BCT_STRENGTH_THRESHOLDS = {
  hip: { F: { fragile: KEAVENY_2020.sites.hip!.F.fragile, low: KEAVENY_2020.sites.hip!.F.low }, M: { fragile: KEAVENY_2020.sites.hip!.M.fragile, low: KEAVENY_2020.sites.hip!.M.low } },
  spine: { F: { fragile: KEAVENY_2020.sites.spine!.F.fragile, low: KEAVENY_2020.sites.spine!.F.low }, M: { fragile: KEAVENY_2020.sites.spine!.M.fragile, low: KEAVENY_2020.sites.spine!.M.low } },
} as const;
