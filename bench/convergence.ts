/**
 * The table a strength bench writes: each row's strength and stiffness relative to the finest element
 * size of its criterion, printed and saved as `bench/results/<name>-<date>.json`. Shared by
 * bench/hip.ts and bench/spine.ts.
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";

/** One analysis of the bench: at least these fields, plus whatever the bench records. */
export type BenchRow = Record<string, unknown> & { criterion: string; elementSizeMm: number; strengthN: number; stiffnessNPerMm: number };

/** Add the differences to the finest size per criterion, print the table, write the JSON; returns the file. */
export function writeConvergenceTable(root: string, bench: string, rows: BenchRow[]): string {
  const table = rows.map((r) => {
    const finest = rows.filter((q) => q.criterion === r.criterion).sort((a, b) => a.elementSizeMm - b.elementSizeMm)[0];
    return {
      ...r,
      strengthVsFinest: +(r.strengthN / finest.strengthN - 1).toFixed(4),
      stiffnessVsFinest: +(r.stiffnessNPerMm / finest.stiffnessNPerMm - 1).toFixed(4),
    };
  });
  console.table(table.map((t) => Object.fromEntries(Object.entries(t).filter(([k]) => !["stageSeconds", "warnings", "definitionId"].includes(k)))));
  const out = { bench, date: new Date().toISOString(), cpus: cpus().length, loadavg: loadavg(), rows: table };
  mkdirSync(join(root, "bench/results"), { recursive: true });
  const file = join(root, "bench/results", `${bench}-${out.date.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify(out, null, 2));
  return file;
}
