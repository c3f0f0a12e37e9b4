/**
 * One cohort subject through the hip pipeline: load its CT, run `analyzeHip` with the row's sex,
 * calibration and label map, and return a flat, JSON-serialisable result (one row of the results
 * table). A subject that cannot be analysed (missing scan, failed segmentation, ...) gives a result
 * with `status: "error"` and the error's message instead of throwing, so a batch goes on.
 *
 * The result columns come in blocks ({@link COLUMN_BLOCKS}): the hip analysis, then the fall load and
 * factor of risk. A new block of columns (say DXA-equivalent aBMD and T-scores) is one entry appended
 * to {@link COLUMN_BLOCKS}: its columns then appear in {@link SubjectOk}'s type, in every result and,
 * in that order, in the results table.
 *
 * @example
 * ```ts
 * import { analyzeSubject } from "bct/lib/cohort/subject";
 * const r = await analyzeSubject({ id: "S1", sex: "F", scan: "hip/ct.nii.gz", calibration: "phantom", heightCm: 165, weightKg: 60, input: {} }, "/study", { elementSize: 3 });
 * if (r.status === "ok") console.log(r.strengthN, r.classification, r.factorOfRisk);
 * else console.log(r.error);
 * ```
 * @module
 */
import { readFileSync } from "node:fs";
import type { PhantomDefinition } from "../calibration/phantom.js";
import { BctError } from "../errors.js";
import { readNifti } from "../io/nifti/index.js";
import { addResultProvenance, bctIdentity, canonicalJson, digestInput, ProvenanceError, sha256, shortId, type InputDigest, type InputSpec, type Provenance } from "../io/provenance.js";
import { datasetPath } from "../package-root.js";
import { analyzeHip, hipStrengthChoice, type CalibrationChoice, type HipAnalysisResult, type HipArtifacts, type HipStrengthChoice } from "../pipeline/hip.js";
import type { Sex, StrengthClass } from "../strength/classify.js";
import { factorOfRisk, fallForceN } from "./fall.js";
import { isSyntheticSpec, loadSubjectScan, resolveCohortPath, type SubjectScan } from "./scan-source.js";
import type { CohortRow } from "./table.js";

/** A value of a result column. */
export type ResultCell = number | string | null;

/** Options of {@link analyzeSubject} (JSON-serialisable: they travel to worker threads). */
export interface SubjectOptions {
  /** Element edge (mm). Default: `analyzeHip`'s (1.5 mm). */
  elementSize?: number;
  /**
   * The calibration phantom's certificate for rows with `calibration` "phantom". Default: for
   * synthetic subjects, the phantom their generator placed in the scan; for scans on disk, the
   * certificate of the phantom in bct's synthetic scans (`datasets/phantom/calibration-phantom.json`):
   * give your phantom's for real scans.
   */
  phantom?: PhantomDefinition;
  /**
   * Internal (phantomless) calibration: water displaced per unit K2HPO4. Default: the library's
   * (Mindways 0.2174) for scans on disk, 0 for synthetic subjects (their tissues sit in an ideal
   * water base, like the embedded phantoms).
   */
  waterDisplacement?: number;
  /**
   * The strength criterion. Default `analyzeHip`'s, the nonlinear peak: the cohort, the in-silico
   * truth and `bct analyze` report strength on one definition (`strengthDefinition` column).
   */
  strength?: HipStrengthChoice;
}

/** What a subject's result was computed from; a stored result is reused only when these match. */
export interface SubjectInputs {
  /** Absolute scan path. */
  scan: string;
  sex: Sex;
  calibration: "phantom" | "internal";
  /** The certificate used (phantom calibration): given, the embedded one, or "synthetic" (the synthetic scan's own). */
  phantom?: PhantomDefinition | "synthetic";
  /** Internal calibration's water displacement, when set. */
  waterDisplacement?: number;
  /** Absolute label-map path and label, when given. */
  labels?: string;
  label?: number;
  /** The requested element size, or "default". */
  elementSize: number | "default";
  /** The strength criterion (analyzeHip's default filled in), so results of another criterion are never reused. */
  strength: HipStrengthChoice;
  heightCm?: number;
  weightKg?: number;
}

/** What a block of result columns is computed from. */
export interface SubjectContext {
  row: CohortRow;
  scan: SubjectScan;
  hip: { result: HipAnalysisResult; artifacts: HipArtifacts };
}

/** A block of result columns: their names in table order and how to compute them for a subject. */
export interface ColumnBlock<V extends { [K in keyof V]: ResultCell }> {
  name: string;
  columns: readonly (keyof V & string)[];
  compute(ctx: SubjectContext): V | Promise<V>;
}

/** The hip analysis columns. */
export interface HipColumns {
  strengthN: number;
  stiffnessNPerMm: number;
  /** Null when the thresholds were derived for another strength definition. */
  classification: StrengthClass | null;
  elements: number;
  elementSizeMm: number;
  /** The strength's definition id (lib/strength/definition): criterion, model, law, strains, element size. */
  strengthDefinition: string;
  /** "phantom" or "internal" and the fit, e.g. "phantom: 0.12 + 0.63013 x HU". */
  calibrationFit: string;
  scanFormat: SubjectScan["format"];
  /** The scan reader's and the stages' warnings, joined with " | " ("" when none). */
  warnings: string;
}

const HIP_BLOCK: ColumnBlock<HipColumns> = {
  name: "hip",
  columns: ["strengthN", "stiffnessNPerMm", "classification", "elements", "elementSizeMm", "strengthDefinition", "calibrationFit", "scanFormat", "warnings"],
  compute: ({ scan, hip: { result } }) => ({
    strengthN: result.strengthN,
    stiffnessNPerMm: result.stiffnessNPerMm,
    classification: result.classification,
    elements: result.elements,
    elementSizeMm: result.elementSizeMm,
    strengthDefinition: result.strength.definition.id,
    calibrationFit: `${result.calibration.method}: ${result.calibration.intercept.toFixed(2)} + ${result.calibration.slope.toFixed(5)} x HU`,
    scanFormat: scan.format,
    warnings: [...scan.warnings.map((w) => `scan: ${w}`), ...result.warnings].join(" | "),
  }),
};

/** The fall-load columns; null when the row has no height or weight. */
export interface FallColumns {
  /** Peak sideways-fall force on the trochanter (N, rounded to 1 N), `fallForceN` of lib/cohort/fall. */
  fallForceN: number | null;
  /** Fall force / strength (3 decimals): above 1 the fall load exceeds the strength. */
  factorOfRisk: number | null;
}

const FALL_BLOCK: ColumnBlock<FallColumns> = {
  name: "fall",
  columns: ["fallForceN", "factorOfRisk"],
  compute: ({ row, hip: { result } }) => {
    if (row.heightCm === undefined || row.weightKg === undefined) return { fallForceN: null, factorOfRisk: null };
    const f = fallForceN(row.heightCm, row.weightKg);
    return { fallForceN: Math.round(f), factorOfRisk: Math.round(factorOfRisk(f, result.strengthN) * 1000) / 1000 };
  },
};

/** The DXA-equivalent columns (CT-derived hip aBMD, T-scores, WHO category) and the overall risk; null when DXA was not measured. */
export interface DxaColumns {
  neckABMD: number | null;
  totalHipABMD: number | null;
  tScoreNeck: number | null;
  tScoreTotalHip: number | null;
  whoCategory: string | null;
  overallRisk: string | null;
}

const DXA_BLOCK: ColumnBlock<DxaColumns> = {
  name: "dxa",
  columns: ["neckABMD", "totalHipABMD", "tScoreNeck", "tScoreTotalHip", "whoCategory", "overallRisk"],
  compute: ({ hip: { result } }) => {
    const d = result.dxa;
    return {
      neckABMD: d?.neckABMD ?? null, totalHipABMD: d?.totalHipABMD ?? null,
      tScoreNeck: d?.tScoreNeck ?? null, tScoreTotalHip: d?.tScoreTotalHip ?? null,
      whoCategory: d?.category ?? null, overallRisk: result.overallRisk ?? null,
    };
  },
};

/** The result column blocks, in table order. Append a block here to add its columns everywhere. */
export const COLUMN_BLOCKS = [HIP_BLOCK, DXA_BLOCK, FALL_BLOCK] as const;

type BlockValues<B> = B extends ColumnBlock<infer V> ? V : never;
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
/** All result columns of an analysed subject, from {@link COLUMN_BLOCKS}. */
export type SubjectColumns = UnionToIntersection<BlockValues<(typeof COLUMN_BLOCKS)[number]>>;

/** What every subject result has. */
interface SubjectBase {
  id: string;
  /** Wall-clock seconds for the subject (reading the scan included). */
  seconds: number;
  inputs: SubjectInputs;
  /** What produced the result: bct version and commit, input digests, options, definition, thresholds (lib/io/provenance). */
  provenance?: Provenance;
}

/** An analysed subject. */
export type SubjectOk = SubjectBase & { status: "ok" } & SubjectColumns;

/** A subject that could not be analysed. */
export interface SubjectFailed extends SubjectBase {
  status: "error";
  /** The error's message (what a user can act on). */
  error: string;
  /** The error's class (`ScanError`, `SegmentationError`, ..., `WorkerExit`). */
  errorName: string;
  /** The stack, for errors that are not bct's own (bugs). */
  stack?: string;
}

/** One subject's result: plain JSON. */
export type SubjectResult = SubjectOk | SubjectFailed;

/**
 * The provenance columns of a results row (from the subject's `provenance`): bct version and commit,
 * one SHA-256 over the input digests, the strength definition's id and the thresholds' id (or a
 * 12-digit hash), null where not recorded. The full record is in `subjects/<id>.json`.
 */
export const PROVENANCE_COLUMNS = ["bctVersion", "bctCommit", "inputsSha256", "strengthDefinition", "thresholds"] as const;

/** The result columns of the results table, in order: the status columns, then each block's, then {@link PROVENANCE_COLUMNS}. */
export const RESULT_COLUMNS: readonly string[] = ["status", "error", "seconds", ...COLUMN_BLOCKS.flatMap((b) => b.columns as readonly string[]), ...PROVENANCE_COLUMNS];

/**
 * The provenance columns of a subject result.
 * @example
 * ```ts
 * provenanceCells(result.provenance).bctVersion; // "0.1.0"
 * ```
 */
export function provenanceCells(p: Provenance | undefined): Record<(typeof PROVENANCE_COLUMNS)[number], ResultCell> {
  return {
    bctVersion: p?.bct.version ?? null,
    bctCommit: p?.bct.commit ?? null,
    inputsSha256: p ? sha256(canonicalJson(p.inputs.map((d) => ({ role: d.role, path: d.path, sha256: d.sha256 })))) : null,
    strengthDefinition: shortId(p?.strengthDefinition),
    thresholds: shortId(p?.thresholds),
  };
}

/**
 * What a subject's result will have been produced from, known before running it: the code identity,
 * the digests of its scan (every file of a DICOM folder, or the synthetic spec), label map and phantom
 * certificate, and the requested options. An input that cannot be read is recorded with an empty
 * digest (the run will fail on it; once it appears, the digest differs and the subject is recomputed).
 * @example
 * ```ts
 * subjectProvenance(subjectInputs(row, "/study", { elementSize: 3 }), { elementSize: 3 }).inputs[0].role; // "scan"
 * ```
 */
export function subjectProvenance(inputs: SubjectInputs, opts: SubjectOptions = {}): Provenance {
  const specs: InputSpec[] = [{ role: "scan", path: inputs.scan }];
  if (inputs.labels !== undefined) specs.push({ role: "label map", path: inputs.labels });
  if (inputs.phantom && inputs.phantom !== "synthetic") {
    specs.push(opts.phantom ? { role: "phantom certificate", data: opts.phantom } : { role: "phantom certificate", path: datasetPath("phantom", "calibration-phantom.json") });
  }
  const { scan: _s, labels: _l, phantom, ...rest } = inputs;
  const options: Record<string, unknown> = { ...rest, phantom: phantom === undefined ? undefined : phantom === "synthetic" ? "synthetic" : opts.phantom ? "given" : "embedded" };
  return { bct: bctIdentity(), inputs: specs.map(digestOrAbsent), options: JSON.parse(canonicalJson(options)) as Record<string, unknown> };
}

function digestOrAbsent(spec: InputSpec): InputDigest {
  try {
    return digestInput(spec);
  } catch (e) {
    if (!(e instanceof ProvenanceError) || "data" in spec) throw e;
    return { role: spec.role, path: spec.path, sha256: "", bytes: 0, files: 0 };
  }
}

/** The options the hip analysis resolved (defaults filled in), read back from its result. */
function resolvedOptions(r: HipAnalysisResult): Record<string, unknown> {
  return {
    elementSizeMm: r.elementSizeMm, modulusLaw: r.materials.law, poisson: r.materials.poisson, loadCase: r.loadCase,
    criterion: r.strength.criterion, nonlinear: r.strength.nonlinearN !== undefined, dxa: r.dxa !== undefined,
  };
}

let defaultPhantom: PhantomDefinition | undefined;
/** The certificate of the phantom in bct's synthetic scans. */
function embeddedPhantom(): PhantomDefinition {
  defaultPhantom ??= JSON.parse(readFileSync(datasetPath("phantom", "calibration-phantom.json"), "utf8")) as PhantomDefinition;
  return defaultPhantom;
}

/**
 * The inputs a subject's result depends on (row and options), as recorded in its result.
 * @example
 * ```ts
 * subjectInputs(row, "/study", { elementSize: 3 }).scan; // "/study/S1/ct.nii.gz"
 * ```
 */
export function subjectInputs(row: CohortRow, baseDir: string, opts: SubjectOptions = {}): SubjectInputs {
  const scan = resolveCohortPath(row.scan, baseDir);
  const water = opts.waterDisplacement ?? (isSyntheticSpec(scan) ? 0 : undefined);
  const inputs: SubjectInputs = {
    scan, sex: row.sex, calibration: row.calibration,
    phantom: row.calibration === "phantom" ? (opts.phantom ?? (isSyntheticSpec(scan) ? "synthetic" : embeddedPhantom())) : undefined,
    waterDisplacement: row.calibration === "internal" ? water : undefined,
    labels: row.labels !== undefined ? resolveCohortPath(row.labels, baseDir) : undefined,
    label: row.label,
    elementSize: opts.elementSize ?? "default",
    strength: hipStrengthChoice({ strength: opts.strength }),
    heightCm: row.heightCm, weightKg: row.weightKg,
  };
  for (const k of Object.keys(inputs) as (keyof SubjectInputs)[]) if (inputs[k] === undefined) delete inputs[k];
  return inputs;
}

/**
 * Analyse one cohort subject (hip, sideways fall, the strength of `bct analyze`: nonlinear peak by default). Never throws for a problem with
 * the subject: it comes back as `{ status: "error", error, errorName }`.
 * @param row the subject's row of a cohort table
 * @param baseDir the folder relative paths in the row are relative to
 * @example
 * ```ts
 * const r = await analyzeSubject(cohort.rows[0], cohort.baseDir, { elementSize: 3 });
 * r.status === "ok" ? r.strengthN : r.error;
 * ```
 */
export async function analyzeSubject(row: CohortRow, baseDir: string, opts: SubjectOptions = {}): Promise<SubjectResult> {
  const t0 = performance.now();
  const seconds = () => Math.round((performance.now() - t0) / 10) / 100;
  let inputs: SubjectInputs = { scan: row.scan, sex: row.sex, calibration: row.calibration, elementSize: opts.elementSize ?? "default", strength: hipStrengthChoice({ strength: opts.strength }) };
  try {
    inputs = subjectInputs(row, baseDir, opts);
    const scan = await loadSubjectScan(row, baseDir);
    let calibration: CalibrationChoice = { kind: "internal", waterDisplacement: inputs.waterDisplacement };
    if (inputs.phantom === "synthetic") {
      if (!scan.certificate) throw new BctError(`${scan.source}: the synthetic scan does not describe its calibration phantom; give a certificate (phantom option)`);
      calibration = { kind: "phantom", phantom: scan.certificate };
    } else if (inputs.phantom) calibration = { kind: "phantom", phantom: inputs.phantom };
    const labels = inputs.labels !== undefined ? { map: readNifti(inputs.labels).volume, label: inputs.label! } : undefined;
    const hip = analyzeHip(scan.ct, { sex: row.sex, calibration, elementSize: opts.elementSize, labels, strength: inputs.strength });
    const provenance = addResultProvenance(subjectProvenance(inputs, opts), hip.result);
    provenance.resolved = resolvedOptions(hip.result);
    const ctx: SubjectContext = { row, scan, hip };
    const columns: Record<string, ResultCell> = {};
    for (const block of COLUMN_BLOCKS as unknown as readonly ColumnBlock<Record<string, ResultCell>>[]) {
      const values = await block.compute(ctx);
      const keys = Object.keys(values);
      if (keys.length !== block.columns.length || block.columns.some((c) => !(c in values))) {
        throw new Error(`column block "${block.name}" gave columns ${keys.join(", ")} but declares ${block.columns.join(", ")}`);
      }
      for (const c of block.columns) columns[c] = values[c];
    }
    return { id: row.id, status: "ok", seconds: seconds(), ...(columns as unknown as SubjectColumns), inputs, provenance };
  } catch (e) {
    const failed = failedSubject(row.id, e, seconds(), inputs);
    try {
      failed.provenance = subjectProvenance(inputs, opts);
    } catch {
      // the inputs themselves were invalid (e.g. a bad row): nothing to digest
    }
    return failed;
  }
}

/**
 * The result of a subject that failed with `e`.
 * @example
 * ```ts
 * failedSubject("S1", new ScanError("no such file"), 0.1, inputs).error; // "no such file"
 * ```
 */
export function failedSubject(id: string, e: unknown, seconds: number, inputs: SubjectInputs): SubjectFailed {
  const err = e instanceof Error ? e : new Error(String(e));
  const r: SubjectFailed = { id, status: "error", error: err.message, errorName: err.name, seconds, inputs };
  if (!(err instanceof BctError) && err.stack) r.stack = err.stack;
  return r;
}

/** The message a worker thread receives for one subject. */
export interface SubjectTask {
  row: CohortRow;
  baseDir: string;
  options: SubjectOptions;
}

/**
 * The worker-thread entry of the cohort runner: {@link analyzeSubject} on one message.
 * @example
 * ```ts
 * await subjectTask({ row, baseDir: "/study", options: { elementSize: 3 } });
 * ```
 */
export function subjectTask(task: SubjectTask): Promise<SubjectResult> {
  return analyzeSubject(task.row, task.baseDir, task.options);
}
