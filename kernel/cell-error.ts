/**
 * Turn what went wrong in a notebook cell into a Jupyter `error` message a reader can act on:
 * the error's name and message, the stack frames that belong to the user's code and the library
 * (not Node's module loader, tslab or this kernel), and a hint for the usual import mistakes.
 * Pure functions.
 * @module
 */

/** The content of a Jupyter `error` message (and of an `execute_reply` with status "error"). */
export interface CellError {
  ename: string;
  evalue: string;
  traceback: string[];
}

/** A TypeScript diagnostic as tslab reports it (1-based line and column in the cell). */
export interface CellDiagnostic {
  line: number;
  column: number;
  message: string;
  /** Set when the diagnostic is in another file than the cell. */
  fileName?: string;
}

/** Frames from these places are machinery, not the user's code. */
const MACHINERY = [/\(node:/, /^\s*at node:/, /[\\/]tslab[\\/]dist[\\/]/, /[\\/]dist[\\/]kernel[\\/]/, /[\\/]kernel[\\/][\w-]+\.ts/, /sigintHandlersWrap/, /Script\.runInThisContext/, /^\s*at new Promise \(<anonymous>\)/];

/**
 * The error message for a value thrown by a cell (an Error or anything else).
 * @example
 * ```ts
 * import { cellErrorFromThrown } from "bct/kernel/cell-error";
 * cellErrorFromThrown(new RangeError("bad")).ename; // "RangeError"
 * ```
 */
export function cellErrorFromThrown(thrown: unknown, opts: { packageName?: string; packageRoot?: string } = {}): CellError {
  if (!(thrown instanceof Error)) {
    const text = typeof thrown === "string" ? thrown : safeString(thrown);
    return { ename: "Thrown", evalue: text, traceback: [`Uncaught ${text}`] };
  }
  const code = (thrown as { code?: unknown }).code;
  let message = thrown.message;
  // The require stack names tslab's virtual "src.js"; it tells the reader nothing.
  message = message.replace(/\nRequire stack:[\s\S]*$/, "");
  const hint = importHint(String(code ?? ""), message, opts.packageName ?? "bct", opts.packageRoot);
  const ename = thrown.name || "Error";
  const frames = (thrown.stack ?? "")
    .split("\n")
    .filter((l) => /^\s*at /.test(l))
    .filter((l) => !MACHINERY.some((re) => re.test(l)))
    .map((l) => l.replace(/evalmachine\.<anonymous>:\d+:\d+/g, "<cell>").replace(/\(<cell>\)/, "<cell>"))
    .filter((l, i, all) => i === 0 || l !== all[i - 1]);
  const traceback = [`${ename}: ${message}`, ...frames];
  if (hint) traceback.push("", `hint: ${hint}`);
  return { ename, evalue: hint ? `${message} (${hint})` : message, traceback };
}

/** A hint for import failures, or "" when there is none. */
export function importHint(code: string, message: string, packageName = "bct", packageRoot?: string): string {
  const m = /Cannot find module '([^']+)'/.exec(message);
  if (code === "MODULE_NOT_FOUND" && m) {
    const spec = m[1];
    if (spec === packageName || spec.startsWith(packageName + "/")) {
      if (spec.endsWith(".js")) {
        return `import library modules without the .js extension, e.g. "${spec.slice(0, -3)}"`;
      }
      const where = packageRoot ? ` in ${packageRoot}` : "";
      return `is the library built? run \`npm run build\`${where}; a path names a module under lib/, e.g. "${packageName}/lib/volume/index"`;
    }
    if (spec.startsWith(".")) return "a relative import is resolved from the notebook's folder";
    return `install the package (npm install ${spec.split("/").slice(0, spec.startsWith("@") ? 2 : 1).join("/")}) or check its name`;
  }
  if (code === "ERR_REQUIRE_ASYNC_MODULE") {
    return "that module uses top-level await, which a notebook import cannot load; use `const m = await import(...)` in the cell";
  }
  if (code === "ERR_REQUIRE_ESM") return "an ES module cannot be required by this Node; use Node >= 20.19 or `await import(...)`";
  return "";
}

/**
 * The error message for TypeScript diagnostics that stopped a cell from running.
 * @example
 * ```ts
 * import { cellErrorFromDiagnostics } from "bct/kernel/cell-error";
 * cellErrorFromDiagnostics([{ line: 1, column: 21, message: "Cannot find module 'x'" }]).traceback[0];
 * // "TypeScript: the cell does not compile"
 * ```
 */
export function cellErrorFromDiagnostics(diags: CellDiagnostic[]): CellError {
  const lines = diags.map((d) => `${d.fileName ? d.fileName + " " : ""}line ${d.line}, column ${d.column}: ${d.message}`);
  const hints = new Set<string>();
  for (const d of diags) {
    const m = /Cannot find module '([^']+)'/.exec(d.message);
    if (m) hints.add(importHint("MODULE_NOT_FOUND", `Cannot find module '${m[1]}'`));
  }
  return {
    ename: "TypeScriptError",
    evalue: lines.join("; "),
    traceback: ["TypeScript: the cell does not compile", ...lines.map((l) => "  " + l), ...[...hints].filter(Boolean).map((h) => `hint: ${h}`)],
  };
}

function safeString(x: unknown): string {
  try {
    return typeof x === "object" ? JSON.stringify(x) : String(x);
  } catch {
    return String(x);
  }
}
