/** Bad input and bad write requests: each gives a NiftiError with a message a user can act on. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, test } from "vitest";
import { BctError } from "../../lib/errors.js";
import { NiftiError, niftiBuffer, readNifti, readNiftiBuffer, writeNifti } from "../../lib/io/nifti/index.js";
import { createVolume } from "../../lib/volume/index.js";

const tmp = mkdtempSync(path.join(tmpdir(), "bct-nifti-err-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function small(): Uint8Array {
  const data = new Int32Array(24).map((_, p) => p * 10 - 50);
  return niftiBuffer(createVolume({ dims: [4, 3, 2], spacing: [1, 2, 3], data }));
}

function readError(f: () => unknown): NiftiError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(NiftiError);
    expect(e).toBeInstanceOf(BctError);
    return e as NiftiError;
  }
  throw new Error("expected a NiftiError, nothing was thrown");
}

describe("not NIfTI", () => {
  test("a text file", () => {
    const file = path.join(tmp, "notes.nii");
    writeFileSync(file, "patient notes: left femur, 72 y\n".repeat(20));
    expect(readError(() => readNifti(file)).message).toBe(
      `${file} is not a NIfTI file: it should start with the header size 348 (NIfTI-1) or 540 (NIfTI-2)`,
    );
  });

  test("random bytes", () => {
    let seed = 12345;
    const bytes = new Uint8Array(4096).map(() => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) >> 16) & 255);
    expect(readError(() => readNiftiBuffer(bytes, { name: "noise.bin" })).message).toMatch(/^noise\.bin is not a NIfTI file/);
  });

  test("a DICOM file gets a hint", () => {
    const bytes = new Uint8Array(600);
    bytes.set([0x44, 0x49, 0x43, 0x4d], 128); // "DICM"
    expect(readError(() => readNiftiBuffer(bytes, { name: "IM0001" })).message).toMatch(/looks like a DICOM file/);
  });

  test("a .hdr of a .hdr/.img pair", () => {
    const bytes = small().slice(0, 348);
    bytes.set([0x6e, 0x69, 0x31, 0], 344); // "ni1"
    expect(readError(() => readNiftiBuffer(bytes, { name: "brain.hdr" })).message).toMatch(/\.hdr\/\.img pair/);
  });

  test("ANALYZE 7.5 (no magic)", () => {
    const bytes = small();
    bytes.set([0, 0, 0, 0], 344);
    expect(readError(() => readNiftiBuffer(bytes, { name: "old.img" })).message).toMatch(/without the NIfTI magic "n\+1"/);
  });

  test("a missing file", () => {
    const file = path.join(tmp, "nope.nii.gz");
    expect(readError(() => readNifti(file)).message).toBe(`cannot read ${file}: no such file`);
  });
});

describe("truncated", () => {
  test("cut inside the header", () => {
    const bytes = small().slice(0, 200);
    expect(readError(() => readNiftiBuffer(bytes, { name: "cut.nii" })).message).toBe(
      "cut.nii is truncated: it has 200 bytes but a NIfTI-1 header alone needs 348",
    );
  });

  test("cut inside the voxel data", () => {
    const bytes = small().slice(0, 352 + 50);
    expect(readError(() => readNiftiBuffer(bytes, { name: "cut.nii" })).message).toBe(
      "cut.nii: header says 4x3x2 int32 = 96 bytes but the file has 50 bytes of voxel data (after offset 352): the file is truncated or its header is wrong",
    );
  });

  test("dims claiming more data than the file holds", () => {
    const bytes = small();
    const view = new DataView(bytes.buffer);
    view.setInt16(42, 122, true); // dim[1]
    view.setInt16(44, 101, true); // dim[2]
    view.setInt16(46, 112, true); // dim[3]
    const file = path.join(tmp, "liar.nii");
    writeFileSync(file, bytes);
    expect(readError(() => readNifti(file)).message).toBe(
      `${file}: header says 122x101x112 int32 = ${122 * 101 * 112 * 4} bytes but the file has 96 bytes of voxel data (after offset 352): the file is truncated or its header is wrong`,
    );
  });

  test("a header with a zero dimension", () => {
    const bytes = small();
    new DataView(bytes.buffer).setInt16(44, 0, true);
    expect(readError(() => readNiftiBuffer(bytes, { name: "z.nii" })).message).toMatch(/dim\[2\] = 0/);
  });
});

describe("corrupt gzip", () => {
  test("damaged deflate stream", () => {
    const gz = gzipSync(small());
    for (let p = 20; p < gz.length - 8; p += 3) gz[p] ^= 0x5a;
    const file = path.join(tmp, "bad.nii.gz");
    writeFileSync(file, gz);
    expect(readError(() => readNifti(file)).message).toMatch(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: the gzip data is corrupt or truncated \\(.+\\); re-export or re-download the file$`),
    );
  });

  test("gzip cut short", () => {
    const gz = gzipSync(small());
    const msg = readError(() => readNiftiBuffer(gz.subarray(0, gz.length >> 1), { name: "half.nii.gz" })).message;
    expect(msg).toBe("half.nii.gz: the gzip data is corrupt or truncated (unexpected end of file); re-export or re-download the file");
  });
});

describe("unsupported content", () => {
  test.each([
    [32, 64, "complex64"],
    [128, 24, "rgb24"],
    [1792, 128, "complex128"],
  ])("datatype %i is refused by name", (code, bitpix, name) => {
    const bytes = small();
    const view = new DataView(bytes.buffer);
    view.setInt16(70, code, true);
    view.setInt16(72, bitpix, true);
    expect(readError(() => readNiftiBuffer(bytes, { name: "c.nii" })).message).toMatch(
      new RegExp(`^c\\.nii has datatype ${name} \\(code ${code}\\); bct reads scalar images only`),
    );
  });

  test("an undefined datatype code", () => {
    const bytes = small();
    new DataView(bytes.buffer).setInt16(70, 99, true);
    expect(readError(() => readNiftiBuffer(bytes, { name: "d.nii" })).message).toBe(
      "d.nii: datatype code 99 is not a NIfTI datatype; the header is corrupt",
    );
  });

  test("a singular sform", () => {
    const bytes = small();
    const view = new DataView(bytes.buffer);
    for (let p = 280; p < 328; p += 4) view.setFloat32(p, 0, true); // srow all zero, sform_code stays 1
    expect(readError(() => readNiftiBuffer(bytes)).message).toMatch(/sform is singular/);
  });
});

describe("write errors", () => {
  const v = createVolume({ dims: [2, 2, 1], data: new Float32Array([0, 1, 40000, 3]) });

  test("a value that does not fit the datatype names the voxel", () => {
    expect(readError(() => niftiBuffer(v, { datatype: "int16" })).message).toBe(
      "value 40000 at voxel (0, 1, 0) does not fit int16 [-32768, 32767]: write a wider datatype or set sclSlope/sclInter",
    );
  });

  test("NaN into an integer type", () => {
    const n = createVolume({ dims: [2, 1, 1], data: new Float32Array([1, NaN]) });
    expect(readError(() => niftiBuffer(n, { datatype: "uint8" })).message).toMatch(/value NaN at voxel \(1, 0, 0\) cannot be stored as uint8/);
  });

  test("zero slope", () => {
    expect(readError(() => niftiBuffer(v, { sclSlope: 0 })).message).toBe("sclSlope must be a finite non-zero number, got 0");
  });

  test("a folder that does not exist", () => {
    const file = path.join(tmp, "no/such/dir/out.nii.gz");
    expect(readError(() => writeNifti(v, file)).message).toBe(`cannot write ${file}: its folder does not exist`);
  });
});
