/**
 * Files written so that a reader (or a run resumed after a crash) sees the old content or the new,
 * never a part: the text goes to a temporary file beside the target, which is then renamed over it
 * (a rename within one folder is atomic on POSIX file systems, NFS included).
 *
 * Temporary files are named `<target>.<host tag>-<pid>-<n>.bct-tmp`, so that
 * {@link removeOrphanTemps} can tell the leftovers of a killed process (same host, pid no longer
 * alive) from the files a live writer is still filling.
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "bct/lib/io/atomic-write";
 * writeFileAtomic("out/result.json", JSON.stringify(result, null, 1) + "\n");
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import { readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { threadId } from "node:worker_threads";

/** Suffix of every temporary file written by {@link writeFileAtomic}. */
export const TEMP_SUFFIX = ".bct-tmp";

/** A short tag of this host's name (8 hex digits), so that temp names stay file-name safe. */
export function hostTag(host = hostname()): string {
  return createHash("sha256").update(host).digest("hex").slice(0, 8);
}

let counter = 0;

/**
 * Write `data` to `path` atomically (temporary file in the same folder, then rename). The folder
 * must exist. On failure the temporary file is removed and the error rethrown.
 * @example
 * ```ts
 * writeFileAtomic(join(out, "report.html"), html);
 * ```
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.${hostTag()}-${process.pid}-${threadId}x${counter++}${TEMP_SUFFIX}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** True when a process with this pid runs on this host (signal 0 probes without sending). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by someone else
  }
}

/** Options of {@link removeOrphanTemps}. */
export interface OrphanOptions {
  /**
   * Temp files of another host (shared storage) are removed when older than this (s): their
   * writer's liveness cannot be probed from here. Default 3600 s, far above the time one result
   * file takes to write.
   */
  otherHostAgeSeconds?: number;
}

/**
 * Remove the temporary files that killed writers left in `dir` (not recursive): those of this host
 * whose pid is no longer alive, and those of other hosts older than `otherHostAgeSeconds`. Also
 * removes the `<name>.<pid>-<thread>.tmp` files of bct 0.1's cohort runner when that pid is dead.
 * @returns the paths removed.
 * @example
 * ```ts
 * removeOrphanTemps(join(out, "subjects")); // ["/out/subjects/S1.json.1a2b3c4d-4242-0x0.bct-tmp"]
 * ```
 */
export function removeOrphanTemps(dir: string, opts: OrphanOptions = {}): string[] {
  const maxAge = (opts.otherHostAgeSeconds ?? 3600) * 1000;
  const here = hostTag();
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed; // no folder yet: nothing to clean
  }
  for (const name of names) {
    const path = join(dir, name);
    const m = /\.([0-9a-f]{8})-(\d+)-\d+x\d+\.bct-tmp$/.exec(name);
    const legacy = /\.(\d+)-\d+\.tmp$/.exec(name);
    let orphan = false;
    if (m) {
      if (m[1] === here) orphan = !processAlive(Number(m[2]));
      else orphan = Date.now() - statSync(path).mtimeMs > maxAge;
    } else if (legacy) orphan = !processAlive(Number(legacy[1]));
    if (orphan) {
      rmSync(path, { force: true });
      removed.push(path);
    }
  }
  return removed;
}
