/**
 * The Jupyter kernelspec of the bct kernel, and where Jupyter looks for kernelspecs. Pure functions:
 * {@link ./install.ts} writes what these describe.
 *
 * The spec runs the project's own launcher (`dist/kernel/launch.js`) with the Node that installed
 * it (an absolute path, so Jupyter started from a desktop menu without Node on its PATH still
 * works). The launcher starts the project's own tslab from `node_modules`.
 * @module
 */
import { homedir } from "node:os";
import { join } from "node:path";

/** The kernel name Jupyter knows it by (`--kernel_name=bct`, `"kernelspec": {"name": "bct"}`). */
export const KERNEL_NAME = "bct";
/** The name shown in Jupyter's kernel picker. */
export const KERNEL_DISPLAY_NAME = "bct (TypeScript)";

/** A Jupyter kernelspec (`kernel.json`). */
export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode: "signal" | "message";
  env?: Record<string, string>;
  metadata: { bct: { root: string; version: string; launcher: string } };
}

/** Inputs of {@link kernelSpec}. */
export interface KernelSpecOptions {
  /** Absolute path of the bct package (holds package.json). */
  root: string;
  /** Package version, recorded in the spec's metadata. */
  version: string;
  /** Absolute path of the Node executable; default `process.execPath`. */
  node?: string;
  /** Display name; default {@link KERNEL_DISPLAY_NAME}. */
  displayName?: string;
}

/**
 * The kernel.json content for a bct checkout at `root`.
 * @example
 * ```ts
 * import { kernelSpec } from "bct/kernel/kernelspec";
 * kernelSpec({ root: "/opt/bct", version: "0.1.0", node: "/usr/bin/node" }).argv;
 * // ["/usr/bin/node", "/opt/bct/dist/kernel/launch.js", "--config-path", "{connection_file}"]
 * ```
 */
export function kernelSpec(opts: KernelSpecOptions): KernelSpec {
  const launcher = launcherPath(opts.root);
  return {
    argv: [opts.node ?? process.execPath, launcher, "--config-path", "{connection_file}"],
    display_name: opts.displayName ?? KERNEL_DISPLAY_NAME,
    language: "typescript",
    interrupt_mode: "signal",
    metadata: { bct: { root: opts.root, version: opts.version, launcher } },
  };
}

/** The built launcher script of a checkout. */
export function launcherPath(root: string): string {
  return join(root, "dist", "kernel", "launch.js");
}

/** Environment and platform, injectable for tests. */
export interface DataDirContext {
  env: Record<string, string | undefined>;
  platform: NodeJS.Platform;
  home: string;
}

/**
 * The per-user Jupyter data folder, by the same rule as `jupyter_core.paths.jupyter_data_dir()`:
 * `$JUPYTER_DATA_DIR`, else `~/Library/Jupyter` (macOS), `%APPDATA%\jupyter` (Windows),
 * `$XDG_DATA_HOME/jupyter` or `~/.local/share/jupyter` (Linux). Every Jupyter of the user (Debian's
 * `/usr/bin/jupyter`, a pip or conda one) searches it.
 * @example
 * ```ts
 * import { userJupyterDataDir } from "bct/kernel/kernelspec";
 * userJupyterDataDir({ env: {}, platform: "linux", home: "/home/me" }); // "/home/me/.local/share/jupyter"
 * ```
 */
export function userJupyterDataDir(ctx: DataDirContext = { env: process.env, platform: process.platform, home: homedir() }): string {
  const { env, platform, home } = ctx;
  if (env.JUPYTER_DATA_DIR) return env.JUPYTER_DATA_DIR;
  if (platform === "darwin") return join(home, "Library", "Jupyter");
  if (platform === "win32") return join(env.APPDATA ?? join(home, "AppData", "Roaming"), "jupyter");
  return join(env.XDG_DATA_HOME || join(home, ".local", "share"), "jupyter");
}

/** The folder of a kernelspec named `name` under a Jupyter data folder. */
export function kernelDir(dataDir: string, name: string = KERNEL_NAME): string {
  return join(dataDir, "kernels", name);
}
