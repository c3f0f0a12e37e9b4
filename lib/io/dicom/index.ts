/**
 * DICOM input and output: read a CT series (any common transfer syntax, classic or Enhanced CT)
 * into a HU {@link Volume} in LPS, and write a volume as a CT Image Storage series.
 *
 * @example
 * ```ts
 * import { readDicomSeries, writeDicomSeries } from "bct/lib/io/dicom";
 * const { volume, series } = await readDicomSeries("scan/dicom");
 * await writeDicomSeries(volume, "out/dicom", { seriesDescription: "copy" });
 * ```
 * @module
 */
export { readDicomSeries, type DicomReadOptions, type DicomSeriesInfo, type DicomSeriesResult } from "./read.js";
export { writeDicomSeries, type DicomWriteOptions } from "./write.js";
export { DicomError } from "./errors.js";
export { transferSyntax, type TransferSyntax, type PixelCodec } from "./transfer-syntax.js";
