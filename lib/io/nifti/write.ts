/**
 * Write a `Volume` as a NIfTI-1 file (.nii, or .nii.gz when the path ends in .gz), with both sform
 * and qform set from its LPS geometry.
 * @module
 */
import { writeFileSync } from "node:fs";
import { validateVolume, type Volume, type VoxelArray } from "../../volume/volume.js";
import { datatypeByName, datatypeOfArray, type NiftiArrayType } from "./datatypes.js";
import { NiftiError } from "./errors.js";
import { gzip } from "./gzip.js";
import { encodeNifti1Header, NIFTI1_VOX_OFFSET } from "./header.js";
import { geometryToNifti } from "./orientation.js";

/** Datatypes the writer stores. */
export type NiftiWriteType = NiftiArrayType;

/** Options of {@link writeNifti} and {@link niftiBuffer}. */
export interface NiftiWriteOptions {
  /** Stored datatype; default the volume's own array type (Float32Array -> "float32", ...). */
  datatype?: NiftiWriteType;
  /** Header description (up to 79 ASCII characters; longer is cut). Default "bct". */
  description?: string;
  /**
   * scl_slope (default 1): the file stores `(value - sclInter) / sclSlope`, rounded for integer
   * datatypes, so a reader applying the scaling gets the volume's values back (within sclSlope / 2).
   */
  sclSlope?: number;
  /** scl_inter (default 0). */
  sclInter?: number;
  /** intent_name (up to 15 ASCII characters), e.g. "HU" or "density". */
  intent?: string;
}

const WRITE_TYPES: readonly NiftiWriteType[] = ["uint8", "int8", "int16", "uint16", "int32", "uint32", "float32", "float64"];

const RANGE: Record<string, [number, number]> = {
  uint8: [0, 255],
  int8: [-128, 127],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};

const CTORS = {
  uint8: Uint8Array,
  int8: Int8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function voxelName(v: Volume, p: number): string {
  const [nx, ny] = v.dims;
  return `(${p % nx}, ${Math.floor(p / nx) % ny}, ${Math.floor(p / (nx * ny))})`;
}

/** The stored values: `(value - inter) / slope`, rounded and range-checked for integer types. */
function storedValues(v: Volume, type: NiftiWriteType, slope: number, inter: number): VoxelArray {
  const src = v.data;
  const identity = slope === 1 && inter === 0;
  const out = new CTORS[type](src.length);
  const range = RANGE[type];
  if (!range) {
    for (let p = 0; p < src.length; p++) {
      const x = identity ? src[p] : (src[p] - inter) / slope;
      out[p] = x;
      if (!Number.isFinite(out[p]) && Number.isFinite(x)) {
        throw new NiftiError(`value ${src[p]} at voxel ${voxelName(v, p)} overflows ${type}: write float64 or set sclSlope`);
      }
    }
    return out;
  }
  if (identity && src instanceof CTORS[type]) {
    out.set(src);
    return out;
  }
  const [lo, hi] = range;
  const how = identity ? "" : ` (stored as (value - ${inter}) / ${slope})`;
  for (let p = 0; p < src.length; p++) {
    const x = identity ? src[p] : (src[p] - inter) / slope;
    const r = Math.round(x);
    if (!(r >= lo && r <= hi)) {
      if (Number.isNaN(x)) {
        throw new NiftiError(`value NaN at voxel ${voxelName(v, p)} cannot be stored as ${type}: write float32 or replace NaN first`);
      }
      throw new NiftiError(
        `value ${src[p]} at voxel ${voxelName(v, p)} does not fit ${type} [${lo}, ${hi}]${how}: write a wider datatype or set sclSlope/sclInter`,
      );
    }
    out[p] = r;
  }
  return out;
}

/**
 * Encode a volume as an uncompressed little-endian NIfTI-1 file (352-byte header, then the voxels,
 * i fastest). Both transforms are written with code 1 (scanner anatomical): the sform is the exact
 * LPS -> RAS affine (first two rows negated), the qform its quaternion with qfac for left-handed
 * grids; pixdim holds the spacing and xyzt_units says mm.
 * @throws NiftiError for an unknown datatype, bad scaling, or values that do not fit the datatype.
 * @example
 * ```ts
 * const bytes = niftiBuffer(labels, { datatype: "uint8", description: "femur mask" });
 * ```
 */
export function niftiBuffer(volume: Volume, opts: NiftiWriteOptions = {}): Uint8Array {
  validateVolume(volume);
  const type = opts.datatype ?? datatypeOfArray(volume.data);
  if (!WRITE_TYPES.includes(type)) {
    throw new NiftiError(`cannot write NIfTI datatype "${type}": choose one of ${WRITE_TYPES.join(", ")}`);
  }
  const dt = datatypeByName(type)!;
  const slope = opts.sclSlope ?? 1;
  const inter = opts.sclInter ?? 0;
  if (!Number.isFinite(slope) || slope === 0) {
    throw new NiftiError(`sclSlope must be a finite non-zero number, got ${slope}`);
  }
  if (!Number.isFinite(inter)) throw new NiftiError(`sclInter must be a finite number, got ${inter}`);
  if ([...volume.dims].some((d) => d > 32767)) {
    throw new NiftiError(`dims ${volume.dims.join("x")} exceed the NIfTI-1 limit of 32767 voxels per axis`);
  }

  const t = geometryToNifti(volume);
  const header = encodeNifti1Header({
    dim: [3, ...volume.dims, 1, 1, 1, 1],
    datatype: dt.code,
    bitpix: dt.bitpix,
    pixdim: [t.qfac, ...volume.spacing, 1, 1, 1, 1],
    sclSlope: slope,
    sclInter: inter,
    xyztUnits: 2, // mm
    description: opts.description ?? "bct",
    intentName: opts.intent ?? "",
    qformCode: 1,
    sformCode: 1,
    quatern: t.quatern,
    qoffset: t.qoffset,
    srow: t.srow,
  });
  const values = storedValues(volume, type, slope, inter);
  const data = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(NIFTI1_VOX_OFFSET + data.length);
  out.set(header, 0);
  out.set(data, NIFTI1_VOX_OFFSET);
  if (!HOST_LITTLE_ENDIAN) {
    const width = dt.bitpix / 8;
    for (let p = NIFTI1_VOX_OFFSET; p < out.length; p += width) out.subarray(p, p + width).reverse();
  }
  return out;
}

/**
 * Write a volume as NIfTI-1: gzip-compressed when `path` ends in `.gz` (e.g. `.nii.gz`). See
 * {@link niftiBuffer} for the header written; {@link readNifti} reads it back with the same geometry.
 * @throws NiftiError as {@link niftiBuffer}, or when the file cannot be written.
 * @example
 * ```ts
 * import { writeNifti } from "bct/lib/io/nifti";
 * writeNifti(ct, "out/ct.nii.gz", { datatype: "int16" });
 * writeNifti(density, "out/density.nii.gz", { description: "mg/cm3 K2HPO4", intent: "density" });
 * ```
 */
export function writeNifti(volume: Volume, path: string, opts: NiftiWriteOptions = {}): void {
  const raw = niftiBuffer(volume, opts);
  const bytes = /\.gz$/i.test(path) ? gzip(raw) : raw;
  try {
    writeFileSync(path, bytes);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "its folder does not exist" : (e as Error).message;
    throw new NiftiError(`cannot write ${path}: ${why}`);
  }
}
