import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as aq from "arquero";
import { beforeAll, describe, expect, it } from "vitest";
import type { PhantomDefinition } from "../../lib/calibration/phantom.js";
import { fallForceN } from "../../lib/cohort/fall.js";
import { runCohort, type CohortProgress, type CohortRunSummary } from "../../lib/cohort/runner.js";
import { RESULT_COLUMNS, type SubjectOk, type SubjectResult } from "../../lib/cohort/subject.js";
import { cohortTable, CohortTableError } from "../../lib/cohort/table.js";
import { readNifti } from "../../lib/io/nifti/index.js";
import { readScan } from "../../lib/io/scan.js";
import { analyzeHip } from "../../lib/pipeline/hip.js";
import { writeSubjectSpec, type SubjectSpec } from "../../lib/synthetic/subject.js";
import { REPO_ROOT } from "../helpers/paths.js";
import { bct } from "../helpers/cli.js";

const HIP = resolve(REPO_ROOT, "datasets/phantom/hip");
const CERTIFICATE = JSON.parse(readFileSync(resolve(REPO_ROOT, "datasets/phantom/calibration-phantom.json"), "utf8")) as PhantomDefinition;
const ELEMENT = 3; // mm: coarse and fast
/** The runner's machinery is under test, not the strength model: the quick linear criterion. */
const STRENGTH = { criterion: "linear-critical-volume" } as const;


/** The independent reference: the hip pipeline called directly on the NIfTI phantom. */
let reference: { strengthN: number; stiffnessNPerMm: number; elements: number };
beforeAll(async () => {
  const ct = (await readScan(join(HIP, "ct.nii.gz"))).volume;
  const { result } = analyzeHip(ct, { sex: "F", calibration: { kind: "phantom", phantom: CERTIFICATE }, elementSize: ELEMENT, strength: STRENGTH });
  reference = { strengthN: result.strengthN, stiffnessNPerMm: result.stiffnessNPerMm, elements: result.elements };
});

describe("bct cohort run (worker threads, through the build)", () => {
  it("runs 4 subjects (NIfTI, DICOM, corrupt, synthetic) on 2 workers, records the bad one, writes one table, and resumes", async () => {
    expect(existsSync(resolve(REPO_ROOT, "dist/lib/cli/cohort.js")), "run `npm run build` before this test").toBe(true);
    const dir = mkdtempSync(join(tmpdir(), "bct-cohort-run-"));
    mkdirSync(join(dir, "scans"));
    symlinkSync(join(HIP, "dicom"), join(dir, "scans", "dicom")); // a relative scan path, resolved against the table's folder
    writeFileSync(join(dir, "scans", "corrupt.nii.gz"), "this is not a scan\n");
    // A synthetic subject spec with unit factors and seed 1: the generator's default hip scan, i.e. the embedded
    // phantom's CT voxel for voxel (test/synthetic checks that), calibrated with the certificate of its own phantom.
    const spec: SubjectSpec = { format: "bct-subject-spec", version: 1, id: "SYN1", sex: "F", age: 40, heightCm: 170, weightKg: 70, seed: 1, factors: { trabecularDensity: 1, corticalThickness: 1, corticalDensity: 1, size: 1 } };
    writeSubjectSpec(spec, join(dir, "specs"));
    writeFileSync(
      join(dir, "cohort.csv"),
      [
        "id,sex,scan,age,heightCm,weightKg,fracture,centre",
        `P-nifti,F,${join(HIP, "ct.nii.gz")},72,160,58,1,Lyon`,
        "P-dicom,F,scans/dicom,72,,,0,Basel",
        "P-bad,M,scans/corrupt.nii.gz,65,180,85,0,Lyon",
        "SYN1,F,specs/SYN1.phantom.json,40,170,70,0,in-silico",
      ].join("\n") + "\n",
    );
    const out = join(dir, "out");
    const args = ["cohort", "run", join(dir, "cohort.csv"), "--out", out, "--element", String(ELEMENT), "--criterion", "linear-critical-volume", "--workers", "2", "--json"];

    // First run: 3 ok, 1 error; exit code 3 says "finished, some subjects failed".
    const r1 = await bct(...args);
    expect(r1.code, r1.stderr).toBe(3);
    const s1 = JSON.parse(r1.stdout) as CohortRunSummary;
    expect(s1).toMatchObject({ total: 4, ok: 3, failed: 1, reused: 0, computed: 4, workers: 2 });
    expect(r1.stderr).toMatch(/P-nifti: started/);
    expect(r1.stderr).toMatch(/4\/4 /);
    expect(r1.stderr).toMatch(/P-bad: FAILED: NiftiError: .*corrupt\.nii\.gz is not a NIfTI file/);
    expect(r1.stderr).toMatch(/ETA \d+ s/);
    expect(r1.stderr).not.toMatch(/\n\s+at /);

    const subject = (id: string) => JSON.parse(readFileSync(join(out, "subjects", `${id}.json`), "utf8")) as SubjectResult;
    const nifti = subject("P-nifti") as SubjectOk, dicom = subject("P-dicom") as SubjectOk, bad = subject("P-bad");
    expect(bad).toMatchObject({ id: "P-bad", status: "error", errorName: "NiftiError", error: expect.stringMatching(/corrupt\.nii\.gz is not a NIfTI file/) });
    expect(nifti.status).toBe("ok");
    expect(dicom.status).toBe("ok");
    expect([nifti.scanFormat, dicom.scanFormat]).toEqual(["nifti", "dicom"]);
    // Same image as DICOM and as NIfTI, and the same as the pipeline called directly.
    expect(dicom.strengthN).toBe(nifti.strengthN);
    expect(nifti.strengthN).toBe(reference.strengthN);
    expect(nifti.stiffnessNPerMm).toBe(reference.stiffnessNPerMm);
    expect(nifti.elements).toBe(reference.elements);
    expect(nifti.elementSizeMm).toBe(ELEMENT);
    // Fall force from height and weight; none without them.
    expect(nifti.fallForceN).toBe(Math.round(fallForceN(160, 58)));
    expect(nifti.factorOfRisk).toBeCloseTo(fallForceN(160, 58) / nifti.strengthN, 3);
    expect(dicom.fallForceN).toBeNull();
    const syn = subject("SYN1") as SubjectOk;
    expect(syn).toMatchObject({ status: "ok", scanFormat: "synthetic", strengthN: reference.strengthN, stiffnessNPerMm: reference.stiffnessNPerMm });
    expect(syn.calibrationFit).toMatch(/synthetic subject's calibration phantom/);

    // results.csv: input columns (carried through unchanged), then the result columns; one row per subject in table order.
    const csv = aq.fromCSV(readFileSync(join(out, "results.csv"), "utf8"), { autoType: false });
    expect(csv.columnNames()).toEqual(["id", "sex", "scan", "age", "heightCm", "weightKg", "fracture", "centre", ...RESULT_COLUMNS]);
    const rows = csv.objects() as Record<string, string | null>[];
    expect(rows.map((r) => [r.id, r.status, r.centre, r.scan])).toEqual([
      ["P-nifti", "ok", "Lyon", join(HIP, "ct.nii.gz")],
      ["P-dicom", "ok", "Basel", "scans/dicom"],
      ["P-bad", "error", "Lyon", "scans/corrupt.nii.gz"],
      ["SYN1", "ok", "in-silico", "specs/SYN1.phantom.json"],
    ]);
    expect(Number(rows[0].strengthN)).toBe(reference.strengthN);
    expect(rows[2].error).toMatch(/is not a NIfTI file/);
    expect(rows[2].strengthN).toBeNull();
    const json = JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
    expect(json.summary).toEqual(s1);
    expect(json.rows.map((r: { id: string }) => r.id)).toEqual(["P-nifti", "P-dicom", "P-bad", "SYN1"]);

    // Second run: the ok subjects are reused (files untouched); the failed one is retried (default).
    const mtime = (id: string) => statSync(join(out, "subjects", `${id}.json`)).mtimeMs;
    const before = { nifti: mtime("P-nifti"), dicom: mtime("P-dicom"), syn: mtime("SYN1") };
    const r2 = await bct(...args);
    const s2 = JSON.parse(r2.stdout) as CohortRunSummary;
    expect(s2).toMatchObject({ total: 4, ok: 3, failed: 1, reused: 3, computed: 1 });
    expect(r2.stderr).toMatch(/P-nifti: reused/);
    expect(r2.stderr).toMatch(/P-bad: started/);
    expect(mtime("P-nifti")).toBe(before.nifti);
    expect(mtime("P-dicom")).toBe(before.dicom);
    expect(mtime("SYN1")).toBe(before.syn);

    // Deleting one subject's result recomputes only that one (failed ones kept with --no-retry-failed).
    rmSync(join(out, "subjects", "P-dicom.json"));
    const r3 = await bct(...args, "--no-retry-failed");
    const s3 = JSON.parse(r3.stdout) as CohortRunSummary;
    expect(s3).toMatchObject({ total: 4, ok: 3, failed: 1, reused: 3, computed: 1 });
    expect(r3.stderr).toMatch(/P-dicom: started/);
    expect(r3.stderr).not.toMatch(/P-nifti: started|P-bad: started|SYN1: started/);
    expect(mtime("P-nifti")).toBe(before.nifti);
    expect((subject("P-dicom") as SubjectOk).strengthN).toBe(nifti.strengthN);
  });

  it("reports a bad table or bad usage without a stack trace", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bct-cohort-bad-"));
    writeFileSync(join(dir, "dup.csv"), "id,sex,scan\nA,F,a.nii.gz\nA,F,b.nii.gz\n");
    const r = await bct("cohort", "run", join(dir, "dup.csv"), "--out", join(dir, "out"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: .*row 2 \(id A\): duplicate id "A"/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const u = await bct("cohort", "run", join(dir, "dup.csv"));
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/--out DIR is required/);
  });
});

describe("runCohort in process (workers: 0)", () => {
  it("analyses a label-map subject and reports progress in order", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bct-cohort-inproc-"));
    const table = cohortTable(
      [
        { id: "LAB", sex: "F", scan: join(HIP, "ct.nii.gz"), labels: join(HIP, "labels.nii.gz"), label: "1", heightCm: "170", weightKg: "70" },
        { id: "GONE", sex: "F", scan: "gone/dicom" },
      ],
      { baseDir: dir },
    );
    const events: CohortProgress[] = [];
    const s = await runCohort(table, { outDir: join(dir, "out"), workers: 0, elementSize: ELEMENT, strength: STRENGTH, onProgress: (e) => events.push(e) });
    expect(s).toMatchObject({ total: 2, ok: 1, failed: 1, workers: 0 });
    expect(events.map((e) => `${e.kind} ${e.id} ${e.done}`)).toEqual(["start LAB 0", "done LAB 1", "start GONE 1", "failed GONE 2"]);
    expect(events[1].etaSeconds).toBeGreaterThan(0);
    expect(events.at(-1)!.etaSeconds).toBe(0);
    const [lab, gone] = JSON.parse(readFileSync(join(dir, "out", "results.json"), "utf8")).rows as Record<string, string | number | null>[];
    expect(gone).toMatchObject({ status: "error", error: `no such file or folder: ${join(dir, "gone/dicom")}` });
    const labels = readNifti(join(HIP, "labels.nii.gz")).volume;
    const direct = analyzeHip((await readScan(join(HIP, "ct.nii.gz"))).volume, { sex: "F", calibration: { kind: "phantom", phantom: CERTIFICATE }, elementSize: ELEMENT, strength: STRENGTH, labels: { map: labels, label: 1 } });
    expect(lab.strengthN).toBe(direct.result.strengthN);
    expect(lab.elements).toBe(direct.result.elements);
    expect(lab.elements).not.toBe(reference.elements); // the label map's femur, not the automatic mask
    expect(lab.fallForceN).toBe(Math.round(fallForceN(170, 70)));
  });

  it("reuses a stored result only when its inputs match, and keeps failures with retryFailed: false", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bct-cohort-resume-"));
    const table = cohortTable([{ id: "M1", sex: "F", scan: "missing.nii.gz" }, { id: "M2", sex: "M", scan: "missing.phantom.json" }], { baseDir: dir });
    const outDir = join(dir, "out");
    const a = await runCohort(table, { outDir, workers: 0, elementSize: 3, strength: STRENGTH });
    expect(a).toMatchObject({ total: 2, ok: 0, failed: 2, reused: 0, computed: 2 });
    const stored = JSON.parse(readFileSync(join(outDir, "subjects", "M2.json"), "utf8"));
    expect(stored).toMatchObject({ status: "error", errorName: "ScanError", error: expect.stringMatching(/no such synthetic subject spec/) });
    expect(await runCohort(table, { outDir, workers: 0, elementSize: 3, strength: STRENGTH, retryFailed: false })).toMatchObject({ reused: 2, computed: 0, failed: 2 });
    expect(await runCohort(table, { outDir, workers: 0, elementSize: 3, strength: STRENGTH })).toMatchObject({ reused: 0, computed: 2 });
    // Another element size is another result: nothing reused even with retryFailed: false.
    expect(await runCohort(table, { outDir, workers: 0, elementSize: 2, strength: STRENGTH, retryFailed: false })).toMatchObject({ reused: 0, computed: 2 });
    const clash = cohortTable([{ id: "A", sex: "F", scan: "a.nii.gz", strengthN: "3000" }], { baseDir: dir });
    await expect(runCohort(clash, { outDir, workers: 0 })).rejects.toThrow(CohortTableError);
    await expect(runCohort(clash, { outDir, workers: 0 })).rejects.toThrow(/strengthN have the name of a result column/);
  });
});
