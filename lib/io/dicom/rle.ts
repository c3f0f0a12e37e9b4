/**
 * RLE Lossless decoding (DICOM PS3.5 Annex G): a 64-byte header with up to 15 segment offsets,
 * then one PackBits-coded segment per byte plane, most significant byte plane first.
 * @module
 */
import { DicomError } from "./errors.js";

/**
 * Decode one RLE frame of single-sample pixels into a new array of `rows * columns` samples
 * (Uint8Array for 8 bits allocated, Uint16Array for 16, Uint32Array for 32), in platform
 * (little-endian) byte order.
 * @example
 * ```ts
 * const samples = decodeRle(frameBytes, 512, 512, 16, "ct.dcm"); // Uint16Array of stored words
 * ```
 * @throws DicomError when the frame is malformed or decodes to too few bytes.
 */
export function decodeRle(
  frame: Uint8Array,
  rows: number,
  columns: number,
  bitsAllocated: number,
  path: string,
): Uint8Array | Uint16Array | Uint32Array {
  const bytesPerSample = bitsAllocated / 8;
  if (![1, 2, 4].includes(bytesPerSample)) {
    throw new DicomError(`${path}: RLE with BitsAllocated ${bitsAllocated} is not supported (8, 16 or 32 only)`);
  }
  const n = rows * columns;
  const corrupt = (what: string) => new DicomError(`${path} has corrupt RLE pixel data (${what})`);
  if (frame.length < 64) throw corrupt("the frame is shorter than its 64-byte header");
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = view.getUint32(0, true);
  if (segments !== bytesPerSample) {
    throw corrupt(`${segments} segments where ${bytesPerSample} byte planes of a ${bitsAllocated}-bit single-sample image are expected`);
  }
  const offsets: number[] = [];
  for (let s = 0; s < segments; s++) offsets.push(view.getUint32(4 + 4 * s, true));
  offsets.push(frame.length);
  const out = new Uint8Array(n * bytesPerSample);
  for (let s = 0; s < segments; s++) {
    let src = offsets[s];
    const end = offsets[s + 1];
    if (src < 64 || end > frame.length || end < src) throw corrupt(`segment ${s + 1} offset ${src} is out of range`);
    // Byte plane s is the (bytesPerSample - 1 - s)-th byte of each little-endian sample.
    const stride = bytesPerSample;
    let dst = bytesPerSample - 1 - s;
    const dstEnd = n * stride;
    while (src < end && dst < dstEnd) {
      const h = frame[src++];
      if (h < 128) {
        // Literal run of h + 1 bytes.
        const count = h + 1;
        if (src + count > end) throw corrupt(`segment ${s + 1} has a literal run past its end`);
        for (let c = 0; c < count && dst < dstEnd; c++, dst += stride) out[dst] = frame[src + c];
        src += count;
      } else if (h > 128) {
        // Replicate the next byte 257 - h times.
        if (src >= end) throw corrupt(`segment ${s + 1} has a replicate run past its end`);
        const value = frame[src++];
        for (let c = 257 - h; c > 0 && dst < dstEnd; c--, dst += stride) out[dst] = value;
      }
      // h === 128: no operation.
    }
    if (dst < dstEnd) {
      throw corrupt(`segment ${s + 1} decodes to ${Math.floor(dst / stride)} of ${n} samples`);
    }
  }
  return bytesPerSample === 1 ? out : bytesPerSample === 2 ? new Uint16Array(out.buffer) : new Uint32Array(out.buffer);
}
