/**
 * Real CT and label maps (TotalSegmentator example) against reference values computed
 * independently with nibabel (reference-values.json, geometry in LPS).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { readNifti, writeNifti } from "../../lib/io/nifti/index.js";
import { volumeStats } from "../../lib/volume/index.js";
import { HAVE_SHARED, describeWithShared } from "../helpers/paths.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const dataDir = path.join(path.resolve(repoRoot, "../shared"), "data/totalseg-example");
const reference = HAVE_SHARED ? JSON.parse(readFileSync(path.join(dataDir, "reference-values.json"), "utf8")) : {};
const tmp = mkdtempSync(path.join(tmpdir(), "bct-nifti-real-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function expectClose(actual: ArrayLike<number>, expected: number[], tol: number): void {
  expect(actual.length).toBe(expected.length);
  for (let c = 0; c < expected.length; c++) expect(Math.abs(actual[c] - expected[c])).toBeLessThanOrEqual(tol);
}

describeWithShared("example_ct.nii.gz against nibabel", () => {
  const ref = reference["example_ct.nii.gz"];
  const { volume, header, warnings } = readNifti(path.join(dataDir, "example_ct.nii.gz"));

  test("geometry in LPS", () => {
    expect(volume.dims).toEqual(ref.dims);
    expectClose(volume.spacing, ref.spacing, 1e-4);
    expectClose(volume.origin, ref.origin, 1e-3);
    expectClose(volume.direction, ref.direction, 1e-5);
  });

  test("header fields", () => {
    expect(header.version).toBe(1);
    expect(header.datatype).toBe(ref.datatype);
    expect(header.datatypeName).toBe("int32");
    expect(header.sformCode).toBe(ref.sform_code);
    expect(header.qformCode).toBe(ref.qform_code);
    expect(header.affineSource).toBe("sform");
    expect(warnings).toEqual([]);
  });

  test("HU statistics, stored type kept", () => {
    expect(volume.data).toBeInstanceOf(Int32Array);
    const s = volumeStats(volume);
    expect(Math.abs(s.min - ref.min)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(s.max - ref.max)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(s.mean - ref.mean)).toBeLessThanOrEqual(0.05);
  });

  test("write and read back (.nii.gz) keeps every voxel and the geometry", () => {
    const out = path.join(tmp, "ct.nii.gz");
    writeNifti(volume, out);
    const back = readNifti(out);
    expect(back.warnings).toEqual([]);
    expect(back.volume.data).toBeInstanceOf(Int32Array);
    expect(back.volume.data.length).toBe(volume.data.length);
    let firstDiff = -1;
    for (let p = 0; p < volume.data.length && firstDiff < 0; p++) if (back.volume.data[p] !== volume.data[p]) firstDiff = p;
    expect(firstDiff).toBe(-1);
    expect(back.volume.dims).toEqual(ref.dims);
    expectClose(back.volume.spacing, ref.spacing, 1e-4);
    expectClose(back.volume.origin, ref.origin, 1e-3);
    expectClose(back.volume.direction, ref.direction, 1e-5);
  });
});

describe.each(["example_seg_aligned.nii.gz", "example_ct_vertebrae_levels.nii.gz", "example_ct_vertebrae_body.nii.gz"])(
  "%s label counts against nibabel",
  (file) => {
    test("dims, grid of the CT, and voxel count per label", () => {
      const ref = reference[file];
      const { volume } = readNifti(path.join(dataDir, file));
      expect(volume.dims).toEqual(ref.dims);
      expect(volume.data).toBeInstanceOf(Uint8Array);
      const ct = reference["example_ct.nii.gz"];
      expectClose(volume.origin, ct.origin, 1e-3);
      expectClose(volume.direction, ct.direction, 1e-5);
      const counts: Record<string, number> = {};
      for (const v of volume.data) counts[v] = (counts[v] ?? 0) + 1;
      expect(counts).toEqual(ref.labels);
    });
  },
);
