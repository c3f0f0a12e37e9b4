/**
 * The voxel model: a regular grid of identical axis-aligned brick elements (C3D8), one Young's
 * modulus per element, one Poisson ratio. Only active elements and the nodes they use are stored;
 * nodes are numbered 0..nodeCount-1 in grid order (x fastest, then y, then z), so memory grows with
 * the bone, not with its bounding box.
 *
 * Grid conventions (the same as make_voxel_model.py): voxel (i,j,k) has index i + nx*(j + ny*k);
 * grid node (i,j,k) has index i + (nx+1)*(j + (ny+1)*k) and lies at origin + (i,j,k)*spacing;
 * element nodes in C3D8 order (i,j,k),(i+1,j,k),(i+1,j+1,k),(i,j+1,k), then the same at k+1.
 * @module
 */
import { ModelError } from "./errors.js";

export type Vec3 = [number, number, number];

/** A voxel FE model (plain data; build it with {@link createVoxelModel}). */
export interface VoxelModel {
  readonly kind: "voxel";
  /** Elements along x, y, z. */
  readonly dims: Vec3;
  /** Element edge lengths (mm). */
  readonly spacing: Vec3;
  /** Position of grid node (0,0,0) (mm). */
  readonly origin: Vec3;
  readonly poisson: number;
  /** Voxel index of each element, strictly ascending. */
  readonly voxels: Int32Array;
  /** Young's modulus of each element (MPa). */
  readonly modulus: Float64Array;
  /** Grid node index of each active node, strictly ascending. */
  readonly nodeGrid: Int32Array;
  /** Element connectivity, 8 compact node numbers per element, C3D8 order. */
  readonly conn: Int32Array;
}

/** Inputs of {@link createVoxelModel}. */
export interface VoxelModelInput {
  dims: Vec3;
  spacing: Vec3;
  origin?: Vec3;
  /** Active voxels: either their voxel indices or a mask over the whole grid (non-zero = element). */
  voxels?: ArrayLike<number>;
  mask?: ArrayLike<number>;
  /** One modulus for all elements or one per active element (MPa, > 0). */
  modulus: number | ArrayLike<number>;
  poisson?: number;
}

/**
 * Build a voxel model. Elements are sorted by voxel index (moduli follow them).
 * @example
 * // a 2 x 2 x 10 bar of 1 mm voxels, E = 1000 MPa
 * const m = createVoxelModel({ dims: [2, 2, 10], spacing: [1, 1, 1], mask: new Uint8Array(40).fill(1), modulus: 1000 });
 * m.nodeGrid.length; // 99 nodes
 */
export function createVoxelModel(input: VoxelModelInput): VoxelModel {
  const [nx, ny, nz] = input.dims;
  if (![nx, ny, nz].every((d) => Number.isInteger(d) && d >= 1)) throw new ModelError(`invalid voxel grid dims ${input.dims}`);
  if (!input.spacing.every((h) => h > 0)) throw new ModelError(`invalid voxel spacing ${input.spacing}: need > 0`);
  const gridNodes = (nx + 1) * (ny + 1) * (nz + 1);
  if (gridNodes >= 2 ** 31) throw new ModelError(`voxel grid ${nx}x${ny}x${nz} is too large (over 2^31 nodes)`);
  let list: number[] | Int32Array;
  if (input.voxels) list = Int32Array.from(input.voxels);
  else if (input.mask) {
    if (input.mask.length !== nx * ny * nz) throw new ModelError(`mask has ${input.mask.length} values, grid has ${nx * ny * nz}`);
    const v: number[] = [];
    for (let i = 0; i < input.mask.length; i++) if (input.mask[i]) v.push(i);
    list = v;
  } else throw new ModelError("createVoxelModel needs `voxels` or `mask`");
  const ne = list.length;
  if (ne === 0) throw new ModelError("voxel model has no elements");
  const E = new Float64Array(ne);
  if (typeof input.modulus === "number") E.fill(input.modulus);
  else {
    if (input.modulus.length !== ne) throw new ModelError(`${input.modulus.length} moduli for ${ne} elements`);
    E.set(input.modulus);
  }
  const order = Array.from({ length: ne }, (_, e) => e);
  let sorted = true;
  for (let e = 1; e < ne; e++) if (list[e] <= list[e - 1]) { sorted = false; break; }
  if (!sorted) order.sort((a, b) => list[a] - list[b]);
  const voxels = new Int32Array(ne), modulus = new Float64Array(ne);
  for (let e = 0; e < ne; e++) {
    const v = list[order[e]];
    if (!(v >= 0 && v < nx * ny * nz)) throw new ModelError(`voxel index ${v} outside the ${nx}x${ny}x${nz} grid`);
    if (e > 0 && v === voxels[e - 1]) throw new ModelError(`voxel ${v} appears twice`);
    voxels[e] = v;
    const Ee = E[order[e]];
    if (!(Ee > 0)) throw new ModelError(`element at voxel ${v} has modulus ${Ee}: need > 0 MPa (drop void voxels instead)`);
    modulus[e] = Ee;
  }
  const poisson = input.poisson ?? 0.3;
  if (!(poisson > -1 && poisson < 0.5)) throw new ModelError(`invalid Poisson ratio ${poisson}`);
  const { nodeGrid, conn } = numberNodes(input.dims, voxels);
  return { kind: "voxel", dims: [nx, ny, nz], spacing: [...input.spacing], origin: input.origin ? [...input.origin] : [0, 0, 0], poisson, voxels, modulus, nodeGrid, conn };
}

/** Offsets (grid node index) of the 8 element nodes from the element's first node. */
export function elementNodeOffsets(dims: Vec3): number[] {
  const sx = 1, sy = dims[0] + 1, sz = (dims[0] + 1) * (dims[1] + 1);
  return [0, sx, sx + sy, sy, sz, sz + sx, sz + sx + sy, sz + sy];
}

/** Grid node index of the first node of voxel v. */
export function voxelBaseNode(dims: Vec3, v: number): number {
  const nx = dims[0], ny = dims[1];
  const i = v % nx, j = Math.floor(v / nx) % ny, k = Math.floor(v / (nx * ny));
  return i + (nx + 1) * (j + (ny + 1) * k);
}

/** Compact node numbering over the active nodes, and the connectivity. */
export function numberNodes(dims: Vec3, voxels: Int32Array): { nodeGrid: Int32Array; conn: Int32Array } {
  const gridNodes = (dims[0] + 1) * (dims[1] + 1) * (dims[2] + 1);
  const id = new Int32Array(gridNodes);
  const off = elementNodeOffsets(dims);
  const ne = voxels.length;
  for (let e = 0; e < ne; e++) {
    const b = voxelBaseNode(dims, voxels[e]);
    for (let a = 0; a < 8; a++) id[b + off[a]] = 1;
  }
  let nn = 0;
  for (let g = 0; g < gridNodes; g++) if (id[g]) id[g] = ++nn;
  const nodeGrid = new Int32Array(nn);
  for (let g = 0; g < gridNodes; g++) if (id[g]) nodeGrid[id[g] - 1] = g;
  const conn = new Int32Array(8 * ne);
  for (let e = 0; e < ne; e++) {
    const b = voxelBaseNode(dims, voxels[e]);
    for (let a = 0; a < 8; a++) conn[8 * e + a] = id[b + off[a]] - 1;
  }
  return { nodeGrid, conn };
}

/** Number of nodes of a voxel model. */
export function voxelNodeCount(m: VoxelModel): number {
  return m.nodeGrid.length;
}

/** Grid indices (i, j, k) of a node. */
export function voxelNodeIJK(m: VoxelModel, node: number): Vec3 {
  const g = m.nodeGrid[node], sx = m.dims[0] + 1, sy = m.dims[1] + 1;
  return [g % sx, Math.floor(g / sx) % sy, Math.floor(g / (sx * sy))];
}

/** Position (mm) of a node. */
export function voxelNodePosition(m: VoxelModel, node: number): Vec3 {
  const [i, j, k] = voxelNodeIJK(m, node);
  return [m.origin[0] + i * m.spacing[0], m.origin[1] + j * m.spacing[1], m.origin[2] + k * m.spacing[2]];
}

/** Compact node number of grid node (i,j,k), or -1 if no active element uses it. */
export function voxelNodeAt(m: VoxelModel, i: number, j: number, k: number): number {
  const g = i + (m.dims[0] + 1) * (j + (m.dims[1] + 1) * k);
  let lo = 0, hi = m.nodeGrid.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1, v = m.nodeGrid[mid];
    if (v === g) return mid;
    if (v < g) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * The nodes whose grid indices satisfy a predicate, e.g. the bottom face:
 * @example
 * const bottom = voxelNodesWhere(model, (i, j, k) => k === 0);
 */
export function voxelNodesWhere(m: VoxelModel, keep: (i: number, j: number, k: number) => boolean): Int32Array {
  const out: number[] = [];
  const sx = m.dims[0] + 1, sy = m.dims[1] + 1;
  for (let n = 0; n < m.nodeGrid.length; n++) {
    const g = m.nodeGrid[n];
    if (keep(g % sx, Math.floor(g / sx) % sy, Math.floor(g / (sx * sy)))) out.push(n);
  }
  return Int32Array.from(out);
}
