/**
 * Running cells: the bct kernel's replacement for tslab's execute handling. It keeps tslab's
 * compiler and executor, and changes what happens around them:
 *
 * - a failed cell (a TypeScript error, a bad import, a thrown error) sends a Jupyter `error` message
 *   with a readable traceback ({@link ./cell-error.ts}) and an `execute_reply` with status "error";
 * - the next cell runs whatever the timing ({@link ./queue.ts});
 * - display bundles returned as a cell's last expression are shown rich, not printed as objects;
 * - display helpers reach the cell's output through the {@link ./bridge.ts} bridge.
 * @module
 */
import { isMimeBundle, type MimeBundle } from "../lib/display/mime.js";
import { cellErrorFromDiagnostics, cellErrorFromThrown, type CellDiagnostic, type CellError } from "./cell-error.js";
import { isQuiet, type DisplayMessage } from "./bridge.js";
import { ExecutionQueue } from "./queue.js";

/** Where a running cell's output goes (one per execute request). */
export interface CellIO {
  stream(name: "stdout" | "stderr", text: string): void;
  display(msg: DisplayMessage, update: boolean): void;
  error(err: CellError): void;
}

/** The part of tslab's executor used here. */
export interface CellExecutor {
  execute(src: string): Promise<boolean>;
}

/** The Jupyter execute request fields used here. */
export interface ExecuteRequestContent {
  code: string;
  stop_on_error?: boolean;
  silent?: boolean;
}

/** The Jupyter `execute_reply` content. */
export type ExecuteReplyContent =
  | { status: "ok"; execution_count: number; payload: unknown[]; user_expressions: Record<string, unknown> }
  | ({ status: "error"; execution_count: number } & CellError)
  | { status: "aborted"; execution_count: number };

/**
 * Collects what tslab's executor reports through its console: TypeScript diagnostics (printed with
 * the format "%s%d:%d - %s"), thrown values (printed alone) and the value of a cell's last expression.
 */
export class CellReporter {
  diagnostics: CellDiagnostic[] = [];
  thrown: unknown[] = [];
  /** Set while a cell runs: where a last-expression display bundle goes. */
  onBundle: ((b: MimeBundle) => void) | null = null;

  reset(): void {
    this.diagnostics = [];
    this.thrown = [];
  }

  /** The executor's `console.log`: the value of the cell's last expression. */
  log = (...args: unknown[]): void => {
    if (args.length === 1 && isQuiet(args[0])) return;
    if (args.length === 1 && isMimeBundle(args[0]) && this.onBundle) {
      this.onBundle(args[0]);
      return;
    }
    console.log(...args);
  };

  /** The executor's `console.error`: diagnostics and thrown values. */
  error = (...args: unknown[]): void => {
    if (args[0] === "%s%d:%d - %s" && args.length === 5) {
      const file = String(args[1]).trim();
      this.diagnostics.push({ fileName: file || undefined, line: Number(args[2]), column: Number(args[3]), message: String(args[4]) });
      return;
    }
    if (args.length === 1) {
      this.thrown.push(args[0]);
      return;
    }
    console.error(...args);
  };
}

/** Runs execute requests one at a time on a tslab executor. */
export class CellRunner {
  private count = 0;
  private readonly queue = new ExecutionQueue();
  /** The output of the cell that runs, or ran last (display updates after a cell ends go there). */
  current: CellIO | null = null;

  constructor(
    private readonly executor: CellExecutor,
    private readonly reporter: CellReporter,
    private readonly pkg: { name: string; root: string },
    /** Called when a cell starts, with its output (e.g. to point tslab's own display API at it). */
    private readonly onCellStart: (io: CellIO) => void = () => {},
    /** Rewrites a cell's source before tslab compiles it (see `shorthand.ts`). */
    private readonly prepare: (src: string) => string = (s) => s,
  ) {}

  /** Run one execute request; resolves with the `execute_reply` content. */
  async execute(req: ExecuteRequestContent, io: CellIO): Promise<ExecuteReplyContent> {
    const outcome = await this.queue.enqueue(req.stop_on_error !== false, () => this.run(req, io));
    if (outcome.status === "aborted") return { status: "aborted", execution_count: this.count };
    return outcome.value;
  }

  private async run(req: ExecuteRequestContent, io: CellIO): Promise<{ ok: boolean; value: ExecuteReplyContent }> {
    // As tslab (and IPython): output written after the cell ends still goes to the last cell.
    process.stdout.write = streamWriter("stdout", io);
    process.stderr.write = streamWriter("stderr", io);
    this.current = io;
    this.onCellStart(io);
    const count = ++this.count;
    this.reporter.reset();
    this.reporter.onBundle = (b) => io.display({ data: b.data, metadata: b.metadata ?? {} }, false);
    let ok: boolean;
    try {
      ok = await this.executor.execute(this.prepare(req.code));
    } catch (e) {
      // The compiler itself threw (e.g. an import of a .ts file outside the notebook's folder).
      this.reporter.thrown.push(e);
      ok = false;
    }
    if (ok) {
      // Diagnostics of a `/** @module */` cell do not fail it; show them as warnings.
      for (const d of this.reporter.diagnostics) io.stream("stderr", `line ${d.line}, column ${d.column}: ${d.message}\n`);
      return { ok: true, value: { status: "ok", execution_count: count, payload: [], user_expressions: {} } };
    }
    const err =
      this.reporter.diagnostics.length > 0
        ? cellErrorFromDiagnostics(this.reporter.diagnostics)
        : cellErrorFromThrown(this.reporter.thrown.length > 0 ? this.reporter.thrown[0] : new Error("the cell failed"), {
            packageName: this.pkg.name,
            packageRoot: this.pkg.root,
          });
    io.error(err);
    return { ok: false, value: { status: "error", execution_count: count, ...err } };
  }
}

function streamWriter(name: "stdout" | "stderr", io: CellIO): typeof process.stdout.write {
  const decoder = new TextDecoder();
  return ((chunk: string | Uint8Array, encodingOrCb?: unknown, cb?: unknown): boolean => {
    io.stream(name, typeof chunk === "string" ? chunk : decoder.decode(chunk));
    const done = typeof encodingOrCb === "function" ? encodingOrCb : cb;
    if (typeof done === "function") (done as () => void)();
    return true;
  }) as typeof process.stdout.write;
}
