/**
 * Summary statistics of a volume's values.
 * @module
 */
import type { Volume } from "./volume.js";

/** Summary statistics (NaN values are skipped and counted). */
export interface VolumeStats {
  count: number;
  min: number;
  max: number;
  mean: number;
  std: number;
  nanCount: number;
}

/**
 * Min, max, mean and standard deviation of the values, over all voxels or over those where
 * `mask[p]` is non-zero (the mask must have the same voxel count).
 * @example
 * ```ts
 * const { min, max, mean } = volumeStats(ct);
 * ```
 */
export function volumeStats(v: Pick<Volume, "data">, mask?: ArrayLike<number>): VolumeStats {
  const d = v.data;
  if (mask && mask.length !== d.length) {
    throw new RangeError(`mask has ${mask.length} voxels, volume has ${d.length}`);
  }
  let min = Infinity, max = -Infinity, sum = 0, count = 0, nanCount = 0;
  for (let p = 0; p < d.length; p++) {
    if (mask && !mask[p]) continue;
    const x = d[p];
    if (Number.isNaN(x)) {
      nanCount++;
      continue;
    }
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
    count++;
  }
  const mean = count ? sum / count : NaN;
  let ss = 0;
  for (let p = 0; p < d.length; p++) {
    if (mask && !mask[p]) continue;
    const x = d[p];
    if (!Number.isNaN(x)) ss += (x - mean) * (x - mean);
  }
  return { count, min: count ? min : NaN, max: count ? max : NaN, mean, std: count ? Math.sqrt(ss / count) : NaN, nanCount };
}
