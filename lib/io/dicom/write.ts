/**
 * Writing a volume as a DICOM CT Image Storage series: one file per k slice, explicit VR little
 * endian, signed 16-bit stored values.
 * @module
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { validateVolume, type Volume } from "../../volume/volume.js";
import { dcmjs, TAG, type DicomDataset } from "./dataset.js";
import { DicomError } from "./errors.js";
import { CT_IMAGE_STORAGE } from "./header.js";
import { EXPLICIT_VR_LITTLE_ENDIAN } from "./transfer-syntax.js";
import { BCT_IMPLEMENTATION_CLASS_UID, BCT_IMPLEMENTATION_VERSION, newUid } from "./uid.js";

/** Options of {@link writeDicomSeries}. */
export interface DicomWriteOptions {
  /** SeriesDescription (0008,103E). Default "bct volume". */
  seriesDescription?: string;
  /** PatientName (0010,0010). Default "Anonymous". */
  patientName?: string;
  /** PatientID (0010,0020). Default "bct". */
  patientId?: string;
  /** Default: a new UID. */
  seriesInstanceUid?: string;
  /** Default: a new UID. */
  studyInstanceUid?: string;
  /** Stored value = round((value - intercept) / slope). Default 1. */
  rescaleSlope?: number;
  /** Default 0. */
  rescaleIntercept?: number;
  /** SliceThickness (0018,0050) in mm. Default: the k spacing. */
  sliceThickness?: number;
  /** FrameOfReferenceUID (0020,0052). Default: a new UID. */
  frameOfReferenceUid?: string;
  /** Study date and time written (DICOM DA "YYYYMMDD" and TM "HHMMSS"). Default: now. */
  studyDateTime?: { date: string; time: string };
}

/**
 * A Decimal String of at most 16 characters holding `x` as precisely as that allows.
 * @throws DicomError for non-finite numbers.
 */
export function formatDecimalString(x: number): string {
  if (!Number.isFinite(x)) throw new DicomError(`cannot write ${x} as a DICOM decimal string`);
  if (Object.is(x, -0)) x = 0;
  for (let p = 16; p >= 1; p--) {
    const s = String(Number(x.toPrecision(p)));
    if (s.length <= 16) return s;
  }
  return x.toExponential(8);
}

function today(): { date: string; time: string } {
  const d = new Date();
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return {
    date: `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}`,
    time: `${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`,
  };
}

const el = (vr: string, ...values: unknown[]) => ({ vr, Value: values });

/**
 * Write `volume` as a CT series: one CT Image Storage file per k slice (`IM0001.dcm`, ...), in
 * explicit VR little endian with int16 stored values, so that {@link readDicomSeries} (or any DICOM
 * viewer) reads back the same geometry. Values are stored as `round((value - intercept) / slope)`.
 *
 * Each slice's ImagePositionPatient is the world position of voxel (0, 0, k); ImageOrientationPatient
 * holds the i and j axes. A reader sorts slices along `i x j`, so a volume whose k axis points the
 * other way (a left-handed direction) reads back with k reversed: the same voxels at the same
 * world positions.
 *
 * @example
 * ```ts
 * import { createVolume } from "bct/lib/volume/volume";
 * const v = createVolume({ dims: [64, 64, 10], spacing: [0.8, 0.8, 2], data: new Int16Array(64 * 64 * 10) });
 * const files = await writeDicomSeries(v, "/tmp/ct", { seriesDescription: "phantom" });
 * ```
 * @returns the paths written, in k order.
 * @throws DicomError when a value does not fit int16 with the given slope and intercept, or the
 *   volume is larger than DICOM allows (65535 rows or columns).
 */
export async function writeDicomSeries(volume: Volume, dir: string, opts: DicomWriteOptions = {}): Promise<string[]> {
  validateVolume(volume);
  const [nx, ny, nz] = volume.dims;
  if (nx > 65535 || ny > 65535) throw new DicomError(`a ${nx}x${ny} slice is larger than DICOM allows (65535 rows or columns)`);
  const slope = opts.rescaleSlope ?? 1;
  const intercept = opts.rescaleIntercept ?? 0;
  if (!(slope !== 0 && Number.isFinite(slope)) || !Number.isFinite(intercept)) {
    throw new DicomError(`rescaleSlope must be a non-zero number and rescaleIntercept a number, got ${slope} and ${intercept}`);
  }
  const { spacing, origin, direction: d, data } = volume;
  const nxy = nx * ny;

  // Stored values, checked before anything is written.
  const stored = new Int16Array(nxy * nz);
  for (let p = 0; p < stored.length; p++) {
    const s = Math.round((data[p] - intercept) / slope);
    if (!(s >= -32768 && s <= 32767)) {
      const k = Math.floor(p / nxy), j = Math.floor((p % nxy) / nx), i = p % nx;
      throw new DicomError(
        `value ${data[p]} at voxel (${i}, ${j}, ${k}) does not fit a 16-bit stored value with slope ${slope} and intercept ` +
          `${intercept}; pass rescaleSlope/rescaleIntercept that map the value range into -32768..32767`,
      );
    }
    stored[p] = s;
  }

  const row = [d[0], d[3], d[6]], col = [d[1], d[4], d[7]], kAxis = [d[2], d[5], d[8]];
  const normal = [row[1] * col[2] - row[2] * col[1], row[2] * col[0] - row[0] * col[2], row[0] * col[1] - row[1] * col[0]];
  const studyUid = opts.studyInstanceUid ?? newUid();
  const seriesUid = opts.seriesInstanceUid ?? newUid();
  const frameOfReferenceUid = opts.frameOfReferenceUid ?? newUid();
  const { date, time } = opts.studyDateTime ?? today();
  const ds = formatDecimalString;
  const { DicomDict } = dcmjs().data;
  await mkdir(dir, { recursive: true });
  const digits = Math.max(4, String(nz).length);
  const paths: string[] = [];
  for (let k = 0; k < nz; k++) {
    // With a given series UID, instance UIDs derive from it (series.N), so a rewrite gives identical files.
    const derived = opts.seriesInstanceUid ? `${seriesUid}.${k + 1}` : "";
    const sopInstanceUid = derived && derived.length <= 64 ? derived : newUid();
    const position = [0, 1, 2].map((c) => origin[c] + k * spacing[2] * kAxis[c]);
    const meta: DicomDataset = {
      "00020001": el("OB", new Uint8Array([0, 1]).buffer),
      "00020002": el("UI", CT_IMAGE_STORAGE),
      "00020003": el("UI", sopInstanceUid),
      "00020010": el("UI", EXPLICIT_VR_LITTLE_ENDIAN),
      "00020012": el("UI", BCT_IMPLEMENTATION_CLASS_UID),
      "00020013": el("SH", BCT_IMPLEMENTATION_VERSION),
    };
    const dict: DicomDataset = {
      [TAG.SpecificCharacterSet]: el("CS", "ISO_IR 192"),
      [TAG.ImageType]: el("CS", "DERIVED", "SECONDARY", "AXIAL"),
      [TAG.SOPClassUID]: el("UI", CT_IMAGE_STORAGE),
      [TAG.SOPInstanceUID]: el("UI", sopInstanceUid),
      [TAG.StudyDate]: el("DA", date),
      [TAG.StudyTime]: el("TM", time),
      [TAG.AccessionNumber]: el("SH"),
      [TAG.Modality]: el("CS", "CT"),
      [TAG.Manufacturer]: el("LO", "bct"),
      [TAG.ReferringPhysicianName]: el("PN"),
      [TAG.SeriesDescription]: el("LO", opts.seriesDescription ?? "bct volume"),
      [TAG.PatientName]: el("PN", { Alphabetic: opts.patientName ?? "Anonymous" }),
      [TAG.PatientID]: el("LO", opts.patientId ?? "bct"),
      [TAG.PatientBirthDate]: el("DA"),
      [TAG.PatientSex]: el("CS"),
      [TAG.SliceThickness]: el("DS", ds(opts.sliceThickness ?? spacing[2])),
      [TAG.KVP]: el("DS"),
      [TAG.StudyInstanceUID]: el("UI", studyUid),
      [TAG.SeriesInstanceUID]: el("UI", seriesUid),
      [TAG.StudyID]: el("SH"),
      [TAG.SeriesNumber]: el("IS", 1),
      [TAG.AcquisitionNumber]: el("IS", 1),
      [TAG.InstanceNumber]: el("IS", k + 1),
      [TAG.ImagePositionPatient]: el("DS", ...position.map(ds)),
      [TAG.ImageOrientationPatient]: el("DS", ...[...row, ...col].map(ds)),
      [TAG.FrameOfReferenceUID]: el("UI", frameOfReferenceUid),
      [TAG.PositionReferenceIndicator]: el("LO"),
      [TAG.SliceLocation]: el("DS", ds(position[0] * normal[0] + position[1] * normal[1] + position[2] * normal[2])),
      [TAG.SamplesPerPixel]: el("US", 1),
      [TAG.PhotometricInterpretation]: el("CS", "MONOCHROME2"),
      [TAG.Rows]: el("US", ny),
      [TAG.Columns]: el("US", nx),
      // PixelSpacing is [between rows (j), between columns (i)].
      [TAG.PixelSpacing]: el("DS", ds(spacing[1]), ds(spacing[0])),
      [TAG.BitsAllocated]: el("US", 16),
      [TAG.BitsStored]: el("US", 16),
      [TAG.HighBit]: el("US", 15),
      [TAG.PixelRepresentation]: el("US", 1),
      [TAG.RescaleIntercept]: el("DS", ds(intercept)),
      [TAG.RescaleSlope]: el("DS", ds(slope)),
      [TAG.RescaleType]: el("LO", "HU"),
      [TAG.PixelData]: el("OW", stored.slice(k * nxy, (k + 1) * nxy).buffer),
    };
    const file = new DicomDict(meta);
    file.dict = dict;
    const path = join(dir, `IM${String(k + 1).padStart(digits, "0")}.dcm`);
    await writeFile(path, new Uint8Array(file.write()));
    paths.push(path);
  }
  return paths;
}
