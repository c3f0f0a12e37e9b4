/**
 * Jupyter MIME bundles: the plain-data form of a rich output. Every display helper returns one; the
 * bct kernel shows it (`display(bundle)` from `bct/kernel/display`, or as a cell's last expression);
 * anything else can store it (it is JSON).
 *
 * @example
 * ```ts
 * import { htmlBundle } from "bct/lib/display/mime";
 * const b = htmlBundle("<b>bone</b>", "bone");
 * b.data["text/html"]; // "<b>bone</b>"
 * ```
 * @module
 */

/** A rich output: MIME type -> representation. Binary formats (PNG) are base64 strings. */
export interface MimeBundle {
  data: { "text/plain": string } & Record<string, unknown>;
  /** Per-MIME-type metadata (e.g. image size); may be empty. */
  metadata: Record<string, unknown>;
}

/** True for an object shaped like a {@link MimeBundle} (a `data` object with `text/plain`). */
export function isMimeBundle(x: unknown): x is MimeBundle {
  if (typeof x !== "object" || x === null) return false;
  const data = (x as { data?: unknown }).data;
  if (typeof data !== "object" || data === null) return false;
  const keys = Object.keys(data);
  return typeof (data as Record<string, unknown>)["text/plain"] === "string" && keys.every((k) => k.includes("/"));
}

/** A bundle of HTML with its plain-text alternative. */
export function htmlBundle(html: string, text: string): MimeBundle {
  return { data: { "text/html": html, "text/plain": text }, metadata: {} };
}

/** Escape text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);
}

/**
 * JSON for embedding inside an HTML `<script>`: `<`, `>`, `&` and the JS line separators are escaped
 * so no data value can close the script element.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value, plainReplacer)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** A `JSON.stringify` replacer that writes typed arrays as plain arrays and non-finite numbers as null. */
export function plainReplacer(_key: string, value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<number>, (v) => (Number.isFinite(v) ? v : null));
  }
  return value;
}

/** Deep copy with typed arrays turned into plain arrays (for MIME data that must be JSON). */
export function toPlainJson<T>(value: T): unknown {
  return JSON.parse(JSON.stringify(value, plainReplacer));
}
