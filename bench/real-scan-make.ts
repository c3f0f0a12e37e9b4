/**
 * A full-size clinical test scan for benchmarks, made from the small real scan: the TotalSegmentator
 * example CT (122 x 101 x 112 voxels of 3 mm, abdomen-pelvis, T11 to the sacrum, both hips) resampled
 * trilinearly onto a clinical grid of 512 x 512 x 336 voxels of 0.78125 x 0.78125 x 1 mm (a 400 mm
 * field of view, the same direction and centre), with a little Gaussian noise (default SD 10 HU,
 * seeded: a 3 mm scan interpolated to 0.78 mm is smoother than a real thin-slice scan), written as
 * int16 NIfTI; its vertebra label map beside it by nearest neighbour (uint8). Nothing is committed:
 * the files go to a temporary folder.
 *
 * Usage (after `npm run build`): `node dist/bench/real-scan-make.js [outDir]`
 * (env BENCH_SHARED=../shared, BENCH_NOISE_HU=10, BENCH_SLICES=336). Prints the paths as JSON.
 * @module
 */
import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readNifti, writeNifti } from "../lib/io/nifti/index.js";
import { gaussianAt } from "../lib/synthetic/rng.js";
import { resampleToGrid, type GridGeometry } from "../lib/volume/resample.js";
import { createVolume, indexToWorld, type Vec3, type Volume } from "../lib/volume/volume.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The clinical target grid: `dims` voxels of `spacing`, centred on the source scan, same direction. */
export function clinicalGrid(src: Volume, dims: Vec3 = [512, 512, 336], spacing: Vec3 = [0.78125, 0.78125, 1]): GridGeometry {
  const centre = indexToWorld(src, src.dims.map((d) => (d - 1) / 2));
  const half = indexToWorld({ spacing, origin: [0, 0, 0], direction: src.direction }, dims.map((d) => (d - 1) / 2));
  return { dims, spacing, direction: src.direction, origin: [centre[0] - half[0], centre[1] - half[1], centre[2] - half[2]] };
}

/** Make the full-size bench scan (and its label map) in `outDir`; returns the paths. */
export function makeRealBenchScan(outDir: string, opts: { shared?: string; noiseHu?: number; slices?: number } = {}): { ct: string; levels: string; dims: Vec3; spacing: Vec3 } {
  const shared = opts.shared ?? join(root, "..", "shared");
  const dir = join(shared, "data", "totalseg-example");
  const src = readNifti(join(dir, "example_ct.nii.gz")).volume;
  const lev = readNifti(join(dir, "example_ct_vertebrae_levels.nii.gz")).volume;
  const grid = clinicalGrid(src, [512, 512, opts.slices ?? 336]);
  const ct = resampleToGrid(src, grid, { interpolation: "linear", fill: -1000 });
  const sd = opts.noiseHu ?? 10;
  const hu = new Int16Array(ct.data.length); // air outside the source field of view: -1000 (the fill) plus the noise
  for (let p = 0; p < hu.length; p++) hu[p] = Math.max(-1024, Math.min(3071, Math.round(ct.data[p] + sd * gaussianAt(7, p))));
  const labels = resampleToGrid(lev, grid, { interpolation: "nearest", fill: 0 });
  mkdirSync(outDir, { recursive: true });
  const ctPath = join(outDir, "ct-512.nii.gz"), levPath = join(outDir, "levels-512.nii.gz");
  writeNifti(createVolume({ ...grid, data: hu }), ctPath, { datatype: "int16" });
  writeNifti(createVolume({ ...grid, data: Uint8Array.from(labels.data) }), levPath, { datatype: "uint8" });
  return { ct: ctPath, levels: levPath, dims: grid.dims, spacing: grid.spacing };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const out = resolve(process.argv[2] ?? join(tmpdir(), "bct-bench-real"));
  const shared = process.env.BENCH_SHARED ? resolve(process.env.BENCH_SHARED) : undefined;
  if (!existsSync(join(shared ?? join(root, "..", "shared"), "data", "totalseg-example", "example_ct.nii.gz"))) {
    process.stderr.write("the shared real scan (../shared/data/totalseg-example) is missing\n");
    process.exit(2);
  }
  const t = Date.now();
  const r = makeRealBenchScan(out, { shared, noiseHu: process.env.BENCH_NOISE_HU ? Number(process.env.BENCH_NOISE_HU) : undefined, slices: process.env.BENCH_SLICES ? Number(process.env.BENCH_SLICES) : undefined });
  process.stdout.write(JSON.stringify({ ...r, seconds: (Date.now() - t) / 1000 }) + "\n");
}
