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
