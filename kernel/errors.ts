/** Errors of the bct Jupyter kernel (install and launch). @module */
import { BctError } from "../lib/errors.js";

/** The kernel cannot be installed or started: a missing build, an unwritable folder, a bad option. */
export class KernelError extends BctError {
  override name = "KernelError";
}
