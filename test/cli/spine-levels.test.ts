import { mkdtempSync, readFileSync } from "node:fs";
import { readNifti, writeNifti } from "../../lib/io/nifti/index.js";
import { TOTALSEGMENTATOR_VERTEBRA_LABELS } from "../../lib/pipeline/spine.js";
import { cropVolume } from "../../lib/volume/crop.js";
import { indexToWorld, type Vec3 } from "../../lib/volume/volume.js";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
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

describe("bct analyze --at: usage", () => {
  it.each([
    [["--at", "1,2"], /--at needs three numbers x,y,z/],
    [["--at", "1,b,3"], /--at needs three numbers x,y,z/],
    [["--at", "1,2,3", "--level", "L1"], /give --level or --at, not both/],
    [["--at", "1,2,3", "--labels", "x.nii.gz"], /--at picks the vertebra without a label map/],
  ])("refuses %j before any work", async (extra, message) => {
    const r = await bct("analyze", "--site", "spine", ...extra);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it("refuses --at for the hip", async () => {
    const r = await bct("analyze", "--site", "hip", "--at", "1,2,3");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--at is for --site spine/);
  });
});

describeWithShared("bct analyze <the real scan cut above L5> --site spine: levels from the ribs, failing fast", () => {
  let cut: string;
  beforeAll(() => {
    // the example scan without L5 and the sacrum: the slices above TotalSegmentator's highest L5 voxel
    const ct = readNifti(join(TOTALSEG, "example_ct.nii.gz")).volume;
    const levels = readNifti(join(TOTALSEG, "example_ct_vertebrae_levels.nii.gz")).volume;
    const [nx, ny, nz] = ct.dims;
    let kTop = -1;
    for (let p = 0; p < levels.data.length; p++) if (levels.data[p] === TOTALSEGMENTATOR_VERTEBRA_LABELS.L5) kTop = Math.max(kTop, Math.floor(p / (nx * ny)));
    cut = join(mkdtempSync(join(tmpdir(), "bct-cut-")), "cut-above-L5.nii.gz");
    writeNifti(cropVolume(ct, { min: [0, 0, kTop + 1], max: [nx, ny, nz] }), cut);
  });

  it("a level not in view ends in one error line within 10 s, before the calibration", async () => {
    const t0 = performance.now();
    const r = await bct("analyze", cut, "--site", "spine", "--level", "L5", "--calibration", "internal", "--out", mkdtempSync(join(tmpdir(), "bct-levels-")));
    const seconds = (performance.now() - t0) / 1000;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: level L5 was not found along the column; the levels named \(from the ribs\) are L4 \(partly\), L3, L2, L1, T12 \(partly\)$/m);
    expect(r.stderr).not.toMatch(/calibration:/); // the calibration stage never ran
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(seconds).toBeLessThan(10); // measured 3-6 s with the machine shared by several test runs
  });

  it("analyses L3 named from the ribs; the result and the report warn that the sacrum was missing and that L3 is outside L1-L2", async () => {
    const out = mkdtempSync(join(tmpdir(), "bct-levels-"));
    const r = await bct("analyze", cut, "--site", "spine", "--level", "L3", "--element", "2", "--sex", "F", "--calibration", "internal", "--json", "--out", out);
    expect(r.code, r.stderr).toBe(0);
    const a = JSON.parse(r.stdout);
    expect(a.level).toBe("L3");
    expect(a.levelNaming.namedFrom).toBe("ribs");
    expect(a.levelNaming.sacrum).toBeNull();
    expect(r.stderr).toMatch(/level naming: L4 L3 L2 L1 T12 from the ribs; ribs at T12 \(3 x 3 x 3 mm grid\)/);
    const warnings = a.warnings.join("\n");
    expect(warnings).toMatch(/level naming: no sacrum in view.*named from the ribs alone/);
    expect(warnings).toMatch(/level: the strength class thresholds \(Keaveny 2020\) were derived for vertebral bodies at L1-L2; L3 is another level/);
    const html = readFileSync(join(out, "report.html"), "utf8");
    expect(html).toContain("were derived for vertebral bodies at L1-L2; L3 is another level");
    // TotalSegmentator's spine report: L3 heights 25-30 mm (anterior to posterior)
    expect(a.vertebra.heightMm).toBeGreaterThan(20);
    expect(a.vertebra.heightMm).toBeLessThan(33);
  });
});

describeWithShared("bct analyze <real scan> --site spine --at x,y,z: the vertebra holding a point", () => {
  it("a point inside L2 (TotalSegmentator's L2 body centroid) analyses L2, with no level warning", async () => {
    const levels = readNifti(join(TOTALSEG, "example_ct_vertebrae_levels.nii.gz")).volume;
    const body = readNifti(join(TOTALSEG, "example_ct_vertebrae_body.nii.gz")).volume;
    const [nx, ny] = levels.dims;
    const c = [0, 0, 0];
    let n = 0;
    for (let p = 0; p < levels.data.length; p++) {
      if (levels.data[p] !== TOTALSEGMENTATOR_VERTEBRA_LABELS.L2 || body.data[p] !== 1) continue;
      const w = indexToWorld(levels, [p % nx, Math.floor(p / nx) % ny, Math.floor(p / (nx * ny))]);
      for (let a = 0; a < 3; a++) c[a] += w[a];
      n++;
    }
    const at = c.map((x) => +(x / n).toFixed(1)) as Vec3;
    const r = await bct("analyze", join(TOTALSEG, "example_ct.nii.gz"), "--site", "spine", "--at", at.join(","), "--element", "2", "--sex", "F", "--calibration", "internal", "--json", "--out", mkdtempSync(join(tmpdir(), "bct-at-")));
    expect(r.code, r.stderr).toBe(0);
    const a = JSON.parse(r.stdout);
    expect(a.level).toBe("L2");
    expect(a.vertebraAt).toMatchObject({ point: at, level: "L2" });
    expect(a.levelNaming.namedFrom).toBe("sacrum");
    expect(a.warnings.join("\n")).not.toMatch(/^level:/m);
    expect(r.stderr).toMatch(/; the point is in L2 /);
  });

  it("a point in front of the spine ends in one error line saying it is not inside a vertebra, before the calibration", async () => {
    const r = await bct("analyze", join(TOTALSEG, "example_ct.nii.gz"), "--site", "spine", "--at", "7,-200,352", "--calibration", "internal", "--out", mkdtempSync(join(tmpdir(), "bct-at-")));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: the point \(7\.0, -200\.0, 352\.0\) is not inside a vertebra: it lies \d+ mm from/m);
    expect(r.stderr).not.toMatch(/calibration:/);
  });
});

describeWithShared("bct analyze <real scan> --site spine --level L1, levels named automatically", () => {
  const scan = join(TOTALSEG, "example_ct.nii.gz");

  it("asks for --level or --labels when a scan comes with neither", async () => {
    const r = await bct("analyze", scan, "--site", "spine", "--calibration", "internal");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: the spine path on a scan needs --level .*--at x,y,z.* or --labels/m);
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
