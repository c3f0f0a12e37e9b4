/**
 * Choosing the hip on a two-hip scan and isolating its femur: a two-hip volume made from the embedded
 * hip phantom and its mirror image (so the truth of both femurs is known), with and without a metal
 * implant; the completeness checks (head, neck, shaft cut off) on cropped copies of the phantom; and
 * the shared real scan (both hips, a metal implant on the left, no femoral shafts).
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { applyCalibration } from "../../lib/calibration/fit.js";
import { internalCalibration } from "../../lib/calibration/internal.js";
import { readNifti } from "../../lib/io/nifti/index.js";
import { boneMask } from "../../lib/segmentation/bone.js";
import { FemurIncompleteError, isolateFemur } from "../../lib/segmentation/femur.js";
import { chooseHipSide, segmentHipFemur } from "../../lib/segmentation/hip-side.js";
import { dice, labelMask, SegmentationError } from "../../lib/segmentation/mask.js";
import { cropVolume } from "../../lib/volume/crop.js";
import { createVolume, indexToWorld, worldToIndex, type Vec3, type Volume } from "../../lib/volume/volume.js";
import { REPO_ROOT, TOTALSEG, describeWithShared } from "../helpers/paths.js";

const HIP = resolve(REPO_ROOT, "datasets/phantom/hip");
const truth = JSON.parse(readFileSync(resolve(HIP, "truth.json"), "utf8"));
const density = readNifti(resolve(HIP, "density.nii.gz")).volume; // the phantom's true density (no rods)
const labels = readNifti(resolve(HIP, "labels.nii.gz")).volume;
// The CT through the phantom's own scanner relation, as test/segmentation/femur.test.ts: the partial-volume
// cortex closes the shell where the true density's trabecular interior would fall below the threshold.
const ct = readNifti(resolve(HIP, "ct.nii.gz")).volume;
const ctDensity = createVolume({ ...ct, data: Float32Array.from(ct.data, (h) => h / truth.ctFormation.slopeHuPerMgCm3) });
const FEMUR = truth.labels.find((l: { name: string }) => l.name === "femur").value;

/**
 * The phantom (a right hip, x from -203.4 to -23.4 mm) beside its mirror image about x = 0.1 mm:
 * voxel i of the right half is voxel 407 - i of the left half; the 48 voxels between are soft tissue.
 */
function twoHips<T extends Float32Array | Uint8Array>(v: Volume, make: (n: number) => T): Volume<T> {
  const [nx, ny, nz] = v.dims;
  const NX = 408;
  const out = make(NX * ny * nz);
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
    const val = v.data[i + nx * (j + ny * k)];
    out[i + NX * (j + ny * k)] = val;
    out[NX - 1 - i + NX * (j + ny * k)] = val;
  }
  return createVolume({ dims: [NX, ny, nz], spacing: v.spacing, origin: v.origin, direction: v.direction, data: out });
}
const MIDLINE = -203.4 + 203.5;
const both = twoHips(density, (n) => new Float32Array(n));
const bothLabels = twoHips(labels, (n) => new Uint8Array(n));
/** The truth femur of one side of the two-hip volume. */
function truthFemur(side: "left" | "right"): Volume<Uint8Array> {
  const m = labelMask(bothLabels, FEMUR);
  for (let p = 0; p < m.data.length; p++) {
    const i = p % 408;
    if ((side === "left") !== (indexToWorld(m, [i, 0, 0])[0] > MIDLINE)) m.data[p] = 0;
  }
  return m;
}
/** `v` with a metal stem (3000 mg/cm3, radius 6 mm, 60 mm long) down the femoral neck/shaft of one side. */
function withImplant(v: Volume<Float32Array>, side: "left" | "right"): Volume<Float32Array> {
  const out = createVolume({ ...v, data: Float32Array.from(v.data) });
  const h = truth.femur.headCentre as Vec3;
  const c: Vec3 = side === "right" ? h : [2 * MIDLINE - h[0], h[1], h[2]];
  const [nx, ny, nz] = v.dims;
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
    const w = indexToWorld(v, [i, j, k]);
    if (Math.hypot(w[0] - c[0], w[1] - c[1]) <= 6 && w[2] <= c[2] && w[2] > c[2] - 60) out.data[i + nx * (j + ny * k)] = 3000;
  }
  return out;
}

describe("hip side on a two-hip volume (the phantom and its mirror image)", () => {
  it("both hips in view, no implant: the left by default with a warning, and the left femur when asked", () => {
    const c = chooseHipSide(both);
    expect(c.bilateral).toBe(true);
    expect(Math.abs(c.midlineX! - MIDLINE)).toBeLessThan(2);
    expect(c.side).toBe("left");
    expect(c.warnings.join(" ")).toMatch(/neither has an implant: the left hip/);
    for (const side of ["left"] as const) { // the right one is checked with the implant below
      const r = segmentHipFemur(both, { side });
      expect(r.side).toBe(side);
      expect(r.femur.side).toBe(side);
      expect(dice(r.femur.femur, truthFemur(side))).toBeGreaterThan(0.93); // the one-hip phantom gives 0.958 with its CT
      const h = truth.femur.headCentre as Vec3;
      const head: Vec3 = side === "right" ? h : [2 * MIDLINE - h[0], h[1], h[2]];
      expect(Math.hypot(...(r.femur.headCentre.map((v, a) => v - head[a]) as Vec3))).toBeLessThan(3);
    }
  });

  it("an implant on one side: the other side by default, a warning; the implant side only when asked, with a warning", () => {
    const implanted = withImplant(both, "left");
    const c = chooseHipSide(implanted);
    expect(c.implant).toEqual({ left: true, right: false });
    expect(c.metalMm3.left).toBeGreaterThan(5000);
    expect(c.side).toBe("right");
    expect(c.chosenBy).toBe("no implant");
    expect(c.warnings.join(" ")).toMatch(/left hip has a metal implant .*the right hip is analysed/);
    const asked = chooseHipSide(implanted, { side: "left" });
    expect(asked.side).toBe("left");
    expect(asked.warnings.join(" ")).toMatch(/left hip has a metal implant.*unreliable/);
    const r = segmentHipFemur(implanted);
    expect(r.side).toBe("right");
    expect(dice(r.femur.femur, truthFemur("right"))).toBeGreaterThan(0.93);
    expect(() => chooseHipSide(withImplant(implanted, "right"))).toThrow(/both hips have metal implants/);
  });

  it("a one-hip scan: the side the femur is on; asking for the other side is an error", () => {
    const c = chooseHipSide(ctDensity);
    expect(c.bilateral).toBe(false);
    expect(() => segmentHipFemur(ctDensity, { side: "left" })).toThrow(/only the right hip is in view/);
  });
});

describe("a femur cut off by the field of view ends in a FemurIncompleteError", () => {
  const bone = boneMask(ctDensity).mask;
  const h = truth.femur.headCentre as Vec3;
  const crop = (lo: Vec3, hi: Vec3) => {
    const a = worldToIndex(bone, lo).map((v, c) => Math.max(0, Math.min(bone.dims[c], Math.round(v)))) as Vec3;
    const b = worldToIndex(bone, hi).map((v, c) => Math.max(0, Math.min(bone.dims[c], Math.round(v)))) as Vec3;
    return cropVolume(bone, { min: a.map((v, c) => Math.min(v, b[c])) as Vec3, max: a.map((v, c) => Math.max(v, b[c])) as Vec3 });
  };
  const part = (m: Volume<Uint8Array>) => {
    try {
      isolateFemur(m);
      return "none";
    } catch (e) {
      expect(e).toBeInstanceOf(FemurIncompleteError);
      return (e as FemurIncompleteError).part;
    }
  };
  // The whole phantom passes: test/segmentation/femur.test.ts isolates it with the checks on.
  it("the shaft cut 40 mm below the head centre", () => {
    expect(part(crop([-1e3, -1e3, h[2] - 40], [1e3, 1e3, 1e3]))).toBe("shaft");
  });
  it("the top of the head cut off", () => expect(part(crop([-1e3, -1e3, -1e3], [1e3, 1e3, h[2] + 12]))).toBe("head"));
  it("the neck cut 30 mm lateral of the head centre (a right femur: lateral is -x)", () => {
    expect(part(crop([h[0] - 30, -1e3, -1e3], [1e3, 1e3, 1e3]))).toBe("neck");
  });
  it("is a SegmentationError, so the CLI prints it as one error line", () => {
    expect(new FemurIncompleteError("shaft", "x")).toBeInstanceOf(SegmentationError);
  });
});

describeWithShared("hip side on the real two-hip scan (metal implant on the left, no femoral shafts)", () => {
  const ct = readNifti(join(TOTALSEG, "example_ct.nii.gz")).volume;
  const d = applyCalibration(ct, internalCalibration(ct, { anatomy: "hip" }).fit);
  it("sees both hips and the implant on the left, and chooses the right", () => {
    const c = chooseHipSide(d);
    expect(c.bilateral).toBe(true);
    expect(c.implant).toEqual({ left: true, right: false });
    expect(c.side).toBe("right");
    expect(c.warnings.join(" ")).toMatch(/left hip has a metal implant/);
  });
  it("ends with the missing-shaft error on either side, naming the side and the implant", () => {
    for (const side of [undefined, "left"] as const) {
      let err: unknown;
      try {
        segmentHipFemur(d, { side });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FemurIncompleteError);
      expect((err as FemurIncompleteError).part).toBe("shaft");
      const msg = (err as Error).message;
      expect(msg).toMatch(new RegExp(`the ${side ?? "right"} femoral shaft is not in the field of view`));
      expect(msg).toMatch(/left hip has a metal implant/);
    }
  });
});
