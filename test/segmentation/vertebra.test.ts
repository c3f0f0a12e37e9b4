import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { readNifti } from "../../lib/io/nifti/index.js";
import { dice, labelMask, SegmentationError } from "../../lib/segmentation/mask.js";
import { isolateVertebralBody } from "../../lib/segmentation/vertebra.js";
import { createVolume } from "../../lib/volume/volume.js";
import { HAVE_SHARED, REPO_ROOT, TOTALSEG } from "../helpers/paths.js";

describe("vertebral body selection", () => {
  it("isolates the synthetic L3 body from its posterior elements: Dice > 0.97", () => {
    // truth.json: label 1 = vertebral body, 2 = posterior elements
    const lab = readNifti(resolve(REPO_ROOT, "datasets/phantom/spine/labels.nii.gz")).volume;
    const r = isolateVertebralBody(labelMask(lab, [1, 2]));
    expect(dice(r.body, labelMask(lab, 1))).toBeGreaterThan(0.97); // measured 0.984
    expect(dice(r.posterior, labelMask(lab, 2))).toBeGreaterThan(0.95);
    expect(r.anterior[1]).toBeLessThan(-0.9); // LPS -y is anterior
  });

  it.skipIf(!HAVE_SHARED)("matches TotalSegmentator's body label on the real scan (3 mm voxels): L1 Dice > 0.97, L2-L4 > 0.96", () => {
    const lev = readNifti(resolve(TOTALSEG, "example_ct_vertebrae_levels.nii.gz")).volume;
    const bod = readNifti(resolve(TOTALSEG, "example_ct_vertebrae_body.nii.gz")).volume;
    // measured: L1 0.989, L2 0.981, L3 0.979, L4 0.975
    for (const [level, bound] of [[31, 0.97], [30, 0.96], [29, 0.96], [28, 0.96]]) {
      const v = labelMask(lev, level);
      const truth = { data: Uint8Array.from(v.data, (x, p) => (x && bod.data[p] === 1 ? 1 : 0)) };
      const r = isolateVertebralBody(v);
      expect(dice(r.body, truth)).toBeGreaterThan(bound);
    }
  });

  it("throws on an empty or too thin mask", () => {
    expect(() => isolateVertebralBody(createVolume({ dims: [5, 5, 5], data: new Uint8Array(125) }))).toThrow(SegmentationError);
    const sheet = new Uint8Array(10 * 10 * 10);
    for (let i = 0; i < 100; i++) sheet[i + 500] = 1;
    expect(() => isolateVertebralBody(createVolume({ dims: [10, 10, 10], data: sheet }))).toThrow(/too thin/);
  });
});
