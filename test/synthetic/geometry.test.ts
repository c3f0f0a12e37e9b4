import { describe, expect, it } from "vitest";
import { HipPhantom } from "../../lib/synthetic/hip-phantom.js";
import { DEFAULT_HIP_GRID, generateHipScan } from "../../lib/synthetic/hip-scan.js";
import { pointSample } from "../../lib/synthetic/model.js";
import { sampleCentres } from "../../lib/synthetic/render.js";
import { SpinePhantom } from "../../lib/synthetic/spine-phantom.js";
import { DEFAULT_SPINE_GRID, spineTruth } from "../../lib/synthetic/spine-scan.js";
import { generateScan } from "../../lib/synthetic/scan.js";
import { TISSUE } from "../../lib/synthetic/tissues.js";
import { DEFAULT_SCANNER } from "../../lib/synthetic/ct-formation.js";
import type { GridGeometry } from "../../lib/volume/resample.js";
import { IDENTITY_DIRECTION, type Vec3 } from "../../lib/volume/volume.js";

const dot = (a: Vec3, b: Vec3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const norm = (a: Vec3) => Math.sqrt(dot(a, a));
const deg = (r: number) => (r * 180) / Math.PI;

/** Labels and tissues at voxel centres: the geometry alone. */
const labelsOn = (phantom: HipPhantom | SpinePhantom, grid: GridGeometry) => sampleCentres(phantom, grid);

/** Least-squares sphere through points: |p|^2 = 2 c.p + (r^2 - |c|^2). */
function fitSphere(pts: Vec3[]): { centre: Vec3; radius: number } {
  const A = Array.from({ length: 4 }, () => new Float64Array(5));
  for (const p of pts) {
    const row = [2 * p[0], 2 * p[1], 2 * p[2], 1, dot(p, p)];
    for (let r = 0; r < 4; r++) for (let c = 0; c < 5; c++) A[r][c] += row[r] * row[c];
  }
  for (let c = 0; c < 4; c++) {
    let piv = c;
    for (let r = c + 1; r < 4; r++) if (Math.abs(A[r][c]) > Math.abs(A[piv][c])) piv = r;
    [A[c], A[piv]] = [A[piv], A[c]];
    for (let r = 0; r < 4; r++) {
      if (r === c) continue;
      const f = A[r][c] / A[c][c];
      for (let k = c; k < 5; k++) A[r][k] -= f * A[c][k];
    }
  }
  const x = [0, 1, 2, 3].map((r) => A[r][4] / A[r][r]);
  const centre: Vec3 = [x[0], x[1], x[2]];
  return { centre, radius: Math.sqrt(x[3] + dot(centre, centre)) };
}

describe("femur geometry", () => {
  const hip = new HipPhantom();
  const g = hip.femur.geometry;

  it("axes are unit vectors with the stated neck-shaft angle and anteversion", () => {
    expect(norm(g.neckAxis)).toBeCloseTo(1, 12);
    expect(norm(g.shaftAxis)).toBeCloseTo(1, 12);
    // Neck-shaft angle: between the distal shaft direction and the neck axis.
    expect(deg(Math.acos(-dot(g.shaftAxis, g.neckAxis)))).toBeCloseTo(127, 9);
    // Anteversion: the neck axis projected off the shaft axis, measured from the shaft-x plane.
    const n = g.neckAxis, s = g.shaftAxis;
    const perp: Vec3 = [n[0] - dot(n, s) * s[0], n[1] - dot(n, s) * s[1], n[2] - dot(n, s) * s[2]];
    const xPerp: Vec3 = [1 - s[0] * s[0], -s[0] * s[1], -s[0] * s[2]]; // +x (medial for a right femur) off the shaft axis
    const cosAv = dot(perp, xPerp) / (norm(perp) * norm(xPerp));
    expect(deg(Math.acos(cosAv))).toBeCloseTo(12, 9);
    expect(perp[1]).toBeLessThan(0); // anteverted: the neck points anteriorly (-y)
    // The head centre lies on the neck axis, neckLength from the junction.
    const H = g.headCentre, O = g.neckShaftJunction;
    for (let c = 0; c < 3; c++) expect(O[c] + 52 * n[c]).toBeCloseTo(H[c], 9);
    expect(H).toEqual([-88, 2.5, 0]);
  });

  it("the head's centre and radius are recovered by a sphere fit to the label mask", () => {
    const grid: GridGeometry = { dims: [70, 70, 70], spacing: [0.7, 0.7, 0.7], origin: [-112.3, -21.7, -24.1], direction: [...IDENTITY_DIRECTION] };
    const r = labelsOn(hip, grid);
    const [nx, ny, nz] = grid.dims;
    const at = (i: number, j: number, k: number) => r.labels[i + nx * (j + ny * k)];
    const world = (i: number, j: number, k: number): Vec3 => [grid.origin[0] + i * 0.7, grid.origin[1] + j * 0.7, grid.origin[2] + k * 0.7];
    // Surface estimate: midpoints between 6-neighbours inside and outside the femur, on the head away from the neck.
    const pts: Vec3[] = [];
    for (let k = 0; k < nz - 1; k++) for (let j = 0; j < ny - 1; j++) for (let i = 0; i < nx - 1; i++) {
      const a = at(i, j, k) === 1;
      for (const [di, dj, dk] of [[1, 0, 0], [0, 1, 0], [0, 0, 1]]) {
        if (a === (at(i + di, j + dj, k + dk) === 1)) continue;
        const p = world(i + di / 2, j + dj / 2, k + dk / 2);
        const d: Vec3 = [p[0] - g.headCentre[0], p[1] - g.headCentre[1], p[2] - g.headCentre[2]];
        if (dot(d, g.neckAxis) > -8) pts.push(p);
      }
    }
    expect(pts.length).toBeGreaterThan(3000);
    const fit = fitSphere(pts);
    for (let c = 0; c < 3; c++) expect(Math.abs(fit.centre[c] - g.headCentre[c])).toBeLessThan(0.1);
    expect(Math.abs(fit.radius - 24)).toBeLessThan(0.1);
  });

  it("the volume of the head beyond its equator (away from the neck) matches 2/3 pi r^3", () => {
    const h = 0.4;
    const grid: GridGeometry = { dims: [140, 140, 140], spacing: [h, h, h], origin: [-115.93, -25.47, -27.81], direction: [...IDENTITY_DIRECTION] };
    const r = labelsOn(hip, grid);
    let n = 0, p = 0;
    for (let k = 0; k < 140; k++) for (let j = 0; j < 140; j++) for (let i = 0; i < 140; i++, p++) {
      if (r.labels[p] !== 1) continue;
      const d: Vec3 = [grid.origin[0] + i * h - g.headCentre[0], grid.origin[1] + j * h - g.headCentre[1], grid.origin[2] + k * h - g.headCentre[2]];
      if (dot(d, g.neckAxis) > 0) n++;
    }
    const expected = (2 / 3) * Math.PI * 24 ** 3; // 28953 mm3
    expect(Math.abs((n * h ** 3) / expected - 1)).toBeLessThan(0.005);
  });

  it("cortical shell thickness along the truth profiles is the specified one", () => {
    const scanTruth = generateHipScan({ box: { min: [0, 0, 0], max: [1, 1, 1] } }).truth as {
      femur: { corticalProfiles: { name: string; surfacePoint: Vec3; inwardDirection: Vec3; thicknessMm: number }[] };
    };
    const specified: Record<string, number> = {
      diaphysis_medial: 4.0,
      diaphysis_lateral: 4.0,
      diaphysis_anterior: 4.0,
      neck_superior: 1.0,
      neck_inferior: 2.0,
      head_superior: 0.8,
    };
    const out = pointSample();
    const step = 0.005;
    for (const prof of scanTruth.femur.corticalProfiles) {
      expect(prof.thicknessMm).toBeCloseTo(specified[prof.name], 9);
      // Walk inwards from 1 mm outside; measure the run of cortical bone.
      let first = NaN, last = NaN;
      for (let t = -1; t < 8; t += step) {
        const p = prof.surfacePoint.map((c, i) => c + t * prof.inwardDirection[i]);
        hip.sample(p[0], p[1], p[2], out);
        if (out.tissue === TISSUE.cortical_bone) {
          if (Number.isNaN(first)) first = t;
          last = t;
        } else if (!Number.isNaN(first)) break;
      }
      expect(Math.abs(first)).toBeLessThan(2 * step);
      expect(Math.abs(last + step - first - specified[prof.name])).toBeLessThan(0.02);
    }
  });

  it("the diaphyseal cortex measured on the noise-free CT (half-maximum width) is 4 mm", () => {
    const truth = generateHipScan({ box: { min: [0, 0, 0], max: [1, 1, 1] } }).truth as {
      femur: { corticalProfiles: { name: string; surfacePoint: Vec3; inwardDirection: Vec3 }[] };
    };
    const prof = truth.femur.corticalProfiles.find((p) => p.name === "diaphysis_medial")!;
    const grid = DEFAULT_HIP_GRID;
    const idx = prof.surfacePoint.map((c, a) => (c - grid.origin[a]) / grid.spacing[a]);
    const box = {
      min: [Math.floor(idx[0]) - 14, Math.floor(idx[1]) - 6, Math.floor(idx[2]) - 5] as Vec3,
      max: [Math.floor(idx[0]) + 6, Math.floor(idx[1]) + 7, Math.floor(idx[2]) + 6] as Vec3,
    };
    const scan = generateHipScan({ box });
    const v = scan.noiseFreeHu, [nx, ny] = v.dims;
    const trilinear = (p: number[]) => {
      const q = p.map((c, a) => (c - v.origin[a]) / v.spacing[a]);
      const i = Math.floor(q[0]), j = Math.floor(q[1]), k = Math.floor(q[2]);
      const fx = q[0] - i, fy = q[1] - j, fz = q[2] - k;
      let s = 0;
      for (const [di, dj, dk] of [[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1], [1, 0, 1], [0, 1, 1], [1, 1, 1]]) {
        const w = (di ? fx : 1 - fx) * (dj ? fy : 1 - fy) * (dk ? fz : 1 - fz);
        s += w * v.data[i + di + nx * (j + dj + ny * (k + dk))];
      }
      return s;
    };
    const ts: number[] = [], hu: number[] = [];
    for (let t = -3; t <= 8; t += 0.02) {
      ts.push(t);
      hu.push(trilinear(prof.surfacePoint.map((c, a) => c + t * prof.inwardDirection[a])));
    }
    const peak = Math.max(...hu);
    expect(peak).toBeGreaterThan(DEFAULT_SCANNER.slope * 1100 - 30); // cortical 1100 mg/cm3, barely blurred at 4 mm
    const outside = DEFAULT_SCANNER.tissueHu.muscle!, inside = 0; // muscle, marrow
    const up = hu.findIndex((h) => h > (peak + outside) / 2);
    let down = up;
    while (hu[down] > (peak + inside) / 2) down++;
    const width = ts[down] - ts[up];
    expect(Math.abs(width - 4.0)).toBeLessThan(0.25);
    expect(Math.abs(ts[up])).toBeLessThan(0.2); // the periosteal edge is where the truth says
  });

  it("femur and pelvis are separated by the joint space everywhere", () => {
    // No pelvis point comes closer to the femur than the 3 mm joint space.
    let minGap = Infinity;
    const H = g.headCentre;
    for (let z = -45; z <= 45; z += 0.7) for (let y = -45; y <= 45; y += 0.7) for (let x = -45; x <= 60; x += 0.7) {
      const px = H[0] + x, py = H[1] + y, pz = H[2] + z;
      if (hip.pelvis.signedDistance(px, py, pz) > 0) continue;
      minGap = Math.min(minGap, hip.femur.signedDistance(px, py, pz));
    }
    expect(minGap).toBeGreaterThan(3 - 0.05);
    expect(minGap).toBeLessThan(3 + 0.5);
    // And in the shipped-resolution label map no femur voxel touches a pelvis voxel.
    const r = labelsOn(hip, DEFAULT_HIP_GRID);
    const [nx, ny, nz] = DEFAULT_HIP_GRID.dims;
    let touching = 0;
    for (let k = 0; k < nz - 1; k++) for (let j = 0; j < ny - 1; j++) for (let i = 0; i < nx - 1; i++) {
      const p = i + nx * (j + ny * k);
      for (const q of [p + 1, p + nx, p + nx * ny]) {
        const a = r.labels[p], b = r.labels[q];
        if ((a === 1 && b === 2) || (a === 2 && b === 1)) touching++;
      }
    }
    expect(touching).toBe(0);
  });

  it("trabecular density: realistic range, dense compressive group, sparse Ward's triangle", () => {
    const out = pointSample();
    const vals: number[] = [];
    const O = g.neckShaftJunction;
    for (let z = -60; z <= 80; z += 1.5) for (let y = -30; y <= 30; y += 1.5) for (let x = -40; x <= 90; x += 1.5) {
      hip.femur.sample(O[0] + x, O[1] + y, O[2] + z, out) && out.tissue === TISSUE.trabecular_bone && vals.push(out.density);
    }
    vals.sort((a, b) => a - b);
    const q = (f: number) => vals[Math.floor(f * (vals.length - 1))];
    expect(vals.length).toBeGreaterThan(10000);
    expect(q(0.05)).toBeGreaterThanOrEqual(45);
    expect(q(0.05)).toBeLessThan(110);
    expect(q(0.95)).toBeGreaterThan(200);
    expect(q(0.95)).toBeLessThanOrEqual(320);
    const at = (p: Vec3) => (hip.femur.sample(p[0], p[1], p[2], out), out.density);
    expect(at(g.wardsTriangleCentre)).toBeLessThan(60);
    const [A, B] = g.compressiveGroup;
    expect(at([(A[0] + B[0]) / 2, (A[1] + B[1]) / 2, (A[2] + B[2]) / 2])).toBeGreaterThan(230);
    expect(at(g.headCentre)).toBeGreaterThan(200);
    // Cortex: 1100 in the diaphysis, 900 proximally.
    expect(hip.femur.corticalDensityAt(-80)).toBe(1100);
    expect(hip.femur.corticalDensityAt(0)).toBe(900);
  });

  it("rod cross-sections match pi r^2 (voxel counts on the shipped grid and on a fine grid)", () => {
    const grid: GridGeometry = { ...DEFAULT_HIP_GRID, dims: [180, 180, 4] };
    const r = labelsOn(hip, grid);
    const area = Math.PI * 8 * 8;
    for (let rod = 11; rod <= 15; rod++) {
      const n = r.labels.reduce((a, l) => a + (l === rod ? 1 : 0), 0);
      const volume = n * 1 * 1 * 1.25, L = 4 * 1.25;
      expect(Math.abs(volume / (area * L) - 1)).toBeLessThan(0.02);
    }
    const h = 0.1;
    const fine: GridGeometry = { dims: [200, 200, 1], spacing: [h, h, h], origin: [-109.93, 69.07, 0], direction: [...IDENTITY_DIRECTION] };
    const f = labelsOn(hip, fine);
    const n = f.labels.reduce((a, l) => a + (l === 13 ? 1 : 0), 0); // rod C, centred at (-100, 79)
    expect(Math.abs((n * h * h) / area - 1)).toBeLessThan(0.003);
  });
});

describe("vertebra geometry", () => {
  const spine = new SpinePhantom();
  const t = spine.target, g = t.geometry;

  it("height between the endplates, wedge and normals match the construction", () => {
    const c = g.frame.origin, ax = g.axis;
    // Walk along the axis from the centre to each endplate.
    const exit = (sign: number) => {
      let a = 0, b = 30;
      for (let n = 0; n < 80; n++) {
        const m = (a + b) / 2;
        if (t.bodyDistance(c[0] + sign * m * ax[0], c[1] + sign * m * ax[1], c[2] + sign * m * ax[2]) <= 0) a = m;
        else b = m;
      }
      return a;
    };
    expect(exit(1) + exit(-1)).toBeCloseTo(26, 6);
    expect(exit(1)).toBeCloseTo(13, 6);
    // Superior endplate plane from three surface points: its normal is the truth normal.
    const surf = (u: number, v: number): Vec3 => {
      const f = g.frame;
      let a = 0, b = 20;
      const P = (w: number): Vec3 => [0, 1, 2].map((k) => f.origin[k] + u * f.ex[k] + v * f.ey[k] + w * f.ez[k]) as Vec3;
      for (let n = 0; n < 80; n++) {
        const m = (a + b) / 2;
        const p = P(m);
        if (t.bodyDistance(p[0], p[1], p[2]) <= 0) a = m;
        else b = m;
      }
      return P(a);
    };
    const p0 = surf(-8, -6), p1 = surf(8, -6), p2 = surf(0, 8);
    const e1: Vec3 = [p1[0] - p0[0], p1[1] - p0[1], p1[2] - p0[2]], e2: Vec3 = [p2[0] - p0[0], p2[1] - p0[1], p2[2] - p0[2]];
    const n: Vec3 = [e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2], e1[0] * e2[1] - e1[1] * e2[0]];
    const nn = norm(n);
    const cos = dot(n, g.superiorEndplateNormal) / nn;
    expect(deg(Math.acos(Math.min(1, Math.abs(cos))))).toBeLessThan(1e-4);
    // Planes 4 degrees apart (2 degree wedge each), both tilted off the axis.
    const inv: Vec3 = g.inferiorEndplateNormal.map((x) => -x) as Vec3;
    expect(deg(Math.acos(dot(g.superiorEndplateNormal, inv)))).toBeCloseTo(4, 9);
    expect(g.anteriorHeightMm).toBeCloseTo(26 + 2 * 15 * Math.tan((2 * Math.PI) / 180), 9);
  });

  it("body centroid and volume from the label map match the integrated truth", () => {
    const r = labelsOn(spine, DEFAULT_SPINE_GRID);
    const grid = DEFAULT_SPINE_GRID, [nx, ny, nz] = grid.dims;
    let n = 0;
    const s = [0, 0, 0];
    for (let k = 0, p = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, p++) {
      if (r.labels[p] !== 1) continue;
      n++;
      s[0] += grid.origin[0] + i * grid.spacing[0];
      s[1] += grid.origin[1] + j * grid.spacing[1];
      s[2] += grid.origin[2] + k * grid.spacing[2];
    }
    const truth = spineTruth(generateScan(spine, grid, { box: { min: [0, 0, 0], max: [1, 1, 1] } }), spine) as {
      vertebra: { bodyCentroid: Vec3; bodyVolumeMm3: number; meanTrabecularDensityMgCm3: number };
    };
    for (let c = 0; c < 3; c++) expect(Math.abs(s[c] / n - truth.vertebra.bodyCentroid[c])).toBeLessThan(0.15);
    const vv = grid.spacing[0] * grid.spacing[1] * grid.spacing[2];
    expect(Math.abs((n * vv) / truth.vertebra.bodyVolumeMm3 - 1)).toBeLessThan(0.01);
    // Body volume from its shape: an elliptic cylinder of 40 x 30 mm, 26 mm tall, with the waist and the posterior cut.
    expect(truth.vertebra.bodyVolumeMm3).toBeGreaterThan(0.8 * Math.PI * 20 * 15 * 26);
    expect(truth.vertebra.bodyVolumeMm3).toBeLessThan(Math.PI * 20 * 15 * 26);
    expect(truth.vertebra.meanTrabecularDensityMgCm3).toBeGreaterThan(100);
    expect(truth.vertebra.meanTrabecularDensityMgCm3).toBeLessThan(160);
    // The target vertebra never touches its neighbours: discs and facet gaps separate them.
    let touching = 0;
    for (let k = 0; k < nz - 1; k++) for (let j = 0; j < ny - 1; j++) for (let i = 0; i < nx - 1; i++) {
      const p = i + nx * (j + ny * k);
      for (const q of [p + 1, p + nx, p + nx * ny]) {
        const a = r.labels[p], b = r.labels[q];
        if ((a === 1 || a === 2) && (b === 3 || b === 4)) touching++;
        if ((b === 1 || b === 2) && (a === 3 || a === 4)) touching++;
      }
    }
    expect(touching).toBe(0);
  });

  it("shell, endplate and trabecular densities are as specified", () => {
    const out = pointSample();
    const f = g.frame;
    const P = (u: number, v: number, w: number): Vec3 => [0, 1, 2].map((k) => f.origin[k] + u * f.ex[k] + v * f.ey[k] + w * f.ez[k]) as Vec3;
    // Endplate: walk down the axis from above the superior endplate.
    const run = (from: (s: number) => Vec3) => {
      let n = 0;
      for (let s = 0; s < 5; s += 0.002) {
        const p = from(s);
        t.sample(p[0], p[1], p[2], out);
        if (out.tissue === TISSUE.cortical_bone) n++;
        else if (n) break;
      }
      return n * 0.002;
    };
    expect(run((s) => P(0, 0, 14 - s))).toBeCloseTo(1.0, 2);
    // Side wall at mid-height (the waist narrows the body to 0.92 of its width there): walk in along -u.
    expect(run((s) => P(19 - s, 0, 0))).toBeCloseTo(0.6, 2);
    const vals: number[] = [];
    for (let w = -12; w <= 12; w += 1) for (let v = -14; v <= 11; v += 1) for (let u = -18; u <= 18; u += 1) {
      const p = P(u, v, w);
      if (t.sample(p[0], p[1], p[2], out) && out.label === 1 && out.tissue === TISSUE.trabecular_bone) vals.push(out.density);
    }
    expect(Math.min(...vals)).toBeGreaterThanOrEqual(80);
    expect(Math.max(...vals)).toBeLessThanOrEqual(210);
    expect(Math.max(...vals)).toBeGreaterThan(170);
    expect(Math.min(...vals)).toBeLessThan(100);
  });
});
