import { mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BctError } from "../../lib/errors.js";
import { DicomError, readDicomSeries, writeDicomSeries } from "../../lib/io/dicom/index.js";
import { createVolume, type Vec3 } from "../../lib/volume/volume.js";
import { ctFile, j2kEncode, readPart10, rewrite, setEncapsulated, setSyntax, setTag, tempDir, TS, writePart10, removeTempDirs } from "../fixtures/dicom/build.js";

afterAll(removeTempDirs);

function volume(nz: number, seed = 1) {
  const dims: Vec3 = [12, 10, nz];
  const data = Int16Array.from({ length: 120 * nz }, (_, p) => ((p * 31 + seed) % 2000) - 1000);
  return createVolume({ dims, spacing: [0.5, 0.5, 2], origin: [0, 0, 0], data });
}

async function series(nz: number, opts: { seed?: number; description?: string } = {}, dir = tempDir()): Promise<{ dir: string; files: string[] }> {
  const files = await writeDicomSeries(volume(nz, opts.seed), dir, { seriesDescription: opts.description });
  return { dir, files };
}

async function failure(p: Promise<unknown>): Promise<DicomError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(DicomError);
  expect(e).toBeInstanceOf(BctError);
  return e as DicomError;
}

describe("inputs that are not a DICOM series", () => {
  it("a single non-DICOM file", async () => {
    const dir = tempDir();
    const f = join(dir, "notes.txt");
    writeFileSync(f, "This is not an image.\n".repeat(20));
    const e = await failure(readDicomSeries(f));
    expect(e.message).toBe(`${f} is not a DICOM Part 10 file (no "DICM" marker at byte 128 and no DICOM data set at its start)`);
    await failure(readDicomSeries([f]));
  });

  it("an empty folder, a folder without DICOM, a path that does not exist", async () => {
    const empty = tempDir();
    expect((await failure(readDicomSeries(empty))).message).toBe(`folder ${empty} is empty: no DICOM files found`);
    const other = tempDir();
    writeFileSync(join(other, "a.txt"), "text");
    writeFileSync(join(other, "b.png"), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...new Array(200).fill(0)]));
    expect((await failure(readDicomSeries(other))).message).toBe(`no DICOM files in ${other} (2 other files skipped)`);
    expect((await failure(readDicomSeries(join(other, "missing")))).message).toMatch(/missing does not exist/);
  });

  it("skips non-DICOM files and objects without pixel data in a folder, with warnings", async () => {
    const { dir } = await series(4);
    writeFileSync(join(dir, "README.txt"), "exported by a PACS");
    mkdirSync(join(dir, "sub"));
    const sr = ctFile({ rows: 0, columns: 0, position: [0, 0, 0], modality: "SR" });
    writePart10(join(dir, "sub", "report.dcm"), sr);
    const scout = ctFile({ rows: 10, columns: 12, position: [0, 0, 0], orientation: [0, 1, 0, 0, 0, -1], pixels: new Int16Array(120) });
    setTag(scout, "00080008", "CS", "ORIGINAL", "PRIMARY", "LOCALIZER");
    writePart10(join(dir, "sub", "scout.dcm"), scout);
    const { volume: v, warnings } = await readDicomSeries(dir);
    expect(v.dims).toEqual([12, 10, 4]);
    expect(warnings).toContain(`skipped 1 file in ${dir} that is not DICOM`);
    expect(warnings.join("\n")).toMatch(/ignored 1 DICOM object without an image/);
    expect(warnings.join("\n")).toMatch(/ignored 1 localizer \(scout\) image/);
  });
});

describe("damaged files", () => {
  it("a file truncated inside its pixel data", async () => {
    const { dir, files } = await series(5);
    const size = readFileSync(files[2]).length;
    truncateSync(files[2], size - 100);
    const e = await failure(readDicomSeries(dir));
    expect(e.message).toMatch(new RegExp(`^${files[2].replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is truncated or corrupt \\(its pixel data needs 240 bytes but the file ends 140 bytes after it starts\\)`));
  });

  it("a file truncated inside its header, and inside a compressed frame", async () => {
    const { dir, files } = await series(3);
    truncateSync(files[1], 400);
    expect((await failure(readDicomSeries(dir))).message).toMatch(/IM0002\.dcm is truncated or corrupt/);

    const d2 = tempDir();
    const paths = await writeDicomSeries(volume(3), d2);
    const target = paths[0];
    const p = readPart10(target);
    setEncapsulated(p, TS.j2kLossless, [await j2kEncode(new Int16Array(120).fill(5), 12, 10)]);
    writePart10(target, p);
    truncateSync(target, readFileSync(target).length - 30);
    expect((await failure(readDicomSeries(d2))).message).toMatch(/IM0001\.dcm is truncated or corrupt \((pixel data fragment 1 runs past the end of the file|its encapsulated pixel data ends without the sequence delimiter)\)/);
  });

  it("pixel data shorter than Rows x Columns x BitsAllocated/8", async () => {
    const { dir, files } = await series(3);
    rewrite(files[0], (p) => {
      p.dict["7FE00010"] = { vr: "OW", Value: [new ArrayBuffer(100)] };
    });
    expect((await failure(readDicomSeries(dir))).message).toMatch(
      /IM0001\.dcm is truncated or corrupt: its pixel data has 100 bytes but 12 x 10 pixels x 1 frame\(s\) x 2 byte\(s\) need 240/,
    );
  });
});

describe("series choice", () => {
  it("two series mixed: reads the CT series with more slices and warns; seriesUid selects the other", async () => {
    const root = tempDir();
    await series(7, { description: "big" }, join(root, "a"));
    await series(3, { description: "small", seed: 5 }, join(root, "b"));
    const big = await readDicomSeries(root);
    expect(big.volume.dims[2]).toBe(7);
    expect(big.series.seriesDescription).toBe("big");
    expect(big.series.candidates.map((c) => c.sliceCount).sort()).toEqual([3, 7]);
    expect(big.series.chosenBecause).toBe("the CT series with the most slices (7) of the 2 series in the input");
    expect(big.warnings.join("\n")).toMatch(/holds 2 series; read .* \(CT, 7 slices, "big"\).*Pass seriesUid to choose another/);
    const smallUid = big.series.candidates.find((c) => c.sliceCount === 3)!.seriesInstanceUid;
    const small = await readDicomSeries(root, { seriesUid: smallUid });
    expect(small.volume.dims[2]).toBe(3);
    expect(small.series.chosenBecause).toBe("selected explicitly (seriesUid option)");
    expect(Array.from(small.volume.data)).toEqual(Array.from(volume(3, 5).data));
    const e = await failure(readDicomSeries(root, { seriesUid: "1.2.3" }));
    expect(e.message).toMatch(new RegExp(`series 1\\.2\\.3 is not in ${root}; the series found are: .*\\(CT, 7 slices, "big"\\); .*\\(CT, 3 slices, "small"\\)`));
  });

  it("prefers CT over a larger series of another modality", async () => {
    const root = tempDir();
    await series(3, {}, join(root, "ct"));
    const { files } = await series(6, {}, join(root, "pt"));
    for (const f of files) rewrite(f, (p) => setTag(p, "00080060", "CS", "PT"));
    const r = await readDicomSeries(root);
    expect(r.volume.dims[2]).toBe(3);
    expect(r.series.modality).toBe("CT");
  });
});

describe("inconsistent stacks", () => {
  it("a missing slice", async () => {
    const { dir, files } = await series(8);
    rmSync(files[4]);
    const e = await failure(readDicomSeries(dir));
    expect(e.message).toMatch(/^missing slice\(s\) between positions \(0, 0, 6\) and \(0, 0, 10\) mm \(.*IM0004\.dcm and .*IM0006\.dcm\): they are 4 mm apart where the other slices are 2 mm apart, so about 1 slice is missing/);
  });

  it("inconsistent orientation across slices names the first offending file", async () => {
    const { dir, files } = await series(5);
    rewrite(files[3], (p) => setTag(p, "00200037", "DS", 1, 0, 0, 0, 0.8, -0.6));
    const e = await failure(readDicomSeries(dir));
    expect(e.message).toMatch(/IM0004\.dcm has ImageOrientationPatient \[1, 0, 0, 0, 0\.8, -0\.6\] but .*IM0001\.dcm has \[1, 0, 0, 0, 1, 0\]; the series mixes slice orientations/);
  });

  it("mixed image sizes and pixel spacings", async () => {
    const { dir, files } = await series(4);
    rewrite(files[2], (p) => setTag(p, "00280030", "DS", 0.6, 0.5));
    expect((await failure(readDicomSeries(dir))).message).toMatch(/IM0003\.dcm has PixelSpacing \[0\.6, 0\.5\] mm but .*IM0001\.dcm has \[0\.5, 0\.5\] mm/);
    const b = await series(4);
    rewrite(b.files[1], (p) => {
      setTag(p, "00280010", "US", 5);
      p.dict["7FE00010"] = { vr: "OW", Value: [new ArrayBuffer(120)] };
    });
    expect((await failure(readDicomSeries(b.dir))).message).toMatch(/IM0002\.dcm has 12x5 pixels \(Columns x Rows\) but .*IM0001\.dcm has 12x10; the series mixes image sizes/);
  });

  it("non-uniform spacing", async () => {
    const { dir, files } = await series(6);
    [0, 1, 2, 3.5, 4.5, 5.5].forEach((z, k) => rewrite(files[k], (p) => setTag(p, "00200032", "DS", 0, 0, z)));
    const e = await failure(readDicomSeries(dir));
    expect(e.message).toMatch(/^non-uniform slice spacing: consecutive slices are from 1 to 1\.5 mm apart \(the largest between positions \(0, 0, 2\) and \(0, 0, 3\.5\) mm/);
  });

  it("duplicate positions", async () => {
    const { dir, files } = await series(4);
    rewrite(files[2], (p) => setTag(p, "00200032", "DS", 0, 0, 2));
    expect((await failure(readDicomSeries(dir))).message).toMatch(/IM000[23]\.dcm and .*IM000[23]\.dcm are at the same position \(0, 0, 2\) mm: the series holds duplicate slices/);
  });

  it("gantry tilt: an error when slices drift in-plane, a warning under half a pixel", async () => {
    const { dir, files } = await series(5);
    files.forEach((f, k) => rewrite(f, (p) => setTag(p, "00200032", "DS", 0, 0.35 * k, 2 * k))); // ~10 degrees
    expect((await failure(readDicomSeries(dir))).message).toMatch(/^the slices are stacked obliquely: the line through their positions is 9\.93 degrees off the slice normal \(gantry tilt\?\)/);
    const b = await series(5);
    b.files.forEach((f, k) => rewrite(f, (p) => setTag(p, "00200032", "DS", 0, 0.03 * k, 2 * k)));
    const r = await readDicomSeries(b.dir);
    expect(r.warnings.join("\n")).toMatch(/stacked 0\.859 degrees off their normal \(in-plane drift 0\.12 mm, under half a pixel\)/);
    expect(r.volume.spacing[2]).toBeCloseTo(2, 10);
  });

  it("a slice without ImagePositionPatient", async () => {
    const { dir, files } = await series(3);
    rewrite(files[1], (p) => {
      delete p.dict["00200032"];
    });
    expect((await failure(readDicomSeries(dir))).message).toMatch(/IM0002\.dcm has no ImagePositionPatient \(0020,0032\): its slice cannot be placed in space/);
  });
});

describe("transfer syntaxes", () => {
  it("an unsupported transfer syntax names its UID and name", async () => {
    const { dir, files } = await series(3);
    rewrite(files[1], (p) => setSyntax(p, TS.mpeg2));
    const e = await failure(readDicomSeries(dir));
    expect(e.message).toMatch(/IM0002\.dcm uses unsupported transfer syntax 1\.2\.840\.10008\.1\.2\.4\.100 \(MPEG2 Main Profile \/ Main Level\); convert/);
  });

  it("an unknown transfer syntax UID", async () => {
    const { dir, files } = await series(2);
    rewrite(files[0], (p) => setSyntax(p, "1.2.3.4.5.6"));
    expect((await failure(readDicomSeries(dir))).message).toMatch(/uses unsupported transfer syntax 1\.2\.3\.4\.5\.6 \(unknown transfer syntax\)/);
  });
});

describe("text encoding", () => {
  it("tolerates character sets dcmjs cannot decode, with one warning for the series", async () => {
    const { dir, files } = await series(3, { description: "kanji" });
    for (const f of files) rewrite(f, (p) => setTag(p, "00080005", "CS", "ISO 2022 IR 6", "ISO 2022 IR 87"));
    const { volume, warnings, series: info } = await readDicomSeries(dir);
    expect(volume.dims[2]).toBe(3);
    expect(info.seriesDescription).toBe("kanji");
    const notes = warnings.filter((w) => /character set/i.test(w));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/text attributes may be mis-decoded/);
  });
});
