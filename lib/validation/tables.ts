/**
 * arquero views of validation results, for notebooks and cohort reports. The statistics themselves
 * work on plain arrays; these helpers only reshape their plain-data results into tables.
 *
 * @example
 * ```ts
 * rocPointsTable(roc(strength, fractured, { direction: "lower" })).print();
 * diagnosticTable(diagnosticAtThreshold(strength, fractured, 3000, { direction: "lower" })).print();
 * ```
 * @module
 */
import * as aq from "arquero";
import type { DiagnosticResult } from "./diagnostic.js";
import type { RocResult } from "./roc.js";

/**
 * The ROC curve points as a table with columns `threshold`, `fpr`, `tpr`, `specificity`, `youdenJ`.
 *
 * @example
 * ```ts
 * rocPointsTable(roc([1, 2, 3, 4], [0, 0, 1, 1])).numRows(); // 5
 * ```
 */
export function rocPointsTable(result: RocResult): aq.ColumnTable {
  return aq.table({
    threshold: result.points.map((p) => p.threshold),
    fpr: result.points.map((p) => p.fpr),
    tpr: result.points.map((p) => p.tpr),
    specificity: result.points.map((p) => 1 - p.fpr),
    youdenJ: result.points.map((p) => p.tpr - p.fpr),
  });
}

/**
 * The accuracy measures as a table: one row per measure with `measure`, `estimate`, `count`, `total`,
 * `lower`, `upper`.
 *
 * @example
 * ```ts
 * diagnosticTable(diagnosticAccuracy({ tp: 9, fp: 2, fn: 1, tn: 8 })).numRows(); // 6
 * ```
 */
export function diagnosticTable(result: DiagnosticResult): aq.ColumnTable {
  const names = ["sensitivity", "specificity", "ppv", "npv", "accuracy", "prevalence"] as const;
  return aq.table({
    measure: [...names],
    estimate: names.map((k) => result[k].estimate),
    count: names.map((k) => result[k].count),
    total: names.map((k) => result[k].total),
    lower: names.map((k) => result[k].ci[0]),
    upper: names.map((k) => result[k].ci[1]),
  });
}
