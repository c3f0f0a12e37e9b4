/**
 * Voxel meshing: a bone mask and a calibrated density volume -> a grid of cubic elements of a chosen
 * size, with each element's bone volume fraction and bone density.
 *
 * Each element is sampled at `subsamples^3` regular points (trilinear density, nearest-neighbour mask,
 * through world coordinates, so the element grid may be coarser or finer than the CT grid). Its bone
 * fraction is the share of points inside the mask; its density is the mean calibrated density of the
 * points inside the mask (partial-volume weighting: soft tissue in a boundary element does not dilute
 * the bone's density, it only lowers the fraction). Elements with fraction >= `minFraction` become
 * active. Floating fragments are then removed: only the largest face-connected (6-connected) set of
 * elements is kept, because parts joined only at an edge or a corner are hinges, not a solid.
 *
 * @example
 * ```ts
 * import { voxelize } from "bct/lib/mesh/voxelize";
 * const grid = voxelize(densityVolume, femurMask, { elementSize: 1.5 });
 * console.log(grid.elements.length, "elements of", grid.elementSize, "mm");
 * ```
 * @module
 */
import { BctError } from "../errors.js";
import { boundingBox } from "../volume/crop.js";
import { trilinearAt } from "../volume/resample.js";
import { indexToWorld, sameGrid, type Mat3, type Vec3, type Volume } from "../volume/volume.js";
import { connectedComponents } from "../segmentation/components.js";

/** A mesh that cannot be made (empty mask, grids that differ, ...). */
export class MeshError extends BctError {
  override name = "MeshError";
}

/** A voxel element grid with per-element bone data. Plain data. */
export interface ElementGrid {
  /** Elements along i, j, k of the grid (the node grid is dims + 1). */
  dims: Vec3;
  /** Element edge lengths (mm). */
  elementSize: Vec3;
  /** World (LPS) position of node (0, 0, 0), the outer corner of element (0, 0, 0). */
  origin: Vec3;
  /** Axis directions, as the source CT's (row-major 3x3, columns are i, j, k). */
  direction: Mat3;
  /** Flat grid indices (i + nx (j + ny k)) of the active elements, ascending. */
  elements: Int32Array;
  /** Bone density of each active element (same measure as the input, e.g. mg/cm3 K2HPO4). */
  density: Float32Array;
  /** Bone volume fraction of each active element (0..1). */
  fraction: Float32Array;
  /** Active elements dropped because they were not face-connected to the main part. */
  removedFragments: number;
  removedElements: number;
  warnings: string[];
}

/** Options of {@link voxelize}. */
export interface VoxelizeOptions {
  /** Element edge length (mm). BCT uses about 1.5 mm for the hip and 1 mm for the spine (bct-reference.md §3). */
  elementSize: number;
  /** Sample points per element edge. Default 3 (27 points per element). */
  subsamples?: number;
  /** Minimum bone fraction of an active element. Default 0.5. */
  minFraction?: number;
  /** Keep every fragment instead of only the largest face-connected part. Default false. */
  keepFragments?: boolean;
}

/**
 * Build the element grid. The grid is aligned with the CT axes and covers the mask's bounding box.
 * @throws MeshError when the mask is empty, the grids differ, or no element reaches `minFraction`.
 */
export function voxelize(density: Volume, mask: Volume, opts: VoxelizeOptions): ElementGrid {
  if (!sameGrid(density, mask, 1e-3)) throw new MeshError("density and mask must be on the same grid (resample the mask first)");
  const h = opts.elementSize;
  if (!(h > 0)) throw new MeshError(`element size must be positive, got ${h}`);
  const s = Math.max(1, Math.round(opts.subsamples ?? 3));
  const minFraction = opts.minFraction ?? 0.5;
  const box = boundingBox(mask, (x) => x !== 0);
  if (!box) throw new MeshError("the bone mask is empty: nothing to mesh");
  const warnings: string[] = [];
  const [sx, sy, sz] = density.dims;
  for (let c = 0; c < 3; c++) {
    if (box.min[c] === 0 || box.max[c] === density.dims[c]) {
      warnings.push(`the bone touches the ${"ijk"[c]} border of the scan: the model is cut there`);
    }
  }
  // Physical extent of the mask box (outer voxel faces), in index units of the CT.
  const lo = [0, 1, 2].map((c) => box.min[c] - 0.5);
  const extent = [0, 1, 2].map((c) => (box.max[c] - box.min[c]) * density.spacing[c]);
  const dims = extent.map((e) => Math.max(1, Math.ceil(e / h - 1e-9))) as Vec3;
  const origin = indexToWorld(density, lo);
  const [nx, ny, nz] = dims;
  // Sample point (element e, sub-point a,b,c) in CT index space: affine in (i, j, k) since both grids share axes.
  const step = [0, 1, 2].map((c) => h / density.spacing[c]); // CT index units per element
  const fr = new Float32Array(nx * ny * nz);
  const dens = new Float32Array(nx * ny * nz);
  const d = density.data, m = mask.data;
  const sxy = sx * sy;
  const inv = 1 / (s * s * s);
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
    let inside = 0, sum = 0;
    for (let c = 0; c < s; c++) {
      const z = lo[2] + (k + (c + 0.5) / s) * step[2];
      if (z < -0.5 || z > sz - 0.5) continue;
      for (let b = 0; b < s; b++) {
        const y = lo[1] + (j + (b + 0.5) / s) * step[1];
        if (y < -0.5 || y > sy - 0.5) continue;
        for (let a = 0; a < s; a++) {
          const x = lo[0] + (i + (a + 0.5) / s) * step[0];
          if (x < -0.5 || x > sx - 0.5) continue;
          const ni = Math.min(sx - 1, Math.max(0, Math.round(x)));
          const nj = Math.min(sy - 1, Math.max(0, Math.round(y)));
          const nk = Math.min(sz - 1, Math.max(0, Math.round(z)));
          if (!m[ni + sx * nj + sxy * nk]) continue;
          inside++;
          sum += trilinearAt(d, sx, sy, sz, x, y, z);
        }
      }
    }
    const e = i + nx * (j + ny * k);
    fr[e] = inside * inv;
    dens[e] = inside ? sum / inside : 0;
  }
  const active = new Uint8Array(nx * ny * nz);
  let nActive = 0;
  for (let e = 0; e < active.length; e++) if (fr[e] >= minFraction) { active[e] = 1; nActive++; }
  if (nActive === 0) throw new MeshError(`no element of ${h} mm is at least ${minFraction * 100}% bone: the mask is too small for this element size`);
  let removedFragments = 0, removedElements = 0;
  if (!opts.keepFragments) {
    const cc = connectedComponents({ data: active, dims }, 6);
    if (cc.count > 1) {
      let best = 0;
      for (let c = 1; c < cc.count; c++) if (cc.sizes[c] > cc.sizes[best]) best = c;
      for (let e = 0; e < active.length; e++) if (active[e] && cc.labels[e] !== best + 1) active[e] = 0;
      removedFragments = cc.count - 1;
      removedElements = nActive - cc.sizes[best];
      nActive = cc.sizes[best];
      warnings.push(`removed ${removedFragments} floating fragment(s) of ${removedElements} element(s) not face-connected to the main bone`);
    }
  }
  const elements = new Int32Array(nActive);
  const density1 = new Float32Array(nActive), fraction = new Float32Array(nActive);
  for (let e = 0, q = 0; e < active.length; e++) {
    if (!active[e]) continue;
    elements[q] = e;
    density1[q] = dens[e];
    fraction[q] = fr[e];
    q++;
  }
  return { dims, elementSize: [h, h, h], origin, direction: [...density.direction] as Mat3, elements, density: density1, fraction, removedFragments, removedElements, warnings };
}

/** World (LPS) centre of grid element with flat index `e`. */
export function elementCentre(g: Pick<ElementGrid, "dims" | "elementSize" | "origin" | "direction">, e: number): Vec3 {
  const [nx, ny] = g.dims;
  const i = e % nx, j = Math.floor(e / nx) % ny, k = Math.floor(e / (nx * ny));
  const dir = g.direction, h = g.elementSize;
  const a = (i + 0.5) * h[0], b = (j + 0.5) * h[1], c = (k + 0.5) * h[2];
  return [
    g.origin[0] + dir[0] * a + dir[1] * b + dir[2] * c,
    g.origin[1] + dir[3] * a + dir[4] * b + dir[5] * c,
    g.origin[2] + dir[6] * a + dir[7] * b + dir[8] * c,
  ];
}
