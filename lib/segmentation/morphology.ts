/**
 * Binary morphology with a ball of radius r (mm), exact on anisotropic grids through the Euclidean
 * distance transform: dilate = within r of the mask; erode = farther than r from the background.
 * @module
 */
import { createVolume } from "../volume/volume.js";
import { squaredDistanceToSeeds } from "./distance.js";
import type { Mask } from "./mask.js";

function fromDistance(m: Mask, seedIsMask: boolean, keep: (d2: number) => boolean): Mask {
  const seed = new Uint8Array(m.data.length);
  for (let p = 0; p < seed.length; p++) seed[p] = (m.data[p] ? 1 : 0) === (seedIsMask ? 1 : 0) ? 1 : 0;
  const d2 = squaredDistanceToSeeds(seed, m.dims, m.spacing);
  const out = new Uint8Array(seed.length);
  for (let p = 0; p < out.length; p++) out[p] = keep(d2[p]) ? 1 : 0;
  return createVolume({ dims: m.dims, spacing: m.spacing, origin: m.origin, direction: m.direction, data: out });
}

/** Dilation by a ball of radius `r` mm (voxel centres within r of a set voxel centre). */
export function dilate(m: Mask, r: number): Mask {
  return fromDistance(m, true, (d2) => d2 <= r * r + 1e-9);
}

/**
 * Erosion by a ball of radius `r` mm (voxels whose centre is farther than r from every background
 * voxel centre). Outside the volume counts as foreground, so a mask touching the border is not
 * eroded from the border; crop with a margin first if that matters.
 */
export function erode(m: Mask, r: number): Mask {
  return fromDistance(m, false, (d2) => d2 > r * r + 1e-9);
}

/** Closing (dilate then erode): bridges gaps narrower than about 2r. */
export function close(m: Mask, r: number): Mask {
  return erode(dilate(m, r), r);
}

/** Opening (erode then dilate): removes parts thinner than about 2r. */
export function open(m: Mask, r: number): Mask {
  return dilate(erode(m, r), r);
}
