/** The error of the validation statistics. @module */
import { BctError } from "../errors.js";

/**
 * Input a validation statistic cannot be computed from: unequal lengths, too few pairs, NaN or
 * infinite values, an outcome that is not binary or has only one class, an invalid option.
 *
 * @example
 * ```ts
 * try { pearson([1, 2], [3, 4]); } catch (e) { if (e instanceof ValidationStatsError) console.error(e.message); }
 * ```
 */
export class ValidationStatsError extends BctError {
  override name = "ValidationStatsError";
}
