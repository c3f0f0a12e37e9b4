/**
 * NIfTI-1/NIfTI-2 input and output: `readNifti` gives a `Volume` in DICOM LPS mm (the NIfTI RAS
 * affine converted), `writeNifti` writes NIfTI-1 with sform and qform set from the LPS geometry.
 * @example
 * ```ts
 * import { readNifti, writeNifti } from "bct/lib/io/nifti";
 * const { volume, header, warnings } = readNifti("ct.nii.gz");
 * writeNifti(volume, "copy.nii.gz");
 * ```
 * @module
 */
export { NiftiError } from "./errors.js";
export { readNifti, readNiftiBuffer, type NiftiHeaderInfo, type NiftiReadOptions, type NiftiReadResult } from "./read.js";
export { niftiBuffer, writeNifti, type NiftiWriteOptions, type NiftiWriteType } from "./write.js";
export { NIFTI_DATATYPES, datatypeByCode, type NiftiDatatype } from "./datatypes.js";
export {
  affineToGeometry,
  chooseAffine,
  flipRasLps,
  geometryToNifti,
  nearestOrthonormal,
  quaternionToRotation,
  rotationToQuaternion,
  type Affine34,
  type AffineSource,
} from "./orientation.js";
