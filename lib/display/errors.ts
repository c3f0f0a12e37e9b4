/** Errors of the display helpers. @module */
import { BctError } from "../errors.js";

/** A display helper was given data it cannot draw (mismatched grids, wrong array lengths, bad options). */
export class DisplayError extends BctError {
  override name = "DisplayError";
}
