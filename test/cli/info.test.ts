import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { HAVE_SHARED, REPO_ROOT, TOTALSEG, describeWithShared } from "../helpers/paths.js";
import { writeDicomSeries } from "../../lib/io/dicom/index.js";
import { writeNifti } from "../../lib/io/nifti/index.js";
import { createVolume } from "../../lib/volume/volume.js";
import { rewrite, setSyntax, setTag, TS } from "../fixtures/dicom/build.js";
import { rmSync, statSync, truncateSync } from "node:fs";

const run = promisify(execFile);
const BCT = resolve(REPO_ROOT, "bin/bct.js");

async function bct(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [BCT, ...args], { cwd: REPO_ROOT });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

describeWithShared("bct info on the real scans (reference: nibabel and pydicom+GDCM)", () => {
  const ref = HAVE_SHARED ? JSON.parse(readFileSync(join(TOTALSEG, "reference-values.json"), "utf8")) : {};
  const cases: [string, string][] = [
    ["dicom", join(TOTALSEG, "dicom")],
    ["example_ct.nii.gz", join(TOTALSEG, "example_ct.nii.gz")],
  ];
  for (const [key, path] of cases) {
    it(`reproduces reference-values.json for ${key}`, async () => {
      const r = await bct("info", "--json", path);
      expect(r.code).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(Object.keys(j).sort()).toEqual(["dims", "direction", "max", "mean", "min", "origin", "spacing"]);
      const e = ref[key];
      expect(j.dims).toEqual(e.dims);
      j.spacing.forEach((x: number, c: number) => expect(Math.abs(x - e.spacing[c])).toBeLessThanOrEqual(1e-4));
      j.origin.forEach((x: number, c: number) => expect(Math.abs(x - e.origin[c])).toBeLessThanOrEqual(1e-3));
      j.direction.forEach((x: number, c: number) => expect(Math.abs(x - e.direction[c])).toBeLessThanOrEqual(1e-5));
      expect(Math.abs(j.min - e.min)).toBeLessThanOrEqual(0.5);
      expect(Math.abs(j.max - e.max)).toBeLessThanOrEqual(0.5);
      expect(Math.abs(j.mean - e.mean)).toBeLessThanOrEqual(0.05);
    });
  }
  it("prints a readable description with the series chosen", async () => {
    const r = await bct("info", join(TOTALSEG, "dicom"));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/dims\s+512 x 512 x 20/);
    expect(r.stdout).toMatch(/JPEG 2000/);
    expect(r.stdout).toMatch(/chosen\s+the only image series/);
  });
});

describe("bct info on bad input: a specific message, no stack trace, non-zero exit", () => {
  const dir = mkdtempSync(join(tmpdir(), "bct-cli-"));
  const text = join(dir, "notes.txt");
  writeFileSync(text, "this is not a scan\n".repeat(40));
  const empty = join(dir, "empty");
  mkdirSync(empty);
  const cases: [string, string[], RegExp, number][] = [
    ["not DICOM or NIfTI", ["info", text], /neither a DICOM file .* nor a NIfTI file/, 1],
    ["missing path", ["info", join(dir, "nope")], /no such file or folder/, 1],
    ["empty folder", ["info", empty], /empty: no DICOM files found/, 1],
    ["unknown option", ["info", "--bogus", text], /unknown option --bogus/, 2],
    ["no scan given", ["info"], /give exactly one scan/, 2],
    ["unknown command", ["frobnicate"], /unknown command "frobnicate"/, 2],
  ];
  for (const [name, args, msg, code] of cases) {
    it(name, async () => {
      const r = await bct(...args);
      expect(r.code).toBe(code);
      expect(r.stderr).toMatch(/^error: /);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    });
  }
});

describe("bct info on damaged scans: each bad-input class reaches the user as one line", () => {
  const root = mkdtempSync(join(tmpdir(), "bct-cli-dicom-"));
  const vol = (seed: number) =>
    createVolume({ dims: [8, 6, 5], spacing: [0.5, 0.5, 2], data: Int16Array.from({ length: 240 }, (_, p) => ((p * 37 + seed) % 900) - 400) });
  const make = async (name: string, seed = 1) => {
    const dir = join(root, name);
    return { dir, files: await writeDicomSeries(vol(seed), dir, { seriesDescription: name }) };
  };
  const expectError = async (path: string, msg: RegExp) => {
    const r = await bct("info", path);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: /);
    expect(r.stderr).toMatch(msg);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  };

  it("a truncated DICOM file", async () => {
    const { dir, files } = await make("trunc");
    truncateSync(files[2], statSync(files[2]).size - 100); // inside the pixel data, the last element
    await expectError(dir, /truncated or corrupt/);
  });
  it("a missing slice", async () => {
    const { dir, files } = await make("gap");
    rmSync(files[2]);
    await expectError(dir, /missing slice\(s\) between positions/);
  });
  it("inconsistent orientation", async () => {
    const { dir, files } = await make("orient");
    rewrite(files[3], (p) => setTag(p, "00200037", "DS", 1, 0, 0, 0, 0.8, -0.6));
    await expectError(dir, /mixes slice orientations/);
  });
  it("an unsupported transfer syntax", async () => {
    const { dir, files } = await make("mpeg");
    rewrite(files[1], (p) => setSyntax(p, TS.mpeg2));
    await expectError(dir, /unsupported transfer syntax 1\.2\.840\.10008\.1\.2\.4\.100 \(MPEG2/);
  });
  it("two series mixed: reads the larger, says so on stderr, JSON stays clean", async () => {
    const mixed = join(root, "mixed");
    await writeDicomSeries(vol(1), join(mixed, "a"), { seriesDescription: "five" });
    await writeDicomSeries(createVolume({ dims: [8, 6, 3], spacing: [0.5, 0.5, 2], data: new Int16Array(144) }), join(mixed, "b"), { seriesDescription: "three" });
    const r = await bct("info", "--json", mixed);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).dims).toEqual([8, 6, 5]);
    expect(r.stderr).toMatch(/warning: .*holds 2 series/);
    expect(r.stderr).toMatch(/note: the CT series with the most slices \(5\) of the 2 series/);
  });
  it("a NIfTI whose header claims more data than the file holds", async () => {
    const f = join(root, "short.nii");
    writeNifti(vol(2), f, { datatype: "int16" });
    truncateSync(f, 352 + 100);
    await expectError(f, /header says 8x6x5 int16 = 480 bytes but the file has 100 bytes/);
  });
});
