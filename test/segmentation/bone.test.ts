import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { readNifti } from "../../lib/io/nifti/index.js";
import { boneMask, clampDensity, fillHolesInView, separateByErosion } from "../../lib/segmentation/bone.js";
import { countMask, dice, labelMask, SegmentationError, type Mask } from "../../lib/segmentation/mask.js";
import { cropVolume } from "../../lib/volume/crop.js";
import { createVolume, type Vec3 } from "../../lib/volume/volume.js";
import { REPO_ROOT } from "../helpers/paths.js";

const HIP = resolve(REPO_ROOT, "datasets/phantom/hip");
const SLOPE = 1.25; // truth.json ctFormation.slopeHuPerMgCm3: bone HU = 1.25 rhoK (water-equivalent base)

function grid(dims: Vec3, f: (i: number, j: number, k: number) => number, spacing: Vec3 = [1, 1, 1]) {
  const data = new Float32Array(dims[0] * dims[1] * dims[2]);
  for (let k = 0, p = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++, p++) data[p] = f(i, j, k);
  return createVolume({ dims, spacing, data });
}

describe("bone mask on the synthetic hip phantom", () => {
  const ct = readNifti(resolve(HIP, "ct.nii.gz")).volume;
  const labels = readNifti(resolve(HIP, "labels.nii.gz")).volume;
  // a sub-volume around the hip joint keeps the test quick
  const box = { min: [40, 30, 30] as Vec3, max: [150, 150, 110] as Vec3 };
  const sub = cropVolume(ct, box);
  const truth = cropVolume(labels, box);
  const density = createVolume({ ...sub, data: Float32Array.from(sub.data, (h) => h / SLOPE) });

  it("segments femur and pelvis with Dice > 0.93 against the ground-truth labels", () => {
    const r = boneMask(density);
    const d = dice(r.mask, labelMask(truth, [1, 2]));
    expect(d).toBeGreaterThan(0.93); // measured 0.948 on the full scan at the default 150 mg/cm3
    expect(r.metalVoxels).toBe(0);
    expect(r.touchesBorder.length).toBeGreaterThan(0); // the femur and the pelvis leave the cropped box
    expect(r.warnings.join(" ")).toMatch(/touches the volume border/);
  });

  it("removes and reports metal above the bone range, and clamps it for material mapping", () => {
    const withMetal = createVolume({ ...density, data: Float32Array.from(density.data) });
    const [nx, ny] = withMetal.dims;
    let inserted = 0;
    for (let k = 30; k < 40; k++) for (let j = 50; j < 56; j++) for (let i = 40; i < 46; i++) (withMetal.data[i + nx * (j + ny * k)] = 3000 / SLOPE * 2), inserted++;
    const r = boneMask(withMetal);
    expect(r.metalVoxels).toBe(inserted);
    expect(r.warnings.join(" ")).toMatch(new RegExp(`${inserted} voxels exceed 2000 mg/cm3`));
    for (let k = 30; k < 40; k++) expect(r.mask.data[42 + nx * (52 + ny * k)]).toBe(0);
    const c = clampDensity(withMetal);
    expect(c.clampedHigh).toBe(inserted);
    expect(c.density.data.reduce((a, b) => Math.max(a, b), -Infinity)).toBe(2000);
    expect(c.warnings[0]).toMatch(/clamped/);
  });
});

describe("bone mask edge cases", () => {
  it("throws on an empty mask with the highest density in the message", () => {
    const v = grid([10, 10, 10], () => 40);
    expect(() => boneMask(v)).toThrow(SegmentationError);
    expect(() => boneMask(v)).toThrow(/highest non-metal density 40/);
  });
  it("throws below minVoxels and warns for a tiny bone with its voxel count", () => {
    const speck = grid([10, 10, 10], (i, j, k) => (i === 5 && j === 5 && k === 5 ? 800 : 0));
    expect(() => boneMask(speck)).toThrow(/only 1 voxels/);
    const small = grid([20, 20, 20], (i, j, k) => (Math.hypot(i - 10, j - 10, k - 10) <= 4 ? 800 : 0));
    const r = boneMask(small);
    expect(r.voxels).toBe(countMask(r.mask));
    expect(r.warnings.join(" ")).toMatch(new RegExp(`tiny: ${r.voxels} voxels`));
    expect(r.touchesBorder).toEqual([]);
  });
  it("fills a medullary canal that the end of the scan cuts open", () => {
    // a tube along k through the whole volume: cortex 800, canal 0
    const tube = grid([30, 30, 20], (i, j) => {
      const r = Math.hypot(i - 15, j - 15);
      return r <= 10 && r >= 7 ? 800 : 0;
    });
    const r = boneMask(tube);
    expect(r.touchesBorder).toEqual(["k-", "k+"]);
    const filled = fillHolesInView(r.mask);
    expect(filled.closedFaces).toEqual(["k-", "k+"]);
    expect(r.mask.data[15 + 30 * (15 + 30 * 10)]).toBe(1); // canal centre filled
  });
  it("keeps the component at a seed point", () => {
    const two = grid([40, 20, 20], (i, j, k) => (Math.hypot(i - 10, j - 10, k - 10) <= 6 || Math.hypot(i - 30, j - 10, k - 10) <= 4 ? 800 : 0));
    const big = boneMask(two);
    const seeded = boneMask(two, { seedWorld: [30, 10, 10] });
    expect(seeded.voxels).toBeLessThan(big.voxels);
    expect(seeded.mask.data[30 + 40 * (10 + 20 * 10)]).toBe(1);
    expect(() => boneMask(two, { seedWorld: [20, 2, 2] })).toThrow(/not in bone/);
  });
});

describe("separation by erosion", () => {
  it("cuts two balls joined by a thin bridge at the bridge", () => {
    const dims: Vec3 = [60, 30, 30];
    const inA = (i: number, j: number, k: number) => Math.hypot(i - 17, j - 15, k - 15) <= 10;
    const inB = (i: number, j: number, k: number) => Math.hypot(i - 42, j - 15, k - 15) <= 10;
    const bridge = (i: number, j: number, k: number) => i >= 26 && i <= 33 && Math.hypot(j - 15, k - 15) <= 1.5;
    const m: Mask = createVolume({ dims, data: Uint8Array.from(grid(dims, (i, j, k) => (inA(i, j, k) || inB(i, j, k) || bridge(i, j, k) ? 1 : 0)).data) });
    const x = (p: number) => p % 60;
    const s = separateByErosion(m, (p) => -x(p), (p) => x(p));
    expect(s.radiusMm).toBeLessThan(3);
    const a = createVolume({ dims, data: Uint8Array.from(s.labels, (l) => (l === 1 ? 1 : 0)) });
    const truthA = createVolume({ dims, data: Uint8Array.from(grid(dims, (i, j, k) => (inA(i, j, k) || (bridge(i, j, k) && i < 30) ? 1 : 0)).data) });
    expect(dice(a, truthA)).toBeGreaterThan(0.98);
    const solid = createVolume({ dims, data: Uint8Array.from(grid(dims, (i, j, k) => (i > 5 && i < 55 && j > 5 && j < 25 && k > 5 && k < 25 ? 1 : 0)).data) });
    expect(() => separateByErosion(solid, (p) => -x(p), (p) => x(p))).toThrow(/never separate/);
  });
});
