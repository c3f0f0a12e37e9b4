/**
 * `bct cohort run <cohort.csv> --out DIR`: the hip pipeline on every subject of a cohort table, on a
 * pool of worker threads, with one progress line per event on stderr; resumable (finished subjects
 * are reused); writes `DIR/subjects/<id>.json`, `DIR/results.csv` and `DIR/results.json`. Exit code
 * 0 when every subject is ok, 3 when the run finished but some subjects failed (their errors are in
 * the results), 1 for a problem with the run itself (e.g. an invalid table), 2 for bad usage.
 * @module
 */
import { readFileSync } from "node:fs";
import type { PhantomDefinition } from "../calibration/phantom.js";
import { runCohort, type CohortProgress } from "../cohort/runner.js";
import { readCohortTable } from "../cohort/table.js";
import { formatOptions, parseArgs, UsageError, type OptionSpec } from "./args.js";
import type { CliIO, Command } from "./main.js";

const OPTIONS: Record<string, OptionSpec> = {
  out: { type: "string", description: "output folder (required): subjects/<id>.json, results.csv, results.json" },
  workers: { type: "number", description: "worker threads (default: one per core, at most one per subject; 0: in this thread)" },
  element: { type: "number", description: "element size in mm (default 1.5)" },
  phantom: { type: "string", description: "calibration phantom certificate (JSON) for rows with calibration phantom (default: a synthetic subject's own phantom; for scans on disk, that of bct's synthetic scans)" },
  "water-displacement": { type: "number", description: "internal calibration: water displaced per unit K2HPO4 (default 0.2174; 0 for synthetic subjects)" },
  "no-retry-failed": { type: "flag", description: "keep the stored errors of subjects that failed in an earlier run instead of recomputing them" },
  json: { type: "flag", description: "print the run summary as JSON on stdout" },
};

/** One progress line. */
function progressLine(io: CliIO) {
  return (e: CohortProgress) => {
    const head = `[${e.elapsedSeconds.toFixed(1).padStart(6)} s] ${String(e.done).padStart(String(e.total).length)}/${e.total}`;
    const eta = e.etaSeconds === null ? "" : `; ETA ${e.etaSeconds.toFixed(0)} s`;
    const r = e.result;
    if (e.kind === "start") io.err(`${head} ${e.id}: started`);
    else if (e.kind === "reused") io.err(`${head} ${e.id}: reused (${r?.status === "ok" ? `${r.strengthN} N` : `error: ${r?.status === "error" ? r.error : ""}`})`);
    else if (r?.status === "ok") io.err(`${head} ${e.id}: ${r.strengthN} N (${r.classification}) in ${r.seconds.toFixed(1)} s${eta}`);
    else if (r?.status === "error") io.err(`${head} ${e.id}: FAILED: ${r.errorName}: ${r.error}${eta}`);
  };
}

export const cohortRunCommand: Command = {
  summary: "Run the hip pipeline on every subject of a cohort table (CSV or Arrow) on a worker pool; resumable; writes one results table. Exit 3 when some subjects failed.",
  usage: `bct cohort run <cohort.csv> --out DIR [options]\n${formatOptions(OPTIONS)}`,
  async run(argv, io) {
    const { positionals, options } = parseArgs(argv, OPTIONS);
    if (positionals.length !== 1) throw new UsageError("give one cohort table (.csv or .arrow)");
    const out = options.out as string | undefined;
    if (!out) throw new UsageError("--out DIR is required");
    const workers = options.workers as number | undefined;
    if (workers !== undefined && !(Number.isInteger(workers) && workers >= 0)) throw new UsageError(`--workers must be a whole number >= 0, got ${workers}`);
    const element = options.element as number | undefined;
    if (element !== undefined && !(element >= 0.5 && element <= 5)) throw new UsageError(`--element must be between 0.5 and 5 mm, got ${element}`);
    const phantomFile = options.phantom as string | undefined;
    let phantom: PhantomDefinition | undefined;
    if (phantomFile) {
      try {
        phantom = JSON.parse(readFileSync(phantomFile, "utf8")) as PhantomDefinition;
      } catch (e) {
        throw new UsageError(`cannot read ${phantomFile} as JSON: ${(e as Error).message}`);
      }
    }
    const table = readCohortTable(positionals[0]);
    io.err(`cohort ${table.source}: ${table.rows.length} subject(s)`);
    const summary = await runCohort(table, {
      outDir: out, workers, elementSize: element, phantom, waterDisplacement: options["water-displacement"] as number | undefined,
      retryFailed: !options["no-retry-failed"],
      onProgress: progressLine(io),
    });
    if (options.json) io.out(JSON.stringify(summary));
    else {
      io.out(
        [
          `${summary.total} subject(s): ${summary.ok} ok, ${summary.failed} failed, ${summary.reused} reused from an earlier run, ${summary.computed} computed on ${summary.workers} worker(s) in ${summary.seconds.toFixed(1)} s`,
          `wrote ${summary.resultsCsv} and ${summary.resultsJson}`,
        ].join("\n"),
      );
    }
    return summary.failed > 0 ? 3 : 0;
  },
};

const THRESHOLDS_OPTIONS: Record<string, OptionSpec> = {
  out: { type: "string", description: "thresholds JSON to write (required)" },
  bootstrap: { type: "number", description: "bootstrap resamples per site and sex for the confidence intervals (default 2000; 0: none)" },
  seed: { type: "number", description: "bootstrap seed (default 1)" },
  name: { type: "string", description: "name of the set (default bct-reference)" },
  "min-per-group": { type: "number", description: "fewest subjects per site and sex (default 8)" },
  json: { type: "flag", description: "print the thresholds set as JSON on stdout" },
};

export const cohortThresholdsCommand: Command = {
  summary: "Derive strength thresholds from a reference table (strength regressed on FN T-score / trabecular vBMD per site and sex, bootstrap CIs) with the class agreement; refuses tables that mix strength definitions.",
  usage: `bct cohort thresholds <results.csv> [more results.csv] --out thresholds.json [options]\n${formatOptions(THRESHOLDS_OPTIONS)}`,
  async run(argv, io) {
    const { positionals, options } = parseArgs(argv, THRESHOLDS_OPTIONS);
    if (positionals.length < 1) throw new UsageError("give the reference table(s) (results.csv of `bct cohort reference`)");
    const out = options.out as string | undefined;
    if (!out) throw new UsageError("--out thresholds.json is required");
    const { deriveThresholds, mergeReferenceTables, readReferenceResults, thresholdsSummary } = await import("../cohort/thresholds.js");
    const set = deriveThresholds(mergeReferenceTables(positionals.map(readReferenceResults)), {
      bootstrap: options.bootstrap as number | undefined, seed: options.seed as number | undefined,
      name: options.name as string | undefined, minPerGroup: options["min-per-group"] as number | undefined,
    });
    const { mkdirSync, writeFileSync } = await import("node:fs");
    const { dirname } = await import("node:path");
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(set, null, 2) + "\n");
    if (options.json) io.out(JSON.stringify(set));
    else io.out([...thresholdsSummary(set), `wrote ${out}`].join("\n"));
    return 0;
  },
};

const REFERENCE_OPTIONS: Record<string, OptionSpec> = {
  out: { type: "string", description: "output folder (required): results.csv, definitions.json, population.json, README.md" },
  n: { type: "number", description: "subjects per site and sex (default 30)" },
  seed: { type: "number", description: "population seed (default 1)" },
  ages: { type: "string", description: "age range, e.g. 40-90 (default)" },
  sites: { type: "string", description: "hip,spine (default both)" },
  "hip-element": { type: "number", description: "hip element size in mm (default: analyzeHip's)" },
  "spine-element": { type: "number", description: "spine element size in mm (default: analyzeSpine's)" },
  nonlinear: { type: "flag", description: "hip: ask analyzeHip for the nonlinear pushover (bct analyze runs it by default; analyzeHip does not)" },
  supersampling: { type: "number", description: "subsamples per voxel edge of the exact density (default 3, the generator's; 2 is about 3x faster)" },
  workers: { type: "number", description: "worker threads (default 0: in this thread; the result does not depend on it)" },
};

export const cohortReferenceCommand: Command = {
  summary: "Generate the synthetic reference population (hip and spine, both sexes, ages; periosteal expansion) and analyse it: the table bct's thresholds are derived from.",
  usage: `bct cohort reference --out DIR [options]\n${formatOptions(REFERENCE_OPTIONS)}`,
  async run(argv, io) {
    const { positionals, options } = parseArgs(argv, REFERENCE_OPTIONS);
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}" (give the folder with --out)`);
    const out = options.out as string | undefined;
    if (!out) throw new UsageError("--out DIR is required");
    const ages = ((options.ages as string | undefined) ?? "40-90").split("-").map(Number);
    if (ages.length !== 2 || !ages.every(Number.isFinite)) throw new UsageError(`--ages must look like 40-90, got "${options.ages}"`);
    const sites = ((options.sites as string | undefined) ?? "hip,spine").split(",") as ("hip" | "spine")[];
    const { generateReferencePopulation } = await import("../cohort/reference-population.js");
    const s = await generateReferencePopulation({
      n: (options.n as number | undefined) ?? 30, seed: options.seed as number | undefined, ageRange: ages as [number, number], sites, outDir: out,
      elementSize: { hip: options["hip-element"] as number | undefined, spine: options["spine-element"] as number | undefined },
      nonlinear: !!options.nonlinear, workers: options.workers as number | undefined, supersampling: options.supersampling as number | undefined,
      onProgress: (m) => io.err(m),
    });
    io.out([
      `${s.subjects.length} subjects (${s.n} per site and sex) in ${s.seconds.toFixed(0)} s; per subject ${Object.entries(s.secondsPerSubject).map(([k, v]) => `${k} ${v} s`).join(", ")}`,
      `strength definitions: ${Object.keys(s.definitions).join(", ")}`,
      `wrote ${s.files.resultsCsv}, ${s.files.definitionsJson}, ${s.files.populationJson}, ${s.files.readme}`,
    ].join("\n"));
    return 0;
  },
};
