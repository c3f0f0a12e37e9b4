/**
 * Pixel values: stored samples -> true stored values (BitsStored masking, sign extension) -> HU
 * (RescaleSlope, RescaleIntercept) into the output array, which starts as Int16Array and becomes
 * Float32Array as soon as a value needs it.
 * @module
 */

/** Raw samples as they come from the file or a decoder. */
export type SampleArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array;

/** How to read the true stored value out of a raw sample. */
export interface SampleLayout {
  /** Number of significant bits (BitsStored, or the codestream precision). */
  bits: number;
  /** Bits to shift right first (HighBit + 1 - BitsStored for native data, else 0). */
  shift: number;
  /** Two's complement within `bits` (PixelRepresentation 1). */
  signed: boolean;
}

/**
 * Copy the true stored values of `samples` into `out` (Int32), masking to `bits` after `shift` and
 * sign-extending when signed. When the samples already hold exact values (a full-width word, or
 * a signed array from a decoder that applied the sign) they are copied as they are.
 */
export function storedValues(samples: SampleArray, layout: SampleLayout, out: Int32Array): void {
  const n = out.length;
  const width = samples.BYTES_PER_ELEMENT * 8;
  const { bits, shift, signed } = layout;
  const isSignedArray = samples instanceof Int8Array || samples instanceof Int16Array || samples instanceof Int32Array;
  if (shift === 0 && (bits >= width || (isSignedArray && signed))) {
    if (signed && !isSignedArray) {
      // Reinterpret full-width unsigned words as two's complement.
      const view =
        width === 8 ? new Int8Array(samples.buffer, samples.byteOffset, n)
        : width === 16 ? new Int16Array(samples.buffer, samples.byteOffset, n)
        : new Int32Array(samples.buffer, samples.byteOffset, n);
      out.set(view.subarray(0, n));
    } else {
      out.set(samples.subarray(0, n));
    }
    return;
  }
  const mask = bits >= 32 ? 0xffffffff : (1 << bits) - 1;
  if (signed) {
    const up = 32 - bits;
    for (let p = 0; p < n; p++) out[p] = (((samples[p] >>> shift) & mask) << up) >> up;
  } else {
    for (let p = 0; p < n; p++) out[p] = (samples[p] >>> shift) & mask;
  }
}

/** The HU output: Int16Array while every value fits, else Float32Array. */
export type HuArray = Int16Array | Float32Array;

/**
 * Writes slices of HU values into one output array. It starts as Int16Array when every slice's
 * slope and intercept are integers, and switches to Float32Array (copying what was written) the
 * first time a value is not an integer or does not fit in int16.
 */
export class HuWriter {
  data: HuArray;
  constructor(
    readonly voxelCount: number,
    integerRescale: boolean,
  ) {
    this.data = integerRescale ? new Int16Array(voxelCount) : new Float32Array(voxelCount);
  }

  private toFloat(): Float32Array {
    const f = new Float32Array(this.voxelCount);
    f.set(this.data);
    this.data = f;
    return f;
  }

  /** Write `stored * slope + intercept` for one slice starting at flat index `offset`. */
  writeSlice(stored: Int32Array, slope: number, intercept: number, offset: number): void {
    const n = stored.length;
    let out = this.data;
    if (out instanceof Int16Array) {
      if (!Number.isInteger(slope) || !Number.isInteger(intercept)) {
        out = this.toFloat();
      } else {
        let lo = Infinity, hi = -Infinity;
        for (let p = 0; p < n; p++) {
          const v = stored[p];
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        const a = lo * slope + intercept, b = hi * slope + intercept;
        if (Math.min(a, b) < -32768 || Math.max(a, b) > 32767) out = this.toFloat();
      }
    }
    if (slope === 1 && intercept === 0) {
      out.set(stored, offset);
      return;
    }
    if (out instanceof Int16Array) {
      for (let p = 0; p < n; p++) out[offset + p] = stored[p] * slope + intercept;
    } else {
      for (let p = 0; p < n; p++) out[offset + p] = stored[p] * slope + intercept;
    }
  }
}
