import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  bmdClassRank,
  classAgreement,
  deriveThresholds,
  mergeReferenceTables,
  readReferenceResults,
  ThresholdDerivationError,
  thresholdsSummary,
  type ReferenceRow,
  type ReferenceTable,
} from "../../lib/cohort/thresholds.js";
import { classifyWithThresholds } from "../../lib/strength/thresholds.js";
import { kappaFromTable } from "../../lib/validation/kappa.js";

const HIP_ID = "hip:linear-critical-volume:law:0.73/1.04:cv2:2mm:00000000";
const SPINE_ID = "spine:linear-critical-volume:law:0.73/1.04:cv2:1mm:00000000";

/** Rows on an exact line strength = a + b * bmd. */
function line(site: "hip" | "spine", sex: "F" | "M", a: number, b: number, xs: number[], id = site === "hip" ? HIP_ID : SPINE_ID): ReferenceRow[] {
  return xs.map((x, i) => ({ id: `${site}-${sex}-${i}`, site, sex, bmd: x, strengthN: a + b * x, definitionId: id }));
}

const T = [-4, -3.5, -3, -2.6, -2.2, -1.8, -1.4, -1, -0.5, 0];
const V = [50, 60, 70, 85, 95, 105, 115, 130, 150, 170];
function exactTable(): ReferenceTable {
  return {
    source: "/x/ref/results.csv",
    rows: [...line("hip", "F", 4000, 800, T), ...line("hip", "M", 5200, 900, T), ...line("spine", "F", 500, 40, V), ...line("spine", "M", 900, 55, V)],
    definitions: {},
  };
}

describe("deriveThresholds", () => {
  it("recovers the exact cut-points of a known linear relation, with degenerate intervals", () => {
    const set = deriveThresholds(exactTable(), { bootstrap: 200, seed: 3 });
    // hip: 4000 + 800 T at T = -2.5 and -1.0; spine: 500 + 40 v at 80 and 120 mg/cm3.
    expect(set.sites.hip!.F).toMatchObject({ fragile: 2000, low: 3200, n: 10, r2: 1 });
    expect(set.sites.hip!.M).toMatchObject({ fragile: 2950, low: 4300 });
    expect(set.sites.spine!.F).toMatchObject({ fragile: 3700, low: 5300 });
    expect(set.sites.spine!.M).toMatchObject({ fragile: 5300, low: 7500 });
    expect(set.sites.hip!.F.ci).toEqual({ fragile: [2000, 2000], low: [3200, 3200], level: 0.95 });
    expect(set.sites.hip!.definition!.id).toBe(HIP_ID);
    expect(set.kind).toBe("derived");
    // On an exact line every subject's strength class is its BMD class: full agreement.
    const ag = (set.derivation as { agreement: { percentAgreement: number; weightedKappa: number }[] }).agreement;
    for (const a of ag) expect(a.percentAgreement).toBe(100);
  });

  it("matches a hand computation of the least-squares line", () => {
    // x = T, y = strength: by hand, mean x = -1.25, mean y = 2956.25, Sxx = 10.5, Sxy = 6562.5,
    // slope = 625 N/SD, intercept = 3737.5 N, R^2 = 0.98190; at T = -2.5: 2175 N -> 2180; at -1.0: 3112.5 N -> 3110.
    const x = [-3, -2.5, -2, -1.5, -1, -0.5, 0, 0.5];
    const y = [1800, 2300, 2350, 2900, 3100, 3500, 3600, 4100];
    const rows: ReferenceRow[] = [
      ...x.map((v, i) => ({ id: `f${i}`, site: "hip" as const, sex: "F" as const, bmd: v, strengthN: y[i], definitionId: HIP_ID })),
      ...line("hip", "M", 5000, 1000, T),
    ];
    const set = deriveThresholds({ source: "hand.csv", rows, definitions: {} }, { bootstrap: 0 });
    expect(set.sites.hip!.F).toMatchObject({ fragile: 2180, low: 3110, n: 8 });
    expect(set.sites.hip!.F.r2).toBeCloseTo(0.9819, 4);
    expect(set.sites.hip!.F.ci).toBeUndefined();
    const fit = (set.derivation as { fits: { sex: string; slope: number; intercept: number }[] }).fits.find((f) => f.sex === "F")!;
    expect(fit.slope).toBeCloseTo(625, 9);
    expect(fit.intercept).toBeCloseTo(3737.5, 9);
  });

  it("bootstrap intervals are seeded, bracket the estimate and widen with the scatter", () => {
    const noisy = (sd: number): ReferenceTable => {
      const t = exactTable();
      t.rows = t.rows.map((r, i) => ({ ...r, strengthN: r.strengthN + sd * Math.sin(7.3 * i + 1) }));
      return t;
    };
    const a = deriveThresholds(noisy(200), { bootstrap: 500, seed: 1 });
    const b = deriveThresholds(noisy(200), { bootstrap: 500, seed: 1 });
    const c = deriveThresholds(noisy(200), { bootstrap: 500, seed: 2 });
    const wide = deriveThresholds(noisy(600), { bootstrap: 500, seed: 1 });
    expect(a.sites).toEqual(b.sites);
    expect(a.sites.hip!.F.ci).not.toEqual(c.sites.hip!.F.ci);
    for (const sex of ["F", "M"] as const) {
      const cp = a.sites.hip![sex];
      expect(cp.ci!.fragile[0]).toBeLessThanOrEqual(cp.fragile);
      expect(cp.ci!.fragile[1]).toBeGreaterThanOrEqual(cp.fragile);
      expect(cp.ci!.low[0]).toBeLessThanOrEqual(cp.low);
      expect(cp.ci!.low[1]).toBeGreaterThanOrEqual(cp.low);
      const w = (x: { ci?: { fragile: [number, number] } }) => x.ci!.fragile[1] - x.ci!.fragile[0];
      expect(w(wide.sites.hip![sex])).toBeGreaterThan(w(cp));
    }
  });

  it("refuses a table that mixes strength definitions at a site, or has too few subjects", () => {
    const t = exactTable();
    t.rows[3] = { ...t.rows[3], definitionId: "hip:other" };
    expect(() => deriveThresholds(t, { bootstrap: 0 })).toThrow(ThresholdDerivationError);
    expect(() => deriveThresholds(t, { bootstrap: 0 })).toThrow(/hip rows .* mix strength definitions .*hip:other: 1/);
    const few = exactTable();
    few.rows = few.rows.filter((r) => !(r.site === "spine" && r.sex === "M" && r.bmd > 100));
    expect(() => deriveThresholds(few, { bootstrap: 0 })).toThrow(/spine men: 5 subject\(s\), at least 8/);
    const flat = exactTable();
    flat.rows = flat.rows.map((r) => (r.site === "hip" && r.sex === "F" ? { ...r, strengthN: 9000 - (r.strengthN - 4000) } : r));
    expect(() => deriveThresholds(flat, { bootstrap: 0 })).toThrow(/no valid cut-points/);
  });

  it("the derived set classifies its own definition and refuses another one", () => {
    const set = deriveThresholds(exactTable(), { bootstrap: 0 });
    expect(classifyWithThresholds(2500, "hip", "F", { id: HIP_ID }, set).classification).toBe("low");
    expect(classifyWithThresholds(2500, "hip", "F", { id: "hip:other" }, set).classification).toBeNull();
    expect(thresholdsSummary(set).join("\n")).toMatch(/hip women n=10: strength = 4000 \+ 800.0 x T, R\^2 1.000; fragile <= 2000 N, normal >= 3200 N; agreement with WHO 100%/);
  });
});

describe("class agreement", () => {
  it("matches the 3x3 table counted by hand and kappaFromTable", () => {
    // cut-points 2000 / 3000 N; WHO: T <= -2.5 osteoporosis, >= -1 normal.
    const rows: ReferenceRow[] = [
      [1500, -3], [1900, -2], [2500, -2.7], [2500, -1.5], [2900, -1.2], [3500, -0.5], [3200, -1.5], [1800, -2.6], [4000, 0.2], [2600, -0.9],
    ].map(([s, t], i) => ({ id: `${i}`, site: "hip", sex: "F", strengthN: s, bmd: t, definitionId: HIP_ID }));
    const a = classAgreement("hip", "F", rows, { fragile: 2000, low: 3000 });
    // strength rows fragile/low/normal x WHO columns osteoporosis/osteopenia/normal
    const table = [
      [2, 1, 0], // 1500/-3, 1800/-2.6 ; 1900/-2
      [1, 2, 1], // 2500/-2.7 ; 2500/-1.5, 2900/-1.2 ; 2600/-0.9
      [0, 1, 2], // 3200/-1.5 ; 3500/-0.5, 4000/0.2
    ];
    expect(a.table).toEqual(table);
    expect(a.percentAgreement).toBeCloseTo(60, 10);
    expect(a.weightedKappa).toBeCloseTo(kappaFromTable(table, { weights: "linear" }).kappa, 12);
  });

  it("BMD classes follow the WHO and ACR cut-points on the reported rounding", () => {
    expect([-2.56, -2.46, -1.06, -1.04].map((t) => bmdClassRank("hip", t))).toEqual([0, 0, 1, 2]); // -2.46 rounds to -2.5, -1.04 to -1.0
    expect([80.4, 80.6, 119.4, 119.6].map((v) => bmdClassRank("spine", v))).toEqual([0, 1, 1, 2]);
  });
});

describe("reference tables on disk", () => {
  const dir = mkdtempSync(join(tmpdir(), "bct-ref-"));
  const csv = (name: string, rows: string[]) => {
    const p = join(dir, name);
    writeFileSync(p, ["id,site,sex,age,strengthN,bmd,bmdMeasure,definitionId", ...rows].join("\n") + "\n");
    return p;
  };

  it("reads results.csv with definitions.json beside it", () => {
    const p = csv("results.csv", ["H-F-001,hip,F,70,2500,-2.1,fn-t-score," + HIP_ID, "S-M-001,spine,M,60,6000,110.5,trabecular-vbmd-ha," + SPINE_ID]);
    writeFileSync(join(dir, "definitions.json"), JSON.stringify({ [HIP_ID]: { id: HIP_ID, site: "hip", elementSizeMm: 2 } }));
    const t = readReferenceResults(p);
    expect(t.rows).toEqual([
      { id: "H-F-001", site: "hip", sex: "F", strengthN: 2500, bmd: -2.1, definitionId: HIP_ID },
      { id: "S-M-001", site: "spine", sex: "M", strengthN: 6000, bmd: 110.5, definitionId: SPINE_ID },
    ]);
    expect(t.definitions[HIP_ID].elementSizeMm).toBe(2);
    expect(() => mergeReferenceTables([t, t])).toThrow(/appears in more than one table/);
  });

  it("says what is wrong with a bad table", () => {
    expect(() => readReferenceResults(join(dir, "none.csv"))).toThrow(/cannot read the reference table/);
    const noCol = join(dir, "nocol.csv");
    writeFileSync(noCol, "id,site,sex,strengthN\nA,hip,F,3000\n");
    expect(() => readReferenceResults(noCol)).toThrow(/missing column\(s\) bmd, definitionId/);
    expect(() => readReferenceResults(csv("badsex.csv", ["A,hip,X,70,2500,-2,fn-t-score,id"]))).toThrow(/row 2: sex must be F or M/);
    expect(() => readReferenceResults(csv("noid.csv", ["A,hip,F,70,2500,-2,fn-t-score,"]))).toThrow(/row 2: definitionId is empty/);
    expect(() => readReferenceResults(csv("neg.csv", ["A,hip,F,70,-5,-2,fn-t-score,id"]))).toThrow(/strengthN must be positive/);
  });
});
