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
