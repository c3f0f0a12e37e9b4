import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { applyCalibration } from "../../lib/calibration/fit.js";
import { internalCalibration } from "../../lib/calibration/internal.js";
import { readNifti } from "../../lib/io/nifti/index.js";
import { readScan } from "../../lib/io/scan.js";
import { coarseGrid, findSpineTarget, thresholdLevelWarnings } from "../../lib/pipeline/level-finding.js";
import type { PipelineProgress } from "../../lib/pipeline/progress.js";
import { analyzeSpine, TOTALSEGMENTATOR_VERTEBRA_LABELS } from "../../lib/pipeline/spine.js";
import { dice, labelMask } from "../../lib/segmentation/mask.js";
import { LevelNamingError, PointNotInVertebraError, vertebraMask } from "../../lib/segmentation/spine-levels.js";
import { isolateVertebralBody } from "../../lib/segmentation/vertebra.js";
import { cropVolume } from "../../lib/volume/crop.js";
import { resampleToGrid, resampleToSpacing } from "../../lib/volume/resample.js";
import { createVolume, indexToWorld, worldToIndex, type Vec3, type Volume } from "../../lib/volume/volume.js";
import { TOTALSEG, describeWithShared } from "../helpers/paths.js";

describe("the coarse grid of the level finding", () => {
  it("averages whole-voxel blocks of about 3 mm, each coarse voxel centred on its block (analytic)", () => {
    const dims: Vec3 = [7, 6, 4];
    const v = createVolume({ dims, spacing: [1, 1.5, 3], origin: [10, -20, 30], direction: [-1, 0, 0, 0, -1, 0, 0, 0, 1] });
    for (let k = 0; k < 4; k++) for (let j = 0; j < 6; j++) for (let i = 0; i < 7; i++) v.data[i + 7 * (j + 6 * k)] = i + 10 * j + 100 * k;
    const c = coarseGrid(v);
    // blocks of 3 x 2 x 1 voxels: 3 x 3 x 4 coarse voxels (the last i block holds one voxel)
    expect(c.dims).toEqual([3, 3, 4]);
    expect(c.spacing).toEqual([3, 3, 3]);
    // the mean of a linear field over a block is its value at the block's mean index
    expect(c.data[0]).toBeCloseTo(1 + 10 * 0.5, 6);
    expect(c.data[1 + 3 * (2 + 3 * 3)]).toBeCloseTo(4 + 10 * 4.5 + 300, 6);
    expect(c.data[2 + 3 * (0 + 3 * 1)]).toBeCloseTo(6 + 10 * 0.5 + 100, 6); // the one-voxel block i = 6
    // coarse voxel (1, 2, 3) sits at the centre of fine voxels i 3-5, j 4-5, k 3
    const w = indexToWorld(c, [1, 2, 3]), f = indexToWorld(v, [4, 4.5, 3]);
    for (let a = 0; a < 3; a++) expect(w[a]).toBeCloseTo(f[a], 9);
    // a scan already that coarse is used as it is
    const v3 = createVolume({ dims: [4, 4, 4], spacing: [3, 3, 3] });
    expect(coarseGrid(v3)).toBe(v3);
  });

  it("warns outside L1-L2, where the strength thresholds were derived", () => {
    expect(thresholdLevelWarnings("L1")).toEqual([]);
    expect(thresholdLevelWarnings("l2")).toEqual([]);
    expect(thresholdLevelWarnings("T12").join("")).toMatch(/derived for vertebral bodies at L1-L2; T12 is another level/);
    expect(thresholdLevelWarnings(null).join("")).toMatch(/level is not known/);
  });
});

describeWithShared("finding the level before the calibration (example scan, and a copy cut above L5)", () => {
  let ct: Volume, cut: Volume, levels: Volume;
  beforeAll(async () => {
    ct = (await readScan(join(TOTALSEG, "example_ct.nii.gz"))).volume;
    levels = readNifti(join(TOTALSEG, "example_ct_vertebrae_levels.nii.gz")).volume;
    const [nx, ny, nz] = ct.dims;
    let kTop = -1;
    for (let p = 0; p < levels.data.length; p++) if (levels.data[p] === TOTALSEGMENTATOR_VERTEBRA_LABELS.L5) kTop = Math.max(kTop, Math.floor(p / (nx * ny)));
    cut = cropVolume(ct, { min: [0, 0, kTop + 1], max: [nx, ny, nz] });
  });

  it("a level not in view ends in a LevelNamingError within 10 s, before the calibration stage starts", () => {
    for (const [want, cls, msg] of [
      [{ level: "L5" }, LevelNamingError, /level L5 was not found along the column; the levels named \(from the ribs\)/],
      [{ at: [0, -300, 400] as Vec3 }, PointNotInVertebraError, /is not inside a vertebra/],
    ] as const) {
      const stages: PipelineProgress[] = [];
      const t0 = performance.now();
      let err: unknown;
      try {
        analyzeSpine(cut, { sex: "F", calibration: { kind: "internal" }, ...want, onProgress: (p) => stages.push(p) });
      } catch (e) {
        err = e;
      }
      const seconds = (performance.now() - t0) / 1000;
      expect(err).toBeInstanceOf(cls);
      expect((err as Error).message).toMatch(msg);
      expect(stages.map((s) => s.stage)).toEqual(["level naming"]); // started, never ended: no calibration
      expect(seconds).toBeLessThan(10); // measured 2-5 s on a busy 2-core machine
    }
  });

  it("on a finer grid (the scan resampled to 1.5 mm in-plane) finds L1 on 3 mm blocks, and its planes cut TotalSegmentator's L1 out of the fine density", () => {
    const fine = resampleToSpacing(ct, [1.5, 1.5, 3]);
    const t = findSpineTarget(fine, { kind: "internal" }, { level: "L1" });
    expect(t.grid.spacing).toEqual([3, 3, 3]);
    expect(t.naming?.namedFrom).toBe("sacrum");
    expect(t.level.name).toBe("L1");
    const q = worldToIndex(levels, t.level.centre).map(Math.round);
    expect(levels.data[q[0] + levels.dims[0] * (q[1] + levels.dims[1] * q[2])]).toBe(TOTALSEGMENTATOR_VERTEBRA_LABELS.L1);
    // the analysis cuts from the density of its full calibration; calibrated here on the 3 mm blocks to keep the test short
    const density = applyCalibration(fine, internalCalibration(coarseGrid(fine), { anatomy: "spine" }).fit);
    const ours = isolateVertebralBody(vertebraMask(density, t.level)).body;
    const theirs = isolateVertebralBody(labelMask(resampleToGrid(levels, fine, { interpolation: "nearest", fill: 0 }), TOTALSEGMENTATOR_VERTEBRA_LABELS.L1)).body;
    expect(dice(ours, theirs)).toBeGreaterThan(0.85);
  });

  it("a point inside L2 picks L2 (TotalSegmentator's L2 body centroid)", () => {
    const body = readNifti(join(TOTALSEG, "example_ct_vertebrae_body.nii.gz")).volume;
    const [nx, ny] = levels.dims;
    const c = [0, 0, 0], n = [0];
    for (let p = 0; p < levels.data.length; p++) {
      if (levels.data[p] !== TOTALSEGMENTATOR_VERTEBRA_LABELS.L2 || body.data[p] !== 1) continue;
      const w = indexToWorld(levels, [p % nx, Math.floor(p / nx) % ny, Math.floor(p / (nx * ny))]);
      for (let a = 0; a < 3; a++) c[a] += w[a];
      n[0]++;
    }
    const at = c.map((x) => x / n[0]) as Vec3;
    const t = findSpineTarget(ct, { kind: "internal" }, { at });
    expect(t.level.name).toBe("L2");
    expect(t.at).toEqual(at);
  });
});
