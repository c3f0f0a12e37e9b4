/**
 * `bct info <scan> [--json] [--series UID]`: what a scan is. Geometry (dims, spacing, origin,
 * direction in LPS), HU range and mean, and for DICOM the series chosen and why.
 *
 * With `--json`, stdout holds exactly `{ dims, spacing, origin, direction, min, max, mean }`
 * (direction: 9 numbers, row-major 3x3, columns are the i, j, k axes in LPS); notes and warnings go
 * to stderr so the JSON stays machine-readable.
 * @module
 */
import { readScan, type ScanResult } from "../io/scan.js";
import { volumeStats } from "../volume/stats.js";
import { parseArgs, UsageError, formatOptions, type OptionSpec } from "./args.js";
import type { Command } from "./main.js";

const OPTIONS: Record<string, OptionSpec> = {
  json: { type: "flag", description: "print the geometry and HU statistics as JSON" },
  series: { type: "string", description: "DICOM SeriesInstanceUID to read when a folder holds several" },
};

/** The `--json` record of `bct info`. */
export interface ScanInfoJson {
  dims: number[];
  spacing: number[];
  origin: number[];
  direction: number[];
  min: number;
  max: number;
  mean: number;
}

/** The `--json` record for a scan. */
export function scanInfoJson(scan: ScanResult): ScanInfoJson {
  const v = scan.volume;
  const st = volumeStats(v);
  return {
    dims: [...v.dims],
    spacing: [...v.spacing],
    origin: [...v.origin],
    direction: [...v.direction],
    min: st.min,
    max: st.max,
    mean: st.mean,
  };
}

const fmt = (xs: number[], digits = 4) => xs.map((x) => +x.toFixed(digits)).join(", ");

/** The human-readable description of a scan. */
export function describeScan(scan: ScanResult): string {
  const j = scanInfoJson(scan);
  const d = j.direction;
  const lines = [
    `format     ${scan.format}${scan.modality ? ` (${scan.modality})` : ""}`,
    `dims       ${j.dims.join(" x ")} voxels`,
    `spacing    ${fmt(j.spacing)} mm`,
    `origin     ${fmt(j.origin, 3)} mm (LPS, centre of voxel 0,0,0)`,
    `direction  i = (${fmt([d[0], d[3], d[6]], 5)})  j = (${fmt([d[1], d[4], d[7]], 5)})  k = (${fmt([d[2], d[5], d[8]], 5)})  (LPS)`,
    `values     min ${j.min}  max ${j.max}  mean ${j.mean.toFixed(2)}${scan.format === "dicom" || scan.modality === "CT" ? " HU" : ""}`,
  ];
  if (scan.series) {
    const s = scan.series;
    lines.push(
      `series     ${s.seriesInstanceUid}${s.seriesDescription ? ` "${s.seriesDescription}"` : ""}, ${s.sliceCount} slices, ${s.transferSyntaxName}`,
      `chosen     ${s.chosenBecause}`,
    );
  }
  if (scan.nifti) {
    const n = scan.nifti;
    lines.push(`nifti      NIfTI-${n.version}, ${n.datatypeName}, affine from ${n.affineSource} (sform ${n.sformCode}, qform ${n.qformCode}), scl ${n.sclSlope}/${n.sclInter}`);
  }
  return lines.join("\n");
}

export const infoCommand: Command = {
  summary: "Describe a CT scan (DICOM folder/file or NIfTI): geometry in LPS, HU statistics, series.",
  usage: `bct info <scan> [--json] [--series UID]\n${formatOptions(OPTIONS)}`,
  async run(argv, io) {
    const { positionals, options } = parseArgs(argv, OPTIONS);
    if (positionals.length !== 1) throw new UsageError("give exactly one scan: a DICOM folder or file, or a .nii/.nii.gz");
    const scan = await readScan(positionals[0], { seriesUid: options.series as string | undefined });
    for (const w of scan.warnings) io.err(`warning: ${w}`);
    if (options.json) {
      if (scan.series && scan.series.candidates.length > 1) io.err(`note: ${scan.series.chosenBecause}`);
      io.out(JSON.stringify(scanInfoJson(scan)));
    } else {
      io.out(describeScan(scan));
    }
    return 0;
  },
};
