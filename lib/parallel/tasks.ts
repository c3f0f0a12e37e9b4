/**
 * The task pool of bct: independent jobs (one cohort subject, one phantom variant, ...) run on a few
 * worker threads, each job a call of one named export of one ES module with a JSON-serialisable
 * message, returning a JSON-serialisable value. It complements {@link ./pool.ts}, the lock-step
 * shared-memory kernel pool of the solver, which is built for microsecond-scale kernels rather than
 * jobs of seconds to minutes.
 *
 * - Each worker imports the module once (by URL) and calls `module[exportName](message)` per task;
 *   the function may be async.
 * - An error thrown by a task comes back as data (`{ ok: false, error: { name, message, stack } }`),
 *   never as a rejection, so one bad job does not stop the others.
 * - A worker that dies (`process.exit`, an uncaught error in a callback, out of memory) fails the task
 *   it was running (`error.crashed: true`) and is replaced for the next task.
 * - `workers: 0` runs the tasks one by one in the calling thread (same module, same call, messages and
 *   values copied with `structuredClone`): for tests and debugging.
 * - Workers load compiled JavaScript: {@link resolveTaskModule} maps a module of the TypeScript
 *   sources (`lib/x.ts`, as seen when running under vitest) to its build (`dist/lib/x.js`).
 *
 * @example
 * ```ts
 * import { runTasks } from "bct/lib/parallel/tasks";
 * const out = await runTasks([1, 2, 3], { module: new URL("./square.js", import.meta.url), exportName: "square", workers: 2 });
 * out.map((o) => (o.ok ? o.value : o.error.message)); // [1, 4, 9]
 * ```
 * @module
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { relative, join, isAbsolute } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker, type ResourceLimits } from "node:worker_threads";
import { BctError } from "../errors.js";
import { findPackage } from "../package-root.js";

/** A task pool that cannot be set up or used: module not found or not built, pool closed. */
export class TaskPoolError extends BctError {
  override name = "TaskPoolError";
}

/** What failed inside a task, as plain data. */
export interface TaskErrorInfo {
  /** The error's class name (`ScanError`, `TypeError`, ... ; `WorkerExit` when the worker died). */
  name: string;
  message: string;
  stack?: string;
  /** True when the worker thread died while running the task (it has been replaced). */
  crashed: boolean;
}

/** The outcome of one task: its value, or its error as data; `seconds` from dispatch to settling. */
export type TaskOutcome<R> = { ok: true; value: R; seconds: number } | { ok: false; error: TaskErrorInfo; seconds: number };

/** Options of {@link createTaskPool} and {@link runTasks}. */
export interface TaskPoolOptions {
  /** The ES module to run: a `file:` URL or an absolute path (see {@link resolveTaskModule}). */
  module: string | URL;
  /** The name of the exported function `(message) => value | Promise<value>`. */
  exportName: string;
  /**
   * Worker threads. Default `os.availableParallelism()` ({@link runTasks}: at most the number of
   * tasks). 0 runs the tasks in the calling thread, one at a time.
   */
  workers?: number;
  /** V8 heap limits of each worker (a worker over them dies, and its task fails as crashed). */
  resourceLimits?: ResourceLimits;
}

/** A pool of task workers. */
export interface TaskPool<M, R> {
  /** Worker threads (0: in-process). */
  readonly workers: number;
  /** Queue a task; resolves when it is done or failed (never rejects). `onStart` is called when it is dispatched. */
  run(message: M, onStart?: () => void): Promise<TaskOutcome<R>>;
  /** Stop the workers; tasks not yet settled fail with a "pool closed" error. */
  close(): Promise<void>;
}

/**
 * The module a task pool should load for `url`. An existing file is used as is. A `.js` URL with no
 * file but a `.ts` beside it is a module of the TypeScript sources (code running under vitest): in
 * process it is used as the `.ts` (the running loader compiles it); for worker threads, which load
 * plain JavaScript, it is mapped to the package build (`<root>/dist/<same path>.js`).
 * @throws TaskPoolError when the module does not exist, or its build does not (run `npm run build`).
 * @example
 * ```ts
 * // inside lib/cohort/runner.ts run by vitest: .../lib/cohort/subject.js -> .../dist/lib/cohort/subject.js
 * resolveTaskModule(new URL("./subject.js", import.meta.url), { inProcess: false });
 * ```
 */
export function resolveTaskModule(url: string | URL, opts: { inProcess: boolean }): URL {
  const path = toPath(url);
  if (existsSync(path)) return pathToFileURL(path);
  const ts = path.replace(/\.(m?)js$/, ".$1ts");
  if (ts === path || !existsSync(ts)) throw new TaskPoolError(`task module not found: ${path}`);
  if (opts.inProcess) return pathToFileURL(ts);
  const root = findPackage(ts).root;
  const built = join(root, "dist", relative(root, ts)).replace(/\.(m?)ts$/, ".$1js");
  if (!existsSync(built)) {
    throw new TaskPoolError(`${ts} is TypeScript source and worker threads need its compiled module ${built}: run \`npm run build\` first (or use workers: 0)`);
  }
  return pathToFileURL(built);
}

function toPath(url: string | URL): string {
  if (url instanceof URL) return fileURLToPath(url);
  if (url.startsWith("file:")) return fileURLToPath(url);
  if (!isAbsolute(url)) throw new TaskPoolError(`task module must be a file: URL or an absolute path, got "${url}"`);
  return url;
}

/** The worker: import the module once, call the export per message, post the value or the error. */
const WORKER_SOURCE = `
import { parentPort, workerData } from "node:worker_threads";
let mod;
parentPort.on("message", async ({ id, message }) => {
  const t0 = performance.now();
  try {
    mod ??= import(workerData.url);
    const fn = (await mod)[workerData.exportName];
    if (typeof fn !== "function") throw new TypeError("module " + workerData.url + " has no exported function " + workerData.exportName);
    const value = await fn(message);
    parentPort.postMessage({ id, ok: true, value, seconds: (performance.now() - t0) / 1000 });
  } catch (e) {
    const error = e instanceof Error ? { name: e.name, message: e.message, stack: e.stack, crashed: false } : { name: "Error", message: String(e), crashed: false };
    parentPort.postMessage({ id, ok: false, error, seconds: (performance.now() - t0) / 1000 });
  }
});
`;
const WORKER_URL = new URL(`data:text/javascript,${encodeURIComponent(WORKER_SOURCE)}`);

interface Job<M, R> {
  id: number;
  message: M;
  onStart?: () => void;
  resolve(o: TaskOutcome<R>): void;
  started: number;
}

interface Slot<M, R> {
  worker: Worker;
  job?: Job<M, R>;
  lastError?: Error;
}

function errorInfo(e: unknown, crashed = false): TaskErrorInfo {
  return e instanceof Error ? { name: e.name, message: e.message, stack: e.stack, crashed } : { name: "Error", message: String(e), crashed };
}

/**
 * Start a task pool (workers are started on demand, up to `workers`).
 * @example
 * ```ts
 * const pool = createTaskPool<number, number>({ module: "/abs/square.mjs", exportName: "square", workers: 2 });
 * const [a, b] = await Promise.all([pool.run(3), pool.run(4)]); // { ok: true, value: 9, ... }, ...
 * await pool.close();
 * ```
 */
export function createTaskPool<M, R>(opts: TaskPoolOptions): TaskPool<M, R> {
  const size = Math.max(0, Math.floor(opts.workers ?? availableParallelism()));
  const url = resolveTaskModule(opts.module, { inProcess: size === 0 });
  if (size === 0) return inProcessPool<M, R>(url, opts.exportName);
  const queue: Job<M, R>[] = [];
  const slots = new Set<Slot<M, R>>();
  let nextId = 0;
  let closed = false;

  const settle = (slot: Slot<M, R>, outcome: TaskOutcome<R>) => {
    const job = slot.job;
    if (!job) return;
    slot.job = undefined;
    slot.worker.unref();
    job.resolve(outcome);
  };
  const spawn = (): Slot<M, R> => {
    const worker = new Worker(WORKER_URL, { workerData: { url: url.href, exportName: opts.exportName }, resourceLimits: opts.resourceLimits });
    const slot: Slot<M, R> = { worker };
    worker.on("message", (m: { id: number; ok: boolean; value?: R; error?: TaskErrorInfo; seconds: number }) => {
      if (!slot.job || slot.job.id !== m.id) return;
      const seconds = (performance.now() - slot.job.started) / 1000;
      settle(slot, m.ok ? { ok: true, value: m.value as R, seconds } : { ok: false, error: m.error!, seconds });
      setImmediate(dispatch); // after the settled task's callbacks, so "done" is reported before the next "started"
    });
    worker.on("error", (e) => {
      slot.lastError = e;
    });
    worker.on("exit", (code) => {
      slots.delete(slot);
      if (slot.job) {
        const why = slot.lastError ? `: ${slot.lastError.name}: ${slot.lastError.message}` : "";
        settle(slot, {
          ok: false,
          error: { name: "WorkerExit", message: `the worker thread died (exit code ${code})${why}`, stack: slot.lastError?.stack, crashed: true },
          seconds: (performance.now() - slot.job.started) / 1000,
        });
      }
      if (!closed) setImmediate(dispatch);
    });
    worker.unref();
    slots.add(slot);
    return slot;
  };
  const dispatch = () => {
    while (queue.length > 0 && !closed) {
      let slot = [...slots].find((s) => !s.job);
      if (!slot) {
        if (slots.size >= size) return;
        slot = spawn();
      }
      const job = queue.shift()!;
      slot.job = job;
      job.started = performance.now();
      slot.worker.ref();
      try {
        job.onStart?.();
        slot.worker.postMessage({ id: job.id, message: job.message });
      } catch (e) {
        // An uncloneable message (functions, class instances with private state): fail this task.
        settle(slot, { ok: false, error: errorInfo(e), seconds: 0 });
      }
    }
  };
  return {
    workers: size,
    run(message, onStart) {
      if (closed) return Promise.resolve({ ok: false, error: errorInfo(new TaskPoolError("the task pool is closed")), seconds: 0 });
      return new Promise((resolve) => {
        queue.push({ id: nextId++, message, onStart, resolve, started: 0 });
        dispatch();
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      const gone = new TaskPoolError("the task pool was closed before the task finished");
      for (const job of queue.splice(0)) job.resolve({ ok: false, error: errorInfo(gone), seconds: 0 });
      const all = [...slots];
      for (const s of all) if (s.job) settle(s, { ok: false, error: errorInfo(gone), seconds: (performance.now() - s.job.started) / 1000 });
      await Promise.all(all.map((s) => s.worker.terminate()));
    },
  };
}

/** The `workers: 0` pool: the same calls, one at a time, in this thread. */
function inProcessPool<M, R>(url: URL, exportName: string): TaskPool<M, R> {
  let mod: Promise<Record<string, unknown>> | undefined;
  let chain: Promise<unknown> = Promise.resolve();
  let closed = false;
  return {
    workers: 0,
    run(message, onStart) {
      const task = chain.then(async (): Promise<TaskOutcome<R>> => {
        if (closed) return { ok: false, error: errorInfo(new TaskPoolError("the task pool is closed")), seconds: 0 };
        onStart?.();
        const t0 = performance.now();
        try {
          mod ??= import(url.href) as Promise<Record<string, unknown>>;
          const fn = (await mod)[exportName];
          if (typeof fn !== "function") throw new TypeError(`module ${url.href} has no exported function ${exportName}`);
          const value = await (fn as (m: M) => R | Promise<R>)(structuredClone(message));
          return { ok: true, value: structuredClone(value), seconds: (performance.now() - t0) / 1000 };
        } catch (e) {
          return { ok: false, error: errorInfo(e), seconds: (performance.now() - t0) / 1000 };
        }
      });
      chain = task;
      return task;
    },
    async close() {
      closed = true;
    },
  };
}

/**
 * Run one task per message on a pool of `min(workers, messages.length)` workers and return the
 * outcomes in message order. `onStart(i)` and `onSettled(i, outcome)` report each task as it is
 * dispatched and as it ends (in completion order).
 * @example
 * ```ts
 * const out = await runTasks(["a.nii.gz", "b.nii.gz"], { module: "/abs/task.mjs", exportName: "analyze", onSettled: (i, o) => console.log(i, o.ok) });
 * ```
 */
export async function runTasks<M, R>(
  messages: readonly M[],
  opts: TaskPoolOptions & { onStart?: (index: number) => void; onSettled?: (index: number, outcome: TaskOutcome<R>) => void },
): Promise<TaskOutcome<R>[]> {
  if (messages.length === 0) return [];
  const workers = Math.min(Math.max(0, Math.floor(opts.workers ?? availableParallelism())), messages.length);
  const pool = createTaskPool<M, R>({ ...opts, workers });
  try {
    return await Promise.all(
      messages.map((m, i) =>
        pool.run(m, () => opts.onStart?.(i)).then((o) => {
          opts.onSettled?.(i, o);
          return o;
        }),
      ),
    );
  } finally {
    await pool.close();
  }
}
