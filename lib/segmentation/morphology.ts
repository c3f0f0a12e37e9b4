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

/** Balls of at most this many voxels are applied as a stencil (the same result as the distance transform, faster). */
const STENCIL_MAX_OFFSETS = 64;

/** The voxel offsets (di, dj, dk) of a ball of radius r mm, centre excluded; null when the ball is large. */
function ballOffsets(spacing: readonly number[], r: number): [number, number, number][] | null {
  const m = spacing.map((h) => Math.floor(r / h));
  if ((2 * m[0] + 1) * (2 * m[1] + 1) * (2 * m[2] + 1) > 8 * STENCIL_MAX_OFFSETS) return null;
  const out: [number, number, number][] = [];
  for (let c = -m[2]; c <= m[2]; c++) for (let b = -m[1]; b <= m[1]; b++) for (let a = -m[0]; a <= m[0]; a++) {
    if ((a || b || c) && (a * spacing[0]) ** 2 + (b * spacing[1]) ** 2 + (c * spacing[2]) ** 2 <= r * r + 1e-9) out.push([a, b, c]);
  }
  return out.length <= STENCIL_MAX_OFFSETS ? out : null;
}

/**
 * Erosion (`want` 0: a set voxel stays when no in-volume offset is clear) or dilation (`want` 1: a
 * clear voxel becomes set when an in-volume offset is set) by a small ball given as offsets.
 */
function byStencil(m: Mask, offs: [number, number, number][], want: 0 | 1): Mask {
  const [nx, ny, nz] = m.dims;
  const d = m.data;
  const out = new Uint8Array(d.length);
  const steps = offs.map(([a, b, c]) => a + nx * (b + ny * c));
  const reach = [0, 1, 2].map((c) => Math.max(0, ...offs.map((o) => Math.abs(o[c]))));
  for (let k = 0, p = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, p++) {
    const v = d[p] ? 1 : 0;
    out[p] = v;
    if (v === want) continue;
    const inner = i >= reach[0] && j >= reach[1] && k >= reach[2] && i < nx - reach[0] && j < ny - reach[1] && k < nz - reach[2];
    for (let t = 0; t < steps.length; t++) {
      if (!inner) {
        const a = i + offs[t][0], b = j + offs[t][1], c = k + offs[t][2];
        if (a < 0 || b < 0 || c < 0 || a >= nx || b >= ny || c >= nz) continue;
      }
      if ((d[p + steps[t]] ? 1 : 0) === want) {
        out[p] = want;
        break;
      }
    }
  }
  return createVolume({ dims: m.dims, spacing: m.spacing, origin: m.origin, direction: m.direction, data: out });
}

/** Dilation by a ball of radius `r` mm (voxel centres within r of a set voxel centre). */
export function dilate(m: Mask, r: number): Mask {
  const offs = ballOffsets(m.spacing, r);
  if (offs) return byStencil(m, offs, 1);
  return fromDistance(m, true, (d2) => d2 <= r * r + 1e-9);
}

/**
 * Erosion by a ball of radius `r` mm (voxels whose centre is farther than r from every background
 * voxel centre). Outside the volume counts as foreground, so a mask touching the border is not
 * eroded from the border; crop with a margin first if that matters.
 */
export function erode(m: Mask, r: number): Mask {
  const offs = ballOffsets(m.spacing, r);
  if (offs) return byStencil(m, offs, 0);
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
