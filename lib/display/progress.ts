/**
 * The look of a progress display for a long computation (a solve, a cohort run): a bar, a count and
 * the time taken, as HTML and text. Updating it in place is the kernel's job (`bct/kernel/display`,
 * `progress()`), through a Jupyter display_id.
 *
 * @example
 * ```ts
 * import { progressBundle } from "bct/lib/display/progress";
 * progressBundle({ label: "CG iterations", done: 40, total: 100, elapsedMs: 3200 }).data["text/plain"];
 * // "CG iterations: 40/100 (40%) 3.2 s"
 * ```
 * @module
 */
import { escapeHtml, type MimeBundle } from "./mime.js";

/** The state shown. */
export interface ProgressState {
  label: string;
  done: number;
  /** Unknown totals show a count without a bar. */
  total?: number;
  elapsedMs: number;
  /** Free text after the count (e.g. "residual 3.1e-7"). */
  note?: string;
  /** Finished (the bar turns green), or failed (red). */
  status?: "running" | "finished" | "failed";
}

/** The text form, e.g. "solve: 40/100 (40%) 3.2 s, residual 1e-6". */
export function progressText(s: ProgressState): string {
  const frac = s.total && s.total > 0 ? Math.min(1, Math.max(0, s.done / s.total)) : null;
  const count = s.total !== undefined ? `${s.done}/${s.total}${frac !== null ? ` (${Math.round(frac * 100)}%)` : ""}` : `${s.done}`;
  const state = s.status === "finished" ? " done" : s.status === "failed" ? " FAILED" : "";
  return `${s.label}: ${count} ${(s.elapsedMs / 1000).toFixed(1)} s${s.note ? `, ${s.note}` : ""}${state}`;
}

/** The bundle: an HTML bar with the text, and the text alone. */
export function progressBundle(s: ProgressState): MimeBundle {
  const frac = s.total && s.total > 0 ? Math.min(1, Math.max(0, s.done / s.total)) : null;
  const color = s.status === "finished" ? "#2e7d32" : s.status === "failed" ? "#c62828" : "#1565c0";
  const bar =
    frac === null
      ? ""
      : `<div style="display:inline-block;width:240px;height:10px;background:#e0e0e0;border-radius:3px;vertical-align:middle;margin-right:8px">` +
        `<div style="width:${(frac * 100).toFixed(1)}%;height:100%;background:${color};border-radius:3px"></div></div>`;
  const html = `<div class="bct-progress" style="font:12px monospace">${bar}${escapeHtml(progressText(s))}</div>`;
  return { data: { "text/html": html, "text/plain": progressText(s) }, metadata: {} };
}
