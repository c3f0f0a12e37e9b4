import { describe, expect, it } from "vitest";
import { compareCohort, type CohortComparisonRow } from "../../lib/validation/cohort-comparison.js";
import { PUBLISHED_FIGURES } from "../../lib/validation/published.js";

const strength = [2000, 2500, 3500, 4200, 2800, 5000, 6000, 3900];
const fracture = [1, 1, 1, 0, 0, 0, 0, 1];
const classification = ["fragile", "fragile", "low", "normal", "fragile", "normal", "normal", "low"] as const;
const who = ["osteoporosis", "osteopenia", "osteoporosis", "normal", "osteoporosis", "normal", "normal", "osteopenia"] as const;
const neck = [0.52, 0.61, 0.58, 0.8, 0.55, 0.85, 0.9, 0.7];
const rows: CohortComparisonRow[] = strength.map((s, i) => ({
  id: `S${i}`, sex: i % 2 ? "M" : "F", age: 60 + 3 * i, strengthN: s, classification: classification[i], whoCategory: who[i],
  neckABMD: neck[i], tScoreNeck: (neck[i] - 0.858) / 0.12, fracture: fracture[i],
}));

describe("compareCohort", () => {
  const c = compareCohort(rows);
  it("AUC of strength (lower = fracture) is the hand-counted Mann-Whitney fraction", () => {
    // cases 2000, 2500, 3500, 3900 vs controls 4200, 2800, 5000, 6000: 4 + 4 + 3 + 3 of 16 pairs
    expect(c.auc.strength!.estimate).toBeCloseTo(14 / 16, 12);
    expect(c.fractures).toBe(4);
    expect(c.nWithOutcome).toBe(8);
  });
  it("kappa of 'fragile' against 'T <= -2.5' follows the hand-computed 2x2 table", () => {
    // table yes/yes 2, yes/no 1, no/yes 1, no/no 4: po = 0.75, pe = (3/8)^2 + (5/8)^2
    const pe = (3 / 8) ** 2 + (5 / 8) ** 2;
    expect(c.kappaFragileVsOsteoporosis!.kappa).toBeCloseTo((0.75 - pe) / (1 - pe), 12);
    expect(c.classTable!.counts).toEqual([[2, 1, 0], [1, 1, 0], [0, 0, 3]]);
  });
  it("sensitivity/specificity/PPV of 'fragile' for the outcome", () => {
    const d = c.diagnosticFragile!;
    expect(d.table).toMatchObject({ tp: 2, fp: 1, fn: 2, tn: 3 });
    expect(d.sensitivity.estimate).toBeCloseTo(0.5, 12);
    expect(d.specificity.estimate).toBeCloseTo(0.75, 12);
    expect(d.ppv.estimate).toBeCloseTo(2 / 3, 12);
  });
  it("uses the CT aBMD when no measured DXA is given, and sets this cohort beside every published figure", () => {
    expect(c.strengthVsNeckABMD!.aBMDSource).toBe("CT");
    expect(c.ctVsDxaNeck).toBeUndefined();
    expect(c.sideBySide).toHaveLength(PUBLISHED_FIGURES.length);
    const or = c.sideBySide.find((r) => r.measure === "femoral strength OR per SD decrease" && r.group === "women")!;
    expect(or.published).toBe("4.2 (2.6-6.9)");
    expect(or.thisCohort).toBe(`${c.oddsRatioPerSD.strength!.estimate.toFixed(2)} (${c.oddsRatioPerSD.strength!.ci[0].toFixed(2)}-${c.oddsRatioPerSD.strength!.ci[1].toFixed(2)})`);
    expect(c.oddsRatioPerSD.strength!.adjustedFor).toEqual(["age"]);
    // lower strength goes with fracture here: the OR per SD decrease is above 1
    expect(c.oddsRatioPerSD.strength!.estimate).toBeGreaterThan(1);
  });
  it("with measured DXA it compares CT with DXA (correlation, Bland-Altman)", () => {
    const withDxa = rows.map((r, i) => ({ ...r, dxaNeckABMD: r.neckABMD! + 0.01 * ((i % 3) - 1) + 0.02 }));
    const d = compareCohort(withDxa);
    expect(d.ctVsDxaNeck!.blandAltman.bias.estimate).toBeCloseTo(-0.02 - 0.01 * ([0, 1, 2, 0, 1, 2, 0, 1].reduce((s, k) => s + k - 1, 0) / 8), 12);
    expect(d.delongStrengthVsABMD!.aBMDSource).toBe("DXA");
    expect(d.sideBySide.find((r) => r.measure === "CT vs DXA neck aBMD correlation")!.thisCohort).not.toBe("-");
  });
});
