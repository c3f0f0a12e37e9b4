import { describe, expect, it } from "vitest";
import { diagnosticAccuracy, diagnosticTable, roc, rocPointsTable } from "../../lib/validation/index.js";

describe("arquero views", () => {
  it("rocPointsTable has one row per curve point", () => {
    const r = roc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]);
    const t = rocPointsTable(r);
    expect(t.numRows()).toBe(5);
    expect(t.columnNames()).toEqual(["threshold", "fpr", "tpr", "specificity", "youdenJ"]);
    expect(t.array("tpr")).toEqual([0, 0.5, 0.5, 1, 1]);
  });

  it("diagnosticTable lists the six proportions", () => {
    const t = diagnosticTable(diagnosticAccuracy({ tp: 9, fp: 2, fn: 1, tn: 8 }));
    expect(t.numRows()).toBe(6);
    expect(t.objects()[0]).toMatchObject({ measure: "sensitivity", estimate: 0.9, count: 9, total: 10 });
  });
});
