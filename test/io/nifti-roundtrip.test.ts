/**
 * Write -> read round trips for every datatype, .nii and .nii.gz, with rotated (proper and improper)
 * directions, anisotropic spacing and a non-zero origin. The written header is also checked with an
 * independent parser (nifti-reader-js) against the expected RAS affine, for both the sform and the
 * qform (quaternion + qfac), so a mistake shared by bct's writer and reader cannot hide.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import * as nifti from "nifti-reader-js";
import { afterAll, describe, expect, test } from "vitest";
import { niftiBuffer, readNifti, writeNifti, type NiftiWriteType } from "../../lib/io/nifti/index.js";
import { createVolume, type Mat3, type Vec3, type Volume, type VoxelArray } from "../../lib/volume/index.js";

const tmp = mkdtempSync(path.join(tmpdir(), "bct-nifti-rt-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// A proper rotation (the quaternion (0.8, 0.2, -0.4, 0.4), worked out by hand) and an improper one
// (the same with the k axis reversed: a left-handed grid, which needs qfac = -1).
const PROPER: Mat3 = [0.36, -0.8, -0.48, 0.48, 0.6, -0.64, 0.8, 0, 0.6];
const IMPROPER: Mat3 = [0.36, -0.8, 0.48, 0.48, 0.6, 0.64, 0.8, 0, -0.6];
const spacing: Vec3 = [0.7, 1.3, 2.5];
const origin: Vec3 = [-12.5, 40.25, 101];
const dims: Vec3 = [5, 4, 3];
const n = 60;

const CASES: Array<[NiftiWriteType, () => VoxelArray]> = [
  ["uint8", () => Uint8Array.from({ length: n }, (_, p) => (p * 37) % 256)],
  ["int8", () => Int8Array.from({ length: n }, (_, p) => ((p * 37) % 256) - 128)],
  ["int16", () => Int16Array.from({ length: n }, (_, p) => p * 1000 - 30000)],
  ["uint16", () => Uint16Array.from({ length: n }, (_, p) => p * 1111)],
  ["int32", () => Int32Array.from({ length: n }, (_, p) => (p - 30) * 71582788)],
  ["uint32", () => Uint32Array.from({ length: n }, (_, p) => p * 71582788)],
  ["float32", () => Float32Array.from({ length: n }, (_, p) => (p - 20) * 0.3125 + 1e-3 * p * p)],
  ["float64", () => Float64Array.from({ length: n }, (_, p) => Math.sin(p) * 1e6 + 1 / 3)],
];

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  for (let c = 0; c < expected.length; c++) {
    if (!(Math.abs(actual[c] - expected[c]) <= tol)) {
      throw new Error(`entry ${c}: got [${Array.from(actual).join(", ")}], expected [${Array.from(expected).join(", ")}]`);
    }
  }
}

/** The RAS affine bct should write, by hand: LPS affine D * diag(s) | origin with rows x, y negated. */
function expectedRasAffine(v: Volume): number[][] {
  const d = v.direction, s = v.spacing, o = v.origin;
  return [0, 1, 2].map((r) => {
    const sign = r < 2 ? -1 : 1;
    return [sign * d[3 * r] * s[0], sign * d[3 * r + 1] * s[1], sign * d[3 * r + 2] * s[2], sign * o[r]];
  });
}

function checkWithNiftiReaderJs(bytes: Uint8Array, v: Volume, code: number, bitpix: number): void {
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const h = nifti.readHeader(ab) as nifti.NIFTI1;
  expect(h.datatypeCode).toBe(code);
  expect(h.numBitsPerVoxel).toBe(bitpix);
  expect(h.dims.slice(0, 4)).toEqual([3, ...v.dims]);
  expectClose(h.pixDims.slice(1, 4), v.spacing, 1e-6);
  expect(h.vox_offset).toBe(352);
  expect([h.qform_code, h.sform_code]).toEqual([1, 1]);
  // Equal codes: nifti-reader-js takes the sform.
  const want = expectedRasAffine(v);
  for (let r = 0; r < 3; r++) expectClose(h.affine[r], want[r], 1e-5);
  // Clear sform_code: nifti-reader-js now builds its affine from the quaternion, pixdim and qfac.
  const qOnly = new Uint8Array(ab.slice(0));
  new DataView(qOnly.buffer).setInt16(254, 0, true);
  const q = nifti.readHeader(qOnly.buffer) as nifti.NIFTI1;
  for (let r = 0; r < 3; r++) expectClose(q.affine[r], want[r], 1e-5);
}

describe.each([
  ["proper rotation", PROPER],
  ["improper rotation (left-handed grid)", IMPROPER],
])("%s", (_label, direction) => {
  describe.each([".nii", ".nii.gz"])("%s", (ext) => {
    test.each(CASES)("%s", (type, make) => {
      const data = make();
      const v = createVolume({ dims, spacing, origin, direction, data });
      const file = path.join(tmp, `${type}-${direction === PROPER ? "p" : "i"}${ext}`);
      writeNifti(v, file, { description: `round trip ${type}`, intent: "test" });

      const raw = readFileSync(file);
      expect(raw[0] === 0x1f && raw[1] === 0x8b).toBe(ext === ".nii.gz");
      const codes: Record<string, [number, number]> = {
        uint8: [2, 8], int8: [256, 8], int16: [4, 16], uint16: [512, 16],
        int32: [8, 32], uint32: [768, 32], float32: [16, 32], float64: [64, 64],
      };
      checkWithNiftiReaderJs(ext === ".nii.gz" ? gunzipSync(raw) : raw, v, ...codes[type]);

      const back = readNifti(file);
      expect(back.warnings).toEqual([]);
      expect(back.header.datatypeName).toBe(type);
      expect(back.header.description).toBe(`round trip ${type}`);
      expect(back.header.intentName).toBe("test");
      expect(back.header.pixdim[0]).toBe(direction === PROPER ? 1 : -1);
      expect(back.volume.data.constructor).toBe(data.constructor);
      expect(Array.from(back.volume.data)).toEqual(Array.from(data));
      expect(back.volume.dims).toEqual(dims);
      expectClose(back.volume.spacing, spacing, 1e-6);
      expectClose(back.volume.origin, origin, 1e-4);
      expectClose(back.volume.direction, direction, 1e-6);
    });
  });
});

describe("scl_slope / scl_inter", () => {
  const hu = Float32Array.from({ length: n }, (_, p) => -1024 + p * 53.37);
  const v = createVolume({ dims, spacing, origin, direction: PROPER, data: hu });

  test("float HU stored as int16 with slope 0.5, inter -1024 reads back within slope / 2", () => {
    const file = path.join(tmp, "scaled.nii.gz");
    writeNifti(v, file, { datatype: "int16", sclSlope: 0.5, sclInter: -1024 });
    const back = readNifti(file);
    expect(back.header.sclSlope).toBe(0.5);
    expect(back.header.sclInter).toBe(-1024);
    expect(back.volume.data).toBeInstanceOf(Float32Array);
    expectClose(back.volume.data, hu, 0.25 + 1e-4);
    const stored = readNifti(file, { applyScaling: false }).volume.data;
    expect(stored).toBeInstanceOf(Int16Array);
    expect(Array.from(stored)).toEqual(Array.from(hu, (x) => Math.round((x + 1024) / 0.5)));
  });

  test("float64 data with scaling stays float64", () => {
    const values = [1.5, -2, 1e9, 1 / 3];
    const w = createVolume({ dims: [4, 1, 1], data: new Float64Array(values) });
    const file = path.join(tmp, "f64.nii");
    writeNifti(w, file, { sclSlope: 4, sclInter: 1 });
    const back = readNifti(file);
    expect(back.volume.data).toBeInstanceOf(Float64Array);
    expectClose(back.volume.data, values, 1e-6);
    expectClose(readNifti(file, { applyScaling: false }).volume.data, values.map((x) => (x - 1) / 4), 1e-9);
  });
});

test("default datatype follows the array; default description is bct; units mm", () => {
  const v = createVolume({ dims: [2, 2, 2], data: new Uint16Array([0, 1, 2, 3, 65535, 5, 6, 7]) });
  const bytes = niftiBuffer(v);
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  expect(view.getInt16(70, true)).toBe(512); // uint16
  expect(view.getUint8(123)).toBe(2); // NIFTI_UNITS_MM
  expect(String.fromCharCode(...bytes.subarray(148, 151))).toBe("bct");
  expect(bytes.length).toBe(352 + 16);
});
