/**
 * An exclusive lock on a cohort output folder, so that two runs never write into the same `--out`
 * (they used to both compute every subject and leave a `results.csv` that disagreed with the
 * subjects' JSON). The lock is the file `DIR/.bct-lock`, created with O_EXCL and holding the
 * owner's pid, host and command:
 * - a lock whose owner is alive, or on another host (its liveness cannot be probed from here),
 *   refuses the run with {@link OutLockError};
 * - a lock left by a dead process on this host (a run killed with SIGKILL, a crashed machine) is
 *   taken over, with a warning.
 *
 * The queue's workers do not take the lock (many of them write distinct subject files into one
 * folder by design); `bct cohort submit` and `bct cohort status` (which writes the results table)
 * do, briefly.
 *
 * @example
 * ```ts
 * import { acquireOutLock } from "bct/lib/cohort/out-lock";
 * const lock = acquireOutLock("out", { onWarning: (w) => console.warn(w) });
 * try { ... } finally { lock.release(); }
 * ```
 * @module
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { BctError } from "../errors.js";
import { processAlive } from "../io/atomic-write.js";

/** The lock file's name inside the output folder. */
export const LOCK_FILE = ".bct-lock";

/** Another live run holds the output folder. */
export class OutLockError extends BctError {
  override name = "OutLockError";
}

/** What the lock file records. */
export interface LockOwner {
  pid: number;
  host: string;
  /** What holds it, e.g. "bct cohort run". */
  command: string;
  startedAt: string;
}

/** A held lock. */
export interface OutLock {
  path: string;
  owner: LockOwner;
  /** A stale lock that was taken over, if any. */
  tookOverFrom?: LockOwner;
  /** Remove the lock file (only if it is still ours); idempotent. */
  release(): void;
}

/** Options of {@link acquireOutLock}. */
export interface OutLockOptions {
  /** Recorded in the lock file (default "bct"). */
  command?: string;
  /** Receives the warning when a stale lock is taken over. */
  onWarning?: (message: string) => void;
}

/**
 * Take the exclusive lock on `dir` (created if needed). The lock is released by `release()` and,
 * as a fallback, when the process exits normally.
 * @throws OutLockError when a live process (or one on another host) holds it.
 */
export function acquireOutLock(dir: string, opts: OutLockOptions = {}): OutLock {
  const outDir = resolve(dir);
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, LOCK_FILE);
  const owner: LockOwner = { pid: process.pid, host: hostname(), command: opts.command ?? "bct", startedAt: new Date().toISOString() };
  let tookOverFrom: LockOwner | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, JSON.stringify(owner) + "\n");
      closeSync(fd);
      let held = true;
      const release = () => {
        if (!held) return;
        held = false;
        process.off("exit", release);
        if (readOwner(path)?.pid === owner.pid && readOwner(path)?.host === owner.host) rmSync(path, { force: true });
      };
      process.on("exit", release);
      return { path, owner, tookOverFrom, release };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const held = readOwner(path);
    if (!held && youngerThan(path, 5)) throw new OutLockError(`${outDir} is being locked by another run right now (${path} is being written); try again`);
    if (held && (held.host !== owner.host || processAlive(held.pid))) {
      const where = held.host === owner.host ? `pid ${held.pid}` : `pid ${held.pid} on host ${held.host}`;
      throw new OutLockError(
        `${outDir} is in use by ${held.command} (${where}, since ${held.startedAt}); wait for it to finish or choose another --out` +
          (held.host !== owner.host ? `; if that run is dead, delete ${path}` : ""),
      );
    }
    // Stale: its owner is dead on this host, or the file is unreadable (a writer killed mid-write).
    tookOverFrom = held ?? undefined;
    opts.onWarning?.(`took over the stale lock ${path}` + (held ? ` of ${held.command} (pid ${held.pid}, no longer running, since ${held.startedAt})` : " (unreadable)"));
    rmSync(path, { force: true });
  }
  throw new OutLockError(`${outDir}: could not take the lock ${path}; another run keeps taking it`);
}

function youngerThan(path: string, seconds: number): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs < seconds * 1000;
  } catch {
    return false;
  }
}

function readOwner(path: string): LockOwner | null {
  try {
    const o = JSON.parse(readFileSync(path, "utf8")) as LockOwner;
    return typeof o.pid === "number" && typeof o.host === "string" ? o : null;
  } catch {
    return null;
  }
}
