import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, TOTALSEG, describeWithShared } from "../helpers/paths.js";
import { bct } from "../helpers/cli.js";


describe("bct analyze --site spine --level without --labels: usage", () => {
  it("refuses --level on the embedded phantom (one vertebra, no sacrum to count from), before any work", async () => {
    const r = await bct("analyze", "--site", "spine", "--level", "L1");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --level without --labels names the level by counting up from the sacrum.*no sacrum/m);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("the phantom's scan given as a file: the naming itself fails, saying to give --labels", async () => {
    const r = await bct("analyze", join(REPO_ROOT, "datasets/phantom/spine/ct.nii.gz"), "--site", "spine", "--level", "L3",
      "--phantom", join(REPO_ROOT, "datasets/phantom/calibration-phantom.json"), "--out", mkdtempSync(join(tmpdir(), "bct-levels-")));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: no sacrum found.*--labels/m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describeWithShared("bct analyze <real scan> --site spine --level L1, levels named automatically", () => {
  const scan = join(TOTALSEG, "example_ct.nii.gz");

  it("asks for --level or --labels when a scan comes with neither", async () => {
    const r = await bct("analyze", scan, "--site", "spine", "--calibration", "internal");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: the spine path on a scan needs --level .* or --labels/m);
  });

  it("analyses L1 named from the sacrum, and agrees with the --labels run of the same level", async () => {
    // --linear: two nonlinear pushovers of a 1 mm L1 side by side outlast the test timeout on a shared machine;
    // this test is about the level naming and the masks (the nonlinear path: test/pipeline/spine.test.ts)
    const [auto, labelled] = await Promise.all([
      bct("analyze", scan, "--site", "spine", "--level", "L1", "--sex", "M", "--calibration", "internal", "--linear", "--json", "--out", mkdtempSync(join(tmpdir(), "bct-levels-"))),
      bct("analyze", scan, "--site", "spine", "--level", "L1", "--labels", join(TOTALSEG, "example_ct_vertebrae_levels.nii.gz"), "--sex", "M", "--calibration", "internal", "--linear", "--json", "--out", mkdtempSync(join(tmpdir(), "bct-labels-"))),
    ]);
    expect(auto.code, auto.stderr).toBe(0);
    expect(labelled.code, labelled.stderr).toBe(0);
    const a = JSON.parse(auto.stdout), b = JSON.parse(labelled.stdout);
    expect(a.site).toBe("spine");
    expect(a.level).toBe("L1");
    expect(auto.stderr).toMatch(/level naming: S1 L5 L4 L3 L2 L1 T12 from the sacrum; ribs agree \(T12\)/);
    expect(a.levelNaming.ribs.agrees).toBe(true);
    expect(a.levelNaming.levels.find((l: { name: string }) => l.name === "L1").complete).toBe(true);
    expect(a).not.toHaveProperty("levelNaming.profile");
    expect(b).not.toHaveProperty("levelNaming");
    // the 3 mm voxels are resampled onto 1 mm elements, and the result says so
    expect(a.warnings.join("\n")).toMatch(/3\.00 x 3\.00 x 3\.00 mm: coarse for a vertebra; the density is resampled onto 1 mm elements/);
    expect(a.solver.converged).toBe(true);
    // vertebral strengths span about 1-15 kN (the spine pipeline's test band; Keaveny's thresholds sit at 4.5-8.5 kN)
    expect(a.strengthN).toBeGreaterThan(1000);
    expect(a.strengthN).toBeLessThan(15000);
    // Same vertebra, two masks: ours is cut at the discs' half-depth planes and closed by 3 mm, the label
    // map's is TotalSegmentator's; the bodies agree to Dice 0.92 and differ mainly by a rim of about half
    // a 3 mm voxel. The body carries the load in compression, so strength goes with its cross-section: a
    // 1.5 mm rim on a ~20 mm radius changes the area by (21.5/20)^2 - 1 = 16%. Measured: 2920 vs 2720 N (+7%).
    expect(Math.abs(a.strengthN - b.strengthN) / b.strengthN).toBeLessThan(0.16);
    expect(Math.abs(a.stiffnessNPerMm - b.stiffnessNPerMm) / b.stiffnessNPerMm).toBeLessThan(0.16); // measured -1%
    expect(JSON.parse(auto.stdout).vertebra.heightMm).toBeGreaterThan(21 - 3); // TotalSegmentator's L1: 21-27 mm
    expect(JSON.parse(auto.stdout).vertebra.heightMm).toBeLessThan(27 + 3);
  });
});
