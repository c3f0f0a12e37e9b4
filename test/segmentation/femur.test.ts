import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { readNifti } from "../../lib/io/nifti/index.js";
import { boneMask } from "../../lib/segmentation/bone.js";
import { isolateFemur } from "../../lib/segmentation/femur.js";
import { dice, labelMask, SegmentationError } from "../../lib/segmentation/mask.js";
import { createVolume, worldToIndex, type Vec3 } from "../../lib/volume/volume.js";
import { REPO_ROOT } from "../helpers/paths.js";

const HIP = resolve(REPO_ROOT, "datasets/phantom/hip");

describe("femur isolation on the synthetic hip phantom", () => {
  const truth = JSON.parse(readFileSync(resolve(HIP, "truth.json"), "utf8"));
  const ct = readNifti(resolve(HIP, "ct.nii.gz")).volume;
  const labels = readNifti(resolve(HIP, "labels.nii.gz")).volume;
  // calibrated density with the phantom's own scanner relation (HU = 1.25 rhoK in bone)
  const density = createVolume({ ...ct, data: Float32Array.from(ct.data, (h) => h / truth.ctFormation.slopeHuPerMgCm3) });
  const bone = boneMask(density).mask;
  const r = isolateFemur(bone);

  it("separates femur from pelvis at the joint: Dice > 0.95 (femur) and > 0.92 (pelvis)", () => {
    const femurLabel = truth.labels.find((l: { name: string }) => l.name === "femur").value;
    const pelvisLabel = truth.labels.find((l: { name: string }) => l.name === "pelvis").value;
    expect(dice(r.femur, labelMask(labels, femurLabel))).toBeGreaterThan(0.95); // measured 0.958
    expect(dice(r.pelvis, labelMask(labels, pelvisLabel))).toBeGreaterThan(0.92); // measured 0.933
  });

  it("finds the head centre, head radius and shaft axis of the truth", () => {
    const f = truth.femur;
    expect(Math.hypot(...(r.headCentre.map((v, c) => v - f.headCentre[c]) as Vec3))).toBeLessThan(2);
    expect(Math.abs(r.headRadiusMm - f.headRadiusMm)).toBeLessThan(2);
    const cos = r.shaftAxis.reduce((s, v, c) => s + v * f.shaftAxis[c], 0);
    expect((Math.acos(Math.min(1, cos)) * 180) / Math.PI).toBeLessThan(8);
  });

  it("cuts the proximal femur below the lesser trochanter and keeps head and trochanters", () => {
    const f = truth.femur;
    const at = (w: Vec3) => {
      const [i, j, k] = worldToIndex(r.proximal, w).map(Math.round);
      return r.proximal.data[i + r.proximal.dims[0] * (j + r.proximal.dims[1] * k)];
    };
    expect(at(f.headCentre)).toBe(1);
    expect(at(f.landmarks.greaterTrochanterCentre)).toBe(1);
    expect(at(f.landmarks.lesserTrochanterCentre)).toBe(1);
    // the cut lies 10-40 mm below the lesser trochanter along the shaft
    const lt = f.landmarks.lesserTrochanterCentre as Vec3;
    const below = (lt[0] - r.cut.point[0]) * r.shaftAxis[0] + (lt[1] - r.cut.point[1]) * r.shaftAxis[1] + (lt[2] - r.cut.point[2]) * r.shaftAxis[2];
    expect(below).toBeGreaterThan(10);
    expect(below).toBeLessThan(40);
    expect(r.voxels.proximal).toBeLessThan(r.voxels.femur);
    expect(r.warnings.join(" ")).toMatch(/border/);
  });

  it("throws on an empty mask", () => {
    expect(() => isolateFemur(createVolume({ dims: [5, 5, 5], data: new Uint8Array(125) }))).toThrow(SegmentationError);
  });
});
