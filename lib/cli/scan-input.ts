/**
 * The scan and calibration options that `bct analyze` and `bct dxa` share: which scan (or the
 * embedded phantom), which sex, and how to calibrate; read and checked in one place.
 * @module
 */
import { readFileSync } from "node:fs";
import type { PhantomDefinition } from "../calibration/phantom.js";
import { readNifti } from "../io/nifti/index.js";
import { readScan, type ScanResult } from "../io/scan.js";
import { datasetPath } from "../package-root.js";
import type { PipelineProgress } from "../pipeline/progress.js";
import type { CalibrationChoice } from "../pipeline/stages.js";
import type { Sex } from "../strength/classify.js";
import type { Volume } from "../volume/volume.js";
import { UsageError, type OptionSpec, type ParsedArgs } from "./args.js";
import type { CliIO } from "./main.js";

/** The shared options. */
export const SCAN_OPTIONS: Record<string, OptionSpec> = {
  site: { type: "string", description: "hip (default) or spine" },
  sex: { type: "string", description: "F or M (default F)" },
  calibration: { type: "string", description: "phantom (default with --phantom or the embedded scan) or internal" },
  phantom: { type: "string", description: "calibration phantom certificate (JSON: measure, rodDiameter, rodSpacing, rods[{name, density}])" },
  "water-displacement": { type: "number", description: "internal calibration: water displaced per unit K2HPO4 (default 0.2174, Mindways; 0 on the embedded phantoms, whose base is ideal water)" },
  labels: { type: "string", description: "label map (NIfTI) holding the bone(s), instead of automatic segmentation" },
  series: { type: "string", description: "DICOM SeriesInstanceUID when a folder holds several" },
};

/** The scan, sex and calibration a command runs on. */
export interface ScanInput {
  site: "hip" | "spine";
  sex: Sex;
  embedded: boolean;
  scanPath: string;
  scan: ScanResult;
  calibration: CalibrationChoice;
  labelMap?: Volume;
}

/** Check the shared options (usage errors first, before anything is read). */
export function checkScanOptions(positionals: string[], options: ParsedArgs["options"]): { site: "hip" | "spine"; sex: Sex; embedded: boolean; scanPath: string; phantomFile?: string; calKind: "phantom" | "internal" } {
  if (positionals.length > 1) throw new UsageError("give at most one scan");
  const site = (options.site as string | undefined) ?? "hip";
  if (site !== "hip" && site !== "spine") throw new UsageError(`--site must be hip or spine, got "${site}"`);
  const sex = ((options.sex as string | undefined) ?? "F").toUpperCase();
  if (sex !== "F" && sex !== "M") throw new UsageError(`--sex must be F or M, got "${options.sex}"`);
  const embedded = positionals.length === 0;
  const scanPath = embedded ? datasetPath("phantom", site, "dicom") : positionals[0];
  const phantomFile = (options.phantom as string | undefined) ?? (embedded ? datasetPath("phantom", "calibration-phantom.json") : undefined);
  const calKind = (options.calibration as string | undefined) ?? (phantomFile ? "phantom" : "internal");
  if (calKind !== "phantom" && calKind !== "internal") throw new UsageError(`--calibration must be phantom or internal, got "${calKind}"`);
  if (calKind === "phantom" && !phantomFile) throw new UsageError("--calibration phantom needs --phantom FILE (the phantom's certificate)");
  return { site, sex, embedded, scanPath, phantomFile, calKind };
}

/** Read the scan, the phantom certificate and the label map the checked options name. */
export async function readScanInput(checked: ReturnType<typeof checkScanOptions>, options: ParsedArgs["options"], io: CliIO): Promise<ScanInput> {
  const { site, sex, embedded, scanPath, phantomFile, calKind } = checked;
  if (embedded) io.err(`note: no scan given: using the embedded ${site} phantom ${scanPath}`);
  const scan = await readScan(scanPath, { seriesUid: options.series as string | undefined });
  for (const w of scan.warnings) io.err(`warning: ${w}`);
  const phantom = calKind === "phantom" ? (readJson(phantomFile!) as PhantomDefinition) : undefined;
  let waterDisplacement = options["water-displacement"] as number | undefined;
  if (!phantom && embedded && waterDisplacement === undefined) {
    waterDisplacement = 0;
    io.err("note: internal calibration on the embedded phantom uses water displacement 0 (its rods and tissues sit in an ideal water base)");
  }
  const calibration: CalibrationChoice = phantom ? { kind: "phantom", phantom } : { kind: "internal", waterDisplacement };
  const labelMap = options.labels ? readNifti(options.labels as string).volume : undefined;
  return { site, sex, embedded, scanPath, scan, calibration, labelMap };
}

/** Read a JSON file, as a usage error when it cannot be read. */
export function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new UsageError(`cannot read ${path} as JSON: ${(e as Error).message}`);
  }
}

/** Pipeline progress as `[  elapsed s] stage: message` lines on stderr (stage ends and updates). */
export function progressLine(io: CliIO): (p: PipelineProgress) => void {
  return (p) => {
    if (p.phase !== "start") io.err(`[${p.elapsed.toFixed(1).padStart(5)} s] ${p.stage}: ${p.message}`);
  };
}
