import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { DicomError, readDicomSeries, writeDicomSeries } from "../../lib/io/dicom/index.js";
import { decodeRle } from "../../lib/io/dicom/rle.js";
import { createVolume, type Volume } from "../../lib/volume/volume.js";
import {
  ctFile,
  deflateFile,
  dropBasicOffsetTable,
  j2kEncode,
  jpegBaselineBlocks,
  jpegLosslessEncode,
  jpegLsEncode,
  pixelBuffer,
  readPart10,
  rleEncode,
  setEncapsulated,
  setSyntax,
  tempDir,
  TS,
  writePart10,
  type Part10,
  removeTempDirs,
} from "../fixtures/dicom/build.js";

afterAll(removeTempDirs);

/** Deterministic pseudo-random numbers in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A small int16 CT-like volume: smooth ramps, noise, flat runs and the int16 extremes. */
function testVolume(nx = 40, ny = 32, nz = 4): Volume<Int16Array> {
  const r = rng(7);
  const data = new Int16Array(nx * ny * nz);
  for (let k = 0, p = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, p++) {
        if (j < 4) data[p] = -1024; // a flat run (air)
        else if (j < 12) data[p] = Math.round(40 * i + 25 * k - 300);
        else data[p] = Math.round(r() * 4000 - 1000);
      }
    }
  }
  data[nx * 5] = -32768;
  data[nx * 5 + 1] = 32767;
  return createVolume({ dims: [nx, ny, nz], spacing: [0.75, 0.8, 1.5], origin: [-10.5, 20.25, 33], data });
}

/** Write `v` as a series, then re-encode every file with `recode` (its stored int16 slice given). */
async function recodedSeries(v: Volume<Int16Array>, recode: (p: Part10, stored: Int16Array, path: string) => Promise<void> | void): Promise<string> {
  const dir = tempDir();
  const paths = await writeDicomSeries(v, dir, { rescaleIntercept: 0 });
  for (const path of paths) {
    const p = readPart10(path);
    const stored = new Int16Array(pixelBuffer(p).slice(0));
    await recode(p, stored, path);
    writePart10(path, p);
  }
  return dir;
}

async function expectSameVolume(dir: string, v: Volume<Int16Array>, tsName: RegExp): Promise<string[]> {
  const { volume, series, warnings } = await readDicomSeries(dir);
  expect(series.transferSyntaxName).toMatch(tsName);
  expect(volume.dims).toEqual(v.dims);
  expect(volume.data).toBeInstanceOf(Int16Array);
  expect(Array.from(volume.data)).toEqual(Array.from(v.data));
  return warnings;
}

const u16 = (a: Int16Array) => new Uint16Array(a.buffer, a.byteOffset, a.length);

describe("RLE Lossless", () => {
  it("decodes our own PackBits encoding of an int16 series exactly", async () => {
    const v = testVolume();
    const dir = await recodedSeries(v, (p, stored) => setEncapsulated(p, TS.rle, [rleEncode(u16(stored), 2)]));
    await expectSameVolume(dir, v, /RLE/);
  });

  it("decodes 8-bit planes and rejects a frame with the wrong segment count", () => {
    const img = Uint8Array.from({ length: 12 * 5 }, (_, p) => (p < 20 ? 7 : (p * 37) % 256));
    const frame = rleEncode(img, 1);
    expect(Array.from(decodeRle(frame, 5, 12, 8, "x.dcm"))).toEqual(Array.from(img));
    expect(() => decodeRle(frame, 5, 12, 16, "x.dcm")).toThrow(/x\.dcm has corrupt RLE pixel data \(1 segments where 2/);
    const short = rleEncode(img.subarray(0, 30), 1);
    expect(() => decodeRle(short, 5, 12, 8, "y.dcm")).toThrow(/segment 1 decodes to 30 of 60 samples/);
  });
});

describe("WebAssembly codecs through the full reader", () => {
  it("JPEG 2000 lossless: OpenJPEG-encoded signed int16 slices decode exactly", async () => {
    const v = testVolume();
    const dir = await recodedSeries(v, async (p, stored) => setEncapsulated(p, TS.j2kLossless, [await j2kEncode(stored, 40, 32)]));
    await expectSameVolume(dir, v, /JPEG 2000/);
  });

  it("JPEG-LS lossless: CharLS-encoded slices (two's complement bit patterns) decode exactly", async () => {
    const v = testVolume();
    const dir = await recodedSeries(v, async (p, stored) => setEncapsulated(p, TS.jpegLs, [await jpegLsEncode(u16(stored), 40, 32)]));
    await expectSameVolume(dir, v, /JPEG-LS/);
  });
});

describe("JPEG lossless and baseline (bitstreams from independent encoders in the test)", () => {
  it("process 14 selection value 1 (.70 and .57), 16-bit signed", async () => {
    const v = testVolume();
    for (const uid of [TS.jpegLosslessSV1, TS.jpegLossless]) {
      const dir = await recodedSeries(v, (p, stored) => setEncapsulated(p, uid, [jpegLosslessEncode(u16(stored), 40, 32, 16)]));
      await expectSameVolume(dir, v, /JPEG Lossless/);
    }
  });

  it("process 14, 12-bit unsigned stored values with a rescale intercept", async () => {
    const dir = tempDir();
    const r = rng(3);
    const expected: number[] = [];
    for (let k = 0; k < 3; k++) {
      const img = Uint16Array.from({ length: 24 * 16 }, () => Math.floor(r() * 4096));
      expected.push(...Array.from(img, (s) => s - 1024));
      const p = ctFile({ rows: 16, columns: 24, position: [0, 0, 2 * k], bitsStored: 12, pixelRepresentation: 0, intercept: -1024, slope: 1 });
      setEncapsulated(p, TS.jpegLosslessSV1, [jpegLosslessEncode(img, 24, 16, 12)]);
      writePart10(join(dir, `s${k}.dcm`), p);
    }
    const { volume } = await readDicomSeries(dir);
    expect(volume.data).toBeInstanceOf(Int16Array);
    expect(Array.from(volume.data)).toEqual(expected);
  });

  it("JPEG baseline 8-bit (libjpeg-turbo) decodes a DC-only image exactly and warns that it is lossy", async () => {
    const dir = tempDir();
    const r = rng(11);
    const w = 32, h = 24;
    const expected: number[] = [];
    for (let k = 0; k < 2; k++) {
      const img = new Uint8Array(w * h);
      for (let by = 0; by < h; by += 8) {
        for (let bx = 0; bx < w; bx += 8) {
          const value = Math.floor(r() * 256);
          for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) img[(by + y) * w + bx + x] = value;
        }
      }
      expected.push(...Array.from(img, (s) => 2 * s - 100));
      const p = ctFile({ rows: h, columns: w, position: [0, 0, k], bitsAllocated: 8, pixelRepresentation: 0, slope: 2, intercept: -100 });
      setEncapsulated(p, TS.jpegBaseline, [jpegBaselineBlocks(img, w, h)]);
      writePart10(join(dir, `b${k}.dcm`), p);
    }
    const { volume, warnings } = await readDicomSeries(dir);
    expect(Array.from(volume.data)).toEqual(expected);
    expect(warnings.join("\n")).toMatch(/lossy compressed \(JPEG Baseline \(Process 1\)\): HU values are approximate/);
  });
});

describe("native encodings", () => {
  it("deflated explicit VR little endian", async () => {
    const v = testVolume();
    const dir = tempDir();
    for (const path of await writeDicomSeries(v, dir)) deflateFile(path);
    expect(readFileSync(join(dir, "IM0001.dcm")).includes(Buffer.from("1.2.840.10008.1.2.1.99"))).toBe(true);
    await expectSameVolume(dir, v, /Deflated/);
  });

  it("explicit VR big endian", async () => {
    const v = testVolume();
    const dir = await recodedSeries(v, (p, stored) => {
      setSyntax(p, TS.bigEndian);
      const be = new Uint8Array(stored.length * 2);
      const dv = new DataView(be.buffer);
      stored.forEach((s, q) => dv.setInt16(2 * q, s, false));
      p.dict["7FE00010"] = { vr: "OW", Value: [be.buffer] };
    });
    await expectSameVolume(dir, v, /Big Endian/);
  });

  it("implicit VR little endian, and a bare data set without preamble or meta group", async () => {
    const v = testVolume();
    const dir = await recodedSeries(v, (p) => setSyntax(p, TS.implicit));
    await expectSameVolume(dir, v, /Implicit VR Little Endian/);
    // Strip preamble, "DICM" and the meta group: an old-style bare data set.
    const path = join(dir, "IM0002.dcm");
    const bytes = readFileSync(path);
    const start = 144 + bytes.readUInt32LE(140);
    const bare = join(dir, "bare.raw");
    writeFileSync(bare, bytes.subarray(start));
    const { volume } = await readDicomSeries([bare]);
    const nxy = 40 * 32;
    expect(Array.from(volume.data)).toEqual(Array.from(v.data.subarray(nxy, 2 * nxy)));
  });

  it("encapsulated uncompressed (1.2.840.10008.1.2.1.98)", async () => {
    const v = testVolume();
    const dir = await recodedSeries(v, (p, stored) =>
      setEncapsulated(p, TS.encapsulatedUncompressed, [new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength)]),
    );
    await expectSameVolume(dir, v, /Encapsulated Uncompressed/);
  });

  it("masks BitsStored 12 (garbage in the high bits) and sign-extends signed 12-bit values", async () => {
    const dir = tempDir();
    // Unsigned 12-bit with overlay bits set above bit 11.
    const a = Uint16Array.from([0x0000, 0x0fff, 0xf123, 0x8800, 0x1001, 0x7abc]);
    writePart10(join(dir, "u0.dcm"), ctFile({ rows: 2, columns: 3, position: [0, 0, 0], bitsStored: 12, pixelRepresentation: 0, pixels: a }));
    writePart10(join(dir, "u1.dcm"), ctFile({ rows: 2, columns: 3, position: [0, 0, 1], bitsStored: 12, pixelRepresentation: 0, pixels: a }));
    let { volume } = await readDicomSeries(dir);
    expect(Array.from(volume.data.subarray(0, 6))).toEqual([0, 4095, 0x123, 0x800, 1, 0xabc]);
    // Signed 12-bit: 0xfff is -1, 0x800 is -2048, 0x7ff is 2047 (high nibble ignored).
    const dir2 = tempDir();
    const b = Uint16Array.from([0x0fff, 0x0800, 0x07ff, 0xa001, 0x0000, 0xfffe]);
    for (let k = 0; k < 2; k++) {
      writePart10(join(dir2, `s${k}.dcm`), ctFile({ rows: 2, columns: 3, position: [0, 0, k], bitsStored: 12, pixelRepresentation: 1, pixels: b }));
    }
    ({ volume } = await readDicomSeries(dir2));
    expect(Array.from(volume.data.subarray(0, 6))).toEqual([-1, -2048, 2047, 1, 0, -2]);
  });
});

describe("HU output type", () => {
  it("is Float32 for a non-integer slope, Int16 otherwise", async () => {
    const dir = tempDir();
    const px = Int16Array.from([0, 1, 2, 3, -5, 100]);
    for (let k = 0; k < 2; k++) {
      writePart10(join(dir, `f${k}.dcm`), ctFile({ rows: 2, columns: 3, position: [0, 0, k], slope: 0.5, intercept: -10, pixels: px }));
    }
    const { volume } = await readDicomSeries(dir);
    expect(volume.data).toBeInstanceOf(Float32Array);
    expect(Array.from(volume.data.subarray(0, 6))).toEqual([-10, -9.5, -9, -8.5, -12.5, 40]);
  });

  it("switches to Float32 mid-volume when a later slice leaves the int16 range, keeping earlier slices", async () => {
    const dir = tempDir();
    const small = Uint16Array.from([0, 10, 20, 30]);
    const large = Uint16Array.from([0, 1000, 60000, 65535]);
    const slices = [small, small, large];
    slices.forEach((px, k) =>
      writePart10(join(dir, `g${k}.dcm`), ctFile({ rows: 2, columns: 2, position: [0, 0, k], pixelRepresentation: 0, intercept: -1024, slope: 1, pixels: px })),
    );
    const { volume } = await readDicomSeries(dir);
    expect(volume.data).toBeInstanceOf(Float32Array);
    expect(Array.from(volume.data)).toEqual([...small, ...small, ...large].map((s) => s - 1024));
  });
});

describe("Enhanced CT (multi-frame, functional groups)", () => {
  const el = (vr: string, ...values: unknown[]) => ({ vr, Value: values });
  const positions = [3, 0, 2, 1].map((k) => [5, -7.5, 10 + 2.5 * k]); // frames out of spatial order

  function enhanced(frames: Int16Array[], intercepts: (number | undefined)[]): Part10 {
    const perFrame = positions.map((pos, f) => {
      const item: Record<string, unknown> = { "00209113": el("SQ", { "00200032": el("DS", ...pos) }) };
      if (intercepts[f] !== undefined) item["00289145"] = el("SQ", { "00281052": el("DS", intercepts[f]), "00281053": el("DS", 1) });
      return item;
    });
    const shared = {
      "00289110": el("SQ", { "00280030": el("DS", 0.6, 0.4), "00180050": el("DS", 2.5) }),
      "00209116": el("SQ", { "00200037": el("DS", 1, 0, 0, 0, 1, 0) }),
      "00289145": el("SQ", { "00281052": el("DS", -1000), "00281053": el("DS", 1) }),
    };
    const all = new Int16Array(frames.length * frames[0].length);
    frames.forEach((f, i) => all.set(f, i * f.length));
    const p = ctFile({
      rows: 3,
      columns: 4,
      position: [],
      sopClassUid: "1.2.840.10008.5.1.4.1.1.2.1",
      numberOfFrames: frames.length,
      pixels: all,
      extra: { "52009229": el("SQ", shared) as never, "52009230": el("SQ", ...perFrame) as never },
    });
    delete p.dict["00200037"];
    delete p.dict["00280030"];
    return p;
  }

  const frames = [0, 1, 2, 3].map((f) => Int16Array.from({ length: 12 }, (_, q) => 100 * f + q));

  it("reads per-frame positions and rescale with shared-group fallback, sorted along the normal", async () => {
    const dir = tempDir();
    writePart10(join(dir, "enhanced.dcm"), enhanced(frames, [undefined, -500, undefined, undefined]));
    const { volume, series, warnings } = await readDicomSeries(dir);
    expect(volume.dims).toEqual([4, 3, 4]);
    expect(volume.spacing).toEqual([0.4, 0.6, 2.5]);
    expect(volume.origin).toEqual([5, -7.5, 10]);
    expect(series.sliceCount).toBe(4);
    // k order: frames at z = 10, 12.5, 15, 17.5 are frames 1, 3, 2, 0; frame 1 has intercept -500.
    const expected = [1, 3, 2, 0].flatMap((f) => Array.from(frames[f], (s) => s + (f === 1 ? -500 : -1000)));
    expect(Array.from(volume.data)).toEqual(expected);
    expect(warnings.join("\n")).toMatch(/vary between slices/);
  });

  it("splits JPEG 2000 frames without a Basic Offset Table (one or several fragments per frame)", async () => {
    // Small frames: one fragment each.
    const dir = tempDir();
    const p = enhanced(frames, [undefined, undefined, undefined, undefined]);
    setEncapsulated(p, TS.j2kLossless, await Promise.all(frames.map((f) => j2kEncode(f, 4, 3))));
    writePart10(join(dir, "mf.dcm"), p);
    dropBasicOffsetTable(join(dir, "mf.dcm"));
    const { volume } = await readDicomSeries(dir);
    expect(Array.from(volume.data)).toEqual([1, 3, 2, 0].flatMap((f) => Array.from(frames[f], (s) => s - 1000)));

    // Noisy 128x128 frames: their codestreams exceed one 20 kB fragment, so frames must be found by their markers.
    const r = rng(5);
    const big = [0, 1, 2, 3].map(() => Int16Array.from({ length: 128 * 128 }, () => Math.floor(r() * 65536) - 32768));
    const q = enhanced(frames, [undefined, undefined, undefined, undefined]);
    q.dict["00280010"] = el("US", 128);
    q.dict["00280011"] = el("US", 128);
    const encoded = await Promise.all(big.map((f) => j2kEncode(f, 128, 128)));
    expect(encoded[0].length).toBeGreaterThan(20 * 1024);
    setEncapsulated(q, TS.j2kLossless, encoded);
    const dir2 = tempDir();
    writePart10(join(dir2, "mf.dcm"), q);
    dropBasicOffsetTable(join(dir2, "mf.dcm"));
    const res = await readDicomSeries(dir2);
    expect(res.volume.data).toBeInstanceOf(Float32Array); // -32768 - 1000 leaves int16
    const nxy = 128 * 128;
    [1, 3, 2, 0].forEach((f, k) => {
      const got = res.volume.data.subarray(k * nxy, (k + 1) * nxy);
      expect(got.every((x, i) => x === big[f][i] - 1000)).toBe(true);
    });
  });
});

describe("codec errors", () => {
  it("names the file when a codestream is corrupt", async () => {
    const v = testVolume(16, 8, 2);
    const dir = await recodedSeries(v, async (p, stored) => {
      const j = await j2kEncode(stored, 16, 8);
      j.fill(0x55, 20, j.length - 2); // keep the main header, destroy the data
      setEncapsulated(p, TS.j2kLossless, [j]);
    });
    const err = await readDicomSeries(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DicomError);
    expect((err as Error).message).toMatch(/IM0001\.dcm: JPEG 2000 decoding failed .*the file may be corrupt/);
  });

  it("rejects a JPEG frame whose size differs from Rows x Columns", async () => {
    const dir = tempDir();
    const img = new Uint8Array(16 * 8).fill(90);
    for (let k = 0; k < 2; k++) {
      const p = ctFile({ rows: 8, columns: 8, position: [0, 0, k], bitsAllocated: 8, pixelRepresentation: 0 });
      setEncapsulated(p, TS.jpegBaseline, [jpegBaselineBlocks(img, 16, 8)]);
      writePart10(join(dir, `c${k}.dcm`), p);
    }
    await expect(readDicomSeries(dir)).rejects.toThrow(/c0\.dcm: the JPEG frame is 16x8 but the header says 8x8/);
  });
});

/** CRC-32 (IEEE), as the decoder package's own tests use. */
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

const thirdParty = resolve(dirname(fileURLToPath(import.meta.url)), "../../node_modules/jpeg-lossless-decoder-js/tests/data");
describe.skipIf(!existsSync(thirdParty))("third-party JPEG lossless files (jpeg-lossless-decoder-js test data, an MR image)", () => {
  it("decodes predictors 1 to 7 to the same 16-bit image, with the CRC the package's tests expect", async () => {
    const crcs: number[] = [];
    for (let sel = 1; sel <= 7; sel++) {
      const { volume, series } = await readDicomSeries([join(thirdParty, `jpeg_lossless_sel${sel}.dcm`)]);
      expect(volume.dims).toEqual([256, 256, 1]);
      expect(series.transferSyntaxUid).toBe(TS.jpegLossless);
      crcs.push(crc32(new Uint8Array(volume.data.buffer, volume.data.byteOffset, volume.data.byteLength)));
    }
    expect(crcs).toEqual(new Array(7).fill(3476557349));
  });
});
