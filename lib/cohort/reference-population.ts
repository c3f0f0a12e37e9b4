/**
 * The reference population of bct's strength thresholds: synthetic hip and spine subjects of both
 * sexes across ages, each analysed with the default `analyzeHip` / `analyzeSpine` on the generator's
 * exact density (the in-silico truth route, lib/cohort/in-silico.ts), with the BMD measure of its
 * site beside the strength: the table `bct cohort thresholds` derives thresholds from. Everything is
 * synthetic; nothing here is patient data.
 *
 * Per site and sex, `n` subjects; subject k of a group is a pure function of (seed, site, sex, k):
 *
 * - Hip: `drawSubject` of the in-silico cohort (age uniform on the age range, body size, bone
 *   factors = the age/sex mean of lib/synthetic/subject.ts with its between-subject scatter), plus
 *   periosteal expansion with age (`withPeriostealExpansion`, Riggs 2004 ✔). BMD measure: the
 *   femoral-neck T-score (unrounded) of `hipDxa` on the exact density (HA-equivalent at the generator's
 *   70 keV) and the truth femur mask, with bct's default reference (NHANES III white women).
 * - Spine: age uniform on the age range; trabecular vBMD and vertebral size from the age/sex model of
 *   lib/synthetic/spine-subject.ts (Riggs 2004 ✔) with log-normal between-subject scatter
 *   ({@link SPINE_SCATTER}). BMD measure: the centrum trabecular vBMD (mg/cm³ HA) of `spineDxa` on the
 *   exact density and the truth vertebra masks.
 * - Strength: `analyzeHip` / `analyzeSpine` with their defaults (element size and nonlinear options
 *   as given) on the exact density, phantom calibration (the fit is the identity, checked) and the
 *   truth label; each result's strength definition is recorded (`definitionOfResult`).
 *
 * Files: `results.csv` (id, site, sex, age, strengthN, bmd, bmdMeasure, definitionId, then the
 * factors, the element count and the seconds), `definitions.json` (id -> definition),
 * `population.json` (the options and models), `README.md` (how it was made, how to re-derive), and
 * `subjects/<id>.json` (each subject's task and result as it finishes: a run that is stopped and
 * started again with the same options reuses them).
 *
 * @example
 * ```ts
 * const s = await generateReferencePopulation({ n: 30, seed: 1, outDir: "ref", workers: 2 });
 * s.files.resultsCsv; // then: bct cohort thresholds ref/results.csv --out thresholds.json
 * ```
 * @module
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import * as aq from "arquero";
import { mineralConversion } from "../calibration/density.js";
import type { PhantomDefinition } from "../calibration/phantom.js";
import { hipDxa } from "../dxa/hip.js";
import { hipReferenceFor, tScore } from "../dxa/reference.js";
import { spineDxa } from "../dxa/spine.js";
import { BctError } from "../errors.js";
import { runTasks } from "../parallel/tasks.js";
import { analyzeHip } from "../pipeline/hip.js";
import { analyzeSpine } from "../pipeline/spine.js";
import type { Sex, Site } from "../strength/classify.js";
import type { StrengthDefinition } from "../strength/definition.js";
import { definitionOfResult } from "../strength/thresholds.js";
import { DEFAULT_EFFECTIVE_ENERGY_KEV, DEFAULT_SCANNER } from "../synthetic/ct-formation.js";
import { hash32, uniformAt } from "../synthetic/rng.js";
import { GENERATOR_VERSION } from "../synthetic/scan.js";
import { generateSpineScan } from "../synthetic/spine-scan.js";
import { meanSpineFactors, SPINE_AGE_MODEL, SPINE_FACTOR_BOUNDS, spineSubjectPhantom, type SpineSubjectFactors } from "../synthetic/spine-subject.js";
import { generateSubjectScan, PERIOSTEAL_EXPANSION, SUBJECT_AGE_MODEL, withPeriostealExpansion, type SubjectFactors, type SubjectSpec } from "../synthetic/subject.js";
import { createVolume, type Volume } from "../volume/volume.js";
import { drawSubject, FACTOR_SCATTER, subjectPhantomCertificate } from "./in-silico.js";

/** A bad option of the reference population, or a subject whose analysis went wrong. */
export class ReferencePopulationError extends BctError {
  override name = "ReferencePopulationError";
}

/**
 * Between-subject scatter of the spine factors: SD of the log factor (a modelling choice: 0.2 on the
 * trabecular density gives an SD of about 20-25 mg/cm³ at 100-120 mg/cm³, the spread of QCT vBMD within
 * an age band ◇; 0.04 on the size).
 */
export const SPINE_SCATTER = { trabecularDensity: 0.2, size: 0.04 } as const;

/** One analysed subject: a row of results.csv. */
export interface ReferenceSubjectResult {
  id: string;
  site: Site;
  sex: Sex;
  age: number;
  strengthN: number;
  /** Hip: femoral-neck T-score (unrounded, 3 decimals); spine: trabecular vBMD mg/cm³ HA (1 decimal). */
  bmd: number;
  bmdMeasure: "fn-t-score" | "trabecular-vbmd-ha";
  definitionId: string;
  definition: StrengthDefinition;
  /** Hip: femoral-neck aBMD (g/cm² HA); spine: null. */
  neckABMD: number | null;
  factors: Record<string, number>;
  elements: number;
  seconds: number;
  warnings: string[];
}

/** The message of {@link referenceSubjectTask}. */
export type ReferenceSubjectTask =
  | { site: "hip"; spec: SubjectSpec; elementSize?: number; nonlinear: boolean; supersampling: number }
  | { site: "spine"; id: string; sex: Sex; age: number; seed: number; factors: SpineSubjectFactors; elementSize?: number; supersampling: number };

const round = (x: number, d: number) => Number(x.toFixed(d));
const clamp = (x: number, [lo, hi]: readonly [number, number]) => Math.min(hi, Math.max(lo, x));

/** RNG streams of the spine subjects (the hip ones are the in-silico cohort's). */
const SPINE_STREAM = { age: 201, trabecularDensity: [202, 203], size: [204, 205], scanSeed: 206 } as const;

function normalAt(seed: number, [a, b]: readonly [number, number], k: number): number {
  return Math.sqrt(-2 * Math.log(uniformAt(seed, a, k))) * Math.cos(2 * Math.PI * uniformAt(seed, b, k));
}

function roundFactors(f: SubjectFactors): SubjectFactors {
  return { trabecularDensity: round(f.trabecularDensity, 4), corticalThickness: round(f.corticalThickness, 4), corticalDensity: round(f.corticalDensity, 4), size: round(f.size, 4) };
}

/** The id of subject k of a group: H-F-001, S-M-012, ... */
export function referenceSubjectId(site: Site, sex: Sex, k: number): string {
  return `${site === "hip" ? "H" : "S"}-${sex}-${String(k + 1).padStart(3, "0")}`;
}

/**
 * Draw subject k (0-based) of a site and sex (cheap: no CT, no FE). Hip: the in-silico cohort's
 * subject 2k (women) or 2k + 1 (men), with periosteal expansion; spine: module docs.
 */
export function drawReferenceSubject(seed: number, site: Site, sex: Sex, k: number, opts: { ageRange: [number, number]; elementSize?: number; nonlinear: boolean; supersampling?: number }): ReferenceSubjectTask {
  const supersampling = opts.supersampling ?? DEFAULT_SCANNER.supersampling;
  if (site === "hip") {
    const s = drawSubject(seed, 2 * k + (sex === "F" ? 0 : 1), { ageRange: opts.ageRange, femaleFraction: sex === "F" ? 1 : 0 });
    const spec: SubjectSpec = { ...s, id: referenceSubjectId(site, sex, k), factors: roundFactors(withPeriostealExpansion(s.factors!, sex, s.age)), note: `bct reference population, seed ${seed}, hip ${sex} subject ${k + 1}; synthetic (lib/cohort/reference-population.ts)` };
    return { site, spec, elementSize: opts.elementSize, nonlinear: opts.nonlinear, supersampling };
  }
  const j = 2 * k + (sex === "F" ? 0 : 1);
  const age = round(opts.ageRange[0] + (opts.ageRange[1] - opts.ageRange[0]) * uniformAt(seed, SPINE_STREAM.age, j), 1);
  const mean = meanSpineFactors(sex, age);
  const factors: SpineSubjectFactors = {
    trabecularDensity: round(clamp(mean.trabecularDensity * Math.exp(SPINE_SCATTER.trabecularDensity * normalAt(seed, SPINE_STREAM.trabecularDensity, j)), SPINE_FACTOR_BOUNDS.trabecularDensity), 4),
    size: round(clamp(mean.size * Math.exp(SPINE_SCATTER.size * normalAt(seed, SPINE_STREAM.size, j)), SPINE_FACTOR_BOUNDS.size), 4),
  };
  return { site, id: referenceSubjectId(site, sex, k), sex, age, seed: hash32(seed, SPINE_STREAM.scanSeed, j), factors, elementSize: opts.elementSize, supersampling };
}

/** The exact K2HPO4 density as HA-equivalent at the generator's beam (rods in ideal water), as the in-silico truth does. */
function toHydroxyapatite(density: Volume): Volume<Float32Array> {
  const k = mineralConversion("rhoK", "rhoHA", DEFAULT_EFFECTIVE_ENERGY_KEV, { waterDisplacement: { rhoK: 0 } }).factor;
  return createVolume({ dims: density.dims, spacing: density.spacing, origin: density.origin, direction: density.direction, data: Float32Array.from(density.data as ArrayLike<number>, (v) => k * v) });
}

function maskOf(labels: Volume, values: readonly number[]): Volume<Uint8Array> {
  return createVolume({ dims: labels.dims, spacing: labels.spacing, origin: labels.origin, direction: labels.direction, data: Uint8Array.from(labels.data as ArrayLike<number>, (v) => (values.includes(v) ? 1 : 0)) });
}

function checkIdentity(id: string, c: { slope: number; intercept: number }): void {
  if (Math.abs(c.slope - 1) > 1e-3 || Math.abs(c.intercept) > 0.5) {
    throw new ReferencePopulationError(`subject ${id}: the exact density did not calibrate to itself (slope ${c.slope}, intercept ${c.intercept})`);
  }
}

/** A certificate of a synthetic calibration phantom's rods. */
function certificate(c: { rodRadius: number; rodSpacing: number; rods: { name: string; density: number }[] }): PhantomDefinition {
  return { name: "bct synthetic 5-rod K2HPO4 phantom", measure: "rhoK", waterDisplacement: 0, rodDiameter: 2 * c.rodRadius, rodSpacing: c.rodSpacing, rods: c.rods.map((r) => ({ name: r.name, density: r.density })) };
}

function hipSubject(task: Extract<ReferenceSubjectTask, { site: "hip" }>): ReferenceSubjectResult {
  const t0 = performance.now();
  const { spec } = task;
  const scan = generateSubjectScan(spec, { scanner: { supersampling: task.supersampling } });
  const { result } = analyzeHip(scan.density, {
    sex: spec.sex, calibration: { kind: "phantom", phantom: subjectPhantomCertificate(spec) },
    labels: { map: scan.labels, label: 1 }, dxa: false,
    // only what is asked for: everything else is analyzeHip's default, whatever it is
    ...(task.elementSize !== undefined ? { elementSize: task.elementSize } : {}), ...(task.nonlinear ? { nonlinear: true } : {}),
  });
  checkIdentity(spec.id, result.calibration);
  const dxa = hipDxa(toHydroxyapatite(scan.density), maskOf(scan.labels, [1]), { sex: spec.sex, densityMeasure: "rhoHA" });
  const neck = dxa.artifacts.rois.neck.aBMD;
  const definition = definitionOfResult(result);
  return {
    id: spec.id, site: "hip", sex: spec.sex, age: spec.age, strengthN: result.strengthN,
    bmd: round(tScore(neck, hipReferenceFor(spec.sex).neck), 3), bmdMeasure: "fn-t-score", definitionId: definition.id, definition,
    neckABMD: round(neck, 4), factors: { ...spec.factors! } as unknown as Record<string, number>, elements: result.elements,
    seconds: round((performance.now() - t0) / 1000, 2), warnings: [...result.warnings, ...dxa.result.warnings.map((w) => `dxa: ${w}`)],
  };
}

function spineSubject(task: Extract<ReferenceSubjectTask, { site: "spine" }>): ReferenceSubjectResult {
  const t0 = performance.now();
  const phantom = spineSubjectPhantom(task.factors);
  const scan = generateSpineScan({ seed: task.seed, phantom, scanner: { supersampling: task.supersampling } });
  const vertebra = maskOf(scan.labels, [1, 2]);
  const { result } = analyzeSpine(scan.density, {
    sex: task.sex, calibration: { kind: "phantom", phantom: certificate(phantom.calibration) },
    ...(task.elementSize !== undefined ? { elementSize: task.elementSize } : {}),
    vertebra: { map: vertebra, label: 1, level: phantom.vertebra.level }, dxa: false,
  });
  checkIdentity(task.id, result.calibration);
  const dxa = spineDxa(scan.density, [{ level: phantom.vertebra.level, mask: vertebra, body: maskOf(scan.labels, [1]) }], {
    densityMeasure: "rhoK", effectiveEnergyKeV: DEFAULT_EFFECTIVE_ENERGY_KEV, waterDisplacement: { rhoK: 0 },
  });
  const vbmd = dxa.result.levels[0].trabecularVBMD_HA;
  if (vbmd === null) throw new ReferencePopulationError(`subject ${task.id}: no trabecular ROI could be placed in the vertebral body`);
  const definition = definitionOfResult(result);
  return {
    id: task.id, site: "spine", sex: task.sex, age: task.age, strengthN: result.strengthN, bmd: vbmd, bmdMeasure: "trabecular-vbmd-ha",
    definitionId: definition.id, definition, neckABMD: null, factors: { ...task.factors }, elements: result.elements,
    seconds: round((performance.now() - t0) / 1000, 2), warnings: [...result.warnings, ...dxa.result.warnings.map((w) => `dxa: ${w}`)],
  };
}

/**
 * Analyse one reference subject (module docs): a task-pool entry point (JSON in, JSON out).
 * @throws ReferencePopulationError when the exact density does not calibrate to itself or no vBMD ROI fits.
 */
export function referenceSubjectTask(task: ReferenceSubjectTask): ReferenceSubjectResult {
  return task.site === "hip" ? hipSubject(task) : spineSubject(task);
}

/** Options of {@link generateReferencePopulation}. */
export interface ReferencePopulationOptions {
  /** Subjects per site and sex (2-1000). */
  n: number;
  /** Seed, an integer in [0, 2^32). Default 1. */
  seed?: number;
  /** Ages, uniform. Default [40, 90]. */
  ageRange?: [number, number];
  /** Sites. Default both. */
  sites?: Site[];
  outDir: string;
  /** Element sizes (mm). Default: the pipeline's defaults (not passed). */
  elementSize?: { hip?: number; spine?: number };
  /** Hip: pass the legacy `nonlinear: true` flag to `analyzeHip`. Default false: analyzeHip's own default (the nonlinear peak, like `bct analyze`). */
  nonlinear?: boolean;
  /**
   * Subsamples per voxel edge of the generator's partial-volume density (lib/synthetic/ct-formation.ts).
   * Default the generator's (3); 2 is about three times faster for a slightly coarser exact density.
   */
  supersampling?: number;
  /** Worker threads (lib/parallel/tasks.ts; they load the build). Default 0: in this thread. */
  workers?: number;
  onProgress?: (message: string) => void;
}

/** The summary of a generated population. */
export interface ReferencePopulationSummary {
  outDir: string;
  files: { resultsCsv: string; definitionsJson: string; populationJson: string; readme: string };
  n: number;
  subjects: ReferenceSubjectResult[];
  definitions: Record<string, StrengthDefinition>;
  seconds: number;
  /** Mean seconds per subject (scan + FE + BMD), by site. */
  secondsPerSubject: Partial<Record<Site, number>>;
}

/** Columns of results.csv, in order. */
export const REFERENCE_CSV_COLUMNS = ["id", "site", "sex", "age", "strengthN", "bmd", "bmdMeasure", "definitionId", "neckABMD", "size", "trabecularDensity", "corticalThickness", "corticalDensity", "elements", "seconds"] as const;

function checkOptions(opts: ReferencePopulationOptions) {
  const n = opts.n;
  if (!Number.isInteger(n) || n < 2 || n > 1000) throw new ReferencePopulationError(`n (subjects per site and sex) must be an integer from 2 to 1000, got ${n}`);
  const seed = opts.seed ?? 1;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new ReferencePopulationError(`seed must be an integer from 0 to 4294967295, got ${seed}`);
  const ageRange = opts.ageRange ?? [40, 90];
  if (!(ageRange[0] >= 20 && ageRange[1] <= 100 && ageRange[0] < ageRange[1])) throw new ReferencePopulationError(`age range must be two ages from 20 to 100 in order, got [${ageRange.join(", ")}]`);
  const sites = opts.sites ?? ["hip", "spine"];
  if (!sites.length || sites.some((s) => s !== "hip" && s !== "spine")) throw new ReferencePopulationError(`sites must be hip and/or spine, got ${JSON.stringify(sites)}`);
  const el = { hip: opts.elementSize?.hip, spine: opts.elementSize?.spine };
  for (const [s, h] of Object.entries(el)) if (h !== undefined && !(h >= 0.5 && h <= 5)) throw new ReferencePopulationError(`${s} element size must be from 0.5 to 5 mm, got ${h}`);
  const supersampling = opts.supersampling ?? DEFAULT_SCANNER.supersampling;
  if (!Number.isInteger(supersampling) || supersampling < 1 || supersampling > 8) throw new ReferencePopulationError(`supersampling must be an integer from 1 to 8, got ${supersampling}`);
  return { n, seed, ageRange: ageRange as [number, number], sites, el, nonlinear: opts.nonlinear ?? false, supersampling, workers: Math.max(0, Math.floor(opts.workers ?? 0)) };
}

/**
 * Generate the reference population into `outDir` (module docs).
 * @throws ReferencePopulationError for a bad option or any subject that fails (all errors listed).
 */
export async function generateReferencePopulation(opts: ReferencePopulationOptions): Promise<ReferencePopulationSummary> {
  const t0 = performance.now();
  const o = checkOptions(opts);
  const tasks: ReferenceSubjectTask[] = [];
  for (const site of o.sites) for (const sex of ["F", "M"] as const) for (let k = 0; k < o.n; k++) {
    tasks.push(drawReferenceSubject(o.seed, site, sex, k, { ageRange: o.ageRange, elementSize: o.el[site], nonlinear: o.nonlinear, supersampling: o.supersampling }));
  }
  const idOf = (t: ReferenceSubjectTask) => (t.site === "hip" ? t.spec.id : t.id);
  // Checkpoints: subjects/<id>.json holds { task, result }; a later run with the same task reuses it.
  const outDir = resolve(opts.outDir);
  const subjectsDir = join(outDir, "subjects");
  mkdirSync(subjectsDir, { recursive: true });
  const stored = tasks.map((t) => reuse(join(subjectsDir, `${idOf(t)}.json`), t));
  const todo = tasks.map((_, k) => k).filter((k) => !stored[k]);
  let done = tasks.length - todo.length;
  if (done) opts.onProgress?.(`${done}/${tasks.length} subject(s) reused from ${subjectsDir}`);
  const outcomes = await runTasks<ReferenceSubjectTask, ReferenceSubjectResult>(todo.map((k) => tasks[k]), {
    module: new URL("./reference-population.js", import.meta.url),
    exportName: "referenceSubjectTask",
    workers: o.workers,
    onSettled: (j, r) => {
      done++;
      const task = tasks[todo[j]];
      if (r.ok) writeFileSync(join(subjectsDir, `${idOf(task)}.json`), JSON.stringify({ task, result: r.value }) + "\n");
      const el = ((performance.now() - t0) / 1000).toFixed(0);
      opts.onProgress?.(r.ok
        ? `[${el} s] ${done}/${tasks.length} ${r.value.id} (${r.value.age} y): ${r.value.strengthN} N, ${r.value.bmdMeasure === "fn-t-score" ? `FN T ${r.value.bmd.toFixed(2)}` : `vBMD ${r.value.bmd} mg/cm3 HA`}, ${r.value.elements} elements, ${r.value.seconds.toFixed(1)} s`
        : `[${el} s] ${done}/${tasks.length} ${idOf(task)}: FAILED: ${r.error.name}: ${r.error.message}`);
    },
  });
  const failed = outcomes.map((r, j) => (r.ok ? null : `${idOf(tasks[todo[j]])}: ${r.error.name}: ${r.error.message}`)).filter((x) => x);
  if (failed.length) throw new ReferencePopulationError(`${failed.length} reference subject(s) failed:\n${failed.join("\n")}`);
  const subjects = stored.slice();
  outcomes.forEach((r, j) => (subjects[todo[j]] = (r as { value: ReferenceSubjectResult }).value));
  return writePopulation(o, subjects as ReferenceSubjectResult[], (performance.now() - t0) / 1000, outDir);
}

/** The stored result of `task` in `file`, when the file holds that very task. */
function reuse(file: string, task: ReferenceSubjectTask): ReferenceSubjectResult | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const x = JSON.parse(readFileSync(file, "utf8")) as { task: unknown; result: ReferenceSubjectResult };
    return JSON.stringify(x.task) === JSON.stringify(task) ? x.result : undefined;
  } catch {
    return undefined;
  }
}

function writePopulation(o: ReturnType<typeof checkOptions>, subjects: ReferenceSubjectResult[], seconds: number, outDir: string): ReferencePopulationSummary {
  mkdirSync(outDir, { recursive: true });
  const definitions: Record<string, StrengthDefinition> = {};
  for (const s of subjects) definitions[s.definitionId] = s.definition;
  const rows = subjects.map((s) => ({ ...s, ...s.factors }));
  const cols = Object.fromEntries(REFERENCE_CSV_COLUMNS.map((c) => [c, rows.map((r) => (r as Record<string, unknown>)[c] ?? null)]));
  const files = { resultsCsv: join(outDir, "results.csv"), definitionsJson: join(outDir, "definitions.json"), populationJson: join(outDir, "population.json"), readme: join(outDir, "README.md") };
  writeFileSync(files.resultsCsv, aq.toCSV(aq.table(cols), { columns: [...REFERENCE_CSV_COLUMNS] }).replace(/\n*$/, "\n"));
  writeFileSync(files.definitionsJson, JSON.stringify(definitions, null, 2) + "\n");
  const secondsPerSubject: Partial<Record<Site, number>> = {};
  for (const site of o.sites) {
    const g = subjects.filter((s) => s.site === site);
    secondsPerSubject[site] = round(g.reduce((a, s) => a + s.seconds, 0) / g.length, 1);
  }
  const population = {
    generator: `bct reference population (lib/cohort/reference-population.ts), synthetic generator ${GENERATOR_VERSION}`,
    perSiteAndSex: o.n, seed: o.seed, ageRange: o.ageRange, sites: o.sites, elementSizeMm: { hip: o.el.hip ?? "pipeline default", spine: o.el.spine ?? "pipeline default" }, hipNonlinear: o.nonlinear, supersampling: o.supersampling,
    hipModel: { ageModel: SUBJECT_AGE_MODEL, scatter: FACTOR_SCATTER, periostealExpansion: PERIOSTEAL_EXPANSION },
    spineModel: { ageModel: SPINE_AGE_MODEL, scatter: SPINE_SCATTER },
    secondsPerSubject, command: reproduceCommand(o),
  };
  writeFileSync(files.populationJson, JSON.stringify(population, null, 2) + "\n");
  const summary: ReferencePopulationSummary = { outDir, files, n: o.n, subjects, definitions, seconds: round(seconds, 1), secondsPerSubject };
  writeFileSync(files.readme, populationReadme(summary, o));
  return summary;
}

function reproduceCommand(o: ReturnType<typeof checkOptions>): string {
  const el = (flag: string, h?: number) => (h === undefined ? "" : ` --${flag} ${h}`);
  return `bct cohort reference --out <dir> --n ${o.n} --seed ${o.seed} --ages ${o.ageRange.join("-")} --sites ${o.sites.join(",")}${el("hip-element", o.el.hip)}${el("spine-element", o.el.spine)} --supersampling ${o.supersampling}${o.nonlinear ? " --nonlinear" : ""}`;
}

function meanSd(xs: number[]): string {
  if (!xs.length) return "-";
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
  const d = Math.abs(m) < 10 ? 2 : 0;
  return `${m.toFixed(d)} ± ${sd.toFixed(d)}`;
}

function populationReadme(s: ReferencePopulationSummary, o: ReturnType<typeof checkOptions>): string {
  const groups = o.sites.flatMap((site) => (["F", "M"] as const).map((sex) => ({ site, sex, g: s.subjects.filter((x) => x.site === site && x.sex === sex) })));
  const table = groups.map(({ site, sex, g }) =>
    `| ${site} | ${sex} | ${g.length} | ${meanSd(g.map((x) => x.age))} | ${meanSd(g.map((x) => x.strengthN))} | ${meanSd(g.map((x) => x.bmd))} ${site === "hip" ? "(FN T)" : "(vBMD HA)"} | ${meanSd(g.map((x) => x.seconds))} |`).join("\n");
  return `# bct reference population (synthetic)

**Every subject here is synthetic** (lib/cohort/reference-population.ts, lib/synthetic). No patient data.
It is the population bct's strength thresholds are derived from (Keaveny 2020's method: the strength
expected at FN T = -2.5 / -1.0 for the hip and at trabecular vBMD 80 / 120 mg/cm³ HA for the spine,
per sex).

Regenerate (same options: identical numbers) and re-derive the thresholds:

\`\`\`sh
npm run build
node bin/bct.js ${reproduceCommand(o).replace(/^bct /, "")}
node bin/bct.js cohort thresholds <dir>/results.csv --out <dir>/thresholds.json
\`\`\`

## This population

${o.n} subjects per site and sex, seed ${o.seed}, ages uniform on [${o.ageRange.join(", ")}]; element size hip ${o.el.hip ?? "(analyzeHip's default)"} mm${o.nonlinear ? " (nonlinear pushover asked for)" : ""}, spine ${o.el.spine ?? "(analyzeSpine's default)"} mm (the definitions below say what was run);
exact density with ${o.supersampling} subsamples per voxel edge${o.supersampling === DEFAULT_SCANNER.supersampling ? " (the generator's default)" : ` (the generator's default is ${DEFAULT_SCANNER.supersampling})`}.
Strength definitions: ${Object.keys(s.definitions).map((id) => `\`${id}\``).join(", ")}.
Run time ${s.seconds.toFixed(0)} s; per subject (scan + FE + BMD, one thread): ${Object.entries(s.secondsPerSubject).map(([k, v]) => `${k} ${v} s`).join(", ")}.

| site | sex | n | age (y) | strength (N) | BMD | s per subject |
|---|---|---|---|---|---|---|
${table}

## Files

| file | content |
|---|---|
| \`results.csv\` | ${REFERENCE_CSV_COLUMNS.join(", ")} (bmd: hip femoral-neck T-score, spine trabecular vBMD mg/cm³ HA; factors of the phantom; seconds per subject) |
| \`definitions.json\` | the strength definition of each definitionId |
| \`population.json\` | options and population models |

## How it was made

- **Hip**: subjects of the in-silico generator (lib/cohort/in-silico.ts \`drawSubject\`: body size,
  bone factors from the age/sex model of lib/synthetic/subject.ts, onset of loss women ${SUBJECT_AGE_MODEL.F.onsetAge} y / men ${SUBJECT_AGE_MODEL.M.onsetAge} y,
  Keaveny et al. 2010 ✔, log-normal scatter), with **periosteal expansion**: bone cross-sectional
  area +${100 * PERIOSTEAL_EXPANSION.areaGainOverLife}% from ${PERIOSTEAL_EXPANSION.fromAge} to ${PERIOSTEAL_EXPANSION.toAge} y (Riggs et al. 2004 ✔), applied from the onset age: the outer
  size grows by the square root of the area ratio while the cortex keeps its thickness.
  BMD: femoral-neck aBMD of \`hipDxa\` on the exact density (HA-equivalent at 70 keV) and the truth
  femur mask, as a T-score against bct's default young-adult reference (NHANES III white women, ◇).
- **Spine**: the spine phantom (L3 between L2 and L4) with its vertebrae scaled in size and trabecular
  density (lib/synthetic/spine-subject.ts): mean trabecular vBMD ${SPINE_AGE_MODEL.peakVbmdHA} mg/cm³ HA at ${SPINE_AGE_MODEL.peakAge} y (◇), falling
  linearly by ${100 * SPINE_AGE_MODEL.lifetimeLoss.F}% (women) and ${100 * SPINE_AGE_MODEL.lifetimeLoss.M}% (men) to ${SPINE_AGE_MODEL.endAge} y (Riggs 2004 ✔); size women ${SPINE_AGE_MODEL.sizeAt20.F}, men ${SPINE_AGE_MODEL.sizeAt20.M}
  of the default at 20 (men's vertebral area 35-42% larger, Riggs 2004 ✔) with the same periosteal
  expansion; log-normal scatter SD ${SPINE_SCATTER.trabecularDensity} (density) and ${SPINE_SCATTER.size} (size) of the log factor (modelling choices).
  BMD: centrum trabecular vBMD of \`spineDxa\` on the exact density and the truth masks.
- **Strength**: \`analyzeHip\` / \`analyzeSpine\` with their defaults on the generator's exact density
  (phantom calibration, identity fit checked) and the truth label; the definition of each strength is
  recorded, and \`bct cohort thresholds\` refuses a table that mixes definitions at a site.

What it does not model: real anatomy beyond the analytic phantoms, scanner noise (the exact density
is used), fall direction or soft tissue. The hip phantom's FN aBMD is lower than NHANES III for its
age (see the table): the thresholds are tied to the BMD through this phantom family, which is what
makes them bct's own, not a clinical reference.
`;
}
