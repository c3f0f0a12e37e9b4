/**
 * Connected components of a binary mask (6-, 18- or 26-connectivity), largest-component selection,
 * and 3D hole filling.
 * @module
 */
import { createVolume, type Vec3 } from "../volume/volume.js";
import { SegmentationError, type Mask } from "./mask.js";

/** Neighbourhood: faces (6), faces+edges (18), faces+edges+corners (26). */
export type Connectivity = 6 | 18 | 26;

function offsets(conn: Connectivity): Vec3[] {
  const out: Vec3[] = [];
  for (let dk = -1; dk <= 1; dk++) for (let dj = -1; dj <= 1; dj++) for (let di = -1; di <= 1; di++) {
    const m = Math.abs(di) + Math.abs(dj) + Math.abs(dk);
    if (m === 0 || (conn === 6 && m > 1) || (conn === 18 && m > 2)) continue;
    out.push([di, dj, dk]);
  }
  return out;
}

/** Result of {@link connectedComponents}. */
export interface Components {
  /** Component id per voxel (1..count), 0 outside the mask. */
  labels: Int32Array;
  count: number;
  /** Voxel count of component c at index c - 1. */
  sizes: number[];
}

/**
 * Label the connected components of the set voxels (breadth-first flood fill, typed-array queue).
 * @example
 * ```ts
 * const { count, sizes } = connectedComponents(mask, 26);
 * ```
 */
export function connectedComponents(mask: Pick<Mask, "data" | "dims">, conn: Connectivity = 26): Components {
  const [nx, ny, nz] = mask.dims;
  const n = nx * ny * nz;
  const labels = new Int32Array(n);
  const queue = new Int32Array(n);
  const nb = offsets(conn);
  const sizes: number[] = [];
  const d = mask.data;
  let count = 0;
  // Neighbours as flat-index steps; the bounds are checked only for voxels on the grid's faces.
  const steps = nb.map(([di, dj, dk]) => di + nx * (dj + ny * dk));
  for (let seed = 0; seed < n; seed++) {
    if (!d[seed] || labels[seed]) continue;
    const id = ++count;
    let head = 0, tail = 0;
    queue[tail++] = seed;
    labels[seed] = id;
    while (head < tail) {
      const p = queue[head++];
      const i = p % nx, r = (p - i) / nx, j = r % ny, k = (r - j) / ny;
      const interior = i > 0 && j > 0 && k > 0 && i < nx - 1 && j < ny - 1 && k < nz - 1;
      for (let t = 0; t < steps.length; t++) {
        if (!interior) {
          const a = i + nb[t][0], b = j + nb[t][1], c = k + nb[t][2];
          if (a < 0 || b < 0 || c < 0 || a >= nx || b >= ny || c >= nz) continue;
        }
        const q = p + steps[t];
        if (d[q] && !labels[q]) {
          labels[q] = id;
          queue[tail++] = q;
        }
      }
    }
    sizes.push(tail);
  }
  return { labels, count, sizes };
}

/**
 * Keep only the largest connected component.
 * @throws SegmentationError when the mask is empty.
 */
export function largestComponent(mask: Mask, conn: Connectivity = 26): Mask {
  const { labels, sizes } = connectedComponents(mask, conn);
  if (sizes.length === 0) throw new SegmentationError("the mask is empty: no voxel to keep (is the threshold above every value?)");
  let best = 0;
  for (let c = 1; c < sizes.length; c++) if (sizes[c] > sizes[best]) best = c;
  const out = new Uint8Array(labels.length);
  for (let p = 0; p < labels.length; p++) out[p] = labels[p] === best + 1 ? 1 : 0;
  return createVolume({ dims: mask.dims, spacing: mask.spacing, origin: mask.origin, direction: mask.direction, data: out });
}

/** The six faces of a grid, named by axis and side. */
export type GridFace = "i-" | "i+" | "j-" | "j+" | "k-" | "k+";

/**
 * Fill enclosed cavities: every background voxel not 6-connected to the outside becomes set (the
 * background is taken with 6-connectivity, the complement of a 26-connected object). The outside is
 * flooded from the voxels on the volume's faces listed in `openFaces` (default all six), so a cavity
 * that only reaches a face not listed (a canal cut by the end of the scan) is filled too.
 */
export function fillHoles(mask: Mask, openFaces: readonly GridFace[] = ["i-", "i+", "j-", "j+", "k-", "k+"]): Mask {
  const [nx, ny, nz] = mask.dims;
  const n = nx * ny * nz;
  const outside = new Uint8Array(n);
  const queue = new Int32Array(n);
  let tail = 0;
  const d = mask.data;
  const push = (p: number) => {
    if (!d[p] && !outside[p]) {
      outside[p] = 1;
      queue[tail++] = p;
    }
  };
  const open = new Set(openFaces);
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
    if (
      (i === 0 && open.has("i-")) || (i === nx - 1 && open.has("i+")) ||
      (j === 0 && open.has("j-")) || (j === ny - 1 && open.has("j+")) ||
      (k === 0 && open.has("k-")) || (k === nz - 1 && open.has("k+"))
    ) push(i + nx * (j + ny * k));
  }
  for (let head = 0; head < tail; head++) {
    const p = queue[head];
    const i = p % nx, j = Math.floor(p / nx) % ny, k = Math.floor(p / (nx * ny));
    if (i > 0) push(p - 1);
    if (i < nx - 1) push(p + 1);
    if (j > 0) push(p - nx);
    if (j < ny - 1) push(p + nx);
    if (k > 0) push(p - nx * ny);
    if (k < nz - 1) push(p + nx * ny);
  }
  const out = new Uint8Array(n);
  for (let p = 0; p < n; p++) out[p] = outside[p] ? 0 : 1;
  return createVolume({ dims: mask.dims, spacing: mask.spacing, origin: mask.origin, direction: mask.direction, data: out });
}
