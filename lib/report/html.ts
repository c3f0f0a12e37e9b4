/**
 * A self-contained HTML report of an analysis: result summary, inputs, warnings and figures, with
 * plotly.js embedded once (no network, no Jupyter needed to read it).
 *
 * @example
 * ```ts
 * writeFileSync("report.html", reportHtml({ title: "Hip", summary: result, sections }));
 * ```
 * @module
 */
import { escapeHtml } from "../display/mime.js";
import { plotlyBundle, plotlyLibraryHtml, type PlotlyFigure } from "../display/plotly.js";

/** A report section: a plotly figure or an HTML fragment (e.g. slice PNGs), with a caption. */
export type ReportSection =
  | { title: string; figure: PlotlyFigure; caption?: string }
  | { title: string; html: string; caption?: string };

/** Inputs of {@link reportHtml}. */
export interface ReportInput {
  title: string;
  /** Headline rows, shown first (e.g. strength, class). */
  headline: [string, string][];
  /** Every input and setting, shown as a table. */
  details: [string, string][];
  warnings: string[];
  sections: ReportSection[];
  /** The result object, embedded as JSON for machines. */
  result: unknown;
}

const table = (rows: [string, string][]) =>
  `<table>${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join("")}</table>`;

/** The report page. */
export function reportHtml(r: ReportInput): string {
  const body = r.sections
    .map((s) => {
      const content = "figure" in s ? (plotlyBundle(s.figure).data["text/html"] as string) : s.html;
      return `<section><h2>${escapeHtml(s.title)}</h2>${content}${s.caption ? `<p class="cap">${escapeHtml(s.caption)}</p>` : ""}</section>`;
    })
    .join("\n");
  const warn = r.warnings.length
    ? `<section class="warn"><h2>Warnings</h2><ul>${r.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join("")}</ul></section>`
    : "";
  const json = JSON.stringify(r.result, null, 1).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(r.title)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#222}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #ddd;padding:4px 10px;text-align:left;vertical-align:top}
th{background:#f6f6f6;font-weight:600}.headline td{font-size:18px;font-weight:600}
.warn{background:#fff8e6;padding:4px 14px;border:1px solid #f0d080}.cap{color:#555;font-size:12px}
details pre{max-height:400px;overflow:auto;background:#f6f6f6;padding:8px}
</style>
${plotlyLibraryHtml()}
</head><body>
<h1>${escapeHtml(r.title)}</h1>
<div class="headline">${table(r.headline)}</div>
${warn}
<h2>Inputs and settings</h2>${table(r.details)}
${body}
<h2>Result (JSON)</h2><details><summary>result.json</summary><pre>${escapeHtml(json)}</pre></details>
<p class="cap">Made by bct. The strength class uses the thresholds named in the headline (&ldquo;Class thresholds&rdquo;): the published Keaveny et al. 2020 set assumes the VirtuOst pipeline, and bct is not calibrated against it; a derived set classifies only strengths of the definition it was derived for.</p>
</body></html>
`;
}
