import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { DicomError, readDicomSeries, writeDicomSeries } from "../../lib/io/dicom/index.js";
import { formatDecimalString } from "../../lib/io/dicom/write.js";
import { createVolume, indexToWorld, type Mat3, type Vec3, type Volume } from "../../lib/volume/volume.js";
import { readPart10, tempDir, removeTempDirs } from "../fixtures/dicom/build.js";

afterAll(removeTempDirs);

/** Rotation by `deg` degrees about `axis` (Rodrigues), row-major. */
function rotation(axis: Vec3, deg: number): Mat3 {
  const n = Math.hypot(...axis);
  const [x, y, z] = axis.map((a) => a / n);
  const t = (deg * Math.PI) / 180, c = Math.cos(t), s = Math.sin(t), C = 1 - c;
  return [
    c + x * x * C, x * y * C - z * s, x * z * C + y * s,
    y * x * C + z * s, c + y * y * C, y * z * C - x * s,
    z * x * C - y * s, z * y * C + x * s, c + z * z * C,
  ];
}

function volumeWith(direction: Mat3): Volume<Int16Array> {
  const dims: Vec3 = [23, 17, 9];
  const data = new Int16Array(dims[0] * dims[1] * dims[2]);
  for (let p = 0; p < data.length; p++) data[p] = ((p * 7919) % 5001) - 1500;
  return createVolume({ dims, spacing: [0.7, 0.93, 1.7], origin: [-123.456, 78.9012, -345.6789], direction, data });
}

describe("writeDicomSeries -> readDicomSeries", () => {
  it("keeps an oblique right-handed geometry within 1e-4 and the values exactly", async () => {
    const v = volumeWith(rotation([1, 2, 3], 30));
    const dir = tempDir();
    const files = await writeDicomSeries(v, dir, { seriesDescription: "oblique", patientName: "Test^Patient" });
    expect(files).toHaveLength(9);
    const { volume, series, warnings } = await readDicomSeries(dir);
    expect(volume.dims).toEqual(v.dims);
    for (let c = 0; c < 3; c++) {
      expect(Math.abs(volume.spacing[c] - v.spacing[c])).toBeLessThan(1e-4);
      expect(Math.abs(volume.origin[c] - v.origin[c])).toBeLessThan(1e-4);
    }
    for (let c = 0; c < 9; c++) expect(Math.abs(volume.direction[c] - v.direction[c])).toBeLessThan(1e-4);
    expect(volume.data).toBeInstanceOf(Int16Array);
    expect(Buffer.compare(Buffer.from(volume.data.buffer), Buffer.from(v.data.buffer))).toBe(0);
    expect(series.modality).toBe("CT");
    expect(series.seriesDescription).toBe("oblique");
    expect(series.transferSyntaxUid).toBe("1.2.840.10008.1.2.1");
    expect(warnings).toEqual([]);
  });

  it("writes the attributes a CT viewer needs, PixelSpacing as [row (j), column (i)] spacing", async () => {
    const v = volumeWith(rotation([0, 0, 1], 90));
    const dir = tempDir();
    const [first] = await writeDicomSeries(v, dir, { patientId: "P42", rescaleIntercept: -1024 });
    const { meta, dict } = readPart10(first);
    expect(meta["00020010"]?.Value).toEqual(["1.2.840.10008.1.2.1"]);
    expect(dict["00080016"]?.Value).toEqual(["1.2.840.10008.5.1.4.1.1.2"]);
    expect(dict["00100020"]?.Value).toEqual(["P42"]);
    expect(dict["00280010"]?.Value).toEqual([17]); // Rows = ny
    expect(dict["00280011"]?.Value).toEqual([23]); // Columns = nx
    expect(dict["00280030"]?.Value).toEqual([0.93, 0.7]);
    expect(dict["00281052"]?.Value).toEqual([-1024]);
    expect(dict["00280103"]?.Value).toEqual([1]);
    // The i axis (rotated x) is the row direction: [0, 1, 0].
    const iop = dict["00200037"]?.Value as number[];
    [0, 1, 0, -1, 0, 0].forEach((x, c) => expect(Math.abs(iop[c] - x)).toBeLessThan(1e-12));
    expect(readFileSync(first).subarray(128, 132).toString()).toBe("DICM");
  });

  it("reads a left-handed volume back with k reversed: the same voxels at the same world positions", async () => {
    const d: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, -1];
    const v = volumeWith(d);
    const dir = tempDir();
    await writeDicomSeries(v, dir);
    const { volume } = await readDicomSeries(dir);
    const [nx, ny, nz] = v.dims;
    expect(volume.direction).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const lastK = indexToWorld(v, [0, 0, nz - 1]);
    volume.origin.forEach((o, c) => expect(Math.abs(o - lastK[c])).toBeLessThan(1e-4));
    for (let k = 0; k < nz; k++) {
      const a = volume.data.subarray(k * nx * ny, (k + 1) * nx * ny);
      const b = v.data.subarray((nz - 1 - k) * nx * ny, (nz - k) * nx * ny);
      expect(Array.from(a)).toEqual(Array.from(b));
    }
  });

  it("stores float values with a rescale slope and reads them back as Float32", async () => {
    const dims: Vec3 = [5, 4, 3];
    const data = Float32Array.from({ length: 60 }, (_, p) => p * 0.5 - 10.5);
    const v = createVolume({ dims, spacing: [1, 1, 2], data });
    const dir = tempDir();
    await writeDicomSeries(v, dir, { rescaleSlope: 0.5, rescaleIntercept: -1000 });
    const { volume, series } = await readDicomSeries(dir);
    expect(series.rescaleSlope).toBe(0.5);
    expect(volume.data).toBeInstanceOf(Float32Array);
    expect(Array.from(volume.data)).toEqual(Array.from(data));
  });

  it("refuses values that do not fit int16 with the given rescale, before writing anything", async () => {
    const v = createVolume({ dims: [2, 2, 2], data: Float32Array.from([0, 1, 2, 3, 4, 5, 40000, 7]) });
    const dir = tempDir();
    const err = await writeDicomSeries(v, dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DicomError);
    expect((err as Error).message).toMatch(/value 40000 at voxel \(0, 1, 1\) does not fit a 16-bit stored value/);
    await expect(writeDicomSeries(v, dir, { rescaleSlope: 2 })).resolves.toHaveLength(2);
  });

  it("formats decimal strings within 16 characters", () => {
    for (const x of [-123.45678901234567, 1e-7, 0.1 + 0.2, -0, 123456789012.3456, -0.70710678118654757]) {
      const s = formatDecimalString(x);
      expect(s.length).toBeLessThanOrEqual(16);
      expect(Math.abs(Number(s) - x)).toBeLessThanOrEqual(Math.abs(x) * 1e-9 + 1e-15);
    }
    expect(() => formatDecimalString(NaN)).toThrow(DicomError);
  });
});
