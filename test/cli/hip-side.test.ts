/**
 * `--side` and the hip on a real two-hip scan through the command line: the shared real scan has both
 * hips, a metal implant on the left and no femoral shafts, so `bct analyze` and `bct dxa` must end
 * with one clear `error:` line about the missing shaft of the chosen side (the right by default,
 * naming the implant), never a stack trace or a number. Also: the report of the embedded phantom
 * slices through the analysed bone.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TOTALSEG, describeWithShared } from "../helpers/paths.js";
import { bct } from "../helpers/cli.js";

const oneErrorLine = (stderr: string) => {
  const errs = stderr.split("\n").filter((l) => l.startsWith("error: "));
  expect(errs).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
  return errs[0];
};

describe("--side", () => {
  it("is checked before anything is read", async () => {
    const r = await bct("analyze", "--side", "up");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--side must be left or right/);
    const s = await bct("dxa", "--site", "spine", "--side", "left");
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/--side is for --site hip/);
  });
  it("asking for the hip that is not in view of a one-hip scan is an error", async () => {
    const r = await bct("dxa", "--side", "left");
    expect(r.code).toBe(1);
    expect(oneErrorLine(r.stderr)).toMatch(/the left hip was asked for, but only the right hip is in view/);
  });
  it("the dxa report of the embedded phantom slices through the femoral neck with the ROIs and regions", async () => {
    const out = mkdtempSync(join(tmpdir(), "bct-dxa-slices-"));
    const r = await bct("dxa", "--side", "right", "--out", out);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(join(out, "dxa.html"), "utf8");
    expect(html).toMatch(/slices through the femoral neck/);
    expect(html).toMatch(/calibration ROIs \(A, B, C, D, E\)/);
    expect(html).toMatch(/DXA regions along the view/);
    expect((html.match(/alt="(axial|coronal|sagittal) slice"/g) ?? []).length).toBe(3);
  });
});

describeWithShared("the hip on the real two-hip scan (implant on the left, no femoral shafts)", () => {
  const scan = join(TOTALSEG, "example_ct.nii.gz");
  it("bct analyze: the right hip by default, ending with the missing-shaft error that names the implant", async () => {
    const r = await bct("analyze", scan, "--site", "hip", "--calibration", "internal", "--linear");
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    const e = oneErrorLine(r.stderr);
    expect(e).toMatch(/the right femoral shaft is not in the field of view/);
    expect(e).toMatch(/the left hip has a metal implant .*the right hip is analysed/);
  });
  it("bct dxa --side left: the implant side, with its warning, ends with the same clear error", async () => {
    const r = await bct("dxa", scan, "--site", "hip", "--calibration", "internal", "--side", "left");
    expect(r.code).toBe(1);
    const e = oneErrorLine(r.stderr);
    expect(e).toMatch(/the left femoral shaft is not in the field of view/);
    expect(e).toMatch(/the left hip has a metal implant.*unreliable/);
  });
});
