import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readScan } from "../../lib/io/scan.js";
import { analyzeHip } from "../../lib/pipeline/hip.js";
import { REPO_ROOT } from "../helpers/paths.js";

const phantom = JSON.parse(readFileSync(join(REPO_ROOT, "datasets/phantom/calibration-phantom.json"), "utf8"));
const truth = JSON.parse(readFileSync(join(REPO_ROOT, "datasets/phantom/hip/truth.json"), "utf8"));

describe("hip analysis of the embedded phantom, end to end", async () => {
  const ct = (await readScan(join(REPO_ROOT, "datasets/phantom/hip/ct.nii.gz"))).volume;
  const at15 = analyzeHip(ct, { sex: "F", calibration: { kind: "phantom", phantom }, elementSize: 1.5 });
  const r = at15.result;

  it("recovers the scanner relation and the femur's geometry", () => {
    expect(Math.abs(1 / r.calibration.slope - truth.ctFormation.slopeHuPerMgCm3) / truth.ctFormation.slopeHuPerMgCm3).toBeLessThan(0.005);
    expect(r.femur.side).toBe(truth.femur.side);
    expect(Math.hypot(...r.femur.headCentre.map((x, c) => x - truth.femur.headCentre[c]))).toBeLessThan(1.5);
    expect(r.solver.converged).toBe(true);
  });

  it("gives a sideways-fall strength inside the published range of cadaver femora", () => {
    // Eckstein 2004: 3951 +/- 1659 N in elderly donors (bct-reference.md §8); about 7200 N in young
    // donors (Courtney 1995, ◇). The phantom's bone is healthy (trabecular 45-320, cortex 900-1100
    // mg/cm3), so its strength belongs between the elderly mean and the young values, with margin.
    expect(r.strengthN).toBeGreaterThan(3951 - 1659);
    expect(r.strengthN).toBeLessThan(7200 * 1.3);
    expect(["fragile", "low", "normal"]).toContain(r.classification);
    // a sanity bound (no cited figure): a whole proximal femur in a fall is kN/mm stiff, not N/mm or MN/mm
    expect(r.stiffnessNPerMm).toBeGreaterThan(1000);
    expect(r.stiffnessNPerMm).toBeLessThan(10000);
  });

  it("converges with element size: 1.0, 1.5 and 2.0 mm agree within 15% in stiffness and strength", () => {
    const results = [1.0, 2.0].map((h) => analyzeHip(ct, { sex: "F", calibration: { kind: "phantom", phantom }, elementSize: h }).result);
    for (const o of results) {
      expect(Math.abs(o.stiffnessNPerMm - r.stiffnessNPerMm) / r.stiffnessNPerMm).toBeLessThan(0.15);
      expect(Math.abs(o.strengthN - r.strengthN) / r.strengthN).toBeLessThan(0.15);
    }
  });

  it("the nonlinear curve starts on the linear stiffness (3 mm elements, few steps)", () => {
    const n = analyzeHip(ct, { sex: "F", calibration: { kind: "phantom", phantom }, elementSize: 3.0, nonlinear: { steps: 4, forceTol: 5e-3 } });
    const c = n.result.curve!;
    const k0 = c.forceN[1] / c.displacementMm[1];
    expect(Math.abs(k0 - n.result.stiffnessNPerMm) / n.result.stiffnessNPerMm).toBeLessThan(0.01);
    // elastic-plastic: the secant stiffness never grows
    for (let i = 2; i < c.forceN.length; i++) expect(c.forceN[i] / c.displacementMm[i]).toBeLessThanOrEqual(k0 * 1.0001);
    expect(n.result.strength.nonlinearN).toBeGreaterThan(0);
  });
});
