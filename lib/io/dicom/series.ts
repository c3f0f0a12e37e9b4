/**
 * Grouping instances into series and choosing the series to read.
 * @module
 */
import { DicomError } from "./errors.js";
import type { InstanceHeader } from "./header.js";

/** One series found in the input. */
export interface SeriesGroup {
  seriesInstanceUid: string;
  modality?: string;
  description?: string;
  /** Number of image frames (slices) over all its instances. */
  sliceCount: number;
  instances: InstanceHeader[];
}

/** A series as listed to the user. */
export interface SeriesCandidate {
  seriesInstanceUid: string;
  modality?: string;
  sliceCount: number;
  description?: string;
}

/** The series chosen and why. */
export interface SeriesChoice {
  series: SeriesGroup;
  chosenBecause: string;
  candidates: SeriesCandidate[];
  warnings: string[];
}

/** Shown for instances without a SeriesInstanceUID. */
export const MISSING_SERIES_UID = "(no SeriesInstanceUID)";

/**
 * Group image instances by SeriesInstanceUID, in order of first appearance.
 * @example
 * ```ts
 * const groups = groupSeries(headers); // [{ seriesInstanceUid, sliceCount, instances }, ...]
 * ```
 */
export function groupSeries(instances: InstanceHeader[]): SeriesGroup[] {
  const byUid = new Map<string, SeriesGroup>();
  for (const inst of instances) {
    const uid = inst.seriesInstanceUid ?? MISSING_SERIES_UID;
    let g = byUid.get(uid);
    if (!g) {
      g = { seriesInstanceUid: uid, modality: inst.modality, description: inst.seriesDescription, sliceCount: 0, instances: [] };
      byUid.set(uid, g);
    }
    g.instances.push(inst);
    g.sliceCount += inst.numberOfFrames;
    g.modality ??= inst.modality;
    g.description ??= inst.seriesDescription;
  }
  return [...byUid.values()];
}

/** One line describing a series: `UID (CT, 20 slices, "description")`. */
export function describeSeries(s: SeriesCandidate): string {
  const parts = [s.modality ?? "modality unknown", `${s.sliceCount} slice${s.sliceCount === 1 ? "" : "s"}`];
  if (s.description) parts.push(JSON.stringify(s.description));
  return `${s.seriesInstanceUid} (${parts.join(", ")})`;
}

/**
 * Choose the series to read: `seriesUid` when given, else the CT series with the most slices
 * (any modality when there is no CT).
 * @throws DicomError when `seriesUid` is not among the series found (the message lists them).
 */
export function chooseSeries(groups: SeriesGroup[], seriesUid: string | undefined, inputName: string): SeriesChoice {
  if (groups.length === 0) throw new DicomError(`no DICOM image series found in ${inputName}`);
  const candidates: SeriesCandidate[] = groups.map((g) => ({
    seriesInstanceUid: g.seriesInstanceUid,
    modality: g.modality,
    sliceCount: g.sliceCount,
    description: g.description,
  }));
  const warnings: string[] = [];
  const list = candidates.map(describeSeries).join("; ");
  if (seriesUid !== undefined) {
    const g = groups.find((x) => x.seriesInstanceUid === seriesUid);
    if (!g) throw new DicomError(`series ${seriesUid} is not in ${inputName}; the series found are: ${list}`);
    return { series: g, chosenBecause: "selected explicitly (seriesUid option)", candidates, warnings };
  }
  const ct = groups.filter((g) => g.modality?.toUpperCase() === "CT");
  const pool = ct.length ? ct : groups;
  let best = pool[0];
  for (const g of pool) if (g.sliceCount > best.sliceCount) best = g;
  let chosenBecause: string;
  if (groups.length === 1) {
    chosenBecause = "the only image series in the input";
  } else if (ct.length) {
    chosenBecause = `the CT series with the most slices (${best.sliceCount}) of the ${groups.length} series in the input`;
  } else {
    chosenBecause = `no CT series in the input; the series with the most slices (${best.sliceCount}) of ${groups.length}`;
  }
  if (!ct.length) warnings.push(`no CT series found; reading ${best.modality ?? "a"} series ${best.seriesInstanceUid}: values may not be HU`);
  if (groups.length > 1) {
    warnings.push(
      `${inputName} holds ${groups.length} series; read ${describeSeries(candidates[groups.indexOf(best)])}, ${chosenBecause}. ` +
        `Pass seriesUid to choose another: ${list}`,
    );
  }
  return { series: best, chosenBecause, candidates, warnings };
}
