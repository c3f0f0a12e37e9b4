import { crc32 as zlibCrc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { crc32, encodePng } from "../../lib/display/png.js";
import { DisplayError } from "../../lib/display/errors.js";
import { decodePng } from "./png-decode.js";

describe("encodePng", () => {
  it("round-trips grey, RGB and RGBA pixels (the decoder checks CRCs with zlib's crc32)", () => {
    for (const channels of [1, 2, 3, 4] as const) {
      const width = 37, height = 23;
      const data = new Uint8Array(width * height * channels);
      for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i % 13) * 31) & 0xff;
      const png = encodePng({ width, height, channels, data });
      const d = decodePng(png);
      expect([d.width, d.height, d.channels]).toEqual([width, height, channels]);
      expect(d.chunks).toEqual(["IHDR", "IDAT", "IEND"]);
      expect(Buffer.from(d.data).equals(Buffer.from(data))).toBe(true);
    }
  });

  it("compresses smooth images well (row filters chosen)", () => {
    const width = 256, height = 256;
    const data = new Uint8Array(width * height);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = (x + y) & 0xff;
    expect(encodePng({ width, height, channels: 1, data }).length).toBeLessThan(4000);
  });

  it("has a CRC-32 equal to zlib's", () => {
    const bytes = new TextEncoder().encode("IHDR bone strength");
    expect(crc32(bytes)).toBe(zlibCrc32(bytes));
  });

  it("rejects inconsistent sizes", () => {
    expect(() => encodePng({ width: 2, height: 2, channels: 3, data: new Uint8Array(11) })).toThrow(DisplayError);
    expect(() => encodePng({ width: 0, height: 2, channels: 1, data: new Uint8Array(0) })).toThrow(/positive integers/);
  });
});
