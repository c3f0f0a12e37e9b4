/**
 * DICOM UIDs: new random UIDs under the "2.25" root (a UUID as a decimal integer, PS3.5 B.2).
 * @module
 */
import { randomUUID } from "node:crypto";

/**
 * A new globally unique DICOM UID.
 * @example
 * ```ts
 * newUid(); // "2.25.52083387979612982649316206807480673873"
 * ```
 */
export function newUid(): string {
  return `2.25.${BigInt(`0x${randomUUID().replace(/-/g, "")}`).toString()}`;
}

/** The Implementation Class UID of files written by bct (fixed, made once with {@link newUid}). */
export const BCT_IMPLEMENTATION_CLASS_UID = "2.25.52083387979612982649316206807480673873";
/** The Implementation Version Name of files written by bct. */
export const BCT_IMPLEMENTATION_VERSION = "BCT_0_1";
