/**
 * The spine analysis's first stage when no vertebra label map is given: find the vertebra to analyse
 * (a named level, or the one holding a point) fast, before the calibration and everything after it,
 * so that a scan where it cannot be found fails within seconds.
 *
 * The scan is averaged onto a coarse grid (blocks of whole voxels, about {@link LEVEL_GRID_MM} mm: the
 * level naming was tuned on 3 mm voxels) and calibrated provisionally (the same calibration choice:
 * internal on a grid coarser along the body axis, {@link PROVISIONAL_CALIBRATION_GRID_MM}, or the phantom's rods,
 * which are measured on one averaged image anyway),
 * and the levels are named on that coarse density (segmentation/spine-levels). The disc planes found are
 * world planes: the analysis then cuts the vertebra out of the full-resolution calibrated density
 * between them (the refinement).
 *
 * @example
 * ```ts
 * const target = findSpineTarget(ct, { kind: "internal" }, { level: "L1" });
 * console.log(target.level.name, target.naming?.namedFrom, target.warnings);
 * ```
 * @module
 */
import { applyCalibration, type CalibrationFit } from "../calibration/fit.js";
import { internalCalibration } from "../calibration/internal.js";
import { phantomCalibration } from "../calibration/phantom.js";
import {
  findNamedLevel, namedOrThrow, surveyColumn, vertebraAtPoint, type ColumnLevel, type SpineLevelsResult,
} from "../segmentation/spine-levels.js";
import { createVolume, indexToWorld, type Vec3, type Volume } from "../volume/volume.js";
import type { CalibrationChoice } from "./stages.js";

/**
 * Voxel size (mm) aimed at by the coarse grid of the level finding. Tuned: the level naming's
 * thresholds and windows were set on the 3 mm TotalSegmentator example scan; on a 512 x 512 x 300
 * scan of 0.8 mm pixels the coarse grid holds about 2% of the voxels.
 */
export const LEVEL_GRID_MM = 3;

/**
 * Voxel size (mm: left-right, antero-posterior, cranio-caudal) of the grid the provisional internal
 * calibration runs on: the level grid's in-plane size, and 9 mm along the body axis, along which the
 * reference tissues (aorta, muscles, fat) run. Tuned on the example scan (3 mm voxels, a busy 2-core
 * machine): the fit takes 40% of the 3 mm time and gives slope 0.618 and intercept 12.9 against 0.623
 * and 11.7 (mg/cm3 K2HPO4 per HU); 6 mm blocks in all three axes lose the aorta of the same scan
 * upsampled to 1.5 mm (slope 16% off), 15 mm along the axis the slope is 13% off.
 */
export const PROVISIONAL_CALIBRATION_GRID_MM: Vec3 = [3, 3, 9];

/**
 * The levels at which the BCT vertebral strength thresholds were derived: L1 or L2 (bct-reference.md
 * §4 "BCT models the body ... L1 or L2" ◇; the thresholds: Keaveny et al. 2020, Osteoporos Int
 * 31:1025, Table 1 ✔). Another level's strength class is an extrapolation.
 */
export const STRENGTH_THRESHOLD_LEVELS: readonly string[] = ["L1", "L2"];

/** The warning for a level outside {@link STRENGTH_THRESHOLD_LEVELS} (none inside; `null`: unknown level). */
export function thresholdLevelWarnings(level: string | null): string[] {
  if (level !== null && STRENGTH_THRESHOLD_LEVELS.includes(level.toUpperCase())) return [];
  return [`the strength class thresholds (Keaveny 2020) were derived for vertebral bodies at ${STRENGTH_THRESHOLD_LEVELS.join("-")}; ${level === null ? "the analysed vertebra's level is not known" : `${level.toUpperCase()} is another level`}, so its class is an extrapolation (vertebral strength changes from level to level: larger bodies below, smaller above)`];
}

/**
 * The scan averaged over blocks of whole voxels, about `targetMm` on a side (a block of one voxel
 * along axes already that coarse); the scan itself when no axis is finer.
 */
export function coarseGrid(ct: Volume, targetMm: number | Vec3 = LEVEL_GRID_MM): Volume {
  const f = ct.spacing.map((s, a) => Math.max(1, Math.round((typeof targetMm === "number" ? targetMm : targetMm[a]) / s))) as Vec3;
  if (f.every((x) => x === 1)) return ct;
  const [nx, ny, nz] = ct.dims;
  const dims = ct.dims.map((n, a) => Math.ceil(n / f[a])) as Vec3;
  const sum = new Float64Array(dims[0] * dims[1] * dims[2]);
  const count = new Uint16Array(sum.length);
  const blockOfI = Int32Array.from({ length: nx }, (_, i) => Math.floor(i / f[0]));
  const src = ct.data;
  for (let k = 0; k < nz; k++) {
    const K = Math.floor(k / f[2]) * dims[0] * dims[1];
    for (let j = 0; j < ny; j++) {
      const JK = K + Math.floor(j / f[1]) * dims[0];
      const row = nx * (j + ny * k);
      for (let i = 0; i < nx; i++) sum[JK + blockOfI[i]] += src[row + i];
    }
  }
  // voxels per block: the product of the blocks' extents along each axis
  const extent = (n: number, a: number, b: number) => Math.min(n, (b + 1) * f[a]) - b * f[a];
  for (let K = 0; K < dims[2]; K++) for (let J = 0; J < dims[1]; J++) for (let I = 0; I < dims[0]; I++) {
    count[I + dims[0] * (J + dims[1] * K)] = extent(nx, 0, I) * extent(ny, 1, J) * extent(nz, 2, K);
  }
  const data = new Float32Array(sum.length);
  for (let q = 0; q < data.length; q++) data[q] = sum[q] / count[q];
  return createVolume({
    dims, spacing: ct.spacing.map((s, a) => s * f[a]) as Vec3, direction: ct.direction, data,
    origin: indexToWorld(ct, f.map((x) => (x - 1) / 2)),
  });
}

/** The calibration of the level finding, made quickly: internal on a grid coarser along the body axis, or the phantom's. */
function provisionalFit(ct: Volume, coarse: Volume, choice: CalibrationChoice): CalibrationFit {
  if (choice.kind === "phantom") return phantomCalibration(ct, choice.phantom).fit;
  return internalCalibration(coarseGrid(coarse, PROVISIONAL_CALIBRATION_GRID_MM), { anatomy: "spine", labels: choice.labels, waterDisplacement: choice.waterDisplacement }).fit;
}

/** What to analyse: a level name, or a point (LPS mm) inside the vertebra. */
export interface SpineTargetRequest {
  level?: string;
  at?: Vec3;
}

/** The vertebra found by {@link findSpineTarget}. */
export interface SpineTarget {
  /** The level between its two discs (world planes); `name` null when picked by a point and unnamed. */
  level: ColumnLevel;
  /** The naming of the column (null when neither a sacrum nor ribs are in view). */
  naming: SpineLevelsResult | null;
  /** The point it was picked by, if any. */
  at?: Vec3;
  /** The coarse grid it was found on: voxel size (mm) and dims. */
  grid: { spacing: Vec3; dims: Vec3 };
  warnings: string[];
}

/**
 * Find the vertebra to analyse on a coarse, provisionally calibrated copy of the scan (see the module
 * notes): by its level name, or as the vertebra holding the point `at`.
 * @throws LevelNamingError (PointNotInVertebraError for a point) when it cannot be found; CalibrationError when
 *   the provisional calibration fails.
 */
export function findSpineTarget(ct: Volume, choice: CalibrationChoice, want: SpineTargetRequest): SpineTarget {
  const { density, survey, grid } = coarseSurvey(ct, choice);
  if (want.at) {
    const pick = vertebraAtPoint(density, want.at, { survey });
    return { level: pick.level, naming: pick.naming, at: want.at, grid, warnings: pick.warnings };
  }
  const naming = namedOrThrow(survey);
  return { level: findNamedLevel(naming, want.level ?? "L1"), naming, grid, warnings: naming.warnings };
}

/**
 * The named levels of the column, found the same way as {@link findSpineTarget} (coarse copy,
 * provisional calibration), so that every analysis of a scan (strength, DXA) cuts the same vertebrae.
 * @throws LevelNamingError when neither a sacrum nor ribs name the column.
 */
export function findSpineLevels(ct: Volume, choice: CalibrationChoice): SpineLevelsResult {
  return namedOrThrow(coarseSurvey(ct, choice).survey);
}

/** The coarse, provisionally calibrated copy of the scan and the survey of its column. */
function coarseSurvey(ct: Volume, choice: CalibrationChoice): { density: Volume; survey: ReturnType<typeof surveyColumn>; grid: SpineTarget["grid"] } {
  const coarse = coarseGrid(ct);
  const density = applyCalibration(coarse, provisionalFit(ct, coarse, choice));
  const grid = { spacing: coarse.spacing.map((s) => +s.toFixed(3)) as Vec3, dims: [...coarse.dims] as Vec3 };
  return { density, survey: surveyColumn(density), grid };
}
