/**
 * The label-map path: take label N (or a set of labels) from a segmentation (e.g. TotalSegmentator)
 * and put it on the CT grid, resampling through the two affines (nearest neighbour) when the grids
 * differ.
 *
 * @example
 * ```ts
 * import { readLabelMask } from "bct/lib/segmentation/labels";
 * const { mask, resampled, warnings } = readLabelMask("example_seg_aligned.nii.gz", 31, ct); // L1
 * ```
 * @module
 */
import { readNifti } from "../io/nifti/index.js";
import { resampleToGrid, type GridGeometry } from "../volume/resample.js";
import { createVolume, sameGrid, voxelVolume, type Volume } from "../volume/volume.js";
import { SegmentationError, type Mask } from "./mask.js";

/** Labels present in a label map with their voxel counts (0 = background included), ascending. */
export function labelsPresent(labels: Pick<Volume, "data">): { label: number; voxels: number }[] {
  const counts = new Map<number, number>();
  const d = labels.data;
  for (let p = 0; p < d.length; p++) counts.set(d[p], (counts.get(d[p]) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => a[0] - b[0]).map(([label, voxels]) => ({ label, voxels }));
}

/** Options of {@link labelMaskOnGrid}. */
export interface LabelMaskOptions {
  /** Names of label numbers, used in error messages (e.g. from TotalSegmentator's class map). */
  names?: Record<number, string>;
  /** Grid comparison tolerance (mm / cosine). Default 1e-3. */
  tolerance?: number;
}

/** Result of {@link labelMaskOnGrid}. */
export interface LabelMaskResult {
  mask: Mask;
  labels: number[];
  voxels: number;
  volumeMm3: number;
  /** True when the label map was resampled onto the target grid. */
  resampled: boolean;
  warnings: string[];
}

/**
 * The voxels of `labels` equal to any of `wanted`, on `grid` (default: the label map's own grid).
 * When the grids differ the label map is resampled onto `grid` through world coordinates by
 * nearest neighbour (labels are never interpolated), and a warning says so.
 * @throws SegmentationError when a wanted label does not occur in the label map (the message lists
 *   the labels present, with names when given), or when it vanishes on the target grid (outside its
 *   field of view or thinner than a target voxel).
 */
export function labelMaskOnGrid(labels: Volume, wanted: number | number[], grid?: GridGeometry, opts: LabelMaskOptions = {}): LabelMaskResult {
  const want = Array.isArray(wanted) ? wanted : [wanted];
  if (want.length === 0) throw new SegmentationError("no label asked for");
  const present = labelsPresent(labels);
  const presentSet = new Set(present.map((p) => p.label));
  const name = (l: number) => (opts.names?.[l] ? `${l} (${opts.names[l]})` : `${l}`);
  const missing = want.filter((l) => !presentSet.has(l));
  if (missing.length) {
    const list = present.filter((p) => p.label !== 0).map((p) => name(p.label));
    throw new SegmentationError(
      `label ${missing.map(name).join(", ")} does not exist in the label map; labels present: ${list.length ? list.join(", ") : "none (the map is all background)"}`,
    );
  }
  const warnings: string[] = [];
  let src: Volume = labels;
  let resampled = false;
  const target = grid ?? labels;
  if (!sameGridGeometry(labels, target, opts.tolerance ?? 1e-3)) {
    src = resampleToGrid(labels, target, { interpolation: "nearest", fill: 0 });
    resampled = true;
    warnings.push(
      `the label map (${labels.dims.join("x")}, ${labels.spacing.map((s) => s.toFixed(2)).join("x")} mm) is on a different grid from the target (${target.dims.join("x")}, ${target.spacing.map((s) => s.toFixed(2)).join("x")} mm): it was resampled onto the target grid through the affines (nearest neighbour)`,
    );
  }
  const set = new Set(want);
  const out = new Uint8Array(src.data.length);
  let voxels = 0;
  for (let p = 0; p < out.length; p++) if (set.has(src.data[p])) (out[p] = 1), voxels++;
  if (voxels === 0) {
    throw new SegmentationError(`label ${want.map(name).join(", ")} has no voxel on the target grid after resampling: the label map and the CT do not overlap there`);
  }
  const mask = createVolume({ dims: target.dims, spacing: target.spacing, origin: target.origin, direction: target.direction, data: out });
  return { mask, labels: want, voxels, volumeMm3: voxels * voxelVolume(mask), resampled, warnings };
}

function sameGridGeometry(a: GridGeometry, b: GridGeometry, tol: number): boolean {
  const va = { ...a, data: new Uint8Array(0) } as unknown as Volume;
  const vb = { ...b, data: new Uint8Array(0) } as unknown as Volume;
  return sameGrid(va, vb, tol);
}

/**
 * Read a NIfTI label map and take `wanted` onto `grid` ({@link labelMaskOnGrid}); the file's own
 * reader warnings are passed on.
 * @throws NiftiError for an unreadable file; SegmentationError as {@link labelMaskOnGrid}.
 */
export function readLabelMask(path: string, wanted: number | number[], grid?: GridGeometry, opts: LabelMaskOptions = {}): LabelMaskResult {
  const r = readNifti(path);
  const res = labelMaskOnGrid(r.volume, wanted, grid, opts);
  return { ...res, warnings: [...r.warnings, ...res.warnings] };
}
