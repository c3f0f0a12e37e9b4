/**
 * The byte layout of a DICOM file: preamble, "DICM", file meta group, and where the data set
 * starts in which transfer syntax. Also accepts a bare data set without preamble (old ACR-NEMA
 * style exports) when it visibly starts with a group 0008 element.
 * @module
 */
import { inflateRawSync } from "node:zlib";
import { DicomError } from "./errors.js";
import {
  DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
  EXPLICIT_VR_LITTLE_ENDIAN,
  IMPLICIT_VR_LITTLE_ENDIAN,
} from "./transfer-syntax.js";

/** Where a file's data set is and how it is encoded. */
export interface Part10Layout {
  /** Transfer syntax of the data set. */
  transferSyntaxUid: string;
  /** Whether the file had the 128-byte preamble and "DICM". */
  hasPreamble: boolean;
  /**
   * The data set bytes in the file's transfer syntax, inflated when the syntax is deflated (so it
   * is then explicit VR little endian).
   */
  dataset: Uint8Array;
}

const DICM = [0x44, 0x49, 0x43, 0x4d];

/** True when the bytes carry "DICM" after a 128-byte preamble. */
export function hasPart10Preamble(bytes: Uint8Array): boolean {
  if (bytes.length < 132) return false;
  for (let c = 0; c < 4; c++) if (bytes[128 + c] !== DICM[c]) return false;
  return true;
}

/**
 * For bytes without preamble: the transfer syntax of a bare data set when it plausibly is one,
 * i.e. it starts with an element of group 0008 (implicit or explicit VR little endian).
 */
function sniffBareDataset(bytes: Uint8Array): string | undefined {
  if (bytes.length < 16) return undefined;
  const group = bytes[0] | (bytes[1] << 8);
  const element = bytes[2] | (bytes[3] << 8);
  if (group !== 0x0008 || element > 0x00ff) return undefined;
  const vr = String.fromCharCode(bytes[4], bytes[5]);
  if (/^[A-Z]{2}$/.test(vr)) return EXPLICIT_VR_LITTLE_ENDIAN;
  // Implicit VR: a 32-bit length; group 0008 values are short.
  const length = (bytes[4] | (bytes[5] << 8) | (bytes[6] << 16)) + bytes[7] * 0x1000000;
  return length < 0x10000 ? IMPLICIT_VR_LITTLE_ENDIAN : undefined;
}

/** Whether `bytes` look like DICOM (Part 10 file, or a bare data set of group 0008 first). */
export function looksLikeDicom(bytes: Uint8Array): boolean {
  return hasPart10Preamble(bytes) || sniffBareDataset(bytes) !== undefined;
}

/** The error for a file that is not DICOM. */
export function notDicomError(path: string): DicomError {
  return new DicomError(
    `${path} is not a DICOM Part 10 file (no "DICM" marker at byte 128 and no DICOM data set at its start)`,
  );
}

function truncated(path: string, what: string): DicomError {
  return new DicomError(`${path} is truncated or corrupt (${what}); re-export or re-copy the file`);
}

/**
 * Find the data set of a DICOM file: read the file meta group (explicit VR little endian, group
 * 0002) for the transfer syntax and inflate a deflated data set.
 * @throws DicomError when the file is not DICOM, or is cut inside its meta group or deflate stream.
 */
export function part10Layout(bytes: Uint8Array, path: string): Part10Layout {
  if (!hasPart10Preamble(bytes)) {
    const ts = sniffBareDataset(bytes);
    if (!ts) throw notDicomError(path);
    return { transferSyntaxUid: ts, hasPreamble: false, dataset: bytes };
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 132;
  let ts: string | undefined;
  while (pos + 8 <= bytes.length && view.getUint16(pos, true) === 0x0002) {
    const element = view.getUint16(pos + 2, true);
    const vr = String.fromCharCode(bytes[pos + 4], bytes[pos + 5]);
    let length: number;
    let header: number;
    if (vr === "OB" || vr === "OW" || vr === "UN" || vr === "SQ" || vr === "UT" || vr === "UC" || vr === "UR" || vr === "OD" || vr === "OF" || vr === "OL" || vr === "OV") {
      if (pos + 12 > bytes.length) throw truncated(path, "inside the file meta information");
      length = view.getUint32(pos + 8, true);
      header = 12;
    } else {
      length = view.getUint16(pos + 6, true);
      header = 8;
    }
    if (length === 0xffffffff || pos + header + length > bytes.length) {
      throw truncated(path, "inside the file meta information");
    }
    if (element === 0x0010) {
      ts = new TextDecoder("latin1").decode(bytes.subarray(pos + header, pos + header + length)).replace(/[\0 ]+$/, "").trim();
    }
    pos += header + length;
  }
  if (!ts) {
    throw new DicomError(`${path} has no Transfer Syntax UID (0002,0010) in its file meta information; it is not a valid DICOM Part 10 file`);
  }
  let dataset = bytes.subarray(pos);
  if (ts === DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN) {
    try {
      dataset = inflateRawSync(dataset);
    } catch (e) {
      throw truncated(path, `its deflated data set does not inflate: ${(e as Error).message}`);
    }
  }
  return { transferSyntaxUid: ts, hasPreamble: true, dataset };
}

/**
 * A minimal Part 10 file around a data set: preamble, "DICM", and a meta group holding only the
 * transfer syntax, so dcmjs can parse data sets that came without one (or were inflated here).
 */
export function wrapDatasetAsPart10(dataset: Uint8Array, transferSyntaxUid: string): ArrayBuffer {
  let uid = transferSyntaxUid;
  if (uid.length % 2) uid += "\0";
  const tsElement = 8 + uid.length;
  const size = 132 + 12 + tsElement + dataset.length;
  const out = new Uint8Array(size);
  out.set(DICM, 128);
  const view = new DataView(out.buffer);
  let p = 132;
  view.setUint16(p, 0x0002, true);
  view.setUint16(p + 2, 0x0000, true);
  out[p + 4] = 0x55; // U
  out[p + 5] = 0x4c; // L
  view.setUint16(p + 6, 4, true);
  view.setUint32(p + 8, tsElement, true);
  p += 12;
  view.setUint16(p, 0x0002, true);
  view.setUint16(p + 2, 0x0010, true);
  out[p + 4] = 0x55; // U
  out[p + 5] = 0x49; // I
  view.setUint16(p + 6, uid.length, true);
  for (let c = 0; c < uid.length; c++) out[p + 8 + c] = uid.charCodeAt(c);
  p += tsElement;
  out.set(dataset, p);
  return out.buffer;
}
