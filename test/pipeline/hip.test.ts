import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readScan } from "../../lib/io/scan.js";
import { analyzeHip } from "../../lib/pipeline/hip.js";
import { REPO_ROOT } from "../helpers/paths.js";

const phantom = JSON.parse(readFileSync(join(REPO_ROOT, "datasets/phantom/calibration-phantom.json"), "utf8"));
const truth = JSON.parse(readFileSync(join(REPO_ROOT, "datasets/phantom/hip/truth.json"), "utf8"));

/**
 * The embedded hip at 1.5 mm (sideways fall, PMMA caps, pinned distal cut, moduli integrated over the
 * elements, nonlinear peak), as measured on 2026-12-07 (6180 N plateau, 2856 N/mm; 3 mm: 6250 N) with this
 * test. The linear step behind the stiffness is checked against CalculiX on the exported deck
 * (test/fe/inp-hip.test.ts: every displacement within 1%), the nonlinear step against the closed-form
 * plastic limit of a bone block between PMMA caps (test/strength/pmma-block.test.ts).
 */
const REFERENCE = { strengthN: 6180, stiffnessNPerMm: 2856 };

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

  it("reports the nonlinear peak by default, with its definition", () => {
    const d = r.strength.definition;
    expect(d.criterion).toBe("nonlinear-peak");
    expect(d.id).toMatch(/^hip:nonlinear-peak:morgan2003-femoral-neck\/element-mean:0\.73\/1\.04:1\.5mm:[0-9a-f]{8}$/);
    expect(d.boundary).toMatch(/PMMA caps 10 mm thick, 6 mm intrusion.*pinned/);
    expect(Math.abs(r.strengthN - r.strength.nonlinearN!)).toBeLessThanOrEqual(5);
    expect(r.strength.nonlinearN!).toBeGreaterThan(r.strength.linearN); // the 2% linear criterion is conservative
    expect(at15.artifacts.capped!.caps.map((c) => c.name)).toEqual(["HEAD", "TROCHANTER"]);
  });

  it("gives a sideways-fall strength inside the published range of cadaver femora", () => {
    // Eckstein 2004: 3951 +/- 1659 N in elderly donors (bct-reference.md §8); about 7200 N in young
    // donors (Courtney 1995, ◇). The phantom's bone is healthy (trabecular 45-320, cortex 900-1100
    // mg/cm3), so its strength belongs between the elderly mean and the young values, with margin.
    expect(r.strengthN).toBeGreaterThan(3951 - 1659);
    expect(r.strengthN).toBeLessThan(7200 * 1.3);
    // a sanity bound (no cited figure): a whole proximal femur in a fall is kN/mm stiff, not N/mm or MN/mm
    expect(r.stiffnessNPerMm).toBeGreaterThan(1000);
    expect(r.stiffnessNPerMm).toBeLessThan(10000);
  });

  it("strength and stiffness pinned to 2% of the reference", () => {
    expect(Math.abs(r.strengthN / REFERENCE.strengthN - 1)).toBeLessThan(0.02);
    expect(Math.abs(r.stiffnessNPerMm / REFERENCE.stiffnessNPerMm - 1)).toBeLessThan(0.02);
  });

  it("converges: 1.0 mm within 3% of 1.5 mm in stiffness and in the linear strength (the nonlinear table: bench/hip.ts)", () => {
    const fine = analyzeHip(ct, { sex: "F", calibration: { kind: "phantom", phantom }, elementSize: 1.0, strength: { criterion: "linear-critical-volume" }, dxa: false }).result;
    const table = [
      { elementMm: 1.5, stiffnessNPerMm: r.stiffnessNPerMm, linearN: r.strength.linearN },
      { elementMm: 1.0, stiffnessNPerMm: fine.stiffnessNPerMm, linearN: fine.strength.linearN },
    ];
    console.table(table);
    expect(Math.abs(fine.stiffnessNPerMm / r.stiffnessNPerMm - 1)).toBeLessThan(0.03);
    expect(Math.abs(fine.strength.linearN / r.strength.linearN - 1)).toBeLessThan(0.03);
  });

  it("the linear criteria are options, reported as what they are (3 mm)", () => {
    const run = (strength: Parameters<typeof analyzeHip>[1]["strength"]) => analyzeHip(ct, { sex: "F", calibration: { kind: "phantom", phantom }, elementSize: 3.0, strength, dxa: false }).result;
    const first = run({ criterion: "linear-first-node" }), two = run({ criterion: "linear-critical-volume" }), five = run({ criterion: "linear-critical-volume", criticalFraction: 0.05 });
    expect(first.strength.definition.criterion).toBe("linear-first-node");
    expect(two.strength.definition.id).toContain(":cv2:");
    expect(five.strength.definition.id).toContain(":cv5:");
    expect(first.strength.criterion).toMatch(/^first element/);
    expect(first.strengthN).toBeLessThan(two.strengthN);
    expect(two.strengthN).toBeLessThan(five.strengthN);
    expect(first.curve).toBeUndefined();
  });

  it("the nonlinear curve starts on the linear stiffness (3 mm elements, few steps)", () => {
    const n = analyzeHip(ct, { sex: "F", calibration: { kind: "phantom", phantom }, elementSize: 3.0, strength: { criterion: "nonlinear-peak", steps: 4, forceTol: 5e-3 }, dxa: false });
    const c = n.result.curve!;
    const k0 = c.forceN[1] / c.displacementMm[1];
    expect(Math.abs(k0 - n.result.stiffnessNPerMm) / n.result.stiffnessNPerMm).toBeLessThan(0.01);
    // elastic-plastic: the secant stiffness never grows
    for (let i = 2; i < c.forceN.length; i++) expect(c.forceN[i] / c.displacementMm[i]).toBeLessThanOrEqual(k0 * 1.0001);
    expect(n.result.strength.nonlinearN).toBeGreaterThan(0);
    // the PMMA never yields
    const { capped, nonlinear } = n.artifacts;
    for (let q = 0; q < capped!.material.length; q++) if (capped!.material[q]) expect(nonlinear!.yielded[q]).toBe(0);
  });
});
