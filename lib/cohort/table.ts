/**
 * The cohort table: one row per subject, read from CSV or Arrow and validated on load.
 *
 * Columns (names are case-sensitive):
 *
 * | column | required | content |
 * |---|---|---|
 * | `id` | yes | subject id, unique, safe as a file name (letters, digits, `.`, `_`, `-`; no leading `.`) |
 * | `sex` | yes | `F` or `M` |
 * | `scan` | yes | a DICOM folder or file, a NIfTI file, or a synthetic subject spec `*.phantom.json`; relative to the table's folder, or absolute |
 * | `age` | no | years |
 * | `heightCm`, `weightKg` | no | for the fall force and the load-to-strength ratio |
 * | `labels`, `label` | no | a label map (NIfTI) holding the femur and the femur's label in it (given together) |
 * | `calibration` | no | `phantom` (default) or `internal` |
 * | `dxaNeckABMD`, `dxaTotalHipABMD` | no | measured DXA areal BMD, g/cm2 |
 * | `fracture` | no | outcome, `0` or `1` |
 *
 * Any other column is carried through to the results unchanged. An empty cell of an optional column
 * means "not given". Problems with the table itself (a missing required column, a duplicate id, a bad
 * value) throw {@link CohortTableError} naming the row; a scan that is missing or unreadable is not a
 * table problem: the runner records it as that subject's error.
 *
 * @example
 * ```ts
 * import { readCohortTable } from "bct/lib/cohort/table";
 * const cohort = readCohortTable("study/cohort.csv");
 * cohort.rows[0]; // { id: "S001", sex: "F", scan: "S001/ct.nii.gz", calibration: "phantom", age: 71, ..., input: {...} }
 * ```
 * @module
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import * as aq from "arquero";
import { CsvError, parseStrictCsv } from "./csv.js";
import { BctError } from "../errors.js";
import type { Sex } from "../strength/classify.js";

/** A cohort table that cannot be used: unreadable, a required column missing, a duplicate id, a bad value. */
export class CohortTableError extends BctError {
  override name = "CohortTableError";
}

/** One cell as read: CSV gives strings (null for empty); Arrow gives its own types. */
export type CohortCell = string | number | boolean | null;

/** One subject of a cohort table. */
export interface CohortRow {
  id: string;
  sex: Sex;
  /** The scan path as written in the table (resolve against {@link CohortTable.baseDir}). */
  scan: string;
  age?: number;
  heightCm?: number;
  weightKg?: number;
  /** Label-map path as written (resolve against the base folder). */
  labels?: string;
  label?: number;
  /** Default "phantom". */
  calibration: "phantom" | "internal";
  dxaNeckABMD?: number;
  dxaTotalHipABMD?: number;
  fracture?: 0 | 1;
  /** Every cell of the row as read, by column (all columns, the known ones included), for carrying through. */
  input: Record<string, CohortCell>;
}

/** A validated cohort table. */
export interface CohortTable {
  /** The file read (absolute), or a description for tables made in memory. */
  source: string;
  /** The folder relative paths are resolved against (the table file's folder). */
  baseDir: string;
  /** The input columns in table order. */
  columns: string[];
  rows: CohortRow[];
}

/** Columns every cohort table must have. */
export const COHORT_REQUIRED_COLUMNS = ["id", "sex", "scan"] as const;
/** The other columns bct reads (all others are carried through). */
export const COHORT_OPTIONAL_COLUMNS = ["age", "heightCm", "weightKg", "labels", "label", "calibration", "dxaNeckABMD", "dxaTotalHipABMD", "fracture"] as const;

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Read and validate a cohort table: `.csv` (comma-separated, header row, UTF-8) or `.arrow` /
 * `.feather` (Arrow IPC file or stream). Relative paths in it are relative to its folder.
 * @throws CohortTableError when the file cannot be read or the table is not a valid cohort.
 * @example
 * ```ts
 * const { rows, baseDir } = readCohortTable("cohort.csv");
 * ```
 */
export function readCohortTable(path: string): CohortTable {
  const abs = resolve(path);
  let bytes: Buffer;
  try {
    bytes = readFileSync(abs);
  } catch (e) {
    throw new CohortTableError(`cannot read the cohort table ${abs}: ${(e as Error).message}`);
  }
  let records: Record<string, CohortCell>[];
  let columns: string[];
  if (/\.csv$/i.test(abs)) ({ records, columns } = parseCsv(bytes.toString("utf8"), abs));
  else if (/\.(arrow|arrows|feather)$/i.test(abs)) ({ records, columns } = parseArrow(bytes, abs));
  else throw new CohortTableError(`unknown cohort table format: ${abs} (give a .csv or an .arrow file)`);
  return cohortTable(records, { baseDir: dirname(abs), columns, source: abs });
}

function parseCsv(text: string, source: string): { records: Record<string, CohortCell>[]; columns: string[] } {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a UTF-8 byte order mark (spreadsheets write one)
  if (text.trim() === "") throw new CohortTableError(`${source} is empty: a cohort table needs a header row (id,sex,scan,...)`);
  let parsed: ReturnType<typeof parseStrictCsv>;
  try {
    // Strict: an unclosed quote or a short/long row is an error naming its line, never rows silently merged.
    parsed = parseStrictCsv(text, source);
  } catch (e) {
    if (e instanceof CsvError) throw new CohortTableError(e.message);
    throw e;
  }
  const columns = parsed.header.map((c) => c.trim());
  const records = parsed.rows.map((r) => Object.fromEntries(columns.map((name, i) => [name, r.cells[i] === "" ? null : r.cells[i]])));
  checkColumns(columns, source);
  return { records, columns };
}

function parseArrow(bytes: Buffer, source: string): { records: Record<string, CohortCell>[]; columns: string[] } {
  let t: aq.ColumnTable;
  try {
    t = aq.fromArrow(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new CohortTableError(`cannot read ${source} as an Arrow IPC table: ${(e as Error).message}`);
  }
  const columns = t.columnNames();
  checkColumns(columns, source);
  const records = (t.objects() as Record<string, unknown>[]).map((r) => Object.fromEntries(columns.map((c) => [c, arrowCell(r[c], c, source)])));
  return { records, columns };
}

function arrowCell(v: unknown, column: string, source: string): CohortCell {
  if (v === null || v === undefined) return null;
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
  if (typeof v === "bigint") return Number(v);
  if (v instanceof Date) return v.toISOString();
  throw new CohortTableError(`${source}: column "${column}" holds ${Array.isArray(v) || ArrayBuffer.isView(v) ? "lists" : typeof v} values; a cohort table holds plain values (text, numbers, booleans)`);
}

function checkColumns(columns: string[], source: string): void {
  const seen = new Set<string>();
  for (const c of columns) {
    if (c === "") throw new CohortTableError(`${source}: a column has no name (check the header row)`);
    if (seen.has(c)) throw new CohortTableError(`${source}: column "${c}" appears twice`);
    seen.add(c);
  }
}

/**
 * Validate records (one object per subject, as read from a table) into a cohort table; what
 * {@link readCohortTable} does after parsing, for tables built in memory.
 * @throws CohortTableError naming the column or the row (1-based, header not counted) and the id.
 * @example
 * ```ts
 * const t = cohortTable([{ id: "S1", sex: "F", scan: "/data/s1.nii.gz" }], { baseDir: "/data" });
 * t.rows[0].calibration; // "phantom"
 * ```
 */
export function cohortTable(records: readonly Record<string, CohortCell | undefined>[], opts: { baseDir: string; columns?: string[]; source?: string }): CohortTable {
  const source = opts.source ?? "cohort table";
  const columns = opts.columns ?? [...new Set(records.flatMap((r) => Object.keys(r)))];
  for (const c of COHORT_REQUIRED_COLUMNS) {
    if (!columns.includes(c)) {
      const near = columns.find((x) => x.toLowerCase() === c.toLowerCase());
      throw new CohortTableError(`${source}: missing required column "${c}"${near ? ` (found "${near}": column names are case-sensitive)` : ""}; a cohort table needs ${COHORT_REQUIRED_COLUMNS.join(", ")}`);
    }
  }
  for (const c of COHORT_OPTIONAL_COLUMNS) {
    const near = columns.find((x) => x !== c && x.toLowerCase() === c.toLowerCase() && !columns.includes(c));
    if (near) throw new CohortTableError(`${source}: column "${near}" should be spelled "${c}" (column names are case-sensitive)`);
  }
  const rows: CohortRow[] = [];
  const ids = new Map<string, { id: string; record: number }>();
  records.forEach((rec, r) => {
    const input: Record<string, CohortCell> = Object.fromEntries(columns.map((c) => [c, rec[c] ?? null]));
    if (Object.values(input).every((v) => v === null || (typeof v === "string" && v.trim() === ""))) return; // blank line
    const where = () => `${source}: row ${r + 1}${typeof input.id === "string" || typeof input.id === "number" ? ` (id ${input.id})` : ""}`;
    const bad = (msg: string) => new CohortTableError(`${where()}: ${msg}`);
    const text = (c: string): string | undefined => {
      const v = input[c] ?? null;
      if (v === null) return undefined;
      const s = String(v).trim();
      return s === "" ? undefined : s;
    };
    const num = (c: string, check: (x: number) => boolean, what: string): number | undefined => {
      const v = input[c] ?? null;
      if (v === null || (typeof v === "string" && v.trim() === "")) return undefined;
      const x = typeof v === "number" ? v : typeof v === "string" ? Number(v.trim()) : NaN;
      if (!Number.isFinite(x) || !check(x)) throw bad(`${c} must be ${what}, got "${v}"`);
      return x;
    };
    const id = text("id");
    if (id === undefined) throw bad("id is empty");
    if (!ID_PATTERN.test(id)) throw bad(`id "${id}" is not safe as a file name: use letters, digits, ".", "_" and "-" (not first), at most 128 characters`);
    const lower = id.toLowerCase();
    const seen = ids.get(lower);
    if (seen) {
      throw bad(seen.id === id ? `duplicate id "${id}" (also row ${seen.record + 1})` : `duplicate id "${id}": "${seen.id}" (row ${seen.record + 1}) differs only in case, and the two would share a result file on case-insensitive disks`);
    }
    const sexText = text("sex");
    if (sexText === undefined) throw bad("sex is empty (F or M)");
    const sex = sexText.toUpperCase();
    if (sex !== "F" && sex !== "M") throw bad(`sex must be F or M, got "${sexText}"`);
    const scan = text("scan");
    if (scan === undefined) throw bad("scan is empty (a DICOM folder, a NIfTI file or a *.phantom.json spec)");
    const cal = text("calibration") ?? "phantom";
    if (cal !== "phantom" && cal !== "internal") throw bad(`calibration must be phantom or internal, got "${cal}"`);
    const labels = text("labels");
    const label = num("label", (x) => Number.isInteger(x) && x >= 0, "a non-negative integer");
    if (labels !== undefined && label === undefined) throw bad("labels (a label map) needs label (the femur's value in it)");
    if (labels === undefined && label !== undefined) throw bad("label needs labels (the label-map file)");
    const f = input.fracture ?? null;
    let fracture: 0 | 1 | undefined;
    if (typeof f === "boolean") fracture = f ? 1 : 0;
    else {
      const x = num("fracture", (v) => v === 0 || v === 1, "0 or 1");
      fracture = x === undefined ? undefined : (x as 0 | 1);
    }
    const row: CohortRow = {
      id, sex, scan, calibration: cal,
      age: num("age", (x) => x >= 0 && x < 150, "an age in years"),
      heightCm: num("heightCm", (x) => x > 0 && x < 300, "a height in cm"),
      weightKg: num("weightKg", (x) => x > 0 && x < 500, "a weight in kg"),
      labels, label,
      dxaNeckABMD: num("dxaNeckABMD", (x) => x > 0 && x < 5, "an areal BMD in g/cm2"),
      dxaTotalHipABMD: num("dxaTotalHipABMD", (x) => x > 0 && x < 5, "an areal BMD in g/cm2"),
      fracture,
      input,
    };
    for (const k of Object.keys(row) as (keyof CohortRow)[]) if (row[k] === undefined) delete row[k];
    ids.set(lower, { id, record: r });
    rows.push(row);
  });
  return { source, baseDir: resolve(opts.baseDir), columns, rows };
}
