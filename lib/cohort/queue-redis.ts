/**
 * A private, throw-away Redis for demos and tests of the cohort queue: `redis-server` (Debian package
 * `redis-server`) started as a child process on a free loopback port, with no persistence
 * (`--save "" --appendonly no`) and its own temporary folder, stopped by pid. Production queues run
 * a managed Redis instead (docs/cohorts.md).
 *
 * @example
 * ```ts
 * import { redisServerPath, startLocalRedis } from "bct/lib/cohort/queue-redis";
 * if (redisServerPath()) {
 *   const redis = await startLocalRedis();
 *   console.log(redis.url); // "redis://127.0.0.1:40123"
 *   await redis.stop();
 * }
 * ```
 * @module
 */
import { spawn } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { BctError } from "../errors.js";

/** redis-server is missing or did not start. */
export class RedisServerError extends BctError {
  override name = "RedisServerError";
}

/** The path of `redis-server` on PATH (or /usr/bin, /usr/sbin), or null when it is not installed. */
export function redisServerPath(): string | null {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/bin", "/usr/sbin", "/usr/local/bin"];
  for (const d of dirs) {
    if (!d) continue;
    const p = join(d, "redis-server");
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

/** A free TCP port on 127.0.0.1 (the OS picks one; it is released before returning). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
  });
}

/** A running private Redis. */
export interface LocalRedis {
  url: string;
  port: number;
  pid: number;
  /** Its working folder (removed by stop). */
  dir: string;
  /** Stop it (SIGTERM to its pid, SIGKILL after 5 s) and remove its folder. */
  stop(): Promise<void>;
}

/**
 * Start `redis-server` on a free loopback port and wait until it accepts connections.
 * @param opts.readySeconds how long to wait for it (default 10 s)
 * @throws RedisServerError when redis-server is not installed or does not start.
 */
export async function startLocalRedis(opts: { readySeconds?: number } = {}): Promise<LocalRedis> {
  const bin = redisServerPath();
  if (!bin) throw new RedisServerError("redis-server is not installed (Debian: apt-get install redis-server)");
  const port = await freeLoopbackPort();
  const dir = mkdtempSync(join(tmpdir(), "bct-redis-"));
  const child = spawn(bin, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no", "--logfile", ""], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stdout.on("data", (b: Buffer) => (log = (log + b.toString()).slice(-4000)));
  child.stderr.on("data", (b: Buffer) => (log = (log + b.toString()).slice(-4000)));
  const exited = new Promise<void>((res) => child.once("exit", () => res()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid!, "SIGTERM");
      const timer = setTimeout(() => child.exitCode === null && child.signalCode === null && process.kill(child.pid!, "SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (opts.readySeconds ?? 10) * 1000;
  while (!(await ping(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new RedisServerError(`redis-server did not start on port ${port}: ${log.trim().split("\n").slice(-3).join(" | ")}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url: `redis://127.0.0.1:${port}`, port, pid: child.pid!, dir, stop };
}

/** True when a Redis on the port answers PING with PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = new Socket();
    const done = (ok: boolean) => {
      s.destroy();
      res(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.once("error", () => done(false));
    s.connect(port, "127.0.0.1", () => s.write("PING\r\n"));
    s.once("data", (b) => done(b.toString().startsWith("+PONG")));
  });
}
