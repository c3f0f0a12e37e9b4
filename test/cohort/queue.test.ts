/**
 * The distributed cohort runner against a real Redis: `redis-server` started by the test on a free
 * loopback port (no persistence, its own folder), two `bct cohort worker` processes, one killed with
 * SIGKILL (with its child processes) in the middle of a subject. Every subject must be completed
 * exactly once, and the results table must equal the local runner's in every computed column.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as aq from "arquero";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobIdOf, redisConnection } from "../../lib/cohort/queue.js";
import { freeLoopbackPort, redisServerPath, startLocalRedis, type LocalRedis } from "../../lib/cohort/queue-redis.js";
import { runCohort } from "../../lib/cohort/runner.js";
import { readCohortTable } from "../../lib/cohort/table.js";
import { bct, BCT } from "../helpers/cli.js";
import { REPO_ROOT } from "../helpers/paths.js";

const HIP = resolve(REPO_ROOT, "datasets/phantom/hip");
const ELEMENT = 4; // mm: coarse and fast

/** A worker process in its own process group (so SIGKILL to the group also ends its sandboxed children). */
function startWorker(url: string, name: string, extra: string[] = []): { child: ChildProcess; log: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BCT, "cohort", "worker", "--queue", url, "--name", name, "--concurrency", "1", "--lock-seconds", "5", "--stalled-check-seconds", "1", ...extra], { cwd: REPO_ROOT, detached: true, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr!.on("data", (b: Buffer) => (log += b.toString()));
  const exited = new Promise<number | null>((res) => child.once("exit", (code) => res(code)));
  return { child, log: () => log, exited };
}

async function until(what: string, cond: () => boolean, seconds: number): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("redis URL and job ids", () => {
  it("parses redis:// URLs and maps ids BullMQ refuses", () => {
    expect(redisConnection("redis://127.0.0.1:6390/2")).toEqual({ host: "127.0.0.1", port: 6390, db: 2, maxRetriesPerRequest: null });
    expect(redisConnection("redis://:secret@queue.lan")).toMatchObject({ host: "queue.lan", port: 6379, password: "secret" });
    expect(() => redisConnection("http://x:1")).toThrow(/must be a redis:\/\/ URL/);
    expect(() => redisConnection("not a url")).toThrow(/must be a Redis URL/);
    expect([jobIdOf("P-01"), jobIdOf("1001"), jobIdOf("a:b")]).toEqual(["P-01", "subject-1001", "subject-a:b"]);
  });
});

const HAVE_REDIS = redisServerPath() !== null;
if (!HAVE_REDIS) describe("bct cohort submit / worker / status on a real Redis", () => it.skip("redis-server is not installed (Debian: apt-get install redis-server): skipped", () => {}));
else describe("bct cohort submit / worker / status on a real Redis", () => {
  let redis: LocalRedis;
  beforeAll(async () => {
    redis = await startLocalRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it("2 workers, one SIGKILLed mid-subject: every subject once, values equal to the local runner's", async () => {
    expect(existsSync(resolve(REPO_ROOT, "dist/lib/cohort/queue-processor.js")), "run `npm run build` before this test").toBe(true);
    const dir = mkdtempSync(join(tmpdir(), "bct-cohort-queue-"));
    const scan = join(HIP, "ct.nii.gz");
    writeFileSync(join(dir, "cohort.csv"), ["id,sex,scan,heightCm,weightKg,centre", `Q1,F,${scan},160,58,Lyon`, `1002,M,${scan},180,85,Basel`, `Q3,F,${scan},,,Lyon`].join("\n") + "\n");
    const out = join(dir, "out");
    const name = "test-cohort";
    const submitArgs = ["cohort", "submit", join(dir, "cohort.csv"), "--queue", redis.url, "--name", name, "--out", out, "--element", String(ELEMENT), "--json"];
    const s1 = await bct(...submitArgs);
    expect(s1.code, s1.stderr).toBe(0);
    expect(JSON.parse(s1.stdout)).toMatchObject({ total: 3, queued: 3, alreadyQueued: 0, alreadyDone: 0 });
    const s2 = await bct(...submitArgs); // re-submitting is safe: nothing is queued twice
    expect(JSON.parse(s2.stdout)).toMatchObject({ total: 3, queued: 0, alreadyQueued: 3 });

    // Worker A takes a subject; worker B starts; A is killed (with its child process) while solving.
    const a = startWorker(redis.url, name);
    await until("worker A to start a subject", () => /: started/.test(a.log()), 120);
    const killedId = /\] (\S+): started/.exec(a.log())![1];
    const b = startWorker(redis.url, name, ["--exit"]);
    await new Promise((r) => setTimeout(r, 300));
    expect(a.log()).not.toMatch(new RegExp(`${killedId}: (computed|reused)`)); // still in the middle of it
    process.kill(-a.child.pid!, "SIGKILL");
    expect(await a.exited).toBeNull();
    const code = await Promise.race([b.exited, new Promise((r) => setTimeout(() => r("timeout"), 400_000))]);
    expect(code, b.log()).toBe(0);
    expect(b.log()).toMatch(new RegExp(`${killedId}: computed: \\d+ N`)); // the killed subject was run again by B

    const st = await bct("cohort", "status", "--queue", redis.url, "--out", out, "--json");
    expect(st.code, st.stderr).toBe(0);
    const status = JSON.parse(st.stdout);
    expect(status).toMatchObject({ total: 3, finished: 3, ok: 3, failed: 0, complete: true, missing: [] });
    expect(status.queueCounts).toMatchObject({ completed: 3, failed: 0, active: 0, waiting: 0 });
    expect(readdirSync(join(out, "subjects")).sort()).toEqual(["1002.json", "Q1.json", "Q3.json"]); // no orphan temp file, one result each

    // The local runner on the same table: every column but the timing is byte-identical.
    const local = join(dir, "local");
    await runCohort(readCohortTable(join(dir, "cohort.csv")), { outDir: local, workers: 0, elementSize: ELEMENT });
    const read = (d: string) => aq.fromCSV(readFileSync(join(d, "results.csv"), "utf8"), { autoType: false });
    const q = read(out), l = read(local);
    expect(q.columnNames()).toEqual(l.columnNames());
    const strip = (t: aq.ColumnTable) => (t.objects() as Record<string, string | null>[]).map(({ seconds: _s, ...rest }) => rest);
    expect(q.numRows()).toBe(3);
    expect(strip(q).map((r) => r.id)).toEqual(["Q1", "1002", "Q3"]);
    expect(strip(q)).toEqual(strip(l));
    expect(Number(strip(q)[0].strengthN)).toBeGreaterThan(0);
    expect(strip(q)[0].bctVersion).toBe(JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")).version);

    // Submitting again once finished enqueues nothing: every stored result matches its provenance.
    const s3 = await bct(...submitArgs);
    expect(JSON.parse(s3.stdout)).toMatchObject({ queued: 0, alreadyDone: 3 });
  }, 900_000);

  it("reports an unreachable Redis and a missing submission with one error line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bct-cohort-queue-bad-"));
    const r = await bct("cohort", "status", "--queue", redis.url, "--out", join(dir, "nothing"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: .*no submitted cohort here.*run bct cohort submit first/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    writeFileSync(join(dir, "c.csv"), "id,sex,scan\nA,F,a.nii.gz\n");
    const nobody = await freeLoopbackPort(); // nothing listens there
    const down = await bct("cohort", "submit", join(dir, "c.csv"), "--queue", `redis://127.0.0.1:${nobody}`, "--out", join(dir, "out"));
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(new RegExp(`^error: cannot reach Redis at redis://127.0.0.1:${nobody} \\(.*ECONNREFUSED.*\\); start redis-server`, "m"));
    expect(down.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, "out", "cohort.json"))).toBe(false); // nothing written for a queue that is not there
    const u = await bct("cohort", "worker");
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/--queue redis:\/\/HOST:PORT is required/);
  }, 120_000);
});
