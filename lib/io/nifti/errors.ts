import { BctError } from "../../errors.js";

/**
 * A NIfTI file that cannot be read or written: not NIfTI, truncated, corrupt gzip, an unsupported
 * datatype, or values that do not fit the requested datatype. The message names the file and what
 * to do about it.
 * @example
 * ```ts
 * try {
 *   readNifti("scan.nii.gz");
 * } catch (e) {
 *   if (e instanceof NiftiError) console.error(`error: ${e.message}`);
 * }
 * ```
 */
export class NiftiError extends BctError {
  override name = "NiftiError";
}
