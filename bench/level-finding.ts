/**
 * Level finding on a full-size scan: the TotalSegmentator example scan (3 mm) resampled onto a
 * 512 x 512 x 300 grid (0.715 x 0.715 x 1.12 mm, trilinear; air outside it), then the spine
 * analysis's first stage (lib/pipeline/level-finding findSpineTarget: 3 mm blocks, provisional
 * calibration, naming) for L1, and for comparison the full-resolution internal calibration that used
 * to come first (BENCH_FULL_CALIBRATION=1; minutes). Writes bench/results/level-finding.json.
 *
 * Run: `npm run -s build && node dist/bench/level-finding.js` (needs ../shared/data/totalseg-example).
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { applyCalibration } from "../lib/calibration/fit.js";
import { internalCalibration } from "../lib/calibration/internal.js";
import { readScan } from "../lib/io/scan.js";
import { coarseGrid, findSpineTarget, PROVISIONAL_CALIBRATION_GRID_MM } from "../lib/pipeline/level-finding.js";
import { surveyColumn } from "../lib/segmentation/spine-levels.js";
import { resampleToGrid } from "../lib/volume/resample.js";
import type { Vec3 } from "../lib/volume/volume.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const scan = join(resolve(process.env.BENCH_SHARED ?? join(root, "..", "shared")), "data/totalseg-example/example_ct.nii.gz");
const log = (s: string) => process.stderr.write(s + "\n");
const seconds = (t: number) => +((performance.now() - t) / 1000).toFixed(2);

async function main(): Promise<void> {
  const ct = (await readScan(scan)).volume;
  const dims: Vec3 = [512, 512, 300];
  const spacing: Vec3 = [0.715, 0.715, 1.12];
  let t = performance.now();
  const big = resampleToGrid(ct, { dims, spacing, origin: ct.origin, direction: ct.direction }, { fill: -1024 });
  log(`resampled to ${dims.join(" x ")} (${spacing.join(" x ")} mm) in ${seconds(t)} s`);
  t = performance.now();
  const coarse = coarseGrid(big);
  const coarseS = seconds(t);
  t = performance.now();
  const fit = internalCalibration(coarseGrid(coarse, PROVISIONAL_CALIBRATION_GRID_MM), { anatomy: "spine" }).fit;
  const calS = seconds(t);
  t = performance.now();
  surveyColumn(applyCalibration(coarse, fit));
  const surveyS = seconds(t);
  log(`steps: coarse grid ${coarseS} s, provisional calibration ${calS} s, naming ${surveyS} s`);
  t = performance.now();
  const target = findSpineTarget(big, { kind: "internal" }, { level: "L1" });
  const findS = seconds(t);
  log(`coarse grid ${coarse.dims.join(" x ")} in ${coarseS} s; L1 found (${target.naming?.levels.map((l) => l.name).join(" ")} from the ${target.naming?.namedFrom}) in ${findS} s`);
  const result: Record<string, unknown> = {
    date: new Date().toISOString(),
    scan: "TotalSegmentator example_ct.nii.gz resampled (trilinear) to 512 x 512 x 300, 0.715 x 0.715 x 1.12 mm",
    coarseGrid: { dims: coarse.dims, spacing: coarse.spacing, seconds: coarseS },
    provisionalCalibrationSeconds: calS,
    namingSeconds: surveyS,
    findSpineTargetSeconds: findS,
    level: target.level.name, levels: target.naming?.levels.map((l) => l.name), namedFrom: target.naming?.namedFrom, centre: target.level.centre,
  };
  if (process.env.BENCH_FULL_CALIBRATION === "1") {
    t = performance.now();
    internalCalibration(big, { anatomy: "spine" });
    result.fullResolutionInternalCalibrationSeconds = seconds(t);
    log(`full-resolution internal calibration ${result.fullResolutionInternalCalibrationSeconds} s`);
  }
  mkdirSync(join(root, "bench/results"), { recursive: true });
  writeFileSync(join(root, "bench/results/level-finding.json"), JSON.stringify(result, null, 1) + "\n");
}

main().catch((e) => {
  log(String(e?.stack ?? e));
  process.exit(1);
});
