/**
 * Spine densitometry from calibrated CT: the DXA-equivalent areal BMD of each lumbar level (an
 * anterior-posterior projection, as a DXA scanner sees the spine) and the QCT trabecular volumetric
 * BMD of the vertebral centrum with its ACR category.
 *
 * ## AP-projected aBMD ({@link spineApProjection}, {@link spineDxa})
 * The calibrated density inside the union of the vertebra masks (body and posterior elements, all
 * levels) is sum-projected along the patient anterior-posterior axis (world LPS y, whatever the
 * volume's direction) onto a coronal pixel grid (columns along LPS +x = patient left, so the
 * patient's right is on the image's left as in an AP radiograph; rows along LPS +z = superior). Each
 * voxel's mineral mass (density x voxel volume) is spread bilinearly over the four nearest pixels,
 * so the image holds exactly the 3D total (mass-conserving); on a volume whose axes are parallel to
 * x and z the pixel centres fall on the voxel centres and the spread is a plain sum. A pixel is bone
 * where the AP ray through its centre meets the mask (the mask's shadow, an unbiased area also on an
 * oblique grid); a region's BMC is all the projected mineral in it. This follows the open recipe of Bonelab
 * Ogo `GenerateDXAROI.py` (sum-project the calibrated volume and the mask along AP; aBMD = projected
 * mineral / projected area; bct-reference.md §6 ✔).
 *
 * Levels are separated as on a DXA lumbar analysis, by horizontal intervertebral lines through the
 * disc spaces: between two neighbouring levels the line lies halfway between the lower end of the
 * upper body's projection and the upper end of the lower body's, per image column, the median over
 * the columns (for endplates tilted alike this is the disc's mid-plane). All bone pixels inside a
 * level's band count for that level (so, as in DXA, a process of the vertebra above that reaches
 * below the line counts for the level below); laterally the region is bounded by the bone itself
 * (`lateral: "body"` keeps only the columns of the level's body, nearer a DXA ROI's width ◇).
 * aBMD = BMC / projected bone area (g/cm2); the total L1-L4 aBMD is the sum of the BMCs over the sum
 * of the areas of the levels available (the usual DXA total, Hologic/GE Lunar practice ◇).
 *
 * ## QCT trabecular vBMD ({@link trabecularCentrumRoi})
 * The mean density of an elliptic-cylinder ROI in the trabecular centrum at mid-body, the usual QCT
 * placement (an elliptical ROI in the mid-vertebral slab, clear of the cortex and of the posterior
 * basivertebral region; ACR-SPR-SSR 2013 practice parameter for QCT, Mindways QCT Pro ◇):
 * - frame: the body axis and endplates from {@link vertebraLandmarks} (the ROI follows lordosis and
 *   tilt), the posterior direction = LPS +y orthogonalised to the axis;
 * - slab: {@link SpineRoiOptions.heightMm} (default 10 mm ◇) centred halfway between the endplates;
 * - ellipse: centred on the body's cross-section in the slab, semi-axes {@link SpineRoiOptions.fraction}
 *   (default 0.65 ◇, i.e. 60-70% of the body's left-right and AP extents) of its half extents;
 * - cortex exclusion: voxels whose centre is less than {@link SpineRoiOptions.cortexMarginMm} (default
 *   2 mm ◇) from the body's surface are left out whatever the ellipse.
 * The reported trabecular vBMD is the mean over L1 and L2 when both are there (the ACR practice
 * parameter averages two vertebrae, typically L1-L2 ◇), else over the levels available; it is given in
 * mg/cm3 calcium hydroxyapatite (the ACR unit), rounded to 1 mg/cm3 (BCT reporting precision, Keaveny
 * et al. 2020 ✔), with the category of {@link acrCategory}.
 *
 * ## Density equivalents
 * bct's calibrated density is K2HPO4-equivalent; the ACR cut-points are in HA. No confirmed scalar
 * K2HPO4 <-> HA conversion is published (bct-reference.md §1), so {@link densityConverter} converts
 * between the two at the scan's effective energy E (`calibration/density` mineralConversion): the same
 * attenuation excess over water read as K2HPO4 or as HA, rhoHA = rhoK ((mu/rho)_K - (mu/rho)_w d_K) /
 * ((mu/rho)_HA - (mu/rho)_w d_HA) with the NIST tables, d_K = 0.2174 (the Mindways convention of bct's
 * calibrations) and d_HA = 1/3.16 (HA crystals): rhoHA = 1.0080 rhoK at 60 keV, 1.0283 at 70, 1.0497
 * at 80. Give E as {@link SpineDxaOptions.effectiveEnergyKeV} (an internal calibration's
 * `effectiveEnergyKeV`, or `calibration/energy` effectiveEnergyFromFit of a phantom fit); without it
 * the default {@link DEFAULT_EFFECTIVE_ENERGY_KEV} (70 keV ◇) is used with a warning. The energy, the
 * displacements and the formula are recorded in `result.densityEquivalent`; the model is marked
 * "unverified" (single-energy cross-calibrations measured rhoHA = 1.16-1.23 rhoK, Goodsitt 1992).
 *
 * @example
 * ```ts
 * import { spineDxa, vertebraeFromLabels } from "bct/lib/dxa/spine";
 * const vertebrae = vertebraeFromLabels(levels, { L1: 31, L2: 30, L3: 29, L4: 28 }, density);
 * const { result } = spineDxa(density, vertebrae);
 * result.aBMD;            // { L1: 0.95, L2: ..., } g/cm2
 * result.totalABMD;       // L1-L4
 * result.trabecularVBMD;  // mg/cm3 HA (mean of L1-L2), result.category: "normal" | "low" | "osteoporosis"
 * ```
 * @module
 */
import { vertebraLandmarks } from "../anatomy/vertebra.js";
import { DENSITY_CONVERSIONS, DENSITY_UNITS, DensityConversionError, mineralConversion, type DensityConversion, type DensityMeasure, type MineralConversionOptions } from "../calibration/density.js";
import { DEFAULT_EFFECTIVE_ENERGY_KEV, type MineralMeasure } from "../calibration/energy.js";
import { BctError } from "../errors.js";
import { squaredDistanceToSeeds } from "../segmentation/distance.js";
import { labelMaskOnGrid, labelsPresent } from "../segmentation/labels.js";
import type { Mask } from "../segmentation/mask.js";
import { isolateVertebralBody } from "../segmentation/vertebra.js";
import { boundingBox, type IndexBox } from "../volume/crop.js";
import type { GridGeometry } from "../volume/resample.js";
import { createVolume, sameGrid, voxelVolume, type Vec3, type Volume } from "../volume/volume.js";
import { ACR_VBMD_CUTPOINTS_MG_CM3_HA, acrCategory, type VbmdCategory } from "./reference.js";

/** A spine densitometry that cannot be made (no level, masks off the density grid, ...). */
export class SpineDxaError extends BctError {
  override name = "SpineDxaError";
}

// ---------------------------------------------------------------------------------------------
// Density equivalents: K2HPO4 <-> HA at the effective energy, catalogue chains with inverted steps
// ---------------------------------------------------------------------------------------------

/** One step of a {@link DensityConverter}: a catalogue conversion, used forwards or inverted, or the K2HPO4 <-> HA attenuation equivalence. */
export interface DensityConversionStep {
  id: string;
  from: DensityMeasure;
  to: DensityMeasure;
  inverted: boolean;
  /** The catalogue formula (of the forward direction). */
  formula: string;
  citation: string;
  confidence: "verified" | "unverified";
}

/** A conversion between two density measures along catalogue laws (some possibly inverted) and the K2HPO4 <-> HA attenuation equivalence. */
export interface DensityConverter {
  from: DensityMeasure;
  to: DensityMeasure;
  steps: DensityConversionStep[];
  /** The chain as one affine law `to = slope * from + intercept` (in the measures' own units). */
  slope: number;
  intercept: number;
  /** The affine law as text, e.g. "rhoHA = 1.0283 * rhoK". */
  formula: string;
  /** "verified" only when every step is verified and none is inverted. */
  confidence: "verified" | "unverified";
  /** The K2HPO4 <-> HA step's model when the chain has one: energy (and whether it was given), displacements, factor. */
  mineral: { effectiveEnergyKeV: number; energySource: "given" | "default"; waterDisplacement: Record<MineralMeasure, number>; factor: number } | null;
  convert(x: number): number;
}

/** Options of {@link densityConverter}. */
export interface DensityConverterOptions extends MineralConversionOptions {
  /** Effective energy (keV) of the K2HPO4 <-> HA step. Default {@link DEFAULT_EFFECTIVE_ENERGY_KEV} (70 keV ◇). */
  effectiveEnergyKeV?: number;
}

/** Slope and intercept of an affine catalogue law, or null when it is not affine. */
function affineOf(f: (x: number) => number): { a: number; b: number } | null {
  const b = f(0), a = (f(1000) - b) / 1000;
  for (const x of [-500, 250, 2500]) {
    const y = f(x), e = a * x + b;
    if (!(Math.abs(y - e) <= 1e-9 * Math.max(1, Math.abs(y)))) return null;
  }
  return a !== 0 && Number.isFinite(a) ? { a, b } : null;
}

/**
 * The conversion from one density measure to another: K2HPO4 <-> HA by the attenuation equivalence
 * at `opts.effectiveEnergyKeV` (`calibration/density` mineralConversion, see the module notes), other
 * steps along the catalogue of `calibration/density` ({@link DENSITY_CONVERSIONS}), where a step may
 * also be an affine law used backwards (e.g. rhoAsh -> rhoHA by inverting Schileo 2008's rhoHA ->
 * rhoAsh). Shortest chain; at equal length forward catalogue steps come first, then the mineral step,
 * then inverted laws. A chain through an inverted regression (regressions are not symmetric) or the
 * mineral model is marked "unverified", so report it as such.
 * @throws DensityConversionError when no chain exists; CalibrationError for an energy outside 10-200 keV.
 * @example
 * ```ts
 * const c = densityConverter("rhoK", "rhoHA", { effectiveEnergyKeV: 70 });
 * c.formula;         // "rhoHA = 1.0283 * rhoK"  (attenuation equivalence at 70 keV)
 * c.convert(100);    // 102.83 mg/cm3 HA
 * densityConverter("rhoK", "rhoApp").formula; // Keyak 1994, then ash fraction 0.6 (no mineral step)
 * ```
 */
export function densityConverter(from: DensityMeasure, to: DensityMeasure, opts: DensityConverterOptions = {}): DensityConverter {
  interface Edge { c: DensityConversion; inverted: boolean; from: DensityMeasure; to: DensityMeasure; f: (x: number) => number }
  const edges: Edge[] = [];
  for (const c of DENSITY_CONVERSIONS) edges.push({ c, inverted: false, from: c.from, to: c.to, f: c.convert });
  const energy = opts.effectiveEnergyKeV ?? DEFAULT_EFFECTIVE_ENERGY_KEV;
  const mineralSteps = (["rhoK", "rhoHA"] as const).map((a) => mineralConversion(a, a === "rhoK" ? "rhoHA" : "rhoK", energy, opts));
  for (const m of mineralSteps) edges.push({ c: m, inverted: false, from: m.from, to: m.to, f: m.convert });
  for (const c of DENSITY_CONVERSIONS) {
    const af = affineOf(c.convert);
    if (af) edges.push({ c, inverted: true, from: c.to, to: c.from, f: (y) => (y - af.b) / af.a });
  }
  const prev = new Map<DensityMeasure, Edge>();
  const seen = new Set<DensityMeasure>([from]);
  const queue: DensityMeasure[] = [from];
  while (queue.length && !seen.has(to)) {
    const m = queue.shift()!;
    for (const e of edges) {
      if (e.from !== m || seen.has(e.to)) continue;
      seen.add(e.to);
      prev.set(e.to, e);
      queue.push(e.to);
    }
  }
  if (!seen.has(to)) {
    throw new DensityConversionError(`no chain of catalogue conversions from ${from} (${DENSITY_UNITS[from]}) to ${to} (${DENSITY_UNITS[to]}), even with inverted laws`);
  }
  const path: Edge[] = [];
  for (let at = to; at !== from; ) {
    const e = prev.get(at)!;
    path.unshift(e);
    at = e.from;
  }
  const convert = (x: number) => path.reduce((y, e) => e.f(y), x);
  const intercept = convert(0), slope = (convert(1000) - intercept) / 1000;
  const steps = path.map((e): DensityConversionStep => ({
    id: e.c.id, from: e.from, to: e.to, inverted: e.inverted, formula: e.c.formula, citation: e.c.citation, confidence: e.c.confidence,
  }));
  const confidence = steps.every((s) => s.confidence === "verified" && !s.inverted) ? "verified" : "unverified";
  const formula =
    from === to ? `${to} = ${from}` : intercept === 0 ? `${to} = ${fmt(slope, 4)} * ${from}` : `${to} = ${fmt(slope, 4)} * ${from} ${intercept < 0 ? "-" : "+"} ${fmt(Math.abs(intercept), 2)}`;
  const used = mineralSteps.find((m) => path.some((e) => e.c === m));
  const mineral = used
    ? { effectiveEnergyKeV: energy, energySource: opts.effectiveEnergyKeV === undefined ? ("default" as const) : ("given" as const), waterDisplacement: used.waterDisplacement, factor: used.factor }
    : null;
  return { from, to, steps, slope, intercept, formula, confidence, mineral, convert };
}

const fmt = (x: number, d: number) => x.toFixed(d);

// ---------------------------------------------------------------------------------------------
// AP projection
// ---------------------------------------------------------------------------------------------

/** Options of {@link spineApProjection}. */
export interface ApProjectionOptions {
  /** Pixel size [along x, along z] (mm). Default the spacing of the voxel axes closest to x and z. */
  pixelMm?: [number, number];
}

/**
 * An anterior-posterior projection on a coronal pixel grid: pixel (u, v) at `data[u + nu * v]` has
 * its centre at world x = origin[0] + u * pixelMm[0] (LPS, patient left), z = origin[1] + v * pixelMm[1]
 * (superior).
 */
export interface ApProjection {
  dims: [number, number];
  pixelMm: [number, number];
  origin: [number, number];
  /** Projected mineral per pixel (mg). Sums to the 3D total in the mask. */
  mineralMg: Float64Array;
  /** Projected mask thickness (mm). */
  thicknessMm: Float32Array;
  /** Areal BMD per pixel (g/cm2) = mineral / pixel area, 0 off bone. */
  aBMD: Float32Array;
  /** 1 where the pixel is bone: the AP ray through its centre meets the mask (the mask's shadow). */
  bone: Uint8Array;
  /** 3D total mineral inside the mask (mg). */
  totalMineralMg: number;
}

interface Axes { x: Vec3; z: Vec3 }

/** World x and z of voxel centres as affine functions of (i, j, k): x = x0 + dx . ijk. */
function worldXZ(v: GridGeometry): Axes {
  const { spacing: s, direction: d } = v;
  return { x: [d[0] * s[0], d[1] * s[1], d[2] * s[2]], z: [d[6] * s[0], d[7] * s[1], d[8] * s[2]] };
}

/** Spacing of the voxel axis best aligned with world axis `row` (0 = x, 2 = z). */
function spacingAlong(v: GridGeometry, row: number): number {
  let best = 0, a = 0;
  for (let c = 0; c < 3; c++) {
    const p = Math.abs(v.direction[3 * row + c]);
    if (p > best) (best = p), (a = c);
  }
  return v.spacing[a];
}

function checkGrid(name: string, m: Volume, density: Volume): void {
  if (!sameGrid(m, density, 1e-3)) {
    throw new SpineDxaError(`${name} is not on the density grid (${m.dims.join("x")} vs ${density.dims.join("x")}): put it there first (vertebraeFromLabels, or labelMaskOnGrid)`);
  }
}

/**
 * Sum-project `density` inside `mask` along the patient AP axis (world LPS y) onto a coronal grid;
 * mass-conserving bilinear spreading (see the module notes).
 * @throws SpineDxaError when the mask is empty or on another grid.
 * @example
 * ```ts
 * const p = spineApProjection(density, vertebraMask);
 * p.totalMineralMg; // = sum of density * voxel volume / 1000 over the mask
 * ```
 */
export function spineApProjection(density: Volume, mask: Volume, opts: ApProjectionOptions = {}): ApProjection {
  checkGrid("the mask", mask, density);
  const box = boundingBox(mask, (x) => x !== 0);
  if (!box) throw new SpineDxaError("the mask to project is empty");
  const [nx, ny] = density.dims;
  const ax = worldXZ(density);
  const o = density.origin;
  const du = opts.pixelMm?.[0] ?? spacingAlong(density, 0);
  const dv = opts.pixelMm?.[1] ?? spacingAlong(density, 2);
  if (!(du > 0 && dv > 0)) throw new SpineDxaError(`pixel size must be positive, got ${du} x ${dv} mm`);
  // extents of the voxel centres in x and z (corners of the box suffice: affine)
  let xmin = Infinity, xmax = -Infinity, zmin = Infinity, zmax = -Infinity;
  for (const i of [box.min[0], box.max[0] - 1]) for (const j of [box.min[1], box.max[1] - 1]) for (const k of [box.min[2], box.max[2] - 1]) {
    const x = o[0] + ax.x[0] * i + ax.x[1] * j + ax.x[2] * k, z = o[2] + ax.z[0] * i + ax.z[1] * j + ax.z[2] * k;
    xmin = Math.min(xmin, x); xmax = Math.max(xmax, x); zmin = Math.min(zmin, z); zmax = Math.max(zmax, z);
  }
  // pixel centres on the voxel-centre lattice through the origin (exact sums on aligned grids), one pixel of margin
  const x0 = o[0] + (Math.floor((xmin - o[0]) / du + 1e-6) - 1) * du;
  const z0 = o[2] + (Math.floor((zmin - o[2]) / dv + 1e-6) - 1) * dv;
  const nu = Math.ceil((xmax - x0) / du - 1e-6) + 2, nv = Math.ceil((zmax - z0) / dv - 1e-6) + 2;
  const np = nu * nv;
  const mineral = new Float64Array(np), thick = new Float64Array(np);
  const vv = voxelVolume(density);
  const pixA = du * dv;
  const tVox = vv / pixA;
  const md = mask.data, dd = density.data;
  let total = 0;
  const splat = (x: number, z: number, mg: number) => {
    let fu = (x - x0) / du, fv = (z - z0) / dv;
    let iu = Math.floor(fu), iv = Math.floor(fv);
    let wu = fu - iu, wv = fv - iv;
    if (wu < 1e-6) wu = 0; else if (wu > 1 - 1e-6) (iu++, (wu = 0));
    if (wv < 1e-6) wv = 0; else if (wv > 1 - 1e-6) (iv++, (wv = 0));
    fu = 1 - wu; fv = 1 - wv;
    const p = iu + nu * iv;
    let w = fu * fv;
    mineral[p] += w * mg; thick[p] += w * tVox;
    if (wu) { w = wu * fv; mineral[p + 1] += w * mg; thick[p + 1] += w * tVox; }
    if (wv) { w = fu * wv; mineral[p + nu] += w * mg; thick[p + nu] += w * tVox; }
    if (wu && wv) { w = wu * wv; mineral[p + nu + 1] += w * mg; thick[p + nu + 1] += w * tVox; }
  };
  for (let k = box.min[2]; k < box.max[2]; k++) {
    for (let j = box.min[1]; j < box.max[1]; j++) {
      const xr = o[0] + ax.x[1] * j + ax.x[2] * k, zr = o[2] + ax.z[1] * j + ax.z[2] * k;
      const row = nx * (j + ny * k);
      for (let i = box.min[0]; i < box.max[0]; i++) {
        const q = i + row;
        if (!md[q]) continue;
        const mg = (dd[q] * vv) / 1000; // mg/cm3 * mm3 -> mg
        total += mg;
        splat(xr + ax.x[0] * i, zr + ax.z[0] * i, mg);
      }
    }
  }
  // The shadow: pixels whose centre's AP ray meets a mask voxel (nearest-voxel samples every half
  // of the smallest spacing). Only pixels that received a splat can be hit.
  const bone = new Uint8Array(np), aBMD = new Float32Array(np), thicknessMm = new Float32Array(np);
  const d = density.direction, sp = density.spacing, nz = density.dims[2];
  let ylo = Infinity, yhi = -Infinity;
  for (const i of [box.min[0], box.max[0] - 1]) for (const j of [box.min[1], box.max[1] - 1]) for (const k of [box.min[2], box.max[2] - 1]) {
    const y = o[1] + d[3] * sp[0] * i + d[4] * sp[1] * j + d[5] * sp[2] * k;
    ylo = Math.min(ylo, y); yhi = Math.max(yhi, y);
  }
  const hmax = Math.max(...sp), step = Math.min(...sp) / 2;
  ylo -= hmax; yhi += hmax;
  const nSteps = Math.ceil((yhi - ylo) / step) + 1;
  for (let v = 0; v < nv; v++) for (let u = 0; u < nu; u++) {
    const p = u + nu * v;
    thicknessMm[p] = thick[p];
    if (!(thick[p] > 0)) continue;
    const rx = x0 + u * du - o[0], rz = z0 + v * dv - o[2];
    for (let t = 0; t < nSteps; t++) {
      const ry = ylo + t * step - o[1];
      const i = Math.round((d[0] * rx + d[3] * ry + d[6] * rz) / sp[0]);
      const j = Math.round((d[1] * rx + d[4] * ry + d[7] * rz) / sp[1]);
      const k = Math.round((d[2] * rx + d[5] * ry + d[8] * rz) / sp[2]);
      if (i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz) continue;
      if (md[i + nx * (j + ny * k)]) {
        bone[p] = 1;
        break;
      }
    }
    if (bone[p]) aBMD[p] = (mineral[p] / pixA) * 0.1; // mg/mm2 -> g/cm2
  }
  return { dims: [nu, nv], pixelMm: [du, dv], origin: [x0, z0], mineralMg: mineral, thicknessMm, aBMD, bone, totalMineralMg: total };
}

// ---------------------------------------------------------------------------------------------
// Trabecular ROI
// ---------------------------------------------------------------------------------------------

/** Options of the QCT trabecular ROI ({@link trabecularCentrumRoi}). */
export interface SpineRoiOptions {
  /** Slab height along the body axis, centred halfway between the endplates (mm). Default 10 ◇. */
  heightMm?: number;
  /** Ellipse semi-axes as a fraction of the body's half extents in the slab. Default 0.65 ◇. */
  fraction?: number;
  /** Voxels whose centre lies less than this from the body surface are left out (mm). Default 2 ◇. */
  cortexMarginMm?: number;
  /** "body": the axis from the endplates (default); "scanner": world z and the body's z-extent. */
  axis?: "body" | "scanner";
}

/** Mean-median gap (mg/cm3) above which an ROI is flagged as holding foci: bct's own check, not a published value. */
const ROI_SKEW_WARNING = 5;

/** Defaults of {@link SpineRoiOptions}. */
export const SPINE_ROI_DEFAULTS: Readonly<Required<SpineRoiOptions>> = { heightMm: 10, fraction: 0.65, cortexMarginMm: 2, axis: "body" };

/** The trabecular ROI of one vertebral body (world LPS, mm; densities in the input measure). */
export interface TrabecularRoi {
  /** Mean, SD and median of the density in the ROI. */
  mean: number;
  sd: number;
  median: number;
  voxels: number;
  volumeCm3: number;
  /** ROI centre, unit body axis (superior), and the ellipse's left and posterior unit axes. */
  centre: Vec3;
  axis: Vec3;
  left: Vec3;
  posterior: Vec3;
  /** Ellipse semi-axes [left-right, anterior-posterior] (mm). */
  semiAxesMm: [number, number];
  /** The body's extents in the slab [left-right, anterior-posterior] (mm). */
  bodyExtentMm: [number, number];
  heightMm: number;
  /** Flat indices (density grid) of the ROI voxels. */
  indices: Uint32Array;
  warnings: string[];
}

const dot3 = (a: ArrayLike<number>, b: ArrayLike<number>) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const unit3 = (a: Vec3): Vec3 => {
  const n = Math.hypot(a[0], a[1], a[2]);
  return [a[0] / n, a[1] / n, a[2] / n];
};

/** Half the extent of a voxel along unit direction n (mm). */
function halfVoxelAlong(v: GridGeometry, n: Vec3): number {
  let e = 0;
  for (let a = 0; a < 3; a++) e += Math.abs(v.direction[a] * n[0] + v.direction[3 + a] * n[1] + v.direction[6 + a] * n[2]) * v.spacing[a];
  return 0.5 * e;
}

/**
 * The QCT trabecular ROI of a vertebral body and the mean density in it (see the module notes).
 * @throws SpineDxaError when the body mask is empty, off the grid, or no voxel is left in the ROI.
 * @example
 * ```ts
 * const roi = trabecularCentrumRoi(density, bodyMask);
 * roi.mean; // mg/cm3 K2HPO4 (the density's own measure)
 * ```
 */
export function trabecularCentrumRoi(density: Volume, body: Volume, opts: SpineRoiOptions = {}): TrabecularRoi {
  const o = { ...SPINE_ROI_DEFAULTS, ...opts };
  checkGrid("the vertebral body mask", body, density);
  if (!(o.heightMm > 0) || !(o.fraction > 0 && o.fraction <= 1) || !(o.cortexMarginMm >= 0)) {
    throw new SpineDxaError(`ROI options out of range: heightMm ${o.heightMm} (> 0), fraction ${o.fraction} (0..1], cortexMarginMm ${o.cortexMarginMm} (>= 0)`);
  }
  const warnings: string[] = [];
  const minSp = Math.min(...density.spacing);
  const margin = 2 + Math.ceil(o.cortexMarginMm / minSp);
  const box0 = boundingBox(body, (x) => x !== 0);
  if (!box0) throw new SpineDxaError("the vertebral body mask is empty");
  // A box with background all round, so the depth is measured from the body's own surface.
  const box: IndexBox = { min: [0, 0, 0], max: [0, 0, 0] };
  const cdims: Vec3 = [0, 0, 0];
  for (let c = 0; c < 3; c++) {
    box.min[c] = box0.min[c] - margin;
    box.max[c] = box0.max[c] + margin;
    cdims[c] = box.max[c] - box.min[c];
  }
  const [nx, ny] = density.dims;
  const [cx, cy] = cdims;
  const cn = cdims[0] * cdims[1] * cdims[2];
  const inBody = new Uint8Array(cn);
  for (let k = 0; k < cdims[2]; k++) for (let j = 0; j < cy; j++) for (let i = 0; i < cx; i++) {
    const I = i + box.min[0], J = j + box.min[1], K = k + box.min[2];
    if (I < 0 || J < 0 || K < 0 || I >= nx || J >= ny || K >= density.dims[2]) continue;
    if (body.data[I + nx * (J + ny * K)]) inBody[i + cx * (j + cy * k)] = 1;
  }
  const cropOrigin = [0, 1, 2].map((r) => density.origin[r] + density.direction[3 * r] * density.spacing[0] * box.min[0] + density.direction[3 * r + 1] * density.spacing[1] * box.min[1] + density.direction[3 * r + 2] * density.spacing[2] * box.min[2]) as Vec3;
  const crop = createVolume({ dims: cdims, spacing: density.spacing, origin: cropOrigin, direction: density.direction, data: inBody });
  const world = (q: number): Vec3 => {
    const i = q % cx, j = Math.floor(q / cx) % cy, k = Math.floor(q / (cx * cy));
    const s = crop.spacing, d = crop.direction;
    const a = i * s[0], b = j * s[1], c = k * s[2];
    return [cropOrigin[0] + d[0] * a + d[1] * b + d[2] * c, cropOrigin[1] + d[3] * a + d[4] * b + d[5] * c, cropOrigin[2] + d[6] * a + d[7] * b + d[8] * c];
  };
  // axis and mid-body point
  let axis: Vec3 = [0, 0, 1];
  let mid: Vec3 | null = null;
  if (o.axis === "body") {
    try {
      const lm = vertebraLandmarks(crop);
      axis = lm.axis;
      const c = lm.centroid;
      const cross = (pl: { centre: Vec3; normal: Vec3 }) => dot3([pl.centre[0] - c[0], pl.centre[1] - c[1], pl.centre[2] - c[2]], pl.normal) / dot3(axis, pl.normal);
      const t = 0.5 * (cross(lm.superiorEndplate) + cross(lm.inferiorEndplate));
      mid = [c[0] + t * axis[0], c[1] + t * axis[1], c[2] + t * axis[2]];
      warnings.push(...lm.warnings);
    } catch (e) {
      if (!(e instanceof BctError)) throw e;
      warnings.push(`the endplates could not be fitted (${e.message}): the ROI uses the scanner's cranio-caudal axis`);
      axis = [0, 0, 1];
    }
  }
  if (!mid) {
    // scanner axis: mid-point of the body's extent along the axis, at its centroid
    let lo = Infinity, hi = -Infinity, n = 0;
    const c: Vec3 = [0, 0, 0];
    for (let q = 0; q < cn; q++) {
      if (!inBody[q]) continue;
      const w = world(q);
      c[0] += w[0]; c[1] += w[1]; c[2] += w[2]; n++;
      const h = dot3(w, axis);
      lo = Math.min(lo, h); hi = Math.max(hi, h);
    }
    for (let r = 0; r < 3; r++) c[r] /= n;
    const t = 0.5 * (lo + hi) - dot3(c, axis);
    mid = [c[0] + t * axis[0], c[1] + t * axis[1], c[2] + t * axis[2]];
  }
  const yv: Vec3 = [0, 1, 0];
  const ya = dot3(yv, axis);
  if (Math.abs(ya) > 0.9) throw new SpineDxaError("the vertebral body axis runs anterior-posterior: the mask is not a vertebral body in a supine CT");
  const post = unit3([yv[0] - ya * axis[0], yv[1] - ya * axis[1], yv[2] - ya * axis[2]]);
  const left: Vec3 = [post[1] * axis[2] - post[2] * axis[1], post[2] * axis[0] - post[0] * axis[2], post[0] * axis[1] - post[1] * axis[0]];
  // slab and the body's cross-section extents in it
  const h2 = o.heightMm / 2;
  const slab: number[] = [];
  const us: number[] = [], vs: number[] = [], ws: number[] = [];
  let umin = Infinity, umax = -Infinity, vmin = Infinity, vmax = -Infinity;
  for (let q = 0; q < cn; q++) {
    if (!inBody[q]) continue;
    const p = world(q);
    const r: Vec3 = [p[0] - mid[0], p[1] - mid[1], p[2] - mid[2]];
    const w = dot3(r, axis);
    if (Math.abs(w) > h2 + 1e-9) continue;
    const u = dot3(r, left), v = dot3(r, post);
    slab.push(q); us.push(u); vs.push(v); ws.push(w);
    umin = Math.min(umin, u); umax = Math.max(umax, u); vmin = Math.min(vmin, v); vmax = Math.max(vmax, v);
  }
  if (!slab.length) throw new SpineDxaError("no body voxel lies in the mid-body slab: is the mask a vertebral body?");
  const hu = halfVoxelAlong(crop, left), hv = halfVoxelAlong(crop, post);
  const A = (umax - umin) / 2 + hu, B = (vmax - vmin) / 2 + hv;
  const u0 = (umax + umin) / 2, v0 = (vmax + vmin) / 2;
  const a = o.fraction * A, b = o.fraction * B;
  // depth from the body surface: distance to the nearest background voxel centre less half a voxel
  let d2: Float64Array | null = null;
  if (o.cortexMarginMm > 0) {
    const bg = new Uint8Array(cn);
    for (let q = 0; q < cn; q++) bg[q] = inBody[q] ? 0 : 1;
    d2 = squaredDistanceToSeeds(bg, cdims, crop.spacing);
  }
  const keepDepth = o.cortexMarginMm + minSp / 2;
  const idx: number[] = [], vals: number[] = [];
  let s1 = 0, s2 = 0, wlo = Infinity, whi = -Infinity;
  const dd = density.data;
  for (let t = 0; t < slab.length; t++) {
    const du = (us[t] - u0) / a, dv = (vs[t] - v0) / b;
    if (du * du + dv * dv > 1 + 1e-9) continue;
    const q = slab[t];
    if (d2 && !(d2[q] > keepDepth * keepDepth + 1e-9)) continue;
    const i = (q % cx) + box.min[0], j = (Math.floor(q / cx) % cy) + box.min[1], k = Math.floor(q / (cx * cy)) + box.min[2];
    const f = i + nx * (j + ny * k);
    idx.push(f);
    vals.push(dd[f]);
    s1 += dd[f]; s2 += dd[f] * dd[f];
    wlo = Math.min(wlo, ws[t]); whi = Math.max(whi, ws[t]);
  }
  if (!idx.length) throw new SpineDxaError(`no voxel is left in the trabecular ROI (body ${(2 * A).toFixed(1)} x ${(2 * B).toFixed(1)} mm in the slab, cortex margin ${o.cortexMarginMm} mm): the body is too small for the grid`);
  const n = idx.length;
  if (n < 20) warnings.push(`the trabecular ROI holds only ${n} voxels: its mean is noisy`);
  const mean = s1 / n;
  const sd = n > 1 ? Math.sqrt(Math.max(0, (s2 - n * mean * mean) / (n - 1))) : 0;
  vals.sort((x, y) => x - y);
  const median = n % 2 ? vals[n >> 1] : 0.5 * (vals[(n >> 1) - 1] + vals[n >> 1]);
  if (Math.abs(mean - median) > ROI_SKEW_WARNING) {
    warnings.push(`the ROI mean (${mean.toFixed(1)}) and median (${median.toFixed(1)}) differ by more than ${ROI_SKEW_WARNING} mg/cm3: dense or empty foci (bone island, sclerosis, cortex, fracture, vessel) in the ROI? check its placement`);
  }
  const centre: Vec3 = [0, 1, 2].map((r) => mid![r] + u0 * left[r] + v0 * post[r]) as Vec3;
  const ha = halfVoxelAlong(crop, axis);
  return {
    mean, sd, median, voxels: n, volumeCm3: (n * voxelVolume(density)) / 1000,
    centre, axis, left, posterior: post, semiAxesMm: [a, b], bodyExtentMm: [2 * A, 2 * B],
    heightMm: whi - wlo + 2 * ha,
    indices: Uint32Array.from(idx),
    warnings,
  };
}

// ---------------------------------------------------------------------------------------------
// Label maps
// ---------------------------------------------------------------------------------------------

/** One vertebra given to {@link spineDxa}. Masks are non-zero inside, on the density grid. */
export interface VertebraInput {
  /** Level name, e.g. "L1". */
  level: string;
  /** The whole vertebra (body and posterior elements). */
  mask: Volume;
  /** The vertebral body only; found with isolateVertebralBody when absent. */
  body?: Volume;
  /** Warnings from making the masks, passed on to the result. */
  warnings?: string[];
}

/** Options of {@link vertebraeFromLabels}. */
export interface VertebraeFromLabelsOptions {
  /** A body label map (e.g. TotalSegmentator "vertebrae_body": 1 = body): body = level mask AND this label. */
  body?: { map: Volume; label: number };
  /** Leave out levels whose label is absent from the map instead of throwing. Default false. */
  skipMissing?: boolean;
}

/**
 * The vertebrae of a label map (e.g. TotalSegmentator: L1 31, L2 30, L3 29, L4 28), each put on
 * `grid` (the density's grid) by nearest-neighbour resampling when the grids differ
 * (`labelMaskOnGrid`).
 * @throws SegmentationError when a level's label is absent (unless `skipMissing`) or vanishes on the grid.
 * @example
 * ```ts
 * const vs = vertebraeFromLabels(levels, { L1: 31, L2: 30, L3: 29, L4: 28 }, density, { skipMissing: true });
 * ```
 */
export function vertebraeFromLabels(labelMap: Volume, levels: Readonly<Record<string, number>>, grid: GridGeometry, opts: VertebraeFromLabelsOptions = {}): VertebraInput[] {
  const present = new Set(labelsPresent(labelMap).map((p) => p.label));
  const bodyMask = opts.body ? labelMaskOnGrid(opts.body.map, opts.body.label, grid) : null;
  const out: VertebraInput[] = [];
  for (const [level, label] of Object.entries(levels)) {
    if (opts.skipMissing && !present.has(label)) continue;
    const r = labelMaskOnGrid(labelMap, label, grid, { names: { [label]: level } });
    const v: VertebraInput = { level, mask: r.mask, warnings: [...r.warnings] };
    if (bodyMask) {
      const b = new Uint8Array(r.mask.data.length);
      let n = 0;
      for (let p = 0; p < b.length; p++) if (r.mask.data[p] && bodyMask.mask.data[p]) (b[p] = 1), n++;
      if (n) v.body = createVolume({ dims: r.mask.dims, spacing: r.mask.spacing, origin: r.mask.origin, direction: r.mask.direction, data: b });
      else v.warnings!.push(`the body label map has no body voxel in ${level}: the body is isolated from the vertebra mask instead`);
    }
    out.push(v);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The spine densitometry
// ---------------------------------------------------------------------------------------------

/** Options of {@link spineDxa}. */
export interface SpineDxaOptions extends ApProjectionOptions {
  /** Measure of the input density. Default "rhoK" (mg/cm3 K2HPO4, bct's calibration output). */
  densityMeasure?: "rhoK" | "rhoHA";
  /**
   * Effective energy of the scan (keV) for the K2HPO4 <-> HA conversion: an internal calibration's
   * `effectiveEnergyKeV`, or `calibration/energy` effectiveEnergyFromFit of a phantom fit. Default
   * {@link DEFAULT_EFFECTIVE_ENERGY_KEV} (70 keV ◇), with a warning.
   */
  effectiveEnergyKeV?: number;
  /**
   * Water displaced per unit mineral mass in each density's convention. Default rhoK 0.2174 (Mindways,
   * bct's calibration default: pass the calibration's own `waterDisplacement`, 0 for the embedded
   * synthetic phantoms), rhoHA 1/3.16.
   */
  waterDisplacement?: Partial<Record<MineralMeasure, number>>;
  /** Levels of the total aBMD. Default L1-L4 (those available). */
  totalLevels?: readonly string[];
  /** Levels averaged for the trabecular vBMD. Default L1 and L2 when both are available, else the available L1-L4 (else all). */
  trabecularLevels?: readonly string[];
  roi?: SpineRoiOptions;
  /**
   * Lateral limit of each level's region: "bone" (default) = all bone pixels in the band, transverse
   * processes included; "body" = only the columns spanned by the level's vertebral body (closer to the
   * width of a DXA lumbar ROI, which leaves most of the transverse processes out ◇).
   */
  lateral?: "bone" | "body";
}

/** Per-level numbers of {@link SpineDxaResult}. */
export interface SpineLevelResult {
  level: string;
  /** g/cm2, 3 decimals; null when the level has no projected bone. */
  aBMD: number | null;
  bmcG: number;
  areaCm2: number;
  /** Trabecular vBMD (mg/cm3), 1 decimal; null when no ROI could be placed. */
  trabecularVBMD_HA: number | null;
  trabecularVBMD_K2HPO4: number | null;
  /** False when the vertebra mask touches the edge of the volume (cut by the field of view). */
  complete: boolean;
  /** World z (LPS, superior) of the band's limits (mm); null = open (no neighbour on that side). */
  band: { inferiorMm: number | null; superiorMm: number | null };
  roi: { centre: Vec3; axis: Vec3; semiAxesMm: [number, number]; bodyExtentMm: [number, number]; heightMm: number; voxels: number; volumeCm3: number; sdK2HPO4: number; medianK2HPO4: number } | null;
}

/** The JSON-serialisable result of {@link spineDxa}. */
export interface SpineDxaResult {
  site: "spine";
  /** aBMD per level (g/cm2, 3 decimals), cranial first. */
  aBMD: Record<string, number>;
  /** Sum of BMC / sum of area over `totalLevels` (g/cm2, 3 decimals); null when none is available. */
  totalABMD: number | null;
  totalLevels: string[];
  totalBmcG: number;
  totalAreaCm2: number;
  levels: SpineLevelResult[];
  /** Trabecular vBMD, mg/cm3 hydroxyapatite (the ACR unit), rounded to 1 mg/cm3. */
  trabecularVBMD: number | null;
  /** The same in mg/cm3 K2HPO4, rounded to 1 mg/cm3. */
  trabecularVBMD_K2HPO4: number | null;
  trabecularLevels: string[];
  /** ACR category of the rounded HA value. */
  category: VbmdCategory | null;
  densityEquivalent: {
    input: "rhoK" | "rhoHA";
    reported: "rhoHA";
    /** The conversion from the input measure to the other one. */
    conversion: { formula: string; steps: DensityConversionStep[]; confidence: "verified" | "unverified" };
    /** Effective energy of the conversion (keV), and whether it was given or defaulted. */
    effectiveEnergyKeV: number;
    energySource: "given" | "default";
    /** Water displaced per unit mineral mass used for each measure. */
    waterDisplacement: Record<MineralMeasure, number>;
    /** rhoHA / rhoK at that energy. */
    haPerK2HPO4: number;
    /** The ACR cut-points (HA) in mg/cm3 K2HPO4 through this conversion. */
    acrCutpointsK2HPO4: { osteoporosis: number; normal: number };
  };
  projection: { axis: string; pixelMm: [number, number]; lateral: "bone" | "body"; totalMineralG: number };
  roiOptions: Required<SpineRoiOptions>;
  warnings: string[];
}

/** Intermediate results kept for display. */
export interface SpineDxaArtifacts {
  projection: ApProjection;
  /** Bands in image rows: rows [rowLo, rowHi] and columns [colLo, colHi] (inclusive) belong to the level; z limits clipped to the image. */
  bands: { level: string; rowLo: number; rowHi: number; colLo: number; colHi: number; inferiorMm: number; superiorMm: number }[];
  /** The body masks used (given or isolated), by level. */
  bodies: Record<string, Mask>;
  /** Trabecular ROIs, by level. */
  rois: Record<string, TrabecularRoi>;
}

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

function asMask(v: Volume): Mask {
  if (v.data instanceof Uint8Array) return v as Mask;
  return createVolume({ dims: v.dims, spacing: v.spacing, origin: v.origin, direction: v.direction, data: Uint8Array.from(v.data as ArrayLike<number>, (x) => (x ? 1 : 0)) });
}

/**
 * Spine densitometry from a calibrated density volume and the lumbar vertebrae: AP-projected aBMD
 * per level and in total, and the QCT trabecular vBMD with its ACR category (see the module notes).
 * @throws SpineDxaError for no vertebra, duplicate level names, masks off the density grid or empty.
 * @example
 * ```ts
 * const { result, artifacts } = spineDxa(density, vertebraeFromLabels(levels, { L1: 31, L2: 30, L3: 29, L4: 28 }, density));
 * console.log(result.aBMD, result.totalABMD, result.trabecularVBMD, result.category);
 * ```
 */
export function spineDxa(density: Volume, vertebrae: readonly VertebraInput[], opts: SpineDxaOptions = {}): { result: SpineDxaResult; artifacts: SpineDxaArtifacts } {
  if (!vertebrae.length) throw new SpineDxaError("no vertebra given");
  const names = vertebrae.map((v) => v.level);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new SpineDxaError(`level ${dup} is given twice`);
  const warnings: string[] = [];
  const input = opts.densityMeasure ?? "rhoK";
  const roiOpts = { ...SPINE_ROI_DEFAULTS, ...opts.roi };
  const lateral = opts.lateral ?? "bone";

  // masks, completeness, bodies
  interface Lv { level: string; mask: Mask; body: Mask | null; complete: boolean; cz: number }
  const lvs: Lv[] = [];
  for (const v of vertebrae) {
    checkGrid(`the ${v.level} mask`, v.mask, density);
    for (const w of v.warnings ?? []) warnings.push(`${v.level}: ${w}`);
    const mask = asMask(v.mask);
    const box = boundingBox(mask, (x) => x !== 0);
    if (!box) throw new SpineDxaError(`the ${v.level} mask is empty`);
    const complete = [0, 1, 2].every((c) => box.min[c] > 0 && box.max[c] < density.dims[c]);
    if (!complete) warnings.push(`${v.level}: the vertebra touches the edge of the volume (cut by the field of view): its aBMD and vBMD are incomplete and it is left out of the totals`);
    let body: Mask | null = null;
    if (v.body) {
      checkGrid(`the ${v.level} body mask`, v.body, density);
      body = asMask(v.body);
    } else {
      try {
        const b = isolateVertebralBody(mask);
        body = b.body;
        for (const w of b.warnings) warnings.push(`${v.level} body: ${w}`);
      } catch (e) {
        if (!(e instanceof BctError)) throw e;
        warnings.push(`${v.level}: the vertebral body could not be isolated (${e.message}): no trabecular ROI, and the whole vertebra places the intervertebral lines`);
      }
    }
    // centroid height (world z) for the cranio-caudal order
    const [nx, ny] = mask.dims;
    const ax = worldXZ(mask);
    let sz = 0, n = 0;
    for (let p = 0; p < mask.data.length; p++) {
      if (!mask.data[p]) continue;
      const i = p % nx, j = Math.floor(p / nx) % ny, k = Math.floor(p / (nx * ny));
      sz += mask.origin[2] + ax.z[0] * i + ax.z[1] * j + ax.z[2] * k;
      n++;
    }
    lvs.push({ level: v.level, mask, body, complete, cz: sz / n });
  }
  lvs.sort((a, b) => b.cz - a.cz); // cranial first
  if (Math.max(...density.spacing) > 2) {
    warnings.push(`the density grid's voxels are ${density.spacing.map((s) => s.toFixed(2)).join(" x ")} mm: coarse for spine densitometry; bone edges in the projection are steps of that size and the trabecular ROI holds few voxels`);
  }

  // projection of the union
  const union = new Uint8Array(density.data.length);
  for (const l of lvs) for (let p = 0; p < union.length; p++) if (l.mask.data[p]) union[p] = 1;
  const unionVol = createVolume({ dims: density.dims, spacing: density.spacing, origin: density.origin, direction: density.direction, data: union });
  const proj = spineApProjection(density, unionVol, opts);
  const [nu, nv] = proj.dims;
  const [du, dv] = proj.pixelMm;
  const [x0, z0] = proj.origin;

  // per-column z extents of each body's projection
  const ext = lvs.map((l) => columnExtents(l.body ?? l.mask, x0, du, nu));
  const cuts: number[] = [];
  for (let t = 0; t + 1 < lvs.length; t++) {
    const up = ext[t], lo = ext[t + 1];
    const mids: number[] = [];
    for (let u = 0; u < nu; u++) if (up.lo[u] < Infinity && lo.hi[u] > -Infinity) mids.push(0.5 * (up.lo[u] + lo.hi[u]));
    let cut: number;
    if (mids.length) {
      mids.sort((a, b) => a - b);
      const m = mids.length >> 1;
      cut = mids.length % 2 ? mids[m] : 0.5 * (mids[m - 1] + mids[m]);
    } else {
      cut = 0.5 * (Math.min(...up.lo) + Math.max(...lo.hi));
      warnings.push(`${lvs[t].level}/${lvs[t + 1].level}: the bodies do not overlap in the projection: the intervertebral line is placed between their extents`);
    }
    cuts.push(cut);
  }

  // per-level BMC and area within the bands
  const pixA = du * dv;
  const zTop = z0 + (nv - 1) * dv;
  const levels: SpineLevelResult[] = [];
  const bands: SpineDxaArtifacts["bands"] = [];
  const bodies: Record<string, Mask> = {};
  const rois: Record<string, TrabecularRoi> = {};
  const rawK = new Map<string, number>();
  const rawBmc = new Map<string, { bmcMg: number; areaMm2: number }>();
  const convOpts: DensityConverterOptions = { effectiveEnergyKeV: opts.effectiveEnergyKeV, waterDisplacement: opts.waterDisplacement };
  const toOther = densityConverter(input, input === "rhoK" ? "rhoHA" : "rhoK", convOpts);
  const toHA = (x: number) => (input === "rhoHA" ? x : toOther.convert(x));
  const toK = (x: number) => (input === "rhoK" ? x : toOther.convert(x));
  lvs.forEach((l, t) => {
    const sup = t > 0 ? cuts[t - 1] : Infinity;
    const inf = t < cuts.length ? cuts[t] : -Infinity;
    // rows with centre z in (inf, sup]
    const rowLo = Math.max(0, Number.isFinite(inf) ? Math.floor((inf - z0) / dv + 1e-9) + 1 : 0);
    const rowHi = Math.min(nv - 1, Number.isFinite(sup) ? Math.floor((sup - z0) / dv + 1e-9) : nv - 1);
    let colLo = 0, colHi = nu - 1;
    if (lateral === "body") {
      const e = ext[t];
      while (colLo < nu && e.lo[colLo] === Infinity) colLo++;
      while (colHi >= 0 && e.lo[colHi] === Infinity) colHi--;
    }
    let bmc = 0, area = 0;
    for (let v = rowLo; v <= rowHi; v++) for (let u = colLo; u <= colHi; u++) {
      const p = u + nu * v;
      bmc += proj.mineralMg[p];
      if (proj.bone[p]) area += pixA;
    }
    rawBmc.set(l.level, { bmcMg: bmc, areaMm2: area });
    bands.push({ level: l.level, rowLo, rowHi, colLo, colHi, inferiorMm: Math.max(z0 - dv / 2, inf), superiorMm: Math.min(zTop + dv / 2, sup) });
    if (l.body) bodies[l.level] = l.body;
    let roi: TrabecularRoi | null = null;
    if (!l.body) {
      // said above
    } else if (!l.complete) {
      warnings.push(`${l.level}: no trabecular ROI on a vertebra cut by the field of view`);
    } else {
      try {
        roi = trabecularCentrumRoi(density, l.body, roiOpts);
        rois[l.level] = roi;
        for (const w of roi.warnings) warnings.push(`${l.level} ROI: ${w}`);
        rawK.set(l.level, toK(roi.mean));
      } catch (e) {
        if (!(e instanceof BctError)) throw e;
        warnings.push(`${l.level}: no trabecular ROI: ${e.message}`);
      }
    }
    if (area === 0) warnings.push(`${l.level}: no projected bone in its band`);
    levels.push({
      level: l.level,
      aBMD: area > 0 ? round(((bmc / area) * 0.1), 3) : null,
      bmcG: round(bmc / 1000, 3),
      areaCm2: round(area / 100, 2),
      trabecularVBMD_HA: roi ? round(toHA(roi.mean), 1) : null,
      trabecularVBMD_K2HPO4: roi ? round(toK(roi.mean), 1) : null,
      complete: l.complete,
      band: { inferiorMm: Number.isFinite(inf) ? round(inf, 2) : null, superiorMm: Number.isFinite(sup) ? round(sup, 2) : null },
      roi: roi ? { centre: roi.centre.map((x) => round(x, 2)) as Vec3, axis: roi.axis.map((x) => round(x, 4)) as Vec3, semiAxesMm: [round(roi.semiAxesMm[0], 2), round(roi.semiAxesMm[1], 2)], bodyExtentMm: [round(roi.bodyExtentMm[0], 2), round(roi.bodyExtentMm[1], 2)], heightMm: round(roi.heightMm, 2), voxels: roi.voxels, volumeCm3: round(roi.volumeCm3, 3), sdK2HPO4: round(roi.sd * (input === "rhoK" ? 1 : Math.abs(toOther.slope)), 1), medianK2HPO4: round(toK(roi.median), 1) } : null,
    });
  });

  // total aBMD
  const available = new Set(levels.filter((l) => l.complete && l.aBMD !== null).map((l) => l.level));
  let totalLevels = (opts.totalLevels ?? ["L1", "L2", "L3", "L4"]).filter((l) => available.has(l));
  if (!totalLevels.length && !opts.totalLevels) {
    totalLevels = levels.filter((l) => available.has(l.level)).map((l) => l.level);
    if (totalLevels.length) warnings.push(`none of L1-L4 is available: the total aBMD covers ${totalLevels.join(", ")}`);
  }
  const missingTotal = (opts.totalLevels ?? ["L1", "L2", "L3", "L4"]).filter((l) => !available.has(l));
  if (missingTotal.length && totalLevels.length) warnings.push(`the total aBMD leaves out ${missingTotal.join(", ")} (not given, cut by the field of view, or without bone)`);
  let sumBmc = 0, sumArea = 0;
  for (const l of totalLevels) {
    const r = rawBmc.get(l)!;
    sumBmc += r.bmcMg; sumArea += r.areaMm2;
  }
  // trabecular vBMD
  const withRoi = levels.filter((l) => rawK.has(l.level)).map((l) => l.level);
  let trabLevels: string[];
  if (opts.trabecularLevels) {
    trabLevels = opts.trabecularLevels.filter((l) => rawK.has(l));
    const miss = opts.trabecularLevels.filter((l) => !rawK.has(l));
    if (miss.length) warnings.push(`no trabecular vBMD for ${miss.join(", ")}: left out of the mean`);
  } else if (rawK.has("L1") && rawK.has("L2")) {
    trabLevels = ["L1", "L2"];
  } else {
    const lumbar = withRoi.filter((l) => ["L1", "L2", "L3", "L4"].includes(l));
    trabLevels = lumbar.length ? lumbar : withRoi;
    if (trabLevels.length) warnings.push(`L1 and L2 are not both available: the trabecular vBMD is the mean of ${trabLevels.join(", ")} (QCT practice averages two vertebrae, typically L1-L2 ◇)`);
  }
  let trabK: number | null = null;
  if (trabLevels.length) trabK = trabLevels.reduce((s, l) => s + rawK.get(l)!, 0) / trabLevels.length;
  else warnings.push("no trabecular ROI could be placed: no trabecular vBMD and no ACR category");
  const kToHA = input === "rhoK" ? toOther : densityConverter("rhoK", "rhoHA", convOpts);
  const haToK = input === "rhoHA" ? toOther : densityConverter("rhoHA", "rhoK", convOpts);
  const model = kToHA.mineral!;
  const trabHA = trabK === null ? null : Math.round(kToHA.convert(trabK));
  if (model.energySource === "default") {
    warnings.push(
      `no effective energy given: K2HPO4 <-> HA is converted at the default ${model.effectiveEnergyKeV} keV (◇, a typical 120 kVp effective energy); ` +
        `give effectiveEnergyKeV (the internal calibration's effectiveEnergyKeV, or effectiveEnergyFromFit of the phantom fit): rhoHA/rhoK would be ` +
        `${mineralConversion("rhoK", "rhoHA", 60, convOpts).factor.toFixed(3)} at 60 keV and ${mineralConversion("rhoK", "rhoHA", 80, convOpts).factor.toFixed(3)} at 80 keV`,
    );
  }
  warnings.push(
    `${input === "rhoK" ? "trabecular vBMD in mg/cm3 HA is converted from K2HPO4" : "the K2HPO4 values are converted from HA"} as ${toOther.formula} ` +
      `(attenuation equivalence at ${+model.effectiveEnergyKeV.toFixed(2)} keV, water displacement ${+model.waterDisplacement.rhoK.toFixed(4)} for K2HPO4 and ${+model.waterDisplacement.rhoHA.toFixed(4)} for HA; ` +
      `a monoenergetic model, not a published conversion: single-energy cross-calibrations measured rhoHA = 1.16-1.23 rhoK, Goodsitt 1992), so the ACR category is uncertain near its cut-points ` +
      `(${ACR_VBMD_CUTPOINTS_MG_CM3_HA.osteoporosis} and ${ACR_VBMD_CUTPOINTS_MG_CM3_HA.normal} mg/cm3 HA = ${haToK.convert(ACR_VBMD_CUTPOINTS_MG_CM3_HA.osteoporosis).toFixed(1)} and ${haToK.convert(ACR_VBMD_CUTPOINTS_MG_CM3_HA.normal).toFixed(1)} mg/cm3 K2HPO4 here)`,
  );
  warnings.push("the ACR cut-points assume the ROI and calibration of a QCT spine exam; this ROI and calibration are bct's own and not validated against QCT Pro (◇)");

  const aBMD: Record<string, number> = {};
  for (const l of levels) if (l.aBMD !== null) aBMD[l.level] = l.aBMD;
  const result: SpineDxaResult = {
    site: "spine",
    aBMD,
    totalABMD: sumArea > 0 ? round((sumBmc / sumArea) * 0.1, 3) : null,
    totalLevels,
    totalBmcG: round(sumBmc / 1000, 3),
    totalAreaCm2: round(sumArea / 100, 2),
    levels,
    trabecularVBMD: trabHA,
    trabecularVBMD_K2HPO4: trabK === null ? null : Math.round(trabK),
    trabecularLevels: trabLevels,
    category: trabHA === null ? null : acrCategory(trabHA),
    densityEquivalent: {
      input,
      reported: "rhoHA",
      conversion: { formula: toOther.formula, steps: toOther.steps, confidence: toOther.confidence },
      effectiveEnergyKeV: model.effectiveEnergyKeV,
      energySource: model.energySource,
      waterDisplacement: model.waterDisplacement,
      haPerK2HPO4: model.factor,
      acrCutpointsK2HPO4: {
        osteoporosis: round(haToK.convert(ACR_VBMD_CUTPOINTS_MG_CM3_HA.osteoporosis), 1),
        normal: round(haToK.convert(ACR_VBMD_CUTPOINTS_MG_CM3_HA.normal), 1),
      },
    },
    projection: { axis: "world LPS y (anterior-posterior); image columns along +x (patient left), rows along +z (superior)", pixelMm: [du, dv], lateral, totalMineralG: round(proj.totalMineralMg / 1000, 4) },
    roiOptions: roiOpts,
    warnings,
  };
  return { result, artifacts: { projection: proj, bands, bodies, rois } };
}

/** Lowest and highest world z of a mask's voxel centres per projection column (nearest column). */
function columnExtents(m: Mask, x0: number, du: number, nu: number): { lo: Float64Array; hi: Float64Array } {
  const lo = new Float64Array(nu).fill(Infinity), hi = new Float64Array(nu).fill(-Infinity);
  const box = boundingBox(m, (x) => x !== 0);
  if (!box) return { lo, hi };
  const [nx, ny] = m.dims;
  const ax = worldXZ(m), o = m.origin;
  for (let k = box.min[2]; k < box.max[2]; k++) for (let j = box.min[1]; j < box.max[1]; j++) {
    const row = nx * (j + ny * k);
    for (let i = box.min[0]; i < box.max[0]; i++) {
      if (!m.data[i + row]) continue;
      const x = o[0] + ax.x[0] * i + ax.x[1] * j + ax.x[2] * k, z = o[2] + ax.z[0] * i + ax.z[1] * j + ax.z[2] * k;
      const u = Math.round((x - x0) / du);
      if (u < 0 || u >= nu) continue;
      if (z < lo[u]) lo[u] = z;
      if (z > hi[u]) hi[u] = z;
    }
  }
  return { lo, hi };
}
