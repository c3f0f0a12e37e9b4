/**
 * The spine analysis: CT (HU) -> calibrated density -> vertebra mask (a label map, the level named
 * automatically from the sacrum or the ribs or the vertebra holding a point, found on a coarse grid
 * before the calibration so that a miss fails fast; or the bone mask of the embedded phantom) ->
 * vertebral body (posterior elements removed) -> landmarks -> voxel model -> axial compression
 * between the endplates -> stiffness, strength, class.
 *
 * Vertebral strength is the linear criterion's failure load (the same critical-volume principal
 * strain criterion as the hip), reported to 10 N; the load at Ogo's 0.68% apparent strain of the body
 * height is given beside it.
 *
 * @example
 * ```ts
 * const { result } = analyzeSpine(ct.volume, {
 *   sex: "F", calibration: { kind: "internal" },
 *   vertebra: { map: levels, label: TOTALSEGMENTATOR_VERTEBRA_LABELS.L1 },
 * });
 * // without a label map: the level is named automatically (from the sacrum, or from the ribs)
 * const auto = analyzeSpine(ct.volume, { sex: "F", calibration: { kind: "internal" }, level: "L1" });
 * console.log(auto.result.levelNaming?.warnings);
 * // or the vertebra holding a point (LPS mm)
 * const picked = analyzeSpine(ct.volume, { sex: "F", calibration: { kind: "internal" }, at: [4, -130, 352] });
 * ```
 * @module
 */
import { vertebraLandmarks, type VertebraLandmarks } from "../anatomy/vertebra.js";
import type { CalibrationFit } from "../calibration/fit.js";
import type { FeSolution } from "../fe/solve/solve.js";
import type { VoxelModel } from "../fe/voxel-model.js";
import { compression, spineBoundaryConditions, type CompressionCase, type SpineBoundaryConditions } from "../loading/spine.js";
import type { ElementGrid } from "../mesh/voxelize.js";
import { connectedComponents, fillHoles } from "../segmentation/components.js";
import { labelMaskOnGrid } from "../segmentation/labels.js";
import { SegmentationError, thresholdMask, type Mask } from "../segmentation/mask.js";
import { vertebraMask, type SpineLevelsResult } from "../segmentation/spine-levels.js";
import { isolateVertebralBody } from "../segmentation/vertebra.js";
import type { SpineDxaArtifacts, SpineDxaResult } from "../dxa/spine.js";
import { overallRisk, type OverallRisk } from "../dxa/reference.js";
import type { Sex, StrengthClass } from "../strength/classify.js";
import { classifyWithThresholds, defaultThresholdSet, provisionalDefinition, type ThresholdSet, type ThresholdsUsed } from "../strength/thresholds.js";
import { OGO_VERTEBRAL_APPARENT_STRAIN } from "../strength/criteria.js";
import { linearStrength, type LinearStrengthResult } from "../strength/linear.js";
import { createVolume, type Volume } from "../volume/volume.js";
import { findSpineTarget, thresholdLevelWarnings, type SpineTarget } from "./level-finding.js";
import { StageClock, type ProgressListener } from "./progress.js";
import { calibrateStage, calibrationSummary, mean, modelStage, solveStage, solverSummary, spineDxaStage, Warnings, type CalibrationChoice, type CalibrationSummary, type SolverSummary } from "./stages.js";

/** TotalSegmentator "total" (v2) labels of the lumbar and lower thoracic vertebrae (class_map_total.json). */
export const TOTALSEGMENTATOR_VERTEBRA_LABELS: Readonly<Record<string, number>> = {
  S1: 26, L5: 27, L4: 28, L3: 29, L2: 30, L1: 31, T12: 32, T11: 33, T10: 34,
};

/**
 * Density threshold (mg/cm3 K2HPO4) of the vertebra when no label map is given: below the 150 of the
 * general bone mask because vertebral trabecular bone is sparse (osteoporotic below 80, normal above
 * 120 by the ACR categories, bct-reference.md §5); the thin shell holds the rest, filled afterwards.
 */
export const SPINE_BONE_THRESHOLD = 100;

/** Options of {@link analyzeSpine}. */
export interface SpineAnalysisOptions {
  sex: Sex;
  calibration: CalibrationChoice;
  /**
   * The vertebra from a label map; without it, `level` names it automatically, and without both the
   * bone mask's most central vertebra is used (the embedded phantom).
   */
  vertebra?: { map: Volume; label: number; level?: string };
  /**
   * Level to analyse when no `vertebra` label map is given ("T10".."L5"): named automatically (counted
   * up from the sacrum, or from T12 as the lowest rib-bearing vertebra; lib/segmentation/spine-levels)
   * on a coarse grid before the calibration (lib/pipeline/level-finding); a LevelNamingError when it
   * cannot be found. Levels other than L1-L2 get a warning (the strength thresholds were derived there).
   */
  level?: string;
  /**
   * Or the vertebra holding this point (LPS mm), when no `vertebra` label map is given: for scans whose
   * levels cannot be named. A PointNotInVertebraError when the point is not inside a vertebra.
   */
  at?: [number, number, number];
  /** Element edge (mm). Default 1.0 (spine, bct-reference.md §3). */
  elementSize?: number;
  /** Default "kopperdahl2002" (reference default for the vertebra). */
  modulusLaw?: string;
  poisson?: number;
  loadCase?: CompressionCase;
  tol?: number;
  /** Also measure the level's AP aBMD and QCT trabecular vBMD with the ACR category (lib/dxa). Default true. */
  dxa?: boolean;
  /**
   * Thresholds of the strength class. Default: the shipped set derived for this strength's definition
   * (datasets/thresholds), else the published Keaveny 2020 set. A derived set of another definition gives no class.
   */
  thresholds?: ThresholdSet;
  onProgress?: ProgressListener;
}

/** The JSON-serialisable result of a spine analysis. */
export interface SpineAnalysisResult {
  site: "spine";
  sex: Sex;
  level?: string;
  /** The automatic level naming's evidence (absent when the vertebra came from a label map or the phantom, or could not be named). */
  levelNaming?: Omit<SpineLevelsResult, "profile">;
  /** The point the vertebra was picked by (`at`), its level name (null: unnamed) and its centre on the column. */
  vertebraAt?: { point: [number, number, number]; level: string | null; centre: [number, number, number] };
  strengthN: number;
  stiffnessNPerMm: number;
  /** Null when the thresholds were derived for another strength definition (see `thresholds`). */
  classification: StrengthClass | null;
  /** Which thresholds classified the strength, where they come from, and whether they fit its definition. */
  thresholds: ThresholdsUsed;
  /** Load at 0.68% apparent strain of the body height (Ogo, attributed to Crawford 2003). */
  loadAtApparentStrainN: number;
  elementSizeMm: number;
  elements: number;
  dofs: number;
  calibration: CalibrationSummary;
  vertebra: Pick<VertebraLandmarks, "centroid" | "axis" | "heightMm" | "volumeMm3" | "endplateAngleDeg"> & { meanDensityMgCm3: number };
  loadCase: CompressionCase;
  materials: { law: string; chain: string[]; poisson: number; meanModulusMPa: number };
  strength: { criterion: string; mode: string; criticalRisk: number; loadAtSolveN: number };
  solver: SolverSummary;
  /** The analysed level's AP aBMD and trabecular vBMD (mg/cm3 HA) with the ACR category, when measured. */
  dxa?: SpineDxaResult;
  /** BCT overall fracture risk from the strength class and the ACR category (Keaveny 2020 ✔), when measured. */
  overallRisk?: OverallRisk;
  seconds: number;
  stageSeconds: Record<string, number>;
  warnings: string[];
}

/** Intermediate results kept for display. */
export interface SpineArtifacts {
  density: Volume<Float32Array>;
  bodyMask: Mask;
  calibration: CalibrationFit;
  landmarks: VertebraLandmarks;
  grid: ElementGrid;
  model: VoxelModel;
  bc: SpineBoundaryConditions;
  solution: FeSolution;
  linear: LinearStrengthResult;
  /** The automatic level naming, profile included (when it ran). */
  naming?: SpineLevelsResult;
  dxa?: SpineDxaArtifacts;
}

/** The component (of at least 500 voxels) of a bone mask whose centroid is nearest the scan centre: the middle vertebra. */
export function centralComponent(mask: Mask): Mask {
  const cc = connectedComponents(mask, 6);
  if (cc.count === 0) throw new SegmentationError("no bone found in the scan: is it calibrated?");
  const [nx, ny, nz] = mask.dims;
  const sums = Array.from({ length: cc.count }, () => [0, 0, 0, 0]);
  for (let p = 0; p < cc.labels.length; p++) {
    const l = cc.labels[p];
    if (!l) continue;
    const s = sums[l - 1];
    s[0] += p % nx; s[1] += Math.floor(p / nx) % ny; s[2] += Math.floor(p / (nx * ny)); s[3]++;
  }
  let best = -1, bestScore = Infinity;
  const centre = [(nx - 1) / 2, (ny - 1) / 2, (nz - 1) / 2];
  sums.forEach((s, c) => {
    if (s[3] < 500) return; // crumbs, not a vertebra
    const d = Math.hypot(...[0, 1, 2].map((a) => ((s[a] / s[3] - centre[a]) * mask.spacing[a])));
    if (d < bestScore) { bestScore = d; best = c + 1; }
  });
  if (best < 0) throw new SegmentationError("no vertebra-sized bone component found");
  const out = new Uint8Array(cc.labels.length);
  for (let p = 0; p < out.length; p++) out[p] = cc.labels[p] === best ? 1 : 0;
  return createVolume({ dims: mask.dims, spacing: mask.spacing, origin: mask.origin, direction: mask.direction, data: out });
}

/** Run the spine analysis on a CT volume (HU). */
export function analyzeSpine(ct: Volume, opts: SpineAnalysisOptions): { result: SpineAnalysisResult; artifacts: SpineArtifacts } {
  const clock = new StageClock(opts.onProgress);
  const warn = new Warnings();
  const target = opts.vertebra || (opts.level === undefined && opts.at === undefined) ? undefined : findTarget(clock, warn, ct, opts);
  const naming = target?.naming ?? undefined;
  if (opts.vertebra?.level) warn.add("level", thresholdLevelWarnings(opts.vertebra.level));
  const cal = calibrateStage(clock, warn, ct, opts.calibration, "spine");
  const density = cal.density;
  if (Math.max(...ct.spacing) > 2) warn.add("scan", [`the scan's voxels are ${ct.spacing.map((s) => s.toFixed(2)).join(" x ")} mm: coarse for a vertebra; the density is resampled onto ${opts.elementSize ?? 1} mm elements, which cannot restore detail the scan lacks`]);
  const body = clock.run("segmentation", "vertebral body", () => {
    let vertebra: Mask;
    const ws: string[] = [];
    if (opts.vertebra) {
      const r = labelMaskOnGrid(opts.vertebra.map, opts.vertebra.label, ct);
      vertebra = r.mask;
      ws.push(...r.warnings);
    } else if (target) {
      vertebra = vertebraMask(density, target.level); // the coarse grid's disc planes, on the full-resolution density
    } else {
      // Vertebrae are separated by discs: threshold, keep the most central component, fill it.
      vertebra = fillHoles(centralComponent(thresholdMask(density, { lo: SPINE_BONE_THRESHOLD })));
    }
    const b = isolateVertebralBody(vertebra);
    return { mask: b.body, vertebra, warnings: [...ws, ...b.warnings] };
  });
  warn.add("segmentation", body.warnings);
  const landmarks = clock.run("anatomy", "vertebral body landmarks", () => vertebraLandmarks(body.mask),
    (l) => `height ${l.heightMm.toFixed(1)} mm, volume ${(l.volumeMm3 / 1000).toFixed(1)} cm3`);
  warn.add("anatomy", landmarks.warnings);
  const levelName = (opts.vertebra?.level ?? target?.level.name ?? opts.level ?? "vertebra").toUpperCase();
  const dxa = opts.dxa === false ? undefined
    : spineDxaStage(clock, warn, cal, [{ level: levelName, mask: body.vertebra, body: body.mask }], { totalLevels: [levelName], trabecularLevels: [levelName] });
  const h = opts.elementSize ?? 1.0;
  const law = opts.modulusLaw ?? "kopperdahl2002";
  const poisson = opts.poisson ?? 0.3;
  const { grid, materials: mat, model } = modelStage(clock, warn, density, body.mask, h, law, poisson);
  // A cap at least one slice deep: the endplates of a coarse scan are stair steps of that size.
  const lc = opts.loadCase ?? compression({ capDepthMm: Math.max(2, Math.max(...ct.spacing)) });
  const bc = clock.run("loading", "axial compression between endplate caps", () => spineBoundaryConditions(model, grid, landmarks, lc),
    (b) => `superior cap ${b.superiorNodes.length} nodes, inferior ${b.inferiorNodes.length}`);
  warn.add("loading", bc.warnings);
  const solution = solveStage(clock, warn, model, bc.bcs, opts.tol ?? 1e-6);
  const cap = solution.references.find((r) => r.set === "SUPERIOR")!;
  const loadN = Math.abs(cap.reaction[0]);
  const stiffness = loadN / lc.displacementMm;
  const linear = clock.run("strength", "linear strength", () =>
    linearStrength(model, solution.displacement, loadN, { exclude: [bc.superiorNodes, bc.inferiorNodes], excludeNearMm: 1.5, weights: grid.fraction }),
  (s) => `${s.strengthN.toFixed(0)} N (${s.mode})`);
  warn.add("strength", linear.warnings);
  const strengthN = Math.round(linear.strengthN / 10) * 10;
  const definition = provisionalDefinition({ site: "spine", nonlinear: false, elementSizeMm: h, modulusLaw: law, loadCase: lc });
  const cls = classifyWithThresholds(strengthN, "spine", opts.sex, definition, opts.thresholds ?? defaultThresholdSet("spine", definition.id));
  warn.add("thresholds", cls.warnings);
  const classification = cls.classification;
  let dens = 0, n = 0;
  for (let p = 0; p < body.mask.data.length; p++) if (body.mask.data[p]) { dens += density.data[p]; n++; }
  const result: SpineAnalysisResult = {
    site: "spine",
    sex: opts.sex,
    level: opts.vertebra ? opts.vertebra.level : target?.level.name ?? undefined,
    levelNaming: naming ? (({ profile: _profile, ...rest }) => rest)(naming) : undefined,
    vertebraAt: target?.at ? { point: target.at, level: target.level.name, centre: target.level.centre } : undefined,
    strengthN,
    stiffnessNPerMm: Math.round(stiffness),
    classification,
    thresholds: cls.thresholds,
    loadAtApparentStrainN: Math.round(stiffness * OGO_VERTEBRAL_APPARENT_STRAIN * landmarks.heightMm),
    elementSizeMm: h,
    elements: model.voxels.length,
    dofs: 3 * model.nodeGrid.length,
    calibration: calibrationSummary(cal.fit, cal.warnings, cal.mineral),
    vertebra: {
      centroid: landmarks.centroid, axis: landmarks.axis, heightMm: landmarks.heightMm, volumeMm3: landmarks.volumeMm3,
      endplateAngleDeg: landmarks.endplateAngleDeg, meanDensityMgCm3: dens / Math.max(1, n),
    },
    loadCase: lc,
    materials: { law, chain: mat.chain, poisson, meanModulusMPa: mean(mat.modulus) },
    strength: { criterion: linear.criterion, mode: linear.mode, criticalRisk: linear.criticalRisk, loadAtSolveN: loadN },
    solver: solverSummary(solution),
    seconds: clock.elapsed(),
    stageSeconds: clock.seconds,
    dxa: dxa?.result,
    overallRisk: dxa?.result.category && classification ? overallRisk([classification], [dxa.result.category]) : undefined,
    warnings: warn.list,
  };
  return { result, artifacts: { density, bodyMask: body.mask, dxa: dxa?.artifacts, calibration: cal.fit, landmarks, grid, model, bc, solution, linear, naming } };
}

/**
 * The vertebra to analyse without a label map, found before the calibration on a coarse grid
 * (lib/pipeline/level-finding), with the warnings of the naming and of a level outside L1-L2.
 */
function findTarget(clock: StageClock, warn: Warnings, ct: Volume, opts: SpineAnalysisOptions): SpineTarget {
  const what = opts.at ? `the vertebra at (${opts.at.join(", ")})` : opts.level!.toUpperCase();
  const target = clock.run("level naming", `finding ${what} on a coarse grid`, () => findSpineTarget(ct, opts.calibration, { level: opts.level, at: opts.at }),
    (t) => `${t.naming ? `${t.naming.levels.map((l) => l.name).join(" ")} from the ${t.naming.namedFrom}; ribs ${t.naming.ribs.found.length === 0 ? "not found" : t.naming.ribs.agrees === null ? `at ${t.naming.ribs.lowestLevel}` : t.naming.ribs.agrees ? "agree (T12)" : "disagree"}` : "levels not named"}${opts.at ? `; the point is in ${t.level.name ?? "an unnamed vertebra"}` : ""} (${t.grid.spacing.join(" x ")} mm grid)`);
  warn.add("level naming", target.warnings);
  warn.add("level", thresholdLevelWarnings(target.level.name));
  return target;
}
