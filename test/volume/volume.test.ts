import { describe, expect, it } from "vitest";
import {
  createVolume,
  cropVolume,
  boundingBox,
  indexToWorld,
  indexToWorldMatrix,
  resampleToGrid,
  resampleToSpacing,
  volumeStats,
  worldBounds,
  worldToIndex,
  VolumeError,
  type Mat3,
  type Vec3,
} from "../../lib/volume/index.js";

// A rotation of 30 degrees about the LPS z axis (columns are the i, j, k axes).
const c = Math.cos(Math.PI / 6), s = Math.sin(Math.PI / 6);
const ROT: Mat3 = [c, -s, 0, s, c, 0, 0, 0, 1];

describe("Volume geometry", () => {
  it("maps index to world as origin + D diag(spacing) ijk, and back", () => {
    const v = createVolume({ dims: [5, 6, 7], spacing: [0.5, 0.75, 2], origin: [10, -20, 30], direction: ROT });
    // Hand computation for ijk = (2, 4, 3): D * (1, 3, 6) + origin
    const w = indexToWorld(v, [2, 4, 3]);
    expect(w[0]).toBeCloseTo(10 + c * 1 - s * 3, 12);
    expect(w[1]).toBeCloseTo(-20 + s * 1 + c * 3, 12);
    expect(w[2]).toBeCloseTo(30 + 6, 12);
    const back = worldToIndex(v, w);
    back.forEach((x, a) => expect(x).toBeCloseTo([2, 4, 3][a], 12));
    const A = indexToWorldMatrix(v);
    expect(A[3]).toBe(10);
    expect(A[0]).toBeCloseTo(c * 0.5, 15);
    expect(A[1]).toBeCloseTo(-s * 0.75, 15);
  });

  it("rejects inconsistent geometry with specific messages", () => {
    expect(() => createVolume({ dims: [2, 2, 2], data: new Float32Array(7) })).toThrow(/7 values but dims 2x2x2 need 8/);
    expect(() => createVolume({ dims: [2, 2, 2], spacing: [1, 0, 1] })).toThrow(VolumeError);
    expect(() => createVolume({ dims: [2, 2, 2], direction: [1, 0, 0, 1, 0, 0, 0, 0, 1] })).toThrow(/orthonormal/);
    expect(() => createVolume({ dims: [0, 2, 2] })).toThrow(/positive integers/);
  });

  it("computes world bounds of the voxel centres", () => {
    const v = createVolume({ dims: [3, 3, 3], spacing: [1, 1, 2], origin: [0, 0, 0], direction: [-1, 0, 0, 0, -1, 0, 0, 0, 1] });
    const [lo, hi] = worldBounds(v);
    expect(lo).toEqual([-2, -2, 0]);
    expect(hi).toEqual([0, 0, 4]);
  });
});

describe("crop", () => {
  it("keeps every voxel at its world position", () => {
    const dims: Vec3 = [6, 5, 4];
    const data = new Int16Array(120).map((_, p) => p);
    const v = createVolume({ dims, spacing: [1, 2, 3], origin: [5, 5, 5], direction: ROT, data });
    const sub = cropVolume(v, { min: [1, 2, 1], max: [4, 5, 3] });
    expect(sub.dims).toEqual([3, 3, 2]);
    expect(sub.data).toBeInstanceOf(Int16Array);
    // voxel (0,0,0) of the crop is voxel (1,2,1) of the source, same world point
    expect(sub.data[0]).toBe(1 + 6 * (2 + 5 * 1));
    const a = indexToWorld(sub, [2, 1, 1]), b = indexToWorld(v, [3, 3, 2]);
    a.forEach((x, k) => expect(x).toBeCloseTo(b[k], 12));
    expect(sub.data[2 + 3 * (1 + 3 * 1)]).toBe(3 + 6 * (3 + 5 * 2));
    expect(() => cropVolume(v, { min: [0, 0, 0], max: [7, 5, 4] })).toThrow(/outside the volume/);
  });

  it("finds the bounding box of a predicate", () => {
    const v = createVolume({ dims: [5, 5, 5] });
    v.data[1 + 5 * (2 + 5 * 3)] = 1;
    v.data[3 + 5 * (2 + 5 * 4)] = 1;
    expect(boundingBox(v, (x) => x > 0)).toEqual({ min: [1, 2, 3], max: [4, 3, 5] });
    expect(boundingBox(v, (x) => x > 0, 1)).toEqual({ min: [0, 1, 2], max: [5, 4, 5] });
    expect(boundingBox(v, (x) => x > 5)).toBeNull();
  });
});

describe("resample", () => {
  // A linear field f(x) = 3 + 0.5 x - 2 y + 0.25 z of world position is reproduced exactly by
  // trilinear interpolation anywhere inside the source grid: an analytic reference.
  const f = (p: Vec3) => 3 + 0.5 * p[0] - 2 * p[1] + 0.25 * p[2];
  function linearVolume() {
    const v = createVolume({ dims: [12, 10, 8], spacing: [1, 1.5, 2], origin: [-4, 2, 1], direction: ROT });
    for (let k = 0, p = 0; k < 8; k++) for (let j = 0; j < 10; j++) for (let i = 0; i < 12; i++, p++) {
      v.data[p] = f(indexToWorld(v, [i, j, k]));
    }
    return v;
  }

  it("trilinear reproduces a linear field on a rotated target grid", () => {
    const v = linearVolume();
    const target = {
      dims: [6, 5, 4] as Vec3,
      spacing: [0.7, 0.9, 1.1] as Vec3,
      origin: indexToWorld(v, [3.2, 2.7, 2.1]),
      direction: [1, 0, 0, 0, 0, -1, 0, 1, 0] as Mat3,
    };
    const r = resampleToGrid(v, target);
    let maxErr = 0;
    for (let k = 0, p = 0; k < 4; k++) for (let j = 0; j < 5; j++) for (let i = 0; i < 6; i++, p++) {
      const w = indexToWorld(r, [i, j, k]);
      const idx = worldToIndex(v, w);
      if (idx.some((x, a) => x < 0 || x > v.dims[a] - 1)) continue;
      maxErr = Math.max(maxErr, Math.abs(r.data[p] - f(w)));
    }
    expect(maxErr).toBeLessThan(1e-4); // float32 storage
  });

  it("keeps the physical extent when changing spacing and nearest keeps labels", () => {
    const v = createVolume({ dims: [10, 10, 10], spacing: [1, 1, 1], origin: [0, 0, 0], data: new Uint8Array(1000) });
    for (let p = 0; p < 1000; p++) v.data[p] = p % 10 < 5 ? 1 : 2; // i < 5 -> label 1
    const r = resampleToSpacing(v, [2, 2, 2], { interpolation: "nearest" });
    expect(r.dims).toEqual([5, 5, 5]);
    // first centre moves by half the new minus old spacing: outer faces stay at -0.5
    expect(r.origin).toEqual([0.5, 0.5, 0.5]);
    const labels = new Set(r.data);
    expect([...labels].sort()).toEqual([1, 2]);
    // coarse centres x = 2.5 and 6.5 round to source i = 3 (label 1) and 7 (label 2)
    expect(r.data[1]).toBe(1);
    expect(r.data[3]).toBe(2);
  });

  it("fills outside the source", () => {
    const v = createVolume({ dims: [2, 2, 2], data: new Float32Array(8).fill(7) });
    const r = resampleToGrid(v, { dims: [3, 1, 1], spacing: [1, 1, 1], origin: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] }, { fill: -1000 });
    expect(Array.from(r.data)).toEqual([7, 7, -1000]);
  });
});

describe("stats", () => {
  it("computes mean and population SD, optionally under a mask", () => {
    const st = volumeStats({ data: new Float32Array([1, 2, 3, 4, NaN]) });
    expect(st).toMatchObject({ count: 4, min: 1, max: 4, mean: 2.5, nanCount: 1 });
    expect(st.std).toBeCloseTo(Math.sqrt(1.25), 12);
    const m = volumeStats({ data: new Int16Array([10, -5, 7]) }, new Uint8Array([1, 0, 1]));
    expect(m).toMatchObject({ count: 2, min: 7, max: 10, mean: 8.5 });
  });
});
