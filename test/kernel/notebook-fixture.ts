/** Write small nbformat-4 notebooks for tests. */
import { writeFileSync } from "node:fs";

export function writeNotebook(path: string, cells: string[]): void {
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "bct", display_name: "bct (TypeScript)", language: "typescript" } },
    cells: cells.map((source, i) => ({ cell_type: "code", id: `c${i}`, metadata: {}, execution_count: null, outputs: [], source })),
  };
  writeFileSync(path, JSON.stringify(nb, null, 1));
}
