/**
 * Reading a DICOM CT series into a HU volume.
 * @module
 */
import { open, readFile } from "node:fs/promises";
import { createVolume, type Volume } from "../../volume/volume.js";
import { decodeFrame, type FrameFormat } from "./codecs.js";
import { parseAttributes } from "./dataset.js";
import { DicomError } from "./errors.js";
import { stackSlices, sliceName, type Slice } from "./geometry.js";
import { instanceHeader, type InstanceHeader } from "./header.js";
import { listDicomInput } from "./files.js";
import { encapsulatedFrames, walkDataset } from "./pixel-data.js";
import { looksLikeDicom, notDicomError, part10Layout, wrapDatasetAsPart10 } from "./part10.js";
import { chooseSeries, groupSeries } from "./series.js";
import {
  EXPLICIT_VR_BIG_ENDIAN,
  EXPLICIT_VR_LITTLE_ENDIAN,
  isEncapsulated,
  isExplicitVr,
  transferSyntax,
  type TransferSyntax,
} from "./transfer-syntax.js";
import { HuWriter } from "./values.js";

/** Options of {@link readDicomSeries}. */
export interface DicomReadOptions {
  /** Read this SeriesInstanceUID; by default the CT series with the most slices is read. */
  seriesUid?: string;
}

/** What was read, for reports and for the CLI to say which series it chose and why. */
export interface DicomSeriesInfo {
  seriesInstanceUid: string;
  seriesDescription?: string;
  modality?: string;
  transferSyntaxUid: string;
  transferSyntaxName: string;
  /** Number of slices (frames) in the volume. */
  sliceCount: number;
  manufacturer?: string;
  /** RescaleSlope of the first slice (1 when absent). */
  rescaleSlope: number;
  /** RescaleIntercept of the first slice (0 when absent). */
  rescaleIntercept: number;
  /** SliceThickness (mm) of the first slice, when given. */
  sliceThickness?: number;
  /** All series found in the input, with their slice counts and modality, so the CLI can say which one it chose and why. */
  candidates: { seriesInstanceUid: string; modality?: string; sliceCount: number; description?: string }[];
  /** Why this series was read (explicit choice, the only one, or the CT series with the most slices). */
  chosenBecause: string;
}

/** The volume read and how. */
export interface DicomSeriesResult {
  /**
   * HU values (`stored * RescaleSlope + RescaleIntercept`) with the series' LPS geometry. The data
   * is an `Int16Array` when every slice's slope and intercept are integers and every value fits in
   * int16, otherwise a `Float32Array`.
   */
  volume: Volume;
  series: DicomSeriesInfo;
  /** Things the user should know that did not stop the reading (skipped files, lossy compression, ...). */
  warnings: string[];
}

function dcmjsSyntax(uid: string, ts: TransferSyntax): string {
  if (ts.deflated) return EXPLICIT_VR_LITTLE_ENDIAN; // inflated by part10Layout
  return uid;
}

/** A file's data set (inflated when deflated), its transfer syntax and where its pixel data lies. */
function layoutAndWalk(bytes: Uint8Array, path: string) {
  const layout = part10Layout(bytes, path);
  const uid = layout.transferSyntaxUid;
  const ts = transferSyntax(uid);
  const explicit = ts.deflated ? true : isExplicitVr(uid);
  const walk = walkDataset(layout.dataset, explicit, uid !== EXPLICIT_VR_BIG_ENDIAN, path);
  return { layout, ts, walk };
}

/** The header of one file: its attributes up to the pixel data, parsed by dcmjs. */
function readHeader(bytes: Uint8Array, path: string, notes: Set<string>): InstanceHeader {
  const { layout, ts, walk } = layoutAndWalk(bytes, path);
  const part10 = wrapDatasetAsPart10(layout.dataset.subarray(0, walk.headerEnd), dcmjsSyntax(layout.transferSyntaxUid, ts));
  const ds = parseAttributes(part10, path, notes);
  return instanceHeader(ds, path, layout.transferSyntaxUid, walk.pixelData !== undefined);
}

/** The first `n` bytes of a file (to tell DICOM from other files without reading them whole). */
async function readHead(path: string, n: number): Promise<Uint8Array> {
  const fh = await open(path, "r");
  try {
    const buf = new Uint8Array(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function frameFormat(h: InstanceHeader): FrameFormat {
  const where = h.path;
  if (h.samplesPerPixel !== 1) {
    throw new DicomError(`${where} has ${h.samplesPerPixel} samples per pixel (${h.photometricInterpretation ?? "colour"}); a CT series has one (grey values)`);
  }
  const bitsAllocated = h.bitsAllocated;
  if (bitsAllocated !== 8 && bitsAllocated !== 16 && bitsAllocated !== 32) {
    throw new DicomError(`${where} has BitsAllocated ${bitsAllocated ?? "missing"}; 8, 16 or 32 are supported`);
  }
  const bitsStored = h.bitsStored ?? bitsAllocated;
  const highBit = h.highBit ?? bitsStored - 1;
  if (bitsStored < 1 || bitsStored > bitsAllocated || highBit + 1 < bitsStored || highBit >= bitsAllocated) {
    throw new DicomError(`${where} has inconsistent BitsAllocated ${bitsAllocated}, BitsStored ${bitsStored}, HighBit ${highBit}`);
  }
  return { rows: h.rows!, columns: h.columns!, bitsAllocated, bitsStored, highBit, pixelRepresentation: h.pixelRepresentation === 1 ? 1 : 0 };
}

/**
 * Read a CT series from a folder (searched recursively) or a list of files, into a HU volume in
 * LPS with its full geometry.
 *
 * - Files that are not DICOM are skipped in a folder (counted in a warning) but are an error when
 *   named explicitly. Objects without pixel data and localizer images are skipped with a warning.
 * - Series are grouped by SeriesInstanceUID; `opts.seriesUid` picks one, else the CT series with
 *   the most slices is read (with a warning naming the others when there are several).
 * - Slices are sorted along the slice normal and checked: same size, orientation and pixel spacing,
 *   no duplicates, uniform spacing (a gap is reported as missing slices), no gantry tilt.
 * - Pixel data: native (implicit/explicit little endian, explicit big endian, deflated), RLE,
 *   JPEG baseline (8 bit), JPEG lossless, JPEG-LS, JPEG 2000 and HTJ2K; classic single-frame
 *   images and Enhanced (multi-frame) CT with per-frame functional groups.
 * - Values are HU, `stored * RescaleSlope + RescaleIntercept` (BitsStored masked, sign-extended
 *   when PixelRepresentation is 1), in an `Int16Array` when every slope and intercept is an integer
 *   and every value fits in int16, otherwise in a `Float32Array`.
 *
 * @example
 * ```ts
 * import { readDicomSeries } from "bct/lib/io/dicom";
 * const { volume, series, warnings } = await readDicomSeries("datasets/phantom/hip/dicom");
 * console.log(volume.dims, volume.spacing, series.chosenBecause, warnings);
 * ```
 * @throws DicomError with a message naming the file or series and what is wrong.
 */
export async function readDicomSeries(input: string | string[], opts: DicomReadOptions = {}): Promise<DicomSeriesResult> {
  const warnings: string[] = [];
  const files = await listDicomInput(input);
  const inputName = files.folder ?? (files.paths.length === 1 ? files.paths[0] : `the ${files.paths.length} files given`);

  // Pass 1: headers of every file.
  const images: InstanceHeader[] = [];
  let notDicom = 0, noPixels = 0, localizers = 0;
  const headerNotes = new Set<string>();
  for (const path of files.paths) {
    if (!looksLikeDicom(await readHead(path, 132))) {
      if (files.explicit) throw notDicomError(path);
      notDicom++;
      continue;
    }
    const header = readHeader(await readFile(path), path, headerNotes);
    if (!header.hasPixelData || !header.rows || !header.columns) noPixels++;
    else if (header.imageType.includes("LOCALIZER")) localizers++;
    else images.push(header);
  }
  warnings.push(...headerNotes);
  if (notDicom) warnings.push(`skipped ${notDicom} file${notDicom === 1 ? "" : "s"} in ${inputName} that ${notDicom === 1 ? "is" : "are"} not DICOM`);
  if (noPixels) warnings.push(`ignored ${noPixels} DICOM object${noPixels === 1 ? "" : "s"} without an image (reports, structure sets, presentation states, ...)`);
  if (localizers) warnings.push(`ignored ${localizers} localizer (scout) image${localizers === 1 ? "" : "s"}`);
  if (images.length === 0) {
    if (notDicom === files.paths.length) {
      throw new DicomError(`no DICOM files in ${inputName} (${notDicom} other file${notDicom === 1 ? "" : "s"} skipped)`);
    }
    throw new DicomError(`no DICOM images in ${inputName}: ${noPixels} object(s) without pixel data and ${localizers} localizer(s) only`);
  }

  const choice = chooseSeries(groupSeries(images), opts.seriesUid, inputName);
  warnings.push(...choice.warnings);
  const { instances } = choice.series;

  // Per-file checks before any pixel is decoded.
  const syntaxes = new Map<string, TransferSyntax>();
  const formats = new Map<InstanceHeader, FrameFormat>();
  for (const h of instances) {
    const ts = transferSyntax(h.transferSyntaxUid);
    if (!ts.codec) {
      throw new DicomError(
        `${h.path} uses unsupported transfer syntax ${ts.uid} (${ts.name}); convert the series to an uncompressed, ` +
          `JPEG 2000, JPEG-LS, JPEG lossless or RLE transfer syntax first (e.g. with gdcmconv or dcmconv)`,
      );
    }
    syntaxes.set(ts.uid, ts);
    formats.set(h, frameFormat(h));
  }
  const first = instances[0];
  const ts0 = transferSyntax(first.transferSyntaxUid);
  if (syntaxes.size > 1) warnings.push(`the series mixes transfer syntaxes: ${[...syntaxes.values()].map((t) => t.name).join(", ")}`);
  const lossy = [...syntaxes.values()].filter((t) => t.lossy);
  if (lossy.length) {
    warnings.push(`the series is lossy compressed (${lossy.map((t) => t.name).join(", ")}): HU values are approximate`);
  } else if (instances.some((h) => h.lossyCompressed)) {
    warnings.push("the series has undergone lossy compression (LossyImageCompression 01): HU values are approximate");
  }

  const slices: Slice[] = instances.flatMap((instance) => instance.frames.map((frame) => ({ instance, frame })));
  const grid = stackSlices(slices);
  warnings.push(...grid.warnings);

  const f0 = grid.slices[0].frame;
  if (!slices.some((s) => s.frame.hasRescale) && (choice.series.modality ?? "").toUpperCase() === "CT") {
    warnings.push("the series has no RescaleSlope/RescaleIntercept: stored values were taken as HU");
  }
  if (slices.some((s) => s.frame.rescaleSlope !== f0.rescaleSlope || s.frame.rescaleIntercept !== f0.rescaleIntercept)) {
    warnings.push("RescaleSlope/RescaleIntercept vary between slices: each slice was rescaled with its own");
  }

  // Pass 2: decode each file's frames straight into their k positions.
  const [nx, ny, nz] = grid.dims;
  const nxy = nx * ny;
  const kOf = new Map<Slice, number>();
  grid.slices.forEach((s, k) => kOf.set(s, k));
  const framesOf = new Map<InstanceHeader, Slice[]>();
  for (const s of slices) {
    const list = framesOf.get(s.instance) ?? [];
    list.push(s);
    framesOf.set(s.instance, list);
  }
  const writer = new HuWriter(nxy * nz, slices.every((s) => Number.isInteger(s.frame.rescaleSlope) && Number.isInteger(s.frame.rescaleIntercept)));
  const scratch = new Int32Array(nxy);
  const notes = new Set<string>();
  for (const h of instances) {
    const fmt = formats.get(h)!;
    const bytes = await readFile(h.path);
    const { layout, ts, walk } = layoutAndWalk(bytes, h.path);
    const pixels = walk.pixelData;
    if (!pixels) throw new DicomError(`${h.path} changed while it was read: its pixel data is gone`);
    const codec = ts.codec!;
    let frames: Uint8Array[];
    if (isEncapsulated(ts)) {
      if (pixels.kind !== "encapsulated") {
        throw new DicomError(`${h.path} is corrupt: its transfer syntax (${ts.name}) needs encapsulated pixel data but it is native`);
      }
      frames = encapsulatedFrames(layout.dataset, pixels, h.numberOfFrames, codec, h.path);
    } else {
      if (pixels.kind !== "native") {
        throw new DicomError(`${h.path} is corrupt: its transfer syntax (${ts.name}) needs native pixel data but it is encapsulated`);
      }
      const frameBytes = (nxy * fmt.bitsAllocated) / 8;
      const need = frameBytes * h.numberOfFrames;
      if (pixels.value.length < need) {
        throw new DicomError(
          `${h.path} is truncated or corrupt: its pixel data has ${pixels.value.length} bytes but ${fmt.columns} x ${fmt.rows} pixels x ` +
            `${h.numberOfFrames} frame(s) x ${fmt.bitsAllocated / 8} byte(s) need ${need}`,
        );
      }
      frames = [];
      for (let f = 0; f < h.numberOfFrames; f++) {
        const start = pixels.value.offset + f * frameBytes;
        frames.push(layout.dataset.subarray(start, start + frameBytes));
      }
    }
    for (const s of framesOf.get(h)!) {
      await decodeFrame(codec, frames[s.frame.frame], fmt, scratch, sliceName(s), notes);
      writer.writeSlice(scratch, s.frame.rescaleSlope, s.frame.rescaleIntercept, kOf.get(s)! * nxy);
    }
  }
  for (const n of notes) warnings.push(n);

  const volume = createVolume({ dims: grid.dims, spacing: grid.spacing, origin: grid.origin, direction: grid.direction, data: writer.data });
  return {
    volume,
    series: {
      seriesInstanceUid: choice.series.seriesInstanceUid,
      seriesDescription: choice.series.description,
      modality: choice.series.modality,
      transferSyntaxUid: ts0.uid,
      transferSyntaxName: ts0.name,
      sliceCount: nz,
      manufacturer: first.manufacturer,
      rescaleSlope: f0.rescaleSlope,
      rescaleIntercept: f0.rescaleIntercept,
      sliceThickness: f0.sliceThickness,
      candidates: choice.candidates,
      chosenBecause: choice.chosenBecause,
    },
    warnings,
  };
}
