/**
 * `bct cohort generate --out DIR [--n 40] [--seed 1] [--element 1.5] [--workers 0]`: generate the
 * in-silico hip cohort (lib/cohort/in-silico.ts) into DIR: subject specs, cohort.csv, truth.csv,
 * README.md. This is how `datasets/cohort/in-silico` is made:
 * `npm run build && node bin/bct.js cohort generate --out datasets/cohort/in-silico --n 40 --seed 1`.
 * @module
 */
import { formatOptions, parseArgs, UsageError, type OptionSpec } from "./args.js";
import type { Command } from "./main.js";

const OPTIONS: Record<string, OptionSpec> = {
  out: { type: "string", description: "output folder (required)" },
  n: { type: "number", description: "number of subjects (default 40)" },
  seed: { type: "number", description: "cohort seed, an integer from 0 to 4294967295 (default 1)" },
  element: { type: "number", description: "element size (mm) of the truth strength's FE model (default 1.5)" },
  "age-min": { type: "number", description: "youngest age (default 50)" },
  "age-max": { type: "number", description: "oldest age (default 90)" },
  workers: { type: "number", description: "worker threads for the subjects (default 0: one at a time; the result does not depend on it)" },
};

export const cohortGenerateCommand: Command = {
  summary: "Generate a synthetic (in-silico) hip cohort: subject specs, cohort.csv, truth.csv, README.md.",
  usage: `bct cohort generate --out DIR [--n 40] [--seed 1] [--element 1.5] [--workers 0]\n${formatOptions(OPTIONS)}`,
  async run(argv, io) {
    const { positionals, options } = parseArgs(argv, OPTIONS);
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}" (give the folder with --out)`);
    const out = options.out as string | undefined;
    if (!out) throw new UsageError("give the output folder with --out DIR");
    const n = (options.n as number | undefined) ?? 40;
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--n must be a positive integer, got ${n}`);
    const { generateInSilicoCohort } = await import("../cohort/in-silico.js");
    const s = await generateInSilicoCohort({
      n,
      seed: (options.seed as number | undefined) ?? 1,
      outDir: out,
      elementSize: (options.element as number | undefined) ?? 1.5,
      ageRange: [(options["age-min"] as number | undefined) ?? 50, (options["age-max"] as number | undefined) ?? 90],
      workers: (options.workers as number | undefined) ?? 0,
      onProgress: (p) => {
        if (p.kind === "done") io.out(`[${p.elapsedSeconds.toFixed(0)} s] ${p.message}`);
      },
    });
    io.out(
      `${s.n} subjects (${s.women} women, ${s.men} men), ${s.cases} fracture cases, seed ${s.seed} -> ${s.outDir} ` +
        `(cohort.csv, truth.csv, README.md, subjects/) in ${s.seconds.toFixed(0)} s`,
    );
    return 0;
  },
};
