/**
 * NIfTI orientation: the three ways nifti1.h maps voxel indices to world (sform, qform, pixdim),
 * quaternion <-> rotation, NIfTI RAS <-> DICOM LPS, and affine <-> `Volume` geometry.
 *
 * Affines here are 3x4 matrices stored row-major in 12 numbers: `world = A * [i, j, k, 1]`.
 * @module
 */
import type { Mat3, Vec3 } from "../../volume/volume.js";
import { NiftiError } from "./errors.js";
import type { NiftiRawHeader } from "./header.js";

/** A 3x4 affine, row-major (12 numbers). */
export type Affine34 = number[];

/** Where the index -> world mapping of a file came from (nifti1.h methods 3, 2 and 1). */
export type AffineSource = "sform" | "qform" | "pixdim";

/**
 * The proper rotation of a NIfTI quaternion (b, c, d; a = sqrt(1 - b² - c² - d²) >= 0), row-major,
 * exactly as nifti1_io.c `nifti_quatern_to_mat44`: when b² + c² + d² rounds to 1 or more, a = 0
 * and (b, c, d) is renormalised.
 * @example
 * ```ts
 * const s = Math.SQRT1_2; // 90° about z: a = cos 45°, d = sin 45°
 * quaternionToRotation(0, 0, s); // ≈ [0, -1, 0, 1, 0, 0, 0, 0, 1]
 * ```
 */
export function quaternionToRotation(b: number, c: number, d: number): Mat3 {
  let a = 1 - (b * b + c * c + d * d);
  if (a < 1e-7) {
    const n = Math.sqrt(b * b + c * c + d * d);
    b /= n;
    c /= n;
    d /= n;
    a = 0;
  } else {
    a = Math.sqrt(a);
  }
  return [
    a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c),
    2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b),
    2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b,
  ];
}

function det3(m: ArrayLike<number>): number {
  return (
    m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6])
  );
}

/**
 * The NIfTI quaternion (b, c, d) and qfac of an orthonormal matrix `r` (row-major, columns the
 * axes), following nifti1_io.c `nifti_mat44_to_quatern`: when det(r) < 0, qfac = -1 and the third
 * column is negated to make the rotation proper. The result has a >= 0.
 * @example
 * ```ts
 * rotationToQuaternion([1, 0, 0, 0, 1, 0, 0, 0, -1]); // { quatern: [0, 0, 0], qfac: -1 }
 * ```
 */
export function rotationToQuaternion(r: Mat3): { quatern: [number, number, number]; qfac: 1 | -1 } {
  const m = [...r];
  const qfac: 1 | -1 = det3(m) < 0 ? -1 : 1;
  if (qfac < 0) {
    m[2] = -m[2];
    m[5] = -m[5];
    m[8] = -m[8];
  }
  const [r11, r12, r13, r21, r22, r23, r31, r32, r33] = m;
  let a = r11 + r22 + r33 + 1;
  let b: number, c: number, d: number;
  if (a > 0.5) {
    a = 0.5 * Math.sqrt(a);
    b = (0.25 * (r32 - r23)) / a;
    c = (0.25 * (r13 - r31)) / a;
    d = (0.25 * (r21 - r12)) / a;
  } else {
    const xd = 1 + r11 - (r22 + r33);
    const yd = 1 + r22 - (r11 + r33);
    const zd = 1 + r33 - (r11 + r22);
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd);
      c = (0.25 * (r12 + r21)) / b;
      d = (0.25 * (r13 + r31)) / b;
      a = (0.25 * (r32 - r23)) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd);
      b = (0.25 * (r12 + r21)) / c;
      d = (0.25 * (r23 + r32)) / c;
      a = (0.25 * (r13 - r31)) / c;
    } else {
      d = 0.5 * Math.sqrt(zd);
      b = (0.25 * (r13 + r31)) / d;
      c = (0.25 * (r23 + r32)) / d;
      a = (0.25 * (r21 - r12)) / d;
    }
    if (a < 0) {
      b = -b;
      c = -c;
      d = -d;
    }
  }
  return { quatern: [b, c, d], qfac };
}

/**
 * The qform affine (nifti1.h method 2): `R * diag(pixdim[1], pixdim[2], qfac * pixdim[3])` plus
 * qoffset, where qfac is the sign of pixdim[0] (0 counts as +1). Non-positive pixdim[1..3] are
 * replaced by 1, as nifti1_io.c does, with a warning.
 * @example
 * ```ts
 * qformAffine({ quatern: [0, 0, 0], qoffset: [1, 2, 3], pixdim: [-1, 2, 2, 3] });
 * // [2, 0, 0, 1,  0, 2, 0, 2,  0, 0, -3, 3]
 * ```
 */
export function qformAffine(h: Pick<NiftiRawHeader, "quatern" | "qoffset" | "pixdim">, warnings: string[] = []): Affine34 {
  const r = quaternionToRotation(...h.quatern);
  const qfac = h.pixdim[0] < 0 ? -1 : 1;
  const size = [1, 2, 3].map((c) => {
    const s = h.pixdim[c];
    if (s > 0) return s;
    warnings.push(`pixdim[${c}] = ${s} is not positive: used 1 mm for the qform`);
    return 1;
  });
  size[2] *= qfac;
  return [
    r[0] * size[0], r[1] * size[1], r[2] * size[2], h.qoffset[0],
    r[3] * size[0], r[4] * size[1], r[5] * size[2], h.qoffset[1],
    r[6] * size[0], r[7] * size[1], r[8] * size[2], h.qoffset[2],
  ];
}

/**
 * The choice among the header's transforms, as nifti1.h and nibabel make it: the sform when
 * `sform_code > 0` (method 3), else the qform when `qform_code > 0` (method 2), else pixdim scaling
 * with no rotation and a zero offset (method 1). When both sform and qform are set, the sform wins
 * (as nibabel; ITK instead falls back to the qform when the sform is not orthonormal), and a
 * warning says so if they map voxels more than 1e-3 mm apart. The result is NIfTI world (RAS).
 * @example
 * ```ts
 * const { affine, source } = chooseAffine(parseNiftiHeader(bytes, "scan.nii"));
 * ```
 */
export function chooseAffine(
  h: Pick<NiftiRawHeader, "sformCode" | "qformCode" | "srow" | "quatern" | "qoffset" | "pixdim" | "dim">,
): { affine: Affine34; source: AffineSource; warnings: string[] } {
  const warnings: string[] = [];
  if (h.sformCode > 0) {
    const affine = [...h.srow];
    if (h.qformCode > 0) {
      const q = qformAffine(h, []);
      const diff = maxCornerDistance(affine, q, h.dim);
      if (diff > 1e-3) {
        warnings.push(
          `sform (code ${h.sformCode}) and qform (code ${h.qformCode}) disagree by up to ${diff.toPrecision(3)} mm at the volume corners: used the sform, as nibabel does`,
        );
      }
    }
    return { affine, source: "sform", warnings };
  }
  if (h.qformCode > 0) return { affine: qformAffine(h, warnings), source: "qform", warnings };
  const size = [1, 2, 3].map((c) => (h.pixdim[c] > 0 ? h.pixdim[c] : 1));
  warnings.push(
    "neither sform nor qform is set (both codes 0): orientation unknown; used pixdim voxel sizes with NIfTI axes (RAS) and origin 0, as nifti1.h method 1",
  );
  return { affine: [size[0], 0, 0, 0, 0, size[1], 0, 0, 0, 0, size[2], 0], source: "pixdim", warnings };
}

/** Largest distance (mm) between where two affines place the 8 corner voxels of a grid. */
function maxCornerDistance(a: Affine34, b: Affine34, dim: number[]): number {
  let worst = 0;
  const n = [1, 2, 3].map((c) => Math.max(1, dim[c] ?? 1) - 1);
  for (const i of [0, n[0]]) for (const j of [0, n[1]]) for (const k of [0, n[2]]) {
    let d2 = 0;
    for (let r = 0; r < 3; r++) {
      const e = (a[4 * r] - b[4 * r]) * i + (a[4 * r + 1] - b[4 * r + 1]) * j + (a[4 * r + 2] - b[4 * r + 2]) * k + (a[4 * r + 3] - b[4 * r + 3]);
      d2 += e * e;
    }
    worst = Math.max(worst, Math.sqrt(d2));
  }
  return worst;
}

/**
 * Convert an affine between NIfTI world (RAS) and DICOM patient world (LPS): negate the first two
 * rows. The conversion is its own inverse.
 * @example
 * ```ts
 * const lps = flipRasLps(rasAffine);
 * ```
 */
export function flipRasLps(a: Affine34): Affine34 {
  return a.map((x, p) => (p < 8 ? -x : x) + 0); // "+ 0" turns -0 into 0
}

/**
 * mm per unit of the spatial unit code in `xyzt_units` (0 unknown and 2 mm -> 1; 1 m -> 1000,
 * 3 µm -> 0.001, the conversion ITK applies).
 * @example
 * ```ts
 * spatialUnitScale(10).scale; // 1 (mm, seconds)
 * ```
 */
export function spatialUnitScale(xyztUnits: number): { scale: number; unit: string } {
  switch (xyztUnits & 0x07) {
    case 1:
      return { scale: 1000, unit: "m" };
    case 3:
      return { scale: 0.001, unit: "µm" };
    case 2:
      return { scale: 1, unit: "mm" };
    default:
      return { scale: 1, unit: "unknown (assumed mm)" };
  }
}

function inverse3(m: number[]): number[] {
  const d = det3(m);
  return [
    (m[4] * m[8] - m[5] * m[7]) / d, (m[2] * m[7] - m[1] * m[8]) / d, (m[1] * m[5] - m[2] * m[4]) / d,
    (m[5] * m[6] - m[3] * m[8]) / d, (m[0] * m[8] - m[2] * m[6]) / d, (m[2] * m[3] - m[0] * m[5]) / d,
    (m[3] * m[7] - m[4] * m[6]) / d, (m[1] * m[6] - m[0] * m[7]) / d, (m[0] * m[4] - m[1] * m[3]) / d,
  ];
}

/**
 * The orthonormal matrix nearest to `m` (the orthogonal factor of its polar decomposition), by
 * Newton's iteration `X <- (X + X^-T) / 2`; it keeps the sign of the determinant. `m` must be
 * non-singular.
 * @example
 * ```ts
 * nearestOrthonormal([1, 0.01, 0, 0, 1, 0, 0, 0, 1]); // ≈ a rotation by 0.005 rad about z
 * ```
 */
export function nearestOrthonormal(m: ArrayLike<number>): Mat3 {
  let x = Array.from(m).slice(0, 9);
  for (let it = 0; it < 100; it++) {
    const inv = inverse3(x);
    // X^-T: transpose of the inverse.
    const next = x.map((v, p) => 0.5 * (v + inv[3 * (p % 3) + Math.floor(p / 3)]));
    const change = Math.max(...next.map((v, p) => Math.abs(v - x[p])));
    x = next;
    if (change < 1e-15) break;
  }
  return x as Mat3;
}

/** Volume geometry from an affine, with what had to be approximated. */
export interface AffineGeometry {
  spacing: Vec3;
  origin: Vec3;
  direction: Mat3;
  warnings: string[];
}

/**
 * Split an LPS affine into `Volume` geometry: spacing = column norms, direction = normalised
 * columns, origin = translation. When the columns are not orthogonal (sheared or skewed sform, more
 * than 1e-4 in cosine) the direction becomes the nearest orthonormal matrix and a warning gives the
 * largest voxel displacement this causes. A zero column is an error unless that axis has a single
 * voxel (then it is completed by a cross product, spacing 1).
 * @param dims voxel counts along i, j, k (for the corner displacement and single-voxel axes).
 * @param what names the transform in messages, e.g. "sform".
 * @throws NiftiError when the affine is singular or not finite.
 * @example
 * ```ts
 * const g = affineToGeometry([-3, 0, 0, 178, 0, -3, 0, -11.3, 0, 0, 3, 94.3], [122, 101, 112]);
 * g.spacing; // [3, 3, 3]
 * g.direction; // [-1, 0, 0, 0, -1, 0, 0, 0, 1]
 * ```
 */
export function affineToGeometry(a: Affine34, dims: Vec3, what = "affine"): AffineGeometry {
  const warnings: string[] = [];
  if (a.some((x) => !Number.isFinite(x))) {
    throw new NiftiError(`the ${what} holds non-finite numbers [${a.join(", ")}]; the header is corrupt`);
  }
  const cols = [0, 1, 2].map((c) => [a[c], a[4 + c], a[8 + c]]);
  const norms = cols.map((v) => Math.hypot(v[0], v[1], v[2]));
  const zero = [0, 1, 2].filter((c) => !(norms[c] > 1e-12));
  if (zero.length > 0) {
    if (zero.length > 1 || dims[zero[0]] > 1) {
      throw new NiftiError(
        `the ${what} is singular (column ${zero.map((c) => "ijk"[c]).join(", ")} is zero), so voxel positions are undefined; fix the header (e.g. with nibabel)`,
      );
    }
    const z = zero[0];
    const [p, q] = [0, 1, 2].filter((c) => c !== z);
    const u = cols[p].map((x) => x / norms[p]), v = cols[q].map((x) => x / norms[q]);
    // Keep a right-handed (p, q, z) order for the completed axis.
    const cross = [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
    const sign = (p + 1) % 3 === q ? 1 : -1;
    cols[z] = cross.map((x) => sign * x);
    norms[z] = 1;
    warnings.push(`the ${what} has a zero ${"ijk"[z]} column (a single-slice axis): used a spacing of 1 mm along it`);
  }
  const unit = cols.map((v, c) => v.map((x) => x / norms[c]));
  let direction = [0, 1, 2].flatMap((r) => [unit[0][r], unit[1][r], unit[2][r]]) as Mat3;
  if (Math.abs(det3(direction)) < 1e-6) {
    throw new NiftiError(`the ${what} is singular (its axes are parallel), so voxel positions are undefined; fix the header`);
  }
  let worstCos = 0;
  for (let p = 0; p < 3; p++) for (let q = p + 1; q < 3; q++) {
    worstCos = Math.max(worstCos, Math.abs(unit[p][0] * unit[q][0] + unit[p][1] * unit[q][1] + unit[p][2] * unit[q][2]));
  }
  const spacing = norms as Vec3;
  const origin: Vec3 = [a[3], a[7], a[11]];
  if (worstCos > 1e-4) {
    direction = nearestOrthonormal(direction);
    const approx: Affine34 = [0, 1, 2].flatMap((r) => [
      direction[3 * r] * spacing[0], direction[3 * r + 1] * spacing[1], direction[3 * r + 2] * spacing[2], origin[r],
    ]);
    const moved = maxCornerDistance(a, approx, [3, ...dims]);
    const angle = (Math.asin(Math.min(1, worstCos)) * 180) / Math.PI;
    warnings.push(
      `the ${what} axes are not orthogonal (sheared by up to ${angle.toPrecision(3)}°): used the nearest orthonormal direction, which moves voxels by up to ${moved.toPrecision(3)} mm at the volume corners`,
    );
  }
  return { spacing, origin, direction, warnings };
}

/** The NIfTI transforms of a `Volume` geometry. */
export interface NiftiTransforms {
  /** sform, RAS, 3x4 row-major. */
  srow: Affine34;
  quatern: [number, number, number];
  /** qoffset (RAS). */
  qoffset: [number, number, number];
  /** Stored in pixdim[0]. */
  qfac: 1 | -1;
}

/**
 * The sform and qform (NIfTI RAS) of an LPS geometry: sform = diag(-1, -1, 1) * D * diag(spacing)
 * with the origin; qform = the quaternion of diag(-1, -1, 1) * D (made exactly orthonormal first)
 * with qfac for left-handed grids.
 * @example
 * ```ts
 * const t = geometryToNifti({ spacing: [1, 1, 2], origin: [10, 20, 30], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] });
 * t.srow; // [-1, 0, 0, -10, 0, -1, 0, -20, 0, 0, 2, 30]
 * ```
 */
export function geometryToNifti(g: { spacing: Vec3; origin: Vec3; direction: Mat3 }): NiftiTransforms {
  const { spacing: s, origin: o, direction: d } = g;
  const lps: Affine34 = [0, 1, 2].flatMap((r) => [d[3 * r] * s[0], d[3 * r + 1] * s[1], d[3 * r + 2] * s[2], o[r]]);
  const srow = flipRasLps(lps);
  const rasDir = d.map((x, p) => (p < 6 ? -x : x)) as Mat3;
  const { quatern, qfac } = rotationToQuaternion(nearestOrthonormal(rasDir));
  return { srow, quatern, qoffset: [srow[3], srow[7], srow[11]], qfac };
}
