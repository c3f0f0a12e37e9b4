/**
 * Binary masks: a `Volume<Uint8Array>` holding 0/1. Thresholding, label selection, counting.
 * @module
 */
import { BctError } from "../errors.js";
import { createVolume, type Volume } from "../volume/volume.js";

/** A binary mask on a grid: 1 inside, 0 outside. */
export type Mask = Volume<Uint8Array>;

/** A segmentation that cannot be made: empty mask, missing label, ... */
export class SegmentationError extends BctError {
  override name = "SegmentationError";
}

/**
 * Voxels with `lo <= value <= hi` (either bound may be omitted).
 * @example
 * ```ts
 * const bone = thresholdMask(density, { lo: 150 }); // >= 150 mg/cm3
 * ```
 */
export function thresholdMask(v: Volume, range: { lo?: number; hi?: number }): Mask {
  const lo = range.lo ?? -Infinity, hi = range.hi ?? Infinity;
  const out = new Uint8Array(v.data.length);
  const d = v.data;
  for (let p = 0; p < d.length; p++) out[p] = d[p] >= lo && d[p] <= hi ? 1 : 0;
  return createVolume({ dims: v.dims, spacing: v.spacing, origin: v.origin, direction: v.direction, data: out });
}

/**
 * The voxels of a label map equal to any of `labels`.
 * @throws SegmentationError when none of the labels occurs, listing the labels that do.
 */
export function labelMask(labels: Volume, wanted: number | number[]): Mask {
  const set = new Set(Array.isArray(wanted) ? wanted : [wanted]);
  const out = new Uint8Array(labels.data.length);
  const d = labels.data;
  let count = 0;
  for (let p = 0; p < d.length; p++) {
    if (set.has(d[p])) {
      out[p] = 1;
      count++;
    }
  }
  if (count === 0) {
    const present = [...new Set(d)].sort((a, b) => a - b).slice(0, 50);
    throw new SegmentationError(`label ${[...set].join(", ")} does not occur in the label map; labels present: ${present.join(", ")}`);
  }
  return createVolume({ dims: labels.dims, spacing: labels.spacing, origin: labels.origin, direction: labels.direction, data: out });
}

/** Number of voxels set. */
export function countMask(m: Pick<Mask, "data">): number {
  let c = 0;
  for (let p = 0; p < m.data.length; p++) c += m.data[p] ? 1 : 0;
  return c;
}

/** Dice similarity coefficient 2|A∩B| / (|A|+|B|) of two masks of equal size (1 when both are empty). */
export function dice(a: Pick<Mask, "data">, b: Pick<Mask, "data">): number {
  if (a.data.length !== b.data.length) throw new SegmentationError(`Dice needs masks on one grid (${a.data.length} vs ${b.data.length} voxels)`);
  let inter = 0, na = 0, nb = 0;
  for (let p = 0; p < a.data.length; p++) {
    const x = a.data[p] ? 1 : 0, y = b.data[p] ? 1 : 0;
    na += x;
    nb += y;
    inter += x & y;
  }
  return na + nb === 0 ? 1 : (2 * inter) / (na + nb);
}
