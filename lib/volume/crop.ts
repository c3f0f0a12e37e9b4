/**
 * Crop a volume to an index box, keeping its world geometry.
 * @module
 */
import { VolumeError } from "./errors.js";
import { allocLike, createVolume, indexToWorld, type Vec3, type Volume, type VoxelArray } from "./volume.js";

/** An index box: inclusive `min`, exclusive `max`, per axis i, j, k. */
export interface IndexBox {
  min: Vec3;
  max: Vec3;
}

/**
 * Copy the voxels of `box` into a new volume whose origin is the world position of `box.min`, so
 * every voxel keeps its world position.
 * @example
 * ```ts
 * const sub = cropVolume(ct, { min: [10, 10, 0], max: [60, 60, ct.dims[2]] });
 * ```
 * @throws VolumeError when the box is empty or leaves the volume.
 */
export function cropVolume<T extends VoxelArray>(v: Volume<T>, box: IndexBox): Volume<T> {
  const [nx, ny] = v.dims;
  for (let c = 0; c < 3; c++) {
    const lo = box.min[c], hi = box.max[c];
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi > v.dims[c] || hi <= lo) {
      throw new VolumeError(
        `crop box [${box.min.join(", ")}]..[${box.max.join(", ")}) is empty or outside the volume ${v.dims.join("x")}`,
      );
    }
  }
  const dims: Vec3 = [box.max[0] - box.min[0], box.max[1] - box.min[1], box.max[2] - box.min[2]];
  const out = allocLike(v.data, dims[0] * dims[1] * dims[2]);
  let o = 0;
  for (let k = box.min[2]; k < box.max[2]; k++) {
    for (let j = box.min[1]; j < box.max[1]; j++) {
      const start = box.min[0] + nx * (j + ny * k);
      out.set(v.data.subarray(start, start + dims[0]) as never, o);
      o += dims[0];
    }
  }
  return createVolume({
    dims,
    spacing: v.spacing,
    origin: indexToWorld(v, box.min),
    direction: v.direction,
    data: out,
  });
}

/**
 * The tightest index box holding every voxel where `predicate(value)` is true, grown by `margin`
 * voxels and clipped to the volume; `null` when no voxel matches.
 */
export function boundingBox(v: Volume, predicate: (value: number) => boolean, margin = 0): IndexBox | null {
  const [nx, ny, nz] = v.dims;
  const min: Vec3 = [nx, ny, nz];
  const max: Vec3 = [-1, -1, -1];
  const d = v.data;
  for (let k = 0, p = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, p++) {
        if (!predicate(d[p])) continue;
        if (i < min[0]) min[0] = i;
        if (i > max[0]) max[0] = i;
        if (j < min[1]) min[1] = j;
        if (j > max[1]) max[1] = j;
        if (k < min[2]) min[2] = k;
        if (k > max[2]) max[2] = k;
      }
    }
  }
  if (max[0] < 0) return null;
  return {
    min: [0, 1, 2].map((c) => Math.max(0, min[c] - margin)) as Vec3,
    max: [0, 1, 2].map((c) => Math.min(v.dims[c], max[c] + 1 + margin)) as Vec3,
  };
}
