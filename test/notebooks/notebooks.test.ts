/**
 * Every notebook in notebooks/ runs top to bottom on the bct kernel with real Jupyter (as
 * `npm run notebooks` does), with no error output, and writes key results that match independent
 * references. Needs the build (npm test builds) and Debian's jupyter-nbconvert, python3-nbclient,
 * python3-ipykernel.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import * as aq from "arquero";
import { beforeAll, describe, expect, it } from "vitest";
import { findJupyter, type ExecutedNotebook } from "../../kernel/nbconvert.js";
import { listNotebooks, notebooksDir, runNotebooks } from "../../kernel/run-notebooks.js";
import { redisServerPath } from "../../lib/cohort/queue-redis.js";

const jupyter = findJupyter();
if (!jupyter) console.warn("SKIPPED: notebook execution needs Jupyter (apt-get install jupyter-nbconvert python3-nbclient python3-ipykernel)");

const dir = notebooksDir();
const resultsDir = join(dir, "_build", "results");
const REFERENCE = join(dir, "..", "..", "shared", "data", "totalseg-example", "reference-values.json");

interface ScanSummary {
  dims: number[]; spacing: number[]; origin: number[]; direction: number[];
  min: number; max: number; mean: number;
}

function expectClose(actual: number[], expected: number[], tol: number) {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, i) => expect(Math.abs(a - expected[i]), `component ${i}: ${a} vs ${expected[i]}`).toBeLessThanOrEqual(tol));
}

// ---------------------------------------------------------------------------------------------
// Notebooks 02-05 and the teaching notebooks: each writes _build/results/<name>.json; the checks
// below compare it with independent references: the phantoms' truth.json, closed-form solutions,
// and the published formulas and thresholds of shared/reference/bct-reference.md (typed here, not
// taken from the library).
// ---------------------------------------------------------------------------------------------

const DATASETS = join(dir, "..", "datasets", "phantom");
type Json = any;
function notebookResults(name: string): Json {
  const file = join(resultsDir, `${name}.json`);
  expect(existsSync(file), `${name} did not write ${file}`).toBe(true);
  return JSON.parse(readFileSync(file, "utf8"));
}
const truthOf = (site: "hip" | "spine"): Json => JSON.parse(readFileSync(join(DATASETS, site, "truth.json"), "utf8"));
const relErr = (a: number, b: number) => Math.abs(a / b - 1);
const dot3 = (a: number[], b: number[]) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const unit3 = (a: number[]) => { const n = Math.hypot(a[0], a[1], a[2]); return a.map((x) => x / n); };
const cross3 = (a: number[], b: number[]) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const angleDeg3 = (a: number[], b: number[]) => (Math.acos(Math.max(-1, Math.min(1, dot3(unit3(a), unit3(b))))) * 180) / Math.PI;
const rad = (d: number) => (d * Math.PI) / 180;

/** Keyak 1994 (rhoK mg/cm3 -> rhoAsh g/cm3) and the ash fraction 0.6 (bct-reference.md §1). */
const ashOf = (rhoK: number) => 1.06 * (rhoK / 1000) + 0.0389;
const appOf = (rhoK: number) => ashOf(rhoK) / 0.6;
/** Density-modulus laws of bct-reference.md §2 (E in MPa), as functions of rhoK (mg/cm3 K2HPO4). */
const PUBLISHED_MODULUS: Record<string, (rhoK: number) => number> = {
  "morgan2003-femoral-neck": (r) => 6850 * appOf(r) ** 1.49,
  "morgan2003-vertebra": (r) => 4730 * appOf(r) ** 1.56,
  "morgan2003-trochanter": (r) => 15010 * appOf(r) ** 2.18,
  "morgan2003-tibia": (r) => 15520 * appOf(r) ** 1.93,
  "morgan2003-pooled": (r) => 8920 * appOf(r) ** 1.83,
  keyak2005: (r) => 14900 * ashOf(r) ** 1.86,
  keller1994: (r) => 10500 * ashOf(r) ** 2.29,
  kopperdahl2002: (r) => -34.7 + 3.23 * r,
  "mechanical-finder": (r) => { const a = ashOf(r); return a <= 0.27 ? 33900 * a ** 2.2 : a < 0.6 ? 5307 * a + 469 : 10200 * a ** 2.01; },
};
/** Yield-stress laws of bct-reference.md §2 (MPa). */
const PUBLISHED_YIELD: Record<string, (rhoK: number) => number> = {
  "keyak2005-yield": (r) => 102 * ashOf(r) ** 1.8,
  "morgan-keaveny-compression": (r) => { const a = appOf(r); return a <= 0.355 ? 85.5 * a ** 2.26 : 38.5 * a ** 1.48; },
  "morgan-keaveny-tension": (r) => { const a = appOf(r); return a <= 0.355 ? 50.1 * a ** 2.04 : 22.6 * a ** 1.26; },
  "kopperdahl2002-yield": (r) => 37.4 * appOf(r) ** 1.39,
};
/** Keaveny 2020 Table 1 (bct-reference.md §5): upper bounds of "fragile" and lower bounds of "normal" (N). */
const KEAVENY_2020 = { hip: { F: [3000, 4000], M: [3500, 5000] }, spine: { F: [4500, 6000], M: [6500, 8500] } } as const;
const keavenyClass = (s: number, site: "hip" | "spine", sex: "F" | "M") => (s <= KEAVENY_2020[site][sex][0] ? "fragile" : s >= KEAVENY_2020[site][sex][1] ? "normal" : "low");
/** Lame parameters. */
const lame = (E: number, nu: number) => ({ lambda: (E * nu) / ((1 + nu) * (1 - 2 * nu)), mu: E / (2 * (1 + nu)) });

describe.skipIf(!jupyter)("notebooks", () => {
  let runs: ExecutedNotebook[] = [];
  beforeAll(() => {
    if (!existsSync(join(dir, "..", "dist", "kernel", "launch.js"))) throw new Error("dist/kernel/launch.js is missing: run npm run build (npm test does)");
    rmSync(resultsDir, { recursive: true, force: true }); // no stale results
    runs = runNotebooks({ jupyter: jupyter! });
  }, 600_000);

  it("runs every notebook with no error output and exports HTML", () => {
    expect(runs.map((r) => r.input)).toEqual(listNotebooks(dir));
    expect(runs.length).toBeGreaterThan(0);
    for (const r of runs) {
      expect(r.notebook, `${r.input} did not execute:\n${r.log.slice(-2000)}`).not.toBeNull();
      expect(r.errors, r.input).toEqual([]);
      expect(r.status, r.input).toBe(0);
      expect(r.html && existsSync(r.html), `${r.input} has no HTML export`).toBe(true);
    }
  });

  it("01-load-ct: geometry and HU statistics match the independent reference", () => {
    const file = join(resultsDir, "01-load-ct.json");
    expect(existsSync(file), "the notebook did not write its results").toBe(true);
    const res = JSON.parse(readFileSync(file, "utf8")) as { source: string; nifti: ScanSummary & { boneVoxels: number; centreWorld: number[] }; dicom: ScanSummary & { sliceCount: number; transferSyntaxUid: string } };
    const html = readFileSync(join(dir, "_build", "01-load-ct.html"), "utf8");
    expect(html.match(/data:image\/png;base64,/g)!.length).toBeGreaterThanOrEqual(15); // 5 ortho views x 3 planes
    expect(html.split("window.Plotly = Plotly").length - 1).toBe(1);
    expect(res.nifti.boneVoxels).toBeGreaterThan(0);

    if (res.source === "totalseg-example") {
      const ref = JSON.parse(readFileSync(REFERENCE, "utf8"));
      const n = ref["example_ct.nii.gz"], d = ref["dicom"];
      expect(res.nifti.dims).toEqual(n.dims);
      expectClose(res.nifti.spacing, n.spacing, 1e-4);
      expectClose(res.nifti.origin, n.origin, 1e-3);
      expectClose(res.nifti.direction, n.direction, 1e-6);
      expect([res.nifti.min, res.nifti.max]).toEqual([n.min, n.max]);
      expect(Math.abs(res.nifti.mean - n.mean)).toBeLessThan(1e-3);
      // the centre voxel's world position, from the reference geometry
      const c = n.dims.map((k: number) => (k - 1) / 2);
      const centre = [0, 1, 2].map((r) => n.origin[r] + [0, 1, 2].reduce((s, col) => s + n.direction[3 * r + col] * n.spacing[col] * c[col], 0));
      expectClose(res.nifti.centreWorld, centre, 1e-3);
      expect(res.dicom.dims).toEqual(d.dims);
      expectClose(res.dicom.spacing, d.spacing, 1e-4);
      expectClose(res.dicom.origin, d.origin, 1e-3);
      expectClose(res.dicom.direction, d.direction, 1e-6);
      expect([res.dicom.min, res.dicom.max]).toEqual([d.min, d.max]);
      expect(Math.abs(res.dicom.mean - d.mean)).toBeLessThan(1e-3);
      expect(res.dicom.transferSyntaxUid).toBe(d.transfer_syntax);
    } else {
      // The embedded phantom: its DICOM series and its NIfTI are the same image written twice.
      expect(res.source).toBe("phantom");
      expect(res.dicom.dims).toEqual(res.nifti.dims);
      expectClose(res.dicom.spacing, res.nifti.spacing, 1e-3);
      expectClose(res.dicom.origin, res.nifti.origin, 0.01);
      expectClose(res.dicom.direction, res.nifti.direction, 1e-4);
      expect(Math.abs(res.dicom.mean - res.nifti.mean)).toBeLessThan(1);
    }
  });
  it("02-calibrate: phantom and internal calibration recover the truth scanner relation", () => {
    const r = notebookResults("02-calibrate");
    const hip = truthOf("hip"), spine = truthOf("spine");
    const slope = hip.ctFormation.slopeHuPerMgCm3;
    expect(spine.ctFormation.slopeHuPerMgCm3).toBe(slope);
    // phantom: rods at the certified densities, HU as the truth's expected HU, the line as the truth's
    const expected = new Map<string, Json>(hip.calibrationPhantom.rods.map((x: Json) => [x.name, x]));
    expect(r.hipPhantom.rods).toHaveLength(5);
    for (const rod of r.hipPhantom.rods) {
      expect(rod.density).toBe(expected.get(rod.name).densityMgCm3);
      expect(Math.abs(rod.hu - expected.get(rod.name).expectedHu), `rod ${rod.name}`).toBeLessThan(2);
    }
    expect(relErr(r.hipPhantom.huPerDensity, slope)).toBeLessThan(0.01);
    expect(Math.abs(r.hipPhantom.huIntercept)).toBeLessThan(2);
    expect(r.hipPhantom.r2).toBeGreaterThan(0.999); // phantom fits typically > 0.99 (reference §1)
    expect(relErr(r.spinePhantom.huPerDensity, slope)).toBeLessThan(0.01);
    // internal calibration in the phantom's own convention (ideal water-equivalent base): the true slope
    expect(r.spineInternalIdeal.waterDisplacement).toBe(0);
    expect(relErr(r.spineInternalIdeal.huPerDensity, slope)).toBeLessThan(0.02);
    expect(Math.abs(r.spineInternalIdeal.huIntercept)).toBeLessThan(3);
    // ... and in the Mindways convention: sigma_CT = sigma_ref - 0.2174 (reference §1)
    expect(r.spineInternalMindways.waterDisplacement).toBe(0.2174);
    expect(Math.abs(r.spineInternalMindways.huPerDensity - (slope - 0.2174)) / slope).toBeLessThan(0.02);
    // density map: rods back at their certificate, the femur label mean near the truth's
    for (const rod of r.densityMap.rods) expect(Math.abs(rod.calibratedMean - rod.certified), `rod ${rod.rod}`).toBeLessThan(1.5);
    const femur = hip.labels.find((l: Json) => l.name === "femur");
    const whole = r.densityMap.femurLabel[0];
    expect(whole.voxels).toBe(femur.voxelCount);
    expect(Math.abs(whole.trueMean - femur.meanDensityMgCm3)).toBeLessThan(0.01);
    expect(relErr(whole.calibratedMean, femur.meanDensityMgCm3)).toBeLessThan(0.07); // partial volume at the surface
    const deep = r.densityMap.femurLabel[r.densityMap.femurLabel.length - 1];
    expect(relErr(deep.calibratedMean, deep.trueMean)).toBeLessThan(0.03);
  });

  it("03-segment-and-mesh: femur vs truth labels, mesh volumes, and the published laws", () => {
    const r = notebookResults("03-segment-and-mesh");
    const hip = truthOf("hip");
    const femurVolume = hip.labels.find((l: Json) => l.name === "femur").volumeMm3;
    expect(r.bone.dice).toBeGreaterThan(0.92);
    expect(r.femur.dice).toBeGreaterThan(0.92);
    expect(Math.hypot(...[0, 1, 2].map((c) => r.femur.headCentre[c] - hip.femur.headCentre[c]))).toBeLessThan(1.5);
    expect(Math.abs(r.femur.headRadiusMm - hip.femur.headRadiusMm)).toBeLessThan(1.5);
    expect(r.meshes.map((m: Json) => m.elementSize)).toEqual([3, 2, 1.5]);
    for (const m of r.meshes) {
      expect(relErr(m.elementVolumeMm3, femurVolume), `${m.elementSize} mm vs the true femur`).toBeLessThan(0.12);
      expect(relErr(m.elementVolumeMm3, r.femur.volumeMm3), `${m.elementSize} mm vs the mask`).toBeLessThan(0.03);
      expect(m.fractionVolumeMm3).toBeLessThanOrEqual(m.elementVolumeMm3 * 1.02);
    }
    // element count scales as h^-3 (same bone volume)
    for (let i = 1; i < r.meshes.length; i++) {
      const a = r.meshes[i - 1], b = r.meshes[i];
      expect(relErr(b.elements / a.elements, (a.elementSize / b.elementSize) ** 3)).toBeLessThan(0.2);
    }
    expect(r.materials.laws.length).toBe(Object.keys(PUBLISHED_MODULUS).length);
    for (const law of r.materials.laws) {
      const f = PUBLISHED_MODULUS[law.id];
      expect(f, `no published formula for ${law.id}`).toBeDefined();
      for (const p of law.probe) expect(relErr(p.modulus, f(p.rhoK)), `${law.id} at ${p.rhoK}`).toBeLessThan(1e-6);
      if (law.input === "rhoApp") expect(law.chain).toEqual(["keyak1994-k2hpo4-ash", "ash-fraction-0.6", law.id]);
      // Jensen: a convex law's mean over elements is at least the law at the mean density
      if (law.id !== "mechanical-finder") expect(law.meanModulus).toBeGreaterThanOrEqual(law.modulusAtMeanDensity * (1 - 1e-6));
    }
  });

  it("04-loading: landmarks vs truth, load directions vs the angle geometry", () => {
    const r = notebookResults("04-loading");
    const hip = truthOf("hip"), spine = truthOf("spine");
    const f = r.femur;
    expect(f.side).toBe(hip.femur.side);
    expect(Math.hypot(...[0, 1, 2].map((c) => f.headCentre[c] - hip.femur.headCentre[c]))).toBeLessThan(1.5);
    expect(Math.abs(f.headRadius - hip.femur.headRadiusMm)).toBeLessThan(1.5);
    expect(Math.abs(f.neckShaftAngleDeg - hip.femur.neckShaftAngleDeg)).toBeLessThan(3);
    expect(Math.abs(f.anteversionDeg - hip.femur.anteversionDeg)).toBeLessThan(3);
    expect(angleDeg3(f.shaftAxis, hip.femur.shaftAxis)).toBeLessThan(3);
    const { proximal: p, medial: m, anterior: a } = f.frame;
    for (const [x, y] of [[p, m], [m, a], [a, p]]) expect(Math.abs(dot3(x, y))).toBeLessThan(1e-9);
    // the fall direction read back in the frame is the load case's angles
    const fall = r.fall.case;
    expect([fall.shaftAngleDeg, fall.internalRotationDeg]).toEqual([10, 15]); // reference §4
    expect(Math.abs(r.fall.recovered.shaftAngleDeg - 10)).toBeLessThan(1e-6);
    expect(Math.abs(r.fall.recovered.internalRotationDeg - 15)).toBeLessThan(1e-6);
    // ... and agrees with the same definition in the truth's own frame (medial toward the head)
    const tp = hip.femur.shaftAxis, tn = hip.femur.neckAxis;
    const tm = unit3(tn.map((x: number, c: number) => x - dot3(tn, tp) * tp[c]));
    let ta = unit3(cross3(tm, tp));
    if (ta[1] > 0) ta = ta.map((x) => -x); // anterior is -y in LPS
    const fallDir = (al: number, be: number) => [0, 1, 2].map((c) => Math.cos(rad(al)) * (-Math.cos(rad(be)) * tm[c] - Math.sin(rad(be)) * ta[c]) + Math.sin(rad(al)) * tp[c]);
    expect(angleDeg3(r.fall.directionWorld, fallDir(10, 15))).toBeLessThan(5);
    const stanceDir = [0, 1, 2].map((c) => -Math.cos(rad(20)) * tp[c] - Math.sin(rad(20)) * tm[c]);
    expect(angleDeg3(r.stance.directionWorld, stanceDir)).toBeLessThan(5);
    expect(Math.abs(angleDeg3(r.stance.directionWorld, p.map((x: number) => -x)) - 20)).toBeLessThan(1e-6);
    // changing alpha turns the direction by exactly the change; changing beta by acos(cos^2 a cos db + sin^2 a)
    expect(r.alphaSweep.length).toBeGreaterThanOrEqual(4);
    for (const s of r.alphaSweep) expect(Math.abs(s.angleToReferenceDeg - Math.abs(s.shaftAngleDeg - 10)), `alpha ${s.shaftAngleDeg}`).toBeLessThan(1e-3);
    for (const s of r.betaSweep) {
      const db = rad(s.internalRotationDeg - 15), al = rad(10);
      const expectedDeg = (Math.acos(Math.min(1, Math.cos(al) ** 2 * Math.cos(db) + Math.sin(al) ** 2)) * 180) / Math.PI;
      expect(Math.abs(s.angleToReferenceDeg - expectedDeg), `beta ${s.internalRotationDeg}`).toBeLessThan(1e-3);
    }
    for (const s of r.solved) expect(s.stiffnessNPerMm).toBeGreaterThan(0);
    // the vertebral body: axis, height and endplate angle vs truth
    expect(angleDeg3(r.spine.axis, spine.vertebra.axis)).toBeLessThan(3);
    expect(Math.abs(r.spine.heightMm - spine.vertebra.heightMm)).toBeLessThan(3);
    expect(Math.abs(r.spine.endplateAngleDeg - spine.vertebra.endplateAngleDeg)).toBeLessThan(2);
  });

  it("05-solve-and-strength: Keaveny 2020 class, pushover vs the linear solve, bar vs E A eps_yc", () => {
    const r = notebookResults("05-solve-and-strength");
    const h = r.hip;
    expect(h.converged).toBe(true);
    expect(h.strengthN % 10).toBe(0); // reported to 10 N (reference §5)
    expect(h.classification.F).toBe(keavenyClass(h.strengthN, "hip", "F"));
    expect(h.classification.M).toBe(keavenyClass(h.strengthN, "hip", "M"));
    expect(Math.abs(h.stiffnessNPerMm - h.loadAtSolveN / h.displacementMm)).toBeLessThan(1);
    expect(Math.abs(h.strengthN - h.loadAtSolveN / h.criticalRisk)).toBeLessThanOrEqual(5);
    // plausible for a femur in a sideways fall: Eckstein 2004, 3951 +/- 1659 N (reference §8): within 3 SD
    expect(h.strengthN).toBeGreaterThan(0);
    expect(h.strengthN).toBeLessThan(3951 + 3 * 1659);
    const s = r.spine, po = s.pushover, c = po.curve;
    expect(c.displacementMm[0]).toBe(0);
    expect(c.forceN[0]).toBe(0);
    expect(po.firstYield === null || po.firstYield.step > 1).toBe(true); // the first step is elastic
    expect(relErr(c.forceN[1] / c.displacementMm[1], s.linearStiffnessNPerMm)).toBeLessThan(0.005);
    expect(relErr(po.stiffnessNPerMm, s.linearStiffnessNPerMm)).toBeLessThan(0.005);
    // minimum potential energy: a material never stiffer than the elastic one carries no more force
    for (let i = 1; i < c.forceN.length; i++) expect(c.forceN[i]).toBeLessThanOrEqual(s.linearStiffnessNPerMm * c.displacementMm[i] * 1.003);
    expect(["peak", "plateau"]).toContain(po.strengthKind);
    expect(po.strengthN).toBeLessThanOrEqual(Math.max(...c.forceN) * (1 + 1e-9));
    // a homogeneous bar in uniaxial compression plateaus at E A 1.04% (reference §2, Bayraktar 2004 / Schileo 2014)
    expect(relErr(r.bar.strengthN, r.bar.E * r.bar.areaMm2 * 0.0104)).toBeLessThan(0.005);
  });

  it("06-validation-vs-dxa: statistics recomputed from the results table, the published figures as typed from the reference", () => {
    const r = notebookResults("06-validation-vs-dxa");
    // NHANES III white women 20-29 (Looker 1998, reference §6): T = (aBMD - 0.858) / 0.120, (aBMD - 0.942) / 0.122
    expect(r.hipPhantom.tScoreNeck).toBe(Math.round(((r.hipPhantom.neckABMD - 0.858) / 0.12) * 10) / 10);
    expect(r.hipPhantom.tScoreTotalHip).toBe(Math.round(((r.hipPhantom.totalHipABMD - 0.942) / 0.122) * 10) / 10);
    const lowT = Math.min(r.hipPhantom.tScoreNeck, r.hipPhantom.tScoreTotalHip);
    expect(r.hipPhantom.category).toBe(lowT <= -2.5 ? "osteoporosis" : lowT >= -1 ? "normal" : "osteopenia");
    // the neck box sits at the phantom's neck waist (truth: 24-30 mm from the head centre along the neck)
    expect(r.hipPhantom.neckBox.distanceFromHeadMm).toBeGreaterThan(20);
    expect(r.hipPhantom.neckBox.distanceFromHeadMm).toBeLessThan(34);
    const v = r.spinePhantom.trabecularVBMD;
    expect(r.spinePhantom.category).toBe(v <= 80 ? "osteoporosis" : v >= 120 ? "normal" : "low");
    // the stored results came from an earlier hip model: the DXA-equivalent values (independent of
    // the FE model) reproduce exactly; the strength re-computed with the stored criterion (linear, 2 mm)
    // on the current model (PMMA caps, pinned cut, integrated moduli) stays on the same scale
    expect(r.reproduced.error).toBeUndefined();
    expect(Math.abs(r.reproduced.neckNow - r.reproduced.neckStored)).toBeLessThanOrEqual(0.001);
    expect(r.reproduced.now / r.reproduced.stored).toBeGreaterThan(0.7);
    expect(r.reproduced.now / r.reproduced.stored).toBeLessThan(1.6);
    // independent recomputation from the shipped results table
    const table = aq.fromCSV(readFileSync(join(dir, "..", "datasets", "cohort", "in-silico", "results", "results.csv"), "utf8"));
    const rows = (table.objects() as Json[]).filter((o) => o.status === "ok");
    const y = rows.map((o) => Number(o.fracture)), st = rows.map((o) => Number(o.strengthN));
    let pairs = 0, wins = 0;
    for (let i = 0; i < rows.length; i++) for (let j = 0; j < rows.length; j++) {
      if (y[i] !== 1 || y[j] !== 0) continue;
      pairs++;
      wins += st[i] < st[j] ? 1 : st[i] === st[j] ? 0.5 : 0; // lower strength in the case: concordant
    }
    expect(r.cohort.n).toBe(rows.length);
    expect(r.cohort.fractures).toBe(y.filter((x) => x === 1).length);
    expect(r.cohort.aucStrength).toBeCloseTo(wins / pairs, 12);
    const a = rows.map((o) => Number(o.neckABMD)), b = rows.map((o) => Number(o.dxaNeckABMD));
    const ma = a.reduce((s, x) => s + x, 0) / a.length, mb = b.reduce((s, x) => s + x, 0) / b.length;
    const sab = a.reduce((s, x, i) => s + (x - ma) * (b[i] - mb), 0), saa = a.reduce((s, x) => s + (x - ma) ** 2, 0), sbb = b.reduce((s, x) => s + (x - mb) ** 2, 0);
    expect(r.cohort.pearsonCtDxa).toBeCloseTo(sab / Math.sqrt(saa * sbb), 10);
    // kappa of "fragile" vs "osteoporosis" from the 2x2 counts
    const f = rows.map((o) => o.classification === "fragile"), op = rows.map((o) => o.whoCategory === "osteoporosis");
    const n = rows.length, agree = f.filter((x, i) => x === op[i]).length / n;
    const pf = f.filter(Boolean).length / n, po = op.filter(Boolean).length / n;
    const pe = pf * po + (1 - pf) * (1 - po);
    expect(r.cohort.kappaFragile).toBeCloseTo((agree - pe) / (1 - pe), 10);
    // the published column, typed here from bct-reference.md §7 (Kopperdahl 2014, Cann 2014)
    const pub = (m: string, g: string) => r.sideBySide.find((x: Json) => x.measure === m && x.group === g).published;
    expect(pub("femoral strength OR per SD decrease", "women")).toBe("4.2 (2.6-6.9)");
    expect(pub("femoral strength OR per SD decrease", "men")).toBe("3.5 (2.3-5.3)");
    expect(pub("CT vs DXA neck aBMD correlation", "both")).toBe("0.95");
    expect(pub("CT vs DXA total hip aBMD correlation", "both")).toBe("0.97");
  });

  it.skipIf(!redisServerPath())("08-distributed-cohort: every subject once through a real Redis queue; rows equal the subjects' files (needs redis-server)", () => {
    const r = notebookResults("08-distributed-cohort");
    expect(r.skipped).toBe(false);
    expect(r.submitted).toMatchObject({ total: 3, queued: 3 });
    expect(r.resubmitted).toMatchObject({ queued: 0, alreadyQueued: 3 }); // job id = subject id: nothing queued twice
    expect(r.status).toMatchObject({ total: 3, finished: 3, complete: true });
    expect(r.status.queueCounts).toMatchObject({ completed: 3, failed: 0, active: 0, waiting: 0 });
    expect(r.rows.map((x: Json) => x.id)).toEqual(["S0001", "S0002", "S0003"]);
    for (const row of r.rows) {
      const subject = JSON.parse(readFileSync(join(r.outDir, "subjects", `${row.id}.json`), "utf8"));
      expect(row.status).toBe(subject.status);
      if (subject.status !== "ok") continue;
      expect(row.strengthN).toBe(subject.strengthN);
      expect(subject.elementSizeMm).toBe(r.element);
      expect(subject.provenance.options.elementSize).toBe(r.element);
      // Robinovitch spring-mass fall force, typed from bct-reference.md §5: F = sqrt(2 g 0.53 H) sqrt(80 kN/m * 0.35 W)
      const f = Math.sqrt(2 * 9.80665 * 0.53 * (row.heightCm / 100)) * Math.sqrt(80_000 * 0.35 * row.weightKg);
      expect(Math.abs(row.fallForceN - Math.round(f))).toBeLessThanOrEqual(1);
      expect(row.factorOfRisk).toBeCloseTo(f / row.strengthN, 2);
    }
    expect(r.rows.filter((x: Json) => x.status === "ok").length).toBeGreaterThanOrEqual(2);
  });
  if (!redisServerPath()) it.skip("08-distributed-cohort: redis-server is not installed (apt-get install redis-server): its checks are skipped", () => {});

  it("teach-01-hex8-element: closed-form stiffness, 6 rigid-body modes, MacNeal-Harder patch", () => {
    const r = notebookResults("teach-01-hex8-element");
    expect(r.shape.kroneckerError).toBeLessThan(1e-12);
    expect(r.shape.partitionOfUnityError).toBeLessThan(1e-12);
    const A = r.jacobian.A as number[][];
    const detA = A[0][0] * (A[1][1] * A[2][2] - A[1][2] * A[2][1]) - A[0][1] * (A[1][0] * A[2][2] - A[1][2] * A[2][0]) + A[0][2] * (A[1][0] * A[2][1] - A[1][1] * A[2][0]);
    expect(relErr(r.jacobian.shearedVolume, detA)).toBeLessThan(1e-12);
    for (const d of r.jacobian.shearedDetJ) expect(relErr(d, detA / 8)).toBeLessThan(1e-12);
    const k = r.stiffness, { lambda, mu } = lame(k.E, k.nu);
    expect(relErr(k.K00, (lambda + 4 * mu) / 9)).toBeLessThan(1e-12); // unit cube, integrals of quadratics
    expect(relErr(k.K01, (lambda + mu) / 12)).toBeLessThan(1e-12);
    expect(k.asymmetry).toBeLessThan(1e-10 * k.maxEntry);
    expect(k.rigidBodyMaxForce).toBeLessThan(1e-10 * k.maxEntry);
    expect(k.eigenvalues).toHaveLength(24);
    expect(k.zeroEigenvalues).toBe(6);
    const ev = [...k.eigenvalues].sort((x: number, y: number) => x - y);
    for (const e of ev.slice(0, 6)) expect(Math.abs(e)).toBeLessThan(1e-9 * ev[23]);
    expect(ev[6]).toBeGreaterThan(1e-3 * ev[23]);
    expect(relErr(k.uniaxialEnergy, 0.5 * (lambda + 2 * mu) * k.uniaxialStrain ** 2)).toBeLessThan(1e-10);
    expect(r.reduced.zeroEigenvalues).toBe(18); // rank(B) = 6 with one Gauss point
    expect(r.reduced.hourglassEnergyReduced).toBeLessThan(1e-12);
    expect(r.reduced.hourglassEnergyFull).toBeGreaterThan(0);
    // MacNeal & Harder 1985 solid patch: the interior nodes follow the linear field exactly
    const MH = [[0.249, 0.342, 0.192], [0.826, 0.288, 0.288], [0.85, 0.649, 0.263], [0.273, 0.75, 0.23], [0.32, 0.186, 0.643], [0.677, 0.305, 0.683], [0.788, 0.693, 0.644], [0.165, 0.745, 0.702]];
    const exact = ([x, y, z]: number[]) => [1e-3 * (2 * x + y + z) / 2, 1e-3 * (x + 2 * y + z) / 2, 1e-3 * (x + y + 2 * z) / 2];
    expect(r.patch.innerNodes).toEqual(MH);
    expect(r.patch.allPositiveJacobian).toBe(true);
    MH.forEach((pt, i) => expectClose(r.patch.innerDisplacement[i], exact(pt), 1e-14));
    expect(r.patch.maxStrainError).toBeLessThan(1e-12);
    expect(r.patch.maxStressError).toBeLessThan(1e-6); // stresses 2000 / 400
  });

  it("teach-02-beam-convergence: O(h^2) convergence to the Timoshenko deflection", () => {
    const r = notebookResults("teach-02-beam-convergence");
    const { L, B, H, E, P } = r;
    for (const s of r.study) {
      const I = (B * H ** 3) / 12, A = B * H, G = E / (2 * (1 + s.nu)), kappa = (10 * (1 + s.nu)) / (12 + 11 * s.nu);
      const timoshenko = (P * L ** 3) / (3 * E * I) + (P * L) / (kappa * G * A);
      expect(relErr(s.timoshenko, timoshenko)).toBeLessThan(1e-12);
      const errs = s.runs.map((x: Json) => x.deflection / timoshenko - 1);
      for (const x of s.runs) expect(x.converged).toBe(true);
      for (let i = 1; i < errs.length; i++) expect(Math.abs(errs[i])).toBeLessThan(Math.abs(errs[i - 1])); // monotone
      expect(errs[0]).toBeLessThan(-0.2); // one element through the depth: shear locking
      const last = s.rates[s.rates.length - 1];
      if (s.nu === 0) {
        expect(Math.abs(errs[errs.length - 1])).toBeLessThan(0.005);
        expect(last).toBeGreaterThan(1.8);
        expect(last).toBeLessThan(2.2);
        expect(relErr(s.extrapolated, timoshenko)).toBeLessThan(0.002);
      } else {
        expect(last).toBeGreaterThan(1.6);
        expect(last).toBeLessThan(2.3);
        expect(relErr(s.extrapolated, timoshenko)).toBeLessThan(0.015); // model error of the clamp
      }
    }
  });

  it("teach-03-density-modulus-laws: every probed value matches the published formula", () => {
    const r = notebookResults("teach-03-density-modulus-laws");
    expect(r.laws.map((l: Json) => l.id).sort()).toEqual(Object.keys(PUBLISHED_MODULUS).sort());
    for (const law of r.laws) for (const p of law.probe) expect(relErr(p.modulus, PUBLISHED_MODULUS[law.id](p.rhoK)), `${law.id} at ${p.rhoK}`).toBeLessThan(1e-6);
    for (const c of r.conversions) {
      expect(relErr(c.rhoAsh, ashOf(c.rhoK))).toBeLessThan(1e-12);
      expect(relErr(c.rhoApp, appOf(c.rhoK))).toBeLessThan(1e-12);
    }
    expect(r.yieldLaws.length).toBeGreaterThan(0);
    for (const y of r.yieldLaws) {
      const f = PUBLISHED_YIELD[y.law];
      expect(f, `no published formula for ${y.law}`).toBeDefined();
      expect(relErr(y.value, f(y.rhoK)), `${y.law} at ${y.rhoK}`).toBeLessThan(1e-9);
    }
  });

  it("teach-04-boundary-conditions: added constraints never lower the stiffness (minimum potential energy)", () => {
    const r = notebookResults("teach-04-boundary-conditions");
    const k = (name: string) => {
      const v = r.variants.find((x: Json) => x.name.startsWith(name));
      expect(v, `variant "${name}"`).toBeDefined();
      expect(v.converged).toBe(true);
      return v.stiffnessNPerMm as number;
    };
    const tol = 1 + 1e-4; // solver tolerance 1e-9
    const ref = k("reference");
    expect(ref).toBeGreaterThan(0);
    expect(k("distal pinned")).toBeLessThanOrEqual(ref * tol);
    expect(ref).toBeLessThanOrEqual(k("GT bonded") * tol);
    expect(k("head cap 2 mm")).toBeLessThanOrEqual(k("head cap 4 mm") * tol);
    expect(k("head cap 4 mm")).toBeLessThanOrEqual(ref * tol);
    expect(ref).toBeLessThanOrEqual(k("head cap 10 mm") * tol);
    expect(k("GT cap 2 mm")).toBeLessThanOrEqual(k("GT cap 4 mm") * tol);
    expect(k("GT cap 4 mm")).toBeLessThanOrEqual(ref * tol);
    expect(ref).toBeLessThanOrEqual(k("GT cap 10 mm") * tol);
    expect(ref).toBeLessThanOrEqual(k("distal layer 4 mm") * tol);
    expect(k("distal layer 4 mm")).toBeLessThanOrEqual(k("distal layer 8 mm") * tol);
    const softer = k("all softer"), stiffer = k("all stiffer");
    for (const v of ["distal pinned", "head cap 2 mm", "GT cap 2 mm"]) expect(softer).toBeLessThanOrEqual(k(v) * tol);
    for (const v of ["GT bonded", "head cap 10 mm", "GT cap 10 mm"]) expect(stiffer * tol).toBeGreaterThanOrEqual(k(v));
    const all = r.variants.map((x: Json) => x.stiffnessNPerMm);
    expect(relErr(r.spread.ratio, Math.max(...all) / Math.min(...all))).toBeLessThan(1e-12);
  });
});
