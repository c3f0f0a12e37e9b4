/**
 * A strict CSV reader (RFC 4180) for tables typed or exported by hand: comma-separated, optional
 * double-quoted fields with "" for a quote, CRLF or LF line ends. Lenient readers let an unclosed
 * quote swallow every following line into one cell, so rows vanish without a word; this one refuses,
 * naming the line:
 * - a quoted field still open at the end of the file ("unclosed quote opened on line N");
 * - a quoted field that runs across a line end (a cohort cell never holds a line break);
 * - text after a closing quote before the next comma (`"a"b`);
 * - a row with more or fewer cells than the header.
 * Blank lines are skipped. Cells come back as strings, exactly as written (quotes removed).
 *
 * @example
 * ```ts
 * const { header, rows } = parseStrictCsv('id,sex\ns1,F\n', "cohort.csv");
 * rows[0].cells; // ["s1", "F"]; rows[0].line === 2
 * ```
 * @module
 */
import { BctError } from "../errors.js";

/** A CSV text that cannot be read as a table. */
export class CsvError extends BctError {
  override name = "CsvError";
}

/** One data row with the (1-based) line it starts on. */
export interface CsvRow {
  line: number;
  cells: string[];
}

/** Options of {@link parseStrictCsv}. */
export interface StrictCsvOptions {
  /** Allow a quoted field to hold line breaks. Default false. */
  multilineFields?: boolean;
}

/** Parse `text` (from `source`, named in errors) into a header and rows of equal width. */
export function parseStrictCsv(text: string, source: string, opts: StrictCsvOptions = {}): { header: string[]; headerLine: number; rows: CsvRow[] } {
  const records = splitRecords(text, source, opts.multilineFields ?? false);
  if (records.length === 0) throw new CsvError(`${source} is empty: a table needs a header row`);
  const [head, ...rows] = records;
  for (const r of rows) {
    if (r.cells.length !== head.cells.length) {
      throw new CsvError(`${source} line ${r.line}: ${r.cells.length} cell(s) where the header (line ${head.line}) has ${head.cells.length}`);
    }
  }
  return { header: head.cells, headerLine: head.line, rows };
}

/** Split into records of cells, tracking line numbers; blank lines are skipped. */
function splitRecords(text: string, source: string, multiline: boolean): CsvRow[] {
  const out: CsvRow[] = [];
  let line = 1, i = 0;
  const n = text.length;
  while (i < n) {
    if (text[i] === "\n" || (text[i] === "\r" && text[i + 1] === "\n")) { // blank line
      i += text[i] === "\r" ? 2 : 1;
      line++;
      continue;
    }
    const start = line;
    const cells: string[] = [];
    for (;;) {
      const r = readCell(text, i, line, source, multiline);
      cells.push(r.value);
      i = r.end;
      line = r.line;
      if (i >= n) break;
      if (text[i] === ",") { i++; continue; }
      // record end
      i += text[i] === "\r" ? 2 : 1;
      line++;
      break;
    }
    out.push({ line: start, cells });
  }
  return out;
}

/** One cell from position `i`: returns its value, the position of the delimiter after it and the line there. */
function readCell(text: string, i: number, line: number, source: string, multiline: boolean): { value: string; end: number; line: number } {
  const n = text.length;
  if (text[i] !== '"') {
    let j = i;
    while (j < n && text[j] !== "," && text[j] !== "\n" && !(text[j] === "\r" && text[j + 1] === "\n")) {
      if (text[j] === '"') throw new CsvError(`${source} line ${line}: a quote inside an unquoted cell (quote the whole cell and double the quote: "a ""b"" c")`);
      j++;
    }
    return { value: text.slice(i, j), end: j, line };
  }
  const openLine = line;
  let value = "";
  let j = i + 1;
  for (;;) {
    if (j >= n) throw new CsvError(`${source} line ${openLine}: unclosed quote (the quoted cell opened on line ${openLine} runs to the end of the file)`);
    const c = text[j];
    if (c === '"') {
      if (text[j + 1] === '"') { value += '"'; j += 2; continue; }
      j++;
      break;
    }
    if (c === "\n") {
      if (!multiline) throw new CsvError(`${source} line ${openLine}: a quoted cell runs across the end of the line (unclosed quote?)`);
      line++;
    }
    value += c;
    j++;
  }
  if (j < n && text[j] !== "," && text[j] !== "\n" && !(text[j] === "\r" && text[j + 1] === "\n")) {
    throw new CsvError(`${source} line ${line}: text after a closing quote (${JSON.stringify(text.slice(j, j + 10))})`);
  }
  return { value, end: j, line };
}
