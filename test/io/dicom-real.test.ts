import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readDicomSeries } from "../../lib/io/dicom/index.js";
import { describeWithShared } from "../helpers/paths.js";
import { volumeStats } from "../../lib/volume/stats.js";

// The shared data folder sits beside the clone (repoRoot/../shared).
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const example = resolve(repoRoot, "../shared/data/totalseg-example");
const dicomDir = resolve(example, "dicom");

interface Reference {
  dims: number[];
  spacing: number[];
  origin: number[];
  direction: number[];
  min: number;
  max: number;
  mean: number;
  transfer_syntax: string;
}

describeWithShared("real CT series (TotalSegmentator example, JPEG 2000 lossless)", () => {
  // Computed independently with pydicom + GDCM (see MANIFEST.md of the data folder).
  const ref = (JSON.parse(readFileSync(resolve(example, "reference-values.json"), "utf8")) as { dicom: Reference }).dicom;

  it("matches the pydicom+GDCM geometry and HU statistics", async () => {
    const { volume, series, warnings } = await readDicomSeries(dicomDir);
    expect(volume.dims).toEqual(ref.dims);
    volume.spacing.forEach((s, c) => expect(s).toBeCloseTo(ref.spacing[c], 4));
    volume.origin.forEach((o, c) => expect(Math.abs(o - ref.origin[c])).toBeLessThan(1e-3));
    volume.direction.forEach((d, c) => expect(Math.abs(d - ref.direction[c])).toBeLessThan(1e-5));
    const st = volumeStats(volume);
    expect(Math.abs(st.min - ref.min)).toBeLessThan(0.5);
    expect(Math.abs(st.max - ref.max)).toBeLessThan(0.5);
    expect(Math.abs(st.mean - ref.mean)).toBeLessThan(0.05);
    expect(volume.data).toBeInstanceOf(Int16Array);
    expect(series.transferSyntaxUid).toBe(ref.transfer_syntax);
    expect(series.transferSyntaxName).toMatch(/JPEG 2000/);
    expect(series.sliceCount).toBe(ref.dims[2]);
    expect(series.candidates).toHaveLength(1);
    expect(series.chosenBecause).toMatch(/only/);
    expect(series.rescaleIntercept).toBe(-1024);
    expect(warnings).toEqual([]);
  });

  it("reads the same volume from an explicit file list in reverse name order", async () => {
    const { readdirSync } = await import("node:fs");
    const files = readdirSync(dicomDir).map((f) => resolve(dicomDir, f)).reverse();
    const a = await readDicomSeries(dicomDir);
    const b = await readDicomSeries(files);
    expect(b.volume.origin).toEqual(a.volume.origin);
    expect(Buffer.compare(Buffer.from(b.volume.data.buffer), Buffer.from(a.volume.data.buffer))).toBe(0);
  });
});
