import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { femurLandmarks } from "../../lib/anatomy/femur.js";
import { readNifti } from "../../lib/io/nifti/index.js";
import { labelMask } from "../../lib/segmentation/mask.js";
import { readFileSync } from "node:fs";
import { REPO_ROOT } from "../helpers/paths.js";

const HIP = join(REPO_ROOT, "datasets/phantom/hip");
const truth = JSON.parse(readFileSync(join(HIP, "truth.json"), "utf8")).femur;
const angle = (a: number[], b: number[]) => (Math.acos(Math.min(1, Math.abs(a[0] * b[0] + a[1] * b[1] + a[2] * b[2]))) * 180) / Math.PI;

describe("femur landmarks on the synthetic hip phantom (truth: the generator's geometry)", () => {
  const labels = readNifti(join(HIP, "labels.nii.gz")).volume;
  const f = femurLandmarks(labelMask(labels, 1));
  it("finds side, head centre and radius", () => {
    expect(f.side).toBe(truth.side);
    const err = Math.hypot(...f.headCentre.map((x, c) => x - truth.headCentre[c]));
    expect(err).toBeLessThan(0.5);
    expect(Math.abs(f.headRadius - truth.headRadiusMm)).toBeLessThan(0.5); // surface voxel centres lie up to half a voxel inside
  });
  it("finds shaft and neck axes, neck-shaft angle and anteversion", () => {
    expect(angle(f.shaftAxis, truth.shaftAxis)).toBeLessThan(2);
    expect(angle(f.neckAxis, truth.neckAxis)).toBeLessThan(3);
    expect(Math.abs(f.neckShaftAngleDeg - truth.neckShaftAngleDeg)).toBeLessThan(3);
    expect(Math.abs(f.anteversionDeg - truth.anteversionDeg)).toBeLessThan(2);
    expect(f.frame.anterior[1]).toBeLessThan(0);
  });
});
