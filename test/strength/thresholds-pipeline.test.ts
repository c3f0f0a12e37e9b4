import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readScan } from "../../lib/io/scan.js";
import { analyzeSpine } from "../../lib/pipeline/spine.js";
import { definitionOfResult, KEAVENY_2020, type ThresholdSet } from "../../lib/strength/thresholds.js";
import { REPO_ROOT } from "../helpers/paths.js";

describe("thresholds in the spine pipeline (embedded phantom, 3 mm elements)", async () => {
  const phantom = JSON.parse(readFileSync(join(REPO_ROOT, "datasets/phantom/calibration-phantom.json"), "utf8"));
  const ct = (await readScan(join(REPO_ROOT, "datasets/phantom/spine/ct.nii.gz"))).volume;
  const opts = { sex: "F" as const, calibration: { kind: "phantom" as const, phantom }, elementSize: 3, dxa: false };

  it("by default uses the published set (no shipped set for this definition) and says so; a set of its own definition classifies; another refuses", () => {
    const { result: r } = analyzeSpine(ct, opts);
    const def = definitionOfResult(r);
    expect(r.thresholds).toMatchObject({ name: "keaveny2020", kind: "published", matchesDefinition: false, definitionId: def.id, fragileN: 4500, lowN: 6000 });
    expect(r.warnings.join("\n")).toMatch(/thresholds: strength class from the published keaveny2020 thresholds/);
    // A set derived for this definition whose cut-points straddle the strength: "low".
    const own: ThresholdSet = {
      format: "bct-thresholds", version: 1, name: "own", kind: "derived", source: "test", citation: "none",
      sites: { spine: { definition: def, derivedForText: def.id, F: { fragile: r.strengthN - 100, low: r.strengthN + 100 }, M: { fragile: 1000, low: 2000 } } },
    };
    const { result: a } = analyzeSpine(ct, { ...opts, thresholds: own });
    expect(a.classification).toBe("low");
    expect(a.thresholds).toMatchObject({ name: "own", matchesDefinition: true, fragileN: r.strengthN - 100 });
    expect(a.warnings.join("\n")).not.toMatch(/thresholds:/);
    const other: ThresholdSet = { ...own, name: "other", sites: { spine: { ...own.sites.spine!, definition: { ...def, id: "spine:someone-else" } } } };
    const { result: b } = analyzeSpine(ct, { ...opts, dxa: true, thresholds: other });
    expect(b.classification).toBeNull();
    expect(b.overallRisk).toBeUndefined();
    expect(b.warnings.join("\n")).toMatch(/thresholds: thresholds "other" were derived for the strength definition spine:someone-else, but this strength is spine:/);
    expect(KEAVENY_2020.sites.spine!.F.fragile).toBe(4500);
  });
});
