import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as aq from "arquero";
import { describe, expect, it } from "vitest";
import { cohortTable, CohortTableError, readCohortTable } from "../../lib/cohort/table.js";

const dir = mkdtempSync(join(tmpdir(), "bct-cohort-table-"));
function csv(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const FULL = [
  "id,sex,scan,age,heightCm,weightKg,labels,label,calibration,dxaNeckABMD,dxaTotalHipABMD,fracture,site,note",
  "007,F,s1/ct.nii.gz,71.5,158,61.2,s1/labels.nii.gz,1,internal,0.712,0.801,1,Lyon,\"smoker, ex\"",
  "",
  "S-2,m,/abs/dicom,,,,,,,,,,Basel,",
].join("\n");

describe("readCohortTable (CSV)", () => {
  it("types the known columns, keeps ids as text, defaults the calibration and carries other columns unchanged", () => {
    const t = readCohortTable(csv("full.csv", "\uFEFF" + FULL + "\n"));
    expect(t.baseDir).toBe(dir);
    expect(t.source).toBe(join(dir, "full.csv"));
    expect(t.columns).toEqual(["id", "sex", "scan", "age", "heightCm", "weightKg", "labels", "label", "calibration", "dxaNeckABMD", "dxaTotalHipABMD", "fracture", "site", "note"]);
    expect(t.rows).toHaveLength(2); // the blank line is not a subject
    const [a, b] = t.rows;
    expect(a).toMatchObject({
      id: "007", sex: "F", scan: "s1/ct.nii.gz", age: 71.5, heightCm: 158, weightKg: 61.2, labels: "s1/labels.nii.gz", label: 1,
      calibration: "internal", dxaNeckABMD: 0.712, dxaTotalHipABMD: 0.801, fracture: 1,
    });
    expect(a.input).toMatchObject({ id: "007", age: "71.5", site: "Lyon", note: "smoker, ex" });
    expect(b).toEqual({ id: "S-2", sex: "M", scan: "/abs/dicom", calibration: "phantom", input: expect.objectContaining({ site: "Basel", note: null, age: null }) });
  });

  it("rejects a table that is not a valid cohort, naming the column or the row", () => {
    const cases: [string, RegExp][] = [
      ["id,sex\nA,F\n", /missing required column "scan"/],
      ["ID,sex,scan\nA,F,x\n", /missing required column "id" \(found "ID": column names are case-sensitive\)/],
      ["id,sex,scan,HeightCm\nA,F,x,170\n", /"HeightCm" should be spelled "heightCm"/],
      ["id,sex,scan,id\nA,F,x,B\n", /column "id" appears twice/],
      ["id,sex,scan\nA,F,x\nB,M,y\nA,M,z\n", /row 3 \(id A\): duplicate id "A" \(also row 1\)/],
      ["id,sex,scan\nab,F,x\nAB,M,y\n", /duplicate id "AB": "ab" \(row 1\) differs only in case/],
      ["id,sex,scan\nA,X,x\n", /row 1 \(id A\): sex must be F or M, got "X"/],
      ["id,sex,scan\nA,,x\n", /sex is empty/],
      ["id,sex,scan\n../up,F,x\n", /id "..\/up" is not safe as a file name/],
      ["id,sex,scan\nA,F,\n", /scan is empty/],
      ["id,sex,scan,heightCm\nA,F,x,tall\n", /heightCm must be a height in cm, got "tall"/],
      ["id,sex,scan,fracture\nA,F,x,2\n", /fracture must be 0 or 1, got "2"/],
      ["id,sex,scan,calibration\nA,F,x,magic\n", /calibration must be phantom or internal, got "magic"/],
      ["id,sex,scan,labels\nA,F,x,l.nii.gz\n", /labels \(a label map\) needs label/],
      ["id,sex,scan,label\nA,F,x,1\n", /label needs labels/],
      ["id,sex,scan,labels,label\nA,F,x,l.nii.gz,1.5\n", /label must be a non-negative integer, got "1.5"/],
      ["", /is empty: a cohort table needs a header row/],
    ];
    cases.forEach(([text, msg], i) => {
      const p = csv(`bad${i}.csv`, text);
      expect(() => readCohortTable(p), text).toThrow(CohortTableError);
      expect(() => readCohortTable(p), text).toThrow(msg);
    });
    expect(() => readCohortTable(join(dir, "none.csv"))).toThrow(/cannot read the cohort table/);
    expect(() => readCohortTable(csv("t.xlsx", "x"))).toThrow(/unknown cohort table format/);
  });
});

describe("readCohortTable (Arrow)", () => {
  it("reads the same cohort from an Arrow IPC file or stream as from its CSV", () => {
    const fromCsv = readCohortTable(csv("arrow-ref.csv", FULL));
    const records = fromCsv.rows.map((r) => r.input);
    const typed = aq.from(records.map((r) => ({ ...r, age: r.age === null ? null : Number(r.age), label: r.label === null ? null : Number(r.label) })));
    for (const format of ["file", "stream"] as const) {
      const p = join(dir, `cohort-${format}.arrow`);
      writeFileSync(p, aq.toArrowIPC(typed, { format }));
      const t = readCohortTable(p);
      expect(t.columns).toEqual(fromCsv.columns);
      expect(t.rows.map(({ input: _, ...r }) => r)).toEqual(fromCsv.rows.map(({ input: _, ...r }) => r));
      expect(t.rows[0].input.age).toBe(71.5); // Arrow keeps its own types for carried values
    }
  });
});

describe("cohortTable", () => {
  it("validates in-memory records, with booleans for fracture", () => {
    const t = cohortTable([{ id: "A", sex: "F", scan: "a.nii.gz", fracture: true }, { id: "B", sex: "M", scan: "b.nii.gz", fracture: false }], { baseDir: "/data" });
    expect(t.rows.map((r) => r.fracture)).toEqual([1, 0]);
    expect(t.baseDir).toBe("/data");
    expect(() => cohortTable([{ id: "A", sex: "F" }], { baseDir: "/" })).toThrow(/missing required column "scan"/);
  });
});
