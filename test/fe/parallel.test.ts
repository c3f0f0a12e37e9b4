import { describe, expect, it } from "vitest";
import { createPool } from "../../lib/parallel/pool.js";
import { createSolverEngine, createVoxelModel, fixed, layerChunks, solve, voxelNodesWhere } from "../../lib/fe/index.js";

describe("worker pool", () => {
  it("runs a kernel on every rank over shared memory, with a barrier between phases", () => {
    const pool = createPool(2, {
      // phase 1: each rank writes its half; phase 2 (after the barrier): each rank reads the other half
      swap: (ctx, t, a) => {
        const v = t.v as Float64Array, w = t.w as Float64Array;
        const h = v.length / ctx.size;
        for (let i = ctx.rank * h; i < (ctx.rank + 1) * h; i++) v[i] = a[0] * i;
        ctx.barrier();
        const o = (ctx.size - 1 - ctx.rank) * h;
        for (let i = 0; i < h; i++) w[ctx.rank * h + i] = v[o + i];
      },
    });
    try {
      const v = new Float64Array(new SharedArrayBuffer(8 * 1000)), w = new Float64Array(new SharedArrayBuffer(8 * 1000));
      pool.share({ v, w });
      for (let rep = 1; rep <= 20; rep++) {
        pool.run("swap", [rep]);
        expect(w[0]).toBe(rep * 500);
        expect(w[999]).toBe(rep * 499);
      }
    } finally {
      pool.close();
    }
  });

  it("reports a failing kernel instead of hanging", () => {
    const pool = createPool(2, { fail: (ctx) => { if (ctx.rank === 1) throw new Error("boom"); ctx.barrier(); } });
    expect(() => pool.run("fail")).toThrow(/worker/);
    pool.close();
  });
});

describe("parallel voxel solve", () => {
  it("gives the serial solution (two-colour layer sweep, no races)", () => {
    const dims: [number, number, number] = [12, 10, 60];
    const mask = Array.from({ length: 7200 }, (_, v) => ((v * 7919) % 13 < 11 ? 1 : 0));
    const E = mask.filter(Boolean).map((_, e) => 300 + ((e * 31) % 97) * 50);
    const m = createVoxelModel({ dims, spacing: [1, 1, 1], mask, modulus: E });
    const bottom = voxelNodesWhere(m, (_i, _j, k) => k === 0), top = voxelNodesWhere(m, (_i, _j, k) => k === 40);
    const bcs = [...fixed(bottom), { kind: "displacement" as const, nodes: top, component: 2 as const, value: -0.2 }];
    expect(layerChunks(m.dims, m.voxels, 2)).toBeDefined();
    const serial = solve(m, bcs, { tol: 1e-9 });
    const engine = createSolverEngine({ threads: 2 });
    try {
      const par = solve(m, bcs, { tol: 1e-9, engine });
      expect(par.threads).toBe(2);
      let d = 0, mag = 0;
      for (let q = 0; q < serial.displacement.length; q++) { d = Math.max(d, Math.abs(par.displacement[q] - serial.displacement[q])); mag = Math.max(mag, Math.abs(serial.displacement[q])); }
      expect(d / mag).toBeLessThan(1e-8);
    } finally {
      engine.close();
    }
  });
});
