/**
 * Stacking slices into a volume grid: consistency checks, sorting along the slice normal, spacing,
 * origin and direction in LPS.
 *
 * Slices are sorted by their position along the normal `n = row x column` of
 * ImageOrientationPatient (`dot(ImagePositionPatient, n)`), never by file name or InstanceNumber.
 * The volume's axes are: i along a row (ImageOrientationPatient[0..2], spacing PixelSpacing[1]),
 * j down a column (ImageOrientationPatient[3..5], spacing PixelSpacing[0]) and k along `n`, which
 * after sorting is the direction from the first to the last slice.
 * @module
 */
import type { Mat3, Vec3 } from "../../volume/volume.js";
import { DicomError } from "./errors.js";
import type { FrameHeader, InstanceHeader } from "./header.js";

/** One slice: a frame of an instance. */
export interface Slice {
  instance: InstanceHeader;
  frame: FrameHeader;
}

/** The grid of a stack of slices. */
export interface StackGeometry {
  /** The slices in k order. */
  slices: Slice[];
  dims: Vec3;
  spacing: Vec3;
  origin: Vec3;
  direction: Mat3;
  warnings: string[];
}

/** Tolerances of the stack checks. */
export const STACK_TOLERANCES = {
  /** Largest difference of direction cosines between slices. */
  orientation: 1e-4,
  /** Largest relative difference of PixelSpacing between slices. */
  pixelSpacing: 1e-4,
  /** Two slices closer than this (mm) along the normal are duplicates. */
  duplicate: 1e-3,
  /** Slice spacings agree when within max(absolute mm, relative x spacing). */
  spacingAbsolute: 0.01,
  spacingRelative: 0.01,
  /** In-plane drift of slice positions (mm) below which the stack is taken as orthogonal silently. */
  obliqueSilent: 0.05,
} as const;

/** "file" or "file frame 3" for messages. */
export function sliceName(s: Slice): string {
  return s.instance.numberOfFrames > 1 ? `${s.instance.path} frame ${s.frame.frame + 1}` : s.instance.path;
}

const fmt = (x: number): string => String(Number(x.toFixed(3)));
const fmtVec = (v: ArrayLike<number>): string => `(${Array.from(v, fmt).join(", ")})`;
const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: ArrayLike<number>, b: ArrayLike<number>): Vec3 => [
  a[1] * b[2] - a[2] * b[1],
  a[2] * b[0] - a[0] * b[2],
  a[0] * b[1] - a[1] * b[0],
];
const norm = (a: ArrayLike<number>): number => Math.sqrt(dot(a, a));

function requireGeometry(s: Slice): { position: Vec3; orientation: number[]; pixelSpacing: [number, number] } {
  const { position, orientation, pixelSpacing } = s.frame;
  const name = sliceName(s);
  if (!position) throw new DicomError(`${name} has no ImagePositionPatient (0020,0032): its slice cannot be placed in space`);
  if (!orientation || orientation.length < 6) {
    throw new DicomError(`${name} has no ImageOrientationPatient (0020,0037): its slice cannot be placed in space`);
  }
  if (!pixelSpacing || !(pixelSpacing[0] > 0) || !(pixelSpacing[1] > 0)) {
    throw new DicomError(`${name} has no valid PixelSpacing (0028,0030): the voxel size is unknown`);
  }
  return { position, orientation, pixelSpacing };
}

/**
 * Check that the slices form one regular stack and compute its grid.
 * @param slices in any order (messages name the first offending slice in this order)
 * @throws DicomError for mixed image sizes, orientations or pixel spacings, duplicate positions,
 *   missing slices, non-uniform spacing, or obliquely stacked (gantry-tilted) slices.
 */
export function stackSlices(slices: Slice[]): StackGeometry {
  if (slices.length === 0) throw new DicomError("the series has no image slices");
  const warnings: string[] = [];
  const first = slices[0];
  const g0 = requireGeometry(first);
  const rows = first.instance.rows, cols = first.instance.columns;
  for (const s of slices) {
    const g = requireGeometry(s);
    if (s.instance.rows !== rows || s.instance.columns !== cols) {
      throw new DicomError(
        `${sliceName(s)} has ${s.instance.columns}x${s.instance.rows} pixels (Columns x Rows) but ${sliceName(first)} has ` +
          `${cols}x${rows}; the series mixes image sizes`,
      );
    }
    for (let c = 0; c < 6; c++) {
      if (Math.abs(g.orientation[c] - g0.orientation[c]) > STACK_TOLERANCES.orientation) {
        throw new DicomError(
          `${sliceName(s)} has ImageOrientationPatient [${g.orientation.slice(0, 6).map(fmt).join(", ")}] but ` +
            `${sliceName(first)} has [${g0.orientation.slice(0, 6).map(fmt).join(", ")}]; the series mixes slice orientations ` +
            `(a localizer or a reformatted stack?)`,
        );
      }
    }
    for (let c = 0; c < 2; c++) {
      if (Math.abs(g.pixelSpacing[c] - g0.pixelSpacing[c]) > STACK_TOLERANCES.pixelSpacing * g0.pixelSpacing[c]) {
        throw new DicomError(
          `${sliceName(s)} has PixelSpacing [${g.pixelSpacing.map(fmt).join(", ")}] mm but ${sliceName(first)} has ` +
            `[${g0.pixelSpacing.map(fmt).join(", ")}] mm; the series mixes pixel sizes`,
        );
      }
    }
  }
  if (!(rows! > 0) || !(cols! > 0)) throw new DicomError(`${sliceName(first)} has no valid Rows/Columns`);

  // Orthonormal in-plane axes from ImageOrientationPatient.
  const o = g0.orientation;
  const rowLen = norm(o.slice(0, 3)), colLen = norm(o.slice(3, 6));
  if (Math.abs(rowLen - 1) > 0.01 || Math.abs(colLen - 1) > 0.01) {
    throw new DicomError(`${sliceName(first)} has ImageOrientationPatient [${o.map(fmt).join(", ")}] whose direction cosines are not unit vectors`);
  }
  const r: Vec3 = [o[0] / rowLen, o[1] / rowLen, o[2] / rowLen];
  let c: Vec3 = [o[3] / colLen, o[4] / colLen, o[5] / colLen];
  const rc = dot(r, c);
  if (Math.abs(rc) > 0.01) {
    throw new DicomError(`${sliceName(first)} has ImageOrientationPatient [${o.map(fmt).join(", ")}] whose row and column directions are not perpendicular`);
  }
  c = [c[0] - rc * r[0], c[1] - rc * r[1], c[2] - rc * r[2]];
  const cl = norm(c);
  c = [c[0] / cl, c[1] / cl, c[2] / cl];
  const n = cross(r, c);

  const sorted = slices
    .map((s) => ({ s, p: s.frame.position!, d: dot(s.frame.position!, n) }))
    .sort((a, b) => a.d - b.d);

  const nz = sorted.length;
  for (let k = 1; k < nz; k++) {
    if (sorted[k].d - sorted[k - 1].d < STACK_TOLERANCES.duplicate) {
      throw new DicomError(
        `${sliceName(sorted[k - 1].s)} and ${sliceName(sorted[k].s)} are at the same position ${fmtVec(sorted[k].p)} mm: ` +
          `the series holds duplicate slices (several acquisitions, phases or a re-sent slice?); keep one file per position`,
      );
    }
  }

  let sliceSpacing: number;
  if (nz === 1) {
    const inst = first.instance;
    sliceSpacing = inst.spacingBetweenSlices ?? first.frame.sliceThickness ?? 1;
    if (!(sliceSpacing > 0)) sliceSpacing = 1;
    warnings.push(`the series has a single slice; its k spacing ${fmt(sliceSpacing)} mm comes from ${
      inst.spacingBetweenSlices ? "SpacingBetweenSlices" : first.frame.sliceThickness ? "SliceThickness" : "a default of 1 mm"}`);
  } else {
    const gaps = sorted.slice(1).map((x, k) => x.d - sorted[k].d);
    let min = Infinity, max = -Infinity, kMax = 0;
    gaps.forEach((g, k) => {
      if (g < min) min = g;
      if (g > max) { max = g; kMax = k; }
    });
    const tol = Math.max(STACK_TOLERANCES.spacingAbsolute, STACK_TOLERANCES.spacingRelative * min);
    if (max - min > tol) {
      // A gap: every spacing is a whole multiple of the smallest one.
      const multiples = gaps.map((g) => Math.round(g / min));
      const whole = gaps.every((g, k) => Math.abs(g - multiples[k] * min) <= tol * multiples[k]);
      if (whole) {
        const k = multiples.findIndex((m) => m >= 2);
        const a = sorted[k], b = sorted[k + 1];
        const missing = multiples[k] - 1;
        throw new DicomError(
          `missing slice(s) between positions ${fmtVec(a.p)} and ${fmtVec(b.p)} mm (${sliceName(a.s)} and ${sliceName(b.s)}): ` +
            `they are ${fmt(gaps[k])} mm apart where the other slices are ${fmt(min)} mm apart, so about ${missing} ` +
            `slice${missing === 1 ? " is" : "s are"} missing; re-export the complete series`,
        );
      }
      throw new DicomError(
        `non-uniform slice spacing: consecutive slices are from ${fmt(min)} to ${fmt(max)} mm apart (the largest between ` +
          `positions ${fmtVec(sorted[kMax].p)} and ${fmtVec(sorted[kMax + 1].p)} mm, ${sliceName(sorted[kMax].s)} and ` +
          `${sliceName(sorted[kMax + 1].s)}); this reader needs evenly spaced slices: re-export or resample the series`,
      );
    }
    sliceSpacing = (sorted[nz - 1].d - sorted[0].d) / (nz - 1);

    // Oblique stacking (gantry tilt): in-plane drift of the positions away from the normal line.
    const p0 = sorted[0].p;
    let drift = 0;
    for (const x of sorted) {
      const v: Vec3 = [x.p[0] - p0[0], x.p[1] - p0[1], x.p[2] - p0[2]];
      const along = dot(v, n);
      drift = Math.max(drift, norm([v[0] - along * n[0], v[1] - along * n[1], v[2] - along * n[2]]));
    }
    if (drift > STACK_TOLERANCES.obliqueSilent) {
      const last = sorted[nz - 1].p;
      const stack: Vec3 = [last[0] - p0[0], last[1] - p0[1], last[2] - p0[2]];
      const angle = (Math.acos(Math.min(1, Math.abs(dot(stack, n)) / norm(stack))) * 180) / Math.PI;
      const halfPixel = 0.5 * Math.min(g0.pixelSpacing[0], g0.pixelSpacing[1]);
      if (drift > halfPixel) {
        throw new DicomError(
          `the slices are stacked obliquely: the line through their positions is ${angle.toFixed(2)} degrees off the slice ` +
            `normal (gantry tilt?), drifting ${fmt(drift)} mm in-plane over the stack; this reader does not resample tilted ` +
            `series: reconstruct without gantry tilt or resample to an orthogonal grid first`,
        );
      }
      warnings.push(
        `the slices are stacked ${angle.toFixed(3)} degrees off their normal (in-plane drift ${fmt(drift)} mm, under half a ` +
          `pixel); they are treated as orthogonal`,
      );
    }
  }

  const [rowSpacing, colSpacing] = g0.pixelSpacing;
  return {
    slices: sorted.map((x) => x.s),
    dims: [cols!, rows!, nz],
    spacing: [colSpacing, rowSpacing, sliceSpacing],
    origin: [...sorted[0].p] as Vec3,
    direction: [r[0], c[0], n[0], r[1], c[1], n[1], r[2], c[2], n[2]],
    warnings,
  };
}
