/**
 * Parsing a data set's attributes with dcmjs, and typed accessors over the parsed elements.
 * @module
 */
import { createRequire } from "node:module";
import { DicomError } from "./errors.js";

/** One parsed element as dcmjs returns it: its VR and values (sequences hold item data sets). */
export interface DicomElement {
  vr?: string;
  Value?: unknown;
}

/** A parsed data set: elements keyed by 8-digit upper-case hex tag ("00200032"). */
export type DicomDataset = Record<string, DicomElement | undefined>;

interface DcmjsModule {
  log: { getLevel(): number; setLevel(level: number | "silent", persist?: boolean): void };
  data: {
    DicomMessage: {
      readFile(buffer: ArrayBuffer, options?: { ignoreErrors?: boolean; untilTag?: string | null }): {
        meta: DicomDataset;
        dict: DicomDataset;
      };
    };
    DicomDict: new (meta: DicomDataset) => { dict: DicomDataset; write(): ArrayBuffer };
  };
}

let dcmjsModule: DcmjsModule | undefined;

/** dcmjs, loaded on first use (its CommonJS build; it is large and not needed until a file is read). */
export function dcmjs(): DcmjsModule {
  if (!dcmjsModule) dcmjsModule = createRequire(import.meta.url)("dcmjs") as DcmjsModule;
  return dcmjsModule;
}

/**
 * Parse the attributes of a Part 10 buffer (only the bytes before the pixel data need be given).
 * A character set dcmjs does not handle is tolerated (text may be mis-decoded): its message is
 * added to `notes`, once per distinct message.
 * @throws DicomError naming the file when dcmjs cannot parse it.
 */
export function parseAttributes(part10: ArrayBuffer, path: string, notes: Set<string>): DicomDataset {
  const { DicomMessage } = dcmjs().data;
  try {
    return DicomMessage.readFile(part10).dict;
  } catch (e) {
    const msg = (e as Error)?.message ?? String(e);
    if (/character set/i.test(msg)) {
      notes.add(`${msg}; text attributes may be mis-decoded`);
      // Tolerant parse; dcmjs would log the same complaint to the console for every file.
      const { log } = dcmjs();
      const level = log.getLevel();
      log.setLevel("silent", false);
      try {
        return DicomMessage.readFile(part10, { ignoreErrors: true }).dict;
      } finally {
        log.setLevel(level, false);
      }
    }
    throw new DicomError(`${path} is truncated or corrupt (${msg}); re-export or re-copy the file`);
  }
}

function values(ds: DicomDataset | undefined, tag: string): unknown[] | undefined {
  const v = ds?.[tag]?.Value;
  if (v === undefined || v === null) return undefined;
  return Array.isArray(v) ? v : [v];
}

/** The first value of a text attribute, trimmed; undefined when absent or empty. */
export function getString(ds: DicomDataset | undefined, tag: string): string | undefined {
  const v = values(ds, tag)?.[0];
  if (v === undefined || v === null) return undefined;
  const s = (typeof v === "object" && v && "Alphabetic" in v ? String((v as { Alphabetic: unknown }).Alphabetic) : String(v)).trim();
  return s === "" ? undefined : s;
}

/** All values of a text attribute (e.g. ImageType), trimmed. */
export function getStrings(ds: DicomDataset | undefined, tag: string): string[] {
  return (values(ds, tag) ?? []).map((v) => String(v ?? "").trim());
}

/** All values of a numeric attribute; undefined when absent, empty or not all finite numbers. */
export function getNumbers(ds: DicomDataset | undefined, tag: string): number[] | undefined {
  const v = values(ds, tag);
  if (!v || v.length === 0) return undefined;
  const out = v.map((x) => (typeof x === "number" ? x : typeof x === "string" && x.trim() !== "" ? Number(x) : NaN));
  return out.every(Number.isFinite) ? out : undefined;
}

/** The first value of a numeric attribute. */
export function getNumber(ds: DicomDataset | undefined, tag: string): number | undefined {
  return getNumbers(ds, tag)?.[0];
}

/** The items of a sequence attribute (empty when absent). */
export function getSequence(ds: DicomDataset | undefined, tag: string): DicomDataset[] {
  return (values(ds, tag) ?? []).filter((x): x is DicomDataset => typeof x === "object" && x !== null);
}

/** Tags used by the reader and writer, by keyword. */
export const TAG = {
  TransferSyntaxUID: "00020010",
  SpecificCharacterSet: "00080005",
  ImageType: "00080008",
  SOPClassUID: "00080016",
  SOPInstanceUID: "00080018",
  StudyDate: "00080020",
  StudyTime: "00080030",
  AccessionNumber: "00080050",
  Modality: "00080060",
  Manufacturer: "00080070",
  ReferringPhysicianName: "00080090",
  SeriesDescription: "0008103E",
  PatientName: "00100010",
  PatientID: "00100020",
  PatientBirthDate: "00100030",
  PatientSex: "00100040",
  SliceThickness: "00180050",
  KVP: "00180060",
  SpacingBetweenSlices: "00180088",
  StudyInstanceUID: "0020000D",
  SeriesInstanceUID: "0020000E",
  StudyID: "00200010",
  SeriesNumber: "00200011",
  AcquisitionNumber: "00200012",
  InstanceNumber: "00200013",
  ImagePositionPatient: "00200032",
  ImageOrientationPatient: "00200037",
  FrameOfReferenceUID: "00200052",
  PositionReferenceIndicator: "00201040",
  SliceLocation: "00201041",
  PlanePositionSequence: "00209113",
  PlaneOrientationSequence: "00209116",
  SamplesPerPixel: "00280002",
  PhotometricInterpretation: "00280004",
  NumberOfFrames: "00280008",
  Rows: "00280010",
  Columns: "00280011",
  PixelSpacing: "00280030",
  BitsAllocated: "00280100",
  BitsStored: "00280101",
  HighBit: "00280102",
  PixelRepresentation: "00280103",
  RescaleIntercept: "00281052",
  RescaleSlope: "00281053",
  RescaleType: "00281054",
  LossyImageCompression: "00282110",
  PixelMeasuresSequence: "00289110",
  PixelValueTransformationSequence: "00289145",
  SharedFunctionalGroupsSequence: "52009229",
  PerFrameFunctionalGroupsSequence: "52009230",
  PixelData: "7FE00010",
} as const;
