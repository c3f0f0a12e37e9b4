/**
 * `bct dxa`: the DXA-equivalent measures through the command line, with T-scores checked against the
 * NHANES III young-adult values typed here from bct-reference.md §6 (Looker 1998), and the CT-derived
 * aBMD checked against the same measurement on the phantom's true density (no calibration, no CT noise).
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hipDxa } from "../../lib/dxa/hip.js";
import { mineralConversion } from "../../lib/calibration/density.js";
import { readNifti } from "../../lib/io/nifti/index.js";
import { createVolume } from "../../lib/volume/volume.js";
import { REPO_ROOT, TOTALSEG, describeWithShared } from "../helpers/paths.js";
import { bct } from "../helpers/cli.js";

/** Looker 1998 (NHANES III, white women 20-29; men 20-29), g/cm2. */
const NHANES = { F: { neck: [0.858, 0.12], total: [0.942, 0.122] }, M: { neck: [0.93, 0.136], total: [1.041, 0.144] } };
const t = (x: number, [m, sd]: number[]) => Math.round(((x - m) / sd) * 10) / 10;
const who = (tt: number) => (tt <= -2.5 ? "osteoporosis" : tt >= -1 ? "normal" : "osteopenia");

describe("bct dxa", () => {
  it("hip on the embedded phantom: the --json keys, T-scores by NHANES III, WHO category, report files", async () => {
    const out = mkdtempSync(join(tmpdir(), "bct-dxa-"));
    const r = await bct("dxa", "--json", "--out", out);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    for (const k of ["neckABMD", "totalHipABMD", "tScoreNeck", "tScoreTotalHip", "category", "reference"]) expect(j).toHaveProperty(k);
    expect(j.tScoreNeck).toBe(t(j.neckABMD, NHANES.F.neck));
    expect(j.tScoreTotalHip).toBe(t(j.totalHipABMD, NHANES.F.total));
    expect(j.category).toBe(who(Math.min(j.tScoreNeck, j.tScoreTotalHip)));
    expect(j.reference.id).toBe("white-female-20-29");
    expect(existsSync(join(out, "dxa.html"))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, "dxa.json"), "utf8"))).toEqual(j);

    // The same measurement on the phantom's true density and femur label: calibration and CT blur
    // move the aBMD by a few percent at most.
    const dens = readNifti(join(REPO_ROOT, "datasets/phantom/hip/density.nii.gz")).volume;
    const labels = readNifti(join(REPO_ROOT, "datasets/phantom/hip/labels.nii.gz")).volume;
    const femur = createVolume({ dims: labels.dims, spacing: labels.spacing, origin: labels.origin, direction: labels.direction, data: Uint8Array.from(labels.data, (v) => (v === 1 ? 1 : 0)) });
    const truth = hipDxa(dens, femur, { sex: "F" }).result; // K2HPO4-equivalent
    // The CLI reports HA-equivalent aBMD: K2HPO4 times the attenuation-equivalence factor at the
    // scanner's 70 keV (the phantom's rods sit in ideal water: no K2HPO4 displacement).
    expect(j.densityEquivalent.measure).toBe("rhoHA");
    expect(j.calibration.mineral.effectiveEnergyKeV).toBeCloseTo(70, 0);
    const factor = mineralConversion("rhoK", "rhoHA", 70, { waterDisplacement: { rhoK: 0 } }).factor;
    expect(Math.abs(j.neckABMD / (factor * truth.neckABMD) - 1)).toBeLessThan(0.04);
    expect(Math.abs(j.totalHipABMD / (factor * truth.totalHipABMD) - 1)).toBeLessThan(0.04);
  });

  it("men: the female reference by default (WHO/IOF), the male one on request", async () => {
    const f = JSON.parse((await bct("dxa", "--json", "--sex", "M")).stdout);
    const m = JSON.parse((await bct("dxa", "--json", "--sex", "M", "--male-reference", "male")).stdout);
    expect(f.tScoreNeck).toBe(t(f.neckABMD, NHANES.F.neck));
    expect(m.tScoreNeck).toBe(t(m.neckABMD, NHANES.M.neck));
    expect(m.tScoreTotalHip).toBe(t(m.totalHipABMD, NHANES.M.total));
    expect(m.reference.id).toBe("white-male-20-29");
  });

  it("spine on the embedded phantom: aBMD per level, trabecular vBMD and the ACR category", async () => {
    const r = await bct("dxa", "--site", "spine", "--json");
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j.aBMD)).toEqual(["L3"]);
    expect(j.aBMD.L3).toBeGreaterThan(0.3);
    expect(typeof j.trabecularVBMD).toBe("number");
    const acr = j.trabecularVBMD <= 80 ? "osteoporosis" : j.trabecularVBMD >= 120 ? "normal" : "low";
    expect(j.category).toBe(acr);
  });

  it("says what is wrong with bad options", async () => {
    const r = await bct("dxa", "--site", "knee");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--site must be hip or spine/);
    const s = await bct("dxa", "--male-reference", "other");
    expect(s.code).toBe(2);
    const n = await bct("dxa", "/nonexistent/scan.nii.gz");
    expect(n.code).toBe(1);
    expect(n.stderr).toMatch(/^error: /m);
    expect(n.stderr).not.toMatch(/\n\s+at /);
  });
});

describeWithShared("bct dxa on the real lumbar scan", () => {
  it("L1-L4 from the TotalSegmentator labels with internal calibration", async () => {
    const r = await bct("dxa", join(TOTALSEG, "example_ct.nii.gz"), "--site", "spine", "--sex", "M", "--calibration", "internal", "--labels", join(TOTALSEG, "example_ct_vertebrae_levels.nii.gz"), "--json");
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j.aBMD).sort()).toEqual(["L1", "L2", "L3", "L4"]);
    expect(j.totalLevels).toEqual(["L1", "L2", "L3", "L4"]);
    expect(j.trabecularLevels).toEqual(["L1", "L2"]);
    // per level: its region (world mm), the soft-tissue baseline beside it, area in DXA's range, an ACR category
    for (const l of j.levels) {
      expect(l.region.xMm[1] - l.region.xMm[0]).toBeGreaterThan(40); // a lumbar body's width plus 2 x 2 mm
      expect(l.region.xMm[1] - l.region.xMm[0]).toBeLessThan(65);
      expect(l.baseline.source).toBe("adjacent");
      expect(l.areaCm2).toBeGreaterThan(13);
      expect(l.areaCm2).toBeLessThan(20);
      expect(["osteoporosis", "low", "normal"]).toContain(l.category);
    }
    expect(j.regionOptions).toMatchObject({ lateralMarginMm: 2, discMarginMm: 4, baseline: "adjacent" });
  });
});
