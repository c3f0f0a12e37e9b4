/**
 * Writing a generated scan as a dataset folder: `dicom/` (CT series), `ct.nii.gz` (int16 HU),
 * `density.nii.gz` (float32, mg/cm3 K2HPO4), `labels.nii.gz` and `tissues.nii.gz` (uint8) and
 * `truth.json`. Study and series UIDs are derived from the generator version, the scan kind and
 * the seed, so regenerating gives the same UIDs.
 * @module
 */
import { createHash } from "node:crypto";
import { mkdir, readdir, stat, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeDicomSeries } from "../io/dicom/index.js";
import { writeNifti } from "../io/nifti/index.js";
import type { HipScan } from "./hip-scan.js";
import { GENERATOR_VERSION } from "./scan.js";
import type { SpineScan } from "./spine-scan.js";

/**
 * A deterministic DICOM UID ("2.25." + the first 128 bits of a SHA-256, as a decimal integer) for
 * the phantom `kind`, the object `what` ("study", "series") and `seed`.
 * @example
 * ```ts
 * phantomUid("hip", "series", 1) === phantomUid("hip", "series", 1); // true
 * ```
 */
export function phantomUid(kind: string, what: string, seed: number): string {
  const h = createHash("sha256").update(`bct synthetic phantom/${GENERATOR_VERSION}/${kind}/${what}/seed=${seed}`).digest();
  return `2.25.${BigInt(`0x${h.subarray(0, 16).toString("hex")}`).toString()}`;
}

/** What each file of a dataset folder holds (recorded in truth.json). */
export const DATASET_FILES = {
  "dicom/": "the CT as a DICOM series (CT Image Storage, explicit VR little endian, int16, HU = stored value)",
  "ct.nii.gz": "the same CT as NIfTI-1, int16 HU",
  "density.nii.gz": "ground-truth voxel-mean K2HPO4-equivalent density, float32 mg/cm3",
  "labels.nii.gz": "ground-truth structure labels at voxel centres, uint8 (see labels)",
  "tissues.nii.gz": "ground-truth tissue class at voxel centres, uint8 (see tissues)",
  "truth.json": "this file",
} as const;

/** A written file and its size. */
export interface WrittenFile {
  path: string;
  bytes: number;
}

/**
 * Write `scan` into `dir` (created if needed; earlier `dicom/IM*.dcm` files there are replaced).
 * @example
 * ```ts
 * await writeScanDataset(generateSpineScan({ seed: 1 }), "datasets/phantom/spine");
 * ```
 * @returns the files written with their sizes.
 */
export async function writeScanDataset(scan: HipScan | SpineScan, dir: string): Promise<WrittenFile[]> {
  const dicomDir = join(dir, "dicom");
  await mkdir(dicomDir, { recursive: true });
  for (const name of await readdir(dicomDir)) {
    if (/^IM\d+\.dcm$/.test(name)) await unlink(join(dicomDir, name));
  }
  const label = `bct synthetic ${scan.kind} CT, seed ${scan.seed}, generator ${GENERATOR_VERSION}`;
  const dicomFiles = await writeDicomSeries(scan.ct, dicomDir, {
    seriesDescription: label,
    patientName: `BCT^PHANTOM ${scan.kind.toUpperCase()}`,
    patientId: `BCT-PHANTOM-${scan.kind.toUpperCase()}`,
    studyInstanceUid: phantomUid(scan.kind, "study", scan.seed),
    seriesInstanceUid: phantomUid(scan.kind, "series", scan.seed),
    frameOfReferenceUid: phantomUid(scan.kind, "frame-of-reference", scan.seed),
    // A fixed date: regenerating gives byte-identical files.
    studyDateTime: { date: "20260101", time: "000000" },
    rescaleSlope: 1,
    rescaleIntercept: 0,
    sliceThickness: scan.grid.spacing[2],
  });
  const paths = [...dicomFiles];
  const nifti = (name: string, v: Parameters<typeof writeNifti>[0], datatype: "int16" | "float32" | "uint8", intent: string) => {
    const path = join(dir, name);
    writeNifti(v, path, { datatype, description: label, intent });
    paths.push(path);
  };
  nifti("ct.nii.gz", scan.ct, "int16", "HU");
  nifti("density.nii.gz", scan.density, "float32", "mg/cm3 K2HPO4");
  nifti("labels.nii.gz", scan.labels, "uint8", "labels");
  nifti("tissues.nii.gz", scan.tissues, "uint8", "tissues");
  const truth = {
    ...scan.truth,
    files: DATASET_FILES,
    dicom: {
      studyInstanceUid: phantomUid(scan.kind, "study", scan.seed),
      seriesInstanceUid: phantomUid(scan.kind, "series", scan.seed),
      slices: dicomFiles.length,
      note: "SOP instance and frame-of-reference UIDs and the study date are set by the DICOM writer and change on every run",
    },
  };
  const truthPath = join(dir, "truth.json");
  await writeFile(truthPath, JSON.stringify(truth, null, 2) + "\n");
  paths.push(truthPath);
  return Promise.all(paths.map(async (path) => ({ path, bytes: (await stat(path)).size })));
}
