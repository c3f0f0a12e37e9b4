import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { vertebraLandmarks } from "../../lib/anatomy/vertebra.js";
import { readNifti } from "../../lib/io/nifti/index.js";
import { labelMask } from "../../lib/segmentation/mask.js";
import { REPO_ROOT } from "../helpers/paths.js";

const SPINE = join(REPO_ROOT, "datasets/phantom/spine");
const truth = JSON.parse(readFileSync(join(SPINE, "truth.json"), "utf8")).vertebra;
const angle = (a: number[], b: number[]) => (Math.acos(Math.min(1, Math.abs(a[0] * b[0] + a[1] * b[1] + a[2] * b[2]))) * 180) / Math.PI;

describe("vertebral body landmarks on the synthetic spine phantom (truth: the generator's geometry)", () => {
  const v = vertebraLandmarks(labelMask(readNifti(join(SPINE, "labels.nii.gz")).volume, 1));
  it("finds centroid, axis, endplates and height", () => {
    expect(Math.hypot(...v.centroid.map((x, c) => x - truth.bodyCentroid[c]))).toBeLessThan(0.5);
    expect(angle(v.superiorEndplate.normal, truth.superiorEndplateNormal)).toBeLessThan(2);
    expect(angle(v.inferiorEndplate.normal, truth.inferiorEndplateNormal)).toBeLessThan(2);
    expect(angle(v.axis, truth.axis)).toBeLessThan(2);
    expect(Math.abs(v.endplateAngleDeg - truth.endplateAngleDeg)).toBeLessThan(1.5);
    expect(Math.abs(v.heightMm - truth.heightMm)).toBeLessThan(0.5);
    expect(Math.abs(v.volumeMm3 - truth.bodyVolumeMm3) / truth.bodyVolumeMm3).toBeLessThan(0.02);
  });
});
