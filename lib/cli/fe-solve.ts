/**
 * `bct fe solve <model.inp>`: solve a CalculiX/Abaqus deck (linear static) with the bct solver.
 * @module
 */
import { readInp } from "../fe/inp/read.js";
import { solve, type PreconditionerKind } from "../fe/solve/solve.js";
import { createSolverEngine } from "../fe/solve/parallel.js";
import type { FeSolution } from "../fe/solve/solve.js";
import type { InpDeck } from "../fe/inp/read.js";
import { formatOptions, parseArgs, UsageError, type OptionSpec } from "./args.js";
import type { CliIO, Command } from "./main.js";

const SPEC: Record<string, OptionSpec> = {
  json: { type: "flag", description: "print the result as one JSON object" },
  precond: { type: "string", description: "mg (voxel default) | jacobi | direct (small unstructured decks)" },
  tol: { type: "number", description: "relative residual tolerance (default 1e-6)" },
  "max-iter": { type: "number", description: "iteration limit (default 10000)" },
  threads: { type: "number", description: "threads for voxel models (default: up to 2, one per core)" },
};

/** The summary numbers of a solved deck (what `--json` prints). */
export interface FeSolveReport {
  dofs: number;
  elements: number;
  iterations: number;
  converged: boolean;
  seconds: number;
  totalSeconds: number;
  reaction: [number, number, number];
  reactionBySet: Record<string, [number, number, number]>;
  relativeResidual: number;
  preconditioner: string;
  threads: number;
  setupSeconds: number;
  warnings: string[];
}

/** Reaction totals: over nodes with a prescribed non-zero displacement, and per node set. */
export function reactionReport(deck: InpDeck, sol: FeSolution): Pick<FeSolveReport, "reaction" | "reactionBySet"> {
  const nonzero = new Set<number>();
  for (const b of deck.bcs) if (b.kind === "displacement" && b.value !== 0) for (let k = 0; k < b.nodes.length; k++) nonzero.add(b.nodes[k]);
  const reaction: [number, number, number] = [0, 0, 0];
  for (const q of nonzero) for (let c = 0; c < 3; c++) reaction[c] += sol.reactions[3 * q + c];
  let capIndex = 0;
  for (const b of deck.bcs) {
    if (b.kind !== "rigid") continue;
    const ref = sol.references[capIndex++];
    if (b.displacement?.some((v) => v !== null && v !== undefined && v !== 0)) for (let c = 0; c < 3; c++) reaction[c] += ref.reaction[c];
  }
  const reactionBySet: Record<string, [number, number, number]> = {};
  for (const [name, nodes] of Object.entries(deck.nodeSets)) {
    const r: [number, number, number] = [0, 0, 0];
    for (const q of nodes) for (let c = 0; c < 3; c++) r[c] += sol.reactions[3 * q + c];
    reactionBySet[name] = r;
  }
  return { reaction, reactionBySet };
}

export const feSolveCommand: Command = {
  summary: "Solve a CalculiX/Abaqus deck (C3D8/C3D4, linear static) with the bct solver",
  usage: `bct fe solve <model.inp> [options]\n${formatOptions(SPEC)}`,
  async run(argv: string[], io: CliIO): Promise<number> {
    const t0 = performance.now();
    const { positionals, options } = parseArgs(argv, SPEC);
    if (positionals.length !== 1) throw new UsageError("give exactly one deck (.inp)");
    const pre = options.precond as string | undefined;
    if (pre !== undefined && !["mg", "jacobi", "direct"].includes(pre)) throw new UsageError(`--precond must be mg, jacobi or direct, got "${pre}"`);
    const tol = (options.tol as number | undefined) ?? 1e-6;
    if (!(tol > 0 && tol < 1)) throw new UsageError("--tol must be between 0 and 1");
    const deck = readInp(positionals[0]);
    const engine = deck.model.kind === "voxel" ? createSolverEngine({ threads: options.threads as number | undefined }) : undefined;
    let sol: FeSolution;
    try {
      sol = solve(deck.model, deck.bcs, {
        preconditioner: pre as PreconditionerKind | undefined, tol, maxIterations: options["max-iter"] as number | undefined, engine,
        onProgress: options.json ? undefined : (p) => io.err(`  iteration ${p.iteration}: residual ${p.residual.toExponential(2)} (${p.elapsed.toFixed(1)} s)`),
      });
    } finally {
      engine?.close();
    }
    const report: FeSolveReport = {
      dofs: sol.dofs, elements: sol.elements, iterations: sol.iterations, converged: sol.converged,
      seconds: sol.seconds, totalSeconds: (performance.now() - t0) / 1000, ...reactionReport(deck, sol),
      relativeResidual: sol.relativeResidual, preconditioner: sol.preconditioner, threads: sol.threads,
      setupSeconds: sol.setupSeconds, warnings: [...deck.warnings, ...sol.warnings],
    };
    if (options.json) {
      io.out(JSON.stringify(report));
    } else {
      const f = (v: number[]) => `[${v.map((x) => x.toPrecision(7)).join(", ")}]`;
      io.out([
        `${positionals[0]}: ${deck.model.kind} model, ${report.elements} elements, ${report.dofs} DOF`,
        `solver: PCG + ${report.preconditioner}, ${report.threads} thread(s), ${report.iterations} iterations, ${report.converged ? "converged" : "NOT converged"} (residual ${report.relativeResidual.toExponential(2)})`,
        `time: solve ${report.seconds.toFixed(2)} s, setup ${report.setupSeconds.toFixed(2)} s, total ${report.totalSeconds.toFixed(2)} s`,
        `reaction on prescribed non-zero displacements (N): ${f(report.reaction)}`,
        ...Object.entries(report.reactionBySet).map(([k, v]) => `  reaction ${k}: ${f(v)}`),
        ...report.warnings.map((w) => `warning: ${w}`),
      ].join("\n"));
    }
    return sol.converged ? 0 : 1;
  },
};
