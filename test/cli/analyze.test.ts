import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/paths.js";
import { bct } from "../helpers/cli.js";


describe("bct analyze", () => {
  it("runs the embedded hip phantom with --json, writes result.json and a self-contained report.html", async () => {
    const out = mkdtempSync(join(tmpdir(), "bct-analyze-"));
    const r = await bct("analyze", "--json", "--sex", "M", "--out", out);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    for (const k of ["strengthN", "stiffnessNPerMm", "classification", "site", "sex", "elementSizeMm", "elements", "calibration", "seconds", "warnings"]) expect(j).toHaveProperty(k);
    expect(j.site).toBe("hip");
    expect(j.sex).toBe("M");
    expect(["fragile", "low", "normal"]).toContain(j.classification);
    expect(j.elementSizeMm).toBe(1.5);
    expect(JSON.parse(readFileSync(join(out, "result.json"), "utf8"))).toEqual(j);
    // the DXA-equivalent measures beside the strength, and the overall risk by Keaveny 2020's rule
    // (high: fragile or osteoporosis; not increased: all normal; else increased; bct-reference.md §5)
    for (const k of ["neckABMD", "totalHipABMD", "tScoreNeck", "tScoreTotalHip", "category", "reference"]) expect(j.dxa).toHaveProperty(k);
    const risk = j.classification === "fragile" || j.dxa.category === "osteoporosis" ? "high" : j.classification === "normal" && j.dxa.category === "normal" ? "not increased" : "increased";
    expect(j.overallRisk).toBe(risk);
    const html = readFileSync(join(out, "report.html"), "utf8");
    expect(html.split("window.Plotly").length).toBeGreaterThan(1);
    expect((html.match(/class="bct-plotly"/g) ?? []).length).toBeGreaterThanOrEqual(5); // calibration, DXA projection, modulus, load case, risk
    expect(html).toMatch(/DXA-equivalent projection and regions/);
    // the nonlinear pushover runs by default: its plateau/peak is the strength, curve and yielded region in the report
    expect(j.strength.nonlinearN).toBeGreaterThan(0);
    expect(Math.abs(j.strengthN - j.strength.nonlinearN)).toBeLessThanOrEqual(5);
    expect(j.curve.forceN.length).toBeGreaterThan(3);
    expect(html).toMatch(/Force-displacement \(nonlinear pushover\)/);
    expect(html).toMatch(/Yielded region/);
    expect(html).toMatch(/data:image\/png;base64,/); // the mask over CT slices
    expect(r.stderr).toMatch(/\[\s*\d+\.\d s\] solve: \d+ iterations, converged/);
  }, 300_000);

  it("says what is wrong with bad options, without a stack trace", async () => {
    for (const [args, msg] of [
      [["--site", "knee"], /--site must be hip or spine/],
      [["--sex", "X"], /--sex must be F or M/],
      [["--site", "spine", "--level", "L9", "--labels", "x.nii.gz"], /unknown level "L9"/],
      [["--calibration", "magic"], /--calibration must be phantom or internal/],
    ] as [string[], RegExp][]) {
      const r = await bct("analyze", ...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});

const HAVE_CCX = spawnSync("ccx", ["-v"]).error === undefined;
if (!HAVE_CCX) console.warn("SKIPPED: the CalculiX check of an exported analysis needs ccx (apt-get install calculix-ccx)");

describe.skipIf(!HAVE_CCX)("bct analyze --export against CalculiX", () => {
  it("the spine phantom's deck, with its rigid cap on tilted axes, gives CalculiX's reaction within 0.1%", async () => {
    const out = mkdtempSync(join(tmpdir(), "bct-export-"));
    const r = await bct("analyze", "--site", "spine", "--export", "--element", "1.5", "--out", out);
    expect(r.code).toBe(0);
    for (const f of ["model.inp", "surface.stl", "density.nii.gz", "modulus.nii.gz", "risk.nii.gz"]) expect(r.stderr).toContain(join(out, f));
    // bct's reaction on the fixed inferior layer, from its own solve of the exported deck
    const ours = JSON.parse((await bct("fe", "solve", join(out, "model.inp"), "--json")).stdout).reactionBySet.INFERIOR as number[];
    const deck = readFileSync(join(out, "model.inp"), "utf8").replace(/^\*STATIC.*$/m, "*STATIC, SOLVER=ITERATIVE SCALING");
    writeFileSync(join(out, "ccx.inp"), deck);
    const c = spawnSync("ccx", ["-i", "ccx"], { cwd: out, encoding: "utf8", env: { ...process.env, OMP_NUM_THREADS: "2" } });
    expect(c.status).toBe(0);
    const dat = readFileSync(join(out, "ccx.dat"), "utf8");
    const m = /total force \(fx,fy,fz\) for set INFERIOR[^\n]*\n\s*\n\s*(\S+)\s+(\S+)\s+(\S+)/.exec(dat);
    expect(m).not.toBeNull();
    const theirs = [Number(m![1]), Number(m![2]), Number(m![3])];
    const norm = Math.hypot(...theirs);
    for (let k = 0; k < 3; k++) expect(Math.abs(ours[k] - theirs[k]) / norm).toBeLessThan(1e-3);
  });
});
