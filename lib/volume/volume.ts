/**
 * The `Volume`: a 3D image with its full geometry, in DICOM patient coordinates (LPS, mm).
 *
 * Voxel (i, j, k) is stored at flat index `i + nx * (j + ny * k)` (i fastest). Its centre lies at
 * world position `origin + D * diag(spacing) * [i, j, k]`, where `D` is the 3x3 direction matrix
 * whose columns are the unit vectors of the i, j and k axes in LPS. `direction` stores `D` row-major
 * (`[D00, D01, D02, D10, ...]`), the same convention as ITK / SimpleITK `GetDirection()`.
 *
 * A volume is plain data: it can be serialised, copied and displayed without methods.
 *
 * @example
 * ```ts
 * import { createVolume, indexToWorld } from "bct/lib/volume/volume";
 * const v = createVolume({ dims: [4, 4, 2], spacing: [0.5, 0.5, 2] });
 * indexToWorld(v, [1, 0, 1]); // -> [0.5, 0, 2]
 * ```
 * @module
 */
import { VolumeError } from "./errors.js";

/** Typed arrays a volume may hold. */
export type VoxelArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array;

/** A 3-vector. */
export type Vec3 = [number, number, number];
/** A 3x3 matrix, row-major. */
export type Mat3 = [number, number, number, number, number, number, number, number, number];

/** A 3D image with full geometry (LPS world, mm). */
export interface Volume<T extends VoxelArray = VoxelArray> {
  /** Voxel values, i fastest: `data[i + nx * (j + ny * k)]`. */
  data: T;
  /** Number of voxels along i, j, k. */
  dims: Vec3;
  /** Voxel size along i, j, k (mm, all > 0). */
  spacing: Vec3;
  /** World (LPS, mm) position of the centre of voxel (0, 0, 0). */
  origin: Vec3;
  /** Direction cosines, 3x3 row-major; column c is the unit vector of axis c (i, j or k) in LPS. */
  direction: Mat3;
}

/** The identity direction. */
export const IDENTITY_DIRECTION: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

/** Options of {@link createVolume}. */
export interface CreateVolumeOptions<T extends VoxelArray> {
  dims: Vec3;
  /** Default [1, 1, 1] mm. */
  spacing?: Vec3;
  /** Default [0, 0, 0]. */
  origin?: Vec3;
  /** Default identity. */
  direction?: Mat3;
  /** Voxel data; default a zero-filled Float32Array. Its length must equal the voxel count. */
  data?: T;
}

/**
 * Build a volume and check its geometry: positive integer dims, positive spacing, data length equal
 * to the voxel count, and an orthonormal direction matrix.
 * @throws VolumeError when any of these fails.
 */
export function createVolume<T extends VoxelArray = Float32Array>(opts: CreateVolumeOptions<T>): Volume<T> {
  const dims = [...opts.dims] as Vec3;
  const spacing = [...(opts.spacing ?? [1, 1, 1])] as Vec3;
  const origin = [...(opts.origin ?? [0, 0, 0])] as Vec3;
  const direction = [...(opts.direction ?? IDENTITY_DIRECTION)] as Mat3;
  const n = dims[0] * dims[1] * dims[2];
  const data = (opts.data ?? new Float32Array(n)) as T;
  const v: Volume<T> = { data, dims, spacing, origin, direction };
  validateVolume(v);
  return v;
}

/**
 * Check a volume's geometry.
 * @throws VolumeError naming the first inconsistency found.
 */
export function validateVolume(v: Volume): void {
  const { dims, spacing, origin, direction, data } = v;
  if (dims.length !== 3 || dims.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new VolumeError(`volume dims must be three positive integers, got [${dims.join(", ")}]`);
  }
  if (spacing.length !== 3 || spacing.some((s) => !(s > 0) || !Number.isFinite(s))) {
    throw new VolumeError(`volume spacing must be three positive numbers (mm), got [${spacing.join(", ")}]`);
  }
  if (origin.length !== 3 || origin.some((o) => !Number.isFinite(o))) {
    throw new VolumeError(`volume origin must be three finite numbers (mm), got [${origin.join(", ")}]`);
  }
  if (direction.length !== 9 || !isOrthonormal(direction, 1e-3)) {
    throw new VolumeError(`volume direction must be an orthonormal 3x3 matrix, got [${direction.join(", ")}]`);
  }
  const n = dims[0] * dims[1] * dims[2];
  if (data.length !== n) {
    throw new VolumeError(`volume data has ${data.length} values but dims ${dims.join("x")} need ${n}`);
  }
}

/** True when the columns of `m` are unit length and mutually orthogonal within `tol`. */
export function isOrthonormal(m: ArrayLike<number>, tol = 1e-4): boolean {
  for (let a = 0; a < 3; a++) {
    for (let b = a; b < 3; b++) {
      const dot = m[a] * m[b] + m[3 + a] * m[3 + b] + m[6 + a] * m[6 + b];
      if (Math.abs(dot - (a === b ? 1 : 0)) > tol) return false;
    }
  }
  return true;
}

/** Number of voxels. */
export function voxelCount(v: Pick<Volume, "dims">): number {
  return v.dims[0] * v.dims[1] * v.dims[2];
}

/** Flat index of voxel (i, j, k). */
export function flatIndex(v: Pick<Volume, "dims">, i: number, j: number, k: number): number {
  return i + v.dims[0] * (j + v.dims[1] * k);
}

/** Voxel volume (mm^3). */
export function voxelVolume(v: Pick<Volume, "spacing">): number {
  return v.spacing[0] * v.spacing[1] * v.spacing[2];
}

/**
 * The 4x4 index->world affine (row-major, 16 numbers): `world = A * [i, j, k, 1]`.
 */
export function indexToWorldMatrix(v: Pick<Volume, "spacing" | "origin" | "direction">): number[] {
  const { spacing: s, origin: o, direction: d } = v;
  return [
    d[0] * s[0], d[1] * s[1], d[2] * s[2], o[0],
    d[3] * s[0], d[4] * s[1], d[5] * s[2], o[1],
    d[6] * s[0], d[7] * s[1], d[8] * s[2], o[2],
    0, 0, 0, 1,
  ];
}

/** World (LPS, mm) position of a continuous index (i, j, k). */
export function indexToWorld(v: Pick<Volume, "spacing" | "origin" | "direction">, ijk: ArrayLike<number>): Vec3 {
  const { spacing: s, origin: o, direction: d } = v;
  const a = ijk[0] * s[0], b = ijk[1] * s[1], c = ijk[2] * s[2];
  return [
    o[0] + d[0] * a + d[1] * b + d[2] * c,
    o[1] + d[3] * a + d[4] * b + d[5] * c,
    o[2] + d[6] * a + d[7] * b + d[8] * c,
  ];
}

/** Continuous index (i, j, k) of a world (LPS, mm) position. Direction is orthonormal, so D^-1 = D^T. */
export function worldToIndex(v: Pick<Volume, "spacing" | "origin" | "direction">, xyz: ArrayLike<number>): Vec3 {
  const { spacing: s, origin: o, direction: d } = v;
  const x = xyz[0] - o[0], y = xyz[1] - o[1], z = xyz[2] - o[2];
  return [
    (d[0] * x + d[3] * y + d[6] * z) / s[0],
    (d[1] * x + d[4] * y + d[7] * z) / s[1],
    (d[2] * x + d[5] * y + d[8] * z) / s[2],
  ];
}

/** Axis-aligned bounding box of the voxel centres in world space: [min, max]. */
export function worldBounds(v: Volume): [Vec3, Vec3] {
  const lo: Vec3 = [Infinity, Infinity, Infinity];
  const hi: Vec3 = [-Infinity, -Infinity, -Infinity];
  const [nx, ny, nz] = v.dims;
  for (const i of [0, nx - 1]) for (const j of [0, ny - 1]) for (const k of [0, nz - 1]) {
    const p = indexToWorld(v, [i, j, k]);
    for (let c = 0; c < 3; c++) {
      lo[c] = Math.min(lo[c], p[c]);
      hi[c] = Math.max(hi[c], p[c]);
    }
  }
  return [lo, hi];
}

/** True when two volumes share dims, spacing, origin and direction within `tol` (mm / cosine). */
export function sameGrid(a: Volume, b: Volume, tol = 1e-4): boolean {
  for (let c = 0; c < 3; c++) {
    if (a.dims[c] !== b.dims[c]) return false;
    if (Math.abs(a.spacing[c] - b.spacing[c]) > tol) return false;
    if (Math.abs(a.origin[c] - b.origin[c]) > tol) return false;
  }
  for (let c = 0; c < 9; c++) if (Math.abs(a.direction[c] - b.direction[c]) > tol) return false;
  return true;
}

/** A new volume on the same grid with new data (length must match). */
export function withData<T extends VoxelArray>(v: Volume, data: T): Volume<T> {
  return createVolume({ dims: v.dims, spacing: v.spacing, origin: v.origin, direction: v.direction, data });
}

/** Constructor of a typed array, for allocating one of the same type. */
export type VoxelArrayConstructor<T extends VoxelArray = VoxelArray> = { new (n: number): T };

/** Allocate an array of the same type as `like`. */
export function allocLike<T extends VoxelArray>(like: T, n: number): T {
  return new (like.constructor as VoxelArrayConstructor<T>)(n);
}
