/**
 * Distributed cohort runs on BullMQ (a job queue on Redis): `submitCohort` enqueues one job per
 * subject, `startQueueWorker` runs jobs on any machine that sees the scan paths and the output
 * folder, `cohortQueueStatus` / `watchCohortQueue` count and follow them and, once every subject has
 * its result, write the same `results.csv` / `results.json` as the local runner (lib/cohort/runner).
 *
 * - Job id = subject id (BullMQ refuses integer-like ids and ids with ":": those get the prefix
 *   `subject-`), so submitting the same cohort twice does not duplicate work; a subject whose stored
 *   result already matches its provenance is not enqueued at all.
 * - Each job runs in a sandboxed processor (a child process, lib/cohort/queue-processor): the FE
 *   solve blocks its event loop for tens of seconds, longer than a job lock lasts, and a solve on the
 *   worker's own thread would let BullMQ declare the job stalled and restart it in a loop. The
 *   worker's own thread only renews locks.
 * - A worker that dies (SIGKILL, a lost machine) leaves its jobs active with a lock nobody renews;
 *   after `lockSeconds` another worker's stalled-job check moves them back to waiting and they are
 *   run again (at most `maxStalled` times). A job that throws (a crashed child) is retried
 *   `attempts` times with exponential backoff; when the last attempt fails the worker records the
 *   subject as failed (`errorName: "QueueJobFailed"`), so that the table is always complete.
 * - The processor writes `DIR/subjects/<id>.json` atomically and reuses a stored result whose
 *   provenance matches, so a job run twice (a stalled job that was in fact finishing) gives the same
 *   file once.
 *
 * Shared layout (all workers and the submitting machine see the same paths):
 * `DIR/cohort.json` (the submitted table and options), `DIR/subjects/<id>.json`, `DIR/results.csv`,
 * `DIR/results.json`; Redis holds only the queue state.
 *
 * @example
 * ```ts
 * import { submitCohort, startQueueWorker, watchCohortQueue } from "bct/lib/cohort/queue";
 * await submitCohort(table, { queue: "redis://127.0.0.1:6379", outDir: "out", elementSize: 3 });
 * const worker = startQueueWorker({ queue: "redis://127.0.0.1:6379", concurrency: 2 });
 * const status = await watchCohortQueue({ queue: "redis://127.0.0.1:6379", outDir: "out", onProgress: (e) => console.log(e.done, e.total) });
 * await worker.close();
 * ```
 * @module
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Queue, QueueEvents, Worker, type Job, type JobsOptions } from "bullmq";
import { BctError } from "../errors.js";
import { removeOrphanTemps, writeFileAtomic } from "../io/atomic-write.js";
import { canonicalJson } from "../io/provenance.js";
import { acquireOutLock } from "./out-lock.js";
import { checkResultColumns, readStoredSubject, reuseDecision, subjectOptionsOf, writeCohortResults } from "./runner.js";
import { failedSubject, subjectInputs, subjectProvenance, type SubjectOptions, type SubjectResult } from "./subject.js";
import type { CohortRow, CohortTable } from "./table.js";

/** A problem with the queue itself (bad URL, Redis unreachable, a conflicting job). */
export class CohortQueueError extends BctError {
  override name = "CohortQueueError";
}

/** The queue name used when none is given. One cohort per queue name at a time. */
export const DEFAULT_QUEUE_NAME = "bct-cohort";

/** Where the queue lives. */
export interface QueueTarget {
  /** Redis URL, `redis://[user:password@]host:port[/db]`. */
  queue: string;
  /** Queue name (default {@link DEFAULT_QUEUE_NAME}). */
  name?: string;
}

/** What one job carries: everything a worker on another machine needs. */
export interface CohortJobData {
  row: CohortRow;
  baseDir: string;
  options: SubjectOptions;
  /** Absolute output folder (shared storage). */
  outDir: string;
  retryFailed: boolean;
}

/** What a job returns (also in the queue's "completed" event). */
export interface CohortJobOutcome {
  id: string;
  status: SubjectResult["status"];
  reused: boolean;
  /** Why a stored result was not reused, when one existed. */
  reason?: string;
  strengthN?: number;
  error?: string;
  seconds: number;
}

/** ioredis connection options from a `redis://` URL (with `maxRetriesPerRequest: null`, as BullMQ workers need). */
export function redisConnection(url: string): { host: string; port: number; db?: number; username?: string; password?: string; maxRetriesPerRequest: null } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new CohortQueueError(`--queue must be a Redis URL like redis://127.0.0.1:6379, got "${url}"`);
  }
  if (u.protocol !== "redis:") throw new CohortQueueError(`--queue must be a redis:// URL, got "${url}"`);
  const port = u.port ? Number(u.port) : 6379;
  const db = u.pathname && u.pathname !== "/" ? Number(u.pathname.slice(1)) : undefined;
  if (db !== undefined && !Number.isInteger(db)) throw new CohortQueueError(`the Redis database in ${url} must be a number`);
  const c: ReturnType<typeof redisConnection> = { host: u.hostname || "127.0.0.1", port, maxRetriesPerRequest: null };
  if (db !== undefined) c.db = db;
  if (u.username) c.username = decodeURIComponent(u.username);
  if (u.password) c.password = decodeURIComponent(u.password);
  return c;
}

/** The BullMQ job id of a subject: its id, or `subject-<id>` where BullMQ refuses the id (integer-like, or with ":"). */
export function jobIdOf(subjectId: string): string {
  return `${parseInt(subjectId, 10)}` === subjectId || subjectId.includes(":") ? `subject-${subjectId}` : subjectId;
}

/** Options of {@link submitCohort}. */
export interface SubmitOptions extends QueueTarget, SubjectOptions {
  outDir: string;
  /** Recompute subjects whose stored result is an error (default true). */
  retryFailed?: boolean;
  /** Attempts per job when it throws (default 3), with exponential backoff from 2 s. */
  attempts?: number;
}

/** What {@link submitCohort} did. */
export interface SubmitSummary {
  total: number;
  /** Jobs added now. */
  queued: number;
  /** Subjects already waiting or running with the same data (left as they are). */
  alreadyQueued: number;
  /** Subjects whose stored result matches (not enqueued). */
  alreadyDone: number;
  /** Stored results not reused, with the reason. */
  stale: { id: string; reason: string }[];
  queueName: string;
  outDir: string;
}

/** The submitted cohort, stored as `DIR/cohort.json` for the status command and the results table. */
interface SubmittedCohort {
  format: "bct-cohort-queue";
  version: 1;
  queueName: string;
  table: CohortTable;
  options: SubjectOptions;
  retryFailed: boolean;
}

/**
 * Enqueue one job per subject of `table` whose stored result is missing or stale. Safe to repeat:
 * subjects queued or running with the same data are left alone; finished jobs are replaced.
 * @throws CohortQueueError when Redis cannot be reached, or a subject is running with other options.
 * @throws OutLockError when a local run holds the output folder.
 */
export async function submitCohort(table: CohortTable, opts: SubmitOptions): Promise<SubmitSummary> {
  checkResultColumns(table);
  const outDir = resolve(opts.outDir);
  const queueName = opts.name ?? DEFAULT_QUEUE_NAME;
  const options = subjectOptionsOf(opts);
  const retryFailed = opts.retryFailed ?? true;
  const ids = new Map<string, string>();
  for (const row of table.rows) {
    const j = jobIdOf(row.id);
    if (ids.has(j)) throw new CohortQueueError(`subjects ${ids.get(j)} and ${row.id} map to the same job id ${j}; rename one`);
    ids.set(j, row.id);
  }
  const queue = await openQueue(opts.queue, queueName);
  let lock: ReturnType<typeof acquireOutLock> | undefined;
  try {
    lock = acquireOutLock(outDir, { command: "bct cohort submit" });
    mkdirSync(join(outDir, "subjects"), { recursive: true });
    removeOrphanTemps(outDir);
    removeOrphanTemps(join(outDir, "subjects")); // only those of dead processes on this host, or over an hour old from other hosts
    const cohort: SubmittedCohort = { format: "bct-cohort-queue", version: 1, queueName, table, options, retryFailed };
    writeFileAtomic(join(outDir, "cohort.json"), JSON.stringify(cohort, null, 1) + "\n");
    const summary: SubmitSummary = { total: table.rows.length, queued: 0, alreadyQueued: 0, alreadyDone: 0, stale: [], queueName, outDir };
    const jobOpts: JobsOptions = { attempts: opts.attempts ?? 3, backoff: { type: "exponential", delay: 2000 }, removeOnComplete: false, removeOnFail: false };
    for (const row of table.rows) {
      const data: CohortJobData = { row, baseDir: table.baseDir, options, outDir, retryFailed };
      const stored = readStoredSubject(join(outDir, "subjects", `${row.id}.json`));
      const d = stored ? reuseDecision(stored, row.id, subjectProvenance(subjectInputs(row, table.baseDir, options), options), retryFailed) : { reuse: false };
      if (d.reason) summary.stale.push({ id: row.id, reason: d.reason });
      const jobId = jobIdOf(row.id);
      const job = await queue.getJob(jobId);
      if (d.reuse) {
        summary.alreadyDone++;
        continue;
      }
      if (job) {
        const state = await job.getState();
        const same = canonicalJson(job.data) === canonicalJson(data);
        if (["waiting", "active", "delayed", "prioritized", "waiting-children"].includes(state)) {
          if (same) {
            summary.alreadyQueued++;
            continue;
          }
          if (state === "active") throw new CohortQueueError(`subject ${row.id} is running in queue "${queueName}" with other options or another output folder; wait for it to finish, then submit again`);
        }
        await job.remove();
      }
      await queue.add("subject", data, { ...jobOpts, jobId });
      summary.queued++;
    }
    return summary;
  } finally {
    await queue.close();
    lock?.release();
  }
}

/**
 * A BullMQ queue on `url`, connected: connection errors are kept (not printed with their stacks) and
 * become one {@link CohortQueueError} when Redis cannot be reached within `seconds`.
 */
async function openQueue(url: string, name: string, seconds = 10): Promise<Queue> {
  // A short-lived client (submit, status) stops reconnecting after about 8 s, so that the process can exit.
  const retryStrategy = (times: number) => (times > 10 ? null : Math.min(times * 150, 1000));
  const queue = new Queue(name, { connection: { ...redisConnection(url), retryStrategy } });
  let last = "";
  queue.on("error", (e: Error) => (last = e.message));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("timeout")), seconds * 1000);
  });
  try {
    await Promise.race([queue.waitUntilReady(), timeout]);
    return queue;
  } catch (e) {
    const why = last || (e as Error).message;
    await Promise.race([queue.close().catch(() => undefined), new Promise((r) => setTimeout(r, 2000))]);
    void queue.disconnect().catch(() => undefined);
    throw new CohortQueueError(`cannot reach Redis at ${url}${why ? ` (${why})` : ""}; start redis-server or check --queue`);
  } finally {
    clearTimeout(timer);
  }
}

/** Options of {@link startQueueWorker}. */
export interface QueueWorkerOptions extends QueueTarget {
  /** Subjects run at once, each in its own child process (default 1). Each holds one CT and model. */
  concurrency?: number;
  /**
   * Job lock (s): a job whose worker stops renewing its lock for this long is declared stalled and
   * given to another worker. Default 30 s (BullMQ's); the worker's thread renews it every half of it
   * while the child process solves.
   */
  lockSeconds?: number;
  /** How often this worker checks for stalled jobs (s). Default 30 s. */
  stalledCheckSeconds?: number;
  /** A job stalled more than this many times fails (default 2). */
  maxStalled?: number;
  /** Worker events: a job started, finished, failed for good, stalled, or a connection error. */
  onEvent?: (e: QueueWorkerEvent) => void;
}

/** An event of a queue worker. */
export interface QueueWorkerEvent {
  kind: "start" | "done" | "failed" | "stalled" | "error";
  /** Subject id (absent for "error"). */
  id?: string;
  outcome?: CohortJobOutcome;
  message?: string;
}

/** A running worker. */
export interface QueueWorkerHandle {
  worker: Worker;
  /** Stop taking jobs, wait for those running, and disconnect. */
  close(): Promise<void>;
}

/**
 * Start a worker on the queue. Jobs run in child processes (lib/cohort/queue-processor); a job that
 * fails for good is recorded as a failed subject in its output folder.
 */
export function startQueueWorker(opts: QueueWorkerOptions): QueueWorkerHandle {
  const connection = redisConnection(opts.queue);
  const lockMs = Math.round((opts.lockSeconds ?? 30) * 1000);
  const processor = new URL("./queue-processor.js", import.meta.url);
  const worker = new Worker<CohortJobData, CohortJobOutcome>(opts.name ?? DEFAULT_QUEUE_NAME, processor, {
    connection, concurrency: opts.concurrency ?? 1, useWorkerThreads: false,
    lockDuration: lockMs, stalledInterval: Math.round((opts.stalledCheckSeconds ?? 30) * 1000), maxStalledCount: opts.maxStalled ?? 2,
  });
  const emit = (e: QueueWorkerEvent) => opts.onEvent?.(e);
  worker.on("active", (job) => emit({ kind: "start", id: job.data.row.id }));
  worker.on("completed", (job, outcome) => emit({ kind: "done", id: job.data.row.id, outcome }));
  worker.on("stalled", (jobId) => emit({ kind: "stalled", id: jobId, message: "stalled (its worker stopped renewing the lock); requeued" }));
  worker.on("error", (err) => emit({ kind: "error", message: err.message }));
  worker.on("failed", (job, err) => {
    if (!job) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1);
    emit({ kind: "failed", id: job.data.row.id, message: `${err.message}${final ? "" : ` (attempt ${job.attemptsMade}; retried)`}` });
    if (final) recordJobFailure(job, err);
  });
  return { worker, close: () => worker.close() };
}

/** A job that failed for good: its subject is recorded as failed (unless a result was written meanwhile). */
function recordJobFailure(job: Job<CohortJobData>, err: Error): void {
  const { row, baseDir, options, outDir } = job.data;
  const file = join(outDir, "subjects", `${row.id}.json`);
  if (readStoredSubject(file)) return;
  const e = new CohortQueueError(`the job failed ${job.attemptsMade} time(s) in the queue: ${err.message}`);
  e.name = "QueueJobFailed";
  const inputs = subjectInputs(row, baseDir, options);
  const r = failedSubject(row.id, e, 0, inputs);
  r.provenance = subjectProvenance(inputs, options);
  try {
    writeFileAtomic(file, JSON.stringify(r, null, 1) + "\n");
  } catch {
    // the output folder is gone: nothing to record into
  }
}

/** Counts and per-subject state of a queued cohort. */
export interface CohortQueueStatus {
  queueName: string;
  outDir: string;
  total: number;
  /** Subjects with a final result in the output folder (matching provenance, not queued or running). */
  finished: number;
  ok: number;
  failed: number;
  /** Jobs waiting (delayed ones included) and running. */
  waiting: number;
  active: number;
  /** Subjects neither finished nor in the queue: submit again. */
  missing: string[];
  /** True when every subject is finished (then `results.csv` can be written). */
  complete: boolean;
  /** BullMQ's own counts for the queue. */
  queueCounts: Record<string, number>;
  /** Written when complete and asked to. */
  resultsCsv?: string;
}

/** Read the cohort a `submitCohort` stored in `outDir`. */
function readSubmitted(outDir: string): SubmittedCohort {
  const file = join(outDir, "cohort.json");
  try {
    const c = JSON.parse(readFileSync(file, "utf8")) as SubmittedCohort;
    if (c.format !== "bct-cohort-queue") throw new Error("not a bct cohort queue file");
    return c;
  } catch (e) {
    throw new CohortQueueError(`${file}: no submitted cohort here (${(e as Error).message}); run bct cohort submit first`);
  }
}

/**
 * The state of the cohort submitted into `outDir`; with `write: true` and every subject finished,
 * writes `results.csv` and `results.json` (under the folder's lock).
 */
export async function cohortQueueStatus(opts: QueueTarget & { outDir: string; write?: boolean }): Promise<CohortQueueStatus> {
  const outDir = resolve(opts.outDir);
  const cohort = readSubmitted(outDir);
  const queueName = opts.name ?? cohort.queueName;
  const queue = await openQueue(opts.queue, queueName);
  try {
    const queueCounts = await queue.getJobCounts();
    const results: (SubjectResult | undefined)[] = [];
    const s: CohortQueueStatus = { queueName, outDir, total: cohort.table.rows.length, finished: 0, ok: 0, failed: 0, waiting: 0, active: 0, missing: [], complete: false, queueCounts };
    for (const row of cohort.table.rows) {
      const job = await queue.getJob(jobIdOf(row.id));
      const state = job ? await job.getState() : "absent";
      if (state === "active") s.active++;
      else if (["waiting", "delayed", "prioritized", "waiting-children"].includes(state)) s.waiting++;
      const stored = readStoredSubject(join(outDir, "subjects", `${row.id}.json`));
      const expected = subjectProvenance(subjectInputs(row, cohort.table.baseDir, cohort.options), cohort.options);
      const final = stored && reuseDecision(stored, row.id, expected, false).reuse && (state === "completed" || state === "failed" || state === "absent");
      results.push(final ? stored : undefined);
      if (final) {
        s.finished++;
        if (stored.status === "ok") s.ok++;
        else s.failed++;
      } else if (state === "absent" || state === "completed" || state === "failed") s.missing.push(row.id);
    }
    s.complete = s.finished === s.total;
    if (s.complete && opts.write) {
      const lock = acquireOutLock(outDir, { command: "bct cohort status" });
      try {
        const summary = { total: s.total, ok: s.ok, failed: s.failed, queueName, outDir };
        s.resultsCsv = writeCohortResults(cohort.table, results as SubjectResult[], outDir, { options: { ...cohort.options, retryFailed: cohort.retryFailed, queue: queueName }, summary }).resultsCsv;
      } finally {
        lock.release();
      }
    }
    return s;
  } finally {
    await queue.close();
  }
}

/** A progress event while watching a queued cohort. */
export interface QueueProgress {
  /** "start" / "done" / "failed": a job's event (with its subject id); "status": counts re-read. */
  kind: "start" | "done" | "failed" | "status";
  id?: string;
  outcome?: CohortJobOutcome;
  /** Subjects finished and in all. */
  done: number;
  total: number;
  elapsedSeconds: number;
}

/**
 * Follow a queued cohort from the queue's events until every subject is finished, then write the
 * results table; resolves with the final status.
 * @param opts.timeoutSeconds give up after this long (default: wait as long as it takes)
 * @throws CohortQueueError on timeout.
 */
export async function watchCohortQueue(opts: QueueTarget & { outDir: string; onProgress?: (e: QueueProgress) => void; pollSeconds?: number; timeoutSeconds?: number }): Promise<CohortQueueStatus> {
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  const cohort = readSubmitted(resolve(opts.outDir));
  const target = { ...opts, name: opts.name ?? cohort.queueName };
  let status = await cohortQueueStatus(target);
  const events = new QueueEvents(target.name, { connection: redisConnection(opts.queue) });
  events.on("error", () => undefined); // connection trouble shows in the status calls' own errors
  const total = status.total;
  const emit = (e: Omit<QueueProgress, "done" | "total" | "elapsedSeconds">) => opts.onProgress?.({ ...e, done: status.finished, total, elapsedSeconds: elapsed() });
  let wake: () => void = () => undefined;
  const idOf = (jobId: string) => cohort.table.rows.find((r) => jobIdOf(r.id) === jobId)?.id;
  events.on("active", ({ jobId }) => {
    const id = idOf(jobId);
    if (id) emit({ kind: "start", id });
  });
  events.on("completed", ({ jobId, returnvalue }) => {
    const id = idOf(jobId);
    if (id) wake();
    if (id) pending.push({ kind: "done", id, outcome: (typeof returnvalue === "string" ? JSON.parse(returnvalue) : returnvalue) as CohortJobOutcome });
  });
  events.on("failed", ({ jobId, failedReason }) => {
    const id = idOf(jobId);
    if (id) pending.push({ kind: "failed", id, outcome: { id, status: "error", reused: false, error: failedReason, seconds: 0 } });
    wake();
  });
  const pending: Omit<QueueProgress, "done" | "total" | "elapsedSeconds">[] = [];
  try {
    await events.waitUntilReady();
    emit({ kind: "status" });
    while (!status.complete) {
      if (status.missing.length && status.active === 0 && status.waiting === 0) throw new CohortQueueError(`subject(s) ${status.missing.join(", ")} have no result in ${status.outDir} and no job in queue "${target.name}"; run bct cohort submit again`);
      if (opts.timeoutSeconds !== undefined && elapsed() > opts.timeoutSeconds) throw new CohortQueueError(`the cohort in ${status.outDir} is not finished after ${opts.timeoutSeconds} s: ${status.finished}/${total} finished, ${status.active} running, ${status.waiting} waiting${status.missing.length ? `, not queued: ${status.missing.join(", ")}` : ""}`);
      await new Promise<void>((res) => {
        const timer = setTimeout(res, (opts.pollSeconds ?? 2) * 1000);
        wake = () => {
          clearTimeout(timer);
          res();
        };
      });
      status = await cohortQueueStatus(target);
      for (const e of pending.splice(0)) emit(e);
      emit({ kind: "status" });
    }
    return await cohortQueueStatus({ ...target, write: true });
  } finally {
    await events.close();
  }
}
