/**
 * The stages every site's analysis shares, each a thin timed wrapper over the library call:
 * calibration, meshing with material mapping, and the solve with progress.
 * @module
 */
import { applyCalibration, type CalibrationFit } from "../calibration/fit.js";
import { internalCalibration } from "../calibration/internal.js";
import { phantomCalibration, type PhantomDefinition } from "../calibration/phantom.js";
import type { BoundaryCondition } from "../fe/bc.js";
import { solve, type FeSolution } from "../fe/solve/solve.js";
import type { VoxelModel } from "../fe/voxel-model.js";
import { mapModulus, type MaterialMappingResult } from "../materials/map.js";
import { gridToVoxelModel } from "../mesh/model.js";
import { voxelize, type ElementGrid } from "../mesh/voxelize.js";
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

/** Calibrate and convert to density. */
export function calibrateStage(clock: StageClock, warnings: Warnings, ct: Volume, choice: CalibrationChoice, anatomy: "hip" | "spine"): { fit: CalibrationFit; density: Volume<Float32Array>; warnings: string[] } {
  const cal = clock.run("calibration", `calibrating (${choice.kind})`, () => {
    if (choice.kind === "phantom") {
      const r = phantomCalibration(ct, choice.phantom);
      return { fit: r.fit, warnings: r.warnings };
    }
    const r = internalCalibration(ct, { anatomy, labels: choice.labels, waterDisplacement: choice.waterDisplacement });
    return { fit: r.fit, warnings: r.warnings };
  }, (r) => `density = ${r.fit.intercept.toFixed(1)} + ${r.fit.slope.toFixed(4)} x HU (${r.fit.measure}), R^2 ${r.fit.r2.toFixed(4)}`);
  warnings.add("calibration", cal.warnings);
  const density = clock.run("density", "HU -> density", () => applyCalibration(ct, cal.fit));
  return { fit: cal.fit, density, warnings: cal.warnings };
}

/** Voxel mesh of the mask at `h` mm, moduli by `law`, and the FE model. */
export function modelStage(clock: StageClock, warnings: Warnings, density: Volume, mask: Mask, h: number, law: string, poisson: number): { grid: ElementGrid; materials: MaterialMappingResult; model: VoxelModel } {
  const grid = clock.run("mesh", `voxel mesh at ${h} mm`, () => voxelize(density, mask, { elementSize: h }), (g) => `${g.elements.length} elements of ${h} mm`);
  warnings.add("mesh", grid.warnings);
  const materials = clock.run("materials", `moduli (${law})`, () => mapModulus(grid.density, { law }));
  warnings.add("materials", materials.warnings);
  return { grid, materials, model: gridToVoxelModel(grid, materials.modulus, poisson) };
}

/** Solve with progress every 10 iterations. */
export function solveStage(clock: StageClock, warnings: Warnings, model: VoxelModel, bcs: BoundaryCondition[], tol: number): FeSolution {
  let last = 0;
  const s = clock.run("solve", `solving ${3 * model.nodeGrid.length} DOF`, () =>
    solve(model, bcs, {
      tol,
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
  warnings: string[];
}

/** Summarise a calibration fit for a result. */
export function calibrationSummary(fit: CalibrationFit, warnings: string[]): CalibrationSummary {
  return { method: fit.method, measure: fit.measure, slope: fit.slope, intercept: fit.intercept, r2: fit.r2, warnings };
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
