import { describe, expect, it } from "vitest";
import { createVoxelModel, voxelNodesWhere, type VoxelModel } from "../../lib/fe/voxel-model.js";
import type { BoundaryCondition } from "../../lib/fe/bc.js";
import { pushover, secantMaterial, keyak2005Softening, PushoverError } from "../../lib/strength/nonlinear.js";
import { yieldLaw } from "../../lib/materials/laws.js";
import { SCHILEO_STRAIN_LIMITS } from "../../lib/strength/criteria.js";

// A 4 x 4 x 20 mm bar of 1 mm voxels on rollers: bottom face uz = 0, top face uz = value, one corner
// pinned in x and y and one more node in y (no rigid motion, no lateral restraint). The exact FE
// solution is then the uniform uniaxial state eps_zz = value / L, whatever the (per-element) moduli
// if they only vary across the section, so every curve below has a closed form.
const NX = 4, NY = 4, NZ = 20, A = NX * NY, L = NZ;

function bar(modulus: number | ArrayLike<number>, poisson = 0.3): { m: VoxelModel; rollers: BoundaryCondition[]; top: Int32Array } {
  const m = createVoxelModel({ dims: [NX, NY, NZ], spacing: [1, 1, 1], mask: new Uint8Array(NX * NY * NZ).fill(1), modulus, poisson });
  const bottom = voxelNodesWhere(m, (_i, _j, k) => k === 0), top = voxelNodesWhere(m, (_i, _j, k) => k === NZ);
  const corner = voxelNodesWhere(m, (i, j, k) => i === 0 && j === 0 && k === 0), edge = voxelNodesWhere(m, (i, j, k) => i === NX && j === 0 && k === 0);
  const rollers: BoundaryCondition[] = [
    { kind: "displacement", nodes: bottom, component: 2, value: 0 },
    { kind: "displacement", nodes: corner, component: 0, value: 0 },
    { kind: "displacement", nodes: corner, component: 1, value: 0 },
    { kind: "displacement", nodes: edge, component: 1, value: 0 },
  ];
  return { m, rollers, top };
}

const TIGHT = { solve: { tol: 1e-10, preconditioner: "jacobi" as const }, forceTol: 1e-9 };

describe("pushover: homogeneous bar, elastic-perfectly plastic", () => {
  const E = 1000;
  const { m, rollers, top } = bar(E);
  const { tension: eyt, compression: eyc } = SCHILEO_STRAIN_LIMITS;

  it("compression: F = E A eps up to eps_yc, then the plateau E A eps_yc; first point on the linear stiffness", () => {
    // bcs at a reference displacement, scaled proportionally; the load DOF is detected
    const bcs: BoundaryCondition[] = [...rollers, { kind: "displacement", nodes: top, component: 2, value: -1 }];
    const r = pushover(m, bcs, { ...TIGHT, maxDisplacement: 0.6, steps: 12, stopAtStrength: false });
    expect(r.curve.displacementMm.length).toBe(13);
    r.curve.displacementMm.forEach((d, k) => {
      const want = E * A * Math.min(d / L, eyc);
      expect(Math.abs(r.curve.forceN[k] - want)).toBeLessThan(1e-6 * E * A * eyc);
    });
    expect(r.stiffnessNPerMm / ((E * A) / L)).toBeCloseTo(1, 8);
    expect(r.curve.forceN[1] / r.curve.displacementMm[1]).toBeCloseTo(r.stiffnessNPerMm, 6);
    expect(r.strengthKind).toBe("plateau");
    expect(r.strengthN / (E * A * eyc)).toBeCloseTo(1, 8);
    // every element yields, in compression, at the first step past eps_yc * L = 0.208 mm (step 5, 0.25 mm)
    expect(r.firstYield?.step).toBe(5);
    expect(Array.from(r.yieldStep).every((s) => s === 5)).toBe(true);
    expect(Array.from(r.yieldMode).every((md) => md === 2)).toBe(true);
    expect(r.secantRatio[0]).toBeCloseTo(eyc / (0.6 / L), 8);
    expect(r.warnings).toEqual([]);
  });

  it("automatic range stops at the plateau", () => {
    const bcs: BoundaryCondition[] = [...rollers, { kind: "displacement", nodes: top, component: 2, value: -0.1 }];
    const r = pushover(m, bcs, { ...TIGHT, steps: 10 });
    expect(r.inputs.automaticRange).toBe(true);
    expect(r.inputs.maxDisplacementMm).toBeCloseTo(3 * eyc * L, 8); // 3 x the displacement at which 2% yield
    expect(r.strengthKind).toBe("plateau");
    expect(r.strengthN / (E * A * eyc)).toBeCloseTo(1, 8);
    expect(r.curve.displacementMm.length).toBeLessThan(11);
    expect(r.stiffnessNPerMm / ((E * A) / L)).toBeCloseTo(1, 8);
  });

  it("tension: the same bar pulled plateaus at E A eps_yt (asymmetric yield)", () => {
    const steps: number[] = [];
    const r = pushover(m, (d) => [...rollers, { kind: "displacement", nodes: top, component: 2, value: d }], {
      ...TIGHT, maxDisplacement: 0.4, steps: 8, stopAtStrength: false, onStep: (p) => steps.push(p.step),
    });
    expect(steps).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    r.curve.displacementMm.forEach((d, k) => {
      expect(Math.abs(r.curve.forceN[k] - E * A * Math.min(d / L, eyt))).toBeLessThan(1e-6 * E * A * eyt);
    });
    expect(r.strengthN / (E * A * eyt)).toBeCloseTo(1, 8);
    expect(Array.from(r.yieldMode).every((md) => md === 1)).toBe(true);
    expect(r.firstYield?.displacementMm).toBeCloseTo(0.15, 10); // first step past eps_yt L = 0.146 mm
  });

  it("a rigid cap (reference reaction) gives the same plateau (nu = 0: the cap does not restrain the section)", () => {
    const { m: m0, rollers: rl, top: t0 } = bar(E, 0);
    const bcs: BoundaryCondition[] = [
      ...rl,
      { kind: "rigid", nodes: t0, reference: [2, 2, L], displacement: [null, null, -1, 0, 0, null], set: "CAP" },
    ];
    const r = pushover(m0, bcs, { ...TIGHT, maxDisplacement: 0.5, steps: 5, stopAtStrength: false });
    expect(r.inputs.reaction).toMatch(/CAP/);
    r.curve.displacementMm.forEach((d, k) => {
      expect(Math.abs(r.curve.forceN[k] - E * A * Math.min(d / L, eyc))).toBeLessThan(1e-6 * E * A * eyc);
    });
    expect(r.strengthN / (E * A * eyc)).toBeCloseTo(1, 8);
  });

  it("softening (Keyak 2005 shape): plateau, linear drop, residual stress; strength = peak", () => {
    const post = { kind: "softening" as const, plateauStrain: 0.004, softeningModulus: -200, residualFraction: 0.5 };
    const sigma = (e: number) => {
      const sy = E * eyc;
      if (e <= eyc) return E * e;
      if (e <= eyc + 0.004) return sy;
      return Math.max(0.5 * sy, sy - 200 * (e - eyc - 0.004));
    };
    const r = pushover(m, (d) => [...rollers, { kind: "displacement", nodes: top, component: 2, value: -d }], {
      ...TIGHT, maxDisplacement: 1.0, steps: 20, stopAtStrength: false, postYield: post,
    });
    r.curve.displacementMm.forEach((d, k) => {
      expect(Math.abs(r.curve.forceN[k] - A * sigma(d / L))).toBeLessThan(1e-6 * E * A * eyc);
    });
    expect(r.strengthKind).toBe("peak");
    expect(r.strengthN / (E * A * eyc)).toBeCloseTo(1, 8);
    expect(r.peakForceN / (E * A * eyc)).toBeCloseTo(1, 8);
  });
});

describe("pushover: two materials in parallel", () => {
  // half the section (i < 2) E1 = 1000 MPa, yield stress 4.5 MPa (eps_y 0.45%); the other half
  // E2 = 3000 MPa, yield stress 25 MPa (eps_y 0.833%); compression. Uniform strain eps = d / L:
  // F = A/2 (E1 min(eps, 4.5 / E1) + E2 min(eps, 25 / E2)), piecewise linear, kinks at 0.09 and 0.167 mm.
  const ne = NX * NY * NZ;
  const half = (e: number) => (e % NX < 2 ? 0 : 1); // elements are in voxel order, x fastest
  const E = Float64Array.from({ length: ne }, (_, e) => (half(e) ? 3000 : 1000));
  const sy = Float64Array.from({ length: ne }, (_, e) => (half(e) ? 25 : 4.5));
  const { m, rollers, top } = bar(E);

  it("follows the analytic piecewise-linear curve at every step", () => {
    const r = pushover(m, (d) => [...rollers, { kind: "displacement", nodes: top, component: 2, value: -d }], {
      ...TIGHT, maxDisplacement: 0.3, steps: 15, stopAtStrength: false,
      yield: { kind: "stress", tension: sy, compression: sy },
    });
    const F = (d: number) => (A / 2) * (1000 * Math.min(d / L, 4.5 / 1000) + 3000 * Math.min(d / L, 25 / 3000));
    r.curve.displacementMm.forEach((d, k) => expect(Math.abs(r.curve.forceN[k] - F(d))).toBeLessThan(1e-6 * F(0.3)));
    expect(r.strengthKind).toBe("plateau");
    expect(r.strengthN).toBeCloseTo(F(0.3), 6);
    expect(r.stiffnessNPerMm).toBeCloseTo((A / 2) * (1000 + 3000) / L, 6);
    // the soft half yields first (step 5 = 0.10 mm > 0.09), the stiff half at step 9 (0.18 mm > 0.167)
    for (let e = 0; e < ne; e++) expect(r.yieldStep[e]).toBe(half(e) ? 9 : 5);
    expect(r.curve.yieldedFraction[5]).toBeCloseTo(0.5, 12);
    expect(r.curve.yieldedFraction[9]).toBeCloseTo(1, 12);
  });
});

describe("pushover: cantilever, yielded map and warm start", () => {
  // A 24 x 4 x 6 mm cantilever along x, root face (x = 0) fixed, tip face pushed down (uz = -d).
  // The bending moment is largest at the root: the top fibres there (in tension, which also has the
  // lower yield strain) yield first, then the bottom fibres (compression); mid-span yields later.
  const dims: [number, number, number] = [24, 4, 6];
  const m = createVoxelModel({ dims, spacing: [1, 1, 1], mask: new Uint8Array(24 * 4 * 6).fill(1), modulus: 5000, poisson: 0.3 });
  const root = voxelNodesWhere(m, (i) => i === 0), tip = voxelNodesWhere(m, (i) => i === dims[0]);
  const load = (d: number): BoundaryCondition[] => [
    ...([0, 1, 2] as const).map((component): BoundaryCondition => ({ kind: "displacement", nodes: root, component, value: 0 })),
    { kind: "displacement", nodes: tip, component: 2, value: -d },
  ];
  const ijk = (e: number) => { const v = m.voxels[e]; return [v % dims[0], Math.floor(v / dims[0]) % dims[1], Math.floor(v / (dims[0] * dims[1]))]; };
  // elastic root strain ~ 3 d (h/2) / L^2 = d / 64: tension yield from d ~ 0.47 mm on
  const opts = { maxDisplacement: 1.6, steps: 12 };
  const warm = pushover(m, load, opts);

  it("yields first at the root's outer tension fibres, then compression, spreading along the span", () => {
    expect(warm.firstYield).not.toBeNull();
    const s1 = warm.firstYield!.step;
    const first = Array.from(warm.yieldStep.keys()).filter((e) => warm.yieldStep[e] === s1);
    expect(first.length).toBeGreaterThan(0);
    for (const e of first) {
      const [i, , k] = ijk(e);
      expect(i).toBeLessThanOrEqual(2); // at the root (within 3 mm of the 24 mm span)
      expect(k).toBe(dims[2] - 1); // top fibre
      expect(warm.yieldMode[e]).toBe(1); // tension
    }
    // the bottom root fibre yields in compression, later
    const bottomRoot = Array.from(warm.yieldStep.keys()).filter((e) => { const [i, , k] = ijk(e); return i === 0 && k === 0; });
    for (const e of bottomRoot) {
      expect(warm.yieldMode[e]).toBe(2);
      expect(warm.yieldStep[e]).toBeGreaterThan(s1);
    }
    // yield spreads from the root: the earliest yield step never decreases along the span
    const earliest = (i0: number) => Math.min(...Array.from(warm.yieldStep.keys()).filter((e) => ijk(e)[0] === i0 && warm.yieldStep[e] >= 0).map((e) => warm.yieldStep[e]), Infinity);
    // (the root column itself is held by the clamped face, so the column next to it may lead)
    for (let i = 2; i < dims[0]; i++) expect(earliest(i)).toBeGreaterThanOrEqual(earliest(i - 1));
    expect(earliest(dims[0] - 1)).toBeGreaterThan(s1);
    // the curve starts on the linear stiffness and bends over
    expect(warm.curve.forceN[1] / warm.curve.displacementMm[1]).toBeCloseTo(warm.stiffnessNPerMm, 6);
    const last = warm.curve.forceN.length - 1;
    expect(warm.curve.forceN[last] / warm.curve.displacementMm[last]).toBeLessThan(0.9 * warm.stiffnessNPerMm);
  });

  it("warm-started fixed-point passes need far fewer solver iterations than cold starts", () => {
    const cold = pushover(m, load, { ...opts, warmStart: false });
    // same curve either way
    warm.curve.forceN.forEach((f, k) => expect(Math.abs(f - cold.curve.forceN[k])).toBeLessThan(1e-3 * warm.peakForceN));
    const coldFirst = warm.history[0].passes[0].iterations; // step 1, pass 1 is a cold solve in both
    const later = warm.history.flatMap((h) => h.passes.slice(1).map((p) => p.iterations));
    const coldLater = cold.history.flatMap((h) => h.passes.slice(1).map((p) => p.iterations));
    expect(later.length).toBeGreaterThan(5);
    const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
    // multigrid CG: ~6 iterations cold, 2-3 from the previous pass
    expect(mean(later)).toBeLessThan(0.6 * coldFirst);
    expect(mean(later)).toBeLessThan(0.6 * mean(coldLater));
    expect(warm.solverIterations).toBeLessThan(0.6 * cold.solverIterations);
  });
});

describe("pushover material and inputs", () => {
  it("yield strains from density through the yield-law catalogue", () => {
    const rho = [0.3, 0.6];
    const mat = secantMaterial([500, 2000], { kind: "law", tension: "morgan-keaveny-tension", compression: "morgan-keaveny-compression", density: rho });
    expect(mat.yieldTension[1]).toBeCloseTo(yieldLaw("morgan-keaveny-tension").yieldStress(0.6) / 2000, 12);
    expect(mat.yieldCompression[0]).toBeCloseTo(yieldLaw("morgan-keaveny-compression").yieldStress(0.3) / 500, 12);
    expect(() => secantMaterial([500, 2000], { kind: "law", tension: "morgan-keaveny-tension", compression: "morgan-keaveny-compression", density: [0, 0.5] })).toThrow(PushoverError);
  });

  it("Keyak 2005 softening parameters (bct-reference §2)", () => {
    const p = keyak2005Softening([0.5, 1.0]);
    if (p.kind !== "softening") throw new Error("expected softening");
    const pl = p.plateauStrain as Float64Array, ep = p.softeningModulus as Float64Array, rf = p.residualFraction as Float64Array;
    expect(pl[0]).toBeCloseTo(0.00189 + 0.0241 * 0.5, 12); // trabecular
    expect(pl[1]).toBeCloseTo(0.0184 - 0.01, 12); // cortical
    expect(ep[0]).toBeCloseTo(-2080 * 0.5 ** 1.45, 9);
    expect(ep[1]).toBe(-1000);
    expect(rf[0]).toBeCloseTo((43.1 * 0.5 ** 1.81) / (102 * 0.5 ** 1.8), 12);
  });

  it("asks where the load is measured when it cannot tell", () => {
    const { m, rollers, top } = bar(1000);
    const two: BoundaryCondition[] = [...rollers, { kind: "displacement", nodes: top, component: 2, value: -1 }, { kind: "displacement", nodes: top, component: 0, value: 0.1 }];
    expect(() => pushover(m, two, { maxDisplacement: 0.1, steps: 1 })).toThrow(/options.reaction/);
  });
});
