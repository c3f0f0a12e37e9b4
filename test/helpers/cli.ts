import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "./paths.js";

const run = promisify(execFile);
/** The built command line (`npm run build` first: it runs dist/). */
export const BCT = resolve(REPO_ROOT, "bin/bct.js");

/** Run `bct ...args` from the repository root; the exit code and both streams, never a throw. */
export async function bct(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [BCT, ...args], { cwd: REPO_ROOT, maxBuffer: 1 << 26 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}
