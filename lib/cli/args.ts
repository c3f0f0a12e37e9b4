/**
 * A small, strict argument parser for the bct subcommands: `--flag`, `--key value`, `--key=value`
 * and positionals. Unknown options are errors, so a typo never silently changes a result.
 * @module
 */
import { BctError } from "../errors.js";

/** A command-line usage error (bad or missing argument). */
export class UsageError extends BctError {
  override name = "UsageError";
}

/** What an option takes. */
export interface OptionSpec {
  /** "flag" takes no value; "string" and "number" take one. */
  type: "flag" | "string" | "number";
  description: string;
}

/** The parsed arguments. */
export interface ParsedArgs {
  positionals: string[];
  options: Record<string, string | number | boolean | undefined>;
}

/** Parse `argv` against `spec` (option names without the leading `--`). */
export function parseArgs(argv: string[], spec: Record<string, OptionSpec>): ParsedArgs {
  const positionals: string[] = [];
  const options: ParsedArgs["options"] = {};
  for (let a = 0; a < argv.length; a++) {
    const arg = argv[a];
    if (!arg.startsWith("--") || arg === "--") {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const s = spec[name];
    if (!s) throw new UsageError(`unknown option --${name}`);
    if (s.type === "flag") {
      if (eq >= 0) throw new UsageError(`option --${name} takes no value`);
      options[name] = true;
      continue;
    }
    let value: string | undefined = eq >= 0 ? arg.slice(eq + 1) : argv[++a];
    if (value === undefined) throw new UsageError(`option --${name} needs a value`);
    if (s.type === "number") {
      const x = Number(value);
      if (!Number.isFinite(x)) throw new UsageError(`option --${name} needs a number, got "${value}"`);
      options[name] = x;
    } else {
      options[name] = value;
    }
  }
  return { positionals, options };
}

/** A usage text for `spec`. */
export function formatOptions(spec: Record<string, OptionSpec>): string {
  return Object.entries(spec)
    .map(([name, s]) => `  --${name}${s.type === "flag" ? "" : ` <${s.type}>`}`.padEnd(28) + s.description)
    .join("\n");
}
