/**
 * Tables as notebook outputs: arquero tables (through their own `toHTML`) and plain arrays of
 * records (rows of a result, a cohort), as HTML with a text alternative.
 *
 * @example
 * ```ts
 * import * as aq from "arquero";
 * import { tableBundle, recordsBundle } from "bct/lib/display/table";
 * tableBundle(aq.table({ site: ["neck", "troch"], bmd: [0.81, 0.72] }));
 * recordsBundle([{ site: "neck", bmd: 0.81 }]);
 * ```
 * @module
 */
import { escapeHtml, type MimeBundle } from "./mime.js";

/** What is used of an arquero table (so this module needs no arquero import). */
export interface TableLike {
  toHTML(options?: { limit?: number }): string;
  numRows(): number;
  numCols(): number;
  toMarkdown?(options?: { limit?: number }): string;
}

/** True for an object with arquero's table methods used here. */
export function isTableLike(x: unknown): x is TableLike {
  return typeof x === "object" && x !== null &&
    typeof (x as TableLike).toHTML === "function" && typeof (x as TableLike).numRows === "function" && typeof (x as TableLike).numCols === "function";
}

/** An arquero table: the first `limit` rows (default 50) as HTML, and as Markdown text. */
export function tableBundle(table: TableLike, opts: { limit?: number } = {}): MimeBundle {
  const limit = opts.limit ?? 50;
  const rows = table.numRows();
  const note = rows > limit ? `\n(${limit} of ${rows} rows shown)` : "";
  const text = (table.toMarkdown ? table.toMarkdown({ limit }) : `table: ${rows} rows x ${table.numCols()} columns`) + note;
  const html = table.toHTML({ limit }) + (note ? `<div style="font:11px sans-serif">${escapeHtml(note.trim())}</div>` : "");
  return { data: { "text/html": html, "text/plain": text }, metadata: {} };
}

function cell(v: unknown, digits: number): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : Number.isFinite(v) ? String(Number(v.toPrecision(digits))) : String(v);
  if (Array.isArray(v) || ArrayBuffer.isView(v)) return `[${Array.from(v as ArrayLike<unknown>, (x) => cell(x, digits)).join(", ")}]`;
  if (v === null || v === undefined) return "";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

/**
 * Rows of plain records as a table; columns are the union of the keys in first-seen order, numbers
 * shown to `digits` significant digits (default 6).
 */
export function recordsBundle(rows: Record<string, unknown>[], opts: { digits?: number; caption?: string } = {}): MimeBundle {
  const digits = opts.digits ?? 6;
  const cols: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  const head = `<tr>${cols.map((c) => `<th>${escapeHtml(c)}</th>`).join("")}</tr>`;
  const body = rows.map((r) => `<tr>${cols.map((c) => `<td>${escapeHtml(cell(r[c], digits))}</td>`).join("")}</tr>`).join("");
  const caption = opts.caption ? `<caption>${escapeHtml(opts.caption)}</caption>` : "";
  const html = `<table class="bct-table">${caption}<thead>${head}</thead><tbody>${body}</tbody></table>`;
  const text = [opts.caption ?? "", cols.join("\t"), ...rows.map((r) => cols.map((c) => cell(r[c], digits)).join("\t"))].filter(Boolean).join("\n");
  return { data: { "text/html": html, "text/plain": text }, metadata: {} };
}
