/**
 * The stages every site's analysis shares, each a thin timed wrapper over the library call:
 * calibration, meshing with material mapping, and the solve with progress.
 * @module
 */
import { applyCalibration, CalibrationError, type CalibrationFit } from "../calibration/fit.js";
import { internalCalibration } from "../calibration/internal.js";
import { phantomCalibration, type PhantomDefinition } from "../calibration/phantom.js";
import { mineralConversion, type MineralConversion } from "../calibration/density.js";
import { DEFAULT_EFFECTIVE_ENERGY_KEV, effectiveEnergyFromFit } from "../calibration/energy.js";
import { MINDWAYS_WATER_DISPLACEMENT } from "../calibration/internal.js";
import { BctError } from "../errors.js";
import { ScanError } from "../io/scan.js";
import type { FemurLandmarks } from "../anatomy/femur.js";
import { hipDxa, type HipDxaArtifacts, type HipDxaResult } from "../dxa/hip.js";
import type { MaleReferenceChoice } from "../dxa/reference.js";
import { spineDxa, type SpineDxaArtifacts, type SpineDxaResult, type VertebraInput } from "../dxa/spine.js";
import { createVolume } from "../volume/volume.js";
import type { BoundaryCondition } from "../fe/bc.js";
import { solve, type FeSolution, type SolveOptions } from "../fe/solve/solve.js";
import type { VoxelModel } from "../fe/voxel-model.js";
import { mapModulus, type MaterialMappingResult } from "../materials/map.js";
import { gridToVoxelModel } from "../mesh/model.js";
import { voxelize, type ElementGrid } from "../mesh/voxelize.js";
import { PMMA_MODULUS_MPA, PMMA_POISSON, type CappedGrid } from "../mesh/pmma-caps.js";
import { integratedModulus } from "../mesh/integrate-modulus.js";
import type { Mask } from "../segmentation/mask.js";
import type { Volume } from "../volume/volume.js";
import type { StageClock } from "./progress.js";

/** How to calibrate. */
export type CalibrationChoice =
  | { kind: "phantom"; phantom: PhantomDefinition }
  | {
      kind: "internal";
      labels?: Volume;
      /**
       * Water displaced per unit K2HPO4 in the equivalent-density convention. Default the Mindways
       * value 0.2174 (bct-reference.md §1); 0 for an ideal water-equivalent base (the embedded phantoms).
       */
      waterDisplacement?: number;
    };

/** Warnings collected across stages, each prefixed by its stage. */
export class Warnings {
  readonly list: string[] = [];
  add(stage: string, ws: readonly string[]): void {
    for (const w of ws) this.list.push(`${stage}: ${w}`);
  }
}

/**
 * What the calibration says about the scan's mineral equivalence: the effective energy (from the
 * internal calibration's tissue fit, or solved from a phantom fit's slope, calibration/energy) and
 * the water displacement of the density convention. Used to express K2HPO4-equivalent density as
 * hydroxyapatite-equivalent (calibration/density mineralConversion), the DXA and ACR unit.
 */
export interface MineralModel {
  /** Effective energy (keV), or null when it could not be estimated. */
  effectiveEnergyKeV: number | null;
  energySource: "internal calibration" | "phantom slope" | "none";
  /** Water displaced per unit K2HPO4 in the calibration's convention. */
  waterDisplacement: number;
}

/** What {@link checkScan} found: the HU range (of a sample of voxels) and the body's share of the scan. */
export interface ScanCheck {
  minHu: number;
  maxHu: number;
  /** Fraction of the sampled voxels above the body threshold (-250 HU). */
  bodyFraction: number;
}

/** Fewest voxels along an in-plane axis and fewest slices a scan must have to be analysed. */
const MIN_IN_PLANE_VOXELS = 16, MIN_SLICES = 3;
/** Coarsest voxel (mm) of a scan that can be analysed. */
const MAX_SPACING_MM = 10;

/**
 * The cheap checks that decide whether a scan can be analysed at all, made before any expensive stage
 * (a pass over every 7th voxel: well under a second on a 512 x 512 x 300 scan):
 * geometry (a volume of at least 16 x 16 x 3 voxels no coarser than 10 mm) and modality (values
 * that are CT numbers in HU: a body above -250 HU and air, fat or padding below 0 HU; a volume with
 * no negative value holds stored pixel values or a density, not HU). `requireNegative: false` skips
 * that last test: a phantom calibration fixes the scale from its certified rods whatever the offset
 * of the stored values, and the truth routes of the synthetic populations pass an exact density
 * (0 and up) with rods at their certified densities.
 * @throws ScanError naming what is wrong and what to do.
 */
export function checkScan(ct: Volume, opts: { requireNegative?: boolean } = {}): ScanCheck {
  const [nx, ny, nz] = ct.dims;
  if (nx < MIN_IN_PLANE_VOXELS || ny < MIN_IN_PLANE_VOXELS || nz < MIN_SLICES) {
    throw new ScanError(`the scan is ${ct.dims.join(" x ")} voxels: bct needs a CT volume of at least ${MIN_IN_PLANE_VOXELS} x ${MIN_IN_PLANE_VOXELS} x ${MIN_SLICES} voxels (a series, not a single image or localizer)`);
  }
  if (ct.spacing.some((h) => h > MAX_SPACING_MM)) {
    throw new ScanError(`the scan's voxels are ${ct.spacing.map((h) => +h.toFixed(2)).join(" x ")} mm: coarser than ${MAX_SPACING_MM} mm, too coarse to model bone; give the thin-slice reconstruction`);
  }
  let min = Infinity, max = -Infinity, body = 0, n = 0;
  const d = ct.data;
  for (let p = 0; p < d.length; p += 7, n++) {
    const v = d[p];
    if (v < min) min = v;
    if (v > max) max = v;
    if (v > -250) body++;
  }
  if (!(max > -250)) throw new ScanError(`no voxel above -250 HU (the scan's values span ${min} to ${max}): no body in the scan, or it is not a CT in HU`);
  if (min >= 0 && opts.requireNegative !== false) {
    throw new ScanError(`the scan has no value below 0 (it spans ${min} to ${max}): a CT in HU has air and fat below 0; these look like stored pixel values without the rescale (DICOM RescaleIntercept) or a density map, not HU`);
  }
  return { minHu: min, maxHu: max, bodyFraction: body / n };
}

/**
 * Calibrate and convert to density. The scan is checked first ({@link checkScan}, stage "scan check"),
 * so a scan that cannot be analysed ends before the calibration.
 */
export function calibrateStage(clock: StageClock, warnings: Warnings, ct: Volume, choice: CalibrationChoice, anatomy: "hip" | "spine"): { fit: CalibrationFit; density: Volume<Float32Array>; warnings: string[]; mineral: MineralModel } {
  clock.run("scan check", "geometry and HU range", () => checkScan(ct, { requireNegative: choice.kind !== "phantom" }), (c) => `${ct.dims.join(" x ")} voxels, HU ${c.minHu} to ${c.maxHu}, body ${(100 * c.bodyFraction).toFixed(0)}% of the scan`);
  const cal = clock.run("calibration", `calibrating (${choice.kind})`, () => {
    if (choice.kind === "phantom") {
      const r = phantomCalibration(ct, choice.phantom);
      const d = choice.phantom.waterDisplacement ?? MINDWAYS_WATER_DISPLACEMENT;
      let mineral: MineralModel = { effectiveEnergyKeV: null, energySource: "none", waterDisplacement: d };
      const ws = [...r.warnings];
      try {
        mineral = { effectiveEnergyKeV: effectiveEnergyFromFit(r.fit, { waterDisplacement: d }).effectiveEnergyKeV, energySource: "phantom slope", waterDisplacement: d };
      } catch (e) {
        if (!(e instanceof BctError)) throw e;
        ws.push(`the effective energy could not be estimated from the phantom slope (${e.message}); K2HPO4 -> HA conversions use the default energy`);
      }
      return { fit: r.fit, warnings: ws, mineral };
    }
    const d = choice.waterDisplacement ?? MINDWAYS_WATER_DISPLACEMENT;
    const r = internalCalibration(ct, { anatomy, labels: choice.labels, waterDisplacement: choice.waterDisplacement });
    return { fit: r.fit, warnings: r.warnings, mineral: { effectiveEnergyKeV: r.effectiveEnergyKeV, energySource: "internal calibration" as const, waterDisplacement: d } };
  }, (r) => `density = ${r.fit.intercept.toFixed(1)} + ${r.fit.slope.toFixed(4)} x HU (${r.fit.measure}), R^2 ${r.fit.r2.toFixed(4)}${r.mineral.effectiveEnergyKeV ? `, effective energy ${r.mineral.effectiveEnergyKeV.toFixed(1)} keV` : ""}`);
  warnings.add("calibration", cal.warnings);
  const density = clock.run("density", "HU -> density", () => applyCalibration(ct, cal.fit));
  return { fit: cal.fit, density, warnings: cal.warnings, mineral: cal.mineral };
}

/**
 * The density expressed as hydroxyapatite equivalent (the unit of DXA and of the ACR QCT cut-points),
 * by the attenuation equivalence at the scan's effective energy (calibration/density
 * mineralConversion); the default energy with a warning when none is known.
 */
export function toHydroxyapatite(density: Volume<Float32Array>, fit: CalibrationFit, mineral: MineralModel): { density: Volume<Float32Array>; conversion: { factor: number; formula: string; effectiveEnergyKeV: number | null }; warnings: string[] } {
  if (fit.measure === "rhoHA") return { density, conversion: { factor: 1, formula: "rhoHA (calibrated as HA)", effectiveEnergyKeV: mineral.effectiveEnergyKeV }, warnings: [] };
  if (fit.measure !== "rhoK") throw new CalibrationError(`DXA-equivalent measures need a mineral-equivalent calibration (K2HPO4 or HA), not ${fit.measure}`);
  const warnings: string[] = [];
  if (mineral.effectiveEnergyKeV === null) warnings.push(`no effective energy known: K2HPO4 -> HA at the default ${DEFAULT_EFFECTIVE_ENERGY_KEV} keV (◇)`);
  const energy = mineral.effectiveEnergyKeV ?? DEFAULT_EFFECTIVE_ENERGY_KEV;
  const c: MineralConversion = mineralConversion("rhoK", "rhoHA", energy, { waterDisplacement: { rhoK: mineral.waterDisplacement } });
  const f = c.factor;
  const data = new Float32Array(density.data.length);
  for (let p = 0; p < data.length; p++) data[p] = f * density.data[p];
  return {
    density: createVolume({ dims: density.dims, spacing: density.spacing, origin: density.origin, direction: density.direction, data }),
    conversion: { factor: f, formula: c.formula, effectiveEnergyKeV: energy },
    warnings,
  };
}

/** How element moduli come from the density: the law of the element's mean density, or the element mean of the law (lib/mesh/integrate-modulus). */
export type ModulusMapping = "mean-density" | "integrated";

/**
 * Voxel mesh of the mask at `h` mm, moduli by `law` (`mapping`, default "mean-density"), and the FE
 * model. With `caps`, the bone grid is then given its PMMA caps (lib/mesh/pmma-caps): the PMMA
 * elements get the PMMA modulus, and `materials.modulus` stays the bone law's (bone elements only).
 */
export function modelStage(
  clock: StageClock, warnings: Warnings, density: Volume, mask: Mask, h: number, law: string, poisson: number,
  extra: { caps?: (grid: ElementGrid) => CappedGrid; mapping?: ModulusMapping; subsamples?: number } = {},
): { grid: ElementGrid; materials: MaterialMappingResult; model: VoxelModel; capped?: CappedGrid } {
  const bone = clock.run("mesh", `voxel mesh at ${h} mm`, () => voxelize(density, mask, { elementSize: h, subsamples: extra.subsamples }), (g) => `${g.elements.length} elements of ${h} mm`);
  warnings.add("mesh", bone.warnings);
  const mapping = extra.mapping ?? "mean-density";
  const materials = clock.run("materials", `moduli (${law}, ${mapping})`, () =>
    mapping === "integrated" ? integratedModulus(density, mask, bone, law, { subsamples: extra.subsamples }) : mapModulus(bone.density, { law }));
  warnings.add("materials", materials.warnings);
  if (!extra.caps) return { grid: bone, materials, model: gridToVoxelModel(bone, materials.modulus, poisson) };
  const caps = extra.caps;
  const capped = clock.run("mesh", "PMMA caps", () => caps(bone), (c) => c.caps.map((k) => `${k.name} ${k.elements} PMMA elements`).join(", "));
  if (poisson !== PMMA_POISSON) warnings.add("materials", [`the PMMA caps take the bone's Poisson's ratio ${poisson} (PMMA: ${PMMA_POISSON}); the voxel model has one ratio`]);
  // the capped grid keeps the bone elements in their order (padding preserves the flat-index order)
  const modulus = new Float32Array(capped.material.length);
  for (let q = 0, b = 0; q < modulus.length; q++) modulus[q] = capped.material[q] ? PMMA_MODULUS_MPA : materials.modulus[b++];
  return { grid: capped.grid, materials, model: gridToVoxelModel(capped.grid, modulus, poisson), capped };
}

/** Solve with progress every 10 iterations. */
export function solveStage(clock: StageClock, warnings: Warnings, model: VoxelModel, bcs: BoundaryCondition[], tol: number, share: Pick<SolveOptions, "engine" | "reuse"> = {}): FeSolution {
  let last = 0;
  const s = clock.run("solve", `solving ${3 * model.nodeGrid.length} DOF`, () =>
    solve(model, bcs, {
      tol, ...share,
      onProgress: (p) => {
        if (p.iteration - last >= 10) {
          last = p.iteration;
          clock.update("solve", `iteration ${p.iteration}, residual ${p.residual.toExponential(2)}`);
        }
      },
    }), (r) => `${r.iterations} iterations, ${r.converged ? "converged" : "NOT converged"} (${r.preconditioner})`);
  warnings.add("solve", s.warnings);
  return s;
}

/** Mean of a typed array. */
export function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return a.length ? s / a.length : NaN;
}

/** The calibration part of a result. */
export interface CalibrationSummary {
  method: string;
  measure: string;
  slope: number;
  intercept: number;
  r2: number;
  /** The scan's effective energy and the density convention's water displacement, when known. */
  mineral?: MineralModel;
  warnings: string[];
}

/** Summarise a calibration fit for a result. */
export function calibrationSummary(fit: CalibrationFit, warnings: string[], mineral?: MineralModel): CalibrationSummary {
  return { method: fit.method, measure: fit.measure, slope: fit.slope, intercept: fit.intercept, r2: fit.r2, mineral, warnings };
}

/** The solver part of a result. */
export interface SolverSummary {
  iterations: number;
  converged: boolean;
  relativeResidual: number;
  preconditioner: string;
  seconds: number;
  setupSeconds: number;
}

/** Summarise a solve for a result. */
export function solverSummary(s: FeSolution): SolverSummary {
  return { iterations: s.iterations, converged: s.converged, relativeResidual: s.relativeResidual, preconditioner: s.preconditioner, seconds: s.seconds, setupSeconds: s.setupSeconds };
}

/** What the calibration stage returns, as the DXA stages need it. */
type CalibratedScan = { fit: CalibrationFit; density: Volume<Float32Array>; mineral: MineralModel };

/** Hip DXA-equivalent measures on the HA-equivalent density (see {@link toHydroxyapatite}), timed, with warnings. */
export function hipDxaStage(clock: StageClock, warnings: Warnings, cal: CalibratedScan, femur: Mask, opts: { sex: "F" | "M"; landmarks: FemurLandmarks; maleReference?: MaleReferenceChoice }): { result: HipDxaResult; artifacts: HipDxaArtifacts } {
  const d = clock.run("dxa", "DXA-equivalent aBMD", () => {
    const ha = toHydroxyapatite(cal.density, cal.fit, cal.mineral);
    warnings.add("dxa", ha.warnings);
    return hipDxa(ha.density, femur, { sex: opts.sex, landmarks: opts.landmarks, densityMeasure: "rhoHA", maleReference: opts.maleReference });
  }, (r) => `neck ${r.result.neckABMD.toFixed(3)} g/cm2 (T ${r.result.tScoreNeck.toFixed(1)}), total hip ${r.result.totalHipABMD.toFixed(3)} (T ${r.result.tScoreTotalHip.toFixed(1)}): ${r.result.category}`);
  warnings.add("dxa", d.result.warnings);
  return d;
}

/** Spine AP aBMD and trabecular vBMD on the HA-equivalent density (see {@link toHydroxyapatite}), timed, with warnings. */
export function spineDxaStage(clock: StageClock, warnings: Warnings, cal: CalibratedScan, vertebrae: VertebraInput[], levels: { totalLevels?: string[]; trabecularLevels?: string[] } = {}): { result: SpineDxaResult; artifacts: SpineDxaArtifacts } {
  const d = clock.run("dxa", "AP projection and trabecular ROIs", () => {
    const ha = toHydroxyapatite(cal.density, cal.fit, cal.mineral);
    warnings.add("dxa", ha.warnings);
    return spineDxa(ha.density, vertebrae, {
      densityMeasure: "rhoHA", effectiveEnergyKeV: ha.conversion.effectiveEnergyKeV ?? undefined, waterDisplacement: { rhoK: cal.mineral.waterDisplacement }, ...levels,
    });
  }, (r) => `total aBMD ${r.result.totalABMD?.toFixed(3) ?? "-"} g/cm2, trabecular vBMD ${r.result.trabecularVBMD} mg/cm3 HA (${r.result.category})`);
  warnings.add("dxa", d.result.warnings);
  return d;
}
