import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { applyCalibration } from "../../lib/calibration/fit.js";
import { internalCalibration } from "../../lib/calibration/internal.js";
import { phantomCalibration } from "../../lib/calibration/phantom.js";
import { readNifti } from "../../lib/io/nifti/index.js";
import { readScan } from "../../lib/io/scan.js";
import { TOTALSEGMENTATOR_VERTEBRA_LABELS } from "../../lib/pipeline/spine.js";
import { dice, labelMask, SegmentationError } from "../../lib/segmentation/mask.js";
import { LevelNamingError, lumbarVertebraMask, nameLumbarLevels, PointNotInVertebraError, surveyColumn, vertebraAtPoint, type SpineLevelsResult } from "../../lib/segmentation/spine-levels.js";
import { isolateVertebralBody } from "../../lib/segmentation/vertebra.js";
import { cropVolume } from "../../lib/volume/crop.js";
import { createVolume, indexToWorld, worldToIndex, type Vec3, type Volume } from "../../lib/volume/volume.js";
import { REPO_ROOT, TOTALSEG, describeWithShared } from "../helpers/paths.js";

/** Flat index of the voxel holding world point w. */
function voxelAt(v: Volume, w: Vec3): number {
  const [i, j, k] = worldToIndex(v, w).map(Math.round);
  return i + v.dims[0] * (j + v.dims[1] * k);
}

/** World positions of the voxels where `keep` holds. */
function voxelsWhere(v: Volume, keep: (p: number) => boolean): Vec3[] {
  const [nx, ny] = v.dims;
  const out: Vec3[] = [];
  for (let p = 0; p < v.data.length; p++) if (keep(p)) out.push(indexToWorld(v, [p % nx, Math.floor(p / nx) % ny, Math.floor(p / (nx * ny))]));
  return out;
}

const dist = (a: Vec3, b: Vec3) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
const nearestMm = (pts: Vec3[], w: Vec3) => Math.min(...pts.map((q) => dist(q, w)));

describeWithShared("automatic lumbar level naming on the TotalSegmentator example scan (3 mm, no label map)", () => {
  let density: Volume<Float32Array>;
  let levels: Volume, bodyTask: Volume, total: Volume;
  let naming: SpineLevelsResult;
  beforeAll(async () => {
    const ct = (await readScan(join(TOTALSEG, "example_ct.nii.gz"))).volume;
    // as the spine pipeline calibrates (calibrateStage, choice {kind: "internal"})
    density = applyCalibration(ct, internalCalibration(ct, { anatomy: "spine" }).fit);
    levels = readNifti(join(TOTALSEG, "example_ct_vertebrae_levels.nii.gz")).volume;
    bodyTask = readNifti(join(TOTALSEG, "example_ct_vertebrae_body.nii.gz")).volume;
    total = readNifti(join(TOTALSEG, "example_seg_aligned.nii.gz")).volume;
    naming = nameLumbarLevels(density);
  });

  it("names S1 to T12, each centre inside TotalSegmentator's vertebra of the same name and near its body centroid", () => {
    expect(naming.namedFrom).toBe("sacrum");
    expect(naming.levels.map((l) => l.name)).toEqual(["S1", "L5", "L4", "L3", "L2", "L1", "T12"]);
    expect(naming.levels.filter((l) => l.complete).map((l) => l.name)).toEqual(["L5", "L4", "L3", "L2", "L1"]);
    for (const l of naming.levels) expect(levels.data[voxelAt(levels, l.centre)], l.name).toBe(TOTALSEGMENTATOR_VERTEBRA_LABELS[l.name]);
    // the centroid of TotalSegmentator's body (vertebral-body task label 1) within the level's label:
    // measured 1.0-2.9 mm for L1-L5 (one voxel is 3 mm)
    for (const name of ["L1", "L2", "L3", "L4", "L5"]) {
      const label = TOTALSEGMENTATOR_VERTEBRA_LABELS[name];
      const pts = voxelsWhere(levels, (p) => levels.data[p] === label && bodyTask.data[p] === 1);
      const c: Vec3 = [0, 1, 2].map((a) => pts.reduce((s, q) => s + q[a], 0) / pts.length) as Vec3;
      expect(dist(c, naming.levels.find((l) => l.name === name)!.centre), name).toBeLessThan(4.5);
    }
    // disc-to-disc lengths of a lumbar body plus a disc (TotalSegmentator's spine report: L1-L5 bodies 21-28.5 mm tall)
    for (const h of naming.heights) {
      expect(h.heightMm).toBeGreaterThan(30);
      expect(h.heightMm).toBeLessThan(42);
    }
    expect(naming.warnings).toEqual([]);
  });

  it("finds every disc, the tilted L5/S1 one included, on TotalSegmentator's disc label", () => {
    expect(naming.discs.map((d) => d.name)).toEqual(["L5/S1", "L4/L5", "L3/L4", "L2/L3", "L1/L2", "T12/L1"]);
    expect(naming.discs[0].source).toBe("profile");
    const discVoxels = voxelsWhere(bodyTask, (p) => bodyTask.data[p] === 2);
    // measured 0.9-1.7 mm from the nearest voxel centre of the disc label (voxels are 3 mm)
    for (const d of naming.discs) expect(nearestMm(discVoxels, d.point), d.name).toBeLessThan(2.6);
    // the sacrum (joined to both ilia) ends just below the L5/S1 disc
    expect(naming.sacrum.topPoint[2]).toBeLessThan(naming.discs[0].point[2] + 3);
    expect(naming.sacrum.topPoint[2]).toBeGreaterThan(naming.discs[0].point[2] - 15);
  });

  it("cross-checks the count: the ribs it finds are TotalSegmentator's 12th ribs and attach at the level named T12", () => {
    expect(naming.ribs.agrees).toBe(true);
    expect(naming.ribs.lowestLevel).toBe("T12");
    expect(naming.ribs.found.map((r) => r.side).sort()).toEqual(["left", "right"]);
    // total task: 103 rib_left_12, 115 rib_right_12 (class_map_total.json); 102 / 114 are the 11th ribs
    const rib12 = voxelsWhere(total, (p) => total.data[p] === 103 || total.data[p] === 115);
    const rib11 = voxelsWhere(total, (p) => total.data[p] === 102 || total.data[p] === 114);
    for (const r of naming.ribs.found) {
      expect(nearestMm(rib12, r.medialEnd)).toBeLessThan(6); // measured 1.0 and 4.8 mm
      expect(nearestMm(rib11, r.medialEnd)).toBeGreaterThan(20);
    }
  });

  it("cuts out L1 whose vertebral body matches TotalSegmentator's L1 body (Dice >= 0.9; L2-L5 >= 0.85)", () => {
    // measured Dice after isolateVertebralBody on both: L1 0.923, L2 0.937, L3 0.895, L4 0.889, L5 0.892
    const min: Record<string, number> = { L1: 0.9, L2: 0.85, L3: 0.85, L4: 0.85, L5: 0.85 };
    for (const name of ["L1", "L2", "L3", "L4", "L5"]) {
      const ours = isolateVertebralBody(lumbarVertebraMask(density, name, { naming })).body;
      const theirs = isolateVertebralBody(labelMask(levels, TOTALSEGMENTATOR_VERTEBRA_LABELS[name])).body;
      expect(dice(ours, theirs), name).toBeGreaterThan(min[name]);
    }
  });

  it("refuses a level it cannot cut out, saying which levels it has", () => {
    expect(() => lumbarVertebraMask(density, "S1", { naming })).toThrow(/S1 has no disc found below it.*L5, L4, L3, L2, L1/);
    expect(() => lumbarVertebraMask(density, "T12", { naming })).toThrow(LevelNamingError);
    expect(() => lumbarVertebraMask(density, "L9", { naming })).toThrow(/L9 was not found.*L5, L4/);
  });
});

describeWithShared("level naming from the ribs: the example scan cut above L5 (no sacrum in view)", () => {
  let density: Volume<Float32Array>;
  let levels: Volume;
  let naming: SpineLevelsResult;
  beforeAll(async () => {
    const ct = (await readScan(join(TOTALSEG, "example_ct.nii.gz"))).volume;
    const full = readNifti(join(TOTALSEG, "example_ct_vertebrae_levels.nii.gz")).volume;
    // keep the slices above the highest voxel of TotalSegmentator's L5: no L5 body, no sacrum
    const [nx, ny, nz] = ct.dims;
    let kTop = -1;
    for (let p = 0; p < full.data.length; p++) if (full.data[p] === TOTALSEGMENTATOR_VERTEBRA_LABELS.L5) kTop = Math.max(kTop, Math.floor(p / (nx * ny)));
    const box = { min: [0, 0, kTop + 1] as Vec3, max: [nx, ny, nz] as Vec3 };
    const cut = cropVolume(ct, box);
    levels = cropVolume(full, box);
    density = applyCalibration(cut, internalCalibration(cut, { anatomy: "spine" }).fit);
    naming = nameLumbarLevels(density);
  });

  it("names L1 and T12 from the ribs, each centre inside TotalSegmentator's vertebra of the same name, and warns that the sacrum was not there", () => {
    expect(naming.namedFrom).toBe("ribs");
    expect(naming.sacrum).toBeNull();
    expect(naming.ribs.lowestLevel).toBe("T12");
    expect(naming.ribs.agrees).toBeNull();
    const names = naming.levels.map((l) => l.name);
    expect(names).toContain("L1");
    expect(names).toContain("T12");
    expect(names).not.toContain("L5");
    expect(names).not.toContain("S1");
    for (const l of naming.levels) expect(levels.data[voxelAt(levels, l.centre)], l.name).toBe(TOTALSEGMENTATOR_VERTEBRA_LABELS[l.name]);
    expect(naming.levels.filter((l) => l.complete).map((l) => l.name)).toEqual(expect.arrayContaining(["L3", "L2", "L1"]));
    expect(naming.warnings.join("\n")).toMatch(/no sacrum in view.*named from the ribs alone/);
  });

  it("cuts out L1 whose body matches TotalSegmentator's (Dice >= 0.85)", () => {
    const ours = isolateVertebralBody(lumbarVertebraMask(density, "L1", { naming })).body;
    const theirs = isolateVertebralBody(labelMask(levels, TOTALSEGMENTATOR_VERTEBRA_LABELS.L1)).body;
    expect(dice(ours, theirs)).toBeGreaterThan(0.85);
  });

  it("refuses L5, which is not in view, naming the levels it has", () => {
    expect(() => lumbarVertebraMask(density, "L5", { naming })).toThrow(/L5 was not found along the column; the levels named \(from the ribs\) are .*L1/);
  });
});

describeWithShared("picking the vertebra holding a point (--at) on the example scan", () => {
  let density: Volume<Float32Array>;
  let levels: Volume;
  let l2: Vec3;
  beforeAll(async () => {
    const ct = (await readScan(join(TOTALSEG, "example_ct.nii.gz"))).volume;
    density = applyCalibration(ct, internalCalibration(ct, { anatomy: "spine" }).fit);
    levels = readNifti(join(TOTALSEG, "example_ct_vertebrae_levels.nii.gz")).volume;
    const body = readNifti(join(TOTALSEG, "example_ct_vertebrae_body.nii.gz")).volume;
    // the point: the centroid of TotalSegmentator's L2 body (levels label 30 and body-task label 1)
    const pts = voxelsWhere(levels, (p) => levels.data[p] === TOTALSEGMENTATOR_VERTEBRA_LABELS.L2 && body.data[p] === 1);
    l2 = [0, 1, 2].map((a) => pts.reduce((s, q) => s + q[a], 0) / pts.length) as Vec3;
  });

  it("a point inside L2 picks L2, and the vertebra cut out is TotalSegmentator's L2 (Dice >= 0.85)", () => {
    const pick = vertebraAtPoint(density, l2);
    expect(pick.level.name).toBe("L2");
    expect(pick.naming?.namedFrom).toBe("sacrum");
    expect(pick.level.complete).toBe(true);
    const ours = isolateVertebralBody(pick.mask).body;
    const theirs = isolateVertebralBody(labelMask(levels, TOTALSEGMENTATOR_VERTEBRA_LABELS.L2)).body;
    expect(dice(ours, theirs)).toBeGreaterThan(0.85);
  });

  it("a point in front of the body, in a disc, or outside the scan is refused with a PointNotInVertebraError", () => {
    const survey = surveyColumn(density);
    expect(() => vertebraAtPoint(density, [l2[0], l2[1] - 60, l2[2]], { survey })).toThrow(PointNotInVertebraError);
    expect(() => vertebraAtPoint(density, [l2[0], l2[1] - 60, l2[2]], { survey })).toThrow(/is not inside a vertebra: it lies between the discs of the L2.*mm from its bone/);
    const disc = survey.discs.find((d) => d.name === "L2/L3")!;
    expect(() => vertebraAtPoint(density, disc.point, { survey })).toThrow(/lies in the L2\/L3 intervertebral disc/);
    expect(() => vertebraAtPoint(density, [0, 0, 0])).toThrow(/lies outside the scan/);
  });
});

describe("automatic level naming without a sacrum", () => {
  it("fails on the embedded spine phantom (one vertebra, no sacrum) with a LevelNamingError that says to give --labels", async () => {
    const phantom = JSON.parse(readFileSync(join(REPO_ROOT, "datasets/phantom/calibration-phantom.json"), "utf8"));
    const ct = (await readScan(join(REPO_ROOT, "datasets/phantom/spine/ct.nii.gz"))).volume;
    const density = applyCalibration(ct, phantomCalibration(ct, phantom).fit);
    let err: unknown;
    try {
      nameLumbarLevels(density);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LevelNamingError);
    expect(err).toBeInstanceOf(SegmentationError);
    expect((err as Error).message).toMatch(/no sacrum found.*--labels/);
  });
});

// ---------------------------------------------------------------------------------------------
// A synthetic column with known discs: the warnings of the cross-checks
// ---------------------------------------------------------------------------------------------

/**
 * A straight column on 2 mm voxels: cylindrical bodies (radius 20 mm, 26 mm tall, 150 mg/cm3) and
 * discs (10 mm, 60 mg/cm3) in soft tissue (30) inside an air-filled field; S1 below the L5/S1 disc
 * carries a plate (alae + ilia, 220 mm wide); ribs are bars from the body out to 100 mm on each side.
 * Truth: disc centres at z = 55, 91, ..., 271 mm (L5/S1 ... T11/T12), body centres halfway.
 */
function syntheticColumn(o: { sacrum?: boolean; ribsAt?: number[]; alaAt?: [number, number] } = {}): Volume<Float32Array> {
  const dims: Vec3 = [120, 70, 150];
  const v = createVolume({ dims, spacing: [2, 2, 2], origin: [-119, -69, 0] });
  const discs = [55, 91, 127, 163, 199, 235, 271];
  const [nx, ny, nz] = dims;
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
    const [x, y, z] = indexToWorld(v, [i, j, k]);
    let d = (x / 115) ** 2 + (y / 65) ** 2 <= 1 ? 30 : -600;
    const r = Math.hypot(x, y);
    if (r <= 20 && z >= 20) d = discs.some((c) => Math.abs(z - c) <= 5) ? 60 : 150;
    if ((o.sacrum ?? true) && Math.abs(x) <= 110 && y >= -5 && y <= 15 && z >= 22 && z <= 48) d = 200;
    if (o.alaAt && Math.abs(x) <= 110 && y >= -5 && y <= 15 && z >= o.alaAt[0] && z <= o.alaAt[1]) d = 200;
    for (const zr of o.ribsAt ?? []) if (Math.abs(x) >= 18 && Math.abs(x) <= 100 && y >= 6 && y <= 14 && Math.abs(z - zr) <= 3) d = 200;
    // a deterministic texture of +/-4 mg/cm3, so no two profile samples tie
    v.data[i + nx * (j + ny * k)] = d + 4 * Math.sin(12.9898 * i + 78.233 * j + 37.719 * k);
  }
  return v;
}

describe("automatic level naming on a synthetic column with known discs", () => {
  it("finds the discs where they were put and names the levels from the sacrum; ribs at T12 agree", () => {
    const r = nameLumbarLevels(syntheticColumn({ ribsAt: [253, 289] }));
    expect(r.discs.map((d) => d.name)).toEqual(["L5/S1", "L4/L5", "L3/L4", "L2/L3", "L1/L2", "T12/L1", "T11/T12"]);
    [55, 91, 127, 163, 199, 235, 271].forEach((z, c) => expect(Math.abs(r.discs[c].point[2] - z), r.discs[c].name).toBeLessThan(3));
    // a 10 mm disc: its half-depth extent is 5 mm each side, blurred by the 2 mm voxels and the profile smoothing
    for (const d of r.discs) expect(d.extentMm[0] + d.extentMm[1]).toBeGreaterThan(7);
    const l1 = r.levels.find((l) => l.name === "L1")!;
    expect(Math.abs(l1.centre[2] - 217)).toBeLessThan(3);
    expect(Math.hypot(l1.centre[0], l1.centre[1])).toBeLessThan(2);
    expect(l1.heightMm).toBeCloseTo(36, 0);
    expect(r.ribs.lowestLevel).toBe("T12");
    expect(r.ribs.agrees).toBe(true);
    expect(r.warnings).toEqual([]);
  });

  it("warns when the lowest ribs attach at the level counted as L1 (a lumbar rib, or a miscount)", () => {
    const r = nameLumbarLevels(syntheticColumn({ ribsAt: [217] }));
    expect(r.levels.map((l) => l.name)).toContain("L1"); // the names still follow the sacrum
    expect(r.ribs.lowestLevel).toBe("L1");
    expect(r.ribs.agrees).toBe(false);
    expect(r.warnings.join("\n")).toMatch(/lowest ribs attach at the level counted as L1 from the sacrum.*lumbar rib.*1 level\(s\) too low/);
  });

  it("says when no ribs are in view to check the count", () => {
    const r = nameLumbarLevels(syntheticColumn());
    expect(r.ribs.agrees).toBeNull();
    expect(r.warnings.join("\n")).toMatch(/no ribs found.*could not be checked/);
  });

  it("warns of a transitional vertebra when bone joined to both ilia reaches into L5 (sacralised L5)", () => {
    const r = nameLumbarLevels(syntheticColumn({ ribsAt: [253], alaAt: [66, 80] }));
    expect(r.discs[0].name).toBe("L5/S1");
    expect(Math.abs(r.discs[0].point[2] - 55)).toBeLessThan(3);
    expect(r.warnings.join("\n")).toMatch(/within the level counted as L5: a transitional lumbosacral vertebra/);
  });

  it("without the sacrum's wide bone names the levels from the ribs (T12 the lowest rib-bearing), and says so", () => {
    const r = nameLumbarLevels(syntheticColumn({ sacrum: false, ribsAt: [253] }));
    expect(r.namedFrom).toBe("ribs");
    expect(r.sacrum).toBeNull();
    expect(r.ribs.lowestLevel).toBe("T12");
    expect(r.ribs.agrees).toBeNull(); // one route only: nothing to agree with
    // truth: discs at z = 55, 91, ..., 271 mm; the rib at z = 253 lies in the body between 235 and 271
    const t12 = r.levels.find((l) => l.name === "T12")!, l1 = r.levels.find((l) => l.name === "L1")!;
    expect(Math.abs(t12.centre[2] - 253)).toBeLessThan(3);
    expect(Math.abs(l1.centre[2] - 217)).toBeLessThan(3);
    expect(r.levels.find((l) => l.name === "L5")!.complete).toBe(true);
    expect(Math.abs(r.levels.find((l) => l.name === "L5")!.centre[2] - 73)).toBeLessThan(3);
    expect(r.warnings.join("\n")).toMatch(/no sacrum in view.*named from the ribs alone.*unchecked/);
  });

  it("fails with a LevelNamingError naming neither sacrum nor ribs, pointing to --labels and --at", () => {
    const v = syntheticColumn({ sacrum: false });
    let err: unknown;
    try {
      nameLumbarLevels(v);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LevelNamingError);
    expect((err as Error).message).toMatch(/^no sacrum found.*and no ribs were found.*--labels.*--at x,y,z/);
  });

  it("warns when the lowest ribs differ left and right (the 11th/12th rib cross-check)", () => {
    // a left rib only at T12 (z = 253) and ribs on both sides at T11 (z = 289)
    const v = syntheticColumn({ ribsAt: [289] });
    const [nx, ny, nz] = v.dims;
    for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
      const [x, y, z] = indexToWorld(v, [i, j, k]);
      if (x >= 18 && x <= 100 && y >= 6 && y <= 14 && Math.abs(z - 253) <= 3) v.data[i + nx * (j + ny * k)] = 200;
    }
    const r = nameLumbarLevels(v);
    expect(r.ribs.lowestLevel).toBe("T12");
    expect(r.warnings.join("\n")).toMatch(/lowest ribs differ by side \(left at T12, right at T11\)/);
  });
});
