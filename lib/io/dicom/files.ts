/**
 * Listing the files of a DICOM input: a folder (searched recursively) or an explicit file list.
 * @module
 */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { DicomError } from "./errors.js";

/** The files to read and whether the user named them one by one. */
export interface DicomInputFiles {
  paths: string[];
  /** True for an explicit file list (or a single file): a non-DICOM file is then an error, not skipped. */
  explicit: boolean;
  /** The folder searched, when the input was one. */
  folder?: string;
}

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith(".")) continue; // .DS_Store, ._AppleDouble files, hidden folders
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p, out);
    else if (e.isFile()) out.push(p);
    else if (e.isSymbolicLink()) {
      const s = await stat(p).catch(() => undefined);
      if (s?.isFile()) out.push(p);
      else if (s?.isDirectory()) await walk(p, out);
    }
  }
}

/**
 * Resolve the input of {@link readDicomSeries} into files.
 * @throws DicomError when a path does not exist or a folder holds no files.
 */
export async function listDicomInput(input: string | string[]): Promise<DicomInputFiles> {
  const list = Array.isArray(input) ? input : [input];
  if (list.length === 0) throw new DicomError("no DICOM input given (an empty file list)");
  if (!Array.isArray(input)) {
    const s = await stat(input).catch(() => undefined);
    if (!s) throw new DicomError(`${input} does not exist`);
    if (s.isDirectory()) {
      const paths: string[] = [];
      await walk(input, paths);
      if (paths.length === 0) throw new DicomError(`folder ${input} is empty: no DICOM files found`);
      return { paths, explicit: false, folder: input };
    }
  }
  for (const p of list) {
    const s = await stat(p).catch(() => undefined);
    if (!s) throw new DicomError(`${p} does not exist`);
    if (!s.isFile()) throw new DicomError(`${p} is not a file (give a folder on its own, or a list of files)`);
  }
  return { paths: [...list], explicit: true };
}
