/**
 * Install the bct kernelspec so Jupyter offers "bct (TypeScript)". Idempotent: running it again
 * rewrites the same kernel.json (and says whether anything changed).
 *
 * The spec goes into the per-user Jupyter data folder by default (searched by every Jupyter of the
 * user, Debian's `/usr/bin/jupyter` included), or under `<prefix>/share/jupyter/kernels/` with
 * `prefix`, or into any `dataDir`.
 *
 * @example
 * ```ts
 * import { installKernel } from "bct/kernel/install";
 * const r = installKernel();
 * console.log(r.dir, r.change); // "~/.local/share/jupyter/kernels/bct", "created"
 * ```
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { KernelError } from "./errors.js";
import { bctPackage } from "../lib/package-root.js";
import { KERNEL_NAME, kernelDir, kernelSpec, launcherPath, userJupyterDataDir, type KernelSpec } from "./kernelspec.js";

/** Options of {@link installKernel}. */
export interface InstallKernelOptions {
  /** Jupyter data folder to install into (the spec goes to `<dataDir>/kernels/<name>`). */
  dataDir?: string;
  /** Install under `<prefix>/share/jupyter` instead (e.g. a virtualenv or `/usr/local`). */
  prefix?: string;
  /** Kernel name; default "bct". */
  name?: string;
  /** Display name; default "bct (TypeScript)". */
  displayName?: string;
  /** Node executable; default the running one. */
  node?: string;
  /** The bct checkout; default the one this module belongs to. */
  root?: string;
}

/** What {@link installKernel} did. */
export interface InstallKernelResult {
  /** The kernelspec folder written. */
  dir: string;
  /** The kernel.json written. */
  spec: KernelSpec;
  name: string;
  /** "created", "updated" (content changed) or "unchanged". */
  change: "created" | "updated" | "unchanged";
}

/**
 * Write the kernelspec.
 * @throws KernelError when the library is not built (no `dist/kernel/launch.js`: run `npm run build`),
 *   tslab is not installed (run `npm ci`), or the folder cannot be written.
 */
export function installKernel(opts: InstallKernelOptions = {}): InstallKernelResult {
  const pkg = bctPackage();
  const root = opts.root ?? pkg.root;
  const name = opts.name ?? KERNEL_NAME;
  if (!/^[A-Za-z0-9._-]+$/.test(name)) {
    throw new KernelError(`kernel name "${name}" may hold only letters, digits, ".", "_" and "-"`);
  }
  if (!existsSync(launcherPath(root))) {
    throw new KernelError(`${launcherPath(root)} is missing: build the library first (npm run build)`);
  }
  try {
    createRequire(join(root, "package.json")).resolve("tslab/package.json");
  } catch {
    throw new KernelError(`tslab is not installed in ${root}/node_modules: run npm ci`);
  }
  const dataDir = opts.dataDir ?? (opts.prefix ? join(opts.prefix, "share", "jupyter") : userJupyterDataDir());
  const dir = kernelDir(dataDir, name);
  const spec = kernelSpec({ root, version: pkg.version, node: opts.node, displayName: opts.displayName });
  const text = JSON.stringify(spec, null, 2) + "\n";
  const file = join(dir, "kernel.json");
  const before = existsSync(file) ? readFileSync(file, "utf8") : null;
  try {
    mkdirSync(dir, { recursive: true });
    if (before !== text) writeFileSync(file, text);
  } catch (e) {
    throw new KernelError(`cannot write the kernelspec to ${dir}: ${(e as Error).message}`);
  }
  return { dir, spec, name, change: before === null ? "created" : before === text ? "unchanged" : "updated" };
}

/** Whether a Python's Jupyter sees a kernelspec (see {@link jupyterSeesKernel}). */
export interface JupyterCheck {
  python: string;
  /** Python with jupyter_client found. */
  hasJupyter: boolean;
  /** The folder that Jupyter resolves the kernel name to, or null. */
  resolvedDir: string | null;
}

/**
 * Ask a Python's jupyter_client where it finds kernel `name` (no Jupyter server needed).
 * @example
 * ```ts
 * import { jupyterSeesKernel } from "bct/kernel/install";
 * jupyterSeesKernel("/usr/bin/python3").resolvedDir; // "/root/.local/share/jupyter/kernels/bct"
 * ```
 */
export function jupyterSeesKernel(python: string, name: string = KERNEL_NAME, env: NodeJS.ProcessEnv = process.env): JupyterCheck {
  const code =
    "import json,sys\n" +
    "from jupyter_client.kernelspec import KernelSpecManager\n" +
    "print(json.dumps(KernelSpecManager().find_kernel_specs().get(sys.argv[1])))\n";
  const r = spawnSync(python, ["-c", code, name], { encoding: "utf8", timeout: 30_000, env });
  if (r.status !== 0 || r.error) return { python, hasJupyter: false, resolvedDir: null };
  const last = r.stdout.trim().split("\n").pop() ?? "null";
  let dir: unknown = null;
  try {
    dir = JSON.parse(last);
  } catch {
    dir = null;
  }
  return { python, hasJupyter: true, resolvedDir: typeof dir === "string" ? dir : null };
}
