/**
 * Every notebook in notebooks/ runs top to bottom on the bct kernel with real Jupyter (as
 * `npm run notebooks` does), with no error output, and writes key results that match independent
 * references. Needs the build (npm test builds) and Debian's jupyter-nbconvert, python3-nbclient,
 * python3-ipykernel.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { findJupyter, type ExecutedNotebook } from "../../kernel/nbconvert.js";
import { listNotebooks, notebooksDir, runNotebooks } from "../../kernel/run-notebooks.js";

const jupyter = findJupyter();
if (!jupyter) console.warn("SKIPPED: notebook execution needs Jupyter (apt-get install jupyter-nbconvert python3-nbclient python3-ipykernel)");

const dir = notebooksDir();
const resultsDir = join(dir, "_build", "results");
const REFERENCE = join(dir, "..", "..", "shared", "data", "totalseg-example", "reference-values.json");

interface ScanSummary {
  dims: number[]; spacing: number[]; origin: number[]; direction: number[];
  min: number; max: number; mean: number;
}

function expectClose(actual: number[], expected: number[], tol: number) {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, i) => expect(Math.abs(a - expected[i]), `component ${i}: ${a} vs ${expected[i]}`).toBeLessThanOrEqual(tol));
}

describe.skipIf(!jupyter)("notebooks", () => {
  let runs: ExecutedNotebook[] = [];
  beforeAll(() => {
    if (!existsSync(join(dir, "..", "dist", "kernel", "launch.js"))) throw new Error("dist/kernel/launch.js is missing: run npm run build (npm test does)");
    rmSync(resultsDir, { recursive: true, force: true }); // no stale results
    runs = runNotebooks({ jupyter: jupyter! });
  }, 600_000);

  it("runs every notebook with no error output and exports HTML", () => {
    expect(runs.map((r) => r.input)).toEqual(listNotebooks(dir));
    expect(runs.length).toBeGreaterThan(0);
    for (const r of runs) {
      expect(r.notebook, `${r.input} did not execute:\n${r.log.slice(-2000)}`).not.toBeNull();
      expect(r.errors, r.input).toEqual([]);
      expect(r.status, r.input).toBe(0);
      expect(r.html && existsSync(r.html), `${r.input} has no HTML export`).toBe(true);
    }
  });

  it("01-load-ct: geometry and HU statistics match the independent reference", () => {
    const file = join(resultsDir, "01-load-ct.json");
    expect(existsSync(file), "the notebook did not write its results").toBe(true);
    const res = JSON.parse(readFileSync(file, "utf8")) as { source: string; nifti: ScanSummary & { boneVoxels: number; centreWorld: number[] }; dicom: ScanSummary & { sliceCount: number; transferSyntaxUid: string } };
    const html = readFileSync(join(dir, "_build", "01-load-ct.html"), "utf8");
    expect(html.match(/data:image\/png;base64,/g)!.length).toBeGreaterThanOrEqual(15); // 5 ortho views x 3 planes
    expect(html.split("window.Plotly = Plotly").length - 1).toBe(1);
    expect(res.nifti.boneVoxels).toBeGreaterThan(0);

    if (res.source === "totalseg-example") {
      const ref = JSON.parse(readFileSync(REFERENCE, "utf8"));
      const n = ref["example_ct.nii.gz"], d = ref["dicom"];
      expect(res.nifti.dims).toEqual(n.dims);
      expectClose(res.nifti.spacing, n.spacing, 1e-4);
      expectClose(res.nifti.origin, n.origin, 1e-3);
      expectClose(res.nifti.direction, n.direction, 1e-6);
      expect([res.nifti.min, res.nifti.max]).toEqual([n.min, n.max]);
      expect(Math.abs(res.nifti.mean - n.mean)).toBeLessThan(1e-3);
      // the centre voxel's world position, from the reference geometry
      const c = n.dims.map((k: number) => (k - 1) / 2);
      const centre = [0, 1, 2].map((r) => n.origin[r] + [0, 1, 2].reduce((s, col) => s + n.direction[3 * r + col] * n.spacing[col] * c[col], 0));
      expectClose(res.nifti.centreWorld, centre, 1e-3);
      expect(res.dicom.dims).toEqual(d.dims);
      expectClose(res.dicom.spacing, d.spacing, 1e-4);
      expectClose(res.dicom.origin, d.origin, 1e-3);
      expectClose(res.dicom.direction, d.direction, 1e-6);
      expect([res.dicom.min, res.dicom.max]).toEqual([d.min, d.max]);
      expect(Math.abs(res.dicom.mean - d.mean)).toBeLessThan(1e-3);
      expect(res.dicom.transferSyntaxUid).toBe(d.transfer_syntax);
    } else {
      // The embedded phantom: its DICOM series and its NIfTI are the same image written twice.
      expect(res.source).toBe("phantom");
      expect(res.dicom.dims).toEqual(res.nifti.dims);
      expectClose(res.dicom.spacing, res.nifti.spacing, 1e-3);
      expectClose(res.dicom.origin, res.nifti.origin, 0.01);
      expectClose(res.dicom.direction, res.nifti.direction, 1e-4);
      expect(Math.abs(res.dicom.mean - res.nifti.mean)).toBeLessThan(1);
    }
  });
});
