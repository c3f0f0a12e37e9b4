import { describe, expect, it } from "vitest";
import { DEFAULT_SCANNER, FWHM_PER_SIGMA, voxelKernel, addNoiseAndQuantize } from "../../lib/synthetic/ct-formation.js";
import { generateHipScan } from "../../lib/synthetic/hip-scan.js";
import type { Phantom, PointSample } from "../../lib/synthetic/model.js";
import { renderPhantom } from "../../lib/synthetic/render.js";
import { generateScan } from "../../lib/synthetic/scan.js";
import { TISSUE, tissueHuTable } from "../../lib/synthetic/tissues.js";
import type { GridGeometry } from "../../lib/volume/resample.js";
import { IDENTITY_DIRECTION, type Vec3 } from "../../lib/volume/volume.js";

/** Standard normal CDF (erf by Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
function Phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}
const phi = (x: number) => Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);

/** Edge response of a unit step blurred by a Gaussian (sigma) and averaged over a box of width w. */
function boxGaussianEsf(x: number, sigma: number, w: number): number {
  const F = (t: number) => t * Phi(t / sigma) + sigma * phi(t / sigma); // integral of Phi(t / sigma) dt
  return (F(x + w / 2) - F(x - w / 2)) / w;
}

/** x where a monotone function crosses `level` (bisection). */
function crossing(f: (x: number) => number, level: number, lo: number, hi: number): number {
  for (let n = 0; n < 100; n++) {
    const m = (lo + hi) / 2;
    if (f(m) < level) lo = m;
    else hi = m;
  }
  return (lo + hi) / 2;
}

/** A half-space phantom: water for x < x0, 800 mg/cm3 bone at and beyond x0. */
function edgePhantom(x0: number): Phantom {
  return {
    name: "edge",
    labels: [],
    sample(x: number, _y: number, _z: number, out: PointSample) {
      out.label = 0;
      out.tissue = x >= x0 ? TISSUE.cortical_bone : TISSUE.water;
      out.density = x >= x0 ? 800 : 0;
    },
  };
}

const line = (n: number, dx: number): GridGeometry => ({
  dims: [n, 1, 1],
  spacing: [dx, 1, 1],
  origin: [0, 0, 0],
  direction: [...IDENTITY_DIRECTION],
});

describe("voxel kernel", () => {
  it("sums to 1, is symmetric, and has the variance of box + Gaussian", () => {
    for (const [dx, fwhm, s] of [[1, 1.2, 3], [0.9765625, 1.2, 3], [1.25, 1.4, 3], [1, 1.2, 5]] as const) {
      const k = voxelKernel(dx, fwhm, s);
      const w = k.weights, L = w.length;
      expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      for (let t = 0; t < L; t++) expect(w[t]).toBeCloseTo(w[L - 1 - t], 14);
      const h = dx / s; // subsample step (mm)
      const c = (L - 1) / 2;
      let v = 0;
      for (let t = 0; t < L; t++) v += w[t] * ((t - c) * h) ** 2;
      const sigma = fwhm / FWHM_PER_SIGMA;
      // Discrete box of s subsamples: variance (s^2 - 1) h^2 / 12; sampled Gaussian of sigma > 1 subsample: sigma^2.
      expect(v).toBeCloseTo(sigma * sigma + ((s * s - 1) * h * h) / 12, 4);
    }
  });

  it("is a plain box when the PSF is off", () => {
    const k = voxelKernel(1, 0, 3);
    expect(k.halo).toBe(0);
    expect(Array.from(k.weights)).toEqual([1 / 3, 1 / 3, 1 / 3]);
  });
});

describe("blur and partial volume", () => {
  it("an edge's 10-90% width matches the analytic box * Gaussian edge response", () => {
    // Slanted-edge method: 10 renders with the edge shifted by 0.1 mm give an ESF oversampled 10x.
    const fwhm = 1.2, dx = 1;
    const pts: [number, number][] = [];
    const hu = tissueHuTable();
    for (let m = 0; m < 10; m++) {
      const x0 = 20.05 + 0.1 * m;
      const r = renderPhantom(edgePhantom(x0), line(40, dx), { slope: 1.25, tissueHu: hu, psfFwhmMm: [fwhm, 0, 0], supersampling: 9 });
      for (let i = 0; i < 40; i++) pts.push([i * dx - x0, r.hu[i] / 1000]); // step height 1.25 * 800 = 1000 HU
    }
    pts.sort((a, b) => a[0] - b[0]);
    const interp = (x: number) => {
      let n = 1;
      while (pts[n][0] < x) n++;
      const [x1, y1] = pts[n - 1], [x2, y2] = pts[n];
      return y1 + ((y2 - y1) * (x - x1)) / (x2 - x1);
    };
    const measured = crossing(interp, 0.9, -5, 5) - crossing(interp, 0.1, -5, 5);
    const sigma = fwhm / FWHM_PER_SIGMA;
    const f = (x: number) => boxGaussianEsf(x, sigma, dx);
    const expected = crossing(f, 0.9, -5, 5) - crossing(f, 0.1, -5, 5);
    expect(expected).toBeGreaterThan(1.45); // sanity: ~ 2.563 * sqrt(sigma^2 + 1/12) = 1.50 mm
    expect(expected).toBeLessThan(1.55);
    // Subsamples are 1/9 mm apart, so an edge is placed to within 1/18 mm.
    expect(Math.abs(measured - expected)).toBeLessThan(0.06);
  });

  it("without blur, a voxel cut by an edge holds the covered fraction (partial volume)", () => {
    const r = renderPhantom(edgePhantom(10.5 - 0.5 + 1 / 3), line(20, 1), {
      slope: 1.25,
      tissueHu: tissueHuTable(),
      psfFwhmMm: [0, 0, 0],
      supersampling: 3,
    });
    // Voxel 10 spans [9.5, 10.5): the edge at 10.333 leaves 1 of its 3 subsamples in bone.
    expect(r.hu[9]).toBeCloseTo(0, 12);
    expect(r.hu[10]).toBeCloseTo(1000 / 3, 9);
    expect(r.hu[11]).toBeCloseTo(1000, 9);
    expect(r.density[10]).toBeCloseTo(800 / 3, 3);
  });
});

describe("CT formation on the hip scan", () => {
  // Rods run along z, so a few slices hold thousands of voxels per rod.
  const k0 = 40;
  const scan = generateHipScan({ seed: 11, box: { min: [0, 0, k0], max: [180, 180, k0 + 4] } });
  const rods = (scan.truth.calibrationPhantom as { rods: { name: string; densityMgCm3: number; radiusMm: number; centreLine: { point: Vec3 } }[] }).rods;
  const slope = scan.scanner.slope, sd = scan.scanner.noiseSdHu;

  it("rod centres read HU = slope * nominal density: exactly without noise, within noise / sqrt(n) with it", () => {
    const [nx, ny, nz] = scan.ct.dims;
    for (const rod of rods) {
      let n = 0, sum = 0, maxDev = 0;
      for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
        const x = scan.ct.origin[0] + i * scan.ct.spacing[0], y = scan.ct.origin[1] + j * scan.ct.spacing[1];
        if (Math.hypot(x - rod.centreLine.point[0], y - rod.centreLine.point[1]) > rod.radiusMm - 3) continue;
        const p = i + nx * (j + ny * k);
        sum += scan.ct.data[p];
        maxDev = Math.max(maxDev, Math.abs(scan.noiseFreeHu.data[p] - slope * rod.densityMgCm3));
        n++;
      }
      expect(n).toBeGreaterThan(250); // r - 3 = 5 mm: ~79 voxels per slice
      expect(maxDev).toBeLessThan(1e-3); // 3 mm from the edge the Gaussian tail is < 1e-6 of the step
      expect(Math.abs(sum / n - slope * rod.densityMgCm3)).toBeLessThan((4 * sd) / Math.sqrt(n));
    }
  });

  it("noise has the stated SD (plus rounding) and zero mean", () => {
    const d = scan.ct.data, f = scan.noiseFreeHu.data;
    let n = 0, s = 0, ss = 0;
    for (let p = 0; p < d.length; p++) {
      if (f[p] < -1024 + 100 || f[p] > 3071 - 100) continue; // where the clamp could act (air)
      const e = d[p] - f[p];
      s += e;
      ss += e * e;
      n++;
    }
    const mean = s / n, measured = Math.sqrt(ss / n - mean * mean);
    expect(Math.abs(mean)).toBeLessThan((4 * sd) / Math.sqrt(n));
    // Rounding to integers adds a uniform error of variance 1/12.
    expect(Math.abs(measured / Math.sqrt(sd * sd + 1 / 12) - 1)).toBeLessThan(0.01);
  });

  it("noise SD in a uniform region of the CT itself (muscle) matches", () => {
    // A 20 x 20 voxel patch of muscle (x -60..-41, y -39.6..-20.6 mm) far from any edge: its HU
    // spread is the noise alone.
    const [nx, ny] = scan.ct.dims;
    const vals: number[] = [];
    for (let k = 0; k < 4; k++) for (let j = 37; j < 57; j++) for (let i = 143; i < 163; i++) {
      const p = i + nx * (j + ny * k);
      if (scan.tissues.data[p] === TISSUE.muscle) vals.push(scan.ct.data[p]);
    }
    expect(vals.length).toBe(4 * 20 * 20);
    const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
    const measured = Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / (vals.length - 1));
    expect(Math.abs(mean - DEFAULT_SCANNER.tissueHu.muscle!)).toBeLessThan((4 * sd) / Math.sqrt(vals.length));
    expect(Math.abs(measured / Math.sqrt(sd * sd + 1 / 12) - 1)).toBeLessThan(0.06); // n = 1600: SE of SD ~1.8%
  });

  it("quantises to integers and clamps to [-1024, 3071]", () => {
    const box = { min: [0, 0, 0] as Vec3, max: [3, 1, 1] as Vec3 };
    const q = addNoiseAndQuantize(Float64Array.of(-5000, 12.5, 9000), [3, 1, 1], box, 1, 0, [-1024, 3071]);
    expect(Array.from(q)).toEqual([-1024, 13, 3071]);
  });
});

describe("determinism", () => {
  const box = { min: [60, 60, 60] as Vec3, max: [100, 90, 63] as Vec3 };
  it("the same seed gives identical bytes; another seed changes only the noise", () => {
    const a = generateHipScan({ seed: 5, box });
    const b = generateHipScan({ seed: 5, box });
    const c = generateHipScan({ seed: 6, box });
    expect(Buffer.from(a.ct.data.buffer).equals(Buffer.from(b.ct.data.buffer))).toBe(true);
    expect(Buffer.from(a.density.data.buffer).equals(Buffer.from(b.density.data.buffer))).toBe(true);
    expect(Buffer.from(a.labels.data.buffer).equals(Buffer.from(b.labels.data.buffer))).toBe(true);
    expect(JSON.stringify(a.truth)).toBe(JSON.stringify(b.truth));
    expect(Buffer.from(a.ct.data.buffer).equals(Buffer.from(c.ct.data.buffer))).toBe(false);
    let differ = 0;
    for (let p = 0; p < a.ct.data.length; p++) if (a.ct.data[p] !== c.ct.data[p]) differ++;
    expect(differ / a.ct.data.length).toBeGreaterThan(0.9);
    expect(Buffer.from(a.density.data.buffer).equals(Buffer.from(c.density.data.buffer))).toBe(true);
  });

  it("a sub-block has exactly the values of the larger block around it", () => {
    const big = generateHipScan({ seed: 5, box });
    const sub = { min: [70, 65, 61] as Vec3, max: [85, 80, 63] as Vec3 };
    const small = generateScan(big.phantom, big.grid, { seed: 5, box: sub });
    const [bx, by] = big.ct.dims;
    const [sx, sy, sz] = small.ct.dims;
    for (let k = 0; k < sz; k++) for (let j = 0; j < sy; j++) for (let i = 0; i < sx; i++) {
      const ps = i + sx * (j + sy * k);
      const pb = i + sub.min[0] - box.min[0] + bx * (j + sub.min[1] - box.min[1] + by * (k + sub.min[2] - box.min[2]));
      expect(small.noiseFreeHu.data[ps]).toBe(big.noiseFreeHu.data[pb]);
      expect(small.ct.data[ps]).toBe(big.ct.data[pb]);
      expect(small.density.data[ps]).toBe(big.density.data[pb]);
      expect(small.labels.data[ps]).toBe(big.labels.data[pb]);
    }
    // The block's origin is the world position of its first voxel.
    expect(small.ct.origin[0]).toBeCloseTo(big.grid.origin[0] + sub.min[0] * big.grid.spacing[0], 9);
    expect(small.ct.origin[2]).toBeCloseTo(big.grid.origin[2] + sub.min[2] * big.grid.spacing[2], 9);
  });
});
