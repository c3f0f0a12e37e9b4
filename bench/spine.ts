/**
 * `npm run -s build && node dist/bench/spine.js`: the spine analysis of the embedded L3 phantom
 * (datasets/phantom/spine) at several element sizes, nonlinear (default) and linear, for the
 * mesh-convergence table and the run time. Writes bench/results/spine-<date>.json and prints a table.
 *
 * Options (env): BENCH_SPINE_SIZES=1.0,0.75 (element edges, mm), BENCH_SPINE_LINEAR=1 (also the
 * linear critical-volume criterion at each size), BENCH_SPINE_THREADS=1 (solver threads; 1 = serial, whose
 * CPU time is the honest figure on a machine shared with other work).
 * @module
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readScan } from "../lib/io/scan.js";
import { writeConvergenceTable, type BenchRow } from "./convergence.js";
import { analyzeSpine, type SpineStrengthChoice } from "../lib/pipeline/spine.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

async function main(): Promise<void> {
  const phantom = JSON.parse(readFileSync(join(root, "datasets/phantom/calibration-phantom.json"), "utf8"));
  const ct = (await readScan(join(root, "datasets/phantom/spine/ct.nii.gz"))).volume;
  const sizes = (process.env.BENCH_SPINE_SIZES ?? "1.0,0.75").split(",").map(Number);
  const criteria: SpineStrengthChoice[] = [{ criterion: "nonlinear-peak" }];
  if (process.env.BENCH_SPINE_LINEAR === "1") criteria.push({ criterion: "linear-critical-volume" });
  const threads = Number(process.env.BENCH_SPINE_THREADS ?? 1);
  const rows: BenchRow[] = [];
  for (const strength of criteria) {
    for (const h of sizes) {
      const t0 = performance.now(), c0 = process.cpuUsage();
      const { result: r } = analyzeSpine(ct, { sex: "F", calibration: { kind: "phantom", phantom }, elementSize: h, strength, dxa: false, threads });
      const seconds = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(c0);
      const cpuSeconds = (cpu.user + cpu.system) / 1e6;
      const row = {
        criterion: strength.criterion, elementSizeMm: h, elements: r.elements, dofs: r.dofs,
        strengthN: r.strengthN, stiffnessNPerMm: r.stiffnessNPerMm, kind: r.strength.kind ?? "linear", solves: r.strength.solves ?? 1,
        classification: r.classification, definitionId: r.strength.definition.id, threads, seconds: +seconds.toFixed(2), cpuSeconds: +cpuSeconds.toFixed(2),
        stageSeconds: r.stageSeconds, warnings: r.warnings,
      };
      rows.push(row);
      process.stderr.write(`${strength.criterion} ${h} mm: ${r.strengthN} N, ${r.stiffnessNPerMm} N/mm, ${r.elements} elements, ${seconds.toFixed(1)} s wall, ${cpuSeconds.toFixed(1)} s CPU (${threads} thread(s))\n`);
    }
  }
  const file = writeConvergenceTable(root, "spine", rows);
  process.stderr.write(`written ${file}\n`);
}

main().catch((e) => {
  process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
