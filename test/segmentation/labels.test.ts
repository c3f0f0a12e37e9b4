import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { readNifti } from "../../lib/io/nifti/index.js";
import { labelMaskOnGrid, labelsPresent, readLabelMask } from "../../lib/segmentation/labels.js";
import { SegmentationError } from "../../lib/segmentation/mask.js";
import { gridWithSpacing } from "../../lib/volume/resample.js";
import { HAVE_SHARED, REPO_ROOT, TOTALSEG } from "../helpers/paths.js";

describe("label-map path", () => {
  it("reads a phantom label on its own grid without resampling", () => {
    const r = readLabelMask(resolve(REPO_ROOT, "datasets/phantom/hip/labels.nii.gz"), 1);
    const truth = JSON.parse(readFileSync(resolve(REPO_ROOT, "datasets/phantom/hip/truth.json"), "utf8"));
    expect(r.resampled).toBe(false);
    expect(r.voxels).toBe(truth.labels[0].voxelCount);
    expect(r.warnings).toEqual([]);
  });

  it("resamples a label map on another grid and says so, keeping the volume", () => {
    const lab = readNifti(resolve(REPO_ROOT, "datasets/phantom/spine/labels.nii.gz")).volume;
    const own = labelMaskOnGrid(lab, 1);
    const coarse = gridWithSpacing(lab, [2, 2, 2]);
    const r = labelMaskOnGrid(lab, 1, coarse);
    expect(r.resampled).toBe(true);
    expect(r.warnings.join(" ")).toMatch(/different grid.*resampled onto the target grid.*nearest/);
    expect(r.mask.dims).toEqual(coarse.dims);
    expect(Math.abs(r.volumeMm3 / own.volumeMm3 - 1)).toBeLessThan(0.1);
  });

  it("names the labels present when a label does not exist", () => {
    const lab = readNifti(resolve(REPO_ROOT, "datasets/phantom/spine/labels.nii.gz")).volume;
    expect(() => labelMaskOnGrid(lab, 42, undefined, { names: { 1: "vertebral_body" } })).toThrow(SegmentationError);
    expect(() => labelMaskOnGrid(lab, [1, 42], undefined, { names: { 1: "vertebral_body" } })).toThrow(/label 42 does not exist.*labels present: 1 \(vertebral_body\), 2, 3/);
    expect(labelsPresent(lab).map((l) => l.label)).toContain(17);
  });

  it.skipIf(!HAVE_SHARED)("takes L1 and the aorta from the real TotalSegmentator map, already on the CT grid", () => {
    const ref = JSON.parse(readFileSync(resolve(TOTALSEG, "reference-values.json"), "utf8"))["example_seg_aligned.nii.gz"].labels;
    const ct = readNifti(resolve(TOTALSEG, "example_ct.nii.gz")).volume;
    const names = JSON.parse(readFileSync(resolve(TOTALSEG, "class_map_total.json"), "utf8")).total;
    const l1 = readLabelMask(resolve(TOTALSEG, "example_seg_aligned.nii.gz"), 31, ct, { names });
    expect(l1.resampled).toBe(false);
    expect(l1.voxels).toBe(ref["31"]); // nibabel count: 2139
    const aorta = readLabelMask(resolve(TOTALSEG, "example_seg_aligned.nii.gz"), 52, ct);
    expect(aorta.voxels).toBe(ref["52"]);
    expect(() => readLabelMask(resolve(TOTALSEG, "example_seg_aligned.nii.gz"), 200, ct, { names })).toThrow(/31 \(vertebrae_L1\)/);
  });
});
