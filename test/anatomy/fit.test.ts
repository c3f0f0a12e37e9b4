import { describe, expect, it } from "vitest";
import { fitPlane, fitSphere, principalAxes, symmetricEigen3, AnatomyError } from "../../lib/anatomy/fit.js";

let seed = 7;
const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-300)) * Math.cos(2 * Math.PI * rnd());

describe("geometric fits", () => {
  it("fits a sphere cap (a femoral head seen from one side) to its true centre and radius", () => {
    const c = [12.5, -40, 88], R = 23.5, pts: number[] = [];
    for (let t = 0; t < 800; t++) {
      // a cap: polar angle up to 110 degrees, 0.2 mm noise
      const th = Math.acos(1 - rnd() * (1 - Math.cos((110 * Math.PI) / 180))), ph = 2 * Math.PI * rnd();
      const r = R + 0.2 * gauss();
      pts.push(c[0] + r * Math.sin(th) * Math.cos(ph), c[1] + r * Math.sin(th) * Math.sin(ph), c[2] + r * Math.cos(th));
    }
    const f = fitSphere(pts);
    f.centre.forEach((x, d) => expect(Math.abs(x - c[d])).toBeLessThan(0.1));
    expect(Math.abs(f.radius - R)).toBeLessThan(0.05);
    expect(f.rms).toBeGreaterThan(0.15);
    expect(f.rms).toBeLessThan(0.25);
    expect(() => fitSphere([0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 1, 0])).toThrow(AnatomyError);
  });

  it("finds the long axis of a cylinder and the normal of a plane", () => {
    const axis = [1, 2, 2].map((x) => x / 3), pts: number[] = [];
    // orthonormal complement
    const u = [2, -1, 0].map((x) => x / Math.sqrt(5)), w = [axis[1] * u[2] - axis[2] * u[1], axis[2] * u[0] - axis[0] * u[2], axis[0] * u[1] - axis[1] * u[0]];
    for (let t = 0; t < 500; t++) {
      const s = (rnd() - 0.5) * 80, a = 2 * Math.PI * rnd(), r = 12 * Math.sqrt(rnd());
      for (let d = 0; d < 3; d++) pts.push(5 + s * axis[d] + r * Math.cos(a) * u[d] + r * Math.sin(a) * w[d]);
    }
    const pa = principalAxes(pts);
    expect(Math.abs(pa.axes[0][0] * axis[0] + pa.axes[0][1] * axis[1] + pa.axes[0][2] * axis[2])).toBeGreaterThan(0.999);
    // variance of a uniform segment of length 80 is 80^2/12
    expect(pa.variances[0]).toBeGreaterThan(0.85 * (80 * 80) / 12);
    expect(pa.variances[0]).toBeLessThan(1.15 * (80 * 80) / 12);
    const plane: number[] = [];
    for (let t = 0; t < 200; t++) { const x = rnd() * 40, y = rnd() * 30; plane.push(x, y, 3 + 0.5 * x - 0.25 * y); }
    const f = fitPlane(plane);
    const nn = [0.5, -0.25, -1].map((x) => x / Math.hypot(0.5, 0.25, 1));
    expect(Math.abs(f.normal[0] * nn[0] + f.normal[1] * nn[1] + f.normal[2] * nn[2])).toBeCloseTo(1, 10);
    expect(f.rms).toBeLessThan(1e-6); // sqrt of a round-off variance
  });

  it("diagonalises a symmetric matrix with known eigenvalues", () => {
    // [[2,1,0],[1,2,0],[0,0,5]] has eigenvalues 1, 3, 5
    const { values, vectors } = symmetricEigen3([2, 1, 0, 1, 2, 0, 0, 0, 5]);
    expect(values[0]).toBeCloseTo(1, 12);
    expect(values[1]).toBeCloseTo(3, 12);
    expect(values[2]).toBeCloseTo(5, 12);
    expect(Math.abs(vectors[0][0] + vectors[0][1])).toBeLessThan(1e-12);
  });
});
