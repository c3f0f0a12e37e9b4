import { describe, expect, it } from "vitest";
import { voxelize, elementCentre, MeshError } from "../../lib/mesh/voxelize.js";
import { createVolume, indexToWorld, type Vec3 } from "../../lib/volume/volume.js";

function scene(dims: Vec3, spacing: Vec3, inside: (p: Vec3) => number) {
  const n = dims[0] * dims[1] * dims[2];
  const dens = createVolume({ dims, spacing, origin: [-10, 20, 5], data: new Float32Array(n) });
  const mask = createVolume({ dims, spacing, origin: [-10, 20, 5], data: new Uint8Array(n) });
  for (let k = 0, p = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++, p++) {
    const rho = inside(indexToWorld(dens, [i, j, k]));
    dens.data[p] = rho;
    mask.data[p] = rho > 0 ? 1 : 0;
  }
  return { dens, mask };
}

describe("voxelize", () => {
  it("meshes a sphere with the analytic volume and the true density", () => {
    const c: Vec3 = [-10 + 20, 20 + 20, 5 + 20], R = 12;
    const { dens, mask } = scene([80, 80, 80], [0.5, 0.5, 0.5], (p) => (Math.hypot(p[0] - c[0], p[1] - c[1], p[2] - c[2]) <= R ? 300 : 0));
    const g = voxelize(dens, mask, { elementSize: 1.5 });
    const vol = g.elements.length * 1.5 ** 3;
    const exact = (4 / 3) * Math.PI * R ** 3;
    expect(Math.abs(vol - exact) / exact).toBeLessThan(0.03);
    // the 0.5-fraction rule is unbiased for a smooth surface: closer than 1% here
    expect(Math.abs(vol - exact) / exact).toBeLessThan(0.01);
    // density of the bone part of each element is the bone's, not diluted (only trilinear edge blur)
    const interior = g.density.filter((_, q) => g.fraction[q] === 1);
    expect(interior.reduce((a, b) => a + b, 0) / interior.length).toBeGreaterThan(290);
    expect(g.removedFragments).toBe(0);
    // element centres lie inside the sphere's bounding cube
    const ctr = elementCentre(g, g.elements[0]);
    expect(Math.abs(ctr[2] - c[2])).toBeLessThanOrEqual(R + 1.5);
  });

  it("removes fragments that touch only at an edge or not at all, and warns", () => {
    const { dens, mask } = scene([20, 20, 20], [1, 1, 1], (p) => {
      const [i, j, k] = [p[0] + 10, p[1] - 20, p[2] - 5];
      if (i >= 2 && i < 10 && j >= 2 && j < 10 && k >= 2 && k < 10) return 200; // main block, 512 elements
      if (i === 10 && j === 10 && k >= 2 && k < 4) return 200; // edge-contact column: 2 elements
      if (i >= 14 && i < 16 && j >= 14 && j < 16 && k >= 14 && k < 16) return 200; // island: 8 elements
      return 0;
    });
    const g = voxelize(dens, mask, { elementSize: 1, subsamples: 1 });
    expect(g.elements.length).toBe(512);
    expect(g.removedFragments).toBe(2);
    expect(g.removedElements).toBe(10);
    expect(g.warnings.join()).toMatch(/2 floating fragment\(s\) of 10 element/);
    const all = voxelize(dens, mask, { elementSize: 1, subsamples: 1, keepFragments: true });
    expect(all.elements.length).toBe(522);
  });

  it("gives clear errors for empty masks and too coarse elements", () => {
    const { dens, mask } = scene([10, 10, 10], [1, 1, 1], () => 0);
    expect(() => voxelize(dens, mask, { elementSize: 1 })).toThrow(MeshError);
    expect(() => voxelize(dens, mask, { elementSize: 1 })).toThrow(/mask is empty/);
    const one = scene([10, 10, 10], [1, 1, 1], (p) => (p[0] === -5 && p[1] === 25 && p[2] === 10 ? 100 : 0));
    expect(() => voxelize(one.dens, one.mask, { elementSize: 4 })).toThrow(/too small for this element size/);
  });
});

describe("voxel surface", () => {
  it("is closed, outward and encloses exactly the element volume; STL has 50 bytes per triangle", async () => {
    const { voxelSurface, enclosedVolume, stlBinary } = await import("../../lib/mesh/surface.js");
    // an L-shaped set of 3 elements of 2 mm, rotated axes
    const g = {
      dims: [2, 2, 1] as Vec3, elementSize: [2, 2, 2] as Vec3, origin: [5, 6, 7] as Vec3,
      direction: [0, -1, 0, 1, 0, 0, 0, 0, 1] as [number, number, number, number, number, number, number, number, number],
      elements: Int32Array.from([0, 1, 2]),
    };
    const s = voxelSurface(g);
    expect(s.triangles.length / 3).toBe(2 * 14); // an L of 3 cubes has 14 exposed faces
    expect(enclosedVolume(s)).toBeCloseTo(3 * 8, 9);
    // closed: every edge is used exactly twice, in opposite directions
    const edges = new Map<string, number>();
    for (let t = 0; t < s.triangles.length; t += 3) for (let a = 0; a < 3; a++) {
      const u = s.triangles[t + a], v = s.triangles[t + ((a + 1) % 3)];
      edges.set(`${u},${v}`, (edges.get(`${u},${v}`) ?? 0) + 1);
    }
    for (const [k, n] of edges) {
      const [u, v] = k.split(",");
      expect(n).toBe(1);
      expect(edges.get(`${v},${u}`)).toBe(1);
    }
    expect(stlBinary(s).length).toBe(84 + 50 * 28);
  });
});

describe("element field export", () => {
  it("puts each element's value at its centre in the world, round trip through NIfTI", async () => {
    const { elementFieldVolume } = await import("../../lib/mesh/export.js");
    const { niftiBuffer, readNiftiBuffer } = await import("../../lib/io/nifti/index.js");
    const { worldToIndex } = await import("../../lib/volume/volume.js");
    const { elementCentre } = await import("../../lib/mesh/voxelize.js");
    const g = {
      dims: [3, 2, 2] as Vec3, elementSize: [1.5, 1.5, 1.5] as Vec3, origin: [10, -4, 7] as Vec3,
      direction: [0, -1, 0, 1, 0, 0, 0, 0, 1] as [number, number, number, number, number, number, number, number, number],
      elements: Int32Array.from([1, 4, 11]),
    };
    const v = elementFieldVolume(g, [100, 200, 300], -1);
    for (const [q, e] of [...g.elements].entries()) {
      const ijk = worldToIndex(v, elementCentre(g, e)).map((x) => Math.round(x * 1e9) / 1e9);
      expect(v.data[ijk[0] + 3 * (ijk[1] + 2 * ijk[2])]).toBe([100, 200, 300][q]);
    }
    expect(v.data[0]).toBe(-1);
    const back = readNiftiBuffer(niftiBuffer(v, { datatype: "float32" })).volume;
    expect(Array.from(back.data)).toEqual(Array.from(v.data));
    back.origin.forEach((x, c) => expect(x).toBeCloseTo(v.origin[c], 4));
    expect(() => elementFieldVolume(g, [1, 2])).toThrow(/2 values for 3 elements/);
  });
});
