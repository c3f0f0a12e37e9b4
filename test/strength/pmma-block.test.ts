import { describe, expect, it } from "vitest";
import type { BoundaryCondition } from "../../lib/fe/bc.js";
import { solve } from "../../lib/fe/solve/solve.js";
import { gridToVoxelModel } from "../../lib/mesh/model.js";
import { addPmmaCaps, PMMA_MODULUS_MPA, pmmaPlatenNodes, withPmmaModulus } from "../../lib/mesh/pmma-caps.js";
import type { ElementGrid } from "../../lib/mesh/voxelize.js";
import { SCHILEO_STRAIN_LIMITS } from "../../lib/strength/criteria.js";
import { pushover } from "../../lib/strength/nonlinear.js";

// A homogeneous 6 x 6 x 12 mm bone block (1 mm elements, E 1000 MPa, nu 0) embedded between two
// PMMA caps 6 layers thick (no intrusion), bottom platen fixed, top platen pushed down, both parallel
// (rigid, rotations held), the way the hip pipeline loads its caps. Closed forms (uniaxial, nu = 0):
// elastic stiffness between the series of block and caps over the bone's section, and the same with
// the caps over their whole (dilated) footprint and the PMMA ring beside the end layers in parallel;
// plastic limit of
// the bone F = sigma_y A = E_b eps_yc A with the PMMA elastic (it never yields).
const NX = 6, NY = 6, NZ = 12, Eb = 1000, A = NX * NY, LAYERS = 6;

function block() {
  const n = NX * NY * NZ;
  const grid: ElementGrid = {
    dims: [NX, NY, NZ], elementSize: [1, 1, 1], origin: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    elements: Int32Array.from({ length: n }, (_, e) => e), density: new Float32Array(n).fill(500), fraction: new Float32Array(n).fill(1),
    removedFragments: 0, removedElements: 0, warnings: [],
  };
  // thickness 6.4 mm from the extreme bone element centre: the centres 1 to 6 mm beyond it are PMMA
  const capped = addPmmaCaps(grid, [
    { name: "TOP", direction: [0, 0, 1], depthMm: 0, thicknessMm: LAYERS + 0.4 },
    { name: "BOTTOM", direction: [0, 0, -1], depthMm: 0, thicknessMm: LAYERS + 0.4 },
  ]);
  const model = gridToVoxelModel(capped.grid, withPmmaModulus(new Float32Array(capped.material.length).fill(Eb), capped.material), 0);
  const top = pmmaPlatenNodes(model, capped, 0), bottom = pmmaPlatenNodes(model, capped, 1);
  const c = (nodes: Int32Array): [number, number, number] => [NX / 2, NY / 2, 0];
  const bcs = (d: number): BoundaryCondition[] => [
    { kind: "rigid", nodes: top, reference: c(top), displacement: [0, 0, -d, 0, 0, 0], set: "TOP" },
    { kind: "rigid", nodes: bottom, reference: c(bottom), displacement: [0, 0, 0, 0, 0, 0], set: "BOTTOM" },
  ];
  return { capped, model, top, bottom, bcs };
}

describe("bone block between PMMA caps: closed-form stiffness and plastic limit", () => {
  const { capped, model, top, bottom, bcs } = block();

  it("builds the PMMA layers on each face over the dilated footprint (and a ring beside the end layer), platens one node layer each", () => {
    expect(capped.material.filter((t) => t === 0).length).toBe(NX * NY * NZ);
    const ring = (NX + 2) * (NY + 2) - A;
    for (const cap of capped.caps) expect(cap.elements).toBe(LAYERS * (NX + 2) * (NY + 2) + ring);
    expect(top.length).toBe((NX + 3) * (NY + 3));
    expect(bottom.length).toBe((NX + 3) * (NY + 3));
    expect(model.modulus.filter((E) => E === PMMA_MODULUS_MPA).length).toBe(2 * (LAYERS * (NX + 2) * (NY + 2) + (NX + 2) * (NY + 2) - A));
  });

  it("elastic stiffness between the closed-form series bounds (PMMA E 2500 MPa: neither rigid nor bone)", () => {
    const s = solve(model, bcs(0.01), { tol: 1e-10 });
    const k = Math.abs(s.references.find((r) => r.set === "TOP")!.reaction[2]) / 0.01;
    const Ep = PMMA_MODULUS_MPA, Af = (NX + 2) * (NY + 2);
    const lower = 1 / (NZ / (Eb * A) + (2 * LAYERS) / (Ep * A));
    const upper = 1 / ((NZ - 2) / (Eb * A) + 2 / (Eb * A + Ep * (Af - A)) + (2 * LAYERS) / (Ep * Af));
    expect(k).toBeGreaterThan(lower);
    expect(k).toBeLessThan(upper);
    expect(upper).toBeLessThan((A * Eb) / NZ); // rigid caps would be stiffer than both bounds
    expect(1 / (NZ / (Eb * A) + (2 * LAYERS) / (Eb * A))).toBeLessThan(lower); // caps of bone would be softer
  });

  it("plastic limit = E_b eps_yc A with the PMMA kept elastic (the hip pipeline's yield assignment)", () => {
    const yieldOf = (limit: number) => Float64Array.from(capped.material, (t) => (t ? 1 : limit));
    const r = pushover(model, bcs, {
      reaction: { kind: "cap", cap: "TOP", dof: 2 }, maxDisplacement: 0.3, steps: 12,
      yield: { kind: "strain", tension: yieldOf(SCHILEO_STRAIN_LIMITS.tension), compression: yieldOf(SCHILEO_STRAIN_LIMITS.compression) },
      solve: { tol: 1e-9 }, forceTol: 1e-6,
    });
    const limit = Eb * SCHILEO_STRAIN_LIMITS.compression * A;
    expect(r.strengthKind).toBe("plateau");
    expect(Math.abs(r.strengthN / limit - 1)).toBeLessThan(0.01);
    for (let q = 0; q < capped.material.length; q++) if (capped.material[q]) expect(r.yielded[q]).toBe(0);
  });
});
