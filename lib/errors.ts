/**
 * The base error of bct. Every stage throws a subclass with a message a user can act on; the CLI
 * prints `error: <message>` (no stack trace) and exits non-zero for any `BctError`.
 * @module
 */
export class BctError extends Error {
  override name = "BctError";
}
