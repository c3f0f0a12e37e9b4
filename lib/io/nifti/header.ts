/**
 * The NIfTI-1 (348-byte) and NIfTI-2 (540-byte) header layouts: parse either byte order into one
 * plain record of the fields bct uses, and encode a little-endian NIfTI-1 header.
 *
 * Offsets follow nifti1.h and nifti2.h. Parsing is done here rather than with nifti-reader-js,
 * whose v0.8 picks the qform over the sform when `qform_code > sform_code` (the standard and
 * nibabel prefer any sform), reads NIfTI-2 srows regardless of `sform_code`, scales the k column by
 * `pixdim[0]` itself instead of its sign, takes `sqrt` of a negative number when a float32
 * quaternion rounds to |(b,c,d)| > 1, and mis-decodes some big-endian 64-bit fields.
 * @module
 */
import { NiftiError } from "./errors.js";

/** Every header field bct reads, in the units stored in the file. */
export interface NiftiRawHeader {
  version: 1 | 2;
  littleEndian: boolean;
  /** 348 (NIfTI-1) or 540 (NIfTI-2). */
  headerSize: number;
  /** `dim[0..7]`: dim[0] is the number of dimensions, dim[1..3] the voxel counts along i, j, k. */
  dim: number[];
  intentCode: number;
  intentName: string;
  datatype: number;
  bitpix: number;
  /** `pixdim[0..7]`: pixdim[0] holds qfac (its sign), pixdim[1..3] the voxel size. */
  pixdim: number[];
  /** Byte offset of the voxel data. */
  voxOffset: number;
  sclSlope: number;
  sclInter: number;
  xyztUnits: number;
  description: string;
  qformCode: number;
  sformCode: number;
  /** Quaternion b, c, d (a is implied, >= 0). */
  quatern: [number, number, number];
  /** qoffset x, y, z (RAS, mm). */
  qoffset: [number, number, number];
  /** srow_x, srow_y, srow_z: the sform, a 3x4 matrix row-major (RAS, mm). */
  srow: number[];
}

/** Size of the NIfTI-1 header. */
export const NIFTI1_HEADER_SIZE = 348;
/** Size of the NIfTI-2 header. */
export const NIFTI2_HEADER_SIZE = 540;
/** Voxel data offset bct writes: header + the 4-byte extension flag. */
export const NIFTI1_VOX_OFFSET = 352;

const NIFTI2_MAGIC = [0x6e, 0x2b, 0x32, 0x00, 0x0d, 0x0a, 0x1a, 0x0a]; // "n+2\0\r\n\032\n"

function cString(bytes: Uint8Array, start: number, length: number): string {
  let s = "";
  for (let p = start; p < start + length && bytes[p] !== 0; p++) s += String.fromCharCode(bytes[p]);
  return s;
}

function int64(view: DataView, offset: number, le: boolean, field: string, name: string): number {
  const v = view.getBigInt64(offset, le);
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new NiftiError(`${name}: NIfTI-2 header field ${field} = ${v} is out of range; the header is corrupt`);
  }
  return Number(v);
}

/**
 * Which NIfTI version and byte order `bytes` start with, from the `sizeof_hdr` field (348 or 540,
 * in either byte order); null when it is neither.
 * @example
 * ```ts
 * detectNifti(bytes); // { version: 1, littleEndian: true }
 * ```
 */
export function detectNifti(bytes: Uint8Array): { version: 1 | 2; littleEndian: boolean } | null {
  if (bytes.length < 4) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const le of [true, false]) {
    const size = view.getInt32(0, le);
    if (size === NIFTI1_HEADER_SIZE) return { version: 1, littleEndian: le };
    if (size === NIFTI2_HEADER_SIZE) return { version: 2, littleEndian: le };
  }
  return null;
}

/**
 * Parse the header at the start of an (uncompressed) NIfTI file.
 * @param name the file name, for messages.
 * @throws NiftiError when the bytes are not a single-file NIfTI-1/NIfTI-2 image or are too short.
 * @example
 * ```ts
 * const h = parseNiftiHeader(bytes, "scan.nii");
 * h.dim.slice(1, 4); // [nx, ny, nz]
 * ```
 */
export function parseNiftiHeader(bytes: Uint8Array, name: string): NiftiRawHeader {
  const kind = detectNifti(bytes);
  if (!kind) {
    let hint = "";
    if (bytes.length >= 132 && cString(bytes, 128, 4) === "DICM") hint = " (it looks like a DICOM file: read it with the DICOM reader)";
    throw new NiftiError(
      `${name} is not a NIfTI file: it should start with the header size 348 (NIfTI-1) or 540 (NIfTI-2)${hint}`,
    );
  }
  const { version, littleEndian: le } = kind;
  const headerSize = version === 1 ? NIFTI1_HEADER_SIZE : NIFTI2_HEADER_SIZE;
  if (bytes.length < headerSize) {
    throw new NiftiError(
      `${name} is truncated: it has ${bytes.length} bytes but a NIfTI-${version} header alone needs ${headerSize}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return version === 1 ? parse1(bytes, view, le, name) : parse2(bytes, view, le, name);
}

function parse1(bytes: Uint8Array, view: DataView, le: boolean, name: string): NiftiRawHeader {
  const magic = cString(bytes, 344, 4);
  if (magic === "ni1") {
    throw new NiftiError(`${name} is the header of a NIfTI-1 .hdr/.img pair; bct reads single-file .nii or .nii.gz (convert it, e.g. with nibabel or fslchfiletype)`);
  }
  if (magic !== "n+1") {
    throw new NiftiError(`${name} has a 348-byte header without the NIfTI magic "n+1" (an ANALYZE 7.5 file?); bct reads NIfTI-1 and NIfTI-2 .nii/.nii.gz files`);
  }
  const f32 = (o: number) => view.getFloat32(o, le);
  const i16 = (o: number) => view.getInt16(o, le);
  const dim = [0, 1, 2, 3, 4, 5, 6, 7].map((c) => i16(40 + 2 * c));
  const pixdim = [0, 1, 2, 3, 4, 5, 6, 7].map((c) => f32(76 + 4 * c));
  return {
    version: 1,
    littleEndian: le,
    headerSize: NIFTI1_HEADER_SIZE,
    dim,
    intentCode: i16(68),
    intentName: cString(bytes, 328, 16),
    datatype: i16(70),
    bitpix: i16(72),
    pixdim,
    voxOffset: f32(108),
    sclSlope: f32(112),
    sclInter: f32(116),
    xyztUnits: view.getUint8(123),
    description: cString(bytes, 148, 80),
    qformCode: i16(252),
    sformCode: i16(254),
    quatern: [f32(256), f32(260), f32(264)],
    qoffset: [f32(268), f32(272), f32(276)],
    srow: Array.from({ length: 12 }, (_, c) => f32(280 + 4 * c)),
  };
}

function parse2(bytes: Uint8Array, view: DataView, le: boolean, name: string): NiftiRawHeader {
  if (cString(bytes, 4, 3) === "ni2") {
    throw new NiftiError(`${name} is the header of a NIfTI-2 .hdr/.img pair; bct reads single-file .nii or .nii.gz`);
  }
  if (!NIFTI2_MAGIC.every((b, c) => bytes[4 + c] === b)) {
    throw new NiftiError(`${name} has a 540-byte header without the NIfTI-2 magic "n+2"; the file is corrupt or not NIfTI`);
  }
  const f64 = (o: number) => view.getFloat64(o, le);
  const i32 = (o: number) => view.getInt32(o, le);
  const i64 = (o: number, field: string) => int64(view, o, le, field, name);
  return {
    version: 2,
    littleEndian: le,
    headerSize: NIFTI2_HEADER_SIZE,
    dim: [0, 1, 2, 3, 4, 5, 6, 7].map((c) => i64(16 + 8 * c, `dim[${c}]`)),
    intentCode: i32(504),
    intentName: cString(bytes, 508, 16),
    datatype: view.getInt16(12, le),
    bitpix: view.getInt16(14, le),
    pixdim: [0, 1, 2, 3, 4, 5, 6, 7].map((c) => f64(104 + 8 * c)),
    voxOffset: i64(168, "vox_offset"),
    sclSlope: f64(176),
    sclInter: f64(184),
    xyztUnits: i32(500),
    description: cString(bytes, 240, 80),
    qformCode: i32(344),
    sformCode: i32(348),
    quatern: [f64(352), f64(360), f64(368)],
    qoffset: [f64(376), f64(384), f64(392)],
    srow: Array.from({ length: 12 }, (_, c) => f64(400 + 8 * c)),
  };
}

/** The fields of a NIfTI-1 header bct writes (everything else is zero). */
export interface Nifti1HeaderFields {
  dim: number[];
  datatype: number;
  bitpix: number;
  pixdim: number[];
  sclSlope: number;
  sclInter: number;
  xyztUnits: number;
  description: string;
  intentName: string;
  qformCode: number;
  sformCode: number;
  quatern: [number, number, number];
  qoffset: [number, number, number];
  srow: number[];
}

function putString(bytes: Uint8Array, start: number, length: number, s: string): void {
  // Keep printable ASCII, leave room for the terminating NUL.
  const clean = s.replace(/[^\x20-\x7e]/g, "?").slice(0, length - 1);
  for (let c = 0; c < clean.length; c++) bytes[start + c] = clean.charCodeAt(c);
}

/**
 * Encode a little-endian NIfTI-1 header followed by a zero extension flag: 352 bytes, the voxel
 * data goes right after (vox_offset = 352). Strings longer than their field (description 79,
 * intent name 15 characters) are cut; non-ASCII characters become "?".
 * @example
 * ```ts
 * const head = encodeNifti1Header({
 *   dim: [3, 4, 4, 2, 1, 1, 1, 1], datatype: 4, bitpix: 16, pixdim: [1, 1, 1, 2, 0, 0, 0, 0],
 *   sclSlope: 1, sclInter: 0, xyztUnits: 2, description: "bct", intentName: "",
 *   qformCode: 1, sformCode: 1, quatern: [0, 0, 0], qoffset: [0, 0, 0],
 *   srow: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0],
 * });
 * head.length; // 352
 * ```
 */
export function encodeNifti1Header(h: Nifti1HeaderFields): Uint8Array {
  const bytes = new Uint8Array(NIFTI1_VOX_OFFSET);
  const view = new DataView(bytes.buffer);
  const le = true;
  view.setInt32(0, NIFTI1_HEADER_SIZE, le);
  for (let c = 0; c < 8; c++) view.setInt16(40 + 2 * c, h.dim[c] ?? 0, le);
  view.setInt16(70, h.datatype, le);
  view.setInt16(72, h.bitpix, le);
  for (let c = 0; c < 8; c++) view.setFloat32(76 + 4 * c, h.pixdim[c] ?? 0, le);
  view.setFloat32(108, NIFTI1_VOX_OFFSET, le);
  view.setFloat32(112, h.sclSlope, le);
  view.setFloat32(116, h.sclInter, le);
  view.setUint8(123, h.xyztUnits);
  putString(bytes, 148, 80, h.description);
  view.setInt16(252, h.qformCode, le);
  view.setInt16(254, h.sformCode, le);
  for (let c = 0; c < 3; c++) view.setFloat32(256 + 4 * c, h.quatern[c], le);
  for (let c = 0; c < 3; c++) view.setFloat32(268 + 4 * c, h.qoffset[c], le);
  for (let c = 0; c < 12; c++) view.setFloat32(280 + 4 * c, h.srow[c], le);
  putString(bytes, 328, 16, h.intentName);
  bytes.set([0x6e, 0x2b, 0x31, 0x00], 344); // "n+1\0"
  return bytes;
}
