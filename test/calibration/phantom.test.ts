import { describe, expect, it } from "vitest";
import { phantomCalibration, type PhantomDefinition } from "../../lib/calibration/phantom.js";
import { CalibrationError } from "../../lib/calibration/fit.js";
import { DEFAULT_HIP_GRID, generateHipScan } from "../../lib/synthetic/hip-scan.js";
import { createVolume } from "../../lib/volume/volume.js";

// The synthetic hip scan's phantom and scanner relation are the truth: HU = 1.25 * rhoK in the
// water-equivalent rods (lib/synthetic/ct-formation.ts DEFAULT_SCANNER), noise SD 12 HU.
const [GX, GY, GZ] = DEFAULT_HIP_GRID.dims;
const k0 = Math.floor(GZ / 2) - 8;
const scan = generateHipScan({ seed: 3, box: { min: [0, 0, k0], max: [GX, GY, k0 + 16] } });
const P = scan.phantom.calibration.params;
const DEF: PhantomDefinition = {
  name: "synthetic 5-rod K2HPO4",
  measure: "rhoK",
  rodDiameter: 2 * P.rodRadius,
  rodSpacing: P.rodSpacing,
  rods: P.rods.map((r) => ({ ...r })),
};
const TRUE_SLOPE = scan.scanner.slope; // HU per mg/cm3

describe("phantom calibration on the synthetic hip scan", () => {
  it("finds all five rods automatically and recovers the scanner relation", () => {
    const cal = phantomCalibration(scan.ct, DEF);
    expect(cal.method).toBe("automatic");
    expect(cal.warnings).toEqual([]);
    const truth = scan.phantom.calibration.rodTruth();
    cal.rods.forEach((r, i) => {
      expect(r.name).toBe(truth[i].name);
      expect(Math.hypot(r.centre[0] - truth[i].centreLine.point[0], r.centre[1] - truth[i].centreLine.point[1])).toBeLessThan(1.5); // 1.5 pixels; the ROI (0.6 R) keeps 3 mm from the rod edge
    });
    expect(Math.abs(cal.fit.huPerDensity - TRUE_SLOPE) / TRUE_SLOPE).toBeLessThan(0.005);
    expect(Math.abs(cal.fit.intercept)).toBeLessThan(2); // mg/cm3
    expect(cal.fit.r2).toBeGreaterThan(0.9999);
    // calibrated rod densities within 1 mg/cm3 of their certificate values
    for (const p of cal.fit.points) expect(Math.abs(p.residualDensity)).toBeLessThan(1);
  });

  it("assigns rods correctly when the phantom lies the other way round", () => {
    const [nx, ny, nz] = scan.ct.dims;
    const flipped = new Int16Array(scan.ct.data.length);
    for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
      flipped[i + nx * (j + ny * k)] = scan.ct.data[nx - 1 - i + nx * (j + ny * k)];
    }
    const cal = phantomCalibration(createVolume({ ...scan.ct, data: flipped }), DEF);
    expect(Math.abs(cal.fit.huPerDensity - TRUE_SLOPE) / TRUE_SLOPE).toBeLessThan(0.005);
    expect(cal.rods[4].centre[0]).toBeLessThan(cal.rods[0].centre[0]); // E is now on the right (-x)
  });

  it("measures explicit ROIs and warns on a poor fit", () => {
    const truth = scan.phantom.calibration.rodTruth();
    const centres = truth.map((t) => [t.centreLine.point[0], t.centreLine.point[1], scan.ct.origin[2]] as [number, number, number]);
    const cal = phantomCalibration(scan.ct, DEF, { rodCentres: centres });
    expect(cal.method).toBe("explicit ROI");
    expect(Math.abs(cal.fit.huPerDensity - TRUE_SLOPE) / TRUE_SLOPE).toBeLessThan(0.005);
    // a certificate with two densities swapped cannot fit a line: R^2 warning
    const wrong = { ...DEF, rods: DEF.rods.map((r, i) => ({ ...r, density: [0, 375, 100, 200, 50][i] })) };
    const bad = phantomCalibration(scan.ct, wrong, { rodCentres: centres });
    expect(bad.warnings.join()).toMatch(/R\^2 = 0\.\d+ is below 0\.99/);
  });

  it("says clearly when there is no phantom", () => {
    const water = createVolume({ dims: [120, 120, 6], spacing: [1, 1, 1], data: new Int16Array(120 * 120 * 6).fill(20) });
    expect(() => phantomCalibration(water, DEF)).toThrow(CalibrationError);
    expect(() => phantomCalibration(water, DEF)).toThrow(/no calibration phantom found/);
  });
});

describe("phantom calibration: rod search regressions", () => {
  it("a flat-topped noisy score and an undetected end rod: the bar is placed inside the image (in-silico subject S0005)", async () => {
    const { readSubjectSpec, generateSubjectScan } = await import("../../lib/synthetic/subject.js");
    const { join } = await import("node:path");
    const { REPO_ROOT } = await import("../helpers/paths.js");
    const scan = generateSubjectScan(readSubjectSpec(join(REPO_ROOT, "datasets/cohort/in-silico/subjects/S0005.phantom.json")));
    const def: PhantomDefinition = { name: "synthetic", measure: "rhoK", rodDiameter: 16, rodSpacing: 26, rods: [0, 50, 100, 200, 375].map((d, i) => ({ name: "ABCDE"[i], density: d })) };
    const r = phantomCalibration(scan.ct, def);
    // the scanner relation of the generator: HU = 1.5872 rhoK (truth.json ctFormation), so rhoK = 0.630 HU
    expect(r.fit.slope).toBeCloseTo(1 / 1.58721, 2);
    expect(Math.abs(r.fit.intercept)).toBeLessThan(1);
    // rod A (water density) has no contrast; it is placed from the spacing, at the image's side
    expect(r.rods[0].detected).toBe(false);
    expect(r.rods[0].centre[0]).toBeLessThan(r.rods[4].centre[0]);
  });
});
