/**
 * Show things in a bct notebook: MIME bundles, plotly figures, arquero tables, text; and a progress
 * display that updates in place. In the bct kernel they become Jupyter `display_data` outputs (with
 * a display_id, so they can be replaced by `update_display_data`); elsewhere (a plain Node script)
 * their text form is printed.
 *
 * Plotly figures carry plotly.js in the first figure shown in a kernel session only (4.8 MB, once
 * per notebook); later figures use that copy. Restart the kernel before "Run All" if you cleared the
 * first figure's output.
 *
 * @example
 * ```ts
 * import { display, plot, progress } from "bct/kernel/display";
 * plot({ data: [{ type: "histogram", x: [1, 2, 2, 3] }] });
 * const p = progress({ label: "solve", total: 200 });
 * for (let it = 1; it <= 200; it++) { await step(); p.update(it); }
 * p.finish();
 * ```
 * @module
 */
import { randomBytes } from "node:crypto";
import { isMimeBundle, type MimeBundle } from "../lib/display/mime.js";
import { isPlotlyFigure, plotlyBundle, type PlotlyFigure } from "../lib/display/plotly.js";
import { progressBundle, type ProgressState } from "../lib/display/progress.js";
import { isTableLike, tableBundle } from "../lib/display/table.js";
import { kernelBridge, QUIET_KEY } from "./bridge.js";

/** Anything {@link display} can show. */
export type Displayable = MimeBundle | PlotlyFigure | { toHTML(o?: object): string; numRows(): number; numCols(): number } | string;

/** A shown output that can be replaced in place. */
export interface DisplayHandle {
  /** The Jupyter display_id. */
  readonly id: string;
  /** Replace the output (every copy with this display_id) by `x`. */
  update(x: Displayable): void;
}

/** A new random display_id. */
export function newDisplayId(): string {
  return `bct-${randomBytes(8).toString("hex")}`;
}

/**
 * The bundle for `x`: bundles as they are, plotly figures (plotly.js embedded the first time in a
 * kernel session), arquero tables, strings as text.
 */
export function toBundle(x: Displayable): MimeBundle {
  if (typeof x === "string") return { data: { "text/plain": x }, metadata: {} };
  if (isMimeBundle(x)) return x;
  if (isPlotlyFigure(x)) {
    const state = kernelBridge()?.state;
    const includeLibrary = state ? state.plotlyEmbedded !== true : false;
    if (state) state.plotlyEmbedded = true;
    return plotlyBundle(x, { includeLibrary });
  }
  if (isTableLike(x)) return tableBundle(x);
  return { data: { "text/plain": String(x) }, metadata: {} };
}

function send(bundle: MimeBundle, id: string, update: boolean): void {
  const bridge = kernelBridge();
  if (!bridge) {
    console.log(bundle.data["text/plain"]);
    return;
  }
  bridge.display({ data: bundle.data, metadata: bundle.metadata ?? {}, transient: { display_id: id } }, update);
}

/**
 * Show `x` below the running cell.
 * @example
 * ```ts
 * import { display } from "bct/kernel/display";
 * const h = display("starting...");
 * h.update("done");
 * ```
 */
export function display(x: Displayable, opts: { displayId?: string } = {}): DisplayHandle {
  const id = opts.displayId ?? newDisplayId();
  send(toBundle(x), id, false);
  return { id, update: (y: Displayable) => send(toBundle(y), id, true), [QUIET_KEY]: true } as DisplayHandle;
}

/** Show a plotly figure (the same as `display(fig)`, typed for figures). */
export function plot(fig: PlotlyFigure): DisplayHandle {
  return display(fig);
}

/** Options of {@link progress}. */
export interface ProgressOptions {
  label: string;
  total?: number;
  /** Minimum time between two updates sent to Jupyter (ms); default 200. */
  intervalMs?: number;
}

/** A live progress display. */
export interface ProgressDisplay {
  readonly id: string;
  /** Report `done` steps (and a note); sent at most once per interval. */
  update(done: number, note?: string): void;
  /** Show the final state (always sent). */
  finish(note?: string): void;
  /** Show a failure (always sent). */
  fail(note?: string): void;
}

/**
 * A progress bar that updates in place (one output, replaced through its display_id, never a
 * stream of lines). Updates leave the kernel when the event loop runs: in a long synchronous loop,
 * `await` something now and then (e.g. `await new Promise((r) => setImmediate(r))`) to let them out.
 */
export function progress(opts: ProgressOptions): ProgressDisplay {
  const start = Date.now();
  const interval = opts.intervalMs ?? 200;
  let last = start; // the initial display counts as the first send
  let state: ProgressState = { label: opts.label, done: 0, total: opts.total, elapsedMs: 0, status: "running" };
  const handle = display(progressBundle(state));
  const show = (force: boolean) => {
    const now = Date.now();
    if (!force && now - last < interval) return;
    last = now;
    handle.update(progressBundle({ ...state, elapsedMs: now - start }));
  };
  const shown: ProgressDisplay & { [QUIET_KEY]: true } = {
    [QUIET_KEY]: true,
    id: handle.id,
    update(done, note) {
      state = { ...state, done, note };
      show(false);
    },
    finish(note) {
      state = { ...state, done: state.total ?? state.done, note: note ?? state.note, status: "finished" };
      show(true);
    },
    fail(note) {
      state = { ...state, note: note ?? state.note, status: "failed" };
      show(true);
    },
  };
  return shown;
}
