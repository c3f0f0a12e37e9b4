/**
 * A synthetic subject: a small JSON spec (id, sex, age, height, weight, noise seed, and either four
 * scalar bone factors or the full hip phantom parameters) from which the subject's hip phantom and
 * CT are derived deterministically. A cohort of subjects is a folder of `<id>.phantom.json` files;
 * the CT is regenerated from the spec whenever it is needed (it is never stored).
 *
 * The factors scale the default hip phantom ({@link DEFAULT_HIP_PHANTOM}):
 * - `trabecularDensity` multiplies every term of the femur's and the pelvis's trabecular density
 *   fields (their clamps included), so the true trabecular density at any point of the bone is
 *   exactly the factor times its default value;
 * - `corticalThickness` multiplies every cortical thickness (femur regions, pelvis);
 * - `corticalDensity` multiplies the cortical densities (femur diaphysis and proximal, pelvis);
 * - `size` multiplies the femur's lengths (head radius, neck length and semi-axes, shaft and
 *   metaphysis radii, diaphysis start) and the cortical thicknesses; angles are unchanged; the head
 *   stays where the default has it, the acetabulum follows it with the default 3 mm joint space.
 *   (The trochanters and the trabecular-group widths keep their default mm sizes: `size` scales the
 *   neck and head, which carry the fall load, not every feature.)
 *
 * {@link meanSubjectFactors} is the population model of the factors by sex and age (bone loss
 * starting in the mid-40s in women and about a decade later in men, Keaveny et al. 2010 ✔; linear
 * loss rates tuned so the phantom's FE strength loses about the published lifetime amounts, see
 * {@link SUBJECT_AGE_MODEL}). A cohort generator adds between-subject scatter.
 *
 * @example
 * ```ts
 * import { generateSubjectScan, meanSubjectFactors, writeSubjectSpec } from "bct/lib/synthetic/subject";
 * const spec = { format: "bct-subject-spec", version: 1, id: "S0001", sex: "F", age: 78, heightCm: 158,
 *   weightKg: 64, seed: 17, factors: meanSubjectFactors("F", 78) } as const;
 * writeSubjectSpec(spec, "cohort/subjects");                  // cohort/subjects/S0001.phantom.json
 * const scan = generateSubjectScan(spec);                      // { ct, density, labels, ... }
 * ```
 * @module
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { Sex } from "../strength/classify.js";
import type { GridGeometry } from "../volume/resample.js";
import { SyntheticError } from "./errors.js";
import { femurGeometry } from "./femur.js";
import { DEFAULT_HIP_PHANTOM, type HipPhantomParams } from "./hip-phantom.js";
import { DEFAULT_HIP_GRID, generateHipScan, type HipScan } from "./hip-scan.js";
import { checkSeed } from "./rng.js";
import type { ScannerModel } from "./ct-formation.js";
import type { IndexBox } from "../volume/crop.js";

/** A bad subject spec (missing or out-of-range field, wrong file name). */
export class SubjectSpecError extends SyntheticError {
  override name = "SubjectSpecError";
}

/** The four bone factors of a subject (1 = the default hip phantom). */
export interface SubjectFactors {
  /** Multiplies the trabecular density fields (femur and pelvis). */
  trabecularDensity: number;
  /** Multiplies the cortical thicknesses (femur regions and pelvis), on top of `size`. */
  corticalThickness: number;
  /** Multiplies the cortical densities (femur and pelvis). */
  corticalDensity: number;
  /** Multiplies the femur's lengths (and, with `corticalThickness`, its cortical thicknesses). */
  size: number;
}

/** The spec format tag and version written in every spec file. */
export const SUBJECT_SPEC_FORMAT = "bct-subject-spec";
export const SUBJECT_SPEC_VERSION = 1;

/**
 * A synthetic subject, as stored in `<id>.phantom.json`. Exactly one of `factors` and `phantom`:
 * `factors` derive the hip phantom from the default by {@link subjectPhantomParams}; `phantom` gives
 * it in full (any hip phantom, e.g. a hand-made one).
 */
export interface SubjectSpec {
  format: typeof SUBJECT_SPEC_FORMAT;
  version: typeof SUBJECT_SPEC_VERSION;
  /** Letters, digits, `_` and `-` (it names the file). */
  id: string;
  sex: Sex;
  /** Years. */
  age: number;
  heightCm: number;
  weightKg: number;
  /** CT noise seed, an integer in [0, 2^32). */
  seed: number;
  factors?: SubjectFactors;
  phantom?: HipPhantomParams;
  /** Free text (provenance). */
  note?: string;
}

/** Factor bounds accepted in a spec (outside them the phantom stops being a plausible femur). */
export const SUBJECT_FACTOR_BOUNDS: Readonly<Record<keyof SubjectFactors, [number, number]>> = {
  trabecularDensity: [0.2, 2.0],
  corticalThickness: [0.3, 2.0],
  corticalDensity: [0.5, 1.3],
  size: [0.75, 1.35],
};

/**
 * The population model of the factors: `factor(age) = 1 - rate * max(0, age - onsetAge)` for the
 * three bone-quality factors (floored at the lower bound of {@link SUBJECT_FACTOR_BOUNDS}), and a
 * sex-specific size.
 *
 * - Onset ages: bone loss begins in the mid-40s in women and about a decade later in men
 *   (Keaveny et al. 2010, JBMR 25:994 ✔, bct-reference.md §7).
 * - Sizes: women 0.93, men 1.05 of the default femur (head radius 22.3 vs 25.2 mm), so men's bones
 *   are 13% larger in linear dimensions (within the 10-15% of sex dimorphism of the proximal femur ◇,
 *   not re-read in a primary source).
 * - Loss rates (per year after onset): a modelling choice, tuned on this phantom so that its true FE
 *   sideways-fall strength at 90 is about 45% (women) and 61% (men) of its value at onset, i.e. the
 *   lifetime strength declines of 55% and 39% of Keaveny et al. 2010 ✔, most of which happens after
 *   onset; trabecular bone is lost faster than cortical bone, faster in women than in men.
 *   Measured (linear criterion, 1.5 mm elements, exact density, one subsample per voxel): women
 *   3300 N at onset and 1470 N at 90 (0.45), men 3790 N and 2370 N (0.63).
 * - Not modelled here: periosteal expansion with age, so the phantom's aBMD falls almost as fast as its
 *   strength (Keaveny 2010: FN aBMD -26% / -21% in life against strength -55% / -39%);
 *   {@link withPeriostealExpansion} adds it (used by the reference population, not the in-silico cohort).
 */
export const SUBJECT_AGE_MODEL: Readonly<Record<Sex, { onsetAge: number; size: number; trabecularPerYear: number; corticalThicknessPerYear: number; corticalDensityPerYear: number }>> = {
  F: { onsetAge: 45, size: 0.93, trabecularPerYear: 0.011, corticalThicknessPerYear: 0.0085, corticalDensityPerYear: 0.002 },
  M: { onsetAge: 55, size: 1.05, trabecularPerYear: 0.008, corticalThicknessPerYear: 0.0065, corticalDensityPerYear: 0.0015 },
};

/**
 * The population-mean factors of a subject of `sex` aged `age` ({@link SUBJECT_AGE_MODEL}).
 * @example
 * ```ts
 * meanSubjectFactors("F", 45).trabecularDensity; // 1 (onset)
 * meanSubjectFactors("F", 75).trabecularDensity < meanSubjectFactors("M", 75).trabecularDensity; // true
 * ```
 * @throws SubjectSpecError for an unknown sex or an age that is not a positive number.
 */
export function meanSubjectFactors(sex: Sex, age: number): SubjectFactors {
  const m = SUBJECT_AGE_MODEL[sex];
  if (!m) throw new SubjectSpecError(`sex must be "F" or "M", got ${JSON.stringify(sex)}`);
  if (!Number.isFinite(age) || age <= 0) throw new SubjectSpecError(`age must be a positive number of years, got ${age}`);
  const years = Math.max(0, age - m.onsetAge);
  const decline = (rate: number, key: keyof SubjectFactors) => Math.max(SUBJECT_FACTOR_BOUNDS[key][0], 1 - rate * years);
  return {
    trabecularDensity: decline(m.trabecularPerYear, "trabecularDensity"),
    corticalThickness: decline(m.corticalThicknessPerYear, "corticalThickness"),
    corticalDensity: decline(m.corticalDensityPerYear, "corticalDensity"),
    size: m.size,
  };
}

/**
 * Periosteal expansion with age (Riggs et al. 2004, JBMR 19:1945 ✔, abstract): the cross-sectional
 * area of the vertebrae and the proximal femur increased by about 15% over life (ages 20-97) in both
 * sexes, while the cortex was displaced outwardly and the cortical area decreased slightly. Modelled
 * as a bone area growing linearly by `areaGainOverLife` from `fromAge` to `toAge`.
 */
export const PERIOSTEAL_EXPANSION = { areaGainOverLife: 0.15, fromAge: 20, toAge: 97 } as const;

/**
 * The linear size factor of periosteal expansion between `refAge` and `age`:
 * sqrt(area(age) / area(refAge)) with area(a) = 1 + 0.15 clamp((a - 20) / 77, 0, 1) ({@link PERIOSTEAL_EXPANSION}).
 * @example
 * ```ts
 * periostealExpansion(97, 20); // sqrt(1.15) = 1.0724
 * ```
 */
export function periostealExpansion(age: number, refAge: number): number {
  const e = PERIOSTEAL_EXPANSION;
  const area = (a: number) => 1 + e.areaGainOverLife * Math.min(1, Math.max(0, (a - e.fromAge) / (e.toAge - e.fromAge)));
  return Math.sqrt(area(age) / area(refAge));
}

/**
 * Hip factors with periosteal expansion added from the sex's onset of bone loss
 * ({@link SUBJECT_AGE_MODEL}, where the factors are tuned) to `age`: the outer size grows by
 * {@link periostealExpansion} while the cortical thickness factor shrinks by the same ratio, so the
 * cortex keeps the absolute thickness the age model gives it and moves outward (its area grows by the
 * expansion ratio only, less than the bone's; Riggs 2004 ✔ found cortical area slightly decreased, so
 * this is on the generous side). Used by the reference population (lib/cohort/reference-population.ts);
 * the in-silico cohort does not use it.
 * @example
 * ```ts
 * withPeriostealExpansion(meanSubjectFactors("F", 80), "F", 80).size; // 0.93 x 1.03
 * ```
 */
export function withPeriostealExpansion(f: SubjectFactors, sex: Sex, age: number): SubjectFactors {
  const k = periostealExpansion(age, SUBJECT_AGE_MODEL[sex].onsetAge);
  const clamp = (key: keyof SubjectFactors, x: number) => Math.min(SUBJECT_FACTOR_BOUNDS[key][1], Math.max(SUBJECT_FACTOR_BOUNDS[key][0], x));
  return { ...f, size: clamp("size", f.size * k), corticalThickness: clamp("corticalThickness", f.corticalThickness / k) };
}

/** Every field of `r` times `k`. */
function scaled<T extends object>(r: T, k: number): T {
  return Object.fromEntries(Object.entries(r).map(([key, v]) => [key, (v as number) * k])) as T;
}

/**
 * The hip phantom of a subject: `spec.phantom` when given, else the default hip phantom scaled by
 * `spec.factors` (module docs).
 * @example
 * ```ts
 * const p = subjectPhantomParams({ ...spec, factors: { trabecularDensity: 0.5, corticalThickness: 1, corticalDensity: 1, size: 1 } });
 * p.femur.trabecular.base; // 50 (default 100)
 * ```
 * @throws SubjectSpecError for an invalid spec (see {@link validateSubjectSpec}).
 */
export function subjectPhantomParams(spec: SubjectSpec): HipPhantomParams {
  validateSubjectSpec(spec);
  if (spec.phantom) return structuredClone(spec.phantom);
  const f = spec.factors!;
  const d = DEFAULT_HIP_PHANTOM;
  const s = f.size;
  const ct = f.corticalThickness * s;
  const femurIn = d.femur, tb = femurIn.trabecular;
  const femur = {
    ...femurIn,
    headCentre: [...femurIn.headCentre] as [number, number, number],
    headRadius: femurIn.headRadius * s,
    neckLength: femurIn.neckLength * s,
    neckSemiAxes: [femurIn.neckSemiAxes[0] * s, femurIn.neckSemiAxes[1] * s] as [number, number],
    shaftRadius: femurIn.shaftRadius * s,
    metaphysisRadius: femurIn.metaphysisRadius * s,
    shaftDiaphysisStart: femurIn.shaftDiaphysisStart * s,
    cortex: scaled(femurIn.cortex, ct),
    corticalDensity: { diaphysis: femurIn.corticalDensity.diaphysis * f.corticalDensity, proximal: femurIn.corticalDensity.proximal * f.corticalDensity },
    trabecular: scaled(tb, f.trabecularDensity),
  };
  const jointSpace = d.pelvis.cavityRadius - femurIn.headRadius;
  const pt = d.pelvis.trabecular;
  const pelvis = {
    ...d.pelvis,
    acetabulumCentre: [...femur.headCentre] as [number, number, number],
    cavityRadius: femur.headRadius + jointSpace,
    wallThickness: d.pelvis.wallThickness * s,
    cortex: d.pelvis.cortex * ct,
    corticalDensity: d.pelvis.corticalDensity * f.corticalDensity,
    trabecular: { base: pt.base * f.trabecularDensity, subchondral: pt.subchondral * f.trabecularDensity, min: pt.min * f.trabecularDensity, max: pt.max * f.trabecularDensity },
  };
  return { femur, pelvis, body: structuredClone(d.body), calibration: structuredClone(d.calibration) };
}

/** Margin (mm) kept between the proximal femur and the edges of the scan grid. */
const GRID_MARGIN_MM = 6;

/**
 * The scan grid of a subject: {@link DEFAULT_HIP_GRID}, extended (same spacing, more voxels) on any
 * side where the femoral head or the greater trochanter would come closer than 6 mm to the edge.
 * The shaft leaves the grid at the bottom by design (a clinical hip scan cuts the femur there).
 * @example
 * ```ts
 * subjectScanGrid(DEFAULT_HIP_PHANTOM).dims; // [180, 180, 120]: the default fits
 * ```
 */
export function subjectScanGrid(phantom: HipPhantomParams): GridGeometry {
  const g = femurGeometry(phantom.femur);
  const base = DEFAULT_HIP_GRID;
  // Proximal pieces as spheres: the head, and the greater trochanter's ellipsoid by its largest semi-axis (22 mm).
  const spheres: [number[], number][] = [
    [g.headCentre, phantom.femur.headRadius],
    [g.greaterTrochanterCentre, 22],
    [g.lesserTrochanterCentre, 12],
  ];
  const lo = [0, 1, 2].map((c) => Math.min(...spheres.map(([p, r]) => p[c] - r)) - GRID_MARGIN_MM);
  const hi = [0, 1, 2].map((c) => Math.max(...spheres.map(([p, r]) => p[c] + r)) + GRID_MARGIN_MM);
  const dims = [...base.dims] as [number, number, number];
  const origin = [...base.origin] as [number, number, number];
  for (let c = 0; c < 3; c++) {
    const h = base.spacing[c];
    const below = Math.max(0, Math.ceil((origin[c] - lo[c]) / h));
    const top = origin[c] + (dims[c] - 1) * h;
    const above = Math.max(0, Math.ceil((hi[c] - top) / h));
    origin[c] -= below * h;
    dims[c] += below + above;
  }
  return { dims, spacing: [...base.spacing] as [number, number, number], origin, direction: [...base.direction] as GridGeometry["direction"] };
}

function fail(msg: string): never {
  throw new SubjectSpecError(msg);
}

function finiteIn(name: string, x: unknown, lo: number, hi: number): void {
  if (typeof x !== "number" || !Number.isFinite(x) || x < lo || x > hi) fail(`subject spec: ${name} must be a number from ${lo} to ${hi}, got ${JSON.stringify(x)}`);
}

/**
 * Check a spec (any parsed JSON) and narrow its type.
 * @throws SubjectSpecError naming the first bad field.
 */
export function validateSubjectSpec(spec: unknown): asserts spec is SubjectSpec {
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) fail("subject spec: not a JSON object");
  const s = spec as Record<string, unknown>;
  if (s.format !== SUBJECT_SPEC_FORMAT) fail(`subject spec: format must be "${SUBJECT_SPEC_FORMAT}", got ${JSON.stringify(s.format)}`);
  if (s.version !== SUBJECT_SPEC_VERSION) fail(`subject spec: version ${JSON.stringify(s.version)} is not supported (this bct reads version ${SUBJECT_SPEC_VERSION})`);
  if (typeof s.id !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(s.id)) fail(`subject spec: id must be 1-64 letters, digits, "_" or "-", got ${JSON.stringify(s.id)}`);
  if (s.sex !== "F" && s.sex !== "M") fail(`subject spec ${s.id}: sex must be "F" or "M", got ${JSON.stringify(s.sex)}`);
  finiteIn(`${s.id}: age (years)`, s.age, 1, 120);
  finiteIn(`${s.id}: heightCm`, s.heightCm, 100, 230);
  finiteIn(`${s.id}: weightKg`, s.weightKg, 25, 250);
  try {
    checkSeed(s.seed as number);
  } catch {
    fail(`subject spec ${s.id}: seed must be an integer from 0 to 4294967295, got ${JSON.stringify(s.seed)}`);
  }
  if ((s.factors === undefined) === (s.phantom === undefined)) fail(`subject spec ${s.id}: give exactly one of "factors" and "phantom"`);
  if (s.factors !== undefined) {
    const f = s.factors as Record<string, unknown>;
    if (typeof f !== "object" || f === null) fail(`subject spec ${s.id}: factors must be an object`);
    for (const [k, [lo, hi]] of Object.entries(SUBJECT_FACTOR_BOUNDS)) finiteIn(`${s.id}: factors.${k}`, f[k], lo, hi);
    const extra = Object.keys(f).filter((k) => !(k in SUBJECT_FACTOR_BOUNDS));
    if (extra.length) fail(`subject spec ${s.id}: unknown factor(s) ${extra.join(", ")}`);
  } else {
    const p = s.phantom as Record<string, unknown>;
    if (typeof p !== "object" || p === null || ["femur", "pelvis", "body", "calibration"].some((k) => typeof p[k] !== "object" || p[k] === null)) {
      fail(`subject spec ${s.id}: phantom must hold femur, pelvis, body and calibration parameters`);
    }
    try {
      femurGeometry(p.femur as HipPhantomParams["femur"]);
    } catch (e) {
      fail(`subject spec ${s.id}: phantom.femur: ${(e as Error).message}`);
    }
  }
  if (s.note !== undefined && typeof s.note !== "string") fail(`subject spec ${s.id}: note must be text`);
}

/** The file name of a subject's spec: `<id>.phantom.json`. */
export function subjectSpecFileName(id: string): string {
  return `${id}.phantom.json`;
}

/**
 * Write `spec` as `<dir>/<id>.phantom.json` (dir created if needed), keys in a fixed order.
 * Synchronous, like {@link readSubjectSpec} (the files are a few hundred bytes).
 * @example
 * ```ts
 * const path = writeSubjectSpec(spec, "out/subjects"); // "out/subjects/S0001.phantom.json"
 * ```
 * @returns the path written.
 * @throws SubjectSpecError for an invalid spec.
 */
export function writeSubjectSpec(spec: SubjectSpec, dir: string): string {
  validateSubjectSpec(spec);
  const ordered: Record<string, unknown> = {
    format: spec.format, version: spec.version, id: spec.id, sex: spec.sex, age: spec.age,
    heightCm: spec.heightCm, weightKg: spec.weightKg, seed: spec.seed,
  };
  if (spec.factors) {
    const f = spec.factors;
    ordered.factors = { trabecularDensity: f.trabecularDensity, corticalThickness: f.corticalThickness, corticalDensity: f.corticalDensity, size: f.size };
  }
  if (spec.phantom) ordered.phantom = spec.phantom;
  if (spec.note !== undefined) ordered.note = spec.note;
  mkdirSync(dir, { recursive: true });
  const path = join(dir, subjectSpecFileName(spec.id));
  writeFileSync(path, JSON.stringify(ordered, null, 2) + "\n");
  return path;
}

/**
 * Read and check a subject spec file. A file named `<name>.phantom.json` must hold the spec whose
 * id is `<name>`.
 * @example
 * ```ts
 * const spec = readSubjectSpec("datasets/cohort/in-silico/subjects/S0001.phantom.json");
 * ```
 * @throws SubjectSpecError for unreadable JSON, an invalid spec, or a file name that contradicts the id.
 */
export function readSubjectSpec(path: string): SubjectSpec {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new SubjectSpecError(`cannot read subject spec ${path}: ${(e as Error).message}`);
  }
  let spec: unknown;
  try {
    spec = JSON.parse(text);
  } catch (e) {
    throw new SubjectSpecError(`subject spec ${path} is not valid JSON: ${(e as Error).message}`);
  }
  try {
    validateSubjectSpec(spec);
  } catch (e) {
    throw new SubjectSpecError(`${path}: ${(e as Error).message}`);
  }
  const name = basename(path);
  if (name.endsWith(".phantom.json") && name.slice(0, -".phantom.json".length) !== spec.id) {
    throw new SubjectSpecError(`${path}: the file holds subject "${spec.id}" but is named for "${name.slice(0, -".phantom.json".length)}"`);
  }
  return spec;
}

/** Options of {@link generateSubjectScan}. */
export interface SubjectScanOptions {
  /** Generate only this index box of the subject's grid (same values the full scan has there). */
  box?: IndexBox;
  /** Changes to the default scanner (default none: the cohort's scans use the default scanner). */
  scanner?: Partial<ScannerModel>;
}

/**
 * The subject's CT and truth: {@link generateHipScan} of the subject's phantom on its grid
 * ({@link subjectScanGrid}) with the spec's seed. The CT holds the calibration phantom, so
 * `calibration: { kind: "phantom" }` works on it; `density` is the exact voxel-mean density and
 * `labels` the truth label map (1 femur). Deterministic: the same spec gives the same bytes.
 * @example
 * ```ts
 * const scan = generateSubjectScan(readSubjectSpec("subjects/S0001.phantom.json"));
 * analyzeHip(scan.ct, { sex: "F", calibration: { kind: "phantom", phantom: certificate } });
 * ```
 * @throws SubjectSpecError for an invalid spec.
 */
export function generateSubjectScan(spec: SubjectSpec, opts: SubjectScanOptions = {}): HipScan {
  const phantom = subjectPhantomParams(spec);
  return generateHipScan({ seed: spec.seed, phantom, grid: subjectScanGrid(phantom), box: opts.box, scanner: opts.scanner });
}
