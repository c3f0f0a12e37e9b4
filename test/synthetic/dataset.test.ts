/**
 * The shipped phantom datasets (datasets/phantom/{hip,spine}) read back with the geometry of their
 * truth, agree between DICOM and NIfTI, and equal a fresh in-memory generation, so the shipped
 * files never drift from the generator.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readDicomSeries } from "../../lib/io/dicom/index.js";
import { readNifti } from "../../lib/io/nifti/index.js";
import { generateHipScan } from "../../lib/synthetic/hip-scan.js";
import { GENERATOR_VERSION, type SyntheticScan } from "../../lib/synthetic/scan.js";
import { generateSpineScan } from "../../lib/synthetic/spine-scan.js";
import type { Vec3, Volume } from "../../lib/volume/volume.js";

const ROOT = join(import.meta.dirname, "..", "..", "datasets", "phantom");

interface Truth {
  generator: { version: string };
  seed: number;
  grid: { dims: Vec3; spacing: Vec3; origin: Vec3; direction: number[] };
  ctFormation: { supersampling: number; noise: { sdHu: number } };
  labels: { value: number; voxelCount: number }[];
  dicom: { seriesInstanceUid: string };
}

function expectGeometry(v: Volume, g: Truth["grid"]) {
  expect([...v.dims]).toEqual([...g.dims]);
  for (let c = 0; c < 3; c++) {
    expect(Math.abs(v.spacing[c] - g.spacing[c])).toBeLessThan(1e-4);
    expect(Math.abs(v.origin[c] - g.origin[c])).toBeLessThan(1e-3);
  }
  for (let c = 0; c < 9; c++) expect(Math.abs(v.direction[c] - g.direction[c])).toBeLessThan(1e-6);
}

/** Compare slices [k0, k1) of a full-grid volume with a generated block covering exactly those slices. */
function expectSlicesEqual(full: Volume, block: Volume, k0: number) {
  const nxy = full.dims[0] * full.dims[1];
  const a = full.data.subarray(k0 * nxy, k0 * nxy + block.data.length);
  let differ = 0;
  for (let p = 0; p < a.length; p++) if (a[p] !== block.data[p]) differ++;
  expect(differ).toBe(0);
}

for (const kind of ["hip", "spine"] as const) {
  describe(`shipped ${kind} phantom`, () => {
    const dir = join(ROOT, kind);

    it("is present with all its files", () => {
      for (const f of ["dicom", "ct.nii.gz", "density.nii.gz", "labels.nii.gz", "tissues.nii.gz", "truth.json"]) {
        expect(existsSync(join(dir, f)), `${join(dir, f)} (regenerate: npm run build && node bin/bct.js phantom datasets/phantom)`).toBe(true);
      }
    });

    it("reads back from DICOM and NIfTI with the truth geometry and identical HU; equals a fresh generation", async () => {
      const truth = JSON.parse(readFileSync(join(dir, "truth.json"), "utf8")) as Truth;
      expect(truth.generator.version).toBe(GENERATOR_VERSION);
      const dcm = await readDicomSeries(join(dir, "dicom"));
      const nii = readNifti(join(dir, "ct.nii.gz"));
      expectGeometry(dcm.volume, truth.grid);
      expectGeometry(nii.volume, truth.grid);
      expect(dcm.series.seriesInstanceUid).toBe(truth.dicom.seriesInstanceUid);
      const a = dcm.volume.data, b = nii.volume.data;
      expect(a.length).toBe(b.length);
      let differ = 0;
      for (let p = 0; p < a.length; p++) if (a[p] !== b[p]) differ++;
      expect(differ).toBe(0);

      const density = readNifti(join(dir, "density.nii.gz")).volume;
      const labels = readNifti(join(dir, "labels.nii.gz")).volume;
      const tissues = readNifti(join(dir, "tissues.nii.gz")).volume;
      for (const v of [density, labels, tissues]) expectGeometry(v, truth.grid);

      // Per-label voxel counts in truth.json are those of labels.nii.gz.
      const count = new Map<number, number>();
      for (const l of labels.data) count.set(l, (count.get(l) ?? 0) + 1);
      for (const l of truth.labels) expect(count.get(l.value) ?? 0).toBe(l.voxelCount);

      // A fresh generation of a few slices (bottom, middle, top) is identical, voxel for voxel.
      const nz = truth.grid.dims[2];
      const [nx, ny] = truth.grid.dims;
      for (const [k0, k1] of [[0, 1], [Math.floor(nz / 2), Math.floor(nz / 2) + 2], [nz - 1, nz]]) {
        const opts = { seed: truth.seed, scanner: { supersampling: truth.ctFormation.supersampling }, box: { min: [0, 0, k0] as Vec3, max: [nx, ny, k1] as Vec3 } };
        const fresh: SyntheticScan = kind === "hip" ? generateHipScan(opts) : generateSpineScan(opts);
        expectSlicesEqual(dcm.volume, fresh.ct, k0);
        expectSlicesEqual(density, fresh.density, k0);
        expectSlicesEqual(labels, fresh.labels, k0);
        expectSlicesEqual(tissues, fresh.tissues, k0);
      }
    });
  });
}
