/**
 * `bct phantom <outdir> [--seed N] [--only hip|spine] [--supersampling N]`: generate the synthetic
 * hip and spine CT phantoms with their ground truth into `<outdir>/hip` and `<outdir>/spine`. This
 * is how `datasets/phantom` is made: `npm run build && node bin/bct.js phantom datasets/phantom`.
 * @module
 */
import { join } from "node:path";
import { DEFAULT_SEED, DEFAULT_SCANNER, generateHipScan, generateSpineScan, writeScanDataset } from "../synthetic/index.js";
import { formatOptions, parseArgs, UsageError, type OptionSpec } from "./args.js";
import type { Command } from "./main.js";

const OPTIONS: Record<string, OptionSpec> = {
  seed: { type: "number", description: `noise seed, an integer from 0 to 4294967295 (default ${DEFAULT_SEED})` },
  only: { type: "string", description: "generate only this scan: hip or spine (default both)" },
  supersampling: {
    type: "number",
    description: `subsamples per voxel per axis for partial volume and blur (default ${DEFAULT_SCANNER.supersampling})`,
  },
};

export const phantomCommand: Command = {
  summary: "Generate the synthetic hip and spine CT phantoms (DICOM, NIfTI, density, labels, truth.json).",
  usage: `bct phantom <outdir> [--seed N] [--only hip|spine] [--supersampling N]\n${formatOptions(OPTIONS)}`,
  async run(argv, io) {
    const { positionals, options } = parseArgs(argv, OPTIONS);
    if (positionals.length !== 1) throw new UsageError("give exactly one output folder");
    const only = options.only as string | undefined;
    if (only !== undefined && only !== "hip" && only !== "spine") throw new UsageError(`--only must be hip or spine, got "${only}"`);
    const seed = (options.seed as number | undefined) ?? DEFAULT_SEED;
    const scanner = options.supersampling === undefined ? {} : { supersampling: options.supersampling as number };
    const kinds = only ? [only] : ["hip", "spine"];
    for (const kind of kinds) {
      const t0 = Date.now();
      const scan = kind === "hip" ? generateHipScan({ seed, scanner }) : generateSpineScan({ seed, scanner });
      const dir = join(positionals[0], kind);
      const files = await writeScanDataset(scan, dir);
      const bytes = files.reduce((a, f) => a + f.bytes, 0);
      const dcm = files.filter((f) => f.path.endsWith(".dcm")).length;
      io.out(
        `${kind}: ${scan.ct.dims.join(" x ")} voxels of ${scan.ct.spacing.join(" x ")} mm, seed ${seed} -> ${dir} ` +
          `(${dcm} DICOM slices, ${files.length - dcm} other files, ${(bytes / 1e6).toFixed(1)} MB) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
    }
    return 0;
  },
};
