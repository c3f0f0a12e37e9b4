import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { deriveThresholds, mergeReferenceTables, readReferenceResults, type GroupFit } from "../../lib/cohort/thresholds.js";
import { defaultThresholdSet, readThresholdSet, shippedThresholdSets } from "../../lib/strength/thresholds.js";
import { REPO_ROOT } from "../helpers/paths.js";

const DIR = join(REPO_ROOT, "datasets/thresholds");
/** The sites the shipped set covers (one reference table each). */
const SITES = (["hip", "spine"] as const).filter((site) => existsSync(join(DIR, `reference/${site}/results.csv`)));
const TABLES = SITES.map((site) => join(DIR, `reference/${site}/results.csv`));

describe("the shipped default thresholds (datasets/thresholds)", () => {
  const set = readThresholdSet(join(DIR, "bct-default.json"));

  it("are re-derived exactly from the shipped reference tables with the recorded bootstrap", () => {
    const boot = (set.derivation as { bootstrap: { resamples: number; seed: number } }).bootstrap;
    const again = deriveThresholds(mergeReferenceTables(TABLES.map(readReferenceResults)), { bootstrap: boot.resamples, seed: boot.seed, name: set.name });
    expect(again.sites).toEqual(set.sites);
    expect(JSON.parse(JSON.stringify(again.derivation))).toEqual(set.derivation);
  });

  it("were derived for the definitions of the reference tables, and are the default for them only", () => {
    expect(SITES.length).toBeGreaterThan(0);
    expect(Object.keys(set.sites).sort()).toEqual([...SITES].sort());
    for (const site of SITES) {
      const defs = JSON.parse(readFileSync(join(DIR, `reference/${site}/definitions.json`), "utf8")) as Record<string, unknown>;
      const id = set.sites[site]!.definition!.id;
      expect(Object.keys(defs)).toEqual([id]);
      expect(set.sites[site]!.definition).toEqual(defs[id]);
      expect(defaultThresholdSet(site, id).name).toBe(set.name);
      expect(defaultThresholdSet(site, `${id}-other`).name).toBe("keaveny2020");
    }
    expect(shippedThresholdSets().map((s) => s.name)).toContain(set.name);
  });

  it("strength rises with BMD in every group, and fragile < low with intervals around them", () => {
    for (const f of (set.derivation as { fits: GroupFit[] }).fits) {
      expect(f.slope).toBeGreaterThan(0);
      expect(f.r2).toBeGreaterThan(0.5);
      const c = set.sites[f.site]![f.sex];
      expect(c.fragile).toBeLessThan(c.low);
      expect(c.ci!.fragile[0]).toBeLessThanOrEqual(c.fragile);
      expect(c.ci!.fragile[1]).toBeGreaterThanOrEqual(c.fragile);
      expect(c.n).toBe(f.n);
    }
  });
});
