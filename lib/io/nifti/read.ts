/**
 * Read a NIfTI-1 or NIfTI-2 file (.nii or .nii.gz, either byte order) into a `Volume` in DICOM
 * patient coordinates (LPS, mm).
 * @module
 */
import { readFileSync } from "node:fs";
import { createVolume, type Vec3, type Volume, type VoxelArray } from "../../volume/volume.js";
import { datatypeByCode, SCALAR_TYPE_NAMES, type NiftiDatatype } from "./datatypes.js";
import { NiftiError } from "./errors.js";
import { gunzip, isGzip } from "./gzip.js";
import { parseNiftiHeader, type NiftiRawHeader } from "./header.js";
import { affineToGeometry, chooseAffine, flipRasLps, spatialUnitScale, type AffineSource } from "./orientation.js";

/** What the header says, as read (before any conversion). */
export interface NiftiHeaderInfo {
  /** NIfTI-1 (348-byte header) or NIfTI-2 (540-byte header). */
  version: 1 | 2;
  /** nifti1.h datatype code, e.g. 4 for int16. */
  datatype: number;
  /** Its name, e.g. "int16". */
  datatypeName: string;
  bitpix: number;
  /** `scl_slope` as stored; 0 (or NaN) means no scaling. */
  sclSlope: number;
  /** `scl_inter` as stored. */
  sclInter: number;
  qformCode: number;
  sformCode: number;
  /** The transform used for the geometry (see {@link readNiftiBuffer}). */
  affineSource: AffineSource;
  description: string;
  /** `xyzt_units`: spatial unit code in bits 0-2 (1 m, 2 mm, 3 µm), temporal in bits 3-5. */
  xyztUnits: number;
  /** `dim[0..7]` as stored. */
  dim: number[];
  /** `pixdim[0..7]` as stored (pixdim[0] carries qfac). */
  pixdim: number[];
  /** Byte order of the file. */
  byteOrder: "little" | "big";
  /** Byte offset of the voxel data. */
  voxOffset: number;
  intentCode: number;
  intentName: string;
  /** The chosen index -> NIfTI world (RAS, mm) affine, 4x4 row-major, as nibabel's `img.affine`. */
  affine: number[];
}

/** A NIfTI file read into a volume. */
export interface NiftiReadResult {
  /** The image, geometry in LPS mm, values scaled by scl_slope/scl_inter unless turned off. */
  volume: Volume;
  header: NiftiHeaderInfo;
  /** What was approximated or ignored (extra volumes, sheared axes, unit conversion, ...). */
  warnings: string[];
}

/** Options of {@link readNifti} and {@link readNiftiBuffer}. */
export interface NiftiReadOptions {
  /**
   * Apply `value = stored * scl_slope + scl_inter` (default true). Identity scaling (1, 0) and
   * scl_slope = 0 (the standard's "no scaling") keep the stored values and array type.
   */
  applyScaling?: boolean;
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverse the byte order of each `width`-byte word of `bytes`, in place. */
function byteSwap(bytes: Uint8Array, width: number): void {
  if (width === 1) return;
  for (let p = 0; p + width <= bytes.length; p += width) {
    for (let a = p, b = p + width - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

function decodeVoxels(raw: Uint8Array, dt: NiftiDatatype, littleEndian: boolean, warnings: string[]): VoxelArray {
  const width = dt.bitpix / 8;
  if (littleEndian !== HOST_LITTLE_ENDIAN) byteSwap(raw, width);
  const buf = raw.buffer;
  switch (dt.name) {
    case "uint8":
      return new Uint8Array(buf);
    case "int8":
      return new Int8Array(buf);
    case "int16":
      return new Int16Array(buf);
    case "uint16":
      return new Uint16Array(buf);
    case "int32":
      return new Int32Array(buf);
    case "uint32":
      return new Uint32Array(buf);
    case "float32":
      return new Float32Array(buf);
    case "float64":
      return new Float64Array(buf);
    case "int64":
    case "uint64":
      return decode64(dt.name === "int64" ? new BigInt64Array(buf) : new BigUint64Array(buf), dt.name, warnings);
    default:
      throw new NiftiError(`datatype ${dt.name} cannot be decoded`); // unreachable: checked by the caller
  }
}

/**
 * 64-bit integers have no typed array a Volume can hold: int64 becomes Int32Array and uint64
 * Uint32Array when every value fits, else Float64Array (exact up to 2^53, warned beyond).
 */
function decode64(src: BigInt64Array | BigUint64Array, name: string, warnings: string[]): VoxelArray {
  const n = src.length;
  const values = new Float64Array(n);
  let min = Infinity, max = -Infinity, inexact = 0;
  for (let p = 0; p < n; p++) {
    const x = Number(src[p]);
    values[p] = x;
    if (x < min) min = x;
    if (x > max) max = x;
    if (Math.abs(x) > Number.MAX_SAFE_INTEGER) inexact++;
  }
  if (inexact > 0) {
    warnings.push(`${inexact} ${name} values exceed 2^53 in magnitude and were rounded when converted to float64`);
    return values;
  }
  if (name === "int64" && min >= -2147483648 && max <= 2147483647) return Int32Array.from(values);
  if (name === "uint64" && max <= 4294967295) return Uint32Array.from(values);
  return values;
}

function checkDims(h: NiftiRawHeader, name: string, warnings: string[]): { dims: Vec3; volumes: number } {
  const nd = h.dim[0];
  if (!(nd >= 1 && nd <= 7)) {
    throw new NiftiError(`${name}: header dim[0] = ${nd} must be 1 to 7 (the number of dimensions); the header is corrupt`);
  }
  const used = h.dim.slice(1, nd + 1);
  const bad = used.findIndex((d) => !(d >= 1));
  if (bad >= 0) {
    throw new NiftiError(`${name}: header dim[${bad + 1}] = ${used[bad]} (an image needs at least 1 voxel along each axis); the header is corrupt`);
  }
  const dims = [1, 2, 3].map((c) => (c <= nd ? h.dim[c] : 1)) as Vec3;
  const volumes = used.slice(3).reduce((a, b) => a * b, 1);
  if (volumes > 1) {
    warnings.push(`the file holds ${volumes} volumes (dim ${used.join("x")}): read the first only`);
  }
  return { dims, volumes };
}

function voxelDatatype(h: NiftiRawHeader, name: string, warnings: string[]): NiftiDatatype {
  const dt = datatypeByCode(h.datatype);
  if (!dt) {
    throw new NiftiError(`${name}: datatype code ${h.datatype} is not a NIfTI datatype; the header is corrupt`);
  }
  if (!dt.scalar) {
    throw new NiftiError(
      `${name} has datatype ${dt.name} (code ${dt.code}); bct reads scalar images only (${SCALAR_TYPE_NAMES.join(", ")}): convert it to a scalar image first`,
    );
  }
  if (h.bitpix !== dt.bitpix) warnings.push(`bitpix ${h.bitpix} does not match datatype ${dt.name}: used ${dt.bitpix} bits`);
  return dt;
}

/**
 * Read a NIfTI image held in memory (gzip-compressed or not).
 *
 * - **Geometry**: the sform when `sform_code > 0`, else the qform when `qform_code > 0`, else
 *   pixdim only (nifti1.h methods 3, 2, 1; when both are set the sform wins, as in nibabel, with a
 *   warning if the two disagree). Quaternions follow nifti1_io.c with qfac = sign of pixdim[0].
 *   The NIfTI (RAS) affine is converted to LPS by negating its first two rows; spacing is the norm
 *   of each affine column and direction the normalised columns (made orthonormal, with a warning,
 *   when the sform is sheared). Spatial units in metres or microns are converted to mm (as ITK).
 * - **Values**: `stored * scl_slope + scl_inter` unless `applyScaling` is false; scl_slope 0 or NaN
 *   means no scaling. Unscaled data keep their type (uint8 -> Uint8Array, int16 -> Int16Array, ...);
 *   scaled data become Float32Array (Float64Array for float64 and wide 64-bit integers).
 *   int64/uint64 become Int32Array/Uint32Array when every value fits, else Float64Array (with a
 *   warning beyond 2^53).
 * - **4D+**: only the first volume is read, with a warning.
 *
 * @param opts.name the file name used in messages (default "NIfTI buffer").
 * @throws NiftiError for data that is not NIfTI, truncated, corrupt gzip, a non-scalar datatype
 *   (complex, RGB, ...) or a singular transform.
 * @example
 * ```ts
 * const { volume, header, warnings } = readNiftiBuffer(bytes, { name: "upload.nii.gz" });
 * console.log(volume.dims, header.datatypeName, warnings);
 * ```
 */
export function readNiftiBuffer(buf: Uint8Array, opts: NiftiReadOptions & { name?: string } = {}): NiftiReadResult {
  const name = opts.name ?? "NIfTI buffer";
  const warnings: string[] = [];
  const bytes = isGzip(buf) ? gunzip(buf, name) : buf;
  const h = parseNiftiHeader(bytes, name);
  const { dims, volumes } = checkDims(h, name, warnings);
  const dt = voxelDatatype(h, name, warnings);

  let offset = Math.trunc(h.voxOffset);
  const minOffset = h.headerSize + 4; // header + extension flag
  if (!(offset >= h.headerSize)) {
    warnings.push(`vox_offset ${h.voxOffset} lies inside the header: used ${minOffset}`);
    offset = minOffset;
  }
  const perVolume = dims[0] * dims[1] * dims[2] * (dt.bitpix / 8);
  const total = perVolume * volumes;
  const available = Math.max(0, bytes.length - offset);
  if (available < total) {
    const shape = h.dim.slice(1, h.dim[0] + 1).join("x");
    throw new NiftiError(
      `${name}: header says ${shape} ${dt.name} = ${total} bytes but the file has ${available} bytes of voxel data (after offset ${offset}): the file is truncated or its header is wrong`,
    );
  }
  // A fresh copy (Buffer#slice would share memory), aligned for the typed array views.
  const raw = new Uint8Array(perVolume);
  raw.set(bytes.subarray(offset, offset + perVolume));
  let data = decodeVoxels(raw, dt, h.littleEndian, warnings);

  // nifti1.h: scl_slope = 0 means no scaling; nibabel also treats NaN (its "unscaled" marker) so.
  let slope = h.sclSlope;
  if (slope === Infinity || slope === -Infinity) {
    warnings.push(`scl_slope is ${slope}: ignored (no scaling)`);
    slope = 0;
  }
  if (Number.isNaN(slope)) slope = 0;
  const inter = Number.isFinite(h.sclInter) ? h.sclInter : 0;
  const scaled = slope !== 0 && !(slope === 1 && inter === 0);
  if (scaled && opts.applyScaling !== false) {
    const out = data instanceof Float64Array ? new Float64Array(data.length) : new Float32Array(data.length);
    for (let p = 0; p < data.length; p++) out[p] = data[p] * slope + inter;
    data = out;
  }

  const chosen = chooseAffine(h);
  warnings.push(...chosen.warnings);
  const units = spatialUnitScale(h.xyztUnits);
  if (units.scale !== 1) warnings.push(`spatial units are ${units.unit}: converted to mm`);
  const ras = chosen.affine.map((x) => x * units.scale);
  const geometry = affineToGeometry(flipRasLps(ras), dims, chosen.source);
  warnings.push(...geometry.warnings);
  if (chosen.source === "sform") {
    const pix = [1, 2, 3].map((c) => h.pixdim[c] * units.scale);
    const off = [0, 1, 2].filter((c) => pix[c] > 0 && Math.abs(geometry.spacing[c] - pix[c]) > 1e-4 * pix[c]);
    if (off.length > 0) {
      warnings.push(
        `sform voxel size [${geometry.spacing.map((s) => +s.toPrecision(6)).join(", ")}] differs from pixdim [${pix.join(", ")}]: used the sform's`,
      );
    }
  }

  const volume = createVolume({ dims, spacing: geometry.spacing, origin: geometry.origin, direction: geometry.direction, data });
  const header: NiftiHeaderInfo = {
    version: h.version,
    datatype: h.datatype,
    datatypeName: dt.name,
    bitpix: h.bitpix,
    sclSlope: h.sclSlope,
    sclInter: h.sclInter,
    qformCode: h.qformCode,
    sformCode: h.sformCode,
    affineSource: chosen.source,
    description: h.description,
    xyztUnits: h.xyztUnits,
    dim: [...h.dim],
    pixdim: [...h.pixdim],
    byteOrder: h.littleEndian ? "little" : "big",
    voxOffset: offset,
    intentCode: h.intentCode,
    intentName: h.intentName,
    affine: [...chosen.affine, 0, 0, 0, 1],
  };
  return { volume, header, warnings };
}

/**
 * Read a NIfTI-1 or NIfTI-2 file (.nii or .nii.gz; gzip is detected from the content) into a
 * `Volume` in LPS mm. See {@link readNiftiBuffer} for the geometry and value conventions.
 * @throws NiftiError when the file cannot be read or is not a usable NIfTI image.
 * @example
 * ```ts
 * import { readNifti } from "bct/lib/io/nifti";
 * const { volume: ct, warnings } = readNifti("example_ct.nii.gz");
 * ct.dims;      // [122, 101, 112]
 * ct.direction; // [-1, 0, 0, 0, -1, 0, 0, 0, 1]  (NIfTI RAS axes seen in LPS)
 * ```
 */
export function readNifti(path: string, opts: NiftiReadOptions = {}): NiftiReadResult {
  let buf: Uint8Array;
  try {
    buf = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : (e as Error).message;
    throw new NiftiError(`cannot read ${path}: ${why}`);
  }
  return readNiftiBuffer(buf, { ...opts, name: path });
}
