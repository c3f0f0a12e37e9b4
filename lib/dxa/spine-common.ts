/**
 * Small shared pieces of the spine densitometry modules (`dxa/spine*`): the error class, grid checks
 * and voxel geometry in world LPS millimetres.
 * @module
 */
import { BctError } from "../errors.js";
import type { Mask } from "../segmentation/mask.js";
import type { GridGeometry } from "../volume/resample.js";
import { createVolume, sameGrid, type Vec3, type Volume } from "../volume/volume.js";

/** A spine densitometry that cannot be made (no level, masks off the density grid, ...). */
export class SpineDxaError extends BctError {
  override name = "SpineDxaError";
}

/** Throw a {@link SpineDxaError} unless `m` lies on the density's grid. */
export function checkGrid(name: string, m: Volume, density: Volume): void {
  if (!sameGrid(m, density, 1e-3)) {
    throw new SpineDxaError(`${name} is not on the density grid (${m.dims.join("x")} vs ${density.dims.join("x")}): put it there first (vertebraeFromLabels, or labelMaskOnGrid)`);
  }
}

/** A volume as a 0/1 Uint8 mask on the same grid. */
export function asMask(v: Volume): Mask {
  if (v.data instanceof Uint8Array) return v as Mask;
  return createVolume({ dims: v.dims, spacing: v.spacing, origin: v.origin, direction: v.direction, data: Uint8Array.from(v.data as ArrayLike<number>, (x) => (x ? 1 : 0)) });
}

export const dot3 = (a: ArrayLike<number>, b: ArrayLike<number>) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
export const unit3 = (a: Vec3): Vec3 => {
  const n = Math.hypot(a[0], a[1], a[2]);
  return [a[0] / n, a[1] / n, a[2] / n];
};

/** Half the extent of a voxel along unit direction n (mm). */
export function halfVoxelAlong(v: GridGeometry, n: ArrayLike<number>): number {
  let e = 0;
  for (let a = 0; a < 3; a++) e += Math.abs(v.direction[a] * n[0] + v.direction[3 + a] * n[1] + v.direction[6 + a] * n[2]) * v.spacing[a];
  return 0.5 * e;
}

/** World position (LPS mm) of voxel (i, j, k)'s centre. */
export function voxelWorld(v: GridGeometry, i: number, j: number, k: number): Vec3 {
  const s = v.spacing, d = v.direction, o = v.origin;
  const a = i * s[0], b = j * s[1], c = k * s[2];
  return [o[0] + d[0] * a + d[1] * b + d[2] * c, o[1] + d[3] * a + d[4] * b + d[5] * c, o[2] + d[6] * a + d[7] * b + d[8] * c];
}

/** Median of a list (copied, sorted); NaN when empty. */
export function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : 0.5 * (s[m - 1] + s[m]);
}

export const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;
