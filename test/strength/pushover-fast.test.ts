import { describe, expect, it } from "vitest";
import { createVoxelModel, fixed, voxelNodesWhere, type BoundaryCondition } from "../../lib/fe/index.js";
import { pushover, type PushoverOptions, type PushoverResult } from "../../lib/strength/nonlinear.js";

// The fast pushover (defaults: Anderson-accelerated passes, extrapolated predictor, a kept
// multigrid preconditioner) against the plain path (acceleration 0, scaled predictor, a fresh
// preconditioner per solve) and against the fixed point converged to forceTol 1e-7.
// Model: a 6 x 6 x 24 mm column of 1 mm voxels with scattered moduli (300..5100 MPa), fixed at the
// bottom, its top face tied to a rigid cap whose axes are turned 45 degrees about y, pushed along
// the cap's local x (compression and bending) with the cap's other DOFs free, as at the hip's head.
const dims: [number, number, number] = [6, 6, 24];
const ne = dims[0] * dims[1] * dims[2];
const modulus = Float64Array.from({ length: ne }, (_, e) => 300 + ((e * 7919) % 13) * 400);
const m = createVoxelModel({ dims, spacing: [1, 1, 1], mask: new Uint8Array(ne).fill(1), modulus, poisson: 0.3 });
const bottom = voxelNodesWhere(m, (_i, _j, k) => k === 0), top = voxelNodesWhere(m, (_i, _j, k) => k === dims[2]);
const c = Math.SQRT1_2;
const bcs: BoundaryCondition[] = [
  ...fixed(bottom),
  { kind: "rigid", nodes: top, reference: [3, 3, 24], axes: [c, 0, -c, 0, 1, 0, c, 0, c], displacement: [0.2, null, null, null, null, null], set: "CAP" },
];
const base: PushoverOptions = { maxDisplacement: 1.6, steps: 8, stopAtStrength: false };
const slowPath: PushoverOptions = { acceleration: 0, extrapolate: false, reusePreconditioner: false };
const converged: PushoverOptions = { forceTol: 1e-7, maxPasses: 400, solve: { tol: 1e-10 } };

const fast = pushover(m, bcs, base);
const slow = pushover(m, bcs, { ...base, ...slowPath });
const refPlain = pushover(m, bcs, { ...base, ...slowPath, ...converged });
const refFast = pushover(m, bcs, { ...base, ...converged });

/** Largest |a_k - b_k| / max |b| over the curve points. */
const curveGap = (a: PushoverResult, b: PushoverResult) => {
  expect(a.curve.displacementMm).toEqual(b.curve.displacementMm);
  const top = Math.max(...b.curve.forceN);
  return Math.max(...a.curve.forceN.map((f, k) => Math.abs(f - b.curve.forceN[k]))) / top;
};

describe("fast pushover", () => {
  it("the accelerated iteration converges to the plain iteration's fixed point, in far fewer solves", () => {
    expect(refPlain.warnings).toEqual(expect.not.arrayContaining([expect.stringMatching(/did not reach/)]));
    expect(refFast.warnings).toEqual(expect.not.arrayContaining([expect.stringMatching(/did not reach/)]));
    // measured: 7e-7 apart, in 112 solves against 299
    expect(curveGap(refFast, refPlain)).toBeLessThan(1e-5);
    expect(refFast.solves).toBeLessThan(0.5 * refPlain.solves);
  });

  it("at the default forceTol, the fast curve is within 0.3% of the converged one, the plain one within 0.5%", () => {
    // measured: fast 0.12%, plain 0.25% (the plain iteration stops above the fixed point); the
    // last point (the strength): fast 0.0002%, plain 0.22%
    expect(curveGap(fast, refFast)).toBeLessThan(3e-3);
    expect(curveGap(slow, refFast)).toBeLessThan(5e-3);
    expect(Math.abs(fast.strengthN / slow.strengthN - 1)).toBeLessThan(5e-3);
    expect(Math.abs(fast.strengthN / refFast.strengthN - 1)).toBeLessThan(1e-3);
    expect(fast.strengthKind).toBe(slow.strengthKind);
  });

  it("starts on the linear stiffness, and costs fewer solves, CG iterations and preconditioner builds", () => {
    expect(fast.curve.forceN[1] / fast.curve.displacementMm[1] / fast.stiffnessNPerMm).toBeCloseTo(1, 8);
    expect(fast.stiffnessNPerMm / slow.stiffnessNPerMm).toBeCloseTo(1, 6);
    expect(fast.solves).toBeLessThanOrEqual(slow.solves);
    expect(fast.solverIterations).toBeLessThan(0.85 * slow.solverIterations); // measured 188 against 246
    expect(slow.preconditionerBuilds).toBe(slow.solves);
    expect(fast.preconditionerBuilds).toBeLessThan(fast.solves / 4);
  });

  it("rejects a bad acceleration depth", () => {
    expect(() => pushover(m, bcs, { ...base, acceleration: 1.5 })).toThrow(/acceleration/);
  });
});
