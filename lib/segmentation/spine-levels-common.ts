/**
 * What the parts of the automatic level naming share (see spine-levels.ts for the method): its
 * error, thresholds, level names, result types, the axial-grid check and small vector helpers.
 * @module
 */
import type { Vec3, Volume } from "../volume/volume.js";
import { SegmentationError } from "./mask.js";

/** Automatic level naming failed: no column, neither sacrum nor ribs, or the level asked for is not in view. */
export class LevelNamingError extends SegmentationError {
  override name = "LevelNamingError";
}

/** A point given to pick a vertebra (`--at`) is not inside one. */
export class PointNotInVertebraError extends LevelNamingError {
  override name = "PointNotInVertebraError";
}

/**
 * Bone threshold of the level naming (mg/cm3 K2HPO4). Tuned: on 3 mm slices 150 breaks the thin
 * vertebral bodies apart; 75 keeps them (about a fifth of TotalSegmentator's body voxels read below
 * 75 on the example scan, its disc voxels a median 64).
 */
export const LEVEL_BONE_THRESHOLD = 75;

/**
 * Threshold (mg/cm3 K2HPO4) of the ~9 mm box-smoothed density that makes bodies and discs one rod.
 * Tuned: between muscle (27) and blood (36) of the example scan's internal calibration and its disc
 * median (64, TotalSegmentator disc label).
 */
export const COLUMN_THRESHOLD = 55;

/**
 * Half-width (mm, each side of the column centre) that the bone joined to the column must reach in an
 * axial slice for the slice to count as sacrum (alae joined to the ilia). Tuned: the example scan's
 * L5 with its transverse processes spans at most 96 mm (48 a side), its sacrum with the ilia 189-210 mm.
 */
export const SACRAL_HALF_WIDTH_MM = 60;

/**
 * Closing radius (mm) of a cut-out vertebra. Tuned: about a fifth of a 3 mm body's voxels read below
 * {@link LEVEL_BONE_THRESHOLD}, scattered through it; without the closing the body that
 * isolateVertebralBody finds in the example scan's L1 keeps a quarter of its voxels (Dice 0.32
 * against TotalSegmentator's), with it Dice 0.92.
 */
export const VERTEBRA_CLOSING_MM = 3;

/** Names of the levels the naming can give, bottom up. */
export const SPINE_LEVELS_BOTTOM_UP = ["S1", "L5", "L4", "L3", "L2", "L1", "T12", "T11", "T10"] as const;
/** A vertebral level name. */
export type SpineLevelName = (typeof SPINE_LEVELS_BOTTOM_UP)[number];

/** Options of the level naming. */
export interface SpineLevelOptions {
  /** Bone threshold (mg/cm3). Default {@link LEVEL_BONE_THRESHOLD}. */
  boneThreshold?: number;
  /** Column (bodies + discs) threshold of the smoothed density (mg/cm3). Default {@link COLUMN_THRESHOLD}. */
  columnThreshold?: number;
  /** Half-width (mm) of the left-right search window around the body outline's centre. Default 25. */
  searchHalfWidthMm?: number;
  /** Radius (mm) of the disc sampled across the column for the profile. Default 6. */
  profileRadiusMm?: number;
  /** Spacing (mm) of neighbouring discs along the column: [min, max]. Default [22, 45]. */
  discSpacingMm?: [number, number];
  /** Sacrum half-width (mm). Default {@link SACRAL_HALF_WIDTH_MM}. */
  sacralHalfWidthMm?: number;
}

/** An intervertebral disc found along the column (world LPS mm). */
export interface DiscPlane {
  /** The two levels it separates, upper/lower: "L5/S1", "L4/L5", ... ("?" where a side is not named). */
  name: string;
  /** Its centre on the column centreline. */
  point: Vec3;
  /** Unit column direction there, pointing superior: the disc plane's normal. */
  normal: Vec3;
  /** Position along the centreline (mm from its lowest point). */
  arcMm: number;
  /** Profile density at the disc (mg/cm3). */
  densityMgCm3: number;
  /** Depth of the profile minimum below the neighbouring endplates (mg/cm3). */
  depthMgCm3: number;
  /**
   * The disc's extent along the column (mm from `point`, below and above): where the profile climbs
   * back halfway from the minimum to the lower of its endplate peaks. The endplates lie there.
   */
  extentMm: [number, number];
  /** "profile": a profile minimum; "sacrum": placed at the sacral top for want of a minimum. */
  source: "profile" | "sacrum";
}

/** A vertebra between discs found along the column, named or (without sacrum and ribs) not. */
export interface ColumnLevel<N extends SpineLevelName | null = SpineLevelName | null> {
  name: N;
  /** Its centre on the column centreline (midway between its discs). */
  centre: Vec3;
  /** Unit column direction at the centre, pointing superior. */
  axis: Vec3;
  /** Disc below (null for S1, or the lowest level when the scan starts in it). */
  inferior: DiscPlane | null;
  /** Disc above (null for the topmost level when the scan ends in it). */
  superior: DiscPlane | null;
  /** Disc-to-disc length along the centreline (mm), null when a disc is missing. */
  heightMm: number | null;
  /** Axial slices (k) whose centreline point lies between its discs. */
  slices: [number, number];
  /** True when both discs were found: only such a level can be cut out. */
  complete: boolean;
}

/** A named vertebra. */
export type NamedLevel = ColumnLevel<SpineLevelName>;

/** A rib found beside the column. */
export interface RibEvidence { medialEnd: Vec3; level: SpineLevelName | null; lateralReachMm: number; side: "left" | "right" }

/** Result of the level naming: plain, JSON-serialisable data. */
export interface SpineLevelsResult {
  /** Named levels, bottom up. */
  levels: NamedLevel[];
  /** Discs, bottom up. */
  discs: DiscPlane[];
  /** How the names were anchored: counted up from the sacrum, or from T12 as the lowest rib-bearing vertebra. */
  namedFrom: "sacrum" | "ribs";
  /** The column centreline: slices it spans, its length, and the mean inscribed radius. */
  column: { slices: [number, number]; lengthMm: number; meanRadiusMm: number };
  /** The disc profile along the centreline. */
  profile: { arcMm: number[]; densityMgCm3: number[] };
  /** Sacrum evidence (null when no sacrum is in view). */
  sacrum: { topSlice: number; bottomSlice: number; topPoint: Vec3; maxHalfWidthMm: [number, number]; otherRuns: number[][] } | null;
  /**
   * Rib evidence: the ribs found, the lowest rib-bearing level, and whether it is the T12 counted from
   * the sacrum (null when only one of the two routes was possible).
   */
  ribs: { found: RibEvidence[]; lowestLevel: SpineLevelName | null; agrees: boolean | null };
  /** Disc-to-disc heights (mm) of the complete lumbar levels, and their median. */
  heights: { level: SpineLevelName; heightMm: number }[];
  medianHeightMm: number | null;
  /** The method, in one line, for reports. */
  method: string;
  warnings: string[];
}

// ---------------------------------------------------------------------------------------------
// Small vector helpers
// ---------------------------------------------------------------------------------------------

export const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
export const unit = (a: Vec3): Vec3 => {
  const n = Math.hypot(a[0], a[1], a[2]) || 1;
  return [a[0] / n, a[1] / n, a[2] / n];
};
export const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
export const lerp3 = (a: Vec3, b: Vec3, f: number): Vec3 => [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2])];
export const round3 = (a: Vec3, d = 2): Vec3 => a.map((x) => +x.toFixed(d)) as Vec3;

export function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// ---------------------------------------------------------------------------------------------
// Geometry of the grid
// ---------------------------------------------------------------------------------------------

export interface Grid {
  nx: number; ny: number; nz: number;
  /** World step (mm) per unit of i and j. */
  ei: Vec3; ej: Vec3;
}

/** The grid of an axial scan. @throws LevelNamingError when the scan is not axial. */
export function gridOf(v: Volume): Grid {
  const d = v.direction, s = v.spacing;
  const cos30 = Math.cos(Math.PI / 6);
  if (Math.abs(d[0]) < cos30 || Math.abs(d[4]) < cos30 || Math.abs(d[8]) < cos30) {
    throw new LevelNamingError(`automatic level naming needs an axial scan (voxel axes within 30 degrees of left-right, antero-posterior and cranio-caudal); this one's direction is [${d.map((x) => x.toFixed(3)).join(", ")}]: give a vertebra label map (--labels) instead`);
  }
  return {
    nx: v.dims[0], ny: v.dims[1], nz: v.dims[2],
    ei: [d[0] * s[0], d[3] * s[0], d[6] * s[0]],
    ej: [d[1] * s[1], d[4] * s[1], d[7] * s[1]],
  };
}
