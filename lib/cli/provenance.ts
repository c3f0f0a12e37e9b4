/**
 * The provenance `bct analyze` and `bct dxa` record in their result files (lib/io/provenance): the
 * scan (every file of a DICOM folder), the phantom certificate and the label map by SHA-256, the
 * command's options with their defaults resolved, and the result's strength definition and
 * thresholds when it has them.
 * @module
 */
import { buildProvenance, type InputSpec, type Provenance } from "../io/provenance.js";
import type { ParsedArgs } from "./args.js";
import type { checkScanOptions } from "./scan-input.js";

/**
 * The provenance of a `bct analyze` / `bct dxa` result.
 * @param resolved the options as the command resolved them (defaults filled in)
 * @example
 * ```ts
 * const record = { ...result, provenance: scanCommandProvenance(checked, options, { element: 1.5 }, result) };
 * ```
 */
export function scanCommandProvenance(checked: ReturnType<typeof checkScanOptions>, options: ParsedArgs["options"], resolved: Record<string, unknown>, result: unknown): Provenance {
  const inputs: InputSpec[] = [{ role: "scan", path: checked.scanPath }];
  if (checked.calKind === "phantom" && checked.phantomFile) inputs.push({ role: "phantom certificate", path: checked.phantomFile });
  if (typeof options.labels === "string") inputs.push({ role: "label map", path: options.labels });
  const given = Object.fromEntries(Object.entries(options).filter(([k]) => !["json", "out", "export"].includes(k)));
  const p = buildProvenance({
    inputs,
    options: { ...given, site: checked.site, sex: checked.sex, calibration: checked.calKind, ...resolved },
    result,
  });
  const r = result as { elementSizeMm?: unknown; loadCase?: unknown; materials?: unknown; strength?: { criterion?: unknown } };
  p.resolved = JSON.parse(JSON.stringify({ elementSizeMm: r.elementSizeMm, loadCase: r.loadCase, materials: r.materials, criterion: r.strength?.criterion })) as Record<string, unknown>;
  return p;
}
