/**
 * `npm run -s build && node dist/bench/hip.js`: the hip analysis of the embedded femur phantom
 * (datasets/phantom/hip; sideways fall, PMMA caps, pinned distal cut) at several element sizes,
 * nonlinear (default) and linear, for the mesh-convergence table (1.5 vs 1.0 mm within 3% in
 * strength and stiffness) and the run time (nonlinear at 1.5 mm: target 30 s on 2 cores). Writes
 * bench/results/hip-<date>.json and prints a table.
 *
 * Options (env): BENCH_HIP_SIZES=1.5,1.0 (element edges, mm), BENCH_HIP_LINEAR=1 (also the linear
 * critical-volume criterion at each size), BENCH_HIP_MAPPING=integrated|mean-density (element moduli),
 * BENCH_HIP_SUBSAMPLES=5. CPU seconds are reported beside the wall time: on a machine shared with
 * other work they are the honest figure.
 * @module
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readScan } from "../lib/io/scan.js";
import { writeConvergenceTable, type BenchRow } from "./convergence.js";
import { analyzeHip, type HipStrengthChoice } from "../lib/pipeline/hip.js";
import type { ModulusMapping } from "../lib/pipeline/stages.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

async function main(): Promise<void> {
  const phantom = JSON.parse(readFileSync(join(root, "datasets/phantom/calibration-phantom.json"), "utf8"));
  const ct = (await readScan(join(root, "datasets/phantom/hip/ct.nii.gz"))).volume;
  const sizes = (process.env.BENCH_HIP_SIZES ?? "1.5,1.0").split(",").map(Number);
  const criteria: HipStrengthChoice[] = [{ criterion: "nonlinear-peak" }];
  if (process.env.BENCH_HIP_LINEAR === "1") criteria.push({ criterion: "linear-critical-volume" });
  const modulusMapping = (process.env.BENCH_HIP_MAPPING ?? "integrated") as ModulusMapping;
  const subsamples = Number(process.env.BENCH_HIP_SUBSAMPLES ?? 5);
  const rows: BenchRow[] = [];
  for (const strength of criteria) {
    for (const h of sizes) {
      const t0 = performance.now(), c0 = process.cpuUsage();
      const { result: r } = analyzeHip(ct, { sex: "F", calibration: { kind: "phantom", phantom }, elementSize: h, strength, dxa: false, modulusMapping, subsamples });
      const seconds = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(c0);
      const cpuSeconds = (cpu.user + cpu.system) / 1e6;
      const row = {
        criterion: strength.criterion, elementSizeMm: h, elements: r.elements, dofs: r.dofs,
        strengthN: r.strengthN, stiffnessNPerMm: r.stiffnessNPerMm, kind: r.strength.nonlinearKind ?? "linear", linearN: r.strength.linearN,
        classification: r.classification, definitionId: r.strength.definition.id, modulusMapping, subsamples, seconds: +seconds.toFixed(2), cpuSeconds: +cpuSeconds.toFixed(2),
        stageSeconds: r.stageSeconds, warnings: r.warnings,
      };
      rows.push(row);
      process.stderr.write(`${strength.criterion} ${h} mm: ${r.strengthN} N, ${r.stiffnessNPerMm} N/mm, ${r.elements} elements, ${seconds.toFixed(1)} s wall, ${cpuSeconds.toFixed(1)} s CPU\n`);
    }
  }
  const file = writeConvergenceTable(root, "hip", rows);
  process.stderr.write(`written ${file}\n`);
}

main().catch((e) => {
  process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
