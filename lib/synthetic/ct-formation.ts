/**
 * CT formation: how the phantom's tissue and density become HU.
 *
 * 1. Scanner relation, at every point: `HU = huBase(tissue) + slope * rhoK`, with rhoK the
 *    K2HPO4-equivalent mineral density (mg/cm3) and huBase from {@link TISSUES}. The default scanner
 *    is a monoenergetic beam at {@link DEFAULT_EFFECTIVE_ENERGY_KEV} keV: the slope is the K2HPO4 /
 *    water mass-attenuation ratio (K2HPO4 dissolved in an ideal water-equivalent base), and fat,
 *    muscle, skin, viscera and blood take the CT numbers of the ICRU-46 tissues at that energy (NIST
 *    tables in lib/calibration/attenuation.ts), so phantom and phantomless calibration see one
 *    consistent physics. Air, water, marrow and the other tissues keep the {@link TISSUES} values.
 * 2. Partial volume and blur: the point HU field is averaged over each voxel (a box of the voxel
 *    size) and convolved with a separable Gaussian point-spread function of the stated FWHM per
 *    axis. Both are computed on a subgrid `supersampling` times finer than the voxels, extended
 *    beyond the scan by 4 sigma so structures outside the field of view blur in as they would in a
 *    scanner. The voxel value is `(box * gaussian * HU)(voxel centre)`; along each axis the edge
 *    response is a Gaussian CDF convolved with the voxel box.
 * 3. Noise: white Gaussian noise of the stated SD (HU), from the counter-based RNG of
 *    {@link ./rng} keyed by the seed and the voxel's flat index in the full grid.
 * 4. Quantisation: rounded to the nearest integer HU (ties up) and clamped to [-1024, 3071].
 *
 * The whole chain is deterministic: the same phantom, grid, options and seed give the same bytes.
 * @module
 */
import type { IndexBox } from "../volume/crop.js";
import type { Vec3 } from "../volume/volume.js";
import { SyntheticError } from "./errors.js";
import { gaussianAt } from "./rng.js";
import { tissueHuTable, type TissueName } from "./tissues.js";
import { massAttenuation, theoreticalHu } from "../calibration/attenuation.js";

/** FWHM / sigma of a Gaussian: 2 sqrt(2 ln 2). */
export const FWHM_PER_SIGMA = 2 * Math.sqrt(2 * Math.LN2);

/** The scanner model: everything between the phantom and the integer HU. */
export interface ScannerModel {
  /** HU per mg/cm3 K2HPO4-equivalent. */
  slope: number;
  /** Overrides of the tissue `huBase` values (HU at zero density). */
  tissueHu: Partial<Record<TissueName, number>>;
  /** FWHM of the Gaussian point-spread function along i, j, k (mm); 0 turns the blur off on that axis. */
  psfFwhmMm: Vec3;
  /** SD of the additive white Gaussian noise (HU); 0 for none. */
  noiseSdHu: number;
  /** Subsamples per voxel along each axis for partial volume and blur (odd numbers keep the voxel centre a subsample). */
  supersampling: number;
  /** The clamp applied after rounding (HU). */
  huRange: [number, number];
}

/** Effective energy of the default scanner (keV): a typical 120 kVp clinical CT beam is about 60-70 keV effective. */
export const DEFAULT_EFFECTIVE_ENERGY_KEV = 70;

const round2 = (x: number) => Math.round(x * 100) / 100;
const E_EFF = DEFAULT_EFFECTIVE_ENERGY_KEV;
const MUSCLE_HU = round2(theoreticalHu("muscle", E_EFF));

/**
 * Default scanner: 70 keV effective (slope about 1.59 HU per mg/cm3 K2HPO4; fat -78.5, muscle +43.1,
 * blood +56.4 HU), PSF FWHM 1.2 mm in-plane and 1.4 mm along z, noise SD 12 HU, 3x3x3 subsamples.
 */
export const DEFAULT_SCANNER: ScannerModel = {
  slope: round2(massAttenuation("k2hpo4", E_EFF) / massAttenuation("water", E_EFF) * 1000) / 1000,
  tissueHu: {
    fat: round2(theoreticalHu("adipose", E_EFF)),
    muscle: MUSCLE_HU,
    skin: MUSCLE_HU,
    viscera: MUSCLE_HU,
    blood: round2(theoreticalHu("blood", E_EFF)),
  },
  psfFwhmMm: [1.2, 1.2, 1.4],
  noiseSdHu: 12,
  supersampling: 3,
  huRange: [-1024, 3071],
};

/** Check a scanner model. */
export function checkScanner(m: ScannerModel): void {
  if (!(m.slope > 0)) throw new SyntheticError(`scanner slope must be positive, got ${m.slope}`);
  if (m.psfFwhmMm.some((f) => !(f >= 0))) throw new SyntheticError(`PSF FWHM must be >= 0 mm, got [${m.psfFwhmMm.join(", ")}]`);
  if (!(m.noiseSdHu >= 0)) throw new SyntheticError(`noise SD must be >= 0 HU, got ${m.noiseSdHu}`);
  if (!Number.isInteger(m.supersampling) || m.supersampling < 1 || m.supersampling > 8) {
    throw new SyntheticError(`supersampling must be an integer from 1 to 8, got ${m.supersampling}`);
  }
}

/** `huBase` of every tissue under this scanner, indexed by tissue id. */
export function scannerTissueHu(m: ScannerModel): Float64Array {
  return tissueHuTable(m.tissueHu);
}

/** The 1-D weights that take `supersampling` subsamples per voxel (plus halo) to one voxel value. */
export interface VoxelKernel {
  /** Weights over `supersampling + 2 * halo` consecutive subsamples, summing to 1. */
  weights: Float64Array;
  /** Subsamples of margin on each side of the voxel. */
  halo: number;
}

/**
 * The decimating kernel of one axis: the mean over the voxel's `s` subsamples of the sampled
 * Gaussian (sigma = FWHM / 2.3548, in subsample units, truncated at 4 sigma and normalised).
 * @example
 * ```ts
 * const k = voxelKernel(1.0, 1.2, 3); // 1 mm voxels, 1.2 mm FWHM, 3 subsamples
 * k.weights.reduce((a, b) => a + b); // 1
 * ```
 */
export function voxelKernel(spacing: number, fwhm: number, s: number): VoxelKernel {
  const sigma = fwhm / FWHM_PER_SIGMA / (spacing / s);
  const halo = sigma > 0 ? Math.ceil(4 * sigma) : 0;
  const g = new Float64Array(2 * halo + 1);
  if (halo === 0) g[0] = 1;
  else {
    let sum = 0;
    for (let u = -halo; u <= halo; u++) sum += g[u + halo] = Math.exp(-(u * u) / (2 * sigma * sigma));
    for (let u = 0; u < g.length; u++) g[u] /= sum;
  }
  const weights = new Float64Array(s + 2 * halo);
  for (let m = 0; m < s; m++) for (let u = 0; u < g.length; u++) weights[m + u] += g[u] / s;
  return { weights, halo };
}

/**
 * Effective FWHM (mm) of box (voxel) * Gaussian (PSF) along one axis, from their summed variances
 * (sigma^2 + spacing^2 / 12). Exact for the variance; the shape is close to Gaussian.
 * @example
 * ```ts
 * effectiveFwhm(1.2, 1.0); // 1.36 mm: a 1.2 mm PSF seen through 1 mm voxels
 * ```
 */
export function effectiveFwhm(fwhm: number, spacing: number): number {
  const sigma = fwhm / FWHM_PER_SIGMA;
  return FWHM_PER_SIGMA * Math.sqrt(sigma * sigma + (spacing * spacing) / 12);
}

/**
 * Add noise and quantise a block of noise-free HU (block voxels in i-fastest order). The noise of
 * voxel (i, j, k) is keyed by its flat index `i + nx (j + ny k)` in the full grid `dims`, so a block
 * gets exactly the noise the full scan has there.
 * @example
 * ```ts
 * const box = { min: [0, 0, 0], max: [2, 1, 1] } as IndexBox;
 * const ct = addNoiseAndQuantize(Float64Array.of(0, 0), [2, 1, 1], box, 7, 12, [-1024, 3071]);
 * ```
 */
export function addNoiseAndQuantize(
  hu: ArrayLike<number>,
  dims: Vec3,
  box: IndexBox,
  seed: number,
  sd: number,
  range: [number, number],
): Int16Array {
  const out = new Int16Array(hu.length);
  const [lo, hi] = range;
  const [nx, ny] = dims;
  let n = 0;
  for (let k = box.min[2]; k < box.max[2]; k++) {
    for (let j = box.min[1]; j < box.max[1]; j++) {
      for (let i = box.min[0]; i < box.max[0]; i++, n++) {
        const noise = sd > 0 ? sd * gaussianAt(seed, i + nx * (j + ny * k)) : 0;
        const v = Math.round(hu[n] + noise);
        out[n] = v < lo ? lo : v > hi ? hi : v;
      }
    }
  }
  if (n !== hu.length) throw new SyntheticError(`noise: block has ${n} voxels but ${hu.length} HU values were given`);
  return out;
}
