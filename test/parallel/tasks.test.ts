import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { createTaskPool, resolveTaskModule, runTasks, TaskPoolError, type TaskOutcome } from "../../lib/parallel/tasks.js";

// A plain-JS task module written for the test: worker threads load real files, independent of the build.
const TASKS = `
import { threadId } from "node:worker_threads";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export async function square(x) { return { x, y: x * x, threadId }; }
export async function timed(ms) { const start = Date.now(); await sleep(ms); return { threadId, start, end: Date.now() }; }
export function fail(msg) { const e = new Error(msg); e.name = "ScanError"; throw e; }
export async function maybeExit(x) { if (x < 0) process.exit(-x); return { y: x * x, threadId }; }
export async function throwLater(msg) { setTimeout(() => { throw new RangeError(msg); }, 1); await sleep(10000); }
export function echo(m) { m.touched = true; return m; }
`;

let dir: string;
let mod: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "bct-tasks-"));
  mod = join(dir, "tasks.mjs");
  writeFileSync(mod, TASKS);
});

const values = <R>(out: TaskOutcome<R>[]) => out.map((o) => (o.ok ? o.value : null));

describe("runTasks", () => {
  it("runs every message on worker threads and returns values in message order", async () => {
    const started: number[] = [];
    const settled: number[] = [];
    const out = await runTasks<number, { x: number; y: number; threadId: number }>([1, 2, 3, 4, 5], {
      module: mod, exportName: "square", workers: 2, onStart: (i) => started.push(i), onSettled: (i) => settled.push(i),
    });
    expect(out.every((o) => o.ok)).toBe(true);
    expect(values(out).map((v) => v!.y)).toEqual([1, 4, 9, 16, 25]);
    expect(values(out).every((v) => v!.threadId > 0)).toBe(true); // not the main thread (threadId 0)
    expect(new Set(values(out).map((v) => v!.threadId)).size).toBeLessThanOrEqual(2);
    expect([...started].sort()).toEqual([0, 1, 2, 3, 4]);
    expect([...settled].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it("keeps `workers` tasks in flight at once, never more", async () => {
    const out = await runTasks<number, { threadId: number; start: number; end: number }>([300, 300, 300, 300], { module: mod, exportName: "timed", workers: 2 });
    const v = values(out).map((x) => x!);
    expect(new Set(v.map((x) => x.threadId)).size).toBe(2);
    // The first two start together (overlap); at no instant are more than two running.
    expect(v[1].start).toBeLessThan(v[0].end);
    for (const a of v) expect(v.filter((b) => b.start <= a.start && a.start < b.end).length).toBeLessThanOrEqual(2);
  });

  it("returns a task's error as data and goes on with the others", async () => {
    const out = await runTasks<string, never>(["bad scan", "other"], { module: mod, exportName: "fail", workers: 1 });
    expect(out.map((o) => o.ok)).toEqual([false, false]);
    const e = out[0].ok ? undefined : out[0].error;
    expect(e).toMatchObject({ name: "ScanError", message: "bad scan", crashed: false });
  });

  it("replaces a worker that dies, fails only its task, and runs the next ones", async () => {
    const pool = createTaskPool<number, { y: number; threadId: number }>({ module: mod, exportName: "maybeExit", workers: 1 });
    try {
      const first = await pool.run(2);
      const [died, after] = await Promise.all([pool.run(-3), pool.run(4)]);
      expect(died.ok).toBe(false);
      if (!died.ok) expect(died.error).toMatchObject({ name: "WorkerExit", crashed: true, message: expect.stringMatching(/exit code 3/) });
      expect(after.ok && after.value.y).toBe(16); // queued behind the crash: run by the replacement worker
      expect(first.ok && after.ok && after.value.threadId !== first.value.threadId).toBe(true);
    } finally {
      await pool.close();
    }
    const crashing = createTaskPool<string, unknown>({ module: mod, exportName: "throwLater", workers: 1 });
    try {
      const a = await crashing.run("boom in a callback");
      expect(a.ok).toBe(false);
      if (!a.ok) expect(a.error.message).toMatch(/died.*RangeError: boom in a callback/);
      const b = await crashing.run("again"); // the replacement worker takes the next task
      if (!b.ok) expect(b.error).toMatchObject({ crashed: true, message: expect.stringMatching(/again/) });
    } finally {
      await crashing.close();
    }
  });

  it("runs in the calling thread with workers: 0, on copies of the messages", async () => {
    const msg = { a: 1 };
    const out = await runTasks<{ a: number }, { a: number; touched: boolean }>([msg], { module: pathToFileURL(mod), exportName: "echo", workers: 0 });
    expect(out[0]).toMatchObject({ ok: true, value: { a: 1, touched: true } });
    expect(msg).toEqual({ a: 1 });
    const sq = await runTasks<number, { threadId: number }>([2], { module: mod, exportName: "square", workers: 0 });
    expect(sq[0].ok && sq[0].value.threadId).toBe(0);
  });

  it("reports a missing export as the task's error", async () => {
    const out = await runTasks<number, unknown>([1], { module: mod, exportName: "nope", workers: 1 });
    expect(out[0].ok).toBe(false);
    if (!out[0].ok) expect(out[0].error.message).toMatch(/no exported function nope/);
  });

  it("defaults to one worker per core", () => {
    const pool = createTaskPool({ module: mod, exportName: "square" });
    expect(pool.workers).toBe(availableParallelism());
    void pool.close();
  });
});

describe("resolveTaskModule", () => {
  it("maps a module of the TypeScript sources to its build for workers, and to the .ts in process", () => {
    const root = mkdtempSync(join(tmpdir(), "bct-pkg-"));
    writeFileSync(join(root, "package.json"), JSON.stringify({ name: "pkg", version: "1.0.0" }));
    mkdirSync(join(root, "lib/a"), { recursive: true });
    writeFileSync(join(root, "lib/a/task.ts"), "export const x = 1;\n");
    const src = pathToFileURL(join(root, "lib/a/task.js"));
    expect(resolveTaskModule(src, { inProcess: true }).href).toBe(pathToFileURL(join(root, "lib/a/task.ts")).href);
    expect(() => resolveTaskModule(src, { inProcess: false })).toThrow(/npm run build/);
    mkdirSync(join(root, "dist/lib/a"), { recursive: true });
    writeFileSync(join(root, "dist/lib/a/task.js"), "export const x = 1;\n");
    expect(resolveTaskModule(src, { inProcess: false }).href).toBe(pathToFileURL(join(root, "dist/lib/a/task.js")).href);
    expect(() => resolveTaskModule(join(root, "lib/none.js"), { inProcess: true })).toThrow(TaskPoolError);
    expect(() => resolveTaskModule("relative/x.js", { inProcess: true })).toThrow(/absolute path/);
  });
});
