import { describe, expect, it } from "vitest";
import { solve } from "../../lib/fe/solve/solve.js";
import { capVertebralBody, compression, spineBoundaryConditions } from "../../lib/loading/spine.js";
import { LoadCaseError } from "../../lib/loading/hip.js";
import { capModulus, MATERIAL_PMMA, PMMA } from "../../lib/mesh/caps.js";
import { gridToVoxelModel } from "../../lib/mesh/model.js";
import type { ElementGrid } from "../../lib/mesh/voxelize.js";
import { vertebralPushover } from "../../lib/pipeline/spine.js";
import { KOPPERDAHL1998_YIELD_STRAINS } from "../../lib/strength/criteria.js";
import type { Mat3, Vec3 } from "../../lib/volume/volume.js";

/** A homogeneous bone block of a x a x L elements of 1 mm. */
function blockGrid(a: number, L: number): ElementGrid {
  const m = a * a * L;
  const elements = Int32Array.from({ length: m }, (_, e) => e);
  const I: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  return {
    dims: [a, a, L], elementSize: [1, 1, 1], origin: [0, 0, 0], direction: I, elements,
    density: new Float32Array(m).fill(100), fraction: new Float32Array(m).fill(1), removedFragments: 0, removedElements: 0, warnings: [],
  };
}

/**
 * Closed-form axial stiffness of the capped block, one-dimensional (plane sections, no Poisson
 * coupling): in series, PMMA beyond the bone (thickness - intrusion) at each end over the cap's
 * footprint, the embedded zones (intrusion) with bone and the PMMA ring in parallel, and the free
 * bone between them.
 */
function seriesStiffness(Eb: number, Ab: number, Ap: number, L: number, thickness: number, intrusion: number): number {
  const Ep = PMMA.modulusMPa;
  const over = (thickness - intrusion) / (Ep * Ap);
  const embedded = intrusion / (Eb * Ab + Ep * (Ap - Ab));
  const free = (L - 2 * intrusion) / (Eb * Ab);
  return 1 / (2 * over + 2 * embedded + free);
}

describe("vertebral compression between PMMA endplate caps: a homogeneous block", () => {
  const a = 10, L = 30, Eb = 300;
  const axis: Vec3 = [0, 0, 1];
  // without footprint dilation the caps are exactly the block's section: bone and PMMA in series
  const lc = compression({ capFootprintDilationMm: 0 });
  const capped = capVertebralBody(blockGrid(a, L), { axis }, lc);
  const E = capModulus(capped.material, new Float64Array(a * a * L).fill(Eb));
  const solved = (c: typeof capped, mod: Float64Array, poisson: number) => {
    const model = gridToVoxelModel(c.grid, mod, poisson);
    const bc = spineBoundaryConditions(model, c, { axis }, lc);
    const sol = solve(model, bc.bcs, { tol: 1e-9 });
    return { model, bc, k: -sol.references[0].reaction[0] / lc.displacementMm };
  };
  const over = lc.capThicknessMm - lc.capIntrusionMm;

  it("builds 10 mm caps with the block 6 mm deep, platens on their outer faces", () => {
    expect(capped.caps.map((c) => c.name)).toEqual(["SUPERIOR", "INFERIOR"]);
    expect(capped.caps.map((c) => c.pmmaElements)).toEqual([over * a * a, over * a * a]);
    expect(capped.caps.map((c) => c.boneElements)).toEqual([lc.capIntrusionMm * a * a, lc.capIntrusionMm * a * a]);
    expect(capped.grid.dims).toEqual([a, a, L + 2 * over]);
  });

  it("has the closed-form elastic stiffness of bone and PMMA in series (nu = 0 within 1%; nu = 0.3 stiffer by < 3%)", () => {
    const k1d = 1 / (2 * over / (PMMA.modulusMPa * a * a) + L / (Eb * a * a));
    const k0 = solved(capped, E, 0).k, k3 = solved(capped, E, 0.3).k;
    console.log(`block stiffness: closed form ${k1d.toFixed(1)} N/mm, FE nu=0 ${k0.toFixed(1)}, nu=0.3 ${k3.toFixed(1)}`);
    expect(Math.abs(k0 / k1d - 1)).toBeLessThan(0.01);
    // Poisson coupling: the stiffer PMMA and the bonded platens restrain the bone's lateral expansion
    expect(k3 / k1d - 1).toBeGreaterThan(0);
    expect(k3 / k1d - 1).toBeLessThan(0.03);
  });

  it("with the default 1 mm PMMA ring around the embedded rim: between the bounds of a ring that carries nothing and one in parallel", () => {
    const ringed = capVertebralBody(blockGrid(a, L), { axis }, compression());
    const Ap = (a + 2) * (a + 2); // the face dilated by 1 mm: 12 x 12 element centres
    expect(ringed.caps[0].pmmaElements).toBe(over * Ap + lc.capIntrusionMm * (Ap - a * a));
    const Ep = PMMA.modulusMPa, i = lc.capIntrusionMm;
    const lower = 1 / (2 * over / (Ep * Ap) + L / (Eb * a * a));
    const upper = 1 / (2 * over / (Ep * Ap) + 2 * i / (Eb * a * a + Ep * (Ap - a * a)) + (L - 2 * i) / (Eb * a * a));
    const k0 = solved(ringed, capModulus(ringed.material, new Float64Array(a * a * L).fill(Eb)), 0).k;
    console.log(`ringed block stiffness (nu 0): ${k0.toFixed(1)} N/mm within [${lower.toFixed(1)}, ${upper.toFixed(1)}]`);
    expect(k0).toBeGreaterThan(lower);
    expect(k0).toBeLessThan(upper);
  });

  it("reaches the closed-form plastic limit F = E eps_yc A in compression, the bone yielding in compression", () => {
    const { model, bc } = solved(capped, E, 0.3);
    const po = vertebralPushover(model, capped.material, bc, { forceTol: 1e-3 });
    const limit = Eb * KOPPERDAHL1998_YIELD_STRAINS.compression * a * a;
    console.log(`block plastic limit: closed form ${limit.toFixed(1)} N, pushover ${po.strengthN.toFixed(1)} N (${po.strengthKind}, ${po.solves} solves)`);
    expect(po.strengthKind).not.toBe("end");
    expect(Math.abs(po.strengthN / limit - 1)).toBeLessThan(0.02);
    // a tension test would plateau at E eps_yt A, 7% lower: the sign of the platen motion matters
    expect(Math.abs(po.strengthN / (Eb * KOPPERDAHL1998_YIELD_STRAINS.tension * a * a) - 1)).toBeGreaterThan(0.05);
    let comp = 0, tens = 0, pmmaYield = 0;
    po.yieldMode.forEach((m, q) => { if (m === 2) comp++; else if (m === 1) tens++; if (m && capped.material[q] === MATERIAL_PMMA) pmmaYield++; });
    expect(comp).toBeGreaterThan(0.5 * a * a * (L - 2 * lc.capIntrusionMm));
    expect(tens).toBe(0);
    expect(pmmaYield).toBe(0);
    // the superior platen moves toward the inferior one (compression), along -axis
    const ref = bc.bcs.find((b) => b.kind === "rigid")!;
    expect(ref.kind === "rigid" && ref.displacement![0]).toBeLessThan(0);
  });

  it("rejects a grid without caps and a non-positive displacement", () => {
    const model = gridToVoxelModel(capped.grid, E, 0.3);
    expect(() => spineBoundaryConditions(model, { grid: capped.grid, caps: [] }, { axis }, lc)).toThrow(LoadCaseError);
    expect(() => spineBoundaryConditions(model, capped, { axis }, compression({ displacementMm: -0.1 }))).toThrow(/must be > 0/);
  });
});
