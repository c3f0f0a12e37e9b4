/**
 * `bct cohort run <cohort.csv> --out DIR`: the hip pipeline on every subject of a cohort table, on a
 * pool of worker threads, with one progress line per event on stderr; resumable (finished subjects
 * are reused); writes `DIR/subjects/<id>.json`, `DIR/results.csv` and `DIR/results.json`. Exit code
 * 0 when every subject is ok, 3 when the run finished but some subjects failed (their errors are in
 * the results), 1 for a problem with the run itself (e.g. an invalid table), 2 for bad usage.
 *
 * `bct cohort submit | worker | status --queue redis://HOST:PORT`: the same runs distributed on a
 * BullMQ queue (lib/cohort/queue); see docs/cohorts.md.
 * @module
 */
import { hipStrengthOption } from "./analyze.js";
import { readFileSync } from "node:fs";
import type { PhantomDefinition } from "../calibration/phantom.js";
import { runCohort, type CohortProgress } from "../cohort/runner.js";
import { readCohortTable } from "../cohort/table.js";
import { cohortQueueStatus, DEFAULT_QUEUE_NAME, startQueueWorker, submitCohort, watchCohortQueue, type QueueWorkerHandle } from "../cohort/queue.js";
import type { SubjectOptions } from "../cohort/subject.js";
import { formatOptions, parseArgs, UsageError, type OptionSpec, type ParsedArgs } from "./args.js";
import type { CliIO, Command } from "./main.js";

const OPTIONS: Record<string, OptionSpec> = {
  out: { type: "string", description: "output folder (required): subjects/<id>.json, results.csv, results.json" },
  workers: { type: "number", description: "worker threads (default: one per core, at most one per subject; 0: in this thread)" },
  element: { type: "number", description: "element size in mm (default 1.5)" },
  criterion: { type: "string", description: "strength criterion: nonlinear-peak (default, as bct analyze), linear-critical-volume or linear-first-node" },
  "critical-fraction": { type: "number", description: "with --criterion linear-critical-volume: the critical bone-volume fraction (default 0.02)" },
  phantom: { type: "string", description: "calibration phantom certificate (JSON) for rows with calibration phantom (default: a synthetic subject's own phantom; for scans on disk, that of bct's synthetic scans)" },
  "water-displacement": { type: "number", description: "internal calibration: water displaced per unit K2HPO4 (default 0.2174; 0 for synthetic subjects)" },
  "no-retry-failed": { type: "flag", description: "keep the stored errors of subjects that failed in an earlier run instead of recomputing them" },
  json: { type: "flag", description: "print the run summary as JSON on stdout" },
};

/** The subject analysis options of the command line (--element, --phantom, --water-displacement), checked. */
function analysisOptions(options: ParsedArgs["options"]): SubjectOptions {
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
  const strength = options.criterion === undefined && options["critical-fraction"] === undefined ? undefined : hipStrengthOption(options);
  return { elementSize: element, phantom, waterDisplacement: options["water-displacement"] as number | undefined, ...(strength ? { strength } : {}) };
}

/** One progress line. */
function progressLine(io: CliIO) {
  return (e: CohortProgress) => {
    const head = `[${e.elapsedSeconds.toFixed(1).padStart(6)} s] ${String(e.done).padStart(String(e.total).length)}/${e.total}`;
    const eta = e.etaSeconds === null ? "" : `; ETA ${e.etaSeconds.toFixed(0)} s`;
    const r = e.result;
    if (e.kind === "warning") io.err(`warning: ${e.reason}`);
    else if (e.kind === "stale") io.err(`${head} ${e.id}: stored result not reused: ${e.reason}; recomputing`);
    else if (e.kind === "start") io.err(`${head} ${e.id}: started`);
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
    const table = readCohortTable(positionals[0]);
    io.err(`cohort ${table.source}: ${table.rows.length} subject(s)`);
    const summary = await runCohort(table, {
      outDir: out, workers, ...analysisOptions(options),
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
      nonlinear: false, workers: options.workers as number | undefined, supersampling: options.supersampling as number | undefined,
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

const QUEUE_OPTIONS: Record<string, OptionSpec> = {
  queue: { type: "string", description: "Redis URL of the queue (required), e.g. redis://127.0.0.1:6379" },
  name: { type: "string", description: `queue name (default ${DEFAULT_QUEUE_NAME}; status: the one submitted to)` },
};

const SUBMIT_OPTIONS: Record<string, OptionSpec> = {
  ...QUEUE_OPTIONS,
  out: { type: "string", description: "output folder on storage every worker sees (required): cohort.json, subjects/<id>.json, results.csv" },
  element: OPTIONS.element,
  phantom: OPTIONS.phantom,
  "water-displacement": OPTIONS["water-displacement"],
  "no-retry-failed": OPTIONS["no-retry-failed"],
  attempts: { type: "number", description: "attempts per job when it throws (default 3; a subject's own analysis error is its result, not retried)" },
  json: { type: "flag", description: "print the summary as JSON on stdout" },
};

/** The --queue option, checked. */
function queueOf(options: ParsedArgs["options"]): string {
  const q = options.queue as string | undefined;
  if (!q) throw new UsageError("--queue redis://HOST:PORT is required");
  return q;
}

export const cohortSubmitCommand: Command = {
  summary: "Enqueue every subject of a cohort table on a BullMQ queue in Redis (one job per subject; safe to repeat); run `bct cohort worker` on any machine to compute them.",
  usage: `bct cohort submit <cohort.csv> --queue redis://HOST:PORT --out DIR [options]\n${formatOptions(SUBMIT_OPTIONS)}`,
  async run(argv, io) {
    const { positionals, options } = parseArgs(argv, SUBMIT_OPTIONS);
    if (positionals.length !== 1) throw new UsageError("give one cohort table (.csv or .arrow)");
    const queue = queueOf(options);
    const out = options.out as string | undefined;
    if (!out) throw new UsageError("--out DIR is required");
    const attempts = options.attempts as number | undefined;
    if (attempts !== undefined && !(Number.isInteger(attempts) && attempts >= 1)) throw new UsageError(`--attempts must be a whole number >= 1, got ${attempts}`);
    const table = readCohortTable(positionals[0]);
    const s = await submitCohort(table, { queue, name: options.name as string | undefined, outDir: out, ...analysisOptions(options), retryFailed: !options["no-retry-failed"], attempts });
    for (const x of s.stale) io.err(`${x.id}: stored result not reused: ${x.reason}`);
    if (options.json) io.out(JSON.stringify(s));
    else io.out(`${s.total} subject(s) in ${table.source}: ${s.queued} queued on "${s.queueName}", ${s.alreadyQueued} already queued, ${s.alreadyDone} already done in ${s.outDir}`);
    return 0;
  },
};

const WORKER_OPTIONS: Record<string, OptionSpec> = {
  ...QUEUE_OPTIONS,
  concurrency: { type: "number", description: "subjects at once, each in its own child process (default 1; about one per 2 cores and 2 GB of memory at 1.5 mm)" },
  "lock-seconds": { type: "number", description: "job lock (s): a job whose worker died is given to another worker after this long (default 30)" },
  "stalled-check-seconds": { type: "number", description: "how often to look for jobs of dead workers (s, default 30)" },
  exit: { type: "flag", description: "exit when the queue has no waiting or running job (default: keep waiting for jobs until SIGINT/SIGTERM)" },
};

export const cohortWorkerCommand: Command = {
  summary: "Run cohort jobs from a BullMQ queue in Redis, each subject in a child process, until stopped (SIGINT/SIGTERM finish the running jobs first).",
  usage: `bct cohort worker --queue redis://HOST:PORT [options]\n${formatOptions(WORKER_OPTIONS)}`,
  async run(argv, io) {
    const { positionals, options } = parseArgs(argv, WORKER_OPTIONS);
    if (positionals.length) throw new UsageError("bct cohort worker takes no positional arguments");
    const queue = queueOf(options);
    const concurrency = (options.concurrency as number | undefined) ?? 1;
    if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw new UsageError(`--concurrency must be a whole number >= 1, got ${concurrency}`);
    for (const k of ["lock-seconds", "stalled-check-seconds"]) {
      const v = options[k] as number | undefined;
      if (v !== undefined && !(v >= 1)) throw new UsageError(`--${k} must be at least 1 s, got ${v}`);
    }
    const t0 = performance.now();
    const stamp = () => `[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s]`;
    const handle = startQueueWorker({
      queue, name: options.name as string | undefined, concurrency,
      lockSeconds: options["lock-seconds"] as number | undefined, stalledCheckSeconds: options["stalled-check-seconds"] as number | undefined,
      onEvent: (e) => {
        const o = e.outcome;
        if (e.kind === "start") io.err(`${stamp()} ${e.id}: started (pid ${process.pid})`);
        else if (e.kind === "done") io.err(`${stamp()} ${e.id}: ${o?.reused ? "reused" : "computed"}: ${o?.status === "ok" ? `${o.strengthN} N` : `error: ${o?.error}`}${o?.reason ? ` (stored result not reused: ${o.reason})` : ""}`);
        else if (e.kind === "error") io.err(`warning: queue: ${e.message}`);
        else io.err(`${stamp()} ${e.id}: ${e.kind}: ${e.message}`);
      },
    });
    io.err(`worker pid ${process.pid} on ${queue} queue "${options.name ?? DEFAULT_QUEUE_NAME}", ${concurrency} at a time`);
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((res) => (stop = res));
    process.once("SIGINT", () => stop());
    process.once("SIGTERM", () => stop());
    if (options.exit) void untilIdle(handle.worker).then(() => stop());
    await stopped;
    await handle.close();
    io.err(`${stamp()} worker stopped`);
    return 0;
  },
};

/** Resolves when the worker's queue has no waiting, delayed or running job (checked every second). */
async function untilIdle(worker: QueueWorkerHandle["worker"]): Promise<void> {
  const { Queue } = await import("bullmq");
  const q = new Queue(worker.name, { connection: worker.opts.connection });
  q.on("error", () => undefined); // the worker reports connection errors
  try {
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      const c = await q.getJobCounts("waiting", "active", "delayed", "prioritized");
      if (Object.values(c).every((n) => n === 0)) return;
    }
  } finally {
    await q.close();
  }
}

const STATUS_OPTIONS: Record<string, OptionSpec> = {
  ...QUEUE_OPTIONS,
  out: { type: "string", description: "the output folder given to bct cohort submit (required)" },
  wait: { type: "flag", description: "follow the queue's events with a progress line per subject until every subject is finished" },
  "timeout-seconds": { type: "number", description: "with --wait: give up after this long" },
  json: { type: "flag", description: "print the status as JSON on stdout" },
};

export const cohortStatusCommand: Command = {
  summary: "Counts and progress of a cohort submitted to a queue; once every subject is finished, writes results.csv and results.json. Exit 0 when complete and all ok, 3 when complete with failures, 4 when not finished.",
  usage: `bct cohort status --queue redis://HOST:PORT --out DIR [options]\n${formatOptions(STATUS_OPTIONS)}`,
  async run(argv, io) {
    const { positionals, options } = parseArgs(argv, STATUS_OPTIONS);
    if (positionals.length) throw new UsageError("bct cohort status takes no positional arguments");
    const queue = queueOf(options);
    const out = options.out as string | undefined;
    if (!out) throw new UsageError("--out DIR is required");
    const target = { queue, name: options.name as string | undefined, outDir: out };
    const s = options.wait
      ? await watchCohortQueue({
          ...target, timeoutSeconds: options["timeout-seconds"] as number | undefined,
          onProgress: (e) => {
            const head = `[${e.elapsedSeconds.toFixed(1).padStart(6)} s] ${e.done}/${e.total}`;
            if (e.kind === "start") io.err(`${head} ${e.id}: started`);
            else if (e.kind === "done") io.err(`${head} ${e.id}: ${e.outcome?.status === "ok" ? `${e.outcome.strengthN} N` : `error: ${e.outcome?.error}`}${e.outcome?.reused ? " (reused)" : ""}`);
            else if (e.kind === "failed") io.err(`${head} ${e.id}: job failed: ${e.outcome?.error}`);
          },
        })
      : await cohortQueueStatus({ ...target, write: true });
    if (options.json) io.out(JSON.stringify(s));
    else {
      io.out([
        `${s.total} subject(s) in ${s.outDir} (queue "${s.queueName}"): ${s.finished} finished (${s.ok} ok, ${s.failed} failed), ${s.active} running, ${s.waiting} waiting`,
        ...(s.missing.length ? [`no result and no job: ${s.missing.join(", ")} (submit again)`] : []),
        s.resultsCsv ? `wrote ${s.resultsCsv}` : "results.csv is written once every subject is finished",
      ].join("\n"));
    }
    return !s.complete ? 4 : s.failed > 0 ? 3 : 0;
  },
};
