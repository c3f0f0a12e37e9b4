import { BctError } from "../errors.js";

/** An FE model that cannot be solved as given (no constraints, a floating part, bad node or set). */
export class ModelError extends BctError {
  override name = "ModelError";
}

/** A CalculiX/Abaqus input deck that bct cannot read (unsupported keyword or malformed line). */
export class InpError extends BctError {
  override name = "InpError";
}

/** An iterative solve that broke down (non-positive curvature, NaN): the model is likely singular. */
export class SolverDivergedError extends BctError {
  override name = "SolverDivergedError";
}
