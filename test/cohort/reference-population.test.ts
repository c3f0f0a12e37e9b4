import { definitionId, type StrengthDefinition } from "../../lib/strength/definition.js";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { drawSubject } from "../../lib/cohort/in-silico.js";
import { drawReferenceSubject, generateReferencePopulation, referenceSubjectTask, ReferencePopulationError } from "../../lib/cohort/reference-population.js";
import { compression } from "../../lib/loading/spine.js";
import { provisionalDefinition } from "../../lib/strength/thresholds.js";
import { DEFAULT_SPINE_CENTRUM_VBMD_HA } from "../../lib/synthetic/spine-subject.js";
import { withPeriostealExpansion } from "../../lib/synthetic/subject.js";
import { bct } from "../helpers/cli.js";

const OPTS = { ageRange: [40, 90] as [number, number], elementSize: 2, nonlinear: false };

describe("reference subjects", () => {
  it("hip subject k of a sex is in-silico subject 2k (women) / 2k+1 (men) with periosteal expansion", () => {
    const t = drawReferenceSubject(5, "hip", "M", 3, OPTS);
    const s = drawSubject(5, 7, { ageRange: [40, 90], femaleFraction: 0 });
    if (t.site !== "hip") throw new Error("hip task expected");
    expect(t.spec.id).toBe("H-M-004");
    expect(t.spec.sex).toBe("M");
    expect(t.spec.age).toBe(s.age);
    const e = withPeriostealExpansion(s.factors!, "M", s.age);
    expect(t.spec.factors!.size).toBeCloseTo(e.size, 4);
    expect(t.spec.factors!.corticalThickness).toBeCloseTo(e.corticalThickness, 4);
    expect(drawReferenceSubject(5, "hip", "M", 3, OPTS)).toEqual(t);
  });

  it("spine subjects are deterministic, of the asked sex, within the age range", () => {
    for (let k = 0; k < 20; k++) {
      const t = drawReferenceSubject(1, "spine", "F", k, OPTS);
      if (t.site !== "spine") throw new Error("spine task expected");
      expect(t.sex).toBe("F");
      expect(t.age).toBeGreaterThanOrEqual(40);
      expect(t.age).toBeLessThanOrEqual(90);
      expect(drawReferenceSubject(1, "spine", "F", k, OPTS)).toEqual(t);
    }
    expect(drawReferenceSubject(1, "spine", "F", 0, OPTS)).not.toEqual(drawReferenceSubject(1, "spine", "M", 0, OPTS));
  });

  it("a spine subject: exact density calibrates to itself, vBMD follows its factor, the definition is recorded", () => {
    const t = drawReferenceSubject(1, "spine", "M", 2, { ...OPTS, elementSize: 2.5, supersampling: 1 });
    if (t.site !== "spine") throw new Error("spine task expected");
    const r = referenceSubjectTask(t);
    expect(r.strengthN).toBeGreaterThan(500);
    // The centrum ROI mean scales with the trabecular factor (within the size's small effect and one sample per voxel).
    expect(r.bmd / (t.factors.trabecularDensity * DEFAULT_SPINE_CENTRUM_VBMD_HA)).toBeGreaterThan(0.97);
    expect(r.bmd / (t.factors.trabecularDensity * DEFAULT_SPINE_CENTRUM_VBMD_HA)).toBeLessThan(1.03);
    // the definition analyzeSpine reports by default: the nonlinear peak at the asked element size, its id recomputed here
    const def = r.definition as StrengthDefinition;
    expect(def).toMatchObject({ site: "spine", criterion: "nonlinear-peak", modulusLaw: "kopperdahl2002", elementSizeMm: 2.5 });
    expect(r.definitionId).toBe(definitionId(def));
  });

  it("a run reuses the subjects/<id>.json of the same tasks and writes the table, definitions and README", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bct-refpop-"));
    mkdirSync(join(dir, "subjects"));
    const def = provisionalDefinition({ site: "spine", nonlinear: false, elementSizeMm: 1, modulusLaw: "kopperdahl2002", loadCase: compression() });
    for (const sex of ["F", "M"] as const) for (let k = 0; k < 2; k++) {
      const task = drawReferenceSubject(9, "spine", sex, k, { ageRange: [40, 90], nonlinear: false, supersampling: 3 });
      if (task.site !== "spine") throw new Error("spine task expected");
      const result = { id: task.id, site: "spine", sex, age: task.age, strengthN: 3000 + 100 * k, bmd: 100 + k, bmdMeasure: "trabecular-vbmd-ha", definitionId: def.id, definition: def, neckABMD: null, factors: task.factors, elements: 1, seconds: 1, warnings: [] };
      writeFileSync(join(dir, "subjects", `${task.id}.json`), JSON.stringify({ task, result }));
    }
    const messages: string[] = [];
    const s = await generateReferencePopulation({ n: 2, seed: 9, sites: ["spine"], outDir: dir, onProgress: (m) => messages.push(m) });
    expect(messages[0]).toMatch(/^4\/4 subject\(s\) reused/);
    expect(s.subjects.map((x) => x.id)).toEqual(["S-F-001", "S-F-002", "S-M-001", "S-M-002"]);
    expect(Object.keys(s.definitions)).toEqual([def.id]);
    const csv = readFileSync(s.files.resultsCsv, "utf8").trim().split("\n");
    expect(csv[0]).toBe("id,site,sex,age,strengthN,bmd,bmdMeasure,definitionId,neckABMD,size,trabecularDensity,corticalThickness,corticalDensity,elements,seconds");
    expect(csv[2].startsWith(`S-F-002,spine,F,`)).toBe(true);
    expect(csv[2]).toContain(`,3100,101,trabecular-vbmd-ha,${def.id},`);
    expect(readFileSync(s.files.readme, "utf8")).toMatch(/node bin\/bct.js cohort reference --out <dir> --n 2 --seed 9 --ages 40-90 --sites spine --supersampling 3/);
  });

  it("bad options are refused", async () => {
    await expect(generateReferencePopulation({ n: 1, outDir: "x" })).rejects.toThrow(ReferencePopulationError);
    await expect(generateReferencePopulation({ n: 5, outDir: "x", ageRange: [90, 40] })).rejects.toThrow(/age range/);
    await expect(generateReferencePopulation({ n: 5, outDir: "x", sites: ["knee" as "hip"] })).rejects.toThrow(/sites must be hip/);
  });
});

describe("bct cohort thresholds (built CLI)", () => {
  it("derives a set from a table, prints the fits and agreement, and refuses mixed definitions", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bct-thr-cli-"));
    const rows: string[] = [];
    const T = [-4, -3.5, -3, -2.6, -2.2, -1.8, -1.4, -1, -0.5, 0];
    T.forEach((t, i) => {
      rows.push(`H-F-${i},hip,F,70,${4000 + 800 * t},${t},fn-t-score,hip:a`);
      rows.push(`H-M-${i},hip,M,70,${5000 + 1000 * t},${t},fn-t-score,hip:a`);
    });
    const csv = join(dir, "results.csv");
    writeFileSync(csv, ["id,site,sex,age,strengthN,bmd,bmdMeasure,definitionId", ...rows].join("\n") + "\n");
    const out = join(dir, "thresholds.json");
    const r = await bct("cohort", "thresholds", csv, "--out", out, "--bootstrap", "100");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/hip women n=10: .*fragile <= 2000 N \[2000, 2000\], normal >= 3200 N \[3200, 3200\]; agreement with WHO 100%, weighted kappa 1.00/);
    expect(r.stdout).toMatch(/hip men {3}n=10: .*fragile <= 2500 N/);
    const shown = await bct("analyze", "--thresholds", join(dir, "absent.json"));
    expect(shown.code).toBe(1);
    expect(shown.stderr).toMatch(/^error: "[^"]*absent.json" is neither a published thresholds set \(keaveny2020\) nor a thresholds file/);
    writeFileSync(csv, ["id,site,sex,age,strengthN,bmd,bmdMeasure,definitionId", ...rows.map((l, i) => (i === 0 ? l.replace("hip:a", "hip:b") : l))].join("\n") + "\n");
    const mixed = await bct("cohort", "thresholds", csv, "--out", out);
    expect(mixed.code).toBe(1);
    expect(mixed.stderr).toMatch(/^error: the hip rows of .* mix strength definitions/);
  });
});
