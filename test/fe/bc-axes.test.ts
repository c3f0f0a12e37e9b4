import { describe, expect, it } from "vitest";
import { createVoxelModel, voxelNodesWhere } from "../../lib/fe/voxel-model.js";
import { fixed } from "../../lib/fe/bc.js";
import { solve } from "../../lib/fe/solve/solve.js";

describe("rigid caps with local axes", () => {
  const m = createVoxelModel({ dims: [3, 3, 12], spacing: [1, 1, 1], mask: new Uint8Array(108).fill(1), modulus: 2000, poisson: 0.3 });
  const bottom = voxelNodesWhere(m, (_i, _j, k) => k === 0), top = voxelNodesWhere(m, (_i, _j, k) => k === 12);
  const ref = [1.5, 1.5, 12] as const;

  it("a cap whose first local axis is the model's z axis behaves as the model-axes cap", () => {
    const plain = solve(m, [...fixed(bottom), { kind: "rigid", nodes: top, reference: ref, displacement: [0, 0, -0.05, 0, 0, 0] }], { tol: 1e-10 });
    // columns: local 0 = z, local 1 = x, local 2 = y
    const axes = [0, 1, 0, 0, 0, 1, 1, 0, 0];
    const local = solve(m, [...fixed(bottom), { kind: "rigid", nodes: top, reference: ref, axes, displacement: [-0.05, 0, 0, 0, 0, 0] }], { tol: 1e-10 });
    expect(local.references[0].reaction[0]).toBeCloseTo(plain.references[0].reaction[2], 6);
    expect(local.references[0].reaction[1]).toBeCloseTo(plain.references[0].reaction[0], 6);
    for (let d = 0; d < plain.displacement.length; d++) expect(local.displacement[d]).toBeCloseTo(plain.displacement[d], 9);
  });

  it("an oblique prescribed translation with the others free equals the projection of the free response", () => {
    // Pull the top along a unit direction n in the x-z plane with the cap free across n: the cap
    // force must be along n only (no force across n), and the work F.u = F_n * delta.
    const n = [Math.sin(0.3), 0, Math.cos(0.3)];
    const a2 = [0, 1, 0], a3 = [n[1] * a2[2] - n[2] * a2[1], n[2] * a2[0] - n[0] * a2[2], n[0] * a2[1] - n[1] * a2[0]];
    const axes = [n[0], a2[0], a3[0], n[1], a2[1], a3[1], n[2], a2[2], a3[2]];
    const s = solve(m, [...fixed(bottom), { kind: "rigid", nodes: top, reference: ref, axes, displacement: [0.02, null, null, 0, 0, 0] }], { tol: 1e-11 });
    const r = s.references[0];
    expect(r.displacement[0]).toBeCloseTo(0.02, 12);
    expect(Math.abs(r.reaction[1])).toBeLessThan(1e-6 * Math.abs(r.reaction[0]));
    expect(Math.abs(r.reaction[2])).toBeLessThan(1e-6 * Math.abs(r.reaction[0]));
    // energy balance: 1/2 F delta = strain energy
    expect(0.5 * r.reaction[0] * 0.02).toBeCloseTo(s.strainEnergy, 6);
    // the cap's model-axis translation is A t: check the top nodes moved by at least the prescribed component along n
    let along = 0;
    for (const q of top) along += (s.displacement[3 * q] * n[0] + s.displacement[3 * q + 2] * n[2]) / top.length;
    expect(along).toBeCloseTo(0.02, 9);
  });

  it("rejects axes that are not orthonormal", () => {
    expect(() => solve(m, [...fixed(bottom), { kind: "rigid", nodes: top, reference: ref, axes: [1, 0, 0, 0, 2, 0, 0, 0, 1], displacement: [0, 0, -0.01] }])).toThrow(/not orthonormal/);
  });
});
