import { BctError } from "../errors.js";

/** A bad option or an impossible geometry given to the synthetic phantom generator. */
export class SyntheticError extends BctError {
  override name = "SyntheticError";
}
