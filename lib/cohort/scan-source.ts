/**
 * Where a cohort subject's CT comes from: a file or folder on disk (DICOM or NIfTI, through
 * `readScan`), or a synthetic subject spec (`*.phantom.json`) that the phantom generator turns into a
 * scan, deterministically, on the fly (`lib/synthetic/subject.ts`, loaded only when needed).
 *
 * @example
 * ```ts
 * import { loadSubjectScan } from "bct/lib/cohort/scan-source";
 * const scan = await loadSubjectScan({ scan: "S001/ct.nii.gz" }, "/study");
 * scan.ct.dims; scan.format; // "nifti"
 * ```
 * @module
 */
import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { readScan, ScanError } from "../io/scan.js";
import type { PhantomDefinition } from "../calibration/phantom.js";
import type { Volume } from "../volume/volume.js";
import type { CohortRow } from "./table.js";

/** A subject's CT, loaded. */
export interface SubjectScan {
  /** The CT in HU. */
  ct: Volume;
  format: "dicom" | "nifti" | "synthetic";
  /** The absolute path read. */
  source: string;
  warnings: string[];
  /**
   * Synthetic subjects: the certificate of the calibration phantom the generator put in the scan
   * (its rods' K2HPO4 densities and geometry), so phantom calibration needs no certificate file.
   */
  certificate?: PhantomDefinition;
}

/** The suffix of a synthetic subject spec. */
export const SYNTHETIC_SPEC_SUFFIX = ".phantom.json";

/**
 * The synthetic-subject module (lib/synthetic/subject.ts), imported by a computed specifier so this
 * module does not depend on it at build time and non-synthetic cohorts never load the generator.
 */
const SYNTHETIC_SUBJECT_MODULE = "../synthetic/subject.js";

/** What this module uses of the synthetic-subject module. */
interface SyntheticSubjectModule {
  readSubjectSpec(path: string): unknown;
  generateSubjectScan(spec: unknown): SyntheticScanLike | Promise<SyntheticScanLike>;
}

/** What this module uses of a generated scan (lib/synthetic HipScan). */
interface SyntheticScanLike {
  ct: Volume;
  phantom?: { params?: { calibration?: { rodRadius: number; rodSpacing: number; rods: { name: string; density: number }[] } } };
}

/**
 * A path of the cohort table made absolute: absolute paths are kept, relative ones are relative to
 * the table's folder.
 * @example
 * ```ts
 * resolveCohortPath("S1/ct.nii.gz", "/study"); // "/study/S1/ct.nii.gz"
 * ```
 */
export function resolveCohortPath(path: string, baseDir: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/**
 * True when `path` names a synthetic subject spec.
 * @example
 * ```ts
 * isSyntheticSpec("s1.phantom.json"); // true
 * ```
 */
export function isSyntheticSpec(path: string): boolean {
  return path.toLowerCase().endsWith(SYNTHETIC_SPEC_SUFFIX);
}

/**
 * Load a subject's CT (HU): DICOM folder or file and NIfTI through `readScan`, a `*.phantom.json`
 * spec through the synthetic-subject generator.
 * @throws ScanError when the path does not exist or is not a scan; the reader's own error (DicomError,
 *   NiftiError, the generator's) for a problem inside the file.
 * @example
 * ```ts
 * const { ct } = await loadSubjectScan({ scan: "/data/hip/dicom" }, "/study");
 * ```
 */
export async function loadSubjectScan(row: Pick<CohortRow, "scan">, baseDir: string): Promise<SubjectScan> {
  const path = resolveCohortPath(row.scan, baseDir);
  if (isSyntheticSpec(path)) {
    if (!existsSync(path)) throw new ScanError(`no such synthetic subject spec: ${path}`);
    let mod: SyntheticSubjectModule;
    try {
      mod = (await import(SYNTHETIC_SUBJECT_MODULE)) as SyntheticSubjectModule;
    } catch (e) {
      throw new ScanError(`${path} is a synthetic subject spec, but the synthetic-subject generator (lib/synthetic/subject) cannot be loaded: ${(e as Error).message}`);
    }
    const spec = mod.readSubjectSpec(path);
    const scan = await mod.generateSubjectScan(spec);
    const cal = scan.phantom?.params?.calibration;
    const certificate: PhantomDefinition | undefined = cal && {
      name: "the synthetic subject's calibration phantom (K2HPO4 rods, from its spec)",
      measure: "rhoK",
      waterDisplacement: 0, // the generator's rods sit in an ideal water-equivalent base
      rodDiameter: 2 * cal.rodRadius,
      rodSpacing: cal.rodSpacing,
      rods: cal.rods.map((r) => ({ name: r.name, density: r.density })),
    };
    return { ct: scan.ct, format: "synthetic", source: path, warnings: [], certificate };
  }
  const scan = await readScan(path);
  return { ct: scan.volume, format: scan.format, source: path, warnings: scan.warnings };
}
