/**
 * NIfTI datatype codes (nifti1.h `NIFTI_TYPE_*`), their sizes and the typed arrays that hold them.
 * @module
 */
import type { VoxelArray } from "../../volume/volume.js";

/** Scalar datatypes bct reads, by their NIfTI name. */
export type NiftiScalarType =
  | "uint8"
  | "int8"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "int64"
  | "uint64"
  | "float32"
  | "float64";

/** Scalar datatypes a `Volume`'s typed array holds directly (all but the 64-bit integers). */
export type NiftiArrayType = Exclude<NiftiScalarType, "int64" | "uint64">;

/** One NIfTI datatype. */
export interface NiftiDatatype {
  /** nifti1.h code (`datatype` field). */
  code: number;
  /** Lower-case name as used in {@link NiftiHeaderInfo.datatypeName}, e.g. "int16", "rgb24". */
  name: string;
  /** Bits per voxel (`bitpix`). */
  bitpix: number;
  /** True for the scalar types bct can turn into a `Volume`. */
  scalar: boolean;
}

/** Every datatype code of nifti1.h. */
export const NIFTI_DATATYPES: readonly NiftiDatatype[] = [
  { code: 1, name: "binary", bitpix: 1, scalar: false },
  { code: 2, name: "uint8", bitpix: 8, scalar: true },
  { code: 4, name: "int16", bitpix: 16, scalar: true },
  { code: 8, name: "int32", bitpix: 32, scalar: true },
  { code: 16, name: "float32", bitpix: 32, scalar: true },
  { code: 32, name: "complex64", bitpix: 64, scalar: false },
  { code: 64, name: "float64", bitpix: 64, scalar: true },
  { code: 128, name: "rgb24", bitpix: 24, scalar: false },
  { code: 256, name: "int8", bitpix: 8, scalar: true },
  { code: 512, name: "uint16", bitpix: 16, scalar: true },
  { code: 768, name: "uint32", bitpix: 32, scalar: true },
  { code: 1024, name: "int64", bitpix: 64, scalar: true },
  { code: 1280, name: "uint64", bitpix: 64, scalar: true },
  { code: 1536, name: "float128", bitpix: 128, scalar: false },
  { code: 1792, name: "complex128", bitpix: 128, scalar: false },
  { code: 2048, name: "complex256", bitpix: 256, scalar: false },
  { code: 2304, name: "rgba32", bitpix: 32, scalar: false },
];

/**
 * The datatype with this code, or undefined for a code nifti1.h does not define.
 * @example
 * ```ts
 * datatypeByCode(4); // { code: 4, name: "int16", bitpix: 16, scalar: true }
 * ```
 */
export function datatypeByCode(code: number): NiftiDatatype | undefined {
  return NIFTI_DATATYPES.find((d) => d.code === code);
}

/**
 * The datatype with this name, or undefined.
 * @example
 * ```ts
 * datatypeByName("float32")?.code; // 16
 * ```
 */
export function datatypeByName(name: string): NiftiDatatype | undefined {
  return NIFTI_DATATYPES.find((d) => d.name === name);
}

/** Names of the scalar datatypes, for messages. */
export const SCALAR_TYPE_NAMES = NIFTI_DATATYPES.filter((d) => d.scalar).map((d) => d.name);

/**
 * The NIfTI datatype name matching a typed array (the writer's default datatype).
 * @example
 * ```ts
 * datatypeOfArray(new Int16Array(8)); // "int16"
 * ```
 */
export function datatypeOfArray(a: VoxelArray): NiftiArrayType {
  if (a instanceof Uint8Array) return "uint8";
  if (a instanceof Int8Array) return "int8";
  if (a instanceof Int16Array) return "int16";
  if (a instanceof Uint16Array) return "uint16";
  if (a instanceof Int32Array) return "int32";
  if (a instanceof Uint32Array) return "uint32";
  if (a instanceof Float64Array) return "float64";
  return "float32";
}
