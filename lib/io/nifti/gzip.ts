/**
 * gzip for .nii.gz, with node:zlib (synchronous: a NIfTI file is one buffer).
 * @module
 */
import { gunzipSync, gzipSync } from "node:zlib";
import { NiftiError } from "./errors.js";

/**
 * True when `bytes` start with the gzip magic 1f 8b.
 * @example
 * ```ts
 * isGzip(readFileSync("scan.nii.gz")); // true
 * ```
 */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Decompress gzip data.
 * @param name the file name, for messages.
 * @throws NiftiError when the stream is corrupt or cut short.
 * @example
 * ```ts
 * const nii = gunzip(readFileSync("scan.nii.gz"), "scan.nii.gz");
 * ```
 */
export function gunzip(bytes: Uint8Array, name: string): Uint8Array {
  try {
    return gunzipSync(bytes);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new NiftiError(`${name}: the gzip data is corrupt or truncated (${why}); re-export or re-download the file`);
  }
}

/**
 * Compress with gzip (zlib level 6).
 * @example
 * ```ts
 * writeFileSync("scan.nii.gz", gzip(niftiBuffer(ct)));
 * ```
 */
export function gzip(bytes: Uint8Array): Uint8Array {
  return gzipSync(bytes, { level: 6 });
}
