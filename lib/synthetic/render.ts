/**
 * Rendering a phantom onto a voxel grid: the noise-free, blurred HU image (partial volume and PSF,
 * see {@link ./ct-formation}), the voxel-mean density, and the label and tissue at each voxel
 * centre. Works on any sub-block of the grid and gives, bit for bit, what the full grid has there:
 * subsample positions, kernels and summation order depend only on global indices.
 *
 * The fine subgrid is streamed one plane at a time (render, reduce along i, reduce along j, then
 * accumulate into the output slices along k), so memory stays at a few output-sized arrays.
 * @module
 */
import type { IndexBox } from "../volume/crop.js";
import type { GridGeometry } from "../volume/resample.js";
import type { Vec3 } from "../volume/volume.js";
import { voxelKernel } from "./ct-formation.js";
import { SyntheticError } from "./errors.js";
import { pointSample, type Phantom } from "./model.js";

/** Options of {@link renderPhantom}. */
export interface RenderOptions {
  /** HU per mg/cm3. */
  slope: number;
  /** HU at zero density by tissue id. */
  tissueHu: ArrayLike<number>;
  /** Gaussian PSF FWHM per axis (mm). */
  psfFwhmMm: Vec3;
  /** Subsamples per voxel per axis. */
  supersampling: number;
}

/** A rendered block. Arrays are i-fastest over the block. */
export interface RenderedBlock {
  box: IndexBox;
  /** Noise-free HU after partial volume and blur. */
  hu: Float64Array;
  /** Mean density over the voxel (mg/cm3 K2HPO4): the voxel's true mineral content / volume. */
  density: Float32Array;
  /** Structure label at the voxel centre. */
  labels: Uint8Array;
  /** Tissue id at the voxel centre. */
  tissues: Uint8Array;
}

/** The whole grid as an index box. */
export function fullBox(grid: Pick<GridGeometry, "dims">): IndexBox {
  return { min: [0, 0, 0], max: [...grid.dims] as Vec3 };
}

/** Check that `box` is a non-empty integer box inside `dims`. */
export function checkBox(box: IndexBox, dims: Vec3): void {
  for (let c = 0; c < 3; c++) {
    const lo = box.min[c], hi = box.max[c];
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi > dims[c] || hi <= lo) {
      throw new SyntheticError(`block [${box.min.join(", ")}]..[${box.max.join(", ")}) is empty or outside the grid ${dims.join("x")}`);
    }
  }
}

/** World offset components of axis `c` for global subsample indices g0 .. g0 + n - 1. */
function axisOffsets(grid: GridGeometry, c: number, s: number, g0: number, n: number): [Float64Array, Float64Array, Float64Array] {
  const d = grid.direction, sp = grid.spacing[c];
  const ox = new Float64Array(n), oy = new Float64Array(n), oz = new Float64Array(n);
  for (let q = 0; q < n; q++) {
    const frac = ((g0 + q + 0.5) / s - 0.5) * sp;
    ox[q] = d[c] * frac;
    oy[q] = d[3 + c] * frac;
    oz[q] = d[6 + c] * frac;
  }
  return [ox, oy, oz];
}

/**
 * Render `phantom` on `grid` (or on the sub-block `box` of it).
 * @example
 * ```ts
 * const grid = { dims: [64, 64, 8], spacing: [1, 1, 1.25], origin: [-32, -32, -5], direction: IDENTITY_DIRECTION };
 * const r = renderPhantom(phantom, grid, { slope: 1.25, tissueHu: tissueHuTable(), psfFwhmMm: [1.2, 1.2, 1.4], supersampling: 3 });
 * ```
 */
export function renderPhantom(phantom: Phantom, grid: GridGeometry, opts: RenderOptions, box: IndexBox = fullBox(grid)): RenderedBlock {
  checkBox(box, grid.dims);
  const s = opts.supersampling;
  const bx = box.max[0] - box.min[0], by = box.max[1] - box.min[1], bz = box.max[2] - box.min[2];
  const kx = voxelKernel(grid.spacing[0], opts.psfFwhmMm[0], s);
  const ky = voxelKernel(grid.spacing[1], opts.psfFwhmMm[1], s);
  const kz = voxelKernel(grid.spacing[2], opts.psfFwhmMm[2], s);
  const wx = kx.weights, wy = ky.weights, wz = kz.weights;
  const Lx = wx.length, Ly = wy.length, Lz = wz.length;
  // Global subsample index ranges (with halo) and their world offsets.
  const gx0 = box.min[0] * s - kx.halo, nfx = bx * s + 2 * kx.halo;
  const gy0 = box.min[1] * s - ky.halo, nfy = by * s + 2 * ky.halo;
  const gz0 = box.min[2] * s - kz.halo, nfz = bz * s + 2 * kz.halo;
  const [Ix, Iy, Iz] = axisOffsets(grid, 0, s, gx0, nfx);
  const [Jx, Jy, Jz] = axisOffsets(grid, 1, s, gy0, nfy);
  const [Kx, Ky, Kz] = axisOffsets(grid, 2, s, gz0, nfz);
  const [ox, oy, oz] = grid.origin;
  const slope = opts.slope, tHu = opts.tissueHu;

  const nvox = bx * by * bz;
  const hu = new Float64Array(nvox);
  const densSum = new Float64Array(nvox);
  const row = new Float64Array(nfx);
  const planeX = new Float64Array(nfy * bx);
  const planeXY = new Float64Array(bx * by);
  const pt = pointSample();
  const inX = bx * s, inY = by * s, inZ = bz * s;

  for (let fk = 0; fk < nfz; fk++) {
    const kLocal = fk - kz.halo; // subsample index relative to the block's first voxel
    const kv = kLocal >= 0 && kLocal < inZ ? Math.floor(kLocal / s) : -1;
    const kxo = Kx[fk], kyo = Ky[fk], kzo = Kz[fk];
    for (let fj = 0; fj < nfy; fj++) {
      const jLocal = fj - ky.halo;
      const jv = kv >= 0 && jLocal >= 0 && jLocal < inY ? Math.floor(jLocal / s) : -1;
      const jxo = Jx[fj], jyo = Jy[fj], jzo = Jz[fj];
      const densRow = jv >= 0 ? (kv * by + jv) * bx : -1;
      for (let fi = 0; fi < nfx; fi++) {
        const x = ox + Ix[fi] + jxo + kxo;
        const y = oy + Iy[fi] + jyo + kyo;
        const z = oz + Iz[fi] + jzo + kzo;
        phantom.sample(x, y, z, pt);
        row[fi] = tHu[pt.tissue] + slope * pt.density;
        if (densRow >= 0 && pt.density !== 0) {
          const iLocal = fi - kx.halo;
          if (iLocal >= 0 && iLocal < inX) densSum[densRow + Math.floor(iLocal / s)] += pt.density;
        }
      }
      // Reduce along i.
      const po = fj * bx;
      for (let i = 0; i < bx; i++) {
        let acc = 0;
        const b0 = i * s;
        for (let t = 0; t < Lx; t++) acc += wx[t] * row[b0 + t];
        planeX[po + i] = acc;
      }
    }
    // Reduce along j.
    for (let j = 0; j < by; j++) {
      const b0 = j * s;
      for (let i = 0; i < bx; i++) {
        let acc = 0;
        for (let t = 0; t < Ly; t++) acc += wy[t] * planeX[(b0 + t) * bx + i];
        planeXY[j * bx + i] = acc;
      }
    }
    // Accumulate into every output slice whose kernel covers this plane, in increasing kernel order.
    const kLo = Math.max(0, Math.ceil((fk - (Lz - 1)) / s));
    const kHi = Math.min(bz - 1, Math.floor(fk / s));
    for (let k = kLo; k <= kHi; k++) {
      const w = wz[fk - k * s];
      const o = k * bx * by;
      for (let n = 0; n < bx * by; n++) hu[o + n] += w * planeXY[n];
    }
  }

  const density = new Float32Array(nvox);
  const inv = 1 / (s * s * s);
  for (let n = 0; n < nvox; n++) density[n] = densSum[n] * inv;

  const { labels, tissues } = sampleCentres(phantom, grid, box);
  return { box: { min: [...box.min] as Vec3, max: [...box.max] as Vec3 }, hu, density, labels, tissues };
}

/** What a phantom holds at each voxel centre of a block. */
export interface CentreSamples {
  labels: Uint8Array;
  tissues: Uint8Array;
  /** Density at the voxel centre (not the voxel mean). */
  density: Float32Array;
}

/**
 * Label, tissue and density at the voxel centres of `grid` (or of the block `box`): the phantom's
 * geometry sampled at any resolution, without CT formation.
 * @example
 * ```ts
 * const fine = { dims: [200, 200, 200], spacing: [0.25, 0.25, 0.25], origin: [-113, -22, -25], direction: IDENTITY_DIRECTION };
 * const { labels } = sampleCentres(new HipPhantom(), fine); // the femoral head at 0.25 mm
 * ```
 */
export function sampleCentres(phantom: Phantom, grid: GridGeometry, box: IndexBox = fullBox(grid)): CentreSamples {
  checkBox(box, grid.dims);
  const nvox = (box.max[0] - box.min[0]) * (box.max[1] - box.min[1]) * (box.max[2] - box.min[2]);
  const labels = new Uint8Array(nvox);
  const tissues = new Uint8Array(nvox);
  const density = new Float32Array(nvox);
  const d = grid.direction, sp = grid.spacing;
  const [ox, oy, oz] = grid.origin;
  const pt = pointSample();
  let n = 0;
  for (let k = box.min[2]; k < box.max[2]; k++) {
    const c = k * sp[2];
    for (let j = box.min[1]; j < box.max[1]; j++) {
      const b = j * sp[1];
      for (let i = box.min[0]; i < box.max[0]; i++, n++) {
        const a = i * sp[0];
        phantom.sample(ox + d[0] * a + d[1] * b + d[2] * c, oy + d[3] * a + d[4] * b + d[5] * c, oz + d[6] * a + d[7] * b + d[8] * c, pt);
        labels[n] = pt.label;
        tissues[n] = pt.tissue;
        density[n] = pt.density;
      }
    }
  }
  return { labels, tissues, density };
}
