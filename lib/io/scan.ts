/**
 * Read a CT scan whatever its format: a DICOM folder, a list of DICOM files, one DICOM file, or a
 * NIfTI-1/2 file (`.nii`, `.nii.gz`). The format is decided by content (DICM magic, NIfTI header
 * size), not only by name, so a mis-named file still gets the right reader or a clear error.
 *
 * @example
 * ```ts
 * import { readScan } from "bct/lib/io/scan";
 * const scan = await readScan("datasets/phantom/hip/dicom");
 * console.log(scan.format, scan.volume.dims, scan.warnings);
 * ```
 * @module
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { constants as zlibConstants, gunzipSync } from "node:zlib";
import { BctError } from "../errors.js";
import type { Volume } from "../volume/volume.js";
import { readDicomSeries, type DicomReadOptions, type DicomSeriesInfo } from "./dicom/index.js";
import { readNifti, type NiftiHeaderInfo } from "./nifti/index.js";

/** A scan that cannot be read: missing path or unknown format. */
export class ScanError extends BctError {
  override name = "ScanError";
}

/** A scan read from disk. */
export interface ScanResult {
  volume: Volume;
  format: "dicom" | "nifti";
  /** The path(s) read. */
  source: string | string[];
  /** DICOM series details, including which series was chosen and why. */
  series?: DicomSeriesInfo;
  /** NIfTI header details. */
  nifti?: NiftiHeaderInfo;
  /** Modality when the file says (DICOM), otherwise undefined. */
  modality?: string;
  warnings: string[];
}

/** Options of {@link readScan}. */
export interface ReadScanOptions extends DicomReadOptions {}

/** The format of a single file by its first bytes: "dicom", "nifti" or null. */
export function sniffFormat(path: string): "dicom" | "nifti" | null {
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(600);
    const n = readSync(fd, head, 0, head.length, 0);
    let b = head.subarray(0, n);
    if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) {
      // gzip: NIfTI .nii.gz (DICOM is never gzipped as a whole file in practice)
      try {
        const gz = Buffer.alloc(Math.min(statSync(path).size, 1 << 16));
        readSync(fd, gz, 0, gz.length, 0);
        // A prefix of the stream: flush what it holds instead of failing on the missing end.
        b = gunzipSync(gz, { finishFlush: zlibConstants.Z_SYNC_FLUSH }).subarray(0, 600);
      } catch {
        return null;
      }
    }
    if (b.length >= 132 && b.toString("latin1", 128, 132) === "DICM") return "dicom";
    if (b.length >= 4) {
      const le = b.readInt32LE(0), be = b.readInt32BE(0);
      if (le === 348 || be === 348 || le === 540 || be === 540) return "nifti";
    }
    return null;
  } finally {
    closeSync(fd);
  }
}

/**
 * Read a scan. A directory or a list of paths is read as a DICOM series; a single file is sniffed.
 * @throws ScanError when the path does not exist or is neither DICOM nor NIfTI; DicomError or
 *   NiftiError for problems inside a file.
 */
export async function readScan(input: string | string[], opts: ReadScanOptions = {}): Promise<ScanResult> {
  if (Array.isArray(input)) {
    const r = await readDicomSeries(input, opts);
    return { volume: r.volume, format: "dicom", source: input, series: r.series, modality: r.series.modality, warnings: r.warnings };
  }
  let isDir: boolean;
  try {
    isDir = statSync(input).isDirectory();
  } catch {
    throw new ScanError(`no such file or folder: ${input}`);
  }
  if (isDir) {
    const r = await readDicomSeries(input, opts);
    return { volume: r.volume, format: "dicom", source: input, series: r.series, modality: r.series.modality, warnings: r.warnings };
  }
  const format = sniffFormat(input);
  if (format === "nifti" || (format === null && /\.nii(\.gz)?$/i.test(input))) {
    const r = readNifti(input);
    return { volume: r.volume, format: "nifti", source: input, nifti: r.header, warnings: r.warnings };
  }
  if (format === "dicom") {
    const r = await readDicomSeries([input], opts);
    return { volume: r.volume, format: "dicom", source: input, series: r.series, modality: r.series.modality, warnings: r.warnings };
  }
  throw new ScanError(
    `${input} is neither a DICOM file (no "DICM" marker at byte 128) nor a NIfTI file (header size is not 348 or 540); give a DICOM folder, a DICOM file or a .nii/.nii.gz`,
  );
}
