/**
 * Decoding one frame of pixel data, native or compressed, into true stored values.
 *
 * The WebAssembly codecs (OpenJPEG for JPEG 2000 and HTJ2K, CharLS for JPEG-LS, libjpeg-turbo for
 * 8-bit JPEG) are loaded on first use, once per process; JPEG lossless uses
 * jpeg-lossless-decoder-js and RLE the decoder of `rle.ts`.
 * @module
 */
import { createRequire } from "node:module";
import { DicomError } from "./errors.js";
import { decodeRle } from "./rle.js";
import type { PixelCodec } from "./transfer-syntax.js";
import { storedValues, type SampleArray, type SampleLayout } from "./values.js";

/** The pixel format of a frame, from the instance header. */
export interface FrameFormat {
  rows: number;
  columns: number;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  /** 0 unsigned, 1 two's complement. */
  pixelRepresentation: number;
}

interface WasmFrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
}

interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  getFrameInfo(): WasmFrameInfo;
  delete(): void;
}

type WasmModule = Record<string, new () => WasmDecoder>;
type WasmFactory = (moduleArg: object) => Promise<WasmModule>;

interface LosslessDecoder {
  decode(buffer: ArrayBuffer, offset: number, length: number): Uint8Array | Uint16Array;
  frame: { dimX: number; dimY: number; numComp: number; precision: number };
}

const requireCjs = createRequire(import.meta.url);

interface LoadedWasm {
  module: WasmModule;
  /** What the codec printed to stderr since the last clear (its error reasons). */
  log: string[];
}
const wasmModules = new Map<string, Promise<LoadedWasm>>();

/** Load (once) the WebAssembly module `specifier`, its console output captured instead of printed. */
function loadWasm(specifier: string, label: string): Promise<LoadedWasm> {
  let p = wasmModules.get(specifier);
  if (!p) {
    p = (async () => {
      const factory = requireCjs(specifier) as WasmFactory;
      const log: string[] = [];
      const keep = (line: string) => {
        if (log.length < 20) log.push(String(line).trim());
      };
      // Each instance needs its own module object (Emscripten registers its classes on it).
      const module = await factory({ print: keep, printErr: keep });
      return { module, log };
    })().catch((e: unknown) => {
      wasmModules.delete(specifier);
      throw new DicomError(`could not load the ${label} decoder (${specifier}): ${(e as Error)?.message ?? String(e)}`);
    });
    wasmModules.set(specifier, p);
  }
  return p;
}

function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === "number") return `decoder error code ${e}`;
  return String(e);
}

/** Raw words of native little-endian pixel data, as an aligned typed array of `n` samples. */
function nativeSamples(bytes: Uint8Array, bitsAllocated: number, n: number): SampleArray {
  const width = bitsAllocated / 8;
  const aligned = bytes.byteOffset % width === 0 ? bytes : bytes.slice(0, n * width);
  if (width === 1) return new Uint8Array(aligned.buffer, aligned.byteOffset, n);
  if (width === 2) return new Uint16Array(aligned.buffer, aligned.byteOffset, n);
  return new Uint32Array(aligned.buffer, aligned.byteOffset, n);
}

function swapBytes(bytes: Uint8Array, width: number, n: number): Uint8Array {
  const out = new Uint8Array(n * width);
  for (let p = 0; p < n * width; p += width) {
    for (let b = 0; b < width; b++) out[p + b] = bytes[p + width - 1 - b];
  }
  return out;
}

/** Check that a decoder's frame matches the header. */
function checkFrame(info: { width: number; height: number; components: number }, fmt: FrameFormat, where: string, codecName: string): void {
  if (info.components !== 1) {
    throw new DicomError(`${where}: the ${codecName} frame has ${info.components} components; only single-component (grey) images are CT`);
  }
  if (info.width !== fmt.columns || info.height !== fmt.rows) {
    throw new DicomError(
      `${where}: the ${codecName} frame is ${info.width}x${info.height} but the header says ${fmt.columns}x${fmt.rows} (Columns x Rows); the file is corrupt`,
    );
  }
}

async function decodeWithWasm(
  specifier: string,
  className: string,
  codecName: string,
  encoded: Uint8Array,
  fmt: FrameFormat,
  where: string,
  out: Int32Array,
  layoutFor: (info: WasmFrameInfo) => SampleLayout,
): Promise<void> {
  const { module, log } = await loadWasm(specifier, codecName);
  const decoder = new module[className]();
  log.length = 0;
  const failed = (reason: string) => {
    const said = log.filter((l) => /error|fail|invalid|corrupt|truncat/i.test(l));
    return new DicomError(
      `${where}: ${codecName} decoding failed (${reason}${said.length ? `: ${said.slice(-2).join("; ")}` : ""}); the file may be corrupt`,
    );
  };
  try {
    try {
      decoder.getEncodedBuffer(encoded.length).set(encoded);
      decoder.decode();
    } catch (e) {
      throw failed(errorText(e));
    }
    const info = decoder.getFrameInfo();
    if (!(info.width > 0 && info.height > 0 && info.componentCount > 0)) throw failed("no image was decoded");
    checkFrame({ width: info.width, height: info.height, components: info.componentCount }, fmt, where, codecName);
    const decoded = decoder.getDecodedBuffer();
    const n = out.length;
    const bytesPerSample = info.bitsPerSample <= 8 ? 1 : 2;
    if (decoded.byteLength < n * bytesPerSample) {
      throw new DicomError(`${where}: the ${codecName} decoder returned ${decoded.byteLength} bytes for ${n} pixels; the file is corrupt`);
    }
    const signedArray = info.isSigned === true;
    const samples: SampleArray =
      bytesPerSample === 1
        ? signedArray ? new Int8Array(decoded.buffer, decoded.byteOffset, n) : new Uint8Array(decoded.buffer, decoded.byteOffset, n)
        : signedArray ? new Int16Array(decoded.buffer, decoded.byteOffset, n) : new Uint16Array(decoded.buffer, decoded.byteOffset, n);
    // Copy out of WebAssembly memory before the decoder is deleted.
    storedValues(samples, layoutFor(info), out);
  } finally {
    decoder.delete();
  }
}

/**
 * Decode one frame into `out` (Int32Array of rows*columns true stored values: masked to BitsStored
 * and sign-extended when PixelRepresentation is 1). Rescale is not applied here.
 * @param encoded the frame's bytes (native samples, or one compressed codestream)
 * @param where "file" or "file frame N", for messages
 * @param notes collects one-off remarks (e.g. a signedness mismatch), for warnings
 * @throws DicomError when decoding fails or the frame does not match the header.
 */
export async function decodeFrame(
  codec: PixelCodec,
  encoded: Uint8Array,
  fmt: FrameFormat,
  out: Int32Array,
  where: string,
  notes: Set<string>,
): Promise<void> {
  const n = fmt.rows * fmt.columns;
  if (out.length !== n) throw new RangeError(`output holds ${out.length} values for a ${fmt.columns}x${fmt.rows} frame`);
  const signed = fmt.pixelRepresentation === 1;
  const nativeLayout: SampleLayout = { bits: fmt.bitsStored, shift: fmt.highBit + 1 - fmt.bitsStored, signed };
  // Compressed samples are right-aligned: HighBit does not apply.
  const codestreamLayout: SampleLayout = { bits: fmt.bitsStored, shift: 0, signed };
  const width = fmt.bitsAllocated / 8;

  switch (codec) {
    case "native":
    case "encapsulated-native":
    case "native-big-endian": {
      if (encoded.length < n * width) {
        throw new DicomError(`${where} is truncated or corrupt (its frame has ${encoded.length} bytes of pixel data, ${n * width} needed)`);
      }
      const bytes = codec === "native-big-endian" && width > 1 ? swapBytes(encoded, width, n) : encoded;
      storedValues(nativeSamples(bytes, fmt.bitsAllocated, n), nativeLayout, out);
      return;
    }
    case "rle": {
      storedValues(decodeRle(encoded, fmt.rows, fmt.columns, fmt.bitsAllocated, where), nativeLayout, out);
      return;
    }
    case "jpeg2000":
      return decodeWithWasm("@cornerstonejs/codec-openjpeg/decodewasmjs", "J2KDecoder", "JPEG 2000", encoded, fmt, where, out, (info) => {
        if (info.isSigned) {
          if (!signed) notes.add("the JPEG 2000 codestream is signed but PixelRepresentation is 0; the codestream's signed values were used");
          return { bits: 32, shift: 0, signed: true };
        }
        if (signed) notes.add("the JPEG 2000 codestream is unsigned but PixelRepresentation is 1; values were sign-extended from BitsStored");
        return codestreamLayout;
      });
    case "jpeg-ls":
      return decodeWithWasm("@cornerstonejs/codec-charls/decodewasmjs", "JpegLSDecoder", "JPEG-LS", encoded, fmt, where, out, () => codestreamLayout);
    case "jpeg-baseline":
      if (fmt.bitsStored > 8) {
        throw new DicomError(`${where}: ${fmt.bitsStored}-bit lossy JPEG (process 4) is not supported; only 8-bit JPEG baseline is`);
      }
      return decodeWithWasm("@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs", "JPEGDecoder", "JPEG", encoded, fmt, where, out, () => codestreamLayout);
    case "jpeg-lossless": {
      const { Decoder } = requireCjs("jpeg-lossless-decoder-js") as { Decoder: new () => LosslessDecoder };
      const decoder = new Decoder();
      let samples: Uint8Array | Uint16Array;
      try {
        samples = decoder.decode(encoded.buffer as ArrayBuffer, encoded.byteOffset, encoded.length);
      } catch (e) {
        throw new DicomError(`${where}: JPEG lossless decoding failed (${errorText(e)}); the file may be corrupt`);
      }
      checkFrame({ width: decoder.frame.dimX, height: decoder.frame.dimY, components: decoder.frame.numComp }, fmt, where, "JPEG lossless");
      if (samples.length < n) throw new DicomError(`${where}: the JPEG lossless frame decodes to ${samples.length} of ${n} pixels`);
      storedValues(samples, codestreamLayout, out);
      return;
    }
  }
}
