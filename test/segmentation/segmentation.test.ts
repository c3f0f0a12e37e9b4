import { describe, expect, it } from "vitest";
import {
  close,
  connectedComponents,
  countMask,
  dice,
  dilate,
  erode,
  fillHoles,
  labelMask,
  largestComponent,
  squaredDistanceToSeeds,
  thresholdMask,
  SegmentationError,
  type Mask,
} from "../../lib/segmentation/index.js";
import { createVolume, type Vec3 } from "../../lib/volume/volume.js";

function mask(dims: Vec3, spacing: Vec3 = [1, 1, 1], set: (i: number, j: number, k: number) => boolean = () => false): Mask {
  const data = new Uint8Array(dims[0] * dims[1] * dims[2]);
  for (let k = 0, p = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++, p++) data[p] = set(i, j, k) ? 1 : 0;
  return createVolume({ dims, spacing, data });
}

describe("distance transform", () => {
  it("equals brute-force nearest-seed distance on an anisotropic grid", () => {
    const dims: Vec3 = [9, 7, 6], sp: Vec3 = [0.7, 1.3, 2.1];
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const m = mask(dims, sp, () => rnd() < 0.04);
    const seeds: Vec3[] = [];
    for (let k = 0, p = 0; k < 6; k++) for (let j = 0; j < 7; j++) for (let i = 0; i < 9; i++, p++) if (m.data[p]) seeds.push([i, j, k]);
    expect(seeds.length).toBeGreaterThan(2);
    const d2 = squaredDistanceToSeeds(m.data, dims, sp);
    for (let k = 0, p = 0; k < 6; k++) for (let j = 0; j < 7; j++) for (let i = 0; i < 9; i++, p++) {
      let best = Infinity;
      for (const s of seeds) best = Math.min(best, ((i - s[0]) * sp[0]) ** 2 + ((j - s[1]) * sp[1]) ** 2 + ((k - s[2]) * sp[2]) ** 2);
      expect(d2[p]).toBeCloseTo(best, 9);
    }
  });
  it("is infinite without seeds", () => {
    expect(squaredDistanceToSeeds(new Uint8Array(8), [2, 2, 2], [1, 1, 1])[3]).toBe(Infinity);
  });
});

describe("morphology", () => {
  it("dilating a point by r gives the lattice points of a ball (Gauss circle count)", () => {
    const m = mask([21, 21, 21], [1, 1, 1], (i, j, k) => i === 10 && j === 10 && k === 10);
    // number of integer points with x^2+y^2+z^2 <= 16 (r = 4): 257 (OEIS A000605, n = 4)
    expect(countMask(dilate(m, 4))).toBe(257);
  });
  it("erosion undoes dilation of a convex box and closing bridges a 1-voxel gap", () => {
    const box = mask([20, 20, 20], [1, 1, 1], (i, j, k) => i >= 5 && i < 15 && j >= 5 && j < 15 && k >= 5 && k < 15);
    expect(countMask(erode(dilate(box, 2), 2))).toBe(1000);
    expect(countMask(erode(box, 1))).toBe(512);
    const two = mask([20, 10, 10], [1, 1, 1], (i, j, k) => (i < 9 || i > 9) && j > 2 && j < 7 && k > 2 && k < 7);
    expect(connectedComponents(two, 26).count).toBe(2);
    expect(connectedComponents(close(two, 1.5), 26).count).toBe(1);
  });
});

describe("components", () => {
  it("counts 6- vs 26-connected parts and keeps the largest", () => {
    const m = mask([10, 10, 10], [1, 1, 1], (i, j, k) => (i < 3 && j < 3 && k < 3) || (i === 3 && j === 3 && k === 3) || (i > 6 && j > 6 && k > 5));
    expect(connectedComponents(m, 6).count).toBe(3);
    expect(connectedComponents(m, 26).count).toBe(2);
    expect(connectedComponents(m, 26).sizes.sort((a, b) => a - b)).toEqual([28, 36]);
    expect(countMask(largestComponent(m, 26))).toBe(36);
    expect(() => largestComponent(mask([3, 3, 3]))).toThrow(/mask is empty/);
  });
  it("fills an enclosed cavity but not an open one", () => {
    const shell = mask([9, 9, 9], [1, 1, 1], (i, j, k) => Math.max(Math.abs(i - 4), Math.abs(j - 4), Math.abs(k - 4)) === 3);
    expect(countMask(fillHoles(shell))).toBe(343);
    const open = mask([9, 9, 9], [1, 1, 1], (i, j, k) => Math.max(Math.abs(i - 4), Math.abs(j - 4), Math.abs(k - 4)) === 3 && !(i === 4 && j === 4 && k === 1));
    expect(countMask(fillHoles(open))).toBe(countMask(open));
  });
});

describe("masks", () => {
  it("thresholds, selects labels, computes Dice", () => {
    const v = createVolume({ dims: [4, 1, 1], data: new Float32Array([100, 200, 300, 400]) });
    expect(Array.from(thresholdMask(v, { lo: 150, hi: 300 }).data)).toEqual([0, 1, 1, 0]);
    const lab = createVolume({ dims: [4, 1, 1], data: new Uint8Array([0, 31, 30, 31]) });
    expect(Array.from(labelMask(lab, 31).data)).toEqual([0, 1, 0, 1]);
    expect(() => labelMask(lab, 75)).toThrow(/label 75 does not occur.*present: 0, 30, 31/);
    expect(() => labelMask(lab, 75)).toThrow(SegmentationError);
    // |A| = 2, |B| = 2, |A∩B| = 1 -> 0.5
    expect(dice({ data: new Uint8Array([1, 1, 0, 0]) }, { data: new Uint8Array([0, 1, 1, 0]) })).toBe(0.5);
  });
});
