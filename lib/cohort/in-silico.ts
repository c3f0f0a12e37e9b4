/**
 * The in-silico cohort: N synthetic subjects with sex- and age-dependent bone, their CT (regenerated
 * from a small spec file by the phantom generator), a simulated DXA measurement, the fall force from
 * height and weight, and a fracture outcome drawn from the load-to-strength ratio, so the whole
 * methodology (strength from CT, DXA, ROC, reclassification) can be exercised where no real cohort
 * is at hand. Everything is synthetic; nothing here is patient data.
 *
 * Per subject k (0-based), every random number is `uniformAt(seed, stream, k)` of the counter-based
 * RNG (lib/synthetic/rng.ts) with one stream per variable, so subject k is the same whatever the
 * cohort size, and the cohort is a pure function of its seed and options:
 *
 * 1. Sex ~ Bernoulli(female fraction); age ~ Uniform(age range).
 * 2. Height ~ Normal(sex mean, SD); BMI ~ log-normal (sex mean, SD); weight = BMI × height²
 *    ({@link BODY_SIZE_MODEL}, ◇).
 * 3. Bone factors = the population mean for sex and age ({@link meanSubjectFactors}) × a log-normal
 *    between-subject scatter ({@link FACTOR_SCATTER}, a modelling choice; the three bone-quality
 *    factors share half their variance, a "bone health" component), and the size factor × height
 *    relative to the sex mean (bones scale with stature). The spec is written as
 *    `subjects/<id>.phantom.json`.
 * 4. Truth (the generator's exact voxel-mean density, no CT noise or blur):
 *    - strength: `analyzeHip` at a fine element size (default 1.5 mm) on the exact density with the
 *      truth femur label, with the strength definition of `bct analyze` and of the cohort runner
 *      (the nonlinear peak by default; its definition id is recorded in the truth). `analyzeHip` takes a CT; the exact density volume is given as its "CT"
 *      with phantom calibration: the density volume holds the calibration rods at exactly their
 *      certified densities, so the fitted line is the identity (slope 1, intercept 0, checked to
 *      1e-3), and the FE model is built on the exact density;
 *    - aBMD: `hipDxa` (lib/dxa/hip.ts) on the exact density and the truth femur mask (the regions'
 *      unrounded aBMD, g/cm² hydroxyapatite-equivalent: the exact K2HPO4 density times the
 *      attenuation equivalence at the generator's 70 keV beam, reported to 1e-4).
 * 5. Simulated DXA: measured = true × (1 + CV × N(0, 1)), with the DXA long-term precision CVs
 *    ({@link DXA_PRECISION_CV}), reported to 0.001 g/cm².
 * 6. Fall force {@link fallForceN} (spring-mass model), Φ = force / true strength, and the outcome
 *    fracture ~ Bernoulli(p), p = 1 / (1 + exp(-(Φ - Φ50) / s)) ({@link DEFAULT_OUTCOME_MODEL}).
 *
 * Files: `subjects/<id>.phantom.json`, `cohort.csv` (what a study would have: the cohort-table
 * columns of lib/cohort/table.ts, in the order id, sex, age, heightCm, weightKg, scan, calibration,
 * dxaNeckABMD, dxaTotalHipABMD, fracture), `truth.csv` (what only the generator knows: id,
 * trueStrengthN, trueNeckABMD, trueTotalHipABMD, fallForceN, factorOfRisk, fractureProbability) and
 * `README.md` (how it was made).
 *
 * @example
 * ```ts
 * import { generateInSilicoCohort } from "bct/lib/cohort/in-silico";
 * const s = await generateInSilicoCohort({ n: 40, seed: 1, outDir: "datasets/cohort/in-silico", onProgress: (p) => console.log(p.message) });
 * console.log(s.cases, "cases of", s.n);
 * ```
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import * as aq from "arquero";
import { phantomCalibration, type PhantomDefinition } from "../calibration/phantom.js";
import { hipDxa } from "../dxa/hip.js";
import { mineralConversion } from "../calibration/density.js";
import { DEFAULT_EFFECTIVE_ENERGY_KEV } from "../synthetic/ct-formation.js";
import { BctError } from "../errors.js";
import { runTasks } from "../parallel/tasks.js";
import { analyzeHip } from "../pipeline/hip.js";
import type { Sex } from "../strength/classify.js";
import { GENERATOR_VERSION } from "../synthetic/scan.js";
import { hash32, uniformAt } from "../synthetic/rng.js";
import {
  SUBJECT_AGE_MODEL,
  SUBJECT_FACTOR_BOUNDS,
  SUBJECT_SPEC_FORMAT,
  SUBJECT_SPEC_VERSION,
  generateSubjectScan,
  meanSubjectFactors,
  subjectPhantomParams,
  subjectSpecFileName,
  writeSubjectSpec,
  type SubjectFactors,
  type SubjectSpec,
} from "../synthetic/subject.js";
import { createVolume, type Volume } from "../volume/volume.js";
import { factorOfRisk, fallForceN, SPRING_MASS_FALL } from "./fall.js";

/** A bad option of the in-silico cohort generator, or a truth computation that went wrong. */
export class InSilicoCohortError extends BctError {
  override name = "InSilicoCohortError";
}

/**
 * DXA long-term precision (coefficient of variation) of the femoral neck and the total hip
 * (Cann et al. 2014, PLoS One 9:e91904, bct-reference.md §6 ✔). (DXA-side constant; it lives here
 * until lib/dxa has a home for precision figures.)
 */
export const DXA_PRECISION_CV = { neck: 0.027, totalHip: 0.02 } as const;

/**
 * Body size of the subjects, by sex (◇: approximately the US adults aged 60 and over of NHANES
 * 2015-2018, Fryar et al. 2021, National Health Statistics Reports 160; not re-read). Height is
 * normal; BMI is log-normal with the given mean and SD; weight = BMI × height².
 */
export const BODY_SIZE_MODEL: Readonly<Record<Sex, { heightCm: { mean: number; sd: number }; bmi: { mean: number; sd: number } }>> = {
  F: { heightCm: { mean: 160, sd: 6.5 }, bmi: { mean: 28.5, sd: 5.5 } },
  M: { heightCm: { mean: 174, sd: 7 }, bmi: { mean: 28.5, sd: 4.5 } },
};

/** Hard limits on the drawn body size (beyond 4 SD; they keep every spec valid). */
const HEIGHT_LIMITS_CM: [number, number] = [135, 210];
const BMI_LIMITS: [number, number] = [15, 55];

/**
 * Between-subject scatter of the bone factors around the age/sex mean: SD of the log factor (a
 * modelling choice, no citation: sized so that the true strength of a cohort aged 50-90 spreads
 * about as much as the fall strength of cadaver femora, CV 42% in Eckstein et al. 2004 ✔, §8). The
 * three bone-quality factors share `sharedVariance` of their variance.
 */
export const FACTOR_SCATTER = {
  trabecularDensity: 0.15,
  corticalThickness: 0.12,
  corticalDensity: 0.04,
  /** On top of the size's proportionality to height. */
  size: 0.03,
  sharedVariance: 0.5,
} as const;

/** Parameters of the outcome model p = 1 / (1 + exp(-(Φ - phi50) / scale)). */
export interface OutcomeModel {
  phi50: number;
  scale: number;
}

/**
 * The default outcome model, a modelling choice (no published Φ-to-probability curve exists).
 * `scale` = 0.2 Φ50 / ln 4, so p goes from 0.2 to 0.8 across Φ50 ± 20%, the width of the transition
 * zone around Φ = 1 of Keaveny & Bouxsein 2008 ✔. `phi50` is not 1: the fall force is the peak force
 * of a fall straight onto the trochanter (no soft-tissue attenuation, no protective response) and the
 * strength was the pipeline's linear 2% volume criterion when Φ50 was chosen, which is conservative (the default
 * phantom's is about half the ~7 kN of young cadaver femora, §8 ◇), so Φ runs two to three times its
 * clinical values (median about 2.5 in the shipped cohort). Φ50 = 2.8 was chosen, after a pilot of
 * the shipped cohort's subjects, to give it an expected case fraction of about a third, a mix suited
 * to a case-control analysis.
 */
export const DEFAULT_OUTCOME_MODEL: OutcomeModel = { phi50: 2.8, scale: (0.2 * 2.8) / Math.log(4) };

/**
 * The fracture probability of a subject with factor of risk `phi`.
 * @example
 * ```ts
 * fractureProbability(2.8); // 0.5
 * fractureProbability(2.8 * 1.2); // 0.8
 * ```
 */
export function fractureProbability(phi: number, model: OutcomeModel = DEFAULT_OUTCOME_MODEL): number {
  if (!Number.isFinite(phi)) throw new InSilicoCohortError(`a factor of risk must be a finite number, got ${phi}`);
  if (!(model.scale > 0)) throw new InSilicoCohortError(`the outcome model's scale must be > 0, got ${model.scale}`);
  return 1 / (1 + Math.exp(-(phi - model.phi50) / model.scale));
}

/** Options of {@link drawSubject} and {@link generateInSilicoCohort}. */
export interface SubjectDrawOptions {
  /** Ages (years), uniform. Default [50, 90]. */
  ageRange?: [number, number];
  /** Probability of a woman. Default 0.5. */
  femaleFraction?: number;
}

/** RNG streams, one per variable (never reuse a number: it changes every cohort). */
const STREAM = {
  sex: 101, age: 102, height: [103, 104], bmi: [105, 106], shared: [107, 108], trabecularDensity: [109, 110],
  corticalThickness: [111, 112], corticalDensity: [113, 114], size: [115, 116], scanSeed: 117, dxaNeck: [118, 119],
  dxaTotalHip: [120, 121], outcome: 122,
} as const;

/** A standard normal number of subject `k` from two streams (Box-Muller). */
function normalAt(seed: number, [a, b]: readonly [number, number], k: number): number {
  return Math.sqrt(-2 * Math.log(uniformAt(seed, a, k))) * Math.cos(2 * Math.PI * uniformAt(seed, b, k));
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));
const clamp = (x: number, [lo, hi]: readonly [number, number]) => Math.min(hi, Math.max(lo, x));

/** The id of subject `k` (0-based): S0001, S0002, ... */
export function subjectId(k: number): string {
  return `S${String(k + 1).padStart(4, "0")}`;
}

function checkDrawOptions(opts: SubjectDrawOptions): { ageRange: [number, number]; femaleFraction: number } {
  const ageRange = opts.ageRange ?? [50, 90];
  if (!(ageRange[0] >= 1 && ageRange[1] <= 120 && ageRange[0] <= ageRange[1])) {
    throw new InSilicoCohortError(`age range must be two ages from 1 to 120 in order, got [${ageRange.join(", ")}]`);
  }
  const femaleFraction = opts.femaleFraction ?? 0.5;
  if (!(femaleFraction >= 0 && femaleFraction <= 1)) throw new InSilicoCohortError(`female fraction must be from 0 to 1, got ${femaleFraction}`);
  return { ageRange, femaleFraction };
}

/**
 * Draw subject `k` (0-based) of the cohort with `seed`: sex, age, height, weight, bone factors and
 * CT noise seed, as a spec (values rounded as stored: age 0.1 y, height 0.1 cm, weight 0.1 kg,
 * factors 1e-4). Cheap (no CT, no FE). Subject k does not depend on the cohort size.
 * @example
 * ```ts
 * const s = drawSubject(1, 0); // { id: "S0001", sex, age, heightCm, weightKg, seed, factors, ... }
 * ```
 */
export function drawSubject(seed: number, k: number, opts: SubjectDrawOptions = {}): SubjectSpec {
  const { ageRange, femaleFraction } = checkDrawOptions(opts);
  if (!Number.isInteger(k) || k < 0) throw new InSilicoCohortError(`subject index must be an integer >= 0, got ${k}`);
  const sex: Sex = uniformAt(seed, STREAM.sex, k) < femaleFraction ? "F" : "M";
  const age = round(ageRange[0] + (ageRange[1] - ageRange[0]) * uniformAt(seed, STREAM.age, k), 1);
  const body = BODY_SIZE_MODEL[sex];
  const heightCm = round(clamp(body.heightCm.mean + body.heightCm.sd * normalAt(seed, STREAM.height, k), HEIGHT_LIMITS_CM), 1);
  // Log-normal BMI with the given mean and SD: log BMI ~ N(mu, sigma^2).
  const sigma2 = Math.log(1 + (body.bmi.sd / body.bmi.mean) ** 2);
  const mu = Math.log(body.bmi.mean) - sigma2 / 2;
  const bmi = clamp(Math.exp(mu + Math.sqrt(sigma2) * normalAt(seed, STREAM.bmi, k)), BMI_LIMITS);
  const weightKg = round(bmi * (heightCm / 100) ** 2, 1);
  const mean = meanSubjectFactors(sex, age);
  const shared = normalAt(seed, STREAM.shared, k);
  const w = Math.sqrt(FACTOR_SCATTER.sharedVariance), w1 = Math.sqrt(1 - FACTOR_SCATTER.sharedVariance);
  const quality = (key: "trabecularDensity" | "corticalThickness" | "corticalDensity") =>
    round(clamp(mean[key] * Math.exp(FACTOR_SCATTER[key] * (w * shared + w1 * normalAt(seed, STREAM[key], k))), SUBJECT_FACTOR_BOUNDS[key]), 4);
  const size = round(
    clamp(mean.size * (heightCm / body.heightCm.mean) * Math.exp(FACTOR_SCATTER.size * normalAt(seed, STREAM.size, k)), SUBJECT_FACTOR_BOUNDS.size),
    4,
  );
  const factors: SubjectFactors = {
    trabecularDensity: quality("trabecularDensity"),
    corticalThickness: quality("corticalThickness"),
    corticalDensity: quality("corticalDensity"),
    size,
  };
  return {
    format: SUBJECT_SPEC_FORMAT,
    version: SUBJECT_SPEC_VERSION,
    id: subjectId(k),
    sex,
    age,
    heightCm,
    weightKg,
    seed: hash32(seed, STREAM.scanSeed, k),
    factors,
    note: `bct in-silico cohort, cohort seed ${seed}, subject ${k + 1}; synthetic (lib/cohort/in-silico.ts)`,
  };
}

/** The certificate of a subject's calibration phantom (rod densities, diameter, spacing). */
export function subjectPhantomCertificate(spec: SubjectSpec): PhantomDefinition {
  const c = subjectPhantomParams(spec).calibration;
  return { name: "bct synthetic 5-rod K2HPO4 phantom", measure: "rhoK", waterDisplacement: 0, rodDiameter: 2 * c.rodRadius, rodSpacing: c.rodSpacing, rods: c.rods.map((r) => ({ name: r.name, density: r.density })) };
}

/** A subject's truth, computed from the generator's exact density. */
export interface SubjectTruth {
  id: string;
  /** Sideways-fall strength on the exact density (N), by the definition of `bct analyze` (see `strengthDefinition`). */
  trueStrengthN: number;
  /** The strength's definition id (lib/strength/definition); absent in truths computed before it was recorded (the linear 2% volume criterion). */
  strengthDefinition?: string;
  trueNeckABMD: number;
  trueTotalHipABMD: number;
  /** The strength's FE model. */
  elementSizeMm: number;
  elements: number;
  /** Seconds spent on the scan, the FE and the DXA. */
  seconds: { scan: number; strength: number; dxa: number };
  /**
   * "ok" when the automatic phantom calibration (lib/calibration/phantom.ts, as a cohort run uses it)
   * finds the rods in the subject's CT, else its error. Informative only: the truth does not use it.
   */
  ctPhantomCalibration: string;
  warnings: string[];
}

/** The message of {@link inSilicoSubjectTask}. */
export interface InSilicoSubjectTask {
  spec: SubjectSpec;
  elementSize: number;
}

/**
 * The truth of one subject (module docs, step 4): generate its scan, run the hip analysis on the
 * exact density with the truth femur label, and the hip DXA on the exact density. A task-pool entry
 * point (JSON in, JSON out).
 * @example
 * ```ts
 * const t = inSilicoSubjectTask({ spec: drawSubject(1, 0), elementSize: 1.5 });
 * t.trueStrengthN; // N
 * ```
 * @throws InSilicoCohortError when the identity calibration of the exact density is not recovered.
 */
export function inSilicoSubjectTask(task: InSilicoSubjectTask): SubjectTruth {
  const { spec, elementSize } = task;
  let t = performance.now();
  const scan = generateSubjectScan(spec);
  const tScan = (performance.now() - t) / 1000;
  t = performance.now();
  const { result } = analyzeHip(scan.density, {
    sex: spec.sex,
    calibration: { kind: "phantom", phantom: subjectPhantomCertificate(spec) },
    elementSize,
    labels: { map: scan.labels, label: 1 },
    dxa: false, // measured below on the exact HA-equivalent density
  });
  const c = result.calibration;
  if (Math.abs(c.slope - 1) > 1e-3 || Math.abs(c.intercept) > 0.5) {
    throw new InSilicoCohortError(`subject ${spec.id}: the exact density did not calibrate to itself (slope ${c.slope}, intercept ${c.intercept}): the truth strength would not be on the exact density`);
  }
  const tStrength = (performance.now() - t) / 1000;
  t = performance.now();
  const femurMask = createVolume({ dims: scan.labels.dims, spacing: scan.labels.spacing, origin: scan.labels.origin, direction: scan.labels.direction, data: Uint8Array.from(scan.labels.data, (v) => (v === 1 ? 1 : 0)) });
  // DXA's scale is hydroxyapatite: the exact K2HPO4 density times the attenuation equivalence at the
  // generator's monoenergetic beam, whose rods sit in ideal water (no K2HPO4 displacement); the same
  // conversion the pipeline makes from the CT (pipeline/stages toHydroxyapatite).
  const toHA = mineralConversion("rhoK", "rhoHA", DEFAULT_EFFECTIVE_ENERGY_KEV, { waterDisplacement: { rhoK: 0 } }).factor;
  const haDensity = createVolume({ dims: scan.density.dims, spacing: scan.density.spacing, origin: scan.density.origin, direction: scan.density.direction, data: Float32Array.from(scan.density.data, (v) => toHA * v) });
  const dxa = hipDxa(haDensity, femurMask, { sex: spec.sex, densityMeasure: "rhoHA" });
  const tDxa = (performance.now() - t) / 1000;
  // Does the automatic phantom calibration find the rods in this subject's CT (what a cohort run does)?
  let ctPhantomCalibration = "ok";
  try {
    phantomCalibration(scan.ct, subjectPhantomCertificate(spec));
  } catch (e) {
    ctPhantomCalibration = `${(e as Error).name}: ${(e as Error).message}`;
  }
  return {
    id: spec.id,
    trueStrengthN: result.strengthN,
    strengthDefinition: result.strength.definition.id,
    trueNeckABMD: round(dxa.artifacts.rois.neck.aBMD, 4),
    trueTotalHipABMD: round(dxa.artifacts.rois.totalHip.aBMD, 4),
    elementSizeMm: elementSize,
    elements: result.elements,
    seconds: { scan: round(tScan, 2), strength: round(tStrength, 2), dxa: round(tDxa, 2) },
    ctPhantomCalibration,
    warnings: [...result.warnings, ...dxa.result.warnings.map((w) => `dxa: ${w}`)],
  };
}

/** One subject of the generated cohort: the spec's fields, the truth and the measurements. */
export interface InSilicoSubject {
  id: string;
  sex: Sex;
  age: number;
  heightCm: number;
  weightKg: number;
  factors: SubjectFactors;
  trueStrengthN: number;
  trueNeckABMD: number;
  trueTotalHipABMD: number;
  dxaNeckABMD: number;
  dxaTotalHipABMD: number;
  fallForceN: number;
  factorOfRisk: number;
  fractureProbability: number;
  fracture: 0 | 1;
}

/**
 * The measurement and outcome of subject `k` given its truth (module docs, steps 5-6): simulated
 * DXA, fall force, Φ, probability and the Bernoulli draw, all from subject k's own streams.
 * @example
 * ```ts
 * const o = simulateSubjectOutcome(1, 0, spec, { trueStrengthN: 2500, trueNeckABMD: 0.7, trueTotalHipABMD: 0.8 });
 * o.fractureProbability; // 1 / (1 + exp(-(F / 2500 - 2.8) / 0.404))
 * ```
 */
export function simulateSubjectOutcome(
  seed: number, k: number, spec: SubjectSpec, truth: Pick<SubjectTruth, "trueStrengthN" | "trueNeckABMD" | "trueTotalHipABMD">, model: OutcomeModel = DEFAULT_OUTCOME_MODEL,
): InSilicoSubject {
  const dxaNeckABMD = round(truth.trueNeckABMD * (1 + DXA_PRECISION_CV.neck * normalAt(seed, STREAM.dxaNeck, k)), 3);
  const dxaTotalHipABMD = round(truth.trueTotalHipABMD * (1 + DXA_PRECISION_CV.totalHip * normalAt(seed, STREAM.dxaTotalHip, k)), 3);
  const force = fallForceN(spec.heightCm, spec.weightKg);
  const phi = factorOfRisk(force, truth.trueStrengthN);
  const p = fractureProbability(phi, model);
  return {
    id: spec.id, sex: spec.sex, age: spec.age, heightCm: spec.heightCm, weightKg: spec.weightKg, factors: spec.factors!,
    trueStrengthN: truth.trueStrengthN, trueNeckABMD: truth.trueNeckABMD, trueTotalHipABMD: truth.trueTotalHipABMD,
    dxaNeckABMD, dxaTotalHipABMD,
    fallForceN: Math.round(force), factorOfRisk: round(phi, 4), fractureProbability: round(p, 4),
    fracture: uniformAt(seed, STREAM.outcome, k) < p ? 1 : 0,
  };
}

/** A progress report of {@link generateInSilicoCohort}. */
export interface InSilicoProgress {
  kind: "start" | "done";
  id: string;
  /** Subjects finished so far. */
  done: number;
  total: number;
  elapsedSeconds: number;
  /** A one-line description. */
  message: string;
}

/** Options of {@link generateInSilicoCohort}. */
export interface InSilicoCohortOptions extends SubjectDrawOptions {
  /** Number of subjects (1-10000). */
  n: number;
  /** Cohort seed, an integer in [0, 2^32). Default 1. */
  seed?: number;
  /** Folder to write (created; existing files of the same names are replaced). */
  outDir: string;
  /** Element size (mm) of the truth strength's FE model. Default 1.5. */
  elementSize?: number;
  /** Outcome model. Default {@link DEFAULT_OUTCOME_MODEL}. */
  outcome?: OutcomeModel;
  /**
   * Worker threads for the subjects' truth (lib/parallel/tasks.ts; they load the compiled build).
   * Default 0: one subject at a time in this thread. The result does not depend on it.
   */
  workers?: number;
  onProgress?: (p: InSilicoProgress) => void;
}

/** The JSON-serialisable summary of a generated cohort. */
export interface InSilicoCohortSummary {
  n: number;
  seed: number;
  outDir: string;
  files: { cohortCsv: string; truthCsv: string; readme: string; subjects: string };
  women: number;
  men: number;
  cases: number;
  /** Subjects whose CT the automatic phantom calibration cannot calibrate (see {@link SubjectTruth.ctPhantomCalibration}). */
  ctPhantomCalibrationFailures: string[];
  ageRange: [number, number];
  elementSizeMm: number;
  outcome: OutcomeModel;
  seconds: number;
  subjects: InSilicoSubject[];
}

/** Columns of cohort.csv, in order (the cohort-table schema of lib/cohort/table.ts). */
export const COHORT_CSV_COLUMNS = ["id", "sex", "age", "heightCm", "weightKg", "scan", "calibration", "dxaNeckABMD", "dxaTotalHipABMD", "fracture"] as const;
/** Columns of truth.csv, in order. */
export const TRUTH_CSV_COLUMNS = ["id", "trueStrengthN", "trueNeckABMD", "trueTotalHipABMD", "fallForceN", "factorOfRisk", "fractureProbability"] as const;

function csv(rows: Record<string, unknown>[], columns: readonly string[]): string {
  return aq.toCSV(aq.table(Object.fromEntries(columns.map((c) => [c, rows.map((r) => r[c])]))), { columns: [...columns] }) + "\n";
}

/**
 * Generate the in-silico cohort into `outDir` (module docs): subject specs, cohort.csv, truth.csv
 * and README.md.
 * @example
 * ```ts
 * const s = await generateInSilicoCohort({ n: 40, seed: 1, outDir: "out/cohort" });
 * s.subjects[0]; // { id: "S0001", sex, age, ..., trueStrengthN, dxaNeckABMD, factorOfRisk, fracture }
 * ```
 * @throws InSilicoCohortError for a bad option or a subject whose truth cannot be computed.
 */
export async function generateInSilicoCohort(opts: InSilicoCohortOptions): Promise<InSilicoCohortSummary> {
  const t0 = performance.now();
  const elapsed = () => round((performance.now() - t0) / 1000, 1);
  const n = opts.n;
  if (!Number.isInteger(n) || n < 1 || n > 10000) throw new InSilicoCohortError(`n must be an integer from 1 to 10000, got ${n}`);
  const seed = opts.seed ?? 1;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new InSilicoCohortError(`seed must be an integer from 0 to 4294967295, got ${seed}`);
  const elementSize = opts.elementSize ?? 1.5;
  if (!(elementSize > 0 && elementSize <= 5)) throw new InSilicoCohortError(`element size must be in (0, 5] mm, got ${elementSize}`);
  const model = opts.outcome ?? DEFAULT_OUTCOME_MODEL;
  fractureProbability(1, model); // checks the model
  const { ageRange, femaleFraction } = checkDrawOptions(opts);
  const outDir = resolve(opts.outDir);
  const subjectsDir = join(outDir, "subjects");
  mkdirSync(subjectsDir, { recursive: true });

  const specs = Array.from({ length: n }, (_, k) => drawSubject(seed, k, { ageRange, femaleFraction }));
  for (const s of specs) writeSubjectSpec(s, subjectsDir);

  let done = 0;
  const report = (kind: InSilicoProgress["kind"], k: number, message: string) =>
    opts.onProgress?.({ kind, id: specs[k].id, done, total: n, elapsedSeconds: elapsed(), message });
  const workers = Math.max(0, Math.floor(opts.workers ?? 0));
  const outcomes = await runTasks<InSilicoSubjectTask, SubjectTruth>(
    specs.map((spec) => ({ spec, elementSize })),
    {
      module: new URL("./in-silico.js", import.meta.url),
      exportName: "inSilicoSubjectTask",
      workers,
      onStart: (k) => report("start", k, `${specs[k].id}: ${specs[k].sex}, ${specs[k].age} y: scan, strength (${elementSize} mm), DXA`),
      onSettled: (k, o) => {
        done++;
        report("done", k, o.ok
          ? `${specs[k].id}: strength ${o.value.trueStrengthN} N, neck aBMD ${o.value.trueNeckABMD} g/cm2 (${(o.value.seconds.scan + o.value.seconds.strength + o.value.seconds.dxa).toFixed(1)} s) [${done}/${n}]`
          : `${specs[k].id}: FAILED: ${o.error.message} [${done}/${n}]`);
      },
    },
  );
  const failed = outcomes.map((o, k) => (o.ok ? undefined : `${specs[k].id}: ${o.error.name}: ${o.error.message}`)).filter((x) => x);
  if (failed.length) throw new InSilicoCohortError(`the truth of ${failed.length} subject(s) could not be computed:\n${failed.join("\n")}`);
  const truths = outcomes.map((o) => (o as { value: SubjectTruth }).value);
  const subjects = specs.map((spec, k) => simulateSubjectOutcome(seed, k, spec, truths[k], model));

  const cohortCsv = join(outDir, "cohort.csv");
  const truthCsv = join(outDir, "truth.csv");
  const readme = join(outDir, "README.md");
  writeFileSync(cohortCsv, csv(subjects.map((s) => ({ ...s, scan: `subjects/${subjectSpecFileName(s.id)}`, calibration: "phantom" })), COHORT_CSV_COLUMNS));
  writeFileSync(truthCsv, csv(subjects as unknown as Record<string, unknown>[], TRUTH_CSV_COLUMNS));
  const summary: InSilicoCohortSummary = {
    n, seed, outDir,
    files: { cohortCsv, truthCsv, readme, subjects: subjectsDir },
    women: subjects.filter((s) => s.sex === "F").length,
    men: subjects.filter((s) => s.sex === "M").length,
    cases: subjects.filter((s) => s.fracture === 1).length,
    ctPhantomCalibrationFailures: truths.filter((t) => t.ctPhantomCalibration !== "ok").map((t) => t.id),
    ageRange, elementSizeMm: elementSize, outcome: model, seconds: elapsed(), subjects,
  };
  writeFileSync(readme, cohortReadme(summary, { femaleFraction, truths }));
  return summary;
}

/** Mean and SD of `xs`. */
function meanSd(xs: number[]): [number, number] {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.length > 1 ? xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1) : 0;
  return [m, Math.sqrt(v)];
}

/** Least-squares slope of y on x. */
function slope(x: number[], y: number[]): number {
  const [mx] = meanSd(x), [my] = meanSd(y);
  let sxy = 0, sxx = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : NaN;
}

function cohortReadme(s: InSilicoCohortSummary, extra: { femaleFraction: number; truths: SubjectTruth[] }): string {
  const fmt = (xs: number[], d: number) => {
    if (!xs.length) return "-";
    const [m, sd] = meanSd(xs);
    return `${m.toFixed(d)} ± ${sd.toFixed(d)}`;
  };
  const bySex = (sex: Sex) => s.subjects.filter((x) => x.sex === sex);
  const row = (label: string, get: (x: InSilicoSubject) => number, d: number) =>
    `| ${label} | ${fmt(bySex("F").map(get), d)} | ${fmt(bySex("M").map(get), d)} |`;
  const perDecade = (sex: Sex) => {
    const g = bySex(sex);
    if (g.length < 3) return "-";
    return `${(10 * slope(g.map((x) => x.age), g.map((x) => x.trueStrengthN))).toFixed(0)} N`;
  };
  const secs = extra.truths.map((t) => t.seconds.scan + t.seconds.strength + t.seconds.dxa);
  const age = SUBJECT_AGE_MODEL;
  return `# In-silico hip cohort (synthetic)

**Every subject here is synthetic**: made by \`bct cohort generate\` (lib/cohort/in-silico.ts) from the
analytic hip phantom (lib/synthetic, generator ${GENERATOR_VERSION}). No patient data. It exists so the
methodology (strength from CT, DXA, fracture discrimination, reclassification) can be run end to end.

Regenerate (same seed, same options: identical files):

\`\`\`sh
npm run build && node bin/bct.js cohort generate --out <dir> --n ${s.n} --seed ${s.seed} --element ${s.elementSizeMm}
\`\`\`

## Files

| file | content |
|---|---|
| \`cohort.csv\` | what a study would have, in the cohort-table schema (\`bct cohort run\`): ${COHORT_CSV_COLUMNS.join(", ")} |
| \`truth.csv\` | what only the generator knows: ${TRUTH_CSV_COLUMNS.join(", ")} |
| \`subjects/<id>.phantom.json\` | each subject's spec (sex, age, height, weight, CT noise seed, bone factors); the CT is regenerated from it (lib/synthetic/subject.ts \`generateSubjectScan\`), never stored |

Units: age years, height cm, weight kg, aBMD g/cm², forces and strength N.

## This cohort

${s.n} subjects (${s.women} women, ${s.men} men), ages ${s.ageRange[0]}-${s.ageRange[1]}, cohort seed ${s.seed},
${s.cases} fracture cases (${((100 * s.cases) / s.n).toFixed(0)}%). Generated in ${s.seconds.toFixed(0)} s
(${fmt(secs, 1)} s per subject for scan + strength + DXA).
${s.ctPhantomCalibrationFailures.length
    ? `The automatic phantom calibration (lib/calibration/phantom.ts) did not find the rods in the CT of ${s.ctPhantomCalibrationFailures.length} subject(s) (${s.ctPhantomCalibrationFailures.join(", ")}) at generation time; the truth does not depend on it.`
    : "The automatic phantom calibration found the rods in every subject's CT at generation time."}

| mean ± SD | women | men |
|---|---|---|
| n | ${bySex("F").length} | ${bySex("M").length} |
${row("age (y)", (x) => x.age, 1)}
${row("height (cm)", (x) => x.heightCm, 1)}
${row("weight (kg)", (x) => x.weightKg, 1)}
${row("true strength (N)", (x) => x.trueStrengthN, 0)}
| true strength per decade of age (least squares) | ${perDecade("F")} | ${perDecade("M")} |
${row("true FN aBMD (g/cm²)", (x) => x.trueNeckABMD, 3)}
${row("true TH aBMD (g/cm²)", (x) => x.trueTotalHipABMD, 3)}
${row("fall force (N)", (x) => x.fallForceN, 0)}
${row("factor of risk Φ", (x) => x.factorOfRisk, 2)}
| cases | ${bySex("F").filter((x) => x.fracture).length} | ${bySex("M").filter((x) => x.fracture).length} |

## How it was made

Per subject k, every random number comes from the counter-based RNG of lib/synthetic/rng.ts keyed
by (cohort seed, one stream per variable, k): subject k is the same whatever the cohort size.

1. **Sex and age**: woman with probability ${extra.femaleFraction}; age uniform on [${s.ageRange[0]}, ${s.ageRange[1]}].
2. **Body size** (◇ approximately US adults aged 60+, NHANES 2015-2018): height normal, women
   ${BODY_SIZE_MODEL.F.heightCm.mean} ± ${BODY_SIZE_MODEL.F.heightCm.sd} cm, men ${BODY_SIZE_MODEL.M.heightCm.mean} ± ${BODY_SIZE_MODEL.M.heightCm.sd} cm; BMI log-normal, women
   ${BODY_SIZE_MODEL.F.bmi.mean} ± ${BODY_SIZE_MODEL.F.bmi.sd}, men ${BODY_SIZE_MODEL.M.bmi.mean} ± ${BODY_SIZE_MODEL.M.bmi.sd} kg/m²; weight = BMI × height².
3. **Bone** (lib/synthetic/subject.ts): four factors scale the default hip phantom: trabecular
   density, cortical thickness, cortical density, size. Population mean: 1 until the onset of
   bone loss (women ${age.F.onsetAge} y, men ${age.M.onsetAge} y: Keaveny et al. 2010 ✔), then linear loss per year of
   trabecular density ${age.F.trabecularPerYear} / ${age.M.trabecularPerYear}, cortical thickness ${age.F.corticalThicknessPerYear} / ${age.M.corticalThicknessPerYear},
   cortical density ${age.F.corticalDensityPerYear} / ${age.M.corticalDensityPerYear} (women / men; tuned so the phantom's true strength at 90 is
   about 45% / 61% of its value at onset, the 55% / 39% lifetime strength declines of Keaveny et al.
   2010 ✔); size women ${age.F.size}, men ${age.M.size} (men's bones 13% larger ◇) × height / sex-mean height.
   Between-subject scatter: log-normal, SD of the log factor ${FACTOR_SCATTER.trabecularDensity} (trabecular density),
   ${FACTOR_SCATTER.corticalThickness} (cortical thickness), ${FACTOR_SCATTER.corticalDensity} (cortical density), ${FACTOR_SCATTER.size} (size); the first three share
   ${100 * FACTOR_SCATTER.sharedVariance}% of their variance (modelling choices).
4. **CT**: the hip phantom on the clinical grid (1 × 1 × 1.25 mm), with the 5-rod K2HPO4 calibration
   phantom under the patient (so \`calibration: phantom\` works), partial volume, blur, noise (seed
   in the spec).
5. **Truth**: strength = \`analyzeHip\` (sideways fall, ${extra.truths[0]?.strengthDefinition ?? "linear 2% volume criterion"}, Morgan 2003 law)
   on the generator's exact voxel-mean density with the truth femur label, at ${s.elementSizeMm} mm elements
   (the exact density is given as the "CT" with phantom calibration: its rods hold exactly their
   certified densities, so the fit is the identity, checked). aBMD = \`hipDxa\` (lib/dxa/hip.ts) on the
   exact density and the truth femur mask.
6. **DXA measurement**: true aBMD × (1 + CV × N(0,1)) with the DXA long-term precision CVs
   ${100 * DXA_PRECISION_CV.neck}% (femoral neck) and ${100 * DXA_PRECISION_CV.totalHip}% (total hip) (Cann et al. 2014 ✔), to 0.001 g/cm².
7. **Fall force**: spring-mass model F = sqrt(2 g · ${SPRING_MASS_FALL.hipHeightFraction} H) · sqrt(k · ${SPRING_MASS_FALL.effectiveMassFraction.toFixed(2)} W), k = ${SPRING_MASS_FALL.stiffnessNPerM / 1000} kN/m
   (Robinovitch 1991, van den Kroonenberg 1995; constants ◇; see lib/cohort/fall.ts for why not the
   simplified Riggs 2006 form). No soft-tissue attenuation.
8. **Outcome**: Φ = F / true strength (Keaveny & Bouxsein 2008 ✔); fracture ~ Bernoulli(p),
   p = 1 / (1 + exp(-(Φ - ${s.outcome.phi50}) / ${s.outcome.scale.toFixed(4)})). A modelling choice: the scale makes p go from
   0.2 to 0.8 across Φ50 ± 20% (the ±20% transition zone of Keaveny & Bouxsein 2008); Φ50 sits
   above 1 because the peak, unattenuated fall force and the conservative linear strength put Φ at
   two to three times its clinical values; it was chosen (after a pilot of the default cohort's
   subjects) to give an expected case fraction of about a third, a mix suited to a case-control
   analysis.

What the cohort does not model: fall risk (everyone falls once, sideways), soft-tissue thickness,
fall direction, the bias of a real scanner or segmentation, and periosteal expansion with age: the
phantom's aBMD falls almost as fast as its strength, whereas Keaveny et al. 2010 found lifetime
declines of 26% / 21% in FN aBMD against 55% / 39% in strength (women / men), so this cohort
understates how much better strength tracks the outcome than aBMD does. Strength, aBMD and outcome
are tied by construction through the phantom, so discrimination figures from it test the software,
not the clinical value of the method.
`;
}
