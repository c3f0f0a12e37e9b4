/**
 * The spine analysis: CT (HU) -> calibrated density -> vertebra mask (a label map, the level named
 * automatically by counting up from the sacrum, or the bone mask of the embedded phantom) ->
 * vertebral body (posterior elements removed) -> landmarks -> voxel model with PMMA endplate caps ->
 * axial compression between the platens -> stiffness, strength, class.
 *
 * Vertebral strength is, by default, the published nonlinear one: the peak (or plateau) force of a
 * displacement-controlled pushover of the body between PMMA endplate layers (lib/loading/spine.ts),
 * elastic-fully plastic bone with the vertebral modulus law (Kopperdahl 2002 / Crawford 2003) and the
 * vertebral trabecular yield strains (Kopperdahl & Keaveny 1998), the PMMA elastic; reported to 10 N.
 * The linear criteria (critical volume, first element) are options, reported as what they are;
 * `result.strength.definition` says which ran. The load at Ogo's 0.68% apparent strain of the body
 * height is given beside it.
 *
 * @example
 * ```ts
 * const { result } = analyzeSpine(ct.volume, {
 *   sex: "F", calibration: { kind: "internal" },
 *   vertebra: { map: levels, label: TOTALSEGMENTATOR_VERTEBRA_LABELS.L1 },
 * });
 * // without a label map: the level is named automatically (the scan must reach the sacrum)
 * const auto = analyzeSpine(ct.volume, { sex: "F", calibration: { kind: "internal" }, level: "L1" });
 * console.log(auto.result.levelNaming?.warnings);
 * ```
 * @module
 */
import { AnatomyError } from "../anatomy/fit.js";
import { vertebraLandmarks, type VertebraLandmarks } from "../anatomy/vertebra.js";
import { LoadCaseError } from "../loading/hip.js";
import type { CalibrationFit } from "../calibration/fit.js";
import { createSolverEngine } from "../fe/solve/parallel.js";
import { createPreconditionerCache, solve, type FeSolution, type PreconditionerCache, type SolverEngine } from "../fe/solve/solve.js";
import type { VoxelModel } from "../fe/voxel-model.js";
import { capVertebralBody, compression, compressionBoundaryText, spineBoundaryConditions, type CompressionCase, type SpineBoundaryConditions } from "../loading/spine.js";
import { mapModulus } from "../materials/map.js";
import { assertCapRoom, boneElements, capModulus, MATERIAL_PMMA, type CappedGrid } from "../mesh/caps.js";
import { gridToVoxelModel } from "../mesh/model.js";
import { voxelize, type ElementGrid } from "../mesh/voxelize.js";
import { connectedComponents, fillHoles } from "../segmentation/components.js";
import { labelMaskOnGrid } from "../segmentation/labels.js";
import { SegmentationError, thresholdMask, type Mask } from "../segmentation/mask.js";
import { lumbarVertebraMask, nameLumbarLevels, type SpineLevelsResult } from "../segmentation/spine-levels.js";
import { isolateVertebralBody } from "../segmentation/vertebra.js";
import type { SpineDxaArtifacts, SpineDxaResult } from "../dxa/spine.js";
import { overallRisk, type OverallRisk } from "../dxa/reference.js";
import { classifyStrength, type Sex, type StrengthClass } from "../strength/classify.js";
import { KOPPERDAHL1998_YIELD_STRAINS, OGO_VERTEBRAL_APPARENT_STRAIN, PISTOIA_CRITICAL_FRACTION, SCHILEO_STRAIN_LIMITS } from "../strength/criteria.js";
import { strengthDefinition, type StrengthDefinition } from "../strength/definition.js";
import { linearStrength, type LinearStrengthResult } from "../strength/linear.js";
import { centroidPrincipalStrains, pushover, type PushoverOptions, type PushoverResult } from "../strength/nonlinear.js";
import { createVolume, type Volume } from "../volume/volume.js";
import { StageClock, type ProgressListener } from "./progress.js";
import { calibrateStage, calibrationSummary, mean, solverSummary, spineDxaStage, Warnings, type CalibrationChoice, type CalibrationSummary, type SolverSummary } from "./stages.js";

/** TotalSegmentator "total" (v2) labels of the lumbar and lower thoracic vertebrae (class_map_total.json). */
export const TOTALSEGMENTATOR_VERTEBRA_LABELS: Readonly<Record<string, number>> = {
  S1: 26, L5: 27, L4: 28, L3: 29, L2: 30, L1: 31, T12: 32, T11: 33,
};

/**
 * Density threshold (mg/cm3 K2HPO4) of the vertebra when no label map is given: below the 150 of the
 * general bone mask because vertebral trabecular bone is sparse (osteoporotic below 80, normal above
 * 120 by the ACR categories, bct-reference.md §5); the thin shell holds the rest, filled afterwards.
 */
export const SPINE_BONE_THRESHOLD = 100;

/**
 * The strength criterion of a spine analysis.
 * - `nonlinear-peak` (default): peak or plateau force of the pushover; yield strains default
 *   {@link KOPPERDAHL1998_YIELD_STRAINS}; `forceTol` and `steps` are the pushover's (defaults 3e-3, 20).
 * - `linear-critical-volume`: load at which `criticalFraction` (default 2%, Pistoia) of the bone
 *   volume reaches the Schileo strain limits, from the linear solve.
 * - `linear-first-node`: load at which the first bone element (its centroid) reaches those limits.
 */
export type SpineStrengthChoice =
  | { criterion: "nonlinear-peak"; yieldStrains?: { tension: number; compression: number; source: string }; forceTol?: number; steps?: number }
  | { criterion: "linear-critical-volume"; criticalFraction?: number }
  | { criterion: "linear-first-node" };

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
   * Level to analyse when no `vertebra` label map is given ("L1".."L5", "T12"): found by
   * {@link nameLumbarLevels} (counted up from the sacrum, cross-checked by the ribs), which needs the
   * scan to reach the sacrum and throws a LevelNamingError otherwise.
   */
  level?: string;
  /** Element edge (mm). Default 1.0 (spine, bct-reference.md §3). */
  elementSize?: number;
  /** Default "kopperdahl2002" (reference default for the vertebra). */
  modulusLaw?: string;
  poisson?: number;
  /** Compression between PMMA endplate caps (default {@link compression}(): 10 mm caps, 6 mm intrusion). */
  loadCase?: CompressionCase;
  /** Solver threads (default up to 2, one per core; lib/fe/solve/parallel.ts). */
  threads?: number;
  /** Strength criterion (default nonlinear peak, see {@link SpineStrengthChoice}). */
  strength?: SpineStrengthChoice;
  tol?: number;
  /** Also measure the level's AP aBMD and QCT trabecular vBMD with the ACR category (lib/dxa). Default true. */
  dxa?: boolean;
  onProgress?: ProgressListener;
}

/** The JSON-serialisable result of a spine analysis. */
export interface SpineAnalysisResult {
  site: "spine";
  sex: Sex;
  level?: string;
  /** The automatic level naming's evidence (absent when the vertebra came from a label map or the phantom). */
  levelNaming?: Omit<SpineLevelsResult, "profile">;
  strengthN: number;
  stiffnessNPerMm: number;
  classification: StrengthClass;
  /** Load at 0.68% apparent strain of the body height (Ogo, attributed to Crawford 2003). */
  loadAtApparentStrainN: number;
  elementSizeMm: number;
  elements: number;
  dofs: number;
  calibration: CalibrationSummary;
  vertebra: Pick<VertebraLandmarks, "centroid" | "axis" | "heightMm" | "volumeMm3" | "endplateAngleDeg"> & { meanDensityMgCm3: number };
  loadCase: CompressionCase;
  materials: { law: string; chain: string[]; poisson: number; meanModulusMPa: number };
  /**
   * How the strength was obtained: `definition` (criterion, model, law, strains with source, element
   * size, boundary; its `id` names the scale), the criterion in words, the governing mode, the
   * pushover's outcome (nonlinear) or the critical risk at the linear solve's load (linear).
   */
  strength: {
    definition: StrengthDefinition;
    criterion: string;
    mode: string;
    /** Linear criteria: the critical risk factor at the linear solve. */
    criticalRisk?: number;
    /** Force of the linear solve (N) at `loadCase.displacementMm`. */
    loadAtSolveN: number;
    /** Nonlinear: "peak", "plateau", or "end" (no peak found: a lower bound). */
    kind?: "peak" | "plateau" | "end";
    displacementAtStrengthMm?: number;
    curve?: { displacementMm: number[]; forceN: number[]; yieldedFraction: number[] };
    solves?: number;
  };
  /** The PMMA caps: elements, footprint, where they sit along the body axis. */
  caps: { name: string; pmmaElements: number; boneElements: number; footprintMm2: number; platenNodes: number }[];
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
  /** The capped element grid (bone and PMMA). */
  grid: ElementGrid;
  capped: CappedGrid;
  model: VoxelModel;
  bc: SpineBoundaryConditions;
  /** The linear solve at `loadCase.displacementMm`, and the linear criterion on it (always computed, for the report's risk map). */
  solution: FeSolution;
  linear: LinearStrengthResult;
  /** The pushover (nonlinear criterion only). */
  nonlinear?: PushoverResult;
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

/**
 * The body's landmarks; endplates that cannot be found end the analysis with a LoadCaseError (the
 * compression between endplate caps cannot be placed), before anything is classified.
 */
function endplatesOrLoadCaseError(body: Mask): VertebraLandmarks {
  try {
      return vertebraLandmarks(body);
    } catch (e) {
      if (e instanceof AnatomyError) throw new LoadCaseError(`the vertebral compression cannot be placed: ${e.message}`);
      throw e;
    }
  }

  /** Run the spine analysis on a CT volume (HU). */
  export function analyzeSpine(ct: Volume, opts: SpineAnalysisOptions): { result: SpineAnalysisResult; artifacts: SpineArtifacts } {
    const clock = new StageClock(opts.onProgress);
    const warn = new Warnings();
    const cal = calibrateStage(clock, warn, ct, opts.calibration, "spine");
    const density = cal.density;
    if (Math.max(...ct.spacing) > 2) warn.add("scan", [`the scan's voxels are ${ct.spacing.map((s) => s.toFixed(2)).join(" x ")} mm: coarse for a vertebra; the density is resampled onto ${opts.elementSize ?? 1} mm elements, which cannot restore detail the scan lacks`]);
    const naming = !opts.vertebra && opts.level !== undefined
      ? clock.run("level naming", `naming the lumbar levels to find ${opts.level}`, () => nameLumbarLevels(density),
        (r) => `${r.levels.map((l) => l.name).join(" ")} from the sacrum; ribs ${r.ribs.agrees === null ? "not found" : r.ribs.agrees ? "agree (T12)" : "disagree"}`)
      : undefined;
    if (naming) warn.add("level naming", naming.warnings);
    const body = clock.run("segmentation", "vertebral body", () => {
      let vertebra: Mask;
      const ws: string[] = [];
      if (opts.vertebra) {
        const r = labelMaskOnGrid(opts.vertebra.map, opts.vertebra.label, ct);
        vertebra = r.mask;
        ws.push(...r.warnings);
      } else if (naming) {
        vertebra = lumbarVertebraMask(density, opts.level!, { naming });
      } else {
        // Vertebrae are separated by discs: threshold, keep the most central component, fill it.
        vertebra = fillHoles(centralComponent(thresholdMask(density, { lo: SPINE_BONE_THRESHOLD })));
      }
      const b = isolateVertebralBody(vertebra);
      return { mask: b.body, vertebra, warnings: [...ws, ...b.warnings] };
    });
    warn.add("segmentation", body.warnings);
    const landmarks = clock.run("anatomy", "vertebral body landmarks", () => endplatesOrLoadCaseError(body.mask),
      (l) => `height ${l.heightMm.toFixed(1)} mm, volume ${(l.volumeMm3 / 1000).toFixed(1)} cm3`);
    warn.add("anatomy", landmarks.warnings);
    const levelName = (opts.vertebra?.level ?? opts.level ?? "vertebra").toUpperCase();
    const dxa = opts.dxa === false ? undefined
      : spineDxaStage(clock, warn, cal, [{ level: levelName, mask: body.vertebra, body: body.mask }], { totalLevels: [levelName], trabecularLevels: [levelName] });
    const h = opts.elementSize ?? 1.0;
    const law = opts.modulusLaw ?? "kopperdahl2002";
    const poisson = opts.poisson ?? 0.3;
    const lc = opts.loadCase ?? compression();
    const { capped, model, boneMeanModulus, chain } = spineModelStage(clock, warn, density, body.mask, landmarks, lc, h, law, poisson);
    const grid = capped.grid;
    const bc = clock.run("loading", "axial compression between PMMA endplate caps", () => spineBoundaryConditions(model, capped, landmarks, lc),
      (b) => `superior platen ${b.superiorNodes.length} nodes, inferior ${b.inferiorNodes.length}`);
    warn.add("loading", bc.warnings);
    // one engine (up to 2 threads) and one preconditioner for the linear solve and the pushover's solves
    const engine = createSolverEngine({ threads: opts.threads });
    const reuse = createPreconditionerCache();
    try {
    const solution = clock.run("solve", `solving ${3 * model.nodeGrid.length} DOF`, () => solve(model, bc.bcs, { tol: opts.tol ?? 1e-6, engine, reuse }),
      (r) => `${r.iterations} iterations, ${r.converged ? "converged" : "NOT converged"} (${r.preconditioner})`);
    warn.add("solve", solution.warnings);
    const cap = solution.references.find((r) => r.set === "SUPERIOR")!;
    const loadN = Math.abs(cap.reaction[0]);
    const stiffness = loadN / lc.displacementMm;
    const st = spineStrengthStage(clock, warn, { model, capped, bc, solution, loadN, lc, law, h, tol: opts.tol ?? 1e-6, engine, reuse }, opts.strength ?? { criterion: "nonlinear-peak" });
    const strengthN = Math.round(st.strengthN / 10) * 10;
    const classification = classifyStrength(strengthN, "spine", opts.sex);
    let dens = 0, n = 0;
    for (let p = 0; p < body.mask.data.length; p++) if (body.mask.data[p]) { dens += density.data[p]; n++; }
    const result: SpineAnalysisResult = {
      site: "spine",
      sex: opts.sex,
      level: opts.vertebra ? opts.vertebra.level : naming ? opts.level!.toUpperCase() : undefined,
      levelNaming: naming ? (({ profile: _profile, ...rest }) => rest)(naming) : undefined,
      strengthN,
      stiffnessNPerMm: Math.round(stiffness),
      classification,
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
      materials: { law, chain, poisson, meanModulusMPa: boneMeanModulus },
      strength: st.summary,
      caps: capped.caps.map((c) => ({ name: c.name, pmmaElements: c.pmmaElements, boneElements: c.boneElements, footprintMm2: Math.round(c.footprintMm2), platenNodes: c.platenNodes.length })),
      solver: solverSummary(solution),
      seconds: clock.elapsed(),
      stageSeconds: clock.seconds,
      dxa: dxa?.result,
      overallRisk: dxa?.result.category ? overallRisk([classification], [dxa.result.category]) : undefined,
      warnings: warn.list,
    };
    return { result, artifacts: { density, bodyMask: body.mask, dxa: dxa?.artifacts, calibration: cal.fit, landmarks, grid, capped, model, bc, solution, linear: st.linear, nonlinear: st.nonlinear, naming } };
  } finally {
    engine.close();
  }
}

/**
 * Voxel mesh of the body, PMMA caps on both endplates (perpendicular to the body axis), bone moduli
 * by `law` on the bone elements, PMMA on the caps, and the FE model.
 * @throws MeshError when the body reaches the scan's border along the axis (no room for a cap).
 */
function spineModelStage(clock: StageClock, warn: Warnings, density: Volume, body: Mask, landmarks: VertebraLandmarks, lc: CompressionCase, h: number, law: string, poisson: number): { capped: CappedGrid; model: VoxelModel; boneMeanModulus: number; chain: string[] } {
  const a = landmarks.axis;
  assertCapRoom(body, a, "superior");
  assertCapRoom(body, [-a[0], -a[1], -a[2]], "inferior");
  const grid = clock.run("mesh", `voxel mesh at ${h} mm`, () => voxelize(density, body, { elementSize: h }), (g) => `${g.elements.length} elements of ${h} mm`);
  warn.add("mesh", grid.warnings);
  const capped = clock.run("caps", `PMMA endplate caps (${lc.capThicknessMm} mm, ${lc.capIntrusionMm} mm intrusion)`, () => capVertebralBody(grid, landmarks, lc),
    (c) => c.caps.map((x) => `${x.name.toLowerCase()} ${x.pmmaElements} PMMA elements`).join(", "));
  const bone = boneElements(capped.material);
  const mat = clock.run("materials", `moduli (${law})`, () => mapModulus(Array.from(bone, (q) => capped.grid.density[q]), { law }));
  warn.add("materials", mat.warnings);
  const model = gridToVoxelModel(capped.grid, capModulus(capped.material, mat.modulus), poisson);
  return { capped, model, boneMeanModulus: mean(mat.modulus), chain: mat.chain };
}

/** The pushover's range: `multiple` x the displacement at which `yieldFraction` of the elements yield in the linear solve (the pushover's automatic-range defaults). */
const VERTEBRAL_PUSHOVER_RANGE = { yieldFraction: 0.02, multiple: 3 } as const;

/** Options of {@link vertebralPushover}. */
export interface VertebralPushoverOptions {
  /** Bone yield strains (default {@link KOPPERDAHL1998_YIELD_STRAINS}). */
  yieldStrains?: { tension: number; compression: number };
  /** Pushover force tolerance (default 3e-3) and planned steps (default 20). */
  forceTol?: number;
  steps?: number;
  /** Relative residual of each linear solve (default 1e-6). */
  tol?: number;
  /** Solver engine and preconditioner cache to use (default serial, a fresh cache). */
  engine?: SolverEngine;
  reuse?: PreconditionerCache;
  /**
   * The linear solve of the same boundary conditions, if done: its displacement at `displacementMm`
   * sets the pushover's range (as its automatic range would: 3 x the displacement at which 2% of the
   * elements yield) without a second trial solve.
   */
  linear?: { displacement: ArrayLike<number>; displacementMm: number };
  onStep?: PushoverOptions["onStep"];
}

/**
 * The nonlinear vertebral compression: a pushover of the superior platen (the "SUPERIOR" rigid cap's
 * DOF 0, along the body axis) with elastic-fully plastic bone at the given yield strains and elastic
 * PMMA (`material` from lib/mesh/caps: PMMA elements never yield).
 */
export function vertebralPushover(model: VoxelModel, material: Uint8Array, bc: Pick<SpineBoundaryConditions, "bcs">, o: VertebralPushoverOptions = {}): PushoverResult {
  const ys = o.yieldStrains ?? KOPPERDAHL1998_YIELD_STRAINS;
  const pmma = (q: number) => material[q] === MATERIAL_PMMA;
  const steps = o.steps ?? 20;
  let range: Pick<PushoverOptions, "maxDisplacement" | "maxSteps"> = {};
  if (o.linear) {
    const ne = model.voxels.length, e1 = new Float64Array(ne), e3 = new Float64Array(ne);
    centroidPrincipalStrains(model, o.linear.displacement, e1, e3);
    const r = Float64Array.from(material, (m, q) => (m === MATERIAL_PMMA ? 0 : Math.max(0, e1[q] / ys.tension, -e3[q] / ys.compression))).sort().reverse();
    const rf = r[Math.min(ne - 1, Math.max(0, Math.ceil(VERTEBRAL_PUSHOVER_RANGE.yieldFraction * ne) - 1))];
    if (rf > 0) range = { maxDisplacement: (VERTEBRAL_PUSHOVER_RANGE.multiple * o.linear.displacementMm) / rf, maxSteps: 2 * steps };
  }
  return pushover(model, bc.bcs, {
    ...range,
    reaction: { kind: "cap", cap: "SUPERIOR", dof: 0 },
    yield: {
      kind: "strain",
      tension: Float64Array.from(material, (_, q) => (pmma(q) ? Infinity : ys.tension)),
      compression: Float64Array.from(material, (_, q) => (pmma(q) ? Infinity : ys.compression)),
    },
    forceTol: o.forceTol ?? 3e-3,
    steps,
    solve: { tol: o.tol ?? 1e-6, engine: o.engine, reuse: o.reuse },
    onStep: o.onStep,
  });
}

interface SpineSolved {
  model: VoxelModel; capped: CappedGrid; bc: SpineBoundaryConditions; solution: FeSolution;
  loadN: number; lc: CompressionCase; law: string; h: number; tol: number; engine: SolverEngine; reuse: PreconditionerCache;
}

/** The strength by the chosen criterion, its definition, and the linear criterion always (for the risk map). */
function spineStrengthStage(clock: StageClock, warn: Warnings, s: SpineSolved, choice: SpineStrengthChoice): { strengthN: number; summary: SpineAnalysisResult["strength"]; linear: LinearStrengthResult; nonlinear?: PushoverResult } {
  const { model, capped, bc, solution, loadN } = s;
  // PMMA elements neither fail nor count: weight 0 in the linear ranking, never yielding in the pushover
  const weights = Float32Array.from(capped.grid.fraction, (f, q) => (capped.material[q] === MATERIAL_PMMA ? 0 : f));
  const criticalFraction = choice.criterion === "linear-critical-volume" ? choice.criticalFraction ?? PISTOIA_CRITICAL_FRACTION
    : choice.criterion === "linear-first-node" ? 1e-9 : PISTOIA_CRITICAL_FRACTION;
  const linear = clock.run("strength", "linear strength", () =>
    linearStrength(model, solution.displacement, loadN, { exclude: [bc.superiorNodes, bc.inferiorNodes], excludeNearMm: 1.5, weights, criticalFraction }),
  (r) => `${r.strengthN.toFixed(0)} N (${r.mode})`);
  const base = { site: "spine" as const, loadCase: `axial compression, ${s.lc.displacementMm} mm reference platen displacement`, boundary: compressionBoundaryText(s.lc), modulusLaw: s.law, elementSizeMm: s.h };
  if (choice.criterion !== "nonlinear-peak") {
    warn.add("strength", linear.warnings);
    const definition = strengthDefinition({
      ...base, criterion: choice.criterion, ...(choice.criterion === "linear-critical-volume" ? { criticalFraction } : {}),
      strains: { ...SCHILEO_STRAIN_LIMITS, source: "Schileo 2014 / Bayraktar 2004 strain limits ✔" },
    });
    const criterion = choice.criterion === "linear-first-node" ? `linear: first bone element (centroid) at principal strain ${SCHILEO_STRAIN_LIMITS.tension * 100}% tension / ${SCHILEO_STRAIN_LIMITS.compression * 100}% compression` : `linear: ${linear.criterion}`;
    return { strengthN: linear.strengthN, linear, summary: { definition, criterion, mode: linear.mode, criticalRisk: linear.criticalRisk, loadAtSolveN: loadN } };
  }
  const ys = choice.yieldStrains ?? KOPPERDAHL1998_YIELD_STRAINS;
  const po = clock.run("nonlinear", "pushover (elastic-plastic bone, elastic PMMA)", () => vertebralPushover(model, capped.material, bc, {
    yieldStrains: ys, forceTol: choice.forceTol, steps: choice.steps, tol: s.tol, engine: s.engine, reuse: s.reuse,
    linear: { displacement: solution.displacement, displacementMm: s.lc.displacementMm },
    onStep: (p) => clock.update("nonlinear", `step ${p.step}: ${p.displacementMm.toFixed(3)} mm, ${p.forceN.toFixed(0)} N, ${(100 * p.yieldedFraction).toFixed(1)}% yielded`),
  }), (r) => `${r.strengthKind} ${r.strengthN.toFixed(0)} N after ${r.solves} solves`);
  warn.add("nonlinear", po.warnings);
  let nt = 0, nc = 0;
  for (let q = 0; q < po.yieldMode.length; q++) { if (po.yieldMode[q] === 1) nt++; else if (po.yieldMode[q] === 2) nc++; }
  const definition = strengthDefinition({ ...base, criterion: "nonlinear-peak", strains: { tension: ys.tension, compression: ys.compression, source: ys.source } });
  return {
    strengthN: po.strengthN, linear, nonlinear: po,
    summary: {
      definition,
      criterion: `nonlinear: ${po.strengthKind} force of the pushover (elastic-fully plastic bone, yield strains ${ys.tension * 100}% tension / ${ys.compression * 100}% compression, ${ys.source}; PMMA elastic)`,
      mode: nc >= nt ? "compression" : "tension", loadAtSolveN: loadN,
      kind: po.strengthKind, displacementAtStrengthMm: po.strengthDisplacementMm, curve: po.curve, solves: po.solves,
    },
  };
}
