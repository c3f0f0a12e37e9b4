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
 * Resuming: a subject whose stored result has status "ok" and was computed from the same inputs
 * (scan path, sex, calibration and certificate, labels, element size, height and weight: its
 * `inputs`) is reused, not recomputed. A stored failure is recomputed by default (`retryFailed:
 * true`: the cause may have been fixed, e.g. a scan copied in); with `retryFailed: false` it is kept
 * as it is. Changing an option that a result depends on recomputes every subject it affects. A scan
 * file edited in place is not detected: delete the subject's JSON to recompute it.
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
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { threadId } from "node:worker_threads";
import * as aq from "arquero";
import { runTasks, type TaskOutcome } from "../parallel/tasks.js";
import { RESULT_COLUMNS, subjectInputs, type ResultCell, type SubjectInputs, type SubjectOptions, type SubjectResult, type SubjectTask } from "./subject.js";
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
  /** "reused": a stored result is kept; "start": a subject is dispatched; "done" / "failed": it finished. */
  kind: "reused" | "start" | "done" | "failed";
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
  const clash = table.columns.filter((c) => RESULT_COLUMNS.includes(c));
  if (clash.length) throw new CohortTableError(`${table.source}: column(s) ${clash.join(", ")} have the name of a result column; rename them (results add ${RESULT_COLUMNS.join(", ")})`);
  const outDir = resolve(opts.outDir);
  const subjectsDir = join(outDir, "subjects");
  mkdirSync(subjectsDir, { recursive: true });
  const retryFailed = opts.retryFailed ?? true;
  const options: SubjectOptions = { elementSize: opts.elementSize, phantom: opts.phantom, waterDisplacement: opts.waterDisplacement };
  for (const k of Object.keys(options) as (keyof SubjectOptions)[]) if (options[k] === undefined) delete options[k];

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
  const emit = (kind: CohortProgress["kind"], i: number, result?: SubjectResult) => {
    opts.onProgress?.({ kind, id: table.rows[i].id, done, total, elapsedSeconds: elapsed(), etaSeconds: eta(), result });
  };
  const stored: (SubjectResult | undefined)[] = table.rows.map((row, i) => {
    const r = readStored(file(row.id));
    const keep = r && r.id === row.id && sameInputs(r.inputs, inputs[i]) && (r.status === "ok" || !retryFailed);
    return keep ? r : undefined;
  });
  table.rows.forEach((_, i) => (stored[i] ? undefined : todo.push(i)));
  for (let i = 0; i < total; i++) {
    if (!stored[i]) continue;
    results[i] = stored[i];
    done++;
    reused++;
    emit("reused", i, stored[i]);
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
      const result = subjectOutcome(table.rows[i].id, outcome, inputs[i]);
      writeAtomic(file(result.id), JSON.stringify(result, null, 1) + "\n");
      results[i] = result;
      done++;
      taskSeconds.push({ seconds: elapsed() - startedAt.get(i)!, ok: result.status === "ok" });
      startedAt.delete(i);
      emit(result.status === "ok" ? "done" : "failed", i, result);
    },
  });

  const columns = [...table.columns, ...RESULT_COLUMNS];
  const rows = table.rows.map((row, i) => resultRow(row.input, results[i]!));
  const resultsCsv = join(outDir, "results.csv");
  const resultsJson = join(outDir, "results.json");
  const ok = results.filter((r) => r!.status === "ok").length;
  const summary: CohortRunSummary = {
    total, ok, failed: total - ok, reused, computed: todo.length, seconds: Math.round(elapsed() * 100) / 100, workers, outDir, resultsCsv, resultsJson,
  };
  writeAtomic(resultsCsv, aq.toCSV(aq.table(Object.fromEntries(columns.map((c) => [c, rows.map((r) => r[c] ?? null)]))), { columns }));
  writeAtomic(resultsJson, JSON.stringify({ source: table.source, options: { ...options, workers, retryFailed }, summary, columns, rows }, null, 1) + "\n");
  return summary;
}

/** A subject's result row: its input cells, then the result columns (null where absent). */
function resultRow(input: Record<string, CohortCell>, r: SubjectResult): CohortResultRow {
  const out: CohortResultRow = { ...input };
  const values = r as unknown as Record<string, ResultCell | undefined>;
  for (const c of RESULT_COLUMNS) out[c] = values[c] ?? null;
  return out;
}

/** The subject result of a task outcome; a task error (a crashed worker) becomes a failed subject. */
function subjectOutcome(id: string, o: TaskOutcome<SubjectResult>, inputs: SubjectInputs): SubjectResult {
  if (o.ok) return o.value;
  const r: SubjectResult = { id, status: "error", error: o.error.message, errorName: o.error.name, seconds: Math.round(o.seconds * 100) / 100, inputs };
  if (o.error.stack) r.stack = o.error.stack;
  return r;
}

function readStored(path: string): SubjectResult | undefined {
  try {
    const r = JSON.parse(readFileSync(path, "utf8")) as SubjectResult;
    return r && typeof r === "object" && (r.status === "ok" || r.status === "error") ? r : undefined;
  } catch {
    return undefined; // absent or unreadable: recompute
  }
}

/** Deep equality of two JSON values, whatever their key order. */
function sameInputs(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

/** Write a file so that readers see the old content or the new, never a part. */
function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}-${threadId}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
