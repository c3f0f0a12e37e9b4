/**
 * The `bct` command line: dispatches to one module per subcommand. Any `BctError` (bad input, a
 * failed stage) is printed as `error: <message>` with no stack trace, exit code 1; usage errors exit
 * with 2. Unexpected errors print their stack, since they are bugs.
 * @module
 */
import { BctError } from "../errors.js";
import { UsageError } from "./args.js";

/** One subcommand. `run` returns the exit code. */
export interface Command {
  summary: string;
  usage: string;
  run(argv: string[], io: CliIO): Promise<number>;
}

/** Where a command writes (injectable for tests). */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
}

const stdio: CliIO = {
  out: (t) => process.stdout.write(t.endsWith("\n") ? t : t + "\n"),
  err: (t) => process.stderr.write(t.endsWith("\n") ? t : t + "\n"),
};

/** Subcommands, loaded lazily so `bct info` does not load the solver. Keyed by their words. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  info: async () => (await import("./info.js")).infoCommand,
  analyze: async () => (await import("./analyze.js")).analyzeCommand,
  "kernel install": async () => (await import("./kernel.js")).kernelInstallCommand,
  "fe solve": async () => (await import("./fe-solve.js")).feSolveCommand,
  phantom: async () => (await import("./phantom.js")).phantomCommand,
  dxa: async () => (await import("./dxa.js")).dxaCommand,
  "cohort generate": async () => (await import("./cohort-generate.js")).cohortGenerateCommand,
  "cohort run": async () => (await import("./cohort.js")).cohortRunCommand,
  "cohort reference": async () => (await import("./cohort.js")).cohortReferenceCommand,
  "cohort thresholds": async () => (await import("./cohort.js")).cohortThresholdsCommand,
  "cohort submit": async () => (await import("./cohort.js")).cohortSubmitCommand,
  "cohort worker": async () => (await import("./cohort.js")).cohortWorkerCommand,
  "cohort status": async () => (await import("./cohort.js")).cohortStatusCommand,
};

function help(): string {
  return [
    "bct - Biomechanical Computed Tomography: bone strength from clinical CT",
    "",
    "usage: bct <command> [options]",
    "",
    "commands:",
    ...Object.keys(COMMANDS).map((c) => `  ${c}`),
    "",
    "Run `bct <command> --help` for a command's options.",
  ].join("\n");
}

/** Run the CLI with `argv` (without node and script); returns the exit code. */
export async function runCli(argv: string[], io: CliIO = stdio): Promise<number> {
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
    io.out(help());
    return argv.length === 0 ? 2 : 0;
  }
  // Longest matching command word sequence ("fe solve" before "fe").
  let name = "";
  let rest = argv;
  for (let n = Math.min(argv.length, 3); n >= 1; n--) {
    const key = argv.slice(0, n).join(" ");
    if (COMMANDS[key]) {
      name = key;
      rest = argv.slice(n);
      break;
    }
  }
  if (!name) {
    io.err(`error: unknown command "${argv[0]}"\n\n${help()}`);
    return 2;
  }
  const cmd = await COMMANDS[name]();
  if (rest.includes("--help") || rest.includes("-h")) {
    io.out(`${cmd.summary}\n\nusage: ${cmd.usage}`);
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`error: ${e.message}\nusage: ${cmd.usage}`);
      return 2;
    }
    if (e instanceof BctError) {
      io.err(`error: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
