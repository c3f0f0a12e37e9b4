import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (the folder of package.json). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** The shared folder beside the clone (real CT with reference values, bench tools). */
export const SHARED = resolve(REPO_ROOT, "../shared");
/** The TotalSegmentator example scan folder. */
export const TOTALSEG = resolve(SHARED, "data/totalseg-example");
/** True when the shared real data is present (CI and developer machines have it beside the clone). */
export const HAVE_SHARED = existsSync(resolve(TOTALSEG, "reference-values.json"));

import { describe, it } from "vitest";

/**
 * A describe block that needs the shared real data. Vitest runs a describe's body even when the
 * block is skipped, so a body that reads the data would fail without it: this defines the block only
 * when the data is there, and otherwise one visibly skipped test saying why.
 */
export function describeWithShared(name: string, body: () => void | Promise<void>): void {
  if (HAVE_SHARED) describe(name, body);
  else describe(name, () => it.skip(`needs the real scans in ${TOTALSEG} (shared/ beside the clone)`, () => {}));
}
