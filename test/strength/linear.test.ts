import { describe, expect, it } from "vitest";
import { createVoxelModel, voxelNodesWhere } from "../../lib/fe/voxel-model.js";
import { solve } from "../../lib/fe/solve/solve.js";
import { linearStrength } from "../../lib/strength/linear.js";
import { classifyStrength } from "../../lib/strength/classify.js";

describe("linear strength", () => {
  // A 4 x 4 x 20 mm bar, E = 1000 MPa, in uniaxial compression on rollers: uniform strain, so the
  // analytic failure load is E * A * limit (compression governs: nu * 0.0104 < 0.0073).
  const m = createVoxelModel({ dims: [4, 4, 20], spacing: [1, 1, 1], mask: new Uint8Array(320).fill(1), modulus: 1000, poisson: 0.3 });
  const bottom = voxelNodesWhere(m, (_i, _j, k) => k === 0), top = voxelNodesWhere(m, (_i, _j, k) => k === 20);
  const corner = voxelNodesWhere(m, (i, j, k) => i === 0 && j === 0 && k === 0), edge = voxelNodesWhere(m, (i, j, k) => i === 4 && j === 0 && k === 0);
  const delta = 0.02;
  const sol = solve(m, [
    { kind: "displacement", nodes: bottom, component: 2, value: 0 },
    { kind: "displacement", nodes: top, component: 2, value: -delta },
    { kind: "displacement", nodes: corner, component: 0, value: 0 },
    { kind: "displacement", nodes: corner, component: 1, value: 0 },
    { kind: "displacement", nodes: edge, component: 1, value: 0 },
  ], { tol: 1e-10 });
  let F = 0;
  for (const q of top) F += sol.reactions[3 * q + 2];

  it("equals E * A * compressive limit on a uniform bar", () => {
    expect(F).toBeCloseTo(-1000 * 16 * (delta / 20), 4); // sanity: E A eps
    const s = linearStrength(m, sol.displacement, F);
    expect(s.mode).toBe("compression");
    expect(s.strengthN / (1000 * 16 * 0.0104)).toBeCloseTo(1, 6);
    const t = linearStrength(m, sol.displacement, F, { limits: { tension: 0.001, compression: 0.0104 } });
    // with a tension limit of 0.1%, lateral Poisson strain (nu eps) governs: E A 0.001 / nu
    expect(t.mode).toBe("tension");
    expect(t.strengthN / ((1000 * 16 * 0.001) / 0.3)).toBeCloseTo(1, 5);
  });

  it("excludes elements near given node sets", () => {
    const s = linearStrength(m, sol.displacement, F, { exclude: [top], excludeNearMm: 2 });
    // element centroids are 0.5 mm from the top face in the last layer, 1.5 in the one below: 2 layers x 16
    expect(s.excludedElements).toBe(32);
  });
});

describe("classification (Keaveny 2020, Table 1)", () => {
  it("applies the sex- and site-specific thresholds", () => {
    expect(classifyStrength(3000, "hip", "F")).toBe("fragile");
    expect(classifyStrength(3001, "hip", "F")).toBe("low");
    expect(classifyStrength(4000, "hip", "F")).toBe("normal");
    expect(classifyStrength(3400, "hip", "M")).toBe("fragile");
    expect(classifyStrength(4999, "hip", "M")).toBe("low");
    expect(classifyStrength(4500, "spine", "F")).toBe("fragile");
    expect(classifyStrength(6000, "spine", "F")).toBe("normal");
    expect(classifyStrength(8000, "spine", "M")).toBe("low");
    expect(classifyStrength(8500, "spine", "M")).toBe("normal");
    expect(() => classifyStrength(-1, "hip", "F")).toThrow(/positive number/);
  });
});
