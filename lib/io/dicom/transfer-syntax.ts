/**
 * Transfer syntaxes: the UID -> name table and how each one's pixel data is decoded.
 * @module
 */

/** How the pixel data of a transfer syntax is decoded. */
export type PixelCodec =
  | "native" // uncompressed, little endian (also deflated: the whole data set is deflated, not the pixels)
  | "native-big-endian"
  | "encapsulated-native" // encapsulated uncompressed: one fragment of raw little-endian samples per frame
  | "rle"
  | "jpeg-baseline" // 8-bit lossy JPEG (processes 1 and 2/4 at 8 bits)
  | "jpeg-lossless" // process 14, any predictor
  | "jpeg-ls"
  | "jpeg2000"; // also HTJ2K (OpenJPEG >= 2.5 decodes High-Throughput code blocks)

/** A transfer syntax as this reader understands it. */
export interface TransferSyntax {
  uid: string;
  name: string;
  /** The decoder, or undefined when the reader does not support this syntax. */
  codec?: PixelCodec;
  /** Whether the data set (not only the pixels) is deflated. */
  deflated?: boolean;
  /** Whether the compression may lose information. */
  lossy?: boolean;
}

const T = (uid: string, name: string, codec?: PixelCodec, extra: Partial<TransferSyntax> = {}): TransferSyntax => ({
  uid,
  name,
  codec,
  ...extra,
});

/** Every transfer syntax of DICOM PS3.6 Table A-1 that a CT file may carry. */
const TABLE: TransferSyntax[] = [
  T("1.2.840.10008.1.2", "Implicit VR Little Endian", "native"),
  T("1.2.840.10008.1.2.1", "Explicit VR Little Endian", "native"),
  T("1.2.840.10008.1.2.1.98", "Encapsulated Uncompressed Explicit VR Little Endian", "encapsulated-native"),
  T("1.2.840.10008.1.2.1.99", "Deflated Explicit VR Little Endian", "native", { deflated: true }),
  T("1.2.840.10008.1.2.2", "Explicit VR Big Endian (retired)", "native-big-endian"),
  T("1.2.840.10008.1.2.4.50", "JPEG Baseline (Process 1)", "jpeg-baseline", { lossy: true }),
  T("1.2.840.10008.1.2.4.51", "JPEG Extended (Process 2 & 4)", "jpeg-baseline", { lossy: true }),
  T("1.2.840.10008.1.2.4.57", "JPEG Lossless, Non-Hierarchical (Process 14)", "jpeg-lossless"),
  T("1.2.840.10008.1.2.4.70", "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])", "jpeg-lossless"),
  T("1.2.840.10008.1.2.4.80", "JPEG-LS Lossless Image Compression", "jpeg-ls"),
  T("1.2.840.10008.1.2.4.81", "JPEG-LS Lossy (Near-Lossless) Image Compression", "jpeg-ls", { lossy: true }),
  T("1.2.840.10008.1.2.4.90", "JPEG 2000 Image Compression (Lossless Only)", "jpeg2000"),
  T("1.2.840.10008.1.2.4.91", "JPEG 2000 Image Compression", "jpeg2000", { lossy: true }),
  T("1.2.840.10008.1.2.4.201", "High-Throughput JPEG 2000 Image Compression (Lossless Only)", "jpeg2000"),
  T("1.2.840.10008.1.2.4.202", "High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)", "jpeg2000"),
  T("1.2.840.10008.1.2.4.203", "High-Throughput JPEG 2000 Image Compression", "jpeg2000", { lossy: true }),
  T("1.2.840.10008.1.2.5", "RLE Lossless", "rle"),
  // Known but not decoded here.
  T("1.2.840.10008.1.2.4.52", "JPEG Extended (Process 3 & 5) (retired)"),
  T("1.2.840.10008.1.2.4.53", "JPEG Spectral Selection, Non-Hierarchical (Process 6 & 8) (retired)"),
  T("1.2.840.10008.1.2.4.54", "JPEG Spectral Selection, Non-Hierarchical (Process 7 & 9) (retired)"),
  T("1.2.840.10008.1.2.4.55", "JPEG Full Progression, Non-Hierarchical (Process 10 & 12) (retired)"),
  T("1.2.840.10008.1.2.4.56", "JPEG Full Progression, Non-Hierarchical (Process 11 & 13) (retired)"),
  T("1.2.840.10008.1.2.4.58", "JPEG Lossless, Non-Hierarchical (Process 15) (retired)"),
  T("1.2.840.10008.1.2.4.59", "JPEG Extended, Hierarchical (Process 16 & 18) (retired)"),
  T("1.2.840.10008.1.2.4.60", "JPEG Extended, Hierarchical (Process 17 & 19) (retired)"),
  T("1.2.840.10008.1.2.4.61", "JPEG Spectral Selection, Hierarchical (Process 20 & 22) (retired)"),
  T("1.2.840.10008.1.2.4.62", "JPEG Spectral Selection, Hierarchical (Process 21 & 23) (retired)"),
  T("1.2.840.10008.1.2.4.63", "JPEG Full Progression, Hierarchical (Process 24 & 26) (retired)"),
  T("1.2.840.10008.1.2.4.64", "JPEG Full Progression, Hierarchical (Process 25 & 27) (retired)"),
  T("1.2.840.10008.1.2.4.65", "JPEG Lossless, Hierarchical (Process 28) (retired)"),
  T("1.2.840.10008.1.2.4.66", "JPEG Lossless, Hierarchical (Process 29) (retired)"),
  T("1.2.840.10008.1.2.4.92", "JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)"),
  T("1.2.840.10008.1.2.4.93", "JPEG 2000 Part 2 Multi-component Image Compression"),
  T("1.2.840.10008.1.2.4.94", "JPIP Referenced"),
  T("1.2.840.10008.1.2.4.95", "JPIP Referenced Deflate"),
  T("1.2.840.10008.1.2.4.100", "MPEG2 Main Profile / Main Level"),
  T("1.2.840.10008.1.2.4.100.1", "Fragmentable MPEG2 Main Profile / Main Level"),
  T("1.2.840.10008.1.2.4.101", "MPEG2 Main Profile / High Level"),
  T("1.2.840.10008.1.2.4.101.1", "Fragmentable MPEG2 Main Profile / High Level"),
  T("1.2.840.10008.1.2.4.102", "MPEG-4 AVC/H.264 High Profile / Level 4.1"),
  T("1.2.840.10008.1.2.4.102.1", "Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.1"),
  T("1.2.840.10008.1.2.4.103", "MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1"),
  T("1.2.840.10008.1.2.4.103.1", "Fragmentable MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1"),
  T("1.2.840.10008.1.2.4.104", "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video"),
  T("1.2.840.10008.1.2.4.104.1", "Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video"),
  T("1.2.840.10008.1.2.4.105", "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video"),
  T("1.2.840.10008.1.2.4.105.1", "Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video"),
  T("1.2.840.10008.1.2.4.106", "MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2"),
  T("1.2.840.10008.1.2.4.106.1", "Fragmentable MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2"),
  T("1.2.840.10008.1.2.4.107", "HEVC/H.265 Main Profile / Level 5.1"),
  T("1.2.840.10008.1.2.4.108", "HEVC/H.265 Main 10 Profile / Level 5.1"),
  T("1.2.840.10008.1.2.4.110", "JPEG XL Lossless"),
  T("1.2.840.10008.1.2.4.111", "JPEG XL JPEG Recompression"),
  T("1.2.840.10008.1.2.4.112", "JPEG XL"),
  T("1.2.840.10008.1.2.4.204", "JPIP HTJ2K Referenced"),
  T("1.2.840.10008.1.2.4.205", "JPIP HTJ2K Referenced Deflate"),
  T("1.2.840.10008.1.2.6.1", "RFC 2557 MIME encapsulation (retired)"),
  T("1.2.840.10008.1.2.6.2", "XML Encoding (retired)"),
  T("1.2.840.10008.1.2.7.1", "SMPTE ST 2110-20 Uncompressed Progressive Active Video"),
  T("1.2.840.10008.1.2.7.2", "SMPTE ST 2110-20 Uncompressed Interlaced Active Video"),
  T("1.2.840.10008.1.2.7.3", "SMPTE ST 2110-30 PCM Digital Audio"),
];

const BY_UID = new Map(TABLE.map((t) => [t.uid, t]));

/** Implicit VR Little Endian, the DICOM default. */
export const IMPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2";
/** Explicit VR Little Endian. */
export const EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1";
/** Explicit VR Big Endian (retired). */
export const EXPLICIT_VR_BIG_ENDIAN = "1.2.840.10008.1.2.2";
/** Deflated Explicit VR Little Endian. */
export const DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1.99";

/**
 * What this reader knows of a transfer syntax UID; an unknown UID gets the name "unknown transfer
 * syntax" and no codec.
 * @example
 * ```ts
 * transferSyntax("1.2.840.10008.1.2.4.90").name; // "JPEG 2000 Image Compression (Lossless Only)"
 * ```
 */
export function transferSyntax(uid: string): TransferSyntax {
  return BY_UID.get(uid) ?? { uid, name: "unknown transfer syntax" };
}

/** Whether the data set of this transfer syntax uses explicit VRs (all but implicit VR little endian). */
export function isExplicitVr(uid: string): boolean {
  return uid !== IMPLICIT_VR_LITTLE_ENDIAN;
}

/** Whether pixel data of this syntax is encapsulated (fragments in items) rather than native. */
export function isEncapsulated(ts: TransferSyntax): boolean {
  return ts.codec !== undefined && ts.codec !== "native" && ts.codec !== "native-big-endian";
}
