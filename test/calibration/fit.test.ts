import { describe, expect, it } from "vitest";
import { applyCalibration, CalibrationError, fitCalibration, huToDensity } from "../../lib/calibration/fit.js";
import { createVolume } from "../../lib/volume/volume.js";

describe("fitCalibration", () => {
  it("recovers an exact line and inverts it", () => {
    const pts = [0, 50, 100, 200, 375].map((d, i) => ({ name: "ABCDE"[i], density: d, hu: 10 + 1.25 * d }));
    const fit = fitCalibration(pts, { measure: "rhoK" });
    expect(fit.huPerDensity).toBeCloseTo(1.25, 12);
    expect(fit.huIntercept).toBeCloseTo(10, 10);
    expect(fit.slope).toBeCloseTo(0.8, 12);
    expect(fit.intercept).toBeCloseTo(-8, 10);
    expect(fit.r2).toBeCloseTo(1, 12);
    expect(fit.warnings).toEqual([]);
    expect(huToDensity(fit, 260)).toBeCloseTo(200, 10);
  });

  it("matches a textbook regression (Anscombe's first data set)", () => {
    // Anscombe 1973, set I: y = 3.0001 + 0.5001 x, r^2 = 0.6665, residual SE 1.2366, slope SE 0.1179, intercept SE 1.1247
    const x = [10, 8, 13, 9, 11, 14, 6, 4, 12, 7, 5];
    const y = [8.04, 6.95, 7.58, 8.81, 8.33, 9.96, 7.24, 4.26, 10.84, 4.82, 5.68];
    const fit = fitCalibration(x.map((d, i) => ({ name: `p${i}`, density: d, hu: y[i] })), { measure: "rhoHA" });
    expect(fit.huPerDensity).toBeCloseTo(0.5001, 4);
    expect(fit.huIntercept).toBeCloseTo(3.0001, 4);
    expect(fit.r2).toBeCloseTo(0.6665, 4);
    expect(fit.standardErrorHu).toBeCloseTo(1.2366, 4);
    expect(fit.slopeStdError).toBeCloseTo(0.1179, 4);
    expect(fit.interceptStdError).toBeCloseTo(1.1247, 4);
    expect(fit.warnings[0]).toMatch(/R\^2 = 0.6665 is below 0.99/);
  });

  it("rejects degenerate inputs", () => {
    expect(() => fitCalibration([{ name: "a", density: 1, hu: 1 }], { measure: "rhoK" })).toThrow(/at least 2/);
    expect(() => fitCalibration([{ name: "a", density: 1, hu: 1 }, { name: "b", density: 1, hu: 3 }], { measure: "rhoK" })).toThrow(CalibrationError);
  });

  it("applies the line voxel by voxel on the same grid", () => {
    const ct = createVolume({ dims: [2, 1, 1], spacing: [0.5, 0.5, 1], data: new Int16Array([10, 260]) });
    const rho = applyCalibration(ct, { slope: 0.8, intercept: -8 });
    expect(Array.from(rho.data)).toEqual([0, 200]);
    expect(rho.spacing).toEqual([0.5, 0.5, 1]);
  });
});
