import { describe, expect, it } from "vitest";
import { connectedComponents } from "../../lib/segmentation/components.js";
import { dilate, erode } from "../../lib/segmentation/morphology.js";
import { labelReferenceRegions, blockMean, regionOnGrid, sampleReferenceRegions, workingFactor } from "../../lib/segmentation/reference-tissues.js";
import { createVolume, indexToWorld, type Vec3 } from "../../lib/volume/volume.js";

/** A deterministic pseudo-random sequence in [0, 1). */
function rand(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** Brute-force ball morphology: the definition (voxel centres within r mm; outside the volume counts as set for erosion). */
function bruteBall(data: Uint8Array, dims: Vec3, spacing: Vec3, r: number, op: "erode" | "dilate"): Uint8Array {
  const [nx, ny, nz] = dims;
  const out = new Uint8Array(data.length);
  const m = spacing.map((h) => Math.ceil(r / h));
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
    let any = false, all = true;
    for (let c = -m[2]; c <= m[2]; c++) for (let b = -m[1]; b <= m[1]; b++) for (let a = -m[0]; a <= m[0]; a++) {
      if ((a * spacing[0]) ** 2 + (b * spacing[1]) ** 2 + (c * spacing[2]) ** 2 > r * r + 1e-9) continue;
      const x = i + a, y = j + b, z = k + c;
      if (x < 0 || y < 0 || z < 0 || x >= nx || y >= ny || z >= nz) continue;
      const v = data[x + nx * (y + ny * z)];
      any ||= v === 1;
      all &&= v === 1;
    }
    out[i + nx * (j + ny * k)] = op === "erode" ? (all ? 1 : 0) : any ? 1 : 0;
  }
  return out;
}

describe("morphology with small balls (stencil) and large balls (distance transform)", () => {
  const dims: Vec3 = [14, 11, 9];
  const r = rand(3);
  const data = Uint8Array.from({ length: 14 * 11 * 9 }, () => (r() < 0.7 ? 1 : 0));
  for (const [spacing, radius] of [[[1, 1, 1], 1], [[0.8, 0.8, 1.25], 1.25], [[3, 3, 3], 5], [[1, 1, 2], 2.9], [[0.5, 0.5, 0.5], 2.6]] as [Vec3, number][]) {
    it(`erode and dilate by ${radius} mm on ${spacing.join(" x ")} mm voxels match the definition`, () => {
      const m = createVolume({ dims, spacing, data });
      expect(Array.from(erode(m, radius).data)).toEqual(Array.from(bruteBall(data, dims, spacing, radius, "erode")));
      expect(Array.from(dilate(m, radius).data)).toEqual(Array.from(bruteBall(data, dims, spacing, radius, "dilate")));
    });
  }
});

describe("connected components", () => {
  it("labels the same partition as a naive union-find, 6 and 26 neighbours", () => {
    const dims: Vec3 = [13, 9, 7];
    const [nx, ny, nz] = dims;
    const r = rand(11);
    const data = Uint8Array.from({ length: nx * ny * nz }, () => (r() < 0.35 ? 1 : 0));
    for (const conn of [6, 26] as const) {
      const parent = Int32Array.from({ length: data.length }, (_, p) => p);
      const find = (p: number): number => (parent[p] === p ? p : (parent[p] = find(parent[p])));
      for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
        const p = i + nx * (j + ny * k);
        if (!data[p]) continue;
        for (let c = -1; c <= 1; c++) for (let b = -1; b <= 1; b++) for (let a = -1; a <= 1; a++) {
          const o = Math.abs(a) + Math.abs(b) + Math.abs(c);
          if (!o || (conn === 6 && o > 1)) continue;
          const x = i + a, y = j + b, z = k + c;
          if (x < 0 || y < 0 || z < 0 || x >= nx || y >= ny || z >= nz) continue;
          const q = x + nx * (y + ny * z);
          if (data[q]) parent[find(p)] = find(q);
        }
      }
      const cc = connectedComponents({ data, dims }, conn);
      const roots = new Set<number>();
      for (let p = 0; p < data.length; p++) if (data[p]) roots.add(find(p));
      expect(cc.count).toBe(roots.size);
      // same partition: voxels share a label exactly when they share a root
      const byLabel = new Map<number, number>();
      for (let p = 0; p < data.length; p++) {
        if (!data[p]) { expect(cc.labels[p]).toBe(0); continue; }
        const root = find(p);
        if (!byLabel.has(cc.labels[p])) byLabel.set(cc.labels[p], root);
        expect(byLabel.get(cc.labels[p])).toBe(root);
      }
    }
  });
});

describe("working grid of the reference-tissue search", () => {
  const dims: Vec3 = [7, 5, 4];
  const spacing: Vec3 = [0.8, 0.8, 1];
  const data = Int16Array.from({ length: 7 * 5 * 4 }, (_, p) => (p * 37) % 101 - 50);
  const ct = createVolume({ dims, spacing, origin: [10, -20, 5], direction: [0, 1, 0, -1, 0, 0, 0, 0, 1], data });

  it("chooses blocks of about the working spacing", () => {
    expect(workingFactor([0.78125, 0.78125, 1], 3)).toEqual([4, 4, 3]);
    expect(workingFactor([3, 3, 3], 3)).toEqual([1, 1, 1]);
    expect(workingFactor([0.5, 0.5, 0.5], 0)).toEqual([1, 1, 1]);
  });

  it("averages blocks (partial ones at the far faces) and centres each working voxel on its block", () => {
    const f: Vec3 = [3, 2, 2];
    const w = blockMean(ct, f);
    expect(w.dims).toEqual([3, 3, 2]);
    for (const [I, J, K] of [[0, 0, 0], [2, 2, 1], [1, 2, 0]] as Vec3[]) {
      let s = 0, c = 0;
      const centre = [0, 0, 0];
      for (let k = K * 2; k < Math.min(4, K * 2 + 2); k++) for (let j = J * 2; j < Math.min(5, J * 2 + 2); j++) for (let i = I * 3; i < Math.min(7, I * 3 + 3); i++) {
        s += data[i + 7 * (j + 5 * k)];
        c++;
        indexToWorld(ct, [i, j, k]).forEach((x, a) => (centre[a] += x));
      }
      expect(w.data[I + 3 * (J + 3 * K)]).toBeCloseTo(s / c, 4);
      // a full block's centre is the mean of its voxel centres
      if (c === 12) indexToWorld(w, [I, J, K]).forEach((x, a) => expect(x).toBeCloseTo(centre[a] / c, 9));
    }
  });

  it("samples the scan voxels of the set blocks at full resolution, every s-th beyond maxSamples", () => {
    const f: Vec3 = [3, 2, 2];
    const w = blockMean(ct, f);
    const m = createVolume({ dims: w.dims, spacing: w.spacing, origin: w.origin, direction: w.direction, data: new Uint8Array(18) });
    m.data[0] = 1;
    m.data[2 + 3 * (2 + 3 * 1)] = 1; // the far corner block: 1 x 1 x 2 voxels
    const full = regionOnGrid(ct, { mask: m, factor: f, offset: [0, 0, 0] });
    const expected: number[] = [];
    for (let p = 0; p < data.length; p++) if (full.data[p]) expected.push(data[p]);
    expect(expected.length).toBe(12 + 2);
    const s = sampleReferenceRegions(ct, { regions: { muscle: { mask: m, factor: f, offset: [0, 0, 0] } } });
    expect(Array.from(s.muscle!)).toEqual(expected);
    const capped = sampleReferenceRegions(ct, { regions: { muscle: { mask: m, factor: f, offset: [0, 0, 0] } } }, { maxSamples: 5 });
    // s = ceil(2 blocks x 12 voxels / 5) = 5
    expect(Array.from(capped.muscle!)).toEqual(expected.filter((_, i) => i % 5 === 0));
  });

  it("takes label-map ROIs eroded as on the whole scan, also where they touch its border", () => {
    const ld: Vec3 = [20, 18, 12];
    const r = rand(5);
    const hu = createVolume({ dims: ld, spacing: [1, 1, 1.5], data: Int16Array.from({ length: 20 * 18 * 12 }, () => Math.round(100 * r())) });
    const lab = new Uint8Array(hu.data.length);
    for (let k = 0; k < 12; k++) for (let j = 0; j < 18; j++) for (let i = 0; i < 20; i++) {
      const p = i + 20 * (j + 18 * k);
      if (i >= 3 && i < 12 && j >= 4 && j < 15 && k >= 2 && k < 10) lab[p] = 86; // muscle, inside
      if (i >= 14 && j < 9 && k >= 5) lab[p] = 52; // aorta, touching three faces
    }
    const labels = createVolume({ dims: ld, spacing: [1, 1, 1.5], data: lab });
    const got = labelReferenceRegions(hu, labels, { tissues: ["muscle", "blood"], erodeMm: 1.5 });
    for (const [t, id] of [["muscle", 86], ["blood", 52]] as const) {
      const m = erode(createVolume({ dims: ld, spacing: [1, 1, 1.5], data: Uint8Array.from(lab, (v) => (v === id ? 1 : 0)) }), 1.5);
      const want: number[] = [];
      for (let p = 0; p < m.data.length; p++) if (m.data[p]) want.push(hu.data[p]);
      expect(want.length).toBeGreaterThan(20);
      expect(Array.from(got.values[t]!)).toEqual(want);
    }
    expect(got.labels.blood).toEqual([52]);
  });
});
