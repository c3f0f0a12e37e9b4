/**
 * The hip analysis: CT (HU) -> calibrated density -> femur mask -> landmarks -> voxel model (moduli
 * integrated over the elements, PMMA caps on the head and greater trochanter) -> sideways-fall (or
 * stance) boundary conditions (pinned distal cut) -> solve -> stiffness -> strength by the chosen
 * criterion (default the nonlinear peak, `result.strength.definition` says which) -> class.
 *
 * Each stage is a library call with its documented defaults; this module only composes them, times
 * them and collects their warnings. A notebook can run the same calls one by one.
 *
 * @example
 * ```ts
 * import { readScan } from "bct/lib/io/scan";
 * import { analyzeHip } from "bct/lib/pipeline/hip";
 * const scan = await readScan("datasets/phantom/hip/dicom");
 * const { result } = analyzeHip(scan.volume, { sex: "F", calibration: { kind: "phantom", phantom } });
 * console.log(result.strengthN, result.classification);
 * ```
 * @module
 */
import { femurLandmarks, type FemurLandmarks } from "../anatomy/femur.js";
import type { HipDxaArtifacts, HipDxaResult } from "../dxa/hip.js";
import { overallRisk, type MaleReferenceChoice, type OverallRisk } from "../dxa/reference.js";
import type { CalibrationFit } from "../calibration/fit.js";
import { createPreconditionerCache, type FeSolution, type PreconditionerCache, type SolverEngine } from "../fe/solve/solve.js";
import { createSolverEngine } from "../fe/solve/parallel.js";
import type { VoxelModel } from "../fe/voxel-model.js";
import { describeHipLoadCase, hipBoundaryConditions, hipCaps, sidewaysFall, type HipBoundaryConditions, type HipLoadCase } from "../loading/hip.js";
import type { CappedGrid } from "../mesh/pmma-caps.js";
import type { ElementGrid } from "../mesh/voxelize.js";
import { segmentHipFemur, type HipSide } from "../segmentation/hip-side.js";
import { labelMaskOnGrid } from "../segmentation/labels.js";
import type { Mask } from "../segmentation/mask.js";
import type { Sex, StrengthClass } from "../strength/classify.js";
import { classifyWithThresholds, defaultThresholdSet, type ThresholdSet, type ThresholdsUsed } from "../strength/thresholds.js";
import { linearStrength, type LinearStrengthResult } from "../strength/linear.js";
import { pushover, type PushoverResult } from "../strength/nonlinear.js";
import { PISTOIA_CRITICAL_FRACTION, SCHILEO_STRAIN_LIMITS } from "../strength/criteria.js";
import { strengthDefinition, type StrengthDefinition } from "../strength/definition.js";
import type { Volume } from "../volume/volume.js";
import { StageClock, type ProgressListener } from "./progress.js";
import { calibrateStage, calibrationSummary, mean, modelStage, solveStage, solverSummary, hipDxaStage, Warnings, type CalibrationChoice, type CalibrationSummary, type ModulusMapping, type SolverSummary } from "./stages.js";

export type { CalibrationChoice } from "./stages.js";

/** Options of {@link analyzeHip}. */
export interface HipAnalysisOptions {
  sex: Sex;
  calibration: CalibrationChoice;
  /** Element edge (mm). Default 1.5 (BCT hip ◇, bct-reference.md §3). */
  elementSize?: number;
  /** Density -> modulus law id. Default "morgan2003-femoral-neck" (reference default for the femur). */
  modulusLaw?: string;
  /**
   * Element moduli: "integrated" (default: the element mean of the law over its sample points, which
   * keeps the thin cortex as stiff in a coarse element as in a fine one; lib/mesh/integrate-modulus)
   * or "mean-density" (the law of the element's mean density, the former model).
   */
  modulusMapping?: ModulusMapping;
  /**
   * Sample points per element edge for the bone fraction, density and modulus integration. Default 5
   * (125 points per element): with 3, the 1.5 mm model of the embedded hip was 3.2% softer than the
   * 1.0 mm one; with 5, 2.5% in stiffness (2856 vs 2928 N/mm) and 2.3% in the linear strength (the
   * integration of a convex law over a cortex-straddling element needs the finer quadrature;
   * test/pipeline/hip.test.ts prints the table, bench/hip.ts adds the nonlinear strength).
   */
  subsamples?: number;
  /** Poisson's ratio. Default 0.3 (Ogo ✔). */
  poisson?: number;
  /** Load case. Default the reference sideways fall. */
  loadCase?: HipLoadCase;
  /** Femur from a label map instead of the bone-mask path. */
  labels?: { map: Volume; label: number | number[] };
  /** The hip on a two-hip scan; default the side without a metal implant (segmentation/hip-side). */
  side?: HipSide;
  /** Solver threads (default up to 2, one per core; lib/fe/solve/parallel.ts). */
  threads?: number;
  /** Solver relative tolerance. Default 1e-6. */
  tol?: number;
  /**
   * The strength criterion. Default `{ criterion: "nonlinear-peak" }`: the peak (or plateau) force of
   * the displacement-controlled elastic-plastic pushover (asymmetric yield strains 0.73% / 1.04%),
   * the Keaveny/BCT definition (bct-reference.md §4). The linear criteria are options, reported as
   * what they are: `linear-critical-volume` (load at which `criticalFraction`, default 2%, of the
   * bone volume exceeds the strain limits) and `linear-first-node` (the first element to reach them).
   */
  strength?: HipStrengthChoice;
  /**
   * Former switch, kept for compatibility: `false` = `{ criterion: "linear-critical-volume" }`,
   * `true` or `{ steps, forceTol }` = the nonlinear peak. Ignored when `strength` is given.
   */
  nonlinear?: boolean | { steps?: number; forceTol?: number };
  /**
   * Also measure the DXA-equivalent hip aBMD, T-scores and WHO category (lib/dxa, about 2 s).
   * Default true; `{ maleReference }` chooses the young-adult reference for men.
   */
  dxa?: boolean | { maleReference?: MaleReferenceChoice };
  /**
   * Thresholds of the strength class. Default: the shipped set derived for this strength's definition
   * (datasets/thresholds), else the published Keaveny 2020 set. A derived set of another definition gives no class.
   */
  thresholds?: ThresholdSet;
  onProgress?: ProgressListener;
}

/** Which strength criterion {@link analyzeHip} reports (see `HipAnalysisOptions.strength`). */
export type HipStrengthChoice =
  | { criterion: "nonlinear-peak"; steps?: number; forceTol?: number }
  | { criterion: "linear-critical-volume"; criticalFraction?: number }
  | { criterion: "linear-first-node" };

/** The strength criterion of the options, defaults filled in. */
export function hipStrengthChoice(opts: Pick<HipAnalysisOptions, "strength" | "nonlinear">): HipStrengthChoice {
  if (opts.strength) return opts.strength;
  if (opts.nonlinear === false) return { criterion: "linear-critical-volume" };
  return { criterion: "nonlinear-peak", ...(typeof opts.nonlinear === "object" ? opts.nonlinear : {}) };
}

/** The JSON-serialisable result of a hip analysis. */
export interface HipAnalysisResult {
  site: "hip";
  sex: Sex;
  strengthN: number;
  stiffnessNPerMm: number;
  /** Null when the thresholds were derived for another strength definition (see `thresholds`). */
  classification: StrengthClass | null;
  /** Which thresholds classified the strength, where they come from, and whether they fit its definition. */
  thresholds: ThresholdsUsed;
  elementSizeMm: number;
  elements: number;
  dofs: number;
  calibration: CalibrationSummary;
  femur: Pick<FemurLandmarks, "side" | "headCentre" | "headRadius" | "neckShaftAngleDeg" | "anteversionDeg" | "shaftAxis" | "neckAxis">;
  loadCase: HipLoadCase & { directionLps: number[] };
  materials: { law: string; chain: string[]; mapping: ModulusMapping; poisson: number; meanModulusMPa: number };
  /**
   * How `strengthN` was obtained: `definition` (criterion, model, boundary, law, strains, element
   * size, with a stable id: lib/strength/definition) and `criterion` in words; the linear criterion's
   * numbers (`linearN` is the reported linear criterion's, or the 2% volume criterion's when the
   * strength is nonlinear) and the pushover's, when run.
   */
  strength: {
    definition: StrengthDefinition;
    criterion: string; mode: string; criticalRisk: number; loadAtSolveN: number; linearN: number; nonlinearN?: number; nonlinearKind?: string;
  };
  /** The nonlinear force-displacement curve, when run. */
  curve?: { displacementMm: number[]; forceN: number[]; yieldedFraction: number[] };
  solver: SolverSummary;
  /** DXA-equivalent measures of the same scan (aBMD, T-scores, WHO category), when measured. */
  dxa?: HipDxaResult;
  /** BCT overall fracture risk from the strength class and the hip T-score category (Keaveny 2020 ✔), when DXA was measured. */
  overallRisk?: OverallRisk;
  seconds: number;
  stageSeconds: Record<string, number>;
  warnings: string[];
}

/** Intermediate results kept for display (volumes, masks, model, solution). */
export interface HipArtifacts {
  density: Volume<Float32Array>;
  femurMask: Mask;
  proximalMask: Mask;
  calibration: CalibrationFit;
  landmarks: FemurLandmarks;
  grid: ElementGrid;
  model: VoxelModel;
  bc: HipBoundaryConditions;
  /** The PMMA caps (material tag per element, platen geometry), when the load case has them. */
  capped?: CappedGrid;
  solution: FeSolution;
  linear: LinearStrengthResult;
  nonlinear?: PushoverResult;
  dxa?: HipDxaArtifacts;
}

/**
 * The femur of a calibrated scan: from a label map, or the bone mask and femur isolation; then its
 * landmarks. Shared by the strength analysis and the DXA-equivalent measures.
 */
export function femurStage(clock: StageClock, warn: Warnings, ct: Volume, density: Volume, labels?: { map: Volume; label: number | number[] }, side?: HipSide): { femur: { femur: Mask; proximal: Mask }; landmarks: FemurLandmarks } {
  const seg = clock.run("segmentation", "femur mask", () => {
    if (labels) {
      const r = labelMaskOnGrid(labels.map, labels.label, ct);
      return { femur: r.mask, proximal: r.mask, warnings: r.warnings };
    }
    const f = segmentHipFemur(density, { side });
    return { femur: f.femur.femur, proximal: f.femur.proximal, warnings: f.warnings };
  });
  warn.add("segmentation", seg.warnings);
  const landmarks = clock.run("anatomy", "femur landmarks", () => femurLandmarks(seg.femur),
    (l) => `${l.side} femur, head radius ${l.headRadius.toFixed(1)} mm, neck-shaft angle ${l.neckShaftAngleDeg.toFixed(0)} deg`);
  warn.add("anatomy", landmarks.warnings);
  return { femur: { femur: seg.femur, proximal: seg.proximal }, landmarks };
}

/**
 * Run the hip analysis on a CT volume (HU).
 * @throws the stage's own error (CalibrationError, SegmentationError, AnatomyError, MeshError,
 *   LoadCaseError, ModelError) when a stage cannot be done.
 */
export function analyzeHip(ct: Volume, opts: HipAnalysisOptions): { result: HipAnalysisResult; artifacts: HipArtifacts } {
  const clock = new StageClock(opts.onProgress);
  const warn = new Warnings();
  const note = (stage: string, ws: readonly string[]) => warn.add(stage, ws);
  const cal = calibrateStage(clock, warn, ct, opts.calibration, "hip");
  const density = cal.density;

  const { femur: seg, landmarks } = femurStage(clock, warn, ct, density, opts.labels, opts.side);
  const dxa = opts.dxa === false ? undefined
    : hipDxaStage(clock, warn, cal, seg.femur, { sex: opts.sex, landmarks, maleReference: typeof opts.dxa === "object" ? opts.dxa.maleReference : undefined });

  const h = opts.elementSize ?? 1.5;
  const law = opts.modulusLaw ?? "morgan2003-femoral-neck";
  const poisson = opts.poisson ?? 0.3;
  const lc = opts.loadCase ?? sidewaysFall();
  const mapping = opts.modulusMapping ?? "integrated";
  const { grid, materials: mat, model, capped } = modelStage(clock, warn, density, seg.proximal, h, law, poisson,
    { caps: lc.caps === "pmma" ? (g) => hipCaps(g, landmarks, lc) : undefined, mapping, subsamples: opts.subsamples ?? 5 });

  const bc = clock.run("loading", `${lc.kind} boundary conditions`, () => hipBoundaryConditions(model, grid, landmarks, lc, capped),
    (b) => `head pad ${b.headNodes.length} nodes, trochanter ${b.trochanterNodes.length}, distal ${b.distalNodes.length} (${lc.distal})`);
  note("loading", bc.warnings);
  // one engine (up to 2 threads) and one preconditioner for the linear solve and the pushover's solves
  const engine = createSolverEngine({ threads: opts.threads });
  const reuse = createPreconditionerCache();
  try {
  const solution = solveStage(clock, warn, model, bc.bcs, opts.tol ?? 1e-6, { engine, reuse });
  const head = solution.references.find((r) => r.set === "HEAD")!;
  const loadN = Math.abs(head.reaction[0]);
  const stiffness = loadN / lc.displacementMm;
  const choice = hipStrengthChoice(opts);
  const st = hipStrengthStage(clock, warn, { model, grid, bc, capped, displacement: solution.displacement, loadN, choice, tol: opts.tol ?? 1e-6, engine, reuse });
  const { linear, nonlinear } = st;
  const strengthN = Math.round(st.governingN / 10) * 10; // reported to 10 N (Keaveny 2020 ✔)
  const words = describeHipLoadCase(lc);
  const definition = strengthDefinition({
    site: "hip", criterion: choice.criterion, loadCase: words.loadCase, boundary: words.boundary, modulusLaw: mapping === "integrated" ? `${law}/element-mean` : law,
    strains: { ...SCHILEO_STRAIN_LIMITS, source: "Bayraktar 2004 cortical yield strains, as adopted by Schileo 2014 ✔" },
    criticalFraction: choice.criterion === "linear-critical-volume" ? st.criticalFraction : undefined,
    elementSizeMm: h,
  });
  const cls = classifyWithThresholds(strengthN, "hip", opts.sex, definition, opts.thresholds ?? defaultThresholdSet("hip", definition.id));
  note("thresholds", cls.warnings);
  const classification = cls.classification;
  const result: HipAnalysisResult = {
    site: "hip",
    sex: opts.sex,
    strengthN,
    stiffnessNPerMm: Math.round(stiffness),
    classification,
    thresholds: cls.thresholds,
    elementSizeMm: h,
    elements: model.voxels.length,
    dofs: 3 * model.nodeGrid.length,
    calibration: calibrationSummary(cal.fit, cal.warnings, cal.mineral),
    femur: {
      side: landmarks.side, headCentre: landmarks.headCentre, headRadius: landmarks.headRadius, neckShaftAngleDeg: landmarks.neckShaftAngleDeg,
      anteversionDeg: landmarks.anteversionDeg, shaftAxis: landmarks.shaftAxis, neckAxis: landmarks.neckAxis,
    },
    loadCase: { ...lc, directionLps: bc.directionWorld },
    materials: { law, chain: mat.chain, mapping, poisson, meanModulusMPa: mean(mat.modulus) },
    strength: {
      definition,
      criterion: nonlinear ? `nonlinear pushover ${nonlinear.strengthKind} force (elastic-plastic, yield strains ${SCHILEO_STRAIN_LIMITS.tension * 100}% / ${SCHILEO_STRAIN_LIMITS.compression * 100}%)` : linear.criterion,
      mode: linear.mode, criticalRisk: linear.criticalRisk, loadAtSolveN: loadN, linearN: Math.round(linear.strengthN),
      nonlinearN: nonlinear ? Math.round(nonlinear.strengthN) : undefined, nonlinearKind: nonlinear?.strengthKind,
    },
    curve: nonlinear?.curve,
    solver: solverSummary(solution),
    dxa: dxa?.result,
    overallRisk: dxa && classification ? overallRisk([classification], [dxa.result.category]) : undefined,
    seconds: clock.elapsed(),
    stageSeconds: clock.seconds,
    warnings: warn.list,
  };
  return {
    result,
    artifacts: { density, femurMask: seg.femur, proximalMask: seg.proximal, calibration: cal.fit, landmarks, grid, model, bc, capped, solution, linear, nonlinear, dxa: dxa?.artifacts },
  };
  } finally {
    engine.close();
  }
}

/**
 * The strength of the solved hip model by the chosen criterion: the linear criterion always (its
 * risk map is reported; for a nonlinear strength the 2% volume criterion), the pushover for the
 * nonlinear peak. PMMA elements are left out of the linear ranking and never yield.
 */
function hipStrengthStage(
  clock: StageClock, warn: Warnings,
  a: { model: VoxelModel; grid: ElementGrid; bc: HipBoundaryConditions; capped?: CappedGrid; displacement: Float64Array; loadN: number; choice: HipStrengthChoice; tol: number; engine: SolverEngine; reuse: PreconditionerCache },
): { linear: LinearStrengthResult; nonlinear?: PushoverResult; governingN: number; criticalFraction: number } {
  const { model, bc, choice } = a;
  const criticalFraction = choice.criterion === "linear-first-node" ? 0
    : choice.criterion === "linear-critical-volume" ? (choice.criticalFraction ?? PISTOIA_CRITICAL_FRACTION) : PISTOIA_CRITICAL_FRACTION;
  const linear = clock.run("strength", "linear strength", () =>
    linearStrength(model, a.displacement, a.loadN, {
      criticalFraction, exclude: [bc.headNodes, bc.trochanterNodes, bc.distalNodes], weights: a.grid.fraction, excludeElements: a.capped?.material,
    }), (s) => `${s.strengthN.toFixed(0)} N (${s.mode})`);
  warn.add("strength", linear.warnings);
  if (choice.criterion !== "nonlinear-peak") return { linear, governingN: linear.strengthN, criticalFraction };
  const pmma = a.capped?.material;
  const yieldStrain = (limit: number) => (pmma ? Float64Array.from(pmma, (t) => (t ? 1 : limit)) : limit); // PMMA stays elastic
  const nonlinear = clock.run("nonlinear", "pushover (elastic-plastic)", () =>
    pushover(model, bc.bcs, {
      reaction: { kind: "cap", cap: "HEAD", dof: 0 },
      yield: { kind: "strain", tension: yieldStrain(SCHILEO_STRAIN_LIMITS.tension), compression: yieldStrain(SCHILEO_STRAIN_LIMITS.compression) },
      steps: choice.steps ?? 10,
      forceTol: choice.forceTol ?? 3e-3,
      solve: { tol: a.tol, engine: a.engine, reuse: a.reuse },
      onStep: (p) => clock.update("nonlinear", `step ${p.step}: ${p.displacementMm.toFixed(2)} mm, ${p.forceN.toFixed(0)} N, ${(100 * p.yieldedFraction).toFixed(1)}% yielded`),
    }), (r) => `${r.strengthKind} force ${r.strengthN.toFixed(0)} N after ${r.solves} solves`);
  warn.add("nonlinear", nonlinear.warnings);
  return { linear, nonlinear, governingN: nonlinear.strengthN, criticalFraction };
}
