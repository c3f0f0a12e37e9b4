import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { phantomCalibration } from "../../lib/calibration/phantom.js";
import { DEFAULT_HIP_PHANTOM, HipPhantom } from "../../lib/synthetic/hip-phantom.js";
import { pointSample } from "../../lib/synthetic/model.js";
import { DEFAULT_SCANNER } from "../../lib/synthetic/ct-formation.js";
import {
  SUBJECT_AGE_MODEL,
  SubjectSpecError,
  generateSubjectScan,
  meanSubjectFactors,
  readSubjectSpec,
  subjectPhantomParams,
  subjectScanGrid,
  writeSubjectSpec,
  type SubjectFactors,
  type SubjectSpec,
} from "../../lib/synthetic/subject.js";
import { SyntheticError } from "../../lib/synthetic/errors.js";

const dir = mkdtempSync(join(tmpdir(), "bct-subject-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ONE: SubjectFactors = { trabecularDensity: 1, corticalThickness: 1, corticalDensity: 1, size: 1 };
function spec(over: Partial<SubjectSpec> = {}): SubjectSpec {
  return { format: "bct-subject-spec", version: 1, id: "T01", sex: "F", age: 70, heightCm: 160, weightKg: 65, seed: 7, factors: { ...ONE }, ...over };
}
const sha = (a: ArrayBufferView) => createHash("sha256").update(Buffer.from(a.buffer, a.byteOffset, a.byteLength)).digest("hex");

/** The phantom's true density at a point, and its tissue. */
function sampleAt(s: SubjectSpec, p: number[]) {
  const out = pointSample();
  new HipPhantom(subjectPhantomParams(s)).sample(p[0], p[1], p[2], out);
  return out;
}

describe("population model of the bone factors", () => {
  it("is 1 up to the onset of bone loss (women mid-40s, men a decade later: Keaveny 2010) and falls after", () => {
    expect(meanSubjectFactors("F", 45)).toEqual({ trabecularDensity: 1, corticalThickness: 1, corticalDensity: 1, size: SUBJECT_AGE_MODEL.F.size });
    expect(meanSubjectFactors("M", 55).trabecularDensity).toBe(1);
    expect(meanSubjectFactors("M", 50).corticalThickness).toBe(1);
    expect(meanSubjectFactors("F", 46).trabecularDensity).toBeLessThan(1);
    expect(meanSubjectFactors("M", 56).trabecularDensity).toBeLessThan(1);
    // linear loss: equal steps per decade after onset (hand check: 1 - rate * (age - onset))
    const f = (a: number) => meanSubjectFactors("F", a).trabecularDensity;
    expect(f(90)).toBeCloseTo(1 - SUBJECT_AGE_MODEL.F.trabecularPerYear * 45, 12);
    expect(f(60) - f(70)).toBeCloseTo(f(80) - f(90), 12);
  });

  it("declines faster in women than in men, in every bone-quality factor, and men are 10-15% larger", () => {
    for (const age of [60, 70, 80, 90]) {
      const w = meanSubjectFactors("F", age), m = meanSubjectFactors("M", age);
      expect(w.trabecularDensity).toBeLessThan(m.trabecularDensity);
      expect(w.corticalThickness).toBeLessThan(m.corticalThickness);
      expect(w.corticalDensity).toBeLessThan(m.corticalDensity);
    }
    for (const k of ["trabecularPerYear", "corticalThicknessPerYear", "corticalDensityPerYear"] as const) {
      expect(SUBJECT_AGE_MODEL.F[k]).toBeGreaterThan(SUBJECT_AGE_MODEL.M[k]);
    }
    const ratio = SUBJECT_AGE_MODEL.M.size / SUBJECT_AGE_MODEL.F.size;
    expect(ratio).toBeGreaterThanOrEqual(1.1);
    expect(ratio).toBeLessThanOrEqual(1.15);
  });

  it("rejects an unknown sex or age", () => {
    expect(() => meanSubjectFactors("X" as "F", 70)).toThrow(SubjectSpecError);
    expect(() => meanSubjectFactors("F", -3)).toThrow(/age/);
  });
});

describe("subject phantom", () => {
  const head = DEFAULT_HIP_PHANTOM.femur.headCentre;

  it("scales the true trabecular density exactly by the factor (sampled in the phantom)", () => {
    const points = [head, [head[0] - 10, head[1] + 3, head[2] - 8], [head[0] - 25, head[1], head[2] - 20]];
    for (const p of points) {
      const ref = sampleAt(spec(), p);
      expect(ref.label).toBe(1);
      const half = sampleAt(spec({ factors: { ...ONE, trabecularDensity: 0.5 } }), p);
      expect(half.density).toBeCloseTo(0.5 * ref.density, 9);
    }
    // and the default phantom is factor 1
    const out = pointSample();
    new HipPhantom(DEFAULT_HIP_PHANTOM).sample(head[0], head[1], head[2], out);
    expect(sampleAt(spec(), head).density).toBe(out.density);
  });

  it("gives the true trabecular density at the head centre the sex and age trend of the mean factors", () => {
    const rho = (sex: "F" | "M", age: number) => sampleAt(spec({ sex, age, factors: { ...meanSubjectFactors(sex, age), size: 1 } }), head).density;
    const def = sampleAt(spec(), head).density;
    expect(rho("F", 45)).toBeCloseTo(def, 9);
    expect(rho("F", 60)).toBeGreaterThan(rho("F", 75));
    expect(rho("F", 75)).toBeGreaterThan(rho("F", 90));
    expect(rho("M", 75)).toBeGreaterThan(rho("F", 75));
    expect(rho("F", 90)).toBeCloseTo(def * (1 - 45 * SUBJECT_AGE_MODEL.F.trabecularPerYear), 6);
  });

  it("scales lengths and cortices by size, cortical density by its factor, and keeps the joint space", () => {
    const p = subjectPhantomParams(spec({ factors: { trabecularDensity: 1, corticalThickness: 0.8, corticalDensity: 0.9, size: 1.1 } }));
    const d = DEFAULT_HIP_PHANTOM;
    expect(p.femur.headRadius).toBeCloseTo(24 * 1.1, 12);
    expect(p.femur.neckLength).toBeCloseTo(52 * 1.1, 12);
    expect(p.femur.neckSemiAxes[0]).toBeCloseTo(16 * 1.1, 12);
    expect(p.femur.cortex.diaphysis).toBeCloseTo(4.0 * 1.1 * 0.8, 12);
    expect(p.femur.cortex.neckSuperior).toBeCloseTo(1.0 * 1.1 * 0.8, 12);
    expect(p.femur.corticalDensity.proximal).toBeCloseTo(900 * 0.9, 9);
    expect(p.femur.neckShaftAngleDeg).toBe(d.femur.neckShaftAngleDeg);
    expect(p.pelvis.cavityRadius - p.femur.headRadius).toBeCloseTo(d.pelvis.cavityRadius - d.femur.headRadius, 12);
    expect(p.pelvis.acetabulumCentre).toEqual(p.femur.headCentre);
    expect(p.calibration).toEqual(d.calibration);
  });

  it("uses a full phantom given in the spec as it is", () => {
    const custom = structuredClone(DEFAULT_HIP_PHANTOM);
    custom.femur.trabecular.base = 77;
    expect(subjectPhantomParams(spec({ factors: undefined, phantom: custom }))).toEqual(custom);
  });

  it("keeps the proximal femur inside the grid, extending the grid for a large femur", () => {
    expect(subjectScanGrid(DEFAULT_HIP_PHANTOM).dims).toEqual([180, 180, 120]);
    const big = subjectPhantomParams(spec({ factors: { ...ONE, size: 1.35 } }));
    const g = subjectScanGrid(big);
    // head top at z = 24 * 1.35 = 32.4 mm, plus the 6 mm margin = 38.4 mm; the default top slice is at 32.5 mm
    const top = g.origin[2] + (g.dims[2] - 1) * g.spacing[2];
    expect(top).toBeGreaterThanOrEqual(38.4);
    expect(top).toBeLessThan(38.4 + g.spacing[2]);
    expect(g.dims[2]).toBe(125);
    expect(g.origin).toEqual(subjectScanGrid(DEFAULT_HIP_PHANTOM).origin);
  });
});

describe("subject spec files", () => {
  it("round-trips through <id>.phantom.json", () => {
    const s = spec({ note: "test" });
    const path = writeSubjectSpec(s, join(dir, "a"));
    expect(path).toBe(join(dir, "a", "T01.phantom.json"));
    expect(readSubjectSpec(path)).toEqual(s);
  });

  it("rejects bad specs with a SubjectSpecError naming the problem", () => {
    const bad = (over: Record<string, unknown>, re: RegExp) => {
      const p = join(dir, "bad.json");
      writeFileSync(p, JSON.stringify({ ...spec(), ...over }));
      let err: unknown;
      try {
        readSubjectSpec(p);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SubjectSpecError);
      expect(err).toBeInstanceOf(SyntheticError);
      expect((err as Error).message).toMatch(re);
    };
    bad({ sex: "X" }, /sex must be "F" or "M"/);
    bad({ format: "other" }, /format/);
    bad({ version: 2 }, /version 2 is not supported/);
    bad({ id: "../x" }, /id must be/);
    bad({ age: "old" }, /age/);
    bad({ seed: -1 }, /seed/);
    bad({ factors: undefined }, /exactly one of "factors" and "phantom"/);
    bad({ phantom: DEFAULT_HIP_PHANTOM }, /exactly one/);
    bad({ factors: { ...ONE, size: 3 } }, /factors\.size must be a number from 0\.75 to 1\.35/);
    bad({ factors: { ...ONE, extra: 1 } }, /unknown factor/);
    bad({ factors: undefined, phantom: { ...DEFAULT_HIP_PHANTOM, femur: { ...DEFAULT_HIP_PHANTOM.femur, neckShaftAngleDeg: 200 } } }, /neck-shaft angle/);
    const notJson = join(dir, "x.json");
    writeFileSync(notJson, "{ nope");
    expect(() => readSubjectSpec(notJson)).toThrow(/not valid JSON/);
    expect(() => readSubjectSpec(join(dir, "missing.phantom.json"))).toThrow(SubjectSpecError);
    // a file named for another subject
    const p = writeSubjectSpec(spec(), join(dir, "b"));
    const wrong = join(dir, "b", "T02.phantom.json");
    writeFileSync(wrong, JSON.stringify(spec()));
    expect(readSubjectSpec(p).id).toBe("T01");
    expect(() => readSubjectSpec(wrong)).toThrow(/holds subject "T01" but is named for "T02"/);
  });
});

describe("subject scan", () => {
  const s = spec({ sex: "M", age: 80, seed: 11, factors: { trabecularDensity: 0.7, corticalThickness: 0.85, corticalDensity: 0.95, size: 1.05 } });
  // One subsample per voxel keeps this fast; the code path is the default scanner's (the shipped
  // cohort's regeneration test in test/cohort/in-silico.test.ts covers the default scanner).
  const scanner = { supersampling: 1 };
  const scan = generateSubjectScan(s, { scanner });

  it("is deterministic: the same spec gives the same CT bytes, another seed other noise on the same truth", () => {
    const box = { min: [40, 40, 50] as [number, number, number], max: [140, 160, 58] as [number, number, number] };
    const a = generateSubjectScan(s, { box, scanner }), b = generateSubjectScan(structuredClone(s), { box, scanner });
    expect(sha(a.ct.data)).toBe(sha(b.ct.data));
    // the block holds exactly the full scan's values there
    const [nx, ny] = scan.ct.dims, [bx, by] = [100, 120];
    let same = true;
    for (let k = 0; k < 8 && same; k++) {
      for (let j = 0; j < by && same; j++) {
        for (let i = 0; i < bx; i++) {
          if (a.ct.data[i + bx * (j + by * k)] !== scan.ct.data[40 + i + nx * (40 + j + ny * (50 + k))]) {
            same = false;
            break;
          }
        }
      }
    }
    expect(same).toBe(true);
    const c = generateSubjectScan({ ...s, seed: 12 }, { box, scanner });
    expect(sha(c.ct.data)).not.toBe(sha(a.ct.data));
    expect(sha(c.density.data)).toBe(sha(a.density.data));
  });

  it("holds the femur off every edge but the distal cut, and a calibration phantom that calibrates", () => {
    const [nx, ny, nz] = scan.labels.dims;
    let femur = 0, onTop = 0, onSide = 0, onBottom = 0;
    for (let k = 0; k < nz; k++) {
      for (let j = 0; j < ny; j++) {
        for (let i = 0; i < nx; i++) {
          if (scan.labels.data[i + nx * (j + ny * k)] !== 1) continue;
          femur++;
          if (k === nz - 1) onTop++;
          if (k === 0) onBottom++;
          if (i === 0 || j === 0 || i === nx - 1 || j === ny - 1) onSide++;
        }
      }
    }
    expect(femur).toBeGreaterThan(50_000);
    expect(onTop).toBe(0);
    expect(onSide).toBe(0);
    expect(onBottom).toBeGreaterThan(0); // the shaft is cut by the scan, as in a clinical hip CT
    // The rods are where the phantom's truth puts them, with the certified densities (explicit ROIs:
    // the automatic rod search is the calibration module's business).
    const cal = subjectPhantomParams(s).calibration;
    const rodCentres = scan.phantom.calibration.rodTruth().map((r) => r.centreLine.point);
    const fit = phantomCalibration(scan.ct, {
      name: "synthetic", measure: "rhoK", rodDiameter: 2 * cal.rodRadius, rodSpacing: cal.rodSpacing, rods: cal.rods,
    }, { rodCentres }).fit;
    // the scanner relation of the generator: HU = 1.587 x rhoK (density = HU / slope)
    expect(Math.abs(1 / fit.slope - DEFAULT_SCANNER.slope) / DEFAULT_SCANNER.slope).toBeLessThan(0.01);
    // the head-centre voxel's exact density is the factor times the default phantom's
    const head = DEFAULT_HIP_PHANTOM.femur.headCentre;
    const out = pointSample();
    new HipPhantom(DEFAULT_HIP_PHANTOM).sample(head[0], head[1], head[2], out);
    const g = scan.density;
    const idx = [0, 1, 2].map((c) => Math.round((head[c] - g.origin[c]) / g.spacing[c]));
    const v = g.data[idx[0] + nx * (idx[1] + ny * idx[2])];
    expect(Math.abs(v - 0.7 * out.density) / (0.7 * out.density)).toBeLessThan(0.05); // voxel mean vs point value
  });
});
