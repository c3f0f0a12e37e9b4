/**
 * The attributes of one DICOM instance that the reader needs: identity (series, modality), pixel
 * encoding, and per-frame geometry and rescale, for classic single-frame images and for
 * multi-frame images with functional groups (Enhanced CT, Legacy Converted Enhanced CT).
 * @module
 */
import type { Vec3 } from "../../volume/volume.js";
import { getNumber, getNumbers, getSequence, getString, getStrings, TAG, type DicomDataset } from "./dataset.js";

/** Geometry and value transform of one frame (one slice). */
export interface FrameHeader {
  /** Index of the frame in its file (0 for single-frame images). */
  frame: number;
  /** ImagePositionPatient: LPS position (mm) of the centre of the first pixel. */
  position?: Vec3;
  /** ImageOrientationPatient: row direction (along a row, i) then column direction (down a column, j). */
  orientation?: number[];
  /** PixelSpacing as stored: [spacing between rows (along j), spacing between columns (along i)] mm. */
  pixelSpacing?: [number, number];
  sliceThickness?: number;
  rescaleSlope: number;
  rescaleIntercept: number;
  /** Whether RescaleSlope/Intercept were present (else 1 and 0 are assumed). */
  hasRescale: boolean;
}

/** The attributes of one instance (file). */
export interface InstanceHeader {
  path: string;
  transferSyntaxUid: string;
  sopClassUid?: string;
  seriesInstanceUid?: string;
  seriesDescription?: string;
  modality?: string;
  manufacturer?: string;
  imageType: string[];
  rows?: number;
  columns?: number;
  samplesPerPixel: number;
  photometricInterpretation?: string;
  bitsAllocated?: number;
  bitsStored?: number;
  highBit?: number;
  /** 0 unsigned, 1 two's complement. */
  pixelRepresentation: number;
  numberOfFrames: number;
  hasPixelData: boolean;
  /** LossyImageCompression (0028,2110) is "01". */
  lossyCompressed: boolean;
  spacingBetweenSlices?: number;
  frames: FrameHeader[];
}

/** CT Image Storage. */
export const CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2";

function vec3(v: number[] | undefined): Vec3 | undefined {
  return v && v.length >= 3 ? [v[0], v[1], v[2]] : undefined;
}

function pair(v: number[] | undefined): [number, number] | undefined {
  return v && v.length >= 2 ? [v[0], v[1]] : undefined;
}

/**
 * The first item of functional-group macro `seqTag` for a frame: per-frame group first, then the
 * shared group.
 */
function macro(perFrame: DicomDataset | undefined, shared: DicomDataset | undefined, seqTag: string): DicomDataset | undefined {
  return getSequence(perFrame, seqTag)[0] ?? getSequence(shared, seqTag)[0];
}

function frameHeader(frame: number, geometry: {
  position?: DicomDataset; orientation?: DicomDataset; measures?: DicomDataset; transform?: DicomDataset; top: DicomDataset;
}): FrameHeader {
  const { top } = geometry;
  const slope = getNumber(geometry.transform, TAG.RescaleSlope) ?? getNumber(top, TAG.RescaleSlope);
  const intercept = getNumber(geometry.transform, TAG.RescaleIntercept) ?? getNumber(top, TAG.RescaleIntercept);
  return {
    frame,
    position: vec3(getNumbers(geometry.position, TAG.ImagePositionPatient) ?? getNumbers(top, TAG.ImagePositionPatient)),
    orientation: getNumbers(geometry.orientation, TAG.ImageOrientationPatient) ?? getNumbers(top, TAG.ImageOrientationPatient),
    pixelSpacing: pair(getNumbers(geometry.measures, TAG.PixelSpacing) ?? getNumbers(top, TAG.PixelSpacing)),
    sliceThickness: getNumber(geometry.measures, TAG.SliceThickness) ?? getNumber(top, TAG.SliceThickness),
    rescaleSlope: slope ?? 1,
    rescaleIntercept: intercept ?? 0,
    hasRescale: slope !== undefined || intercept !== undefined,
  };
}

/**
 * Extract the header of one instance from its parsed attributes.
 * @example
 * ```ts
 * const h = instanceHeader(parseAttributes(buf, "a.dcm", []), "a.dcm", "1.2.840.10008.1.2.1", true);
 * h.frames[0].position; // [x, y, z] mm
 * ```
 */
export function instanceHeader(ds: DicomDataset, path: string, transferSyntaxUid: string, hasPixelData: boolean): InstanceHeader {
  const numberOfFrames = Math.max(1, Math.round(getNumber(ds, TAG.NumberOfFrames) ?? 1));
  const shared = getSequence(ds, TAG.SharedFunctionalGroupsSequence)[0];
  const perFrame = getSequence(ds, TAG.PerFrameFunctionalGroupsSequence);
  const frames: FrameHeader[] = [];
  for (let f = 0; f < numberOfFrames; f++) {
    const pf = perFrame[f];
    frames.push(
      frameHeader(f, {
        position: macro(pf, shared, TAG.PlanePositionSequence),
        orientation: macro(pf, shared, TAG.PlaneOrientationSequence),
        measures: macro(pf, shared, TAG.PixelMeasuresSequence),
        transform: macro(pf, shared, TAG.PixelValueTransformationSequence),
        top: ds,
      }),
    );
  }
  return {
    path,
    transferSyntaxUid,
    sopClassUid: getString(ds, TAG.SOPClassUID),
    seriesInstanceUid: getString(ds, TAG.SeriesInstanceUID),
    seriesDescription: getString(ds, TAG.SeriesDescription),
    modality: getString(ds, TAG.Modality),
    manufacturer: getString(ds, TAG.Manufacturer),
    imageType: getStrings(ds, TAG.ImageType).map((s) => s.toUpperCase()),
    rows: getNumber(ds, TAG.Rows),
    columns: getNumber(ds, TAG.Columns),
    samplesPerPixel: getNumber(ds, TAG.SamplesPerPixel) ?? 1,
    photometricInterpretation: getString(ds, TAG.PhotometricInterpretation),
    bitsAllocated: getNumber(ds, TAG.BitsAllocated),
    bitsStored: getNumber(ds, TAG.BitsStored),
    highBit: getNumber(ds, TAG.HighBit),
    pixelRepresentation: getNumber(ds, TAG.PixelRepresentation) ?? 0,
    numberOfFrames,
    hasPixelData,
    lossyCompressed: getString(ds, TAG.LossyImageCompression) === "01",
    spacingBetweenSlices: getNumber(ds, TAG.SpacingBetweenSlices),
    frames,
  };
}
