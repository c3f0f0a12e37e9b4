/**
 * `npm run notebooks [-- names...]`: execute every notebook in `notebooks/` (or the named ones) on
 * the bct kernel with real Jupyter, write the executed copies and their HTML exports to
 * `notebooks/_build/`, and fail (exit 1) when any cell produced an error output. Each notebook may
 * write its key results to `notebooks/_build/results/<name>.json`; the notebook tests check them.
 * Exit 2 when Jupyter (nbconvert + nbclient) is missing.
 * @module
 */
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { executeNotebook, findJupyter, privateKernelEnv, type ExecutedNotebook } from "./nbconvert.js";
import { bctPackage } from "../lib/package-root.js";

/** The notebooks folder of the package. */
export function notebooksDir(): string {
  return join(bctPackage().root, "notebooks");
}

/** The notebooks in `dir`, sorted by name (numbered ones first by their number). */
export function listNotebooks(dir: string = notebooksDir()): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".ipynb") && !f.startsWith("."))
    .sort()
    .map((f) => join(dir, f));
}

/** Options of {@link runNotebooks}. */
export interface RunNotebooksOptions {
  /** Notebook paths; default all in notebooks/. */
  notebooks?: string[];
  /** Default notebooks/_build. */
  outDir?: string;
  jupyter: string;
  html?: boolean;
}

/**
 * Execute notebooks one after the other; returns one record each.
 * @example
 * ```ts
 * import { runNotebooks } from "bct/kernel/run-notebooks";
 * import { findJupyter } from "bct/kernel/nbconvert";
 * for (const r of runNotebooks({ jupyter: findJupyter()! })) console.log(r.input, r.errors.length);
 * ```
 */
export function runNotebooks(opts: RunNotebooksOptions): ExecutedNotebook[] {
  const outDir = opts.outDir ?? join(notebooksDir(), "_build");
  const env = privateKernelEnv(join(outDir, "jupyter"));
  return (opts.notebooks ?? listNotebooks()).map((nb) => executeNotebook(nb, { jupyter: opts.jupyter, env, outDir, html: opts.html }));
}

function main(argv: string[]): number {
  const jupyter = findJupyter();
  if (!jupyter) {
    console.error("error: Jupyter with nbconvert was not found (Debian: apt-get install jupyter-nbconvert python3-nbclient python3-ipykernel; or set BCT_JUPYTER)");
    return 2;
  }
  const dir = notebooksDir();
  const names = argv.filter((a) => !a.startsWith("-"));
  const notebooks = names.length ? names.map((n) => resolve(dir, n.endsWith(".ipynb") ? n : `${n}.ipynb`)) : listNotebooks(dir);
  let failed = 0;
  for (const r of runNotebooks({ jupyter, notebooks })) {
    const ok = r.status === 0 && r.errors.length === 0 && r.notebook !== null;
    if (!ok) failed++;
    console.log(`${ok ? "ok  " : "FAIL"} ${r.input} (${r.seconds.toFixed(1)} s) -> ${r.html ?? r.executed}`);
    for (const e of r.errors) console.log(`     cell ${e.cell}: ${e.ename}: ${e.evalue}`);
    if (!r.notebook) console.log(r.log.split("\n").slice(-15).join("\n"));
  }
  return failed ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
