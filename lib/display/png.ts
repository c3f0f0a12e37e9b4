/**
 * A small PNG encoder (8-bit grey, grey+alpha, RGB or RGBA; no interlace) on `node:zlib`, so
 * images need no canvas or native dependency. Each row is filtered with the PNG filter (None, Sub
 * or Up) whose output has the smallest sum of absolute values (the heuristic of the PNG spec,
 * section 12.8), which keeps CT slices small.
 *
 * @example
 * ```ts
 * import { encodePng } from "bct/lib/display/png";
 * const png = encodePng({ width: 2, height: 1, channels: 1, data: new Uint8Array([0, 255]) });
 * png.subarray(1, 4).toString(); // "PNG"
 * ```
 * @module
 */
import { deflateSync } from "node:zlib";
import { DisplayError } from "./errors.js";

/** Raw 8-bit pixels, row-major from the top-left, channels interleaved. */
export interface RawImage {
  width: number;
  height: number;
  /** 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA. */
  channels: 1 | 2 | 3 | 4;
  data: Uint8Array;
}

const COLOR_TYPE: Record<RawImage["channels"], number> = { 1: 0, 2: 4, 3: 2, 4: 6 };

let crcTable: Uint32Array | null = null;

/** CRC-32 (ISO 3309, as PNG uses) of `bytes`. */
export function crc32(bytes: Uint8Array, start = 0xffffffff): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = start;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, body: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.write(type, 4, "latin1");
  out.set(body, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length);
  return out;
}

/**
 * Encode `img` as PNG.
 * @throws DisplayError when the size is not positive integers or `data` has the wrong length.
 */
export function encodePng(img: RawImage): Buffer {
  const { width, height, channels, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new DisplayError(`PNG size must be positive integers, got ${width}x${height}`);
  }
  if (!(channels in COLOR_TYPE)) throw new DisplayError(`PNG channels must be 1, 2, 3 or 4, got ${channels}`);
  const stride = width * channels;
  if (data.length !== stride * height) {
    throw new DisplayError(`PNG data has ${data.length} bytes but ${width}x${height}x${channels} needs ${stride * height}`);
  }
  const filtered = new Uint8Array((stride + 1) * height);
  const cand = [new Uint8Array(stride), new Uint8Array(stride), new Uint8Array(stride)];
  for (let y = 0; y < height; y++) {
    const row = data.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? data.subarray((y - 1) * stride, y * stride) : null;
    let best = 0;
    let bestCost = Infinity;
    for (let f = 0; f < 3; f++) {
      const out = cand[f];
      let cost = 0;
      for (let x = 0; x < stride; x++) {
        const pred = f === 0 ? 0 : f === 1 ? (x >= channels ? row[x - channels] : 0) : prev ? prev[x] : 0;
        const v = (row[x] - pred) & 0xff;
        out[x] = v;
        cost += v < 128 ? v : 256 - v;
      }
      if (cost < bestCost) {
        bestCost = cost;
        best = f;
      }
    }
    filtered[y * (stride + 1)] = best; // 0 None, 1 Sub, 2 Up
    filtered.set(cand[best], y * (stride + 1) + 1);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = COLOR_TYPE[channels];
  // compression 0, filter method 0, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(filtered, { level: 6 })),
    chunk("IEND", new Uint8Array(0)),
  ]);
}
