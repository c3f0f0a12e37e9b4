/**
 * Plotly figures as notebook outputs. A figure becomes a bundle with
 * `application/vnd.plotly.v1+json` (drawn natively by JupyterLab with the plotly extension and by
 * VS Code) and a `text/html` fallback that draws it with plotly.js from the page, so it also shows
 * with no Jupyter extension and in nbconvert's HTML export.
 *
 * plotly.js (4.8 MB) is not put in every figure: {@link plotlyLibraryHtml} is embedded once, in the
 * first figure of a notebook (the bct kernel does that; see `bct/kernel/display`), and later figures
 * wait for `window.Plotly`. plotly.js 4 sets `window.Plotly` itself, so require.js pages (classic
 * notebook, nbconvert's templates) need no special loading.
 *
 * @example
 * ```ts
 * import { plotlyBundle } from "bct/lib/display/plotly";
 * const b = plotlyBundle({ data: [{ type: "scatter", x: [1, 2], y: [3, 4] }] }, { includeLibrary: true });
 * Object.keys(b.data); // ["application/vnd.plotly.v1+json", "text/html", "text/plain"]
 * ```
 * @module
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { DisplayError } from "./errors.js";
import { escapeHtml, jsonForScript, toPlainJson, type MimeBundle } from "./mime.js";

/** A plotly figure: traces, layout and config, as plotly.js takes them. */
export interface PlotlyFigure {
  data: Record<string, unknown>[];
  layout?: Record<string, unknown>;
  config?: Record<string, unknown>;
}

/** True for an object shaped like a {@link PlotlyFigure}. */
export function isPlotlyFigure(x: unknown): x is PlotlyFigure {
  return typeof x === "object" && x !== null && Array.isArray((x as { data?: unknown }).data) &&
    (x as { data: unknown[] }).data.every((t) => typeof t === "object" && t !== null);
}

/** The MIME type of plotly JSON. */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

/** Options of {@link plotlyBundle}. */
export interface PlotlyBundleOptions {
  /** Put plotly.js itself in the HTML (do it for the first figure of a notebook); default false. */
  includeLibrary?: boolean;
  /** Height of the HTML view in CSS pixels; default the layout's height or 420. */
  height?: number;
}

/** The plotly.js source shipped with bct (plotly.js-dist-min), read once. */
let librarySource: string | null = null;
export function plotlyLibrarySource(): string {
  if (librarySource === null) {
    const require = createRequire(import.meta.url);
    const file = require.resolve("plotly.js-dist-min");
    librarySource = readFileSync(file, "utf8");
  }
  return librarySource;
}

/** The version of the bundled plotly.js. */
export function plotlyVersion(): string {
  const require = createRequire(import.meta.url);
  return (require("plotly.js-dist-min/package.json") as { version: string }).version;
}

/**
 * A `<script>` holding plotly.js inline. Embed it once per page; it sets `window.Plotly`.
 * Any `</script` in the source is escaped so it cannot end the element early.
 */
export function plotlyLibraryHtml(): string {
  const src = plotlyLibrarySource().replace(/<\/script/gi, "<\\/script");
  return `<script type="text/javascript">/* plotly.js ${plotlyVersion()}, MIT licence, embedded by bct */\n${src}\n</script>`;
}

/**
 * The bundle of a figure.
 * @throws DisplayError when `fig.data` is not an array of traces.
 */
export function plotlyBundle(fig: PlotlyFigure, opts: PlotlyBundleOptions = {}): MimeBundle {
  if (!isPlotlyFigure(fig)) throw new DisplayError("a plotly figure needs `data`, an array of trace objects");
  const plain = toPlainJson({ data: fig.data, layout: fig.layout ?? {}, config: fig.config ?? {} }) as Required<PlotlyFigure>;
  const layoutHeight = typeof plain.layout.height === "number" ? plain.layout.height : undefined;
  const height = opts.height ?? layoutHeight ?? 420;
  const id = `bct-plot-${randomBytes(6).toString("hex")}`;
  const config = { responsive: true, displaylogo: false, ...plain.config };
  // The figure draws when plotly.js is there; a page that loads outputs out of order gets a few
  // seconds' grace before the reader is told how to fix a missing library.
  const script =
    `<script type="text/javascript">(function(){` +
    `var fig=${jsonForScript({ data: plain.data, layout: plain.layout, config })};` +
    `var el=document.getElementById(${JSON.stringify(id)});var tries=0;` +
    `function draw(){if(window.Plotly){el.textContent="";window.Plotly.newPlot(el,fig.data,fig.layout,fig.config);return;}` +
    `if(++tries<50){setTimeout(draw,100);return;}` +
    `el.textContent="plotly.js is not loaded in this page: it is embedded in the notebook's first figure; restart the kernel and run all cells to embed it again.";}` +
    `draw();})();</script>`;
  const html =
    `<div id="${id}" class="bct-plotly" style="width:100%;height:${height}px">${escapeHtml("(plotly figure: needs JavaScript)")}</div>` +
    (opts.includeLibrary ? plotlyLibraryHtml() : "") +
    script;
  return {
    data: { [PLOTLY_MIME]: plain, "text/html": html, "text/plain": describeFigure(plain) },
    metadata: {},
  };
}

/** A one-line text description of a figure. */
export function describeFigure(fig: PlotlyFigure): string {
  const types = fig.data.map((t) => String(t.type ?? "scatter"));
  const title = fig.layout?.title;
  const name = typeof title === "string" ? title : typeof title === "object" && title && "text" in title ? String((title as { text: unknown }).text) : "";
  return `Plotly figure${name ? ` "${name}"` : ""}: ${types.length} trace(s) (${[...new Set(types)].join(", ")})`;
}
