/**
 * The one worker pool of bct: a few worker threads that run named kernels over shared memory
 * (SharedArrayBuffer), in lock step with the main thread, which takes part as rank 0.
 *
 * - Kernels are plain self-contained functions `(ctx, table, args) => void`. They are sent to the
 *   workers as source text, so they must not use imports or outer variables: everything they need
 *   comes from `table` (shared typed arrays registered with {@link Pool.share}), `args` (numbers)
 *   and `ctx.helpers` (other self-contained functions given to {@link createPool}).
 * - {@link Pool.run} is synchronous: it wakes the workers through Atomics, runs rank 0's share on
 *   the calling thread and waits for the others. Inside a kernel, `ctx.barrier()` synchronises all
 *   ranks (e.g. between the two colours of an element sweep).
 * - Dispatch costs a few microseconds, so small tasks are better run serially by the caller.
 * @module
 */
import { MessageChannel, Worker, type MessagePort } from "node:worker_threads";

/** What a kernel sees besides its data. */
export interface KernelContext {
  rank: number;
  size: number;
  barrier(): void;
  /** The self-contained helper functions given to {@link createPool}, by name. */
  helpers: Record<string, (...args: never[]) => unknown>;
}

/** A kernel: self-contained (its source is evaluated inside each worker). */
export type Kernel = (ctx: KernelContext, table: Record<string, unknown>, args: Float64Array) => void;

export interface Pool {
  /** Participants, the calling thread included. */
  readonly size: number;
  /** Make shared arrays (or small plain values) available to the kernels under their keys. */
  share(entries: Record<string, unknown>): void;
  /** Run a kernel on every rank with up to 32 numeric arguments; returns when all are done. */
  run(kernel: string, args?: ArrayLike<number>): void;
  /** Stop the workers. */
  close(): void;
}

const GEN = 0, TASK = 1, DONE = 2, BAR_COUNT = 3, BAR_GEN = 4, ERR = 5;
/** Busy-wait this many polls (about a millisecond) before sleeping: wake-ups from Atomics.wait cost tens of microseconds. */
const SPIN = 200000;

function makeContext(c: Int32Array, rank: number, size: number, helpers: KernelContext["helpers"]): KernelContext {
  return {
    rank,
    size,
    helpers,
    barrier() {
      const g = Atomics.load(c, BAR_GEN);
      if (Atomics.add(c, BAR_COUNT, 1) + 1 === size) {
        Atomics.store(c, BAR_COUNT, 0);
        Atomics.add(c, BAR_GEN, 1);
        Atomics.notify(c, BAR_GEN);
        return;
      }
      for (let spin = 0; spin < SPIN; spin++) if (Atomics.load(c, BAR_GEN) !== g) return;
      while (Atomics.load(c, BAR_GEN) === g) {
        if (Atomics.load(c, ERR)) throw new Error("a worker thread failed (see its message above)");
        Atomics.wait(c, BAR_GEN, g, 200);
      }
    },
  };
}

const WORKER_SOURCE = (kernelSources: string, names: string[], helperSources: string) => `
const { workerData, receiveMessageOnPort } = require("node:worker_threads");
const __name = (f) => f;
const GEN = ${GEN}, TASK = ${TASK}, DONE = ${DONE}, BAR_COUNT = ${BAR_COUNT}, BAR_GEN = ${BAR_GEN}, ERR = ${ERR}, SPIN = ${SPIN};
const kernels = [${kernelSources}];
const names = ${JSON.stringify(names)};
const { ctrl, port, rank, size } = workerData;
const c = new Int32Array(ctrl, 0, 16), args = new Float64Array(ctrl, 64, 32);
const table = {};
const helpers = { ${helperSources} };
const ctx = (${makeContext.toString()})(c, rank, size, helpers);
let gen = 0;
for (;;) {
  for (let spin = 0; spin < ${SPIN} && Atomics.load(c, ${GEN}) === gen; spin++);
  while (Atomics.load(c, ${GEN}) === gen) Atomics.wait(c, ${GEN}, gen, 1000);
  gen = Atomics.load(c, ${GEN});
  let m;
  while ((m = receiveMessageOnPort(port))) Object.assign(table, m.message);
  const task = c[${TASK}];
  if (task < 0) break;
  try { kernels[task](ctx, table, args); } catch (e) { Atomics.store(c, ${ERR}, 1); require("node:fs").writeSync(2, "bct worker: " + (e && e.stack || e) + "\\n"); }
  if (Atomics.add(c, ${DONE}, 1) + 1 === size - 1) Atomics.notify(c, ${DONE});
}
`;

/**
 * Start a pool with `threads` participants (threads - 1 workers plus the caller).
 * @example
 * const pool = createPool(2, { fill: (ctx, t, a) => { const v = t.v as Float64Array; const h = v.length / ctx.size; v.fill(a[0], ctx.rank * h, (ctx.rank + 1) * h); } });
 * pool.share({ v: new Float64Array(new SharedArrayBuffer(8 * 1000)) });
 * pool.run("fill", [3]);
 * pool.close();
 */
export function createPool(threads: number, kernels: Record<string, Kernel>, helpers: KernelContext["helpers"] = {}): Pool {
  const size = Math.max(1, Math.floor(threads));
  const names = Object.keys(kernels);
  const ctrl = new SharedArrayBuffer(64 + 8 * 32);
  const c = new Int32Array(ctrl, 0, 16), args = new Float64Array(ctrl, 64, 32);
  const ports: MessagePort[] = [];
  const workers: Worker[] = [];
  const helperSources = Object.entries(helpers).map(([k, f]) => `${JSON.stringify(k)}: (${f.toString()})`).join(",\n");
  const source = WORKER_SOURCE(names.map((k) => `(${kernels[k].toString()})`).join(",\n"), names, helperSources);
  for (let rank = 1; rank < size; rank++) {
    const { port1, port2 } = new MessageChannel();
    const w = new Worker(source, { eval: true, workerData: { ctrl, port: port2, rank, size }, transferList: [port2] });
    w.unref();
    workers.push(w);
    ports.push(port1);
  }
  const table: Record<string, unknown> = {};
  const ctx = makeContext(c, 0, size, helpers);
  let closed = false;
  return {
    size,
    share(entries) {
      Object.assign(table, entries);
      for (const p of ports) p.postMessage(entries);
    },
    run(kernel, a = []) {
      if (closed) throw new Error("pool is closed");
      const task = names.indexOf(kernel);
      if (task < 0) throw new Error(`unknown kernel ${kernel}`);
      for (let i = 0; i < a.length; i++) args[i] = a[i];
      if (size > 1) {
        c[TASK] = task;
        Atomics.store(c, DONE, 0);
        Atomics.add(c, GEN, 1);
        Atomics.notify(c, GEN);
      }
      kernels[kernel](ctx, table, args);
      if (size > 1) {
        let d;
        for (let spin = 0; spin < SPIN && Atomics.load(c, DONE) !== size - 1; spin++);
        while ((d = Atomics.load(c, DONE)) !== size - 1) {
          if (Atomics.load(c, ERR) && Atomics.load(c, DONE) !== size - 1) { closed = true; throw new Error(`kernel ${kernel} failed in a worker (see its message above)`); }
          Atomics.wait(c, DONE, d, 200);
        }
        if (Atomics.load(c, ERR)) { Atomics.store(c, ERR, 0); throw new Error(`kernel ${kernel} failed in a worker`); }
      }
    },
    close() {
      if (closed) return;
      closed = true;
      if (size > 1) {
        c[TASK] = -1;
        Atomics.add(c, GEN, 1);
        Atomics.notify(c, GEN);
      }
      for (const p of ports) p.close();
    },
  };
}
