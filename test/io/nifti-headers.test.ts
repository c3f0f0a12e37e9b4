/**
 * Hand-built files: headers written byte by byte here from the nifti1.h / nifti2.h layouts (not
 * with bct's writer), with geometry expected from matrices worked out by hand.
 */
import { describe, expect, test } from "vitest";
import { readNiftiBuffer } from "../../lib/io/nifti/index.js";
import { isOrthonormal } from "../../lib/volume/index.js";

type Setter = (v: DataView, offset: number, x: number, le: boolean) => void;
const TYPES: Record<string, { code: number; bytes: number; set: Setter }> = {
  uint8: { code: 2, bytes: 1, set: (v, o, x) => v.setUint8(o, x) },
  int16: { code: 4, bytes: 2, set: (v, o, x, le) => v.setInt16(o, x, le) },
  int32: { code: 8, bytes: 4, set: (v, o, x, le) => v.setInt32(o, x, le) },
  float32: { code: 16, bytes: 4, set: (v, o, x, le) => v.setFloat32(o, x, le) },
  float64: { code: 64, bytes: 8, set: (v, o, x, le) => v.setFloat64(o, x, le) },
  int64: { code: 1024, bytes: 8, set: (v, o, x, le) => v.setBigInt64(o, BigInt(x), le) },
};

interface Hand {
  version?: 1 | 2;
  littleEndian?: boolean;
  /** dim[1..]; dim[0] = its length. */
  shape: number[];
  type: keyof typeof TYPES;
  values: number[];
  pixdim?: number[]; // pixdim[0..7]
  sclSlope?: number;
  sclInter?: number;
  xyztUnits?: number;
  qformCode?: number;
  sformCode?: number;
  quatern?: number[];
  qoffset?: number[];
  srow?: number[];
}

/** NIfTI-1 (nifti1.h): sizeof_hdr@0, dim@40 i16[8], datatype@70, bitpix@72, pixdim@76 f32[8], vox_offset@108,
 * scl_slope@112, scl_inter@116, xyzt_units@123, qform_code@252, sform_code@254, quatern_b..d@256, qoffset@268,
 * srow_x/y/z@280/296/312, magic@344. NIfTI-2 (nifti2.h): sizeof_hdr@0, magic@4, datatype@12, bitpix@14,
 * dim@16 i64[8], pixdim@104 f64[8], vox_offset@168 i64, scl_slope@176, scl_inter@184, qform_code@344 i32,
 * sform_code@348, quatern@352 f64, qoffset@376, srow@400, xyzt_units@500 i32. */
function build(h: Hand): Uint8Array {
  const le = h.littleEndian ?? true;
  const t = TYPES[h.type];
  const v2 = h.version === 2;
  const off = v2 ? 544 : 352;
  const bytes = new Uint8Array(off + h.values.length * t.bytes);
  const v = new DataView(bytes.buffer);
  const dim = [h.shape.length, ...h.shape, 1, 1, 1, 1, 1, 1, 1].slice(0, 8);
  const pixdim = h.pixdim ?? [1, 1, 1, 1, 1, 1, 1, 1];
  const quat = h.quatern ?? [0, 0, 0], qoff = h.qoffset ?? [0, 0, 0], srow = h.srow ?? new Array(12).fill(0);
  if (!v2) {
    v.setInt32(0, 348, le);
    dim.forEach((d, c) => v.setInt16(40 + 2 * c, d, le));
    v.setInt16(70, t.code, le);
    v.setInt16(72, t.bytes * 8, le);
    pixdim.forEach((p, c) => v.setFloat32(76 + 4 * c, p, le));
    v.setFloat32(108, off, le);
    v.setFloat32(112, h.sclSlope ?? 1, le);
    v.setFloat32(116, h.sclInter ?? 0, le);
    v.setUint8(123, h.xyztUnits ?? 2);
    v.setInt16(252, h.qformCode ?? 0, le);
    v.setInt16(254, h.sformCode ?? 0, le);
    quat.forEach((q, c) => v.setFloat32(256 + 4 * c, q, le));
    qoff.forEach((q, c) => v.setFloat32(268 + 4 * c, q, le));
    srow.forEach((s, c) => v.setFloat32(280 + 4 * c, s, le));
    bytes.set([0x6e, 0x2b, 0x31, 0], 344);
  } else {
    v.setInt32(0, 540, le);
    bytes.set([0x6e, 0x2b, 0x32, 0, 0x0d, 0x0a, 0x1a, 0x0a], 4);
    v.setInt16(12, t.code, le);
    v.setInt16(14, t.bytes * 8, le);
    dim.forEach((d, c) => v.setBigInt64(16 + 8 * c, BigInt(d), le));
    pixdim.forEach((p, c) => v.setFloat64(104 + 8 * c, p, le));
    v.setBigInt64(168, BigInt(off), le);
    v.setFloat64(176, h.sclSlope ?? 1, le);
    v.setFloat64(184, h.sclInter ?? 0, le);
    v.setInt32(344, h.qformCode ?? 0, le);
    v.setInt32(348, h.sformCode ?? 0, le);
    quat.forEach((q, c) => v.setFloat64(352 + 8 * c, q, le));
    qoff.forEach((q, c) => v.setFloat64(376 + 8 * c, q, le));
    srow.forEach((s, c) => v.setFloat64(400 + 8 * c, s, le));
    v.setInt32(500, h.xyztUnits ?? 2, le);
  }
  h.values.forEach((x, p) => t.set(v, off + p * t.bytes, x, le));
  return bytes;
}

function expectClose(actual: ArrayLike<number>, expected: number[], tol: number): void {
  expect(Array.from(actual).length).toBe(expected.length);
  for (let c = 0; c < expected.length; c++) {
    if (Math.abs(actual[c] - expected[c]) > tol) {
      throw new Error(`entry ${c}: got [${Array.from(actual).join(", ")}], expected [${expected.join(", ")}]`);
    }
  }
}

const ramp = (n: number, f = (p: number) => p) => Array.from({ length: n }, (_, p) => f(p));

describe("qform only (sform_code 0)", () => {
  test("90° about z with qfac = -1", () => {
    const s = Math.SQRT1_2; // a = cos 45°, d = sin 45°
    const bytes = build({
      shape: [3, 2, 2], type: "int16", values: ramp(12),
      pixdim: [-1, 2, 3, 4, 1, 1, 1, 1], qformCode: 1, quatern: [0, 0, s], qoffset: [10, 20, 30],
      srow: [7, 0, 0, 1, 0, 7, 0, 1, 0, 0, 7, 1], // must be ignored: sform_code 0
    });
    const { volume, header, warnings } = readNiftiBuffer(bytes);
    // R (RAS) = [[0,-1,0],[1,0,0],[0,0,1]]; qfac -1 flips the k column -> [[0,-1,0],[1,0,0],[0,0,-1]];
    // LPS negates rows x and y -> [[0,1,0],[-1,0,0],[0,0,-1]].
    expect(header.affineSource).toBe("qform");
    expect(warnings).toEqual([]);
    expectClose(volume.direction, [0, 1, 0, -1, 0, 0, 0, 0, -1], 1e-6);
    expectClose(volume.spacing, [2, 3, 4], 1e-6);
    expectClose(volume.origin, [-10, -20, 30], 1e-5);
    expect(volume.data).toEqual(new Int16Array(ramp(12)));
  });

  test("a general quaternion (a, b, c, d) = (0.8, 0.2, -0.4, 0.4)", () => {
    const bytes = build({
      shape: [2, 2, 2], type: "uint8", values: ramp(8),
      pixdim: [1, 0.5, 0.5, 1.25, 1, 1, 1, 1], qformCode: 2, quatern: [0.2, -0.4, 0.4], qoffset: [-5, 6, -7],
    });
    const { volume } = readNiftiBuffer(bytes);
    // By hand: R11 = a²+b²-c²-d² = .36, R12 = 2(bc-ad) = -.8, R13 = 2(bd+ac) = -.48,
    // R21 = 2(bc+ad) = .48, R22 = a²+c²-b²-d² = .6, R23 = 2(cd-ab) = -.64,
    // R31 = 2(bd-ac) = .8, R32 = 2(cd+ab) = 0, R33 = a²+d²-b²-c² = .6. LPS: rows 1 and 2 negated.
    expectClose(volume.direction, [-0.36, 0.8, 0.48, -0.48, -0.6, 0.64, 0.8, 0, 0.6], 1e-6);
    expectClose(volume.spacing, [0.5, 0.5, 1.25], 1e-6);
    expectClose(volume.origin, [5, -6, -7], 1e-5);
    // Independent property: R leaves its axis (b, c, d) fixed. Back to RAS (negate rows x, y) and apply:
    const D = volume.direction, axisRas = [0.2, -0.4, 0.4];
    const rasRow = (r: number) => (r < 2 ? -1 : 1) * (D[3 * r] * axisRas[0] + D[3 * r + 1] * axisRas[1] + D[3 * r + 2] * axisRas[2]);
    expectClose([rasRow(0), rasRow(1), rasRow(2)], axisRas, 1e-6);
  });

  test("neither sform nor qform: pixdim scaling, RAS axes, origin 0, with a warning", () => {
    const bytes = build({ shape: [2, 2, 2], type: "uint8", values: ramp(8), pixdim: [0, 1.5, 2, 2.5, 1, 1, 1, 1] });
    const { volume, header, warnings } = readNiftiBuffer(bytes);
    expect(header.affineSource).toBe("pixdim");
    expect(volume.direction).toEqual([-1, 0, 0, 0, -1, 0, 0, 0, 1]);
    expect(volume.spacing).toEqual([1.5, 2, 2.5]);
    expect(volume.origin).toEqual([0, 0, 0]);
    expect(warnings.join("\n")).toMatch(/neither sform nor qform/);
  });
});

describe("sform and qform both set", () => {
  test("they differ: the sform wins, with a warning", () => {
    const bytes = build({
      shape: [2, 3, 4], type: "float32", values: ramp(24, (p) => p / 4),
      pixdim: [1, 2, 3, 4, 1, 1, 1, 1],
      sformCode: 2, srow: [-2, 0, 0, 50, 0, 3, 0, -60, 0, 0, 4, 70],
      qformCode: 1, quatern: [0, 0, 0], qoffset: [1, 2, 3],
    });
    const { volume, header, warnings } = readNiftiBuffer(bytes);
    expect(header.affineSource).toBe("sform");
    // LPS = srow with rows x, y negated: [[2,0,0,-50],[0,-3,0,60],[0,0,4,70]].
    expect(volume.spacing).toEqual([2, 3, 4]);
    expect(volume.direction).toEqual([1, 0, 0, 0, -1, 0, 0, 0, 1]);
    expect(volume.origin).toEqual([-50, 60, 70]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^sform \(code 2\) and qform \(code 1\) disagree by up to .* mm at the volume corners: used the sform/);
    expect(volume.data).toEqual(new Float32Array(ramp(24, (p) => p / 4)));
    expect(header.affine).toEqual([-2, 0, 0, 50, 0, 3, 0, -60, 0, 0, 4, 70, 0, 0, 0, 1]);
  });

  test("they agree: no warning", () => {
    const bytes = build({
      shape: [2, 2, 2], type: "uint8", values: ramp(8), pixdim: [1, 2, 3, 4, 1, 1, 1, 1],
      sformCode: 1, srow: [2, 0, 0, 1, 0, 3, 0, 2, 0, 0, 4, 3], qformCode: 1, qoffset: [1, 2, 3],
    });
    expect(readNiftiBuffer(bytes).warnings).toEqual([]);
  });

  test("a sheared sform: spacing from column norms, nearest orthonormal direction, a warning", () => {
    const bytes = build({
      shape: [4, 4, 4], type: "uint8", values: ramp(64), pixdim: [1, 2, 2, 3, 1, 1, 1, 1],
      sformCode: 1, srow: [2, 0.2, 0, 0, 0, 2, 0, 0, 0, 0, 3, 0],
    });
    const { volume, warnings } = readNiftiBuffer(bytes);
    expectClose(volume.spacing, [2, Math.hypot(0.2, 2), 3], 1e-6);
    expect(isOrthonormal(volume.direction, 1e-9)).toBe(true);
    // The k axis is untouched by the shear; i and j share the 5.7° skew symmetrically (polar factor).
    expectClose(volume.direction.slice(6), [0, 0, 1], 1e-9);
    expect(volume.direction[0]).toBeLessThan(0); // RAS +x = LPS -x
    expect(warnings.some((w) => /sform axes are not orthogonal \(sheared by up to 5\.71°\)/.test(w))).toBe(true);
  });
});

describe("NIfTI-2", () => {
  test("little-endian int16 with a rotated sform", () => {
    const values = ramp(12, (p) => p * 100 - 600);
    const bytes = build({
      version: 2, shape: [3, 2, 2], type: "int16", values, pixdim: [1, 1, 2, 3, 1, 1, 1, 1],
      // i -> RAS +y (1 mm), j -> RAS -x (2 mm), k -> RAS +z (3 mm)
      sformCode: 1, srow: [0, -2, 0, 10.5, 1, 0, 0, -20.25, 0, 0, 3, 30],
      qformCode: 1, quatern: [0, 0, Math.SQRT1_2], qoffset: [10.5, -20.25, 30],
    });
    const { volume, header, warnings } = readNiftiBuffer(bytes);
    expect(header.version).toBe(2);
    expect(warnings).toEqual([]);
    expect(volume.data).toEqual(new Int16Array(values));
    expect(volume.spacing).toEqual([1, 2, 3]);
    // LPS columns: i = (0,-1,0), j = (1,0,0), k = (0,0,1).
    expect(volume.direction).toEqual([0, 1, 0, -1, 0, 0, 0, 0, 1]);
    expect(volume.origin).toEqual([-10.5, 20.25, 30]);
  });

  test("an axis longer than NIfTI-1's 32767 limit", () => {
    const bytes = build({ version: 2, shape: [40000, 1, 1], type: "uint8", values: ramp(40000, (p) => p % 251), sformCode: 1, srow: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0] });
    const { volume } = readNiftiBuffer(bytes);
    expect(volume.dims).toEqual([40000, 1, 1]);
    expect(volume.data[39999]).toBe(39999 % 251);
  });

  test("big-endian int32 with a qform", () => {
    const values = ramp(8, (p) => (p - 4) * 100000);
    const bytes = build({
      version: 2, littleEndian: false, shape: [2, 2, 2], type: "int32", values,
      pixdim: [1, 0.8, 0.8, 1.5, 1, 1, 1, 1], qformCode: 1, quatern: [0, 0, 0], qoffset: [-100, 50, 25],
    });
    const { volume, header } = readNiftiBuffer(bytes);
    expect(header.byteOrder).toBe("big");
    expect(header.version).toBe(2);
    expect(volume.data).toEqual(new Int32Array(values));
    expect(volume.direction).toEqual([-1, 0, 0, 0, -1, 0, 0, 0, 1]);
    expectClose(volume.origin, [100, -50, 25], 0);
    expectClose(volume.spacing, [0.8, 0.8, 1.5], 0);
  });
});

describe("big-endian NIfTI-1", () => {
  test("int16 values and a flipped qform", () => {
    const values = [-1024, -1, 0, 1, 255, 256, 3071, -32768];
    const bytes = build({
      littleEndian: false, shape: [2, 2, 2], type: "int16", values,
      pixdim: [-1, 0.75, 0.75, 2.5, 1, 1, 1, 1], qformCode: 1, quatern: [0, 0, 0], qoffset: [-120, 110, -300],
    });
    const { volume, header, warnings } = readNiftiBuffer(bytes);
    expect(header.byteOrder).toBe("big");
    expect(warnings).toEqual([]);
    expect(volume.data).toEqual(new Int16Array(values));
    // identity rotation, qfac -1 -> RAS diag(1,1,-1) -> LPS diag(-1,-1,-1)
    expect(volume.direction).toEqual([-1, 0, 0, 0, -1, 0, 0, 0, -1]);
    expect(volume.origin).toEqual([120, -110, -300]);
    expect(volume.spacing).toEqual([0.75, 0.75, 2.5]);
  });

  test("float64 values with scaling", () => {
    const values = [0.5, -2.25, 1e10, -1e-10];
    const bytes = build({ littleEndian: false, shape: [4, 1, 1], type: "float64", values, sclSlope: 2, sclInter: 1, qformCode: 1, pixdim: [1, 1, 1, 1, 1, 1, 1, 1] });
    const { volume } = readNiftiBuffer(bytes);
    expect(volume.data).toBeInstanceOf(Float64Array);
    expect(Array.from(volume.data)).toEqual(values.map((x) => x * 2 + 1));
  });
});

describe("scaling", () => {
  const values = [-3, 0, 7, 1000];
  test("scl_slope = 0 means no scaling (scl_inter ignored), type kept", () => {
    const { volume, header } = readNiftiBuffer(build({ shape: [4, 1, 1], type: "int16", values, sclSlope: 0, sclInter: 100, qformCode: 1 }));
    expect(header.sclSlope).toBe(0);
    expect(header.sclInter).toBe(100);
    expect(volume.data).toEqual(new Int16Array(values));
  });

  test("scl_slope = NaN (nibabel's 'unscaled') means no scaling", () => {
    const { volume } = readNiftiBuffer(build({ shape: [4, 1, 1], type: "int16", values, sclSlope: NaN, sclInter: NaN, qformCode: 1 }));
    expect(volume.data).toEqual(new Int16Array(values));
  });

  test("slope 2, inter -10 gives Float32Array; applyScaling: false keeps the stored values", () => {
    const bytes = build({ shape: [4, 1, 1], type: "int16", values, sclSlope: 2, sclInter: -10, qformCode: 1 });
    const scaled = readNiftiBuffer(bytes).volume.data;
    expect(scaled).toEqual(new Float32Array([-16, -10, 4, 1990]));
    expect(readNiftiBuffer(bytes, { applyScaling: false }).volume.data).toEqual(new Int16Array(values));
  });

  test("identity scaling keeps uint8", () => {
    const { volume } = readNiftiBuffer(build({ shape: [4, 1, 1], type: "uint8", values: [0, 1, 2, 255], sclSlope: 1, sclInter: 0, qformCode: 1 }));
    expect(volume.data).toEqual(new Uint8Array([0, 1, 2, 255]));
  });
});

describe("other content", () => {
  test("int64 within int32 range becomes Int32Array", () => {
    const values = [-5, 0, 2147483647, -2147483648];
    const { volume, warnings } = readNiftiBuffer(build({ shape: [4, 1, 1], type: "int64", values, qformCode: 1 }));
    expect(volume.data).toEqual(new Int32Array(values));
    expect(warnings).toEqual([]);
  });

  test("int64 beyond 2^53 becomes Float64Array with a warning", () => {
    const bytes = build({ shape: [2, 1, 1], type: "int64", values: [1, 0], qformCode: 1 });
    new DataView(bytes.buffer).setBigInt64(352 + 8, 2n ** 60n + 1n, true);
    const { volume, warnings } = readNiftiBuffer(bytes);
    expect(volume.data).toBeInstanceOf(Float64Array);
    expect(Array.from(volume.data)).toEqual([1, 2 ** 60]);
    expect(warnings).toEqual(["1 int64 values exceed 2^53 in magnitude and were rounded when converted to float64"]);
  });

  test("4D: the first volume, with a warning", () => {
    const { volume, warnings } = readNiftiBuffer(build({ shape: [2, 2, 1, 3], type: "int16", values: ramp(12), qformCode: 1 }));
    expect(volume.dims).toEqual([2, 2, 1]);
    expect(volume.data).toEqual(new Int16Array([0, 1, 2, 3]));
    expect(warnings).toEqual(["the file holds 3 volumes (dim 2x2x1x3): read the first only"]);
  });

  test("4D with dim4 = 1 and a 2D image are plain volumes", () => {
    expect(readNiftiBuffer(build({ shape: [2, 2, 2, 1], type: "uint8", values: ramp(8), qformCode: 1 })).warnings).toEqual([]);
    const flat = readNiftiBuffer(build({ shape: [3, 2], type: "uint8", values: ramp(6), qformCode: 1 }));
    expect(flat.volume.dims).toEqual([3, 2, 1]);
  });

  test("units in metres are converted to mm, with a warning", () => {
    const bytes = build({
      shape: [2, 2, 2], type: "uint8", values: ramp(8), xyztUnits: 1,
      pixdim: [1, 0.001, 0.002, 0.003, 1, 1, 1, 1], qformCode: 1, qoffset: [0.1, 0, 0],
    });
    const { volume, warnings } = readNiftiBuffer(bytes);
    expectClose(volume.spacing, [1, 2, 3], 1e-4);
    expectClose(volume.origin, [-100, 0, 0], 1e-3);
    expect(warnings).toEqual(["spatial units are m: converted to mm"]);
  });
});
