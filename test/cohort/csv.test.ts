import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CsvError, parseStrictCsv } from "../../lib/cohort/csv.js";
import { CohortTableError, readCohortTable } from "../../lib/cohort/table.js";
import { bct } from "../helpers/cli.js";

describe("parseStrictCsv", () => {
  it("reads quoted cells with commas and doubled quotes, CRLF and LF, and skips blank lines", () => {
    const r = parseStrictCsv('id,note\r\n1,"a, ""b"""\r\n\r\n2,\n3,plain\n', "t.csv");
    expect(r.header).toEqual(["id", "note"]);
    expect(r.rows).toEqual([
      { line: 2, cells: ["1", 'a, "b"'] },
      { line: 4, cells: ["2", ""] },
      { line: 5, cells: ["3", "plain"] },
    ]);
  });

  it("a file without a final line break keeps its last row", () => {
    expect(parseStrictCsv("a,b\n1,2", "t.csv").rows).toEqual([{ line: 2, cells: ["1", "2"] }]);
  });

  const bad: [string, string, RegExp][] = [
    ["unclosed quote to the end of the file", 'id,note\n1,"left hip, see report\n2,x\n3,y', /line 2: .*(unclosed quote|across the end of the line)/],
    ["unclosed quote in the last line", 'id,note\n1,x\n2,"open', /line 3: unclosed quote/],
    ["a row with too few cells", "id,sex,scan\n1,F,a\n2,F\n", /line 3: 2 cell\(s\) where the header \(line 1\) has 3/],
    ["a row with too many cells", "id,sex\n1,F,extra\n", /line 2: 3 cell\(s\)/],
    ["text after a closing quote", 'id,note\n1,"a"b\n', /line 2: text after a closing quote/],
    ["a stray quote in an unquoted cell", 'id,note\n1,a"b\n', /line 2: a quote inside an unquoted cell/],
  ];
  for (const [name, text, message] of bad) {
    it(`refuses ${name}, naming the line`, () => {
      expect(() => parseStrictCsv(text, "t.csv")).toThrow(CsvError);
      expect(() => parseStrictCsv(text, "t.csv")).toThrow(message);
    });
  }

  it("allows line breaks inside quotes only when asked", () => {
    expect(parseStrictCsv('a,b\n"x\ny",2\n', "t.csv", { multilineFields: true }).rows).toEqual([{ line: 2, cells: ["x\ny", "2"] }]);
  });
});

describe("cohort tables never lose a row to a broken quote", () => {
  const dir = mkdtempSync(join(tmpdir(), "bct-csv-"));
  // Eight subjects; the third has a free-text note with an unclosed quote. A lenient reader sees
  // three subjects and swallows the rest into that cell.
  const rows = Array.from({ length: 8 }, (_, k) => `s${k + 1},F,s${k + 1}.nii.gz,${k === 2 ? '"left hip, see report' : "ok"}`);
  const file = join(dir, "cohort.csv");
  writeFileSync(file, ["id,sex,scan,note", ...rows].join("\n") + "\n");

  it("readCohortTable refuses it with the line of the open quote", () => {
    expect(() => readCohortTable(file)).toThrow(CohortTableError);
    expect(() => readCohortTable(file)).toThrow(/line 4: .*(unclosed quote|across the end of the line)/);
  });

  it("bct cohort run ends with one error line and a non-zero exit", async () => {
    const r = await bct("cohort", "run", file, "--out", join(dir, "out"));
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: .*line 4/);
  });
});
