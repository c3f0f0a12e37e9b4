/**
 * `bct kernel install [--prefix DIR | --data-dir DIR] [--name NAME] [--display-name TEXT]`:
 * register the bct Jupyter kernel ("bct (TypeScript)"), running this checkout's own tslab.
 * Idempotent. Prints where the kernelspec went, whether Debian's Jupyter (`/usr/bin/python3`) and the
 * `python3` on PATH see it, and how to start Jupyter.
 * @module
 */
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { installKernel, jupyterSeesKernel } from "../../kernel/install.js";
import { formatOptions, parseArgs, UsageError, type OptionSpec } from "./args.js";
import type { Command } from "./main.js";

const OPTIONS: Record<string, OptionSpec> = {
  prefix: { type: "string", description: "install under <prefix>/share/jupyter (a virtualenv, /usr/local)" },
  "data-dir": { type: "string", description: "install under this Jupyter data folder (default: the user's)" },
  name: { type: "string", description: 'kernel name (default "bct")' },
  "display-name": { type: "string", description: 'name in Jupyter\'s kernel picker (default "bct (TypeScript)")' },
  "no-check": { type: "flag", description: "do not ask the installed Jupyters whether they see the kernel" },
};

/** The Pythons whose Jupyter is asked: Debian's and the first python3 on PATH. */
function pythonsToCheck(): string[] {
  const out: string[] = [];
  if (existsSync("/usr/bin/python3")) out.push("/usr/bin/python3");
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const p = join(dir, "python3");
    if (dir && existsSync(p)) {
      if (!out.includes(p)) out.push(p);
      break;
    }
  }
  return out;
}

export const kernelInstallCommand: Command = {
  summary: "Register the bct Jupyter kernel (TypeScript, with the library importable as bct/...)",
  usage: `bct kernel install [options]\n${formatOptions(OPTIONS)}`,
  async run(argv, io) {
    const { positionals, options } = parseArgs(argv, OPTIONS);
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if (options.prefix !== undefined && options["data-dir"] !== undefined) throw new UsageError("give --prefix or --data-dir, not both");
    const r = installKernel({
      prefix: options.prefix as string | undefined,
      dataDir: options["data-dir"] as string | undefined,
      name: options.name as string | undefined,
      displayName: options["display-name"] as string | undefined,
    });
    io.out(`kernelspec "${r.name}" (${r.spec.display_name}) ${r.change}: ${join(r.dir, "kernel.json")}`);
    io.out(`  runs: ${r.spec.argv.slice(0, 2).join(" ")}`);
    if (!options["no-check"]) {
      for (const py of pythonsToCheck()) {
        const c = jupyterSeesKernel(py, r.name);
        const verdict = !c.hasJupyter ? "no Jupyter in this Python" : c.resolvedDir ? `sees it (${c.resolvedDir})` : "does NOT see it (add its folder to JUPYTER_PATH)";
        io.out(`  Jupyter of ${py}: ${verdict}`);
      }
    }
    io.out("");
    io.out("start Jupyter:   jupyter notebook notebooks/    (then pick the kernel \"" + r.spec.display_name + "\")");
    io.out(`run headless:    jupyter nbconvert --to notebook --execute --ExecutePreprocessor.kernel_name=${r.name} notebooks/<file>.ipynb`);
    io.out("all notebooks:   npm run notebooks    (executed copies and HTML in notebooks/_build/)");
    return 0;
  },
};
