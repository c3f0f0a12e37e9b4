/**
 * Resampling a volume onto a new grid (a new spacing, or any target geometry), nearest-neighbour or
 * trilinear, through world coordinates, so differently oriented grids are handled exactly.
 * @module
 */
import { VolumeError } from "./errors.js";
import { createVolume, indexToWorld, worldToIndex, type Mat3, type Vec3, type Volume } from "./volume.js";

/** Interpolation of {@link resampleToGrid}. */
export type Interpolation = "nearest" | "linear";

/** The geometry of a target grid. */
export interface GridGeometry {
  dims: Vec3;
  spacing: Vec3;
  origin: Vec3;
  direction: Mat3;
}

/** Options of the resamplers. */
export interface ResampleOptions {
  /** Default "linear" (trilinear). Use "nearest" for label maps and masks. */
  interpolation?: Interpolation;
  /** Value of target voxels that fall outside the source. Default 0. */
  fill?: number;
}

/**
 * The grid with spacing `spacing` that covers the same physical extent as `v` (same origin corner of
 * the first voxel's outer face, same direction): `dims = round(dims * oldSpacing / newSpacing)`.
 */
export function gridWithSpacing(v: GridGeometry, spacing: Vec3): GridGeometry {
  if (spacing.some((s) => !(s > 0))) throw new VolumeError(`resample spacing must be positive, got [${spacing.join(", ")}]`);
  const dims = [0, 1, 2].map((c) => Math.max(1, Math.round((v.dims[c] * v.spacing[c]) / spacing[c]))) as Vec3;
  // Keep the outer face of the first voxel where it was: shift the first centre by (new - old) / 2.
  const shiftIdx = [0, 1, 2].map((c) => (spacing[c] - v.spacing[c]) / 2 / v.spacing[c]) as Vec3;
  const origin = indexToWorld(v, shiftIdx);
  return { dims, spacing: [...spacing] as Vec3, origin, direction: [...v.direction] as Mat3 };
}

/**
 * Resample to a new voxel spacing over the same extent.
 * @example
 * ```ts
 * const iso = resampleToSpacing(ct, [1, 1, 1]); // trilinear, 1 mm isotropic
 * const labels1mm = resampleToSpacing(seg, [1, 1, 1], { interpolation: "nearest" });
 * ```
 */
export function resampleToSpacing(v: Volume, spacing: Vec3, opts: ResampleOptions = {}): Volume<Float32Array> {
  return resampleToGrid(v, gridWithSpacing(v, spacing), opts);
}

/**
 * Resample `v` onto an arbitrary target grid through world coordinates. The result is Float32.
 * Nearest rounds to the closest source voxel; linear blends the 8 neighbours (a target point within
 * half a voxel outside the source is clamped to the edge; farther ones get `fill`).
 */
export function resampleToGrid(v: Volume, grid: GridGeometry, opts: ResampleOptions = {}): Volume<Float32Array> {
  const interp = opts.interpolation ?? "linear";
  const fill = opts.fill ?? 0;
  const [sx, sy, sz] = v.dims;
  const src = v.data;
  const out = new Float32Array(grid.dims[0] * grid.dims[1] * grid.dims[2]);
  // Index mapping target ijk -> source continuous ijk is affine: p = p0 + i*ei + j*ej + k*ek.
  const p0 = worldToIndex(v, indexToWorld(grid, [0, 0, 0]));
  const step = (a: Vec3): Vec3 => {
    const w = indexToWorld(grid, a);
    const q = worldToIndex(v, w);
    return [q[0] - p0[0], q[1] - p0[1], q[2] - p0[2]];
  };
  const ei = step([1, 0, 0]), ej = step([0, 1, 0]), ek = step([0, 0, 1]);
  const [nx, ny, nz] = grid.dims;
  const sxy = sx * sy;
  let o = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      let x = p0[0] + j * ej[0] + k * ek[0];
      let y = p0[1] + j * ej[1] + k * ek[1];
      let z = p0[2] + j * ej[2] + k * ek[2];
      for (let i = 0; i < nx; i++, o++, x += ei[0], y += ei[1], z += ei[2]) {
        if (x < -0.5 || y < -0.5 || z < -0.5 || x > sx - 0.5 || y > sy - 0.5 || z > sz - 0.5) {
          out[o] = fill;
          continue;
        }
        if (interp === "nearest") {
          const a = Math.min(sx - 1, Math.max(0, Math.round(x)));
          const b = Math.min(sy - 1, Math.max(0, Math.round(y)));
          const c = Math.min(sz - 1, Math.max(0, Math.round(z)));
          out[o] = src[a + sx * b + sxy * c];
          continue;
        }
        out[o] = trilinearAt(src, sx, sy, sz, x, y, z);
      }
    }
  }
  return createVolume({ ...grid, data: out });
}

/**
 * Trilinear interpolation of `data` (dims sx, sy, sz, i fastest) at continuous index (x, y, z),
 * clamped to the grid; axes of length 1 are treated as constant.
 */
export function trilinearAt(data: ArrayLike<number>, sx: number, sy: number, sz: number, x: number, y: number, z: number): number {
  const cx = Math.min(sx - 1, Math.max(0, x)), cy = Math.min(sy - 1, Math.max(0, y)), cz = Math.min(sz - 1, Math.max(0, z));
  const x0 = Math.max(0, Math.min(sx - 2, Math.floor(cx)));
  const y0 = Math.max(0, Math.min(sy - 2, Math.floor(cy)));
  const z0 = Math.max(0, Math.min(sz - 2, Math.floor(cz)));
  const fx = sx > 1 ? cx - x0 : 0, fy = sy > 1 ? cy - y0 : 0, fz = sz > 1 ? cz - z0 : 0;
  const dx = sx > 1 ? 1 : 0, dy = sy > 1 ? sx : 0, dz = sz > 1 ? sx * sy : 0;
  const b = x0 + sx * y0 + sx * sy * z0;
  const c00 = data[b] * (1 - fx) + data[b + dx] * fx;
  const c10 = data[b + dy] * (1 - fx) + data[b + dy + dx] * fx;
  const c01 = data[b + dz] * (1 - fx) + data[b + dz + dx] * fx;
  const c11 = data[b + dz + dy] * (1 - fx) + data[b + dz + dy + dx] * fx;
  return (c00 * (1 - fy) + c10 * fy) * (1 - fz) + (c01 * (1 - fy) + c11 * fy) * fz;
}
