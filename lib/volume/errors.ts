import { BctError } from "../errors.js";

/** Inconsistent volume geometry or an operation outside the volume. */
export class VolumeError extends BctError {
  override name = "VolumeError";
}
