/**
 * Locating the Pixel Data element (7FE0,0010) in a data set's bytes and cutting it into frames.
 *
 * The walk skips every element by its length (recursing into undefined-length sequences), so it
 * finds the top-level pixel data even behind icon sequences, and it notices any element that runs
 * past the end of the file: a truncated file is reported, never silently zero-filled.
 * @module
 */
import { DicomError } from "./errors.js";
import type { PixelCodec } from "./transfer-syntax.js";

/** A byte range inside the data set. */
export interface ByteRange {
  offset: number;
  length: number;
}

/** Where the pixel data of a data set lies. */
export type PixelDataLocation =
  | { kind: "native"; value: ByteRange }
  | {
      kind: "encapsulated";
      /** Basic Offset Table entries (may be empty). */
      basicOffsets: number[];
      /** Extended Offset Table (7FE0,0001) entries, when present. */
      extendedOffsets?: number[];
      /** Offset of the first fragment's item tag: offsets of both tables count from here. */
      firstItemOffset: number;
      fragments: ByteRange[];
    };

/** The result of walking a data set. */
export interface DatasetWalk {
  /** Byte offset of the top-level Pixel Data element's tag (the data set length when absent). */
  headerEnd: number;
  pixelData?: PixelDataLocation;
}

const LONG_VRS = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]);
const UNDEFINED = 0xffffffff;
const ITEM = 0xfffee000;
const ITEM_END = 0xfffee00d;
const SEQUENCE_END = 0xfffee0dd;
const PIXEL_DATA = 0x7fe00010;
const EXTENDED_OFFSET_TABLE = 0x7fe00001;

class Walker {
  readonly view: DataView;
  readonly n: number;
  constructor(
    readonly bytes: Uint8Array,
    readonly le: boolean,
    readonly path: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.n = bytes.length;
  }

  truncated(what: string): DicomError {
    return new DicomError(`${this.path} is truncated or corrupt (${what}); re-export or re-copy the file`);
  }

  need(pos: number, count: number, what: string): void {
    if (pos + count > this.n) throw this.truncated(what);
  }

  tag(pos: number): number {
    return ((this.view.getUint16(pos, this.le) << 16) | this.view.getUint16(pos + 2, this.le)) >>> 0;
  }

  /** Element header at `pos`: tag, VR (explicit only), value length and value start. */
  header(pos: number, explicit: boolean): { tag: number; vr: string; length: number; value: number } {
    this.need(pos, 8, "an element header runs past the end of the file");
    const tag = this.tag(pos);
    if (tag >>> 16 === 0xfffe) {
      return { tag, vr: "", length: this.view.getUint32(pos + 4, this.le), value: pos + 8 };
    }
    if (!explicit) return { tag, vr: "", length: this.view.getUint32(pos + 4, this.le), value: pos + 8 };
    const vr = String.fromCharCode(this.bytes[pos + 4], this.bytes[pos + 5]);
    if (LONG_VRS.has(vr)) {
      this.need(pos, 12, "an element header runs past the end of the file");
      return { tag, vr, length: this.view.getUint32(pos + 8, this.le), value: pos + 12 };
    }
    if (!/^[A-Z]{2}$/.test(vr)) {
      throw this.truncated(`invalid value representation at byte ${pos} of the data set`);
    }
    return { tag, vr, length: this.view.getUint16(pos + 6, this.le), value: pos + 8 };
  }

  /** Skip the items of a sequence whose value starts at `pos`; returns the position after its delimiter. */
  skipSequence(pos: number, explicit: boolean): number {
    for (;;) {
      this.need(pos, 8, "a sequence ends without its delimiter");
      const tag = this.tag(pos);
      const length = this.view.getUint32(pos + 4, this.le);
      if (tag === SEQUENCE_END) return pos + 8;
      if (tag !== ITEM) throw this.truncated(`unexpected tag inside a sequence at byte ${pos}`);
      if (length === UNDEFINED) {
        pos = this.skipItem(pos + 8, explicit);
      } else {
        this.need(pos + 8, length, "a sequence item runs past the end of the file");
        pos += 8 + length;
      }
    }
  }

  /** Skip the elements of an undefined-length item; returns the position after its delimiter. */
  skipItem(pos: number, explicit: boolean): number {
    for (;;) {
      const h = this.header(pos, explicit);
      if (h.tag === ITEM_END) return h.value;
      pos = this.skipValue(h, explicit);
    }
  }

  skipValue(h: { tag: number; vr: string; length: number; value: number }, explicit: boolean): number {
    if (h.length === UNDEFINED) return this.skipSequence(h.value, explicit && h.vr !== "UN");
    this.need(h.value, h.length, `element (${hex4(h.tag >>> 16)},${hex4(h.tag & 0xffff)}) runs past the end of the file`);
    return h.value + h.length;
  }
}

function hex4(x: number): string {
  return x.toString(16).toUpperCase().padStart(4, "0");
}

/**
 * Walk the top level of a data set to its Pixel Data element.
 * @param explicit whether VRs are explicit (every syntax but implicit VR little endian)
 * @param littleEndian false only for explicit VR big endian
 * @throws DicomError when an element runs past the end of the bytes (truncated file).
 */
export function walkDataset(dataset: Uint8Array, explicit: boolean, littleEndian: boolean, path: string): DatasetWalk {
  const w = new Walker(dataset, littleEndian, path);
  let pos = 0;
  let extendedOffsets: number[] | undefined;
  while (pos < w.n) {
    const h = w.header(pos, explicit);
    if (h.tag === PIXEL_DATA) {
      if (h.length !== UNDEFINED) {
        w.need(h.value, h.length, `its pixel data needs ${h.length} bytes but the file ends ${w.n - h.value} bytes after it starts`);
        return { headerEnd: pos, pixelData: { kind: "native", value: { offset: h.value, length: h.length } } };
      }
      return { headerEnd: pos, pixelData: readEncapsulated(w, h.value, extendedOffsets) };
    }
    if (h.tag === EXTENDED_OFFSET_TABLE && h.length !== UNDEFINED && h.length % 8 === 0) {
      w.need(h.value, h.length, "the extended offset table runs past the end of the file");
      extendedOffsets = [];
      for (let p = h.value; p < h.value + h.length; p += 8) {
        extendedOffsets.push(Number(w.view.getBigUint64(p, littleEndian)));
      }
    }
    pos = w.skipValue(h, explicit);
  }
  return { headerEnd: w.n };
}

function readEncapsulated(w: Walker, pos: number, extendedOffsets: number[] | undefined): PixelDataLocation {
  w.need(pos, 8, "its encapsulated pixel data has no offset table item");
  if (w.tag(pos) !== ITEM) throw w.truncated("its encapsulated pixel data does not start with an item");
  const botLength = w.view.getUint32(pos + 4, w.le);
  w.need(pos + 8, botLength, "the basic offset table runs past the end of the file");
  const basicOffsets: number[] = [];
  for (let p = pos + 8; p + 4 <= pos + 8 + botLength; p += 4) basicOffsets.push(w.view.getUint32(p, w.le));
  pos += 8 + botLength;
  const firstItemOffset = pos;
  const fragments: ByteRange[] = [];
  for (;;) {
    w.need(pos, 8, "its encapsulated pixel data ends without the sequence delimiter");
    const tag = w.tag(pos);
    const length = w.view.getUint32(pos + 4, w.le);
    if (tag === SEQUENCE_END) break;
    if (tag !== ITEM || length === UNDEFINED) throw w.truncated(`unexpected tag in its encapsulated pixel data at byte ${pos}`);
    w.need(pos + 8, length, `pixel data fragment ${fragments.length + 1} runs past the end of the file`);
    fragments.push({ offset: pos + 8, length });
    pos += 8 + length;
  }
  return { kind: "encapsulated", basicOffsets, extendedOffsets, firstItemOffset, fragments };
}

function concat(bytes: Uint8Array, ranges: ByteRange[]): Uint8Array {
  if (ranges.length === 1) return bytes.subarray(ranges[0].offset, ranges[0].offset + ranges[0].length);
  let total = 0;
  for (const r of ranges) total += r.length;
  const out = new Uint8Array(total);
  let o = 0;
  for (const r of ranges) {
    out.set(bytes.subarray(r.offset, r.offset + r.length), o);
    o += r.length;
  }
  return out;
}

/** Whether a fragment starts a new compressed frame of this codec (used when no offset table exists). */
function startsFrame(b: Uint8Array, codec: PixelCodec): boolean {
  if (codec === "jpeg2000") {
    const j2c = b[0] === 0xff && b[1] === 0x4f && b[2] === 0xff && b[3] === 0x51;
    const jp2 = b[4] === 0x6a && b[5] === 0x50 && b[6] === 0x20 && b[7] === 0x20;
    return j2c || jp2;
  }
  if (codec === "jpeg-baseline" || codec === "jpeg-lossless" || codec === "jpeg-ls") return b[0] === 0xff && b[1] === 0xd8;
  return false;
}

/**
 * The encoded bytes of each frame of encapsulated pixel data (`numberOfFrames` entries), using the
 * extended or basic offset table when present, else one fragment per frame, else the codec's
 * start-of-codestream markers.
 * @throws DicomError when the fragments cannot be assigned to frames.
 */
export function encapsulatedFrames(
  dataset: Uint8Array,
  loc: Extract<PixelDataLocation, { kind: "encapsulated" }>,
  numberOfFrames: number,
  codec: PixelCodec,
  path: string,
): Uint8Array[] {
  const { fragments } = loc;
  if (fragments.length === 0) throw new DicomError(`${path} has encapsulated pixel data without any fragment`);
  if (numberOfFrames === 1) return [concat(dataset, fragments)];
  const table = loc.extendedOffsets?.length ? loc.extendedOffsets : loc.basicOffsets;
  let starts: number[] | undefined;
  if (table.length === numberOfFrames) {
    // Map each offset (relative to the first fragment's item tag) to its fragment index.
    const itemStart = new Map<number, number>();
    fragments.forEach((f, i) => itemStart.set(f.offset - 8 - loc.firstItemOffset, i));
    starts = table.map((o) => itemStart.get(o) ?? -1);
    if (starts.some((s, i) => s < 0 || (i > 0 && s <= starts![i - 1]))) {
      throw new DicomError(`${path} has an offset table that does not point at its pixel data fragments; the file is corrupt`);
    }
  } else if (fragments.length === numberOfFrames) {
    starts = fragments.map((_, i) => i);
  } else {
    starts = [];
    fragments.forEach((f, i) => {
      if (startsFrame(dataset.subarray(f.offset, f.offset + 8), codec)) starts!.push(i);
    });
    if (starts.length !== numberOfFrames || starts[0] !== 0) {
      throw new DicomError(
        `${path}: cannot split ${fragments.length} pixel data fragments into ${numberOfFrames} frames (no usable offset table)`,
      );
    }
  }
  return starts.map((s, i) => concat(dataset, fragments.slice(s, i + 1 < starts!.length ? starts![i + 1] : fragments.length)));
}
