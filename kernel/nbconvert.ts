/**
 * Run notebooks with real Jupyter (`jupyter nbconvert --execute`) on the bct kernel, export them to
 * HTML, and read what they produced. Used by `npm run notebooks` and by the notebook tests.
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { KernelError } from "./errors.js";
import { installKernel } from "./install.js";
import { KERNEL_NAME } from "./kernelspec.js";

/**
 * The `jupyter` command to use: `$BCT_JUPYTER`, else Debian's `/usr/bin/jupyter`, else null.
 * nbconvert and nbclient must be installed for it (Debian: jupyter-nbconvert, python3-nbclient,
 * python3-ipykernel).
 */
export function findJupyter(env: NodeJS.ProcessEnv = process.env): string | null {
  const candidates = [env.BCT_JUPYTER, "/usr/bin/jupyter"].filter((c): c is string => !!c);
  for (const c of candidates) {
    if (!existsSync(c)) continue;
    const r = spawnSync(c, ["nbconvert", "--version"], { encoding: "utf8", timeout: 60_000 });
    if (r.status === 0) return c;
  }
  return null;
}

/**
 * Install the kernelspec into a private Jupyter path (`<dir>/kernels/bct`) and return the
 * environment that makes Jupyter find it first, so running notebooks needs no prior
 * `bct kernel install` and leaves the user's kernels alone.
 */
export function privateKernelEnv(dir: string, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  installKernel({ dataDir: dir });
  const path = [dir, env.JUPYTER_PATH].filter(Boolean).join(process.platform === "win32" ? ";" : ":");
  return { ...env, JUPYTER_PATH: path, PYDEVD_DISABLE_FILE_VALIDATION: "1" };
}

/** An output of type "error" found in an executed notebook. */
export interface NotebookError {
  cell: number;
  ename: string;
  evalue: string;
}

/** Options of {@link executeNotebook}. */
export interface ExecuteNotebookOptions {
  jupyter: string;
  /** Environment with JUPYTER_PATH set (see {@link privateKernelEnv}). */
  env: NodeJS.ProcessEnv;
  /** Folder for the executed copy (and the HTML). */
  outDir: string;
  /** Keep going after a failing cell (errors are still reported); default true. */
  allowErrors?: boolean;
  /** Seconds per cell; default 600. */
  cellTimeout?: number;
  /** Also write an HTML export; default true. */
  html?: boolean;
  kernelName?: string;
}

/** What {@link executeNotebook} did. */
export interface ExecutedNotebook {
  input: string;
  executed: string;
  html: string | null;
  /** nbconvert's exit status (non-zero: a cell failed without allowErrors, or Jupyter failed). */
  status: number;
  errors: NotebookError[];
  /** The executed notebook (nbformat 4 JSON), or null when nbconvert wrote none. */
  notebook: NotebookJson | null;
  seconds: number;
  /** nbconvert's stderr, for diagnosis. */
  log: string;
}

/** The parts of an nbformat 4 notebook read here. */
export interface NotebookJson {
  cells: { cell_type: string; source: string | string[]; outputs?: NotebookOutput[] }[];
  metadata: Record<string, unknown>;
}

/** A code cell output. */
export interface NotebookOutput {
  output_type: "stream" | "display_data" | "execute_result" | "error";
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

/** The error outputs of a notebook. */
export function notebookErrors(nb: NotebookJson): NotebookError[] {
  const out: NotebookError[] = [];
  nb.cells.forEach((c, i) => {
    for (const o of c.outputs ?? []) {
      if (o.output_type === "error") out.push({ cell: i, ename: o.ename ?? "", evalue: o.evalue ?? "" });
    }
  });
  return out;
}

/** The text of a cell's stream outputs (stdout and stderr, in order). */
export function cellText(nb: NotebookJson, cell: number): string {
  return (nb.cells[cell]?.outputs ?? [])
    .filter((o) => o.output_type === "stream")
    .map((o) => (Array.isArray(o.text) ? o.text.join("") : (o.text ?? "")))
    .join("");
}

/**
 * Execute one notebook on the bct kernel with `jupyter nbconvert`; the kernel runs in the notebook's
 * folder. Writes `<outDir>/<name>.ipynb` (and `<name>.html`).
 * @example
 * ```ts
 * import { executeNotebook, findJupyter, privateKernelEnv } from "bct/kernel/nbconvert";
 * const jupyter = findJupyter()!;
 * const r = executeNotebook("notebooks/01-load-ct.ipynb", { jupyter, env: privateKernelEnv("/tmp/k"), outDir: "/tmp/out" });
 * console.log(r.errors, r.html);
 * ```
 */
export function executeNotebook(input: string, opts: ExecuteNotebookOptions): ExecutedNotebook {
  const abs = resolve(input);
  if (!existsSync(abs)) throw new KernelError(`no notebook at ${abs}`);
  mkdirSync(opts.outDir, { recursive: true });
  const name = basename(abs, ".ipynb");
  const executed = join(resolve(opts.outDir), `${name}.ipynb`);
  const t0 = Date.now();
  const args = [
    "nbconvert", "--to", "notebook", "--execute",
    `--ExecutePreprocessor.kernel_name=${opts.kernelName ?? KERNEL_NAME}`,
    `--ExecutePreprocessor.timeout=${opts.cellTimeout ?? 600}`,
    "--output-dir", resolve(opts.outDir), "--output", name,
  ];
  if (opts.allowErrors ?? true) args.push("--allow-errors");
  args.push(abs);
  const r = spawnSync(opts.jupyter, args, { cwd: dirname(abs), env: opts.env, encoding: "utf8", timeout: 30 * 60_000 });
  const notebook = existsSync(executed) && r.status === 0 ? (JSON.parse(readFileSync(executed, "utf8")) as NotebookJson) : null;
  let html: string | null = null;
  if (notebook && (opts.html ?? true)) {
    const h = spawnSync(opts.jupyter, ["nbconvert", "--to", "html", "--output-dir", resolve(opts.outDir), executed], {
      env: opts.env, encoding: "utf8", timeout: 10 * 60_000,
    });
    const file = join(resolve(opts.outDir), `${name}.html`);
    if (h.status === 0 && existsSync(file)) html = file;
  }
  return {
    input: abs, executed, html, status: r.status ?? -1,
    errors: notebook ? notebookErrors(notebook) : [],
    notebook, seconds: (Date.now() - t0) / 1000,
    log: (r.stderr ?? "") + (r.error ? String(r.error) : ""),
  };
}
