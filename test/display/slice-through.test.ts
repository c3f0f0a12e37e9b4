/**
 * Slices through the analysed bone: the three panes pass through the given point (the pane's
 * position along its normal equals the point's within half a voxel) and the analysed bone's mask is
 * in every pane, on the embedded phantoms (truth labels) and on the shared real scan (L1 of the
 * TotalSegmentator labels, issue #12: the middle of the volume misses it); outlines are drawn on
 * region borders only; the phantom calibration's ROIs lie in the truth rods and hold their HU.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { phantomCalibration, type PhantomDefinition } from "../../lib/calibration/phantom.js";
import { cylinderLabels, maskCentroid, sliceIndexThrough, sliceThrough, sliceThroughBundle } from "../../lib/display/slice-through.js";
import { sliceImage } from "../../lib/display/slice.js";
import { readNifti } from "../../lib/io/nifti/index.js";
import { calibrationRois, femoralNeckCentre } from "../../lib/report/slices.js";
import { labelMask } from "../../lib/segmentation/mask.js";
import { createVolume, type Vec3, type Volume } from "../../lib/volume/volume.js";
import { REPO_ROOT, TOTALSEG, describeWithShared } from "../helpers/paths.js";

const NORMAL = { axial: 2, coronal: 1, sagittal: 0 } as const;

/** Each pane through `point`: position within half a voxel of the point, the mask in the pane. */
function expectThrough(ct: Volume, mask: Volume, point: Vec3) {
  const s = sliceThrough(ct, point, { mask: { volume: mask, label: "bone" } });
  for (const pane of s.panes) {
    const a = NORMAL[pane.plane];
    const voxel = Math.max(...ct.spacing.map((h, c) => Math.abs(ct.direction[a * 3 + c]) > 0.5 ? h : 0));
    expect(Math.abs(pane.image.position - point[a]), pane.plane).toBeLessThanOrEqual(voxel / 2 + 1e-6);
    expect(pane.maskPixels, pane.plane).toBeGreaterThan(50);
  }
  return s;
}

describe("slices through the analysed bone on the embedded phantoms", () => {
  it("hip: through the femoral neck centroid, the femur in all three panes", () => {
    const dir = resolve(REPO_ROOT, "datasets/phantom/hip");
    const truth = JSON.parse(readFileSync(join(dir, "truth.json"), "utf8"));
    const ct = readNifti(join(dir, "ct.nii.gz")).volume;
    const femur = labelMask(readNifti(join(dir, "labels.nii.gz")).volume, 1);
    const neck = femoralNeckCentre(femur, { headCentre: truth.femur.headCentre, headRadius: truth.femur.headRadiusMm, neckAxis: truth.femur.neckAxis });
    // the neck centroid lies on the neck: between the head centre and the neck-shaft junction, near the axis
    const h = truth.femur.headCentre as Vec3, j = truth.femur.neckShaftJunction as Vec3;
    const t = neck.reduce((s, v, c) => s + (v - h[c]) * (j[c] - h[c]), 0) / j.reduce((s, v, c) => s + (v - h[c]) ** 2, 0);
    expect(t).toBeGreaterThan(0.2);
    expect(t).toBeLessThan(0.9);
    expectThrough(ct, femur, neck);
  });

  it("spine: through the vertebral body centroid, the body in all three panes", () => {
    const dir = resolve(REPO_ROOT, "datasets/phantom/spine");
    const ct = readNifti(join(dir, "ct.nii.gz")).volume;
    const body = labelMask(readNifti(join(dir, "labels.nii.gz")).volume, 1);
    const s = expectThrough(ct, body, maskCentroid(body));
    const html = sliceThroughBundle(ct, s.point, { mask: { volume: body, label: "vertebral body" } }).data["text/html"] as string;
    expect((html.match(/data:image\/png;base64,/g) ?? []).length).toBe(3);
    expect(html).toMatch(/vertebral body/);
  });

  it("the calibration ROIs the phantom fit records lie inside the truth rods and hold the fitted HU", () => {
    const dir = resolve(REPO_ROOT, "datasets/phantom/hip");
    const ct = readNifti(join(dir, "ct.nii.gz")).volume;
    const labels = readNifti(join(dir, "labels.nii.gz")).volume;
    const def = JSON.parse(readFileSync(resolve(REPO_ROOT, "datasets/phantom/calibration-phantom.json"), "utf8")) as PhantomDefinition;
    const fit = phantomCalibration(ct, def).fit;
    const roi = calibrationRois(ct, fit)!;
    expect(roi.label).toMatch(/calibration ROIs/);
    fit.points.forEach((pt, q) => {
      let n = 0, inRod = 0, hu = 0;
      for (let p = 0; p < roi.volume.data.length; p++) {
        if (roi.volume.data[p] !== q + 1) continue;
        n++;
        hu += ct.data[p];
        if (labels.data[p] === 11 + q) inRod++; // truth labels 11..15 = rods A..E
      }
      expect(n, pt.name).toBeGreaterThan(20);
      expect(inRod / n, pt.name).toBe(1);
      expect(Math.abs(hu / n - pt.hu), pt.name).toBeLessThan(5); // trimmed mean in the fit, plain mean here
    });
  });
});

describe("outlines and cylinders", () => {
  const v = createVolume({ dims: [20, 20, 20], spacing: [1, 1, 1] });
  const cube = createVolume({ dims: [20, 20, 20], spacing: [1, 1, 1], data: new Uint8Array(8000) });
  for (let k = 5; k < 15; k++) for (let j = 5; j < 15; j++) for (let i = 5; i < 15; i++) cube.data[i + 20 * (j + 20 * k)] = 1;
  it("an outline paints the border pixels of a region and leaves its inside and outside alone", () => {
    const img = sliceImage(v, { plane: "axial", index: 10, window: { center: 1e6, width: 1 }, minSize: 20, overlays: [{ kind: "mask", volume: cube, color: [255, 0, 0], style: "outline" }] });
    const red = (x: number, y: number) => img.rgb[3 * (y * img.width + x)] === 255;
    expect(img.width).toBe(20);
    // axial: image column x = voxel i (R->L), row y = voxel j (A->P) for an identity direction
    expect(red(5, 10)).toBe(true);
    expect(red(14, 10)).toBe(true);
    expect(red(10, 5)).toBe(true);
    expect(red(10, 10)).toBe(false);
    expect(red(4, 10)).toBe(false);
    let n = 0;
    for (let p = 0; p < img.width * img.height; p++) if (img.rgb[3 * p] === 255) n++;
    expect(n).toBe(36); // the 10 x 10 square's border
  });
  it("sliceIndexThrough finds the slice of a point and refuses one outside", () => {
    expect(sliceIndexThrough(v, "coronal", [3, 7.2, 9])).toBe(7);
    expect(() => sliceIndexThrough(v, "axial", [0, 0, 40])).toThrow(/outside the volume/);
  });
  it("cylinderLabels marks the voxels within the radius between the end points", () => {
    const c = cylinderLabels(v, [{ from: [10, 10, 2], to: [10, 10, 12], radiusMm: 2 }]);
    const at = (i: number, j: number, k: number) => c.data[i + 20 * (j + 20 * k)];
    expect(at(10, 10, 2)).toBe(1);
    expect(at(12, 10, 7)).toBe(1);
    expect(at(12, 12, 7)).toBe(0); // 2.83 mm off the axis
    expect(at(10, 10, 13)).toBe(0);
    let n = 0;
    for (const x of c.data) n += x;
    expect(n).toBe(13 * 11); // 13 voxels within 2 mm in each of the 11 slices
  });
});

describeWithShared("slices through the analysed bone on the shared real scan", () => {
  it("L1: the panes pass through the body's centroid (z about 386 mm), not the middle of the volume", () => {
    const ct = readNifti(join(TOTALSEG, "example_ct.nii.gz")).volume;
    const levels = readNifti(join(TOTALSEG, "example_ct_vertebrae_levels.nii.gz")).volume;
    const body = readNifti(join(TOTALSEG, "example_ct_vertebrae_body.nii.gz")).volume;
    const l1 = createVolume({ ...ct, data: Uint8Array.from(levels.data, (l, p) => (l === 31 && body.data[p] === 1 ? 1 : 0)) });
    const c = maskCentroid(l1);
    expect(Math.abs(c[2] - 386)).toBeLessThan(10);
    const s = expectThrough(ct, l1, c);
    const middle = sliceImage(ct, { plane: "axial" }).position; // the old default: the middle slice
    expect(Math.abs(s.panes[0].image.position - middle)).toBeGreaterThan(50);
  });
});
