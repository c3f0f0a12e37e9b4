import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { classifyStrength } from "../../lib/strength/classify.js";
import { BCT_STRENGTH_THRESHOLDS } from "../../lib/strength/criteria.js";
import { strengthDefinition, type StrengthDefinition } from "../../lib/strength/definition.js";
import {
  classifyWithThresholds,
  defaultThresholdSet,
  definitionOfResult,
  KEAVENY_2020,
  provisionalDefinition,
  readThresholdSet,
  resolveThresholdSet,
  thresholdSetByName,
  ThresholdsError,
  validateThresholdSet,
  type ThresholdSet,
} from "../../lib/strength/thresholds.js";
import { sidewaysFall } from "../../lib/loading/hip.js";

const defA: StrengthDefinition = provisionalDefinition({ site: "hip", nonlinear: false, elementSizeMm: 2, modulusLaw: "morgan2003-femoral-neck", loadCase: sidewaysFall() });
const defB: StrengthDefinition = provisionalDefinition({ site: "hip", nonlinear: true, elementSizeMm: 2, modulusLaw: "morgan2003-femoral-neck", loadCase: sidewaysFall() });

function derivedFor(def: StrengthDefinition, name = "test-set"): ThresholdSet {
  return {
    format: "bct-thresholds", version: 1, name, kind: "derived", source: "a test", citation: "none",
    sites: { hip: { definition: def, derivedForText: `bct ${def.id}`, F: { fragile: 2000, low: 2600 }, M: { fragile: 2500, low: 3300 } } },
  };
}

describe("published Keaveny 2020 set", () => {
  it("holds Table 1 of Keaveny 2020 (N), and the former criteria constant is the same numbers", () => {
    // Keaveny TM et al. 2020, Osteoporos Int 31:1025, Table 1.
    expect(KEAVENY_2020.sites.hip).toMatchObject({ F: { fragile: 3000, low: 4000 }, M: { fragile: 3500, low: 5000 } });
    expect(KEAVENY_2020.sites.spine).toMatchObject({ F: { fragile: 4500, low: 6000 }, M: { fragile: 6500, low: 8500 } });
    expect(BCT_STRENGTH_THRESHOLDS).toEqual({ hip: { F: { fragile: 3000, low: 4000 }, M: { fragile: 3500, low: 5000 } }, spine: { F: { fragile: 4500, low: 6000 }, M: { fragile: 6500, low: 8500 } } });
    expect(thresholdSetByName("keaveny2020")).toBe(KEAVENY_2020);
    expect(resolveThresholdSet("keaveny2020")).toBe(KEAVENY_2020);
  });

  it("classifies any definition, like classifyStrength, and says it was derived for VirtuOst", () => {
    for (const [n, site, sex] of [[3000, "hip", "F"], [3001, "hip", "F"], [4999, "hip", "M"], [8500, "spine", "M"], [4500, "spine", "F"]] as const) {
      const c = classifyWithThresholds(n, site, sex, { id: "anything" }, KEAVENY_2020);
      expect(c.classification).toBe(classifyStrength(n, site, sex));
      expect(c.thresholds).toMatchObject({ name: "keaveny2020", kind: "published", matchesDefinition: false, definitionId: "anything" });
      expect(c.thresholds.derivedFor).toMatch(/VirtuOst/);
      expect(c.warnings.join()).toMatch(/VirtuOst.*anything/);
    }
  });
});

describe("derived sets", () => {
  it("classify a strength of their own definition, with no warning", () => {
    const c = classifyWithThresholds(2300, "hip", "F", defA, derivedFor(defA));
    expect(c.classification).toBe("low");
    expect(c.thresholds).toMatchObject({ matchesDefinition: true, derivedFor: defA.id, fragileN: 2000, lowN: 2600 });
    expect(c.warnings).toEqual([]);
    expect(classifyWithThresholds(2000, "hip", "F", defA, derivedFor(defA)).classification).toBe("fragile");
    expect(classifyWithThresholds(3300, "hip", "M", defA, derivedFor(defA)).classification).toBe("normal");
  });

  it("refuse a strength of another definition: no class, a warning naming both ids", () => {
    expect(defA.id).not.toBe(defB.id);
    const c = classifyWithThresholds(2300, "hip", "F", defB, derivedFor(defA));
    expect(c.classification).toBeNull();
    expect(c.thresholds).toMatchObject({ matchesDefinition: false, fragileN: null, lowN: null });
    expect(c.warnings).toHaveLength(1);
    expect(c.warnings[0]).toContain(defA.id);
    expect(c.warnings[0]).toContain(defB.id);
  });

  it("have no cut-points for a site they do not hold", () => {
    expect(() => classifyWithThresholds(5000, "spine", "F", defA, derivedFor(defA))).toThrow(/no spine cut-points/);
  });

  it("the default is the shipped set of the definition, else the published one", () => {
    const shipped = [derivedFor(defB, "b"), derivedFor(defA, "a")];
    expect(defaultThresholdSet("hip", defA.id, shipped).name).toBe("a");
    expect(defaultThresholdSet("hip", "hip:other", shipped)).toBe(KEAVENY_2020);
    expect(defaultThresholdSet("spine", defA.id, shipped)).toBe(KEAVENY_2020);
  });
});

describe("thresholds files", () => {
  const dir = mkdtempSync(join(tmpdir(), "bct-thr-"));
  const write = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it("a valid file round-trips", () => {
    const p = write("ok.json", JSON.stringify(derivedFor(defA)));
    expect(readThresholdSet(p)).toEqual(derivedFor(defA));
    expect(resolveThresholdSet(p).name).toBe("test-set");
  });

  it("a bad file gives a ThresholdsError that says what is wrong", () => {
    expect(() => readThresholdSet(join(dir, "absent.json"))).toThrow(ThresholdsError);
    expect(() => readThresholdSet(write("text.json", "not json"))).toThrow(/not valid JSON/);
    expect(() => resolveThresholdSet("no-such-set")).toThrow(/neither a published thresholds set \(keaveny2020\) nor a thresholds file/);
    const bad = (change: (s: Record<string, unknown>) => void) => {
      const s = structuredClone(derivedFor(defA)) as unknown as Record<string, unknown>;
      change(s);
      return () => validateThresholdSet(s, "x.json");
    };
    expect(bad((s) => (s.format = "other"))).toThrow(/x.json: format must be "bct-thresholds"/);
    expect(bad((s) => (s.version = 2))).toThrow(/version 2 is not supported/);
    expect(bad((s) => ((s.sites as { hip: { F: { fragile: number } } }).hip.F.fragile = 9000))).toThrow(/sites.hip.F: fragile \(9000 N\) must be below low/);
    expect(bad((s) => ((s.sites as { hip: { definition: unknown } }).hip.definition = null))).toThrow(/derived set must record the strength definition/);
    expect(bad((s) => ((s.sites as Record<string, unknown>).knee = {}))).toThrow(/unknown site "knee"/);
    expect(bad((s) => ((s.sites as { hip: { definition: { site: string } } }).hip.definition.site = "spine"))).toThrow(/listed under hip/);
    expect(bad((s) => (s.sites = {}))).toThrow(/no site/);
  });
});

describe("the definition of a result", () => {
  it("is the pipeline's own when recorded, else the provisional one from the recorded facts", () => {
    const lc = sidewaysFall();
    const facts = { site: "hip" as const, elementSizeMm: 2, materials: { law: "morgan2003-femoral-neck" }, loadCase: { ...lc, directionLps: [1, 0, 0] }, strength: { criterion: "x" } };
    expect(definitionOfResult(facts)).toEqual(defA); // the load direction is not part of the definition
    expect(definitionOfResult({ ...facts, strength: { criterion: "x", nonlinearN: 5000 } }).id).toBe(defB.id);
    const own = strengthDefinition({ site: "hip", criterion: "nonlinear-peak", loadCase: "pmma", boundary: "pmma caps", modulusLaw: "m", strains: { tension: 0.0073, compression: 0.0104, source: "s" }, elementSizeMm: 1.5 });
    expect(definitionOfResult({ ...facts, strength: { criterion: "x", definition: own } })).toBe(own);
    expect(defA.id).toMatch(/^hip:linear-critical-volume:morgan2003-femoral-neck:0.73\/1.04:cv2:2mm:[0-9a-f]{8}$/);
  });
});
