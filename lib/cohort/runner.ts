/**
 * The cohort runner: every subject of a cohort table through the hip pipeline on a pool of worker
 * threads, resumable, with progress, into one results table.
 *
 * Output folder layout:
 * - `subjects/<id>.json`: each subject's {@link SubjectResult}, written atomically (temporary file +
 *   rename) as soon as the subject finishes, so an interrupted run loses at most the subjects in flight;
 * - `results.csv`: one row per subject in table order: the input columns as read, then
 *   {@link RESULT_COLUMNS} (empty cells where a value does not apply or the subject failed);
 * - `results.json`: the same rows as objects, with the run's summary and options.
 *
 * Every subject result records its provenance (lib/io/provenance: bct version and git commit, the
 * SHA-256 of its scan files, label map and phantom certificate, the options, the strength definition
 * and thresholds); the results table carries {@link PROVENANCE_COLUMNS}.
 *
 * Resuming: a subject whose stored result has status "ok" and whose provenance matches in everything
 * (same bct version and commit, same input digests, same options) is reused, not recomputed;
 * otherwise a "stale" progress event says why and it is recomputed (a scan replaced in place, an
 * upgrade of bct, another element size). A stored failure is recomputed by default (`retryFailed:
 * true`: the cause may have been fixed, e.g. a scan copied in); with `retryFailed: false` it is kept
 * as it is.
 *
 * No mixing, no loss: the run holds an exclusive lock on the output folder (lib/cohort/out-lock: a
 * second run on the same folder is refused; the lock of a killed run is taken over with a warning),
 * removes the temporary files an interrupted run left, and writes every file atomically.
 *
 * @example
 * ```ts
 * import { readCohortTable } from "bct/lib/cohort/table";
 * import { runCohort } from "bct/lib/cohort/runner";
 * const summary = await runCohort(readCohortTable("cohort.csv"), { outDir: "out", elementSize: 3, onProgress: (e) => console.log(e.kind, e.id, `${e.done}/${e.total}`) });
 * summary; // { total: 3, ok: 2, failed: 1, reused: 0, computed: 3, seconds: 9.1, ... }
 * ```
 * @module
 */
import { mkdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import * as aq from "arquero";
import { removeOrphanTemps, writeFileAtomic } from "../io/atomic-write.js";
import { provenanceMismatch, type Provenance } from "../io/provenance.js";
import { runTasks, type TaskOutcome } from "../parallel/tasks.js";
import { acquireOutLock } from "./out-lock.js";
import { provenanceCells, RESULT_COLUMNS, type PROVENANCE_COLUMNS, subjectInputs, subjectProvenance, type ResultCell, type SubjectInputs, type SubjectOptions, type SubjectResult, type SubjectTask } from "./subject.js";
import { CohortTableError, type CohortCell, type CohortTable } from "./table.js";

/** Options of {@link runCohort}. */
export interface CohortRunOptions extends SubjectOptions {
  /** Output folder (created). */
  outDir: string;
  /**
   * Worker threads. Default `os.availableParallelism()`, at most the number of subjects to compute.
   * Each worker holds one subject's CT and model (a few hundred MB at 1.5 mm): lower it when memory
   * is short. 0 runs the subjects one by one in the calling thread.
   */
  workers?: number;
  /** Progress events, in the order they happen. */
  onProgress?: (event: CohortProgress) => void;
  /** Recompute subjects whose stored result is an error (default true); false keeps those errors. */
  retryFailed?: boolean;
}

/** A progress event of a cohort run. */
export interface CohortProgress {
  /**
   * "reused": a stored result is kept; "stale": a stored result is not reused (see `reason`), the
   * subject is recomputed; "start": a subject is dispatched; "done" / "failed": it finished;
   * "warning": something about the run itself (`reason`: a stale lock taken over, orphan temp files removed).
   */
  kind: "reused" | "stale" | "start" | "done" | "failed" | "warning";
  id: string;
  /** Subjects finished so far (reused ones included) and in all. */
  done: number;
  total: number;
  /** Seconds since the run started. */
  elapsedSeconds: number;
  /** Estimated seconds left (from the throughput so far); null before the first computed subject ends. */
  etaSeconds: number | null;
  /** The subject's result ("reused", "done", "failed"). */
  result?: SubjectResult;
  /** "stale": why the stored result is not reused (e.g. "bct version 0.1.0 -> 0.2.0"); "warning": the warning. */
  reason?: string;
}

/** What a cohort run did. */
export interface CohortRunSummary {
  total: number;
  ok: number;
  failed: number;
  /** Stored results kept from an earlier run (ok, or failed with `retryFailed: false`). */
  reused: number;
  /** Subjects computed in this run. */
  computed: number;
  /** Wall-clock seconds of the run. */
  seconds: number;
  /** Worker threads used (0: in-process). */
  workers: number;
  outDir: string;
  resultsCsv: string;
  resultsJson: string;
}

/** One row of the results table. */
export type CohortResultRow = Record<string, CohortCell | ResultCell>;

/**
 * Run the hip pipeline on every subject of `table`; see the module documentation for the outputs and
 * for resuming. One subject's failure is recorded in its result and the others go on.
 * @throws CohortTableError when an input column has the name of a result column.
 * @throws TaskPoolError when worker threads are asked for but the compiled modules are missing.
 * @example
 * ```ts
 * const s = await runCohort(cohort, { outDir: "out", workers: 2, elementSize: 3 });
 * console.log(`${s.ok} ok, ${s.failed} failed, ${s.reused} reused`);
 * ```
 */
export async function runCohort(table: CohortTable, opts: CohortRunOptions): Promise<CohortRunSummary> {
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  checkResultColumns(table);
  const outDir = resolve(opts.outDir);
  const subjectsDir = join(outDir, "subjects");
  mkdirSync(subjectsDir, { recursive: true });
  const warn = (reason: string) => opts.onProgress?.({ kind: "warning", id: "", done: 0, total: table.rows.length, elapsedSeconds: elapsed(), etaSeconds: null, reason });
  const lock = acquireOutLock(outDir, { command: "bct cohort run", onWarning: warn });
  try {
    const orphans = [...removeOrphanTemps(outDir), ...removeOrphanTemps(subjectsDir)];
    if (orphans.length) warn(`removed ${orphans.length} temporary file(s) left by an interrupted run`);
    return await runLocked(table, opts, outDir, t0);
  } finally {
    lock.release();
  }
}

/** The options of a cohort's subjects, without the undefined ones. */
export function subjectOptionsOf(opts: SubjectOptions): SubjectOptions {
  const options: SubjectOptions = { elementSize: opts.elementSize, phantom: opts.phantom, waterDisplacement: opts.waterDisplacement, strength: opts.strength };
  for (const k of Object.keys(options) as (keyof SubjectOptions)[]) if (options[k] === undefined) delete options[k];
  return options;
}

/** @throws CohortTableError when an input column has the name of a result column. */
export function checkResultColumns(table: CohortTable): void {
  const clash = table.columns.filter((c) => RESULT_COLUMNS.includes(c));
  if (clash.length) throw new CohortTableError(`${table.source}: column(s) ${clash.join(", ")} have the name of a result column; rename them (results add ${RESULT_COLUMNS.join(", ")})`);
}

/** Whether a stored subject result may be reused, and why not. */
export interface ReuseDecision {
  reuse: boolean;
  /** Why it is not reused; undefined when reused or when nothing was stored. */
  reason?: string;
}

/**
 * Decide whether the stored result of subject `id` is reused: it must be this subject's, ok (or a
 * failure with `retryFailed: false`), and its provenance must match `expected` in everything
 * ({@link provenanceMismatch}: version, commit, input digests, options, definition, thresholds).
 * @example
 * ```ts
 * reuseDecision(readStoredSubject(file), "S1", subjectProvenance(inputs, options), true); // { reuse: false, reason: "bct commit 1a2b.. -> 3c4d.." }
 * ```
 */
export function reuseDecision(stored: SubjectResult | undefined, id: string, expected: Provenance, retryFailed: boolean): ReuseDecision {
  if (!stored) return { reuse: false };
  if (stored.id !== id) return { reuse: false, reason: `the stored result is for subject ${stored.id}` };
  const why = provenanceMismatch(stored.provenance, expected);
  if (why) return { reuse: false, reason: why };
  if (stored.status !== "ok" && retryFailed) return { reuse: false, reason: "it failed before; retried" };
  return { reuse: true };
}

async function runLocked(table: CohortTable, opts: CohortRunOptions, outDir: string, t0: number): Promise<CohortRunSummary> {
  const elapsed = () => (performance.now() - t0) / 1000;
  const subjectsDir = join(outDir, "subjects");
  const retryFailed = opts.retryFailed ?? true;
  const options = subjectOptionsOf(opts);
  const total = table.rows.length;
  const results: (SubjectResult | undefined)[] = new Array(total);
  const inputs = table.rows.map((row) => subjectInputs(row, table.baseDir, options));
  const file = (id: string) => join(subjectsDir, `${id}.json`);
  let done = 0, reused = 0, workers = 0;
  const todo: number[] = [];
  const startedAt = new Map<number, number>(); // subjects in flight: start time (s)
  const taskSeconds: { seconds: number; ok: boolean }[] = [];
  let queued = 0;
  /** Seconds left: subjects not started at the mean time of those done (ok ones when there are), in flight ones at what remains of it, over the workers. */
  const eta = (): number | null => {
    if (queued === 0 && startedAt.size === 0) return 0;
    const okTimes = taskSeconds.filter((t) => t.ok);
    const times = okTimes.length ? okTimes : taskSeconds;
    if (times.length === 0) return null;
    const mean = times.reduce((a, t) => a + t.seconds, 0) / times.length;
    let inFlight = 0;
    for (const t of startedAt.values()) inFlight += Math.max(0, mean - (elapsed() - t));
    return (queued * mean + inFlight) / Math.max(1, workers);
  };
  const emit = (kind: CohortProgress["kind"], i: number, result?: SubjectResult, reason?: string) => {
    const e: CohortProgress = { kind, id: table.rows[i].id, done, total, elapsedSeconds: elapsed(), etaSeconds: eta(), result };
    if (reason !== undefined) e.reason = reason;
    opts.onProgress?.(e);
  };
  for (let i = 0; i < total; i++) {
    const stored = readStoredSubject(file(table.rows[i].id));
    const d = stored ? reuseDecision(stored, table.rows[i].id, subjectProvenance(inputs[i], options), retryFailed) : { reuse: false };
    if (d.reuse) {
      results[i] = stored;
      done++;
      reused++;
      emit("reused", i, stored);
    } else {
      if (d.reason) emit("stale", i, undefined, d.reason);
      todo.push(i);
    }
  }

  workers = Math.min(Math.max(0, Math.floor(opts.workers ?? availableParallelism())), todo.length);
  queued = todo.length;
  const messages: SubjectTask[] = todo.map((i) => ({ row: table.rows[i], baseDir: table.baseDir, options }));
  await runTasks<SubjectTask, SubjectResult>(messages, {
    module: new URL("./subject.js", import.meta.url),
    exportName: "subjectTask",
    workers,
    onStart: (k) => {
      queued--;
      startedAt.set(todo[k], elapsed());
      emit("start", todo[k]);
    },
    onSettled: (k, outcome) => {
      const i = todo[k];
      const result = subjectOutcome(table.rows[i].id, outcome, inputs[i], options);
      writeFileAtomic(file(result.id), JSON.stringify(result, null, 1) + "\n");
      results[i] = result;
      done++;
      taskSeconds.push({ seconds: elapsed() - startedAt.get(i)!, ok: result.status === "ok" });
      startedAt.delete(i);
      emit(result.status === "ok" ? "done" : "failed", i, result);
    },
  });

  const ok = results.filter((r) => r!.status === "ok").length;
  const summary: CohortRunSummary = {
    total, ok, failed: total - ok, reused, computed: todo.length, seconds: Math.round(elapsed() * 100) / 100, workers, outDir,
    resultsCsv: join(outDir, "results.csv"), resultsJson: join(outDir, "results.json"),
  };
  writeCohortResults(table, results as SubjectResult[], outDir, { options: { ...options, workers, retryFailed }, summary });
  return summary;
}

/**
 * Write `DIR/results.csv` and `DIR/results.json` (atomically) from one result per row of `table`, in
 * table order: the input columns as read, then {@link RESULT_COLUMNS}. Used by the local runner and by
 * `bct cohort status` for a queued cohort, so both give the same table.
 */
export function writeCohortResults(table: CohortTable, results: SubjectResult[], outDir: string, meta: { options: Record<string, unknown>; summary: unknown }): { resultsCsv: string; resultsJson: string } {
  const columns = [...table.columns, ...RESULT_COLUMNS];
  const rows = table.rows.map((row, i) => resultRow(row.input, results[i]));
  const resultsCsv = join(outDir, "results.csv");
  const resultsJson = join(outDir, "results.json");
  writeFileAtomic(resultsCsv, aq.toCSV(aq.table(Object.fromEntries(columns.map((c) => [c, rows.map((r) => r[c] ?? null)]))), { columns }));
  writeFileAtomic(resultsJson, JSON.stringify({ source: table.source, options: meta.options, summary: meta.summary, columns, rows }, null, 1) + "\n");
  return { resultsCsv, resultsJson };
}

/** A subject's result row: its input cells, then the result columns (null where absent). */
function resultRow(input: Record<string, CohortCell>, r: SubjectResult): CohortResultRow {
  const out: CohortResultRow = { ...input };
  const values: Record<string, ResultCell | undefined> = { ...(r as unknown as Record<string, ResultCell | undefined>), ...provenanceCells(r.provenance) };
  for (const c of RESULT_COLUMNS) out[c] = values[c] ?? null;
  return out;
}

/** The subject result of a task outcome; a task error (a crashed worker) becomes a failed subject. */
function subjectOutcome(id: string, o: TaskOutcome<SubjectResult>, inputs: SubjectInputs, options: SubjectOptions): SubjectResult {
  if (o.ok) return o.value;
  const r: SubjectResult = { id, status: "error", error: o.error.message, errorName: o.error.name, seconds: Math.round(o.seconds * 100) / 100, inputs, provenance: subjectProvenance(inputs, options) };
  if (o.error.stack) r.stack = o.error.stack;
  return r;
}

/** A stored subject result, or undefined when absent or unreadable. */
export function readStoredSubject(path: string): SubjectResult | undefined {
  try {
    const r = JSON.parse(readFileSync(path, "utf8")) as SubjectResult;
    return r && typeof r === "object" && (r.status === "ok" || r.status === "error") ? r : undefined;
  } catch {
    return undefined; // absent or unreadable: recompute
  }
}
