/**
 * The error of the DICOM reader and writer.
 * @module
 */
import { BctError } from "../../errors.js";

/**
 * A DICOM input that cannot be turned into a volume (not DICOM, truncated, unsupported encoding,
 * inconsistent or incomplete series), or a volume that cannot be written as DICOM. The message
 * names the file or series and says what is wrong, so a user can act on it.
 * @example
 * ```ts
 * import { DicomError, readDicomSeries } from "bct/lib/io/dicom";
 * try {
 *   await readDicomSeries("scan/dicom");
 * } catch (e) {
 *   if (e instanceof DicomError) console.error(`error: ${e.message}`); // e.g. "missing slice(s) between ..."
 *   else throw e;
 * }
 * ```
 */
export class DicomError extends BctError {
  override name = "DicomError";
}
