import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { internalCalibration, robustMean } from "../../lib/calibration/internal.js";
import { phantomCalibration, type PhantomDefinition } from "../../lib/calibration/phantom.js";
import { readNifti } from "../../lib/io/nifti/index.js";
import { resampleToGrid } from "../../lib/volume/resample.js";
import { createVolume, type Vec3 } from "../../lib/volume/volume.js";
import { readFileSync } from "node:fs";
import { REPO_ROOT, TOTALSEG, describeWithShared } from "../helpers/paths.js";

/** The definition of the robust mean, by sorting (the reference the histogram route must reproduce). */
function sortedRobustMean(values: number[], k = 3) {
  const a = [...values].sort((x, y) => x - y);
  const n = a.length;
  const mid = (s: number[]) => (n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2);
  const med = mid(a);
  const mad = mid(a.map((x) => Math.abs(x - med)).sort((x, y) => x - y));
  const lim = mad > 0 ? k * 1.4826 * mad : 0.5;
  const kept = a.filter((x) => Math.abs(x - med) <= lim);
  return { mean: kept.reduce((s, x) => s + x, 0) / kept.length, median: med, sd: 1.4826 * mad, kept: kept.length };
}

describe("robust mean of many CT numbers (histogram route)", () => {
  for (const n of [5001, 6000]) {
    it(`equals the sorted definition for ${n} integer values with outliers`, () => {
      let s = 12345;
      const r = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
      const v = Array.from({ length: n }, (_, i) => (i % 97 === 0 ? 3000 - i : Math.round(40 + 25 * (r() + r() + r() - 1.5))));
      const got = robustMean(Int16Array.from(v));
      const want = sortedRobustMean(v);
      expect(got.median).toBe(want.median);
      expect(got.sd).toBeCloseTo(want.sd, 12);
      expect(got.kept).toBe(want.kept);
      expect(got.mean).toBeCloseTo(want.mean, 9);
      expect(got.n).toBe(n);
    });
  }
  it("falls back to sorting for non-integer values", () => {
    const v = Array.from({ length: 5000 }, (_, i) => 40.25 + (i % 13) * 0.5);
    expect(robustMean(Float32Array.from(v)).mean).toBeCloseTo(sortedRobustMean(v).mean, 6);
  });
});

/** Relative slope difference of the fast (3 mm working grid) and full (scan grid) routes. */
function routes(ct: Parameters<typeof internalCalibration>[0], opts: Parameters<typeof internalCalibration>[1]) {
  const fast = internalCalibration(ct, opts);
  const full = internalCalibration(ct, { ...opts, workingSpacingMm: 0 });
  return { fast, full, rel: Math.abs(fast.fit.slope / full.fit.slope - 1) };
}

describe("internal calibration: the working-grid search gives the fit of the full-resolution search", () => {
  it("on the embedded spine phantom (3 x 3 x 2 blocks)", () => {
    const ct = readNifti(resolve(REPO_ROOT, "datasets/phantom/spine/ct.nii.gz")).volume;
    const { fast, full, rel } = routes(ct, { anatomy: "spine", waterDisplacement: 0 });
    expect(fast.samples.map((s) => s.tissue)).toEqual(full.samples.map((s) => s.tissue));
    expect(rel).toBeLessThan(0.01);
    expect(Math.abs(fast.effectiveEnergyKeV - full.effectiveEnergyKeV)).toBeLessThanOrEqual(1);
  });
  it("on the embedded hip phantom (3 x 3 x 2 blocks)", () => {
    const ct = readNifti(resolve(REPO_ROOT, "datasets/phantom/hip/ct.nii.gz")).volume;
    const { fast, full, rel } = routes(ct, { anatomy: "hip", waterDisplacement: 0 });
    expect(fast.samples.map((s) => s.tissue)).toEqual(["air", "adipose", "muscle"]);
    expect(rel).toBeLessThan(0.01);
    for (const s of fast.samples) expect(Math.abs(s.hu - full.samples.find((f) => f.tissue === s.tissue)!.hu)).toBeLessThan(1);
  });
});

describeWithShared("internal calibration on the real scan: working grid vs full resolution", () => {
  it("on the real 3 mm scan the working grid is the scan's own grid: the same fit", () => {
    const ct = readNifti(resolve(TOTALSEG, "example_ct.nii.gz")).volume;
    const { fast, full } = routes(ct, { anatomy: "spine" });
    expect(fast.fit.slope).toBe(full.fit.slope);
    expect(fast.samples.map((s) => s.voxels)).toEqual(full.samples.map((s) => s.voxels));
  });
  it("on the real scan resampled to 1.5 mm pixels (2 x 2 x 1 blocks), slope within 1%", () => {
    const src = readNifti(resolve(TOTALSEG, "example_ct.nii.gz")).volume;
    // the upper abdomen (T11-L3: aorta, paraspinal muscle, fat), 1.5 mm pixels, 3 mm slices
    const k0 = 64, nz = 48;
    const grid = {
      dims: [2 * src.dims[0], 2 * src.dims[1], nz] as Vec3,
      spacing: [1.5, 1.5, 3] as Vec3,
      direction: src.direction,
      origin: [0, 1, 2].map((c) => src.origin[c] + src.direction[3 * c] * -0.75 + src.direction[3 * c + 1] * -0.75 + src.direction[3 * c + 2] * 3 * k0) as Vec3,
    };
    const ct = createVolume({ ...grid, data: Int16Array.from(resampleToGrid(src, grid, { fill: -1000 }).data, Math.round) });
    const { fast, full, rel } = routes(ct, { anatomy: "spine" });
    expect(fast.samples.map((s) => s.tissue)).toEqual(["air", "adipose", "muscle", "blood"]);
    expect(full.samples.map((s) => s.tissue)).toEqual(["air", "adipose", "muscle", "blood"]);
    expect(rel).toBeLessThan(0.01);
  });
});

describe("phantom calibration: the rod search on a working image gives the fit of the full-resolution search", () => {
  const def = JSON.parse(readFileSync(resolve(REPO_ROOT, "datasets/phantom/calibration-phantom.json"), "utf8")) as PhantomDefinition;
  for (const site of ["hip", "spine"]) {
    it(`on the embedded ${site} phantom`, () => {
      const ct = readNifti(resolve(REPO_ROOT, `datasets/phantom/${site}/ct.nii.gz`)).volume;
      const fast = phantomCalibration(ct, def);
      const full = phantomCalibration(ct, def, { workingPixelMm: 0 });
      expect(Math.abs(fast.fit.slope / full.fit.slope - 1)).toBeLessThan(0.01);
      for (let r = 0; r < def.rods.length; r++) {
        expect(Math.hypot(...[0, 1, 2].map((c) => fast.rods[r].centre[c] - full.rods[r].centre[c]))).toBeLessThan(1); // mm
      }
    });
  }
});
