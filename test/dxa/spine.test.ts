import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { spineDxaFigure } from "../../lib/display/dxa-spine.js";
import { plotlyBundle } from "../../lib/display/plotly.js";
import { acrCategory } from "../../lib/dxa/reference.js";
import { projectDensity } from "../../lib/dxa/projection.js";
import { densityConverter, spineApFrame, spineDxa, SpineDxaError, trabecularCentrumRoi, vertebraeFromLabels, type VertebraInput } from "../../lib/dxa/spine.js";
import { measureSpineDxa } from "../../lib/pipeline/dxa.js";
import { analyzeSpine, TOTALSEGMENTATOR_VERTEBRA_LABELS } from "../../lib/pipeline/spine.js";
import { readNifti } from "../../lib/io/nifti/index.js";
import { readScan } from "../../lib/io/scan.js";
import { labelMask, SegmentationError } from "../../lib/segmentation/mask.js";
import { createVolume, indexToWorld, type Mat3, type Vec3, type Volume } from "../../lib/volume/volume.js";
import { REPO_ROOT, TOTALSEG, describeWithShared } from "../helpers/paths.js";

/**
 * rhoHA / rhoK by hand at an effective energy E in 60-80 keV: the same attenuation excess over water
 * read as K2HPO4 or HA, ((mu/rho)_K - (mu/rho)_w dK) / ((mu/rho)_HA - (mu/rho)_w dHA), with NIST
 * Table 3/4 mu/rho (cm2/g) at 60 and 80 keV (water; H, O, P, K, Ca by the mixture rule, IUPAC atomic
 * weights), log-log interpolated; dK = 0.2174 (Mindways), dHA = 1/3.16 (HA crystals).
 */
function handFactor(E: number, dK = 0.2174, dHA = 1 / 3.16): number {
  const t60 = { w: 0.2059, H: 0.326, O: 0.1907, P: 0.3494, K: 0.5678, Ca: 0.6578 };
  const t80 = { w: 0.1837, H: 0.3091, O: 0.1678, P: 0.2324, K: 0.3251, Ca: 0.3656 };
  type Tab = typeof t60;
  const k2hpo4 = (t: Tab) => (2 * 39.098 * t.K + 1.008 * t.H + 30.974 * t.P + 4 * 15.999 * t.O) / 174.174;
  const ha = (t: Tab) => (10 * 40.078 * t.Ca + 6 * 30.974 * t.P + 26 * 15.999 * t.O + 2 * 1.008 * t.H) / 1004.614;
  const at = (f: (t: Tab) => number) => Math.exp(Math.log(f(t60)) + (Math.log(E / 60) / Math.log(80 / 60)) * (Math.log(f(t80)) - Math.log(f(t60))));
  const w = at((t) => t.w);
  return (at(k2hpo4) - w * dK) / (at(ha) - w * dHA);
}
/** K2HPO4 -> HA by hand at the default effective energy, 70 keV: 1.0283. */
const handHA = (k: number) => k * handFactor(70);

/** A density volume and masks from a predicate on world position (voxel centres). */
function field(dims: Vec3, spacing: Vec3, origin: Vec3, direction: Mat3, rho: (p: Vec3) => number): Volume<Float32Array> {
  const v = createVolume({ dims, spacing, origin, direction });
  const [nx, ny, nz] = dims;
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) v.data[i + nx * (j + ny * k)] = rho(indexToWorld(v, [i, j, k]));
  return v;
}
const maskOf = (v: Volume, pred: (x: number, p: number) => boolean) =>
  createVolume({ dims: v.dims, spacing: v.spacing, origin: v.origin, direction: v.direction, data: Uint8Array.from(v.data as ArrayLike<number>, (x, p) => (pred(x, p) ? 1 : 0)) });
const I3: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];
const mineralMg = (d: Volume, m: Volume) => {
  let s = 0;
  for (let p = 0; p < d.data.length; p++) if (m.data[p]) s += d.data[p];
  return (s * d.spacing[0] * d.spacing[1] * d.spacing[2]) / 1000;
};

describe("K2HPO4 <-> HA at the effective energy", () => {
  it("converts by the attenuation equivalence, by hand, at the given or the default energy", () => {
    const c = densityConverter("rhoK", "rhoHA");
    expect(handFactor(70)).toBeCloseTo(1.0283, 4);
    expect(c.convert(100)).toBeCloseTo(handHA(100), 9); // 102.83 mg/cm3 HA
    expect(c.slope).toBeCloseTo(handFactor(70), 9);
    expect(c.intercept).toBe(0);
    expect(c.formula).toBe("rhoHA = 1.0283 * rhoK");
    expect(c.steps.map((s) => [s.id, s.inverted])).toEqual([["attenuation-equivalence-70keV", false]]);
    expect(c.confidence).toBe("unverified");
    expect(c.mineral).toEqual({ effectiveEnergyKeV: 70, energySource: "default", waterDisplacement: { rhoK: 0.2174, rhoHA: 1 / 3.16 }, factor: c.slope });
    const at60 = densityConverter("rhoK", "rhoHA", { effectiveEnergyKeV: 60 });
    expect(at60.convert(100)).toBeCloseTo(100 * handFactor(60), 9); // 100.80
    expect(at60.mineral!.energySource).toBe("given");
    const back = densityConverter("rhoHA", "rhoK");
    expect(back.convert(c.convert(137))).toBeCloseTo(137, 9);
    // a forward-only chain stays forward and has no mineral step: K 200 -> ash 0.2509 -> apparent 0.2509 / 0.6
    const app = densityConverter("rhoK", "rhoApp");
    expect(app.convert(200)).toBeCloseTo(0.2509 / 0.6, 12);
    expect(app.steps.every((s) => !s.inverted)).toBe(true);
    expect(app.mineral).toBeNull();
  });
});


/**
 * A synthetic lumbar column on 1 mm voxels (identity grid, voxel (i, j, k) at world (i, j, k) mm) on a
 * uniform soft-tissue background of 30 mg/cm3: per level a body box (x 40, y 30, z 25 voxels) of
 * 200 mg/cm3, a transverse-process bar 70 voxels wide behind it and a spinous process reaching 2 mm
 * below the body, both 400 mg/cm3.
 */
function column(levels: { level: string; k0: number }[], soft = 30) {
  const dims: Vec3 = [100, 70, 40 + 36 * levels.length];
  const d = createVolume({ dims });
  d.data.fill(soft);
  const masks: VertebraInput[] = [];
  const [nx, ny, nz] = dims;
  for (const { level, k0 } of levels) {
    const m = new Uint8Array(d.data.length), b = new Uint8Array(d.data.length);
    for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
      const p = i + nx * (j + ny * k);
      const body = i >= 30 && i <= 69 && j >= 10 && j <= 39 && k >= k0 && k <= k0 + 24;
      const bar = i >= 15 && i <= 84 && j >= 42 && j <= 46 && k >= k0 + 8 && k <= k0 + 13;
      const spinous = i >= 47 && i <= 52 && j >= 47 && j <= 64 && k >= k0 - 2 && k <= k0 + 13;
      if (body) (d.data[p] = 200), (m[p] = b[p] = 1);
      else if (bar || spinous) (d.data[p] = 400), (m[p] = 1);
    }
    masks.push({ level, mask: createVolume({ dims, data: m }), body: createVolume({ dims, data: b }) });
  }
  return { d, masks };
}

describe("a synthetic column on soft tissue: Hologic-style regions, soft-tissue baseline, aBMD by hand", () => {
  const L1 = 58, L2 = 20; // body k ranges 58..82 and 20..44: an 13 mm disc between them
  const { d, masks } = column([{ level: "L1", k0: L1 }, { level: "L2", k0: L2 }]);

  /** Hand numbers of one level whose body starts at k0 (see the fixture). */
  function hand(k0: number) {
    // region: body voxel edges x 29.5..69.5 -+ 2 mm; endplates at k0 - 0.5 and k0 + 24.5 -+ 4 mm
    const x: [number, number] = [27.5, 71.5], z: [number, number] = [k0 - 4.5, k0 + 28.5];
    // mineral above the 30 mg/cm3 baseline, mg = (rho - 30) mg/cm3 x mm3 / 1000: body 40 x 30 x 25;
    // the bar's 44 columns inside the region (x 28..71) x 5 x 6; the spinous process 6 x 18 x 16
    const bmcMg = (170 * 40 * 30 * 25 + 370 * 44 * 5 * 6 + 370 * 6 * 18 * 16) / 1000; // 6227.76
    // area: the body's shadow 40 x 25, the bar beyond the body's columns inside the region 4 x 6, the
    // spinous process below the body 6 x 2 (1 mm pixels on voxel centres)
    const areaMm2 = 40 * 25 + 4 * 6 + 6 * 2; // 1036
    return { x, z, bmcMg, areaMm2 };
  }

  it("L1 and L2: region, baseline, BMC, area and aBMD by hand; the total is sum BMC / sum area", () => {
    const { result, artifacts } = spineDxa(d, masks);
    expect(result.levels.map((l) => l.level)).toEqual(["L1", "L2"]); // cranial first
    for (const [t, k0] of [[0, L1], [1, L2]] as const) {
      const l = result.levels[t], h = hand(k0);
      expect(l.region.xMm).toEqual(h.x);
      expect(l.region.zMm[0]).toBeCloseTo(h.z[0], 6);
      expect(l.region.zMm[1]).toBeCloseTo(h.z[1], 6);
      expect(l.baseline).toMatchObject({ densityMgCm3: 30, sdMgCm3: 0, source: "adjacent" });
      expect(l.baseline.voxels).toBeGreaterThan(1000);
      expect(l.bmcG).toBeCloseTo(h.bmcMg / 1000, 3);
      expect(l.areaCm2).toBeCloseTo(h.areaMm2 / 100, 9);
      expect(l.aBMD).toBe(Math.round((h.bmcMg / h.areaMm2) * 0.1 * 1000) / 1000); // 0.601
      // gross (relative to water) - baseline = BMC; the baseline = 30 mg/cm3 x the collected volume in
      // the region (the masks and one 26-neighbour layer round them, counted here independently)
      expect(l.grossBmcG - l.baselineG).toBeCloseTo(l.bmcG, 3);
      const m = masks[t].mask.data, [nx, ny, nz] = d.dims;
      let n = 0;
      for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
        if (i < h.x[0] || i > h.x[1] || k < h.z[0] || k > h.z[1]) continue;
        let hit = false;
        for (let c = -1; c <= 1 && !hit; c++) for (let b = -1; b <= 1 && !hit; b++) for (let a = -1; a <= 1 && !hit; a++) {
          const I = i + a, J = j + b, K = k + c;
          if (I >= 0 && J >= 0 && K >= 0 && I < nx && J < ny && K < nz && m[I + nx * (J + ny * K)]) hit = true;
        }
        if (hit) n++;
      }
      expect(l.baselineG).toBeCloseTo((30 * n) / 1e6, 3);
    }
    const h = hand(L1);
    expect(result.totalABMD).toBe(Math.round((h.bmcMg / h.areaMm2) * 0.1 * 1000) / 1000);
    expect(result.totalAreaCm2).toBeCloseTo((2 * h.areaMm2) / 100, 9);
    expect(result.totalBmcG).toBeCloseTo((2 * h.bmcMg) / 1000, 3);
    // the transverse processes beyond the region are out: the image holds more than the regions
    expect(artifacts.projection.totalMineralG).toBeGreaterThan(result.totalBmcG + 2 * (370 * 26 * 5 * 6) / 1e6 - 1e-3);
    expect(artifacts.regions.map((r) => r.level)).toEqual(["L1", "L2"]);
    expect(JSON.parse(JSON.stringify(result))).toEqual(result); // plain data
  });

  it("a level's numbers do not depend on the other levels given (analyze gives one, dxa all)", () => {
    const both = spineDxa(d, masks).result.levels[0];
    const alone = spineDxa(d, [masks[0]]).result.levels[0];
    expect(alone).toEqual(both);
  });

  it("without a baseline (water, 0) the soft tissue in and round the bone counts as mineral", () => {
    const l = spineDxa(d, [masks[0]], { baseline: 0 }).result.levels[0];
    const ref = spineDxa(d, [masks[0]]).result.levels[0];
    expect(l.baseline).toMatchObject({ densityMgCm3: 0, source: "given" });
    expect(l.bmcG).toBeCloseTo(ref.grossBmcG, 3);
    expect(l.aBMD!).toBeGreaterThan(ref.aBMD!);
  });

  it("a fat / muscle mixture beside the spine sets the baseline to its mean", () => {
    // left strip fat (-60), right strip muscle (+45): equal volumes, mean -7.5 mg/cm3
    const { d: d2, masks: m2 } = column([{ level: "L1", k0: 20 }]);
    const [nx, ny] = d2.dims;
    for (let p = 0; p < d2.data.length; p++) {
      const i = p % nx;
      if (d2.data[p] === 30) d2.data[p] = i < 50 ? -60 : 45;
    }
    const l = spineDxa(d2, m2).result.levels[0];
    expect(l.baseline.densityMgCm3).toBeCloseTo(-7.5, 6);
    void ny;
  });

  it("the figure draws each region and the image of mineral above the baseline", () => {
    const { result, artifacts } = spineDxa(d, masks);
    const fig = spineDxaFigure(result, artifacts);
    const hm = fig.data[0] as { z: (number | null)[][]; x: number[]; y: number[] };
    expect(hm.z.length).toBe(artifacts.projection.height);
    // a pixel through L2's body only (x 35, z 24): (200 - 30) mg/cm3 x 30 mm = 0.51 g/cm2; off bone: no value
    const u = hm.x.indexOf(35), v = hm.y.indexOf(24);
    expect(hm.z[v][u]).toBeCloseTo(0.51, 5);
    expect(hm.z[v][0]).toBeNull();
    const shapes = fig.layout!.shapes as { x0: number; x1: number; y0: number; y1: number }[];
    expect([shapes[1].x0, shapes[1].x1]).toEqual([27.5, 71.5]);
    expect(shapes[1].y0).toBeCloseTo(L2 - 4.5, 6);
  });

  it("the spine view of the shared projection conserves mineral on a grid rotated 30 deg about z", () => {
    const c = Math.cos(Math.PI / 6), s = Math.sin(Math.PI / 6);
    const rot = field([100, 100, 40], [0.5, 0.5, 1], [2.85, -34.15, -20], [c, -s, 0, s, c, 0, 0, 0, 1], (p) =>
      Math.abs(p[0] - 12) <= 12 && Math.abs(p[1]) <= 15 && Math.abs(p[2]) <= 15 ? 200 : 0);
    const m = maskOf(rot, (x) => x > 0);
    const img = projectDensity(rot, m, spineApFrame(rot), { pixelMm: 0.5 });
    expect(Math.abs(img.totalMineralG * 1000 - mineralMg(rot, m)) / mineralMg(rot, m)).toBeLessThan(1e-9);
    // aBMD of a 30 mm deep box: 200 x 30 / 10000 = 0.6 g/cm2 (measured 0.59: the voxel staircase's shadow is a pixel wider)
    const { result } = spineDxa(rot, [{ level: "L2", mask: m, body: m }]);
    expect(Math.abs(result.levels[0].aBMD! - 0.6) / 0.6).toBeLessThan(0.025);
  });

  it("elliptic cylinder (semi-axes 20.25 LR, 12.25 AP) on water: aBMD = rho x area / width = rho pi b / 2", () => {
    const rho = 150, a = 20.25, b = 12.25;
    // 0.5 mm voxels also in z: square pixels of 0.5 mm then never centre on a voxel face
    const e = field([96, 64, 80], [0.5, 0.5, 0.5], [-24, -16, -20], I3, (p) => ((p[0] / a) ** 2 + (p[1] / b) ** 2 <= 1 && Math.abs(p[2]) <= 15 ? rho : 0));
    const m = maskOf(e, (x) => x > 0);
    const { result } = spineDxa(e, [{ level: "L1", mask: m, body: m }]);
    const analytic = (rho * Math.PI * b) / 2 / 10000; // 0.2886 g/cm2
    expect(result.levels[0].baseline.densityMgCm3).toBe(0);
    expect(Math.abs(result.levels[0].aBMD! - analytic) / analytic).toBeLessThan(0.003);
    expect(result.levels[0].trabecularVBMD_K2HPO4).toBe(rho);
  });

  it("trabecular vBMD: mean of L1 and L2, HA by hand, ACR categories per level and overall", () => {
    const { result } = spineDxa(d, masks);
    expect(result.trabecularLevels).toEqual(["L1", "L2"]);
    expect(result.trabecularVBMD_K2HPO4).toBe(200);
    expect(result.trabecularVBMD).toBe(Math.round(handHA(200)));
    expect(result.levels.map((l) => l.category)).toEqual(["normal", "normal"]);
    expect(result.category).toBe("normal");
    expect(result.warnings.join("\n")).toMatch(/no effective energy given/);
    // HA input is taken as is and converted back
    const ha = spineDxa(d, masks, { densityMeasure: "rhoHA" }).result;
    expect(ha.trabecularVBMD).toBe(200);
    expect(ha.trabecularVBMD_K2HPO4).toBe(Math.round(200 / handFactor(70)));
    expect(ha.densityEquivalent.conversion.formula).toBe("rhoK = 0.9724 * rhoHA");
    // near a cut-point the effective energy decides: K 78 -> HA 78.6 at 60 keV (osteoporosis), 81.9 at 80 keV (low)
    const low = createVolume({ dims: d.dims, data: Float32Array.from(d.data, (x) => (x === 200 ? 78 : x)) });
    const r60 = spineDxa(low, [masks[0]], { effectiveEnergyKeV: 60 }).result, r80 = spineDxa(low, [masks[0]], { effectiveEnergyKeV: 80 }).result;
    expect([r60.trabecularVBMD, r60.category]).toEqual([Math.round(78 * handFactor(60)), "osteoporosis"]);
    expect([r80.trabecularVBMD, r80.category]).toEqual([Math.round(78 * handFactor(80)), "low"]);
    expect(r60.warnings.join("\n")).toMatch(/not both available/);
  });

  it("rejects bad input", () => {
    expect(() => spineDxa(d, [])).toThrow(SpineDxaError);
    expect(() => spineDxa(d, [masks[0], { ...masks[1], level: "L1" }])).toThrow(/twice/);
    expect(() => spineDxa(d, [{ level: "L1", mask: createVolume({ dims: [4, 4, 4], data: new Uint8Array(64) }) }])).toThrow(/not on the density grid/);
    expect(() => spineDxa(d, [masks[0]], { baseline: NaN })).toThrow(/baseline/);
  });
});

describe("QCT trabecular ROI", () => {
  // cylinder R 15 mm, cortex 2 mm (wall) and 1.5 mm (endplates) at 800, core 120 mg/cm3, height 30 mm
  const cortex = 800, core = 120;
  const cyl = (sp: Vec3, dims: Vec3, origin: Vec3, bulge = false) => field(dims, sp, origin, I3, (p) => {
    const r = Math.hypot(p[0], p[1]), z = Math.abs(p[2]);
    if (bulge && p[0] > 14 && p[0] < 21 && Math.abs(p[1]) < 2 && z < 10) return 300; // a thin osteophyte-like spur
    if (r > 15 || z > 15) return 0;
    return r > 13 || z > 13.5 ? cortex : core;
  });
  const d = cyl([0.5, 0.5, 1], [80, 80, 44], [-20, -20, -22]);
  const body = maskOf(d, (x) => x > 0);

  it("gives the core density exactly: the cortex is excluded by depth", () => {
    const roi = trabecularCentrumRoi(d, body);
    expect(roi.mean).toBe(core);
    expect(roi.sd).toBe(0);
    expect(roi.axis[2]).toBeCloseTo(1, 6);
    expect(roi.centre[0]).toBeCloseTo(0, 6);
    expect(roi.centre[2]).toBeCloseTo(0, 6); // halfway between the endplates
    expect(roi.heightMm).toBeCloseTo(15, 6); // half the 30 mm body: slices -7..7 mm of 1 mm
    // without the depth exclusion and with the whole core ellipse, the cortex enters (the test can fail)
    expect(trabecularCentrumRoi(d, body, { fraction: 1, cortexDepthMm: 0 }).mean).toBeGreaterThan(core + 50);
  });

  it("on a 3 mm grid: hundreds of voxels, the cortex still out, and a thin spur on the mask does not move it", () => {
    // R 15 mm at 3 mm voxels: the 2 mm cortex is smeared over the outer voxel ring
    const d3 = cyl([3, 3, 3], [14, 14, 14], [-19.5, -19.5, -19.5]);
    const b3 = maskOf(d3, (x) => x > 0);
    const roi = trabecularCentrumRoi(d3, b3);
    expect(roi.mean).toBe(core);
    expect(roi.voxels).toBeGreaterThanOrEqual(20); // a 30 mm body at 3 mm: a 4 x 4 x 5 core at most
    const big = cyl([1, 1, 1], [44, 44, 34], [-21.5, -21.5, -16.5], true);
    const plain = cyl([1, 1, 1], [44, 44, 34], [-21.5, -21.5, -16.5]);
    const rs = trabecularCentrumRoi(big, maskOf(big, (x) => x > 0)), rp = trabecularCentrumRoi(plain, maskOf(plain, (x) => x > 0));
    expect(rs.mean).toBe(core);
    expect(Math.abs(rs.centre[0] - rp.centre[0])).toBeLessThan(0.5); // the spur hardly shifts the ellipse
    expect(rs.voxels).toBe(rp.voxels);
  });

  it("throws when the body is off the density grid or empty", () => {
    const other = createVolume({ dims: [10, 10, 10], data: new Uint8Array(1000) });
    expect(() => trabecularCentrumRoi(d, other)).toThrow(SpineDxaError);
    expect(() => trabecularCentrumRoi(d, maskOf(d, () => false))).toThrow(/empty/);
  });
});

describe("vertebraeFromLabels", () => {
  it("takes each level's label (and the body label) onto the density grid", () => {
    // label map on a 2 mm grid over a 1 mm density grid with the same outer faces
    const lab = createVolume({ dims: [10, 10, 10], spacing: [2, 2, 2], origin: [0.5, 0.5, 0.5], data: new Uint8Array(1000) });
    const bodyMap = createVolume({ dims: [10, 10, 10], spacing: [2, 2, 2], origin: [0.5, 0.5, 0.5], data: new Uint8Array(1000) });
    for (let k = 0; k < 10; k++) for (let j = 0; j < 10; j++) for (let i = 0; i < 10; i++) {
      const p = i + 10 * (j + 10 * k);
      if (i >= 2 && i < 8 && j >= 2 && j < 8) lab.data[p] = k < 5 ? 30 : 31;
      if (i >= 2 && i < 8 && j >= 2 && j < 5) bodyMap.data[p] = 1;
    }
    const grid = createVolume({ dims: [20, 20, 20], data: new Uint8Array(8000) });
    const vs = vertebraeFromLabels(lab, { L1: 31, L2: 30, L5: 27 }, grid, { skipMissing: true, body: { map: bodyMap, label: 1 } });
    expect(vs.map((v) => v.level)).toEqual(["L1", "L2"]);
    // each coarse voxel becomes 2 x 2 x 2 fine voxels: L1 = 6 x 6 x 5 coarse = 1440 fine; body 6 x 3 x 5 coarse = 720
    const count = (v: Volume) => v.data.reduce((s: number, x: number) => s + (x ? 1 : 0), 0);
    expect(count(vs[0].mask)).toBe(1440);
    expect(count(vs[0].body!)).toBe(720);
    expect(vs[0].warnings!.join()).toMatch(/resampled/);
    expect(() => vertebraeFromLabels(lab, { L5: 27 }, grid)).toThrow(SegmentationError);
  });
});


describe("the embedded spine phantom (true density, K2HPO4)", () => {
  const dir = join(REPO_ROOT, "datasets/phantom/spine");
  const density = readNifti(join(dir, "density.nii.gz")).volume;
  const labels = readNifti(join(dir, "labels.nii.gz")).volume;
  const tv = JSON.parse(readFileSync(join(dir, "truth.json"), "utf8")).vertebra;

  /**
   * The centrum ROI's mean of truth.json's trabecular field, integrated independently: the ROI is
   * placed in the TRUE body frame (geometric centre, left/posterior/superior axes of truth.json), its
   * ellipse sized from the true label map's body cross-section in the 10 mm mid slab, and the field
   * (base + apGradient y/(depth/2) + endplate exp(-d/decay) - basivertebral exp(-(x^2+(y-6)^2)/(2 5^2)),
   * clamped) averaged on a 0.25 mm grid.
   */
  function truthCentrumMean(): number {
    const f = tv.frame, g = tv.geometricCentre, tb = tv.trabecularDensityMgCm3;
    const [nx, ny] = labels.dims;
    // the ROI's ellipse: the equivalent ellipse (centroid, second moments plus a voxel's own) of the
    // true body's cross-section in the 10 mm mid slab, semi-axes x 0.65
    let n0 = 0, su = 0, sv = 0, suu = 0, svv = 0;
    for (let p = 0; p < labels.data.length; p++) {
      if (labels.data[p] !== 1) continue;
      const w = indexToWorld(labels, [p % nx, Math.floor(p / nx) % ny, Math.floor(p / (nx * ny))]);
      const r = [w[0] - g[0], w[1] - g[1], w[2] - g[2]];
      const dot = (a: number[]) => r[0] * a[0] + r[1] * a[1] + r[2] * a[2];
      if (Math.abs(dot(f.superior)) > 5) continue;
      const u = dot(f.left), v = dot(f.posterior);
      n0++; su += u; sv += v; suu += u * u; svv += v * v;
    }
    const half = (a: number[]) => 0.5 * (Math.abs(a[0]) * labels.spacing[0] + Math.abs(a[1]) * labels.spacing[1] + Math.abs(a[2]) * labels.spacing[2]);
    const u0 = su / n0, v0 = sv / n0;
    const A = 0.65 * 2 * Math.sqrt(suu / n0 - u0 * u0 + half(f.left) ** 2 / 3), B = 0.65 * 2 * Math.sqrt(svv / n0 - v0 * v0 + half(f.posterior) ** 2 / 3);
    const planeDist = (q: number[], c: number[], n: number[]) => -((q[0] - c[0]) * n[0] + (q[1] - c[1]) * n[1] + (q[2] - c[2]) * n[2]);
    let s = 0, n = 0;
    for (let w = -5; w <= 5; w += 0.25) for (let a = -A; a <= A; a += 0.25) for (let b = -B; b <= B; b += 0.25) {
      if ((a / A) ** 2 + (b / B) ** 2 > 1) continue;
      const u = u0 + a, v = v0 + b;
      const q = [0, 1, 2].map((c) => g[c] + u * f.left[c] + v * f.posterior[c] + w * f.superior[c]);
      const dEp = Math.max(0, Math.min(planeDist(q, tv.superiorEndplateCentre, tv.superiorEndplateNormal), planeDist(q, tv.inferiorEndplateCentre, tv.inferiorEndplateNormal)));
      const rho = tb.base + (tb.apGradient * v) / (tv.depthMm / 2) + tb.endplate * Math.exp(-dEp / tb.endplateDecay) - tb.basivertebral * Math.exp(-(u * u + (v - 6) ** 2) / (2 * 5 * 5));
      s += Math.min(tb.max, Math.max(tb.min, rho));
      n++;
    }
    return s / n;
  }

  // the classic QCT ROI (a 10 mm slab, no depth exclusion, 0.65 of the cross-section's ellipse), so the truth integral needs no distance map
  const classic = { heightFraction: 0.01, minHeightMm: 10, fraction: 0.65, cortexDepthMm: 0 };
  it("trabecular vBMD within 1 mg/cm3 of truth.json's field over the centrum ROI; ACR category consistent; region lines at the truth's endplates", () => {
    const ref = truthCentrumMean();
    const vertebra = labelMask(labels, [1, 2]);
    // the phantom's own physics: 70 keV effective, K2HPO4 in an ideal water-equivalent base (d = 0)
    const { result } = spineDxa(density, [
      { level: "L3", mask: vertebra, body: labelMask(labels, 1) },
      { level: "L2", mask: labelMask(labels, 3) },
      { level: "L4", mask: labelMask(labels, 4) },
    ], { effectiveEnergyKeV: 70, waterDisplacement: { rhoK: 0 }, roi: classic });
    const l3 = result.levels.find((l) => l.level === "L3")!;
    expect(Math.abs(l3.trabecularVBMD_K2HPO4! - ref)).toBeLessThan(1);
    expect(result.trabecularLevels).toEqual(["L3"]);
    expect(result.densityEquivalent.haPerK2HPO4).toBeCloseTo(handFactor(70, 0), 9); // 1.1915
    expect(result.category).toBe(acrCategory(Math.round(ref * handFactor(70, 0))));
    // L2 and L4 are cut by the field of view: reported, but out of the total and the vBMD
    expect(result.levels.filter((l) => !l.complete).map((l) => l.level).sort()).toEqual(["L2", "L4"]);
    expect(result.totalLevels).toEqual(["L3"]);
    // the region's rows: the true endplate centres (the body's own), 4 mm into each disc
    expect(Math.abs(l3.region.body.zMm[1] - tv.superiorEndplateCentre[2])).toBeLessThan(1.5); // 1.25 mm slices, wedged endplates
    expect(Math.abs(l3.region.body.zMm[0] - tv.inferiorEndplateCentre[2])).toBeLessThan(1.5);
    expect(l3.region.zMm[1] - l3.region.body.zMm[1]).toBeCloseTo(4, 9);
    // the body found automatically (isolateVertebralBody) gives the same vBMD
    const auto = spineDxa(density, [{ level: "L3", mask: vertebra }], { roi: classic }).result;
    expect(Math.abs(auto.levels[0].trabecularVBMD_K2HPO4! - ref)).toBeLessThan(1);
  });
});


describeWithShared("the real scan (TotalSegmentator example: a 55-year-old man, 3 mm, internal calibration)", async () => {
  const ct = (await readScan(join(TOTALSEG, "example_ct.nii.gz"))).volume;
  const labels = readNifti(join(TOTALSEG, "example_ct_vertebrae_levels.nii.gz")).volume;
  const report = JSON.parse(readFileSync(join(TOTALSEG, "spine_report.json"), "utf8"));
  const base = { sex: "M" as const, calibration: { kind: "internal" as const } };
  const withLabels = measureSpineDxa(ct, { ...base, labels }).result; // bct dxa --labels
  const labelFree = measureSpineDxa(ct, { ...base, vertebrae: "auto" }).result; // bct dxa

  it("bct analyze --level L1 and bct dxa report the same L1, by either route", () => {
    expect(report.metadata).toMatchObject({ PatientSex: "M", PatientAge: 55 });
    const a = analyzeSpine(ct, { ...base, vertebra: { map: labels, label: TOTALSEGMENTATOR_VERTEBRA_LABELS.L1, level: "L1" }, elementSize: 3 }).result.dxa!;
    expect(a.levels[0]).toEqual(withLabels.levels.find((l) => l.level === "L1"));
    const f = analyzeSpine(ct, { ...base, level: "L1", elementSize: 3 }).result.dxa!;
    expect(f.levels[0]).toEqual(labelFree.levels.find((l) => l.level === "L1"));
  });

  it("per-level areas in DXA's range, the soft-tissue baseline measured, and where the total lands", () => {
    const r = withLabels;
    expect(r.levels.map((l) => l.level)).toEqual(["L1", "L2", "L3", "L4"]);
    expect(r.totalLevels).toEqual(["L1", "L2", "L3", "L4"]);
    for (const l of r.levels) {
      expect(l.complete).toBe(true);
      // Hologic lumbar levels of adult men, about 13-18 cm2 (L1 smallest, L4 largest ◇); measured 15.5 / 15.6 / 16.6 / 19.0
      expect(l.areaCm2).toBeGreaterThan(13);
      expect(l.areaCm2).toBeLessThan(20);
      // the height between the body's endplate centres vs TotalSegmentator's anterior / middle / posterior heights (21-28.5 mm)
      const h = l.region.body.zMm[1] - l.region.body.zMm[0];
      const ts = ["anterior", "middle", "posterior"].map((w) => report.results[`vertebrae_${l.level}_height_${w}_mm`] as number);
      expect(h).toBeGreaterThan(Math.min(...ts) - 3);
      expect(h).toBeLessThan(Math.max(...ts) + 3);
      // the fat and muscle beside the spine: a few mg/cm3 either side of water, over thousands of voxels
      expect(l.baseline.source).toBe("adjacent");
      expect(l.baseline.voxels).toBeGreaterThan(2000);
      expect(Math.abs(l.baseline.densityMgCm3)).toBeLessThan(25);
      expect(l.grossBmcG - l.baselineG).toBeCloseTo(l.bmcG, 2);
    }
    const bmc = r.levels.reduce((s, l) => s + l.bmcG, 0), area = r.levels.reduce((s, l) => s + l.areaCm2, 0);
    expect(Math.abs(r.totalABMD! - bmc / area)).toBeLessThan(0.002);
    // NOT on the DXA scale yet: men's L1-L4 on Hologic DXA are 1.071 - 0.0007 x age = 1.03 +- 0.114 g/cm2
    // at 55 (Calcif Tissue Int 1995 ◇), i.e. 0.80-1.26 within 2 SD; this scan's CT mineral above the
    // soft tissue gives about 0.54 (measured 0.545; L1-L4 0.57 / 0.54 / 0.55 / 0.53), Z about -4,
    // though its trabecular vBMD (about 80 mg/cm3 HA, ACR low / osteoporosis) would suggest a Z of
    // about -2. Pinned here so that a change shows; see the report of the spine-dxa branch.
    expect(r.totalABMD!).toBeGreaterThan(0.5);
    expect(r.totalABMD!).toBeLessThan(0.6);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it("the trabecular ROI holds hundreds of voxels at 3 mm and its category is the same by either route on L1-L4", () => {
    for (const level of ["L1", "L2", "L3", "L4"]) {
      const a = withLabels.levels.find((l) => l.level === level)!, b = labelFree.levels.find((l) => l.level === level)!;
      expect(a.roi!.voxels).toBeGreaterThan(300);
      expect(b.roi!.voxels).toBeGreaterThan(300);
      // measured differences 0.3-2.7 mg/cm3 HA (the old 0.65 x 10 mm ROI: up to 7, and L3, L4 flipped)
      expect(Math.abs(a.trabecularVBMD_HA! - b.trabecularVBMD_HA!)).toBeLessThan(4);
      expect(a.category).toBe(b.category);
      expect(a.category).toBe(acrCategory(Math.round(a.trabecularVBMD_HA!)));
    }
    // the reported value: mean of L1 and L2, HA (the pipeline measures on the HA-equivalent density)
    expect(withLabels.trabecularLevels).toEqual(["L1", "L2"]);
    const l1 = withLabels.levels[0], l2 = withLabels.levels[1];
    expect(Math.abs(withLabels.trabecularVBMD! - (l1.trabecularVBMD_HA! + l2.trabecularVBMD_HA!) / 2)).toBeLessThanOrEqual(0.6);
    expect(withLabels.densityEquivalent).toMatchObject({ input: "rhoHA", energySource: "given" });
    expect(withLabels.warnings.join("\n")).toMatch(/coarse/);
  });

  it("the figure shows the four regions", () => {
    const fig = spineDxaFigure(withLabels, measureSpineDxa(ct, { ...base, labels }).artifacts);
    expect((fig.layout!.shapes as unknown[]).length).toBe(4);
    expect(plotlyBundle(fig).data["text/plain"]).toMatch(/heatmap/);
  });
});
