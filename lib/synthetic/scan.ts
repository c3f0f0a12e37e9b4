/**
 * Generating a synthetic CT scan from a phantom: render (partial volume, blur), add noise, quantise,
 * and wrap the results as volumes on the scan grid (or on a sub-block of it, with the same values
 * the full scan has there).
 * @module
 */
import type { IndexBox } from "../volume/crop.js";
import type { GridGeometry } from "../volume/resample.js";
import { createVolume, indexToWorld, type Volume } from "../volume/volume.js";
import { DEFAULT_SCANNER, addNoiseAndQuantize, checkScanner, scannerTissueHu, type ScannerModel } from "./ct-formation.js";
import type { Phantom } from "./model.js";
import { fullBox, renderPhantom } from "./render.js";
import { checkSeed } from "./rng.js";

/** Version of the generator; recorded in every truth file. Bump it when any output byte changes. */
export const GENERATOR_VERSION = "1.1.0";

/** The default seed. */
export const DEFAULT_SEED = 1;

/** Options common to every scan. */
export interface ScanOptions {
  /** Noise seed, an integer in [0, 2^32). Default {@link DEFAULT_SEED}. */
  seed?: number;
  /** Changes to {@link DEFAULT_SCANNER}. */
  scanner?: Partial<ScannerModel>;
  /** Generate only this index box of the grid (default: all of it). */
  box?: IndexBox;
}

/** A generated scan: CT and its ground truth, voxel for voxel. */
export interface SyntheticScan {
  seed: number;
  scanner: ScannerModel;
  /** The full scan grid. */
  grid: GridGeometry;
  /** The part of the grid generated (the volumes below cover exactly this box). */
  box: IndexBox;
  /** CT numbers (HU), int16. */
  ct: Volume<Int16Array>;
  /** The same before noise and rounding. */
  noiseFreeHu: Volume<Float64Array>;
  /** Voxel-mean K2HPO4-equivalent density (mg/cm3). */
  density: Volume<Float32Array>;
  /** Structure label at each voxel centre. */
  labels: Volume<Uint8Array>;
  /** Tissue id at each voxel centre. */
  tissues: Volume<Uint8Array>;
}

/** The scanner model with `changes` applied, checked. */
export function resolveScanner(changes: Partial<ScannerModel> = {}): ScannerModel {
  const m: ScannerModel = {
    ...DEFAULT_SCANNER,
    ...changes,
    tissueHu: { ...DEFAULT_SCANNER.tissueHu, ...(changes.tissueHu ?? {}) },
  };
  checkScanner(m);
  return m;
}

/**
 * Render `phantom` on `grid` and form the CT.
 * @example
 * ```ts
 * const scan = generateScan(new HipPhantom(), DEFAULT_HIP_GRID, { seed: 7, box: { min: [0, 0, 60], max: [180, 180, 61] } });
 * scan.ct.dims; // [180, 180, 1]
 * ```
 */
export function generateScan(phantom: Phantom, grid: GridGeometry, options: ScanOptions = {}): SyntheticScan {
  const seed = checkSeed(options.seed ?? DEFAULT_SEED);
  const scanner = resolveScanner(options.scanner);
  const box = options.box ?? fullBox(grid);
  const r = renderPhantom(
    phantom,
    grid,
    { slope: scanner.slope, tissueHu: scannerTissueHu(scanner), psfFwhmMm: scanner.psfFwhmMm, supersampling: scanner.supersampling },
    box,
  );
  const ctData = addNoiseAndQuantize(r.hu, grid.dims, box, seed, scanner.noiseSdHu, scanner.huRange);
  const geom = {
    dims: [box.max[0] - box.min[0], box.max[1] - box.min[1], box.max[2] - box.min[2]] as GridGeometry["dims"],
    spacing: grid.spacing,
    origin: indexToWorld(grid, box.min),
    direction: grid.direction,
  };
  return {
    seed,
    scanner,
    grid: { dims: [...grid.dims], spacing: [...grid.spacing], origin: [...grid.origin], direction: [...grid.direction] } as GridGeometry,
    box: r.box,
    ct: createVolume({ ...geom, data: ctData }),
    noiseFreeHu: createVolume({ ...geom, data: r.hu }),
    density: createVolume({ ...geom, data: r.density }),
    labels: createVolume({ ...geom, data: r.labels }),
    tissues: createVolume({ ...geom, data: r.tissues }),
  };
}

/**
 * A scan with its phantom and a truth record computed on first access (the truth integrates the
 * phantom on a fine grid, which a caller that only wants the CT should not pay for).
 */
export function withLazyTruth<K extends string, P>(
  scan: SyntheticScan, kind: K, phantom: P, truthOf: (scan: SyntheticScan, phantom: P) => Record<string, unknown>,
): SyntheticScan & { kind: K; phantom: P; readonly truth: Record<string, unknown> } {
  let truth: Record<string, unknown> | undefined;
  return {
    ...scan,
    kind,
    phantom,
    get truth() {
      return (truth ??= truthOf(scan, phantom));
    },
  };
}
