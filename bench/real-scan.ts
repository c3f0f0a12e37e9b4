/**
 * `node dist/bench/real-scan.js`: the stages this branch owns on a full-size clinical grid, measured
 * separately (so the figures stay meaningful when the strength model changes), and the whole
 * `bct analyze --site spine --labels` under /usr/bin/time -v (wall, CPU, peak RSS). The scan is made
 * by real-scan-make (the shared real scan resampled to 512 x 512 x 336 at 0.78 x 0.78 x 1 mm) in
 * BENCH_WORK (default $TMPDIR/bct-bench-real), not committed. Writes bench/real-scan-results.json.
 *
 * Env: BENCH_WORK, BENCH_SHARED, BENCH_FULL=1 (also the full-resolution reference-tissue search, the
 * pre-change route: minutes), BENCH_CLI=0 (skip the CLI run).
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { applyCalibration } from "../lib/calibration/fit.js";
import { internalCalibration } from "../lib/calibration/internal.js";
import { phantomCalibration, type PhantomDefinition } from "../lib/calibration/phantom.js";
import { readNifti } from "../lib/io/nifti/index.js";
import { labelMaskOnGrid } from "../lib/segmentation/labels.js";
import { isolateVertebralBody } from "../lib/segmentation/vertebra.js";
import { voxelize } from "../lib/mesh/voxelize.js";
import { resampleToGrid } from "../lib/volume/resample.js";
import { createVolume } from "../lib/volume/volume.js";
import { clinicalGrid, makeRealBenchScan } from "./real-scan-make.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const work = resolve(process.env.BENCH_WORK ?? join(tmpdir(), "bct-bench-real"));
const shared = process.env.BENCH_SHARED ? resolve(process.env.BENCH_SHARED) : undefined;
const log = (s: string) => process.stderr.write(s + "\n");

/** Wall and CPU seconds of `fn`. */
function timed<T>(name: string, fn: () => T, out: Record<string, { wallS: number; cpuS: number }>): T {
  const c0 = process.cpuUsage(), t0 = performance.now();
  const r = fn();
  const c = process.cpuUsage(c0);
  out[name] = { wallS: +((performance.now() - t0) / 1000).toFixed(3), cpuS: +((c.user + c.system) / 1e6).toFixed(3) };
  log(`${name}: ${out[name].wallS} s wall, ${out[name].cpuS} s CPU`);
  return r;
}

function main(): void {
  mkdirSync(work, { recursive: true });
  const ctPath = join(work, "ct-512.nii.gz"), levPath = join(work, "levels-512.nii.gz");
  if (!existsSync(ctPath) || !existsSync(levPath)) log(`made ${JSON.stringify(makeRealBenchScan(work, { shared }))}`);
  const stages: Record<string, { wallS: number; cpuS: number }> = {};
  const ct = timed("read (NIfTI int16, gzip)", () => readNifti(ctPath).volume, stages);
  const levels = timed("read labels", () => readNifti(levPath).volume, stages);
  const cal = timed("internal calibration (3 mm working grid)", () => internalCalibration(ct, { anatomy: "spine" }), stages);
  const full = process.env.BENCH_FULL === "1" ? timed("internal calibration (full-resolution search)", () => internalCalibration(ct, { anatomy: "spine", workingSpacingMm: 0 }), stages) : undefined;
  const density = timed("density (HU -> mg/cm3 K2HPO4)", () => applyCalibration(ct, cal.fit), stages);
  const body = timed("segmentation (L1 label -> vertebral body)", () => isolateVertebralBody(labelMaskOnGrid(levels, 31, ct).mask).body, stages);
  const grid = timed("mesh (1 mm voxel elements)", () => voxelize(density, body, { elementSize: 1 }), stages);
  // the embedded hip phantom (rods under the patient) on the same clinical grid
  const hip = readNifti(join(root, "datasets/phantom/hip/ct.nii.gz")).volume;
  const phantomCt = createVolume({ ...clinicalGrid(hip, [512, 512, 300]), data: Int16Array.from(resampleToGrid(hip, clinicalGrid(hip, [512, 512, 300]), { fill: -1000 }).data, Math.round) });
  const def = JSON.parse(readFileSync(join(root, "datasets/phantom/calibration-phantom.json"), "utf8")) as PhantomDefinition;
  const ph = timed("phantom calibration (rod search, 512 x 512 x 300)", () => phantomCalibration(phantomCt, def), stages);
  const phFull = timed("phantom calibration (full-resolution rod search)", () => phantomCalibration(phantomCt, def, { workingPixelMm: 0 }), stages);
  const result: Record<string, unknown> = {
    date: new Date().toISOString(), machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg() },
    scan: { dims: ct.dims, spacing: ct.spacing, source: "TotalSegmentator example CT resampled (trilinear, 10 HU noise) by bench/real-scan-make" },
    stages,
    calibration: {
      internal: { slope: cal.fit.slope, intercept: cal.fit.intercept, effectiveEnergyKeV: cal.effectiveEnergyKeV, samples: cal.samples.map((s) => ({ tissue: s.tissue, hu: s.hu, voxels: s.voxels })) },
      internalFull: full && { slope: full.fit.slope, effectiveEnergyKeV: full.effectiveEnergyKeV, slopeRatio: cal.fit.slope / full.fit.slope, samples: full.samples.map((s) => ({ tissue: s.tissue, hu: s.hu, voxels: s.voxels })) },
      phantom: { slope: ph.fit.slope, fullSlope: phFull.fit.slope, slopeRatio: ph.fit.slope / phFull.fit.slope },
    },
    mesh: { elements: grid.elements.length },
  };
  if (process.env.BENCH_CLI !== "0") result.cli = cliRun(ctPath, levPath);
  const out = join(root, "bench", "real-scan-results.json");
  writeFileSync(out, JSON.stringify(result, null, 1) + "\n");
  log(`wrote ${out}`);
}

/** `bct analyze --site spine --labels --level L1 --calibration internal` under /usr/bin/time -v. */
function cliRun(ctPath: string, levPath: string): Record<string, unknown> {
  const outDir = join(work, "analyze");
  const args = ["bin/bct.js", "analyze", ctPath, "--site", "spine", "--labels", levPath, "--level", "L1", "--calibration", "internal", "--out", outDir];
  const r = spawnSync("/usr/bin/time", ["-v", "node", ...args], { cwd: root, encoding: "utf8" });
  const grab = (re: RegExp) => Number(r.stderr.match(re)?.[1]);
  const wall = r.stderr.match(/Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)/);
  const wallS = wall ? Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]) : NaN;
  const res = existsSync(join(outDir, "result.json")) ? JSON.parse(readFileSync(join(outDir, "result.json"), "utf8")) : null;
  const cli = {
    command: `node ${args.join(" ")}`, exit: r.status, wallS, userS: grab(/User time \(seconds\): ([\d.]+)/), sysS: grab(/System time \(seconds\): ([\d.]+)/),
    peakRssMB: Math.round(grab(/Maximum resident set size \(kbytes\): (\d+)/) / 1024), stageSeconds: res?.stageSeconds, strengthN: res?.strengthN, calibrationSlope: res?.calibration?.slope,
  };
  log(`cli: ${JSON.stringify(cli)}`);
  return cli;
}

main();
