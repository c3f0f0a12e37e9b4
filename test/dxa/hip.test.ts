import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { femurLandmarks, type FemurLandmarks } from "../../lib/anatomy/femur.js";
import { dxaProjectionFigure } from "../../lib/display/dxa.js";
import { hipDxa, type HipDxaArtifacts, type HipDxaResult } from "../../lib/dxa/hip.js";
import { clipPolygon, hipRois, medialBump } from "../../lib/dxa/hip-rois.js";
import { dilate26, DxaError, dxaPositioning, maskMineralG, pixelToWorld, projectDensity, worldToPixel, type DxaFrame } from "../../lib/dxa/projection.js";
import { readNifti } from "../../lib/io/nifti/index.js";
import { labelMask } from "../../lib/segmentation/mask.js";
import { DEFAULT_HIP_PHANTOM, HipPhantom, pointSample } from "../../lib/synthetic/index.js";
import { createVolume, type Mat3, type Vec3, type Volume } from "../../lib/volume/volume.js";
import { REPO_ROOT } from "../helpers/paths.js";

const HIP = join(REPO_ROOT, "datasets/phantom/hip");
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const deg = (r: number) => (r * 180) / Math.PI;

/** Rotation matrix (row-major) about a unit axis by an angle (rad): Rodrigues. */
function rotation(axis: Vec3, a: number): Mat3 {
  const [x, y, z] = axis, c = Math.cos(a), s = Math.sin(a), t = 1 - c;
  return [t * x * x + c, t * x * y - s * z, t * x * z + s * y, t * x * y + s * z, t * y * y + c, t * y * z - s * x, t * x * z - s * y, t * y * z + s * x, t * z * z + c];
}
const col = (m: Mat3, c: number): Vec3 => [m[c], m[3 + c], m[6 + c]];

describe("projection: mass conservation and analytic cases", () => {
  it("conserves the mask's mineral on an oblique grid and an arbitrary view (relative 1e-6)", () => {
    // A blob of varying density on a grid with a rotated direction, anisotropic spacing and an offset origin.
    const dir = rotation([0.48, -0.6, 0.64], 0.7);
    const v = createVolume({ dims: [30, 26, 22], spacing: [0.9, 1.1, 1.4], origin: [-12, 5, 30], direction: dir });
    const m = createVolume({ dims: v.dims, spacing: v.spacing, origin: v.origin, direction: dir, data: new Uint8Array(30 * 26 * 22) });
    for (let k = 0, p = 0; k < 22; k++) for (let j = 0; j < 26; j++) for (let i = 0; i < 30; i++, p++) {
      const r2 = ((i - 15) / 11) ** 2 + ((j - 13) / 9) ** 2 + ((k - 11) / 8) ** 2;
      v.data[p] = 300 + 900 * Math.sin(i * 0.7) * Math.cos(j * 0.3) + 40 * k; // includes negative values
      m.data[p] = r2 < 1 ? 1 : 0;
    }
    const frame = dxaPositioning({ headCentre: [0, 10, 40], shaftAxis: [0.1, 0.2, 0.97], neckAxis: [0.8, -0.3, 0.5] });
    const expected = maskMineralG(v, m);
    let hand = 0;
    for (let p = 0; p < m.data.length; p++) if (m.data[p]) hand += v.data[p] * 0.9 * 1.1 * 1.4 * 1e-6;
    expect(expected).toBeCloseTo(hand, 12);
    for (const pixelMm of [0.5, 0.8]) {
      const img = projectDensity(v, m, frame, { pixelMm });
      expect(Math.abs(img.totalMineralG / expected - 1)).toBeLessThan(1e-9);
      // The image itself (Float32 aBMD times pixel area) carries the same total.
      let s = 0;
      for (let q = 0; q < img.data.length; q++) s += img.data[q];
      expect(Math.abs((s * pixelMm * pixelMm) / 100 / expected - 1)).toBeLessThan(1e-6);
    }
    // With a one-voxel shell the total is that of the 26-dilated mask.
    const shell = projectDensity(v, m, frame, { shellVoxels: 1 });
    const dil = createVolume({ dims: v.dims, spacing: v.spacing, origin: v.origin, direction: dir, data: dilate26(m.data, m.dims, 1) });
    expect(Math.abs(shell.totalMineralG / maskMineralG(v, dil) - 1)).toBeLessThan(1e-9);
  });

  /** A slab of `thick` voxels along k, uniform density, filling i and j. */
  function slab(rho: number, thick: number, direction?: Mat3): { v: Volume; m: Volume } {
    const dims: Vec3 = [60, 60, 20];
    const v = createVolume({ dims, spacing: [1, 1, 1], direction });
    const m = createVolume({ dims, spacing: [1, 1, 1], direction, data: new Uint8Array(60 * 60 * 20) });
    for (let k = 5; k < 5 + thick; k++) for (let p = k * 3600; p < (k + 1) * 3600; p++) { v.data[p] = rho; m.data[p] = 1; }
    return { v, m };
  }
  /** Pixel values whose centres lie at least `inset` mm inside the slab's footprint (centre region). */
  function interior(img: ReturnType<typeof projectDensity>, centre: Vec3, halfMm: number): number[] {
    const out: number[] = [];
    const [c0, r0] = worldToPixel(img.frame, centre);
    const h = halfMm / img.pixelMm;
    for (let r = Math.ceil(r0 - h); r <= r0 + h; r++) for (let c = Math.ceil(c0 - h); c <= c0 + h; c++) out.push(img.data[c + img.width * r]);
    return out;
  }

  it("a uniform slab seen along its normal gives rho*t/10000 g/cm2 in every interior pixel", () => {
    const rho = 800, t = 10; // mg/cm3, mm: 800 * 10 / 10000 = 0.8 g/cm2
    const { v, m } = slab(rho, t);
    // Pixel centres at 0.1 + 0.5 k mm: none on the footprint's edges (-0.5 and 59.5 mm).
    const frame: DxaFrame = { origin: [0.1, 0.1, 0], ex: [1, 0, 0], ey: [0, 1, 0], view: [0, 0, 1] };
    const img = projectDensity(v, m, frame, { pixelMm: 0.5 });
    const vals = interior(img, [29.6, 29.6, 0], 25);
    expect(vals.length).toBeGreaterThan(9000);
    for (const x of vals) expect(Math.abs(x - 0.8)).toBeLessThan(1e-6);
    // Bone area: the 60 x 60 mm footprint (pixel centres inside it) = 120 x 120 pixels of 0.25 mm2.
    expect(img.boneAreaCm2).toBeCloseTo(36, 6);
    // The grid turned in-plane by 30 degrees (the sub-voxel lattice no longer follows the pixels): interior pixels within 1% (aliasing of the sub-voxel lattice on the pixels), their mean within 0.1%.
    const turned = slab(rho, t, rotation([0, 0, 1], Math.PI / 6));
    const img2 = projectDensity(turned.v, turned.m, frame, { pixelMm: 0.5 });
    const centre2 = pixelToWorld(img2.frame, ...worldToPixel(img2.frame, [29.5 * (Math.cos(Math.PI / 6) - Math.sin(Math.PI / 6)), 29.5 * (Math.sin(Math.PI / 6) + Math.cos(Math.PI / 6)), 0]));
    const vals2 = interior(img2, centre2, 18);
    const mean2 = vals2.reduce((s, x) => s + x, 0) / vals2.length;
    expect(Math.abs(mean2 / 0.8 - 1)).toBeLessThan(1e-3);
    const dev2 = Math.max(...vals2.map((x) => Math.abs(x / 0.8 - 1)));
    expect(dev2).toBeLessThan(0.01);
    // Viewed 35 degrees off its normal, the path through the slab is t / cos(35°): 0.8 / cos(35°) = 0.97662 g/cm2.
    const a = (35 * Math.PI) / 180;
    const tilted: DxaFrame = { origin: [0, 0, 0], ex: [1, 0, 0], ey: [0, Math.cos(a), -Math.sin(a)], view: [0, Math.sin(a), Math.cos(a)] };
    const img3 = projectDensity(v, m, tilted, { pixelMm: 0.5 });
    const vals3 = interior(img3, [29.5, 29.5, 9.5], 15);
    const expected3 = 0.8 / Math.cos(a);
    expect(expected3).toBeCloseTo(0.97662, 4);
    const mean3 = vals3.reduce((s, x) => s + x, 0) / vals3.length;
    expect(Math.abs(mean3 / expected3 - 1)).toBeLessThan(1e-3);
    const dev3 = Math.max(...vals3.map((x) => Math.abs(x / expected3 - 1)));
    expect(dev3).toBeLessThan(0.01);
  });

  it("a cylinder across the beam gives the chord-length profile rho*2*sqrt(R^2 - z^2)/10000", () => {
    // Cylinder along x, radius 10 mm, 1000 mg/cm3, on 0.5 mm voxels (partial-volume means by 16 x 16 supersampling).
    const R = 10, rho = 1000, h = 0.5, n = 56, L = 40;
    const dims: Vec3 = [L / h, n, n];
    const v = createVolume({ dims, spacing: [h, h, h], origin: [0, -(n - 1) * h / 2, -(n - 1) * h / 2] });
    const m = createVolume({ dims, spacing: [h, h, h], origin: v.origin, data: new Uint8Array(v.data.length) });
    for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) {
      let f = 0;
      for (let b = 0; b < 16; b++) for (let a = 0; a < 16; a++) {
        const y = v.origin[1] + (j - 0.5 + (a + 0.5) / 16) * h, z = v.origin[2] + (k - 0.5 + (b + 0.5) / 16) * h;
        if (y * y + z * z < R * R) f++;
      }
      for (let i = 0; i < dims[0]; i++) {
        const p = i + dims[0] * (j + n * k);
        v.data[p] = (rho * f) / 256;
        m.data[p] = f > 0 ? 1 : 0;
      }
    }
    const frame: DxaFrame = { origin: [0, 0, 0], ex: [1, 0, 0], ey: [0, 0, -1], view: [0, 1, 0] };
    const img = projectDensity(v, m, frame, { pixelMm: 0.5 });
    const cMid = Math.round(worldToPixel(img.frame, [L / 2, 0, 0])[0]);
    let worst = 0, integral = 0;
    for (let r = 0; r < img.height; r++) {
      const w = pixelToWorld(img.frame, cMid, r);
      const z = w[2];
      const x = img.data[cMid + img.width * r];
      integral += x * 0.05; // g/cm2 * cm
      if (Math.abs(z) > 0.8 * R) continue;
      const exact = (rho * 2 * Math.sqrt(R * R - z * z)) / 10000;
      worst = Math.max(worst, Math.abs(x / exact - 1));
    }
    expect(worst).toBeLessThan(0.01);
    // Across the whole profile: the cross-section's mineral per cm of length, rho * pi R^2 = 1 g/cm3 * pi cm2 = 3.1416 g/cm.
    expect(Math.abs(integral / ((rho * 1e-3 * Math.PI * (R / 10) ** 2)) - 1)).toBeLessThan(2e-3);
  });

  it("rejects mismatched grids, empty masks and non-orthonormal frames", () => {
    const v = createVolume({ dims: [4, 4, 4] });
    const m = createVolume({ dims: [4, 4, 4], data: new Uint8Array(64) });
    const frame: DxaFrame = { origin: [0, 0, 0], ex: [1, 0, 0], ey: [0, 1, 0], view: [0, 0, 1] };
    expect(() => projectDensity(v, m, frame)).toThrow(DxaError);
    m.data[5] = 1;
    expect(() => projectDensity(v, createVolume({ dims: [4, 4, 5], data: new Uint8Array(80) }), frame)).toThrow(/same grid/);
    expect(() => projectDensity(v, m, { ...frame, view: [0, 0, -1] })).toThrow(/right-handed/);
    expect(() => dxaPositioning({ headCentre: [0, 0, 0], shaftAxis: [0, 0, 1], neckAxis: [0, 0.01, 1] })).toThrow(/within 5°/);
  });
});

describe("positioning (synthetic hip phantom geometry)", () => {
  const g = new HipPhantom(DEFAULT_HIP_PHANTOM).femur.geometry;
  it("puts the shaft vertical and the neck axis in the image plane; the turn about the shaft is the anteversion", () => {
    const pos = dxaPositioning({ headCentre: g.headCentre, shaftAxis: g.shaftAxis, neckAxis: g.neckAxis });
    const R = pos.rotation;
    const rows = [R.slice(0, 3), R.slice(3, 6), R.slice(6, 9)];
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) expect(dot(rows[a], rows[b])).toBeCloseTo(a === b ? 1 : 0, 12);
    const det = dot(rows[0], [rows[1][1] * rows[2][2] - rows[1][2] * rows[2][1], rows[1][2] * rows[2][0] - rows[1][0] * rows[2][2], rows[1][0] * rows[2][1] - rows[1][1] * rows[2][0]]);
    expect(det).toBeCloseTo(1, 12);
    // R * shaft = (0, -1, 0): vertical, proximal up; R * neck has no component along the view.
    expect(dot(rows[1], g.shaftAxis)).toBeCloseTo(-1, 12);
    expect(deg(Math.asin(Math.abs(dot(rows[2], g.neckAxis))))).toBeLessThan(1e-9);
    expect(pos.view[1]).toBeGreaterThan(0); // viewed from anterior
    // The phantom's anteversion is 12 degrees (its generator parameter): the internal rotation a DXA technologist applies.
    expect(pos.rotationAboutShaftDeg).toBeCloseTo(DEFAULT_HIP_PHANTOM.femur.anteversionDeg, 6);
    // The head (medial) lies toward +columns for this right femur seen from the front (patient's left on the image right).
    expect(dot(pos.ex, g.medial)).toBeGreaterThan(0.9);
  });
});

describe("hip DXA on the embedded hip phantom (density.nii.gz, labels.nii.gz label 1)", () => {
  const truth = JSON.parse(readFileSync(join(HIP, "truth.json"), "utf8")).femur;
  const phantom = new HipPhantom(DEFAULT_HIP_PHANTOM);
  let density: Volume, mask: Volume, lm: FemurLandmarks, result: HipDxaResult, artifacts: HipDxaArtifacts;
  beforeAll(() => {
    density = readNifti(join(HIP, "density.nii.gz")).volume;
    mask = labelMask(readNifti(join(HIP, "labels.nii.gz")).volume, 1);
    lm = femurLandmarks(mask);
    ({ result, artifacts } = hipDxa(density, mask, { sex: "F", landmarks: lm }));
  });

  it("uses the phantom the dataset was made from", () => {
    const g = phantom.femur.geometry;
    for (let c = 0; c < 3; c++) {
      expect(g.headCentre[c]).toBeCloseTo(truth.headCentre[c], 4);
      expect(g.neckAxis[c]).toBeCloseTo(truth.neckAxis[c], 4);
    }
  });

  it("positions the femur: after rotation the landmarks' and the true neck axis lie in the image plane", () => {
    const v = artifacts.positioning.view;
    expect(deg(Math.asin(Math.abs(dot(v, lm.neckAxis))))).toBeLessThan(1e-9);
    expect(deg(Math.asin(Math.abs(dot(v, truth.neckAxis))))).toBeLessThan(1);
    expect(Math.abs(artifacts.positioning.rotationAboutShaftDeg - truth.anteversionDeg)).toBeLessThan(1);
  });

  it("conserves mineral: the projection's total is the collected (one-voxel-shell) mask's", () => {
    const dil = createVolume({ dims: mask.dims, spacing: mask.spacing, origin: mask.origin, direction: mask.direction, data: dilate26(mask.data, mask.dims, 1) });
    expect(Math.abs(artifacts.image.totalMineralG / maskMineralG(density, dil) - 1)).toBeLessThan(1e-9);
    const bare = projectDensity(density, mask, artifacts.positioning);
    expect(Math.abs(bare.totalMineralG / maskMineralG(density, mask) - 1)).toBeLessThan(1e-9);
  });

  it("each pixel's aBMD is the line integral of the phantom's exact density along its ray", () => {
    const img = artifacts.image, f = img.frame, out = pointSample();
    const line = (p: Vec3) => {
      let s = 0;
      const h = 0.025;
      for (let t = -60; t <= 60; t += h) {
        phantom.sample(p[0] + t * f.view[0], p[1] + t * f.view[1], p[2] + t * f.view[2], out);
        if (out.label === 1) s += out.density * h;
      }
      return s / 10000; // mg/cm3 * mm -> g/cm2
    };
    const g = phantom.femur.geometry, O = g.neckShaftJunction;
    const at = (...terms: [number, ArrayLike<number>][]) => O.map((x, c) => x + terms.reduce((s, [k, v]) => s + k * v[c], 0)) as Vec3;
    const points: Vec3[] = [
      at([26, g.neckAxis]), at([26, g.neckAxis], [8, g.neckSuperior]), at([26, g.neckAxis], [-8, g.neckSuperior]), // neck
      at([47, g.neckAxis]), // head
      at([-50, g.shaftAxis]), at([-70, g.shaftAxis], [8, g.medial]), // shaft
      g.greaterTrochanterCentre, at([-25, g.shaftAxis]), // trochanter, intertrochanteric
    ];
    for (const w of points) {
      const [c0, r0] = worldToPixel(f, w).map(Math.round);
      const pixel = img.data[c0 + img.width * r0], exact = line(pixelToWorld(f, c0, r0));
      // One pixel: 1 mm voxels against a 0.8-4 mm cortex of 900-1100 mg/cm3 blur the projection by about a
      // voxel (measured worst 3.8%, where the ray grazes the shaft's endosteal surface).
      expect(Math.abs(pixel / exact - 1)).toBeLessThan(0.05);
      // A 2.5 mm patch (5 x 5 pixels), against the exact line integrals averaged over the same pixels (2 x 2 rays each).
      let sp = 0, se = 0;
      for (let dr = -2; dr <= 2; dr++) for (let dc = -2; dc <= 2; dc++) {
        sp += img.data[c0 + dc + img.width * (r0 + dr)];
        for (const oy of [-0.25, 0.25]) for (const ox of [-0.25, 0.25]) se += line(pixelToWorld(f, c0 + dc + ox, r0 + dr + oy)) / 4;
      }
      expect(Math.abs(sp / se - 1)).toBeLessThan(0.02); // measured worst 1.0%
    }
  });

  it("places the neck box on the neck, across the neck axis, at the waist", () => {
    const rois = artifacts.rois;
    expect(rois.neckBox.widthMm).toBe(15);
    const c = result.neckBox.centreLps, H = truth.headCentre, n = truth.neckAxis;
    const d: Vec3 = [c[0] - H[0], c[1] - H[1], c[2] - H[2]];
    const along = dot(d, n);
    const off = Math.hypot(d[0] - along * n[0], d[1] - along * n[1], d[2] - along * n[2]);
    expect(off).toBeLessThan(2); // mm from the true neck axis line
    // The phantom's neck waist (radius scale 1) spans 22-26 mm from the neck-shaft junction along the axis,
    // i.e. 26-30 mm from the head centre (neck length 52 mm).
    expect(-along).toBeGreaterThan(24);
    expect(-along).toBeLessThan(32);
    // Narrowest width in the projection: the neck's superior-inferior diameter at the waist, 2 x 16 mm, within a voxel.
    expect(Math.abs(result.neckBox.narrowestNeckWidthMm - 2 * truth.neckSemiAxesAtWaistMm[0])).toBeLessThan(1.25);
    // The box axis is the projected neck axis.
    const nd = [dot(truth.neckAxis, artifacts.image.frame.ex), dot(truth.neckAxis, artifacts.image.frame.ey)];
    expect(Math.abs(rois.neckBox.axis[0] * nd[0] + rois.neckBox.axis[1] * nd[1])).toBeGreaterThan(Math.cos((1.5 * Math.PI) / 180));
  });

  it("finds the lesser trochanter in 3D and ends the total hip below it", () => {
    const lt = artifacts.lesserTrochanter;
    expect(lt.found).toBe(true);
    // Level along the shaft against the generator's lesser-trochanter centre (36 mm below the junction, ellipsoid 12 mm along the shaft).
    const f = artifacts.image.frame;
    const rowTruth = worldToPixel(f, truth.landmarks.lesserTrochanterCentre)[1];
    expect(Math.abs(artifacts.rois.lesserTrochanter.apexRow - rowTruth) * f.pixelMm).toBeLessThan(5);
    expect(artifacts.rois.bottomRow).toBeGreaterThan(rowTruth);
    expect(lt.sectorDeg).toBeGreaterThan(0); // posteromedial
    expect(lt.sectorDeg).toBeLessThan(110);
    // The DXA view hides this lesser trochanter behind the shaft (no medial-edge bump): without the 3D level the ROI code says so.
    const alone = hipRois(artifacts.image, {
      headCentre: worldToPixel(f, lm.headCentre), headRadiusMm: lm.headRadius,
      neckDir: artifacts.rois.neckBox.axis, shaftCol: worldToPixel(f, lm.shaftPoint)[0],
    });
    expect(alone.warnings.join(" ")).toMatch(/lesser trochanter was not found/);
  });

  it("partitions the total hip: neck + trochanter + intertrochanteric BMC and area add up; aBMD = BMC / area", () => {
    const r = artifacts.rois;
    expect(r.neck.bmcG + r.trochanter.bmcG + r.intertrochanteric.bmcG).toBeCloseTo(r.totalHip.bmcG, 10);
    expect(r.neck.areaCm2 + r.trochanter.areaCm2 + r.intertrochanteric.areaCm2).toBeCloseTo(r.totalHip.areaCm2, 10);
    for (const roi of [r.neck, r.trochanter, r.intertrochanteric, r.totalHip]) {
      expect(roi.aBMD).toBeCloseTo(roi.bmcG / roi.areaCm2, 12);
      expect(roi.areaCm2).toBeGreaterThan(1);
    }
    // Sums by hand over the label image.
    let bmc = 0, n = 0;
    for (let q = 0; q < r.labels.length; q++) if (r.labels[q] === 1) { bmc += artifacts.image.data[q]; n += artifacts.image.mask[q]; }
    const pa = (artifacts.image.pixelMm ** 2) / 100;
    expect(r.neck.bmcG).toBeCloseTo(bmc * pa, 6);
    expect(r.neck.areaCm2).toBeCloseTo(n * pa, 10);
    // The total hip excludes the head: its mineral is well below the femur's.
    expect(r.totalHip.bmcG).toBeLessThan(0.8 * artifacts.image.totalMineralG);
    expect(result.warnings).toEqual([]);
  });

  it("reports plausible aBMD and T-scores that follow the NHANES III reference and the WHO cut-points", () => {
    // Plausible hip aBMD (g/cm2): the NHANES III young-women means are 0.858 (neck) and 0.942 (total hip).
    expect(result.neckABMD).toBeGreaterThan(0.45);
    expect(result.neckABMD).toBeLessThan(1.1);
    expect(result.totalHipABMD).toBeGreaterThan(0.45);
    expect(result.totalHipABMD).toBeLessThan(1.2);
    expect(result.neckABMD).toBe(Math.round(artifacts.rois.neck.aBMD * 1000) / 1000);
    // By hand: T = (aBMD - 0.858) / 0.120 (neck), (aBMD - 0.942) / 0.122 (total hip), to 0.1.
    expect(result.tScoreNeck).toBe(Math.round(((result.neckABMD - 0.858) / 0.12) * 10) / 10);
    expect(result.tScoreTotalHip).toBe(Math.round(((result.totalHipABMD - 0.942) / 0.122) * 10) / 10);
    const lowest = Math.min(result.tScoreNeck, result.tScoreTotalHip);
    expect(result.category).toBe(lowest <= -2.5 ? "osteoporosis" : lowest >= -1 ? "normal" : "osteopenia");
    expect(result.reference.id).toBe("white-female-20-29");
    expect(result.reference.citation).toMatch(/Looker/);
    expect(result.densityEquivalent.measure).toBe("rhoK");
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    console.log(`hip phantom: neck ${result.neckABMD} g/cm2 (T ${result.tScoreNeck}), total hip ${result.totalHipABMD} g/cm2 (T ${result.tScoreTotalHip}), trochanter ${result.trochanterABMD}, ${result.category}`);
  });

  it("uses the male reference only when asked, and the female one for men by default (WHO/IOF)", () => {
    const men = hipDxa(density, mask, { sex: "M", landmarks: lm }).result;
    expect(men.reference.id).toBe("white-female-20-29");
    expect(men.tScoreNeck).toBe(result.tScoreNeck);
    const male = hipDxa(density, mask, { sex: "M", maleReference: "male", landmarks: lm }).result;
    expect(male.reference.id).toBe("white-male-20-29");
    expect(male.tScoreNeck).toBe(Math.round(((male.neckABMD - 0.93) / 0.136) * 10) / 10);
    expect(male.tScoreTotalHip).toBe(Math.round(((male.totalHipABMD - 1.041) / 0.144) * 10) / 10);
  });

  it("gives the same result for the mirror-image left femur (side conventions)", () => {
    const [nx, ny, nz] = density.dims;
    const flip = <T extends Float32Array | Uint8Array>(src: T, out: T): T => {
      for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) out[i + nx * (j + ny * k)] = src[nx - 1 - i + nx * (j + ny * k)];
      return out;
    };
    const geo = { dims: density.dims, spacing: density.spacing, origin: density.origin, direction: density.direction };
    const dL = createVolume({ ...geo, data: flip(density.data as Float32Array, new Float32Array(density.data.length)) });
    const mL = createVolume({ ...geo, data: flip(mask.data as Uint8Array, new Uint8Array(mask.data.length)) });
    const left = hipDxa(dL, mL, { sex: "F" });
    expect(left.result.positioning.side).toBe("left");
    expect(left.result.positioning.viewDirectionLps[1]).toBeGreaterThan(0); // still viewed from the front
    expect(dot(left.artifacts.positioning.ex, left.artifacts.landmarks.frame.medial)).toBeLessThan(-0.9); // head on the image left
    expect(Math.abs(left.result.neckABMD - result.neckABMD)).toBeLessThanOrEqual(0.003);
    expect(Math.abs(left.result.totalHipABMD - result.totalHipABMD)).toBeLessThanOrEqual(0.003);
    expect(Math.abs(left.result.rois.totalHip.areaCm2 - result.rois.totalHip.areaCm2) / result.rois.totalHip.areaCm2).toBeLessThan(0.01);
  });

  it("draws the projection with the ROI outlines", () => {
    const fig = dxaProjectionFigure(artifacts);
    const heat = fig.data[0] as { type: string; z: number[][] };
    expect(heat.type).toBe("heatmap");
    expect(heat.z.length).toBe(artifacts.image.height);
    expect(heat.z[0].length).toBe(artifacts.image.width);
    const names = fig.data.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(["femoral neck", "total hip", "trochanteric line"]));
    const neck = fig.data.find((t) => t.name === "femoral neck") as { x: number[]; y: number[] };
    expect(neck.x.length).toBe(5); // closed box
    expect(neck.x[0]).toBeCloseTo(artifacts.rois.neck.polygon[0][0] * artifacts.image.pixelMm, 9);
  });
});

describe("ROI helpers", () => {
  it("finds a bump of a medial-edge profile (synthetic profile with a known bump)", () => {
    // 0.5 mm rows: a flare decreasing to 15 mm, then a 6 mm Gaussian bump at row 200 (sigma 8 rows).
    const prof = Array.from({ length: 400 }, (_, r) => 15 + 20 * Math.exp(-r / 30) + 6 * Math.exp(-(((r - 200) / 8) ** 2) / 2));
    const b = medialBump(prof, 20, 399, 0.5)!;
    expect(b.apexRow).toBe(200);
    // Distal end: where the bump has fallen to a quarter of its height, 8 * sqrt(2 ln 4) = 13.3 rows below.
    expect(Math.abs(b.distalRow - (200 + 8 * Math.sqrt(2 * Math.log(4))))).toBeLessThanOrEqual(1);
    expect(medialBump(prof.map((_, r) => 15 + 20 * Math.exp(-r / 30)), 20, 399, 0.5)).toBeNull();
  });

  it("clips a polygon by a half-plane", () => {
    const sq: [number, number][] = [[0, 0], [4, 0], [4, 4], [0, 4]];
    const tri = clipPolygon(sq, 1, 1, 4); // x + y <= 4
    const area = (p: [number, number][]) => Math.abs(p.reduce((s, a, q) => s + a[0] * p[(q + 1) % p.length][1] - p[(q + 1) % p.length][0] * a[1], 0)) / 2;
    expect(area(tri)).toBeCloseTo(8, 12);
    expect(clipPolygon(sq, 1, 0, -1)).toEqual([]);
  });
});
