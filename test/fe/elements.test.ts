import { describe, expect, it } from "vitest";
import {
  createUnstructuredModel, elementStrain, hex8Stiffness, isotropicElasticity, solve, stressFromStrain, tet4Stiffness, vonMises,
  principalStrains, strainEnergyDensity, brickCoords, type BoundaryCondition,
} from "../../lib/fe/index.js";

/** A 2x2x2 hex mesh of the unit cube with its centre node and mid-face nodes moved: a distorted patch. */
function distortedPatch() {
  const nodes: number[] = [];
  const id = (i: number, j: number, k: number) => i + 3 * (j + 3 * k);
  for (let k = 0; k < 3; k++) for (let j = 0; j < 3; j++) for (let i = 0; i < 3; i++) {
    let x = i / 2, y = j / 2, z = k / 2;
    if (i === 1 && j === 1 && k === 1) { x = 0.57; y = 0.41; z = 0.53; }
    else if (i === 1 && j === 1 && k === 0) { x = 0.6; y = 0.38; }
    else if (i === 1 && k === 1 && j === 0) { x = 0.45; z = 0.62; }
    nodes.push(x, y, z);
  }
  const conn: number[] = [];
  for (let k = 0; k < 2; k++) for (let j = 0; j < 2; j++) for (let i = 0; i < 2; i++) {
    conn.push(id(i, j, k), id(i + 1, j, k), id(i + 1, j + 1, k), id(i, j + 1, k), id(i, j, k + 1), id(i + 1, j, k + 1), id(i + 1, j + 1, k + 1), id(i, j + 1, k + 1));
  }
  return { nodes, conn, interior: id(1, 1, 1), boundary: Array.from({ length: 27 }, (_, q) => q).filter((q) => q !== id(1, 1, 1)) };
}

// an arbitrary linear displacement field u = G x + c
const G = [[1e-3, 2e-4, -3e-4], [5e-4, -7e-4, 1e-4], [-2e-4, 3e-4, 4e-4]];
const c0 = [0.01, -0.02, 0.005];
const linear = (p: number[]) => [0, 1, 2].map((r) => c0[r] + G[r][0] * p[0] + G[r][1] * p[1] + G[r][2] * p[2]);
const exactStrain = [G[0][0], G[1][1], G[2][2], G[0][1] + G[1][0], G[1][2] + G[2][1], G[2][0] + G[0][2]];

describe("hex8 and tet4 elements", () => {
  it("passes the patch test on a distorted hex mesh (direct and PCG)", () => {
    const { nodes, conn, interior, boundary } = distortedPatch();
    const m = createUnstructuredModel(nodes, [{ type: "hex8", conn, modulus: 2000, poisson: 0.3 }]);
    const bcs: BoundaryCondition[] = [];
    for (const q of boundary) {
      const u = linear(nodes.slice(3 * q, 3 * q + 3));
      for (const c of [0, 1, 2] as const) bcs.push({ kind: "displacement", nodes: [q], component: c, value: u[c] });
    }
    for (const pre of ["direct", "jacobi"] as const) {
      const s = solve(m, bcs, { preconditioner: pre, tol: 1e-12 });
      const exact = linear(nodes.slice(3 * interior, 3 * interior + 3));
      for (let c = 0; c < 3; c++) expect(s.displacement[3 * interior + c]).toBeCloseTo(exact[c], 12);
      // strain is uniform at every Gauss point of every element
      for (let e = 0; e < 8; e++) {
        const en = conn.slice(8 * e, 8 * e + 8);
        const coords = en.flatMap((q) => nodes.slice(3 * q, 3 * q + 3));
        const ue = en.flatMap((q) => Array.from(s.displacement.slice(3 * q, 3 * q + 3)));
        for (const g of [[-0.577, -0.577, -0.577], [0.577, 0.2, -0.9], [0, 0, 0]]) {
          const eps = elementStrain("hex8", coords, ue, g);
          for (let i = 0; i < 6; i++) expect(eps[i]).toBeCloseTo(exactStrain[i], 12);
        }
      }
      // reactions balance: sum over the boundary of K u is zero (no body force)
      let fx = 0;
      for (const q of boundary) fx += s.reactions[3 * q];
      expect(Math.abs(fx)).toBeLessThan(1e-9);
    }
  });

  it("element stiffness has rigid-body modes in its null space (hex8 rotation, tet4 translation)", () => {
    const coords = brickCoords(1.5, 1, 2);
    const K = hex8Stiffness(coords, isotropicElasticity(1000, 0.25));
    // rigid rotation about z: u = (-y, x, 0)
    const u = Array.from({ length: 8 }, (_, a) => [-coords[3 * a + 1], coords[3 * a], 0]).flat();
    for (let i = 0; i < 24; i++) {
      let s = 0;
      for (let j = 0; j < 24; j++) s += K[24 * i + j] * u[j];
      expect(Math.abs(s)).toBeLessThan(1e-9);
    }
    const Kt = tet4Stiffness([0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1], isotropicElasticity(1000, 0.25));
    const ut = [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0].map((_, i) => (i % 3 === 0 ? 1 : 0)); // translation x
    for (let i = 0; i < 12; i++) {
      let s = 0;
      for (let j = 0; j < 12; j++) s += Kt[12 * i + j] * ut[j];
      expect(Math.abs(s)).toBeLessThan(1e-9);
    }
  });

  it("a tet4 mesh reproduces a uniaxial stress state: reaction = E A strain", () => {
    // unit cube split into 6 tetrahedra (Kuhn triangulation), compressed along z, free laterally
    const P = [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1]];
    const tets = [[0, 1, 2, 6], [0, 2, 3, 6], [0, 3, 7, 6], [0, 7, 4, 6], [0, 4, 5, 6], [0, 5, 1, 6]];
    const E = 1700, strain = -0.002;
    const m = createUnstructuredModel(P.flat(), [{ type: "tet4", conn: tets.flat(), modulus: E, poisson: 0.3 }]);
    const s = solve(m, [
      { kind: "displacement", nodes: [0, 1, 2, 3], component: 2, value: 0 },
      { kind: "displacement", nodes: [4, 5, 6, 7], component: 2, value: strain },
      { kind: "displacement", nodes: [0], component: 0, value: 0 },
      { kind: "displacement", nodes: [0, 1], component: 1, value: 0 },
    ], { preconditioner: "direct" });
    const Rz = [4, 5, 6, 7].reduce((a, q) => a + s.reactions[3 * q + 2], 0);
    expect(Rz).toBeCloseTo(E * 1 * strain, 9);
    expect(s.displacement[3 * 6]).toBeCloseTo(-0.3 * strain, 12); // lateral expansion nu * |strain|
  });

  it("post-processing: von Mises, principal strains, strain energy density", () => {
    expect(vonMises([100, 0, 0, 0, 0, 0])).toBeCloseTo(100, 12);
    expect(vonMises([0, 0, 0, 50, 0, 0])).toBeCloseTo(50 * Math.sqrt(3), 12);
    const p = principalStrains([0.001, 0.001, 0, 0.002, 0, 0]); // eigen of [[1,1],[1,1]]e-3 -> 2e-3, 0
    expect(p[0]).toBeCloseTo(0.002, 15);
    expect(Math.abs(p[1])).toBeLessThan(1e-10); // closed form: ~sqrt(eps) relative at a double root
    expect(Math.abs(p[2])).toBeLessThan(1e-10);
    const D = isotropicElasticity(1000, 0.3);
    const eps = [0.001, 0, 0, 0, 0, 0];
    const sig = stressFromStrain(D, eps);
    expect(strainEnergyDensity(sig, eps)).toBeCloseTo(0.5 * D[0] * 1e-6, 15);
  });
});
