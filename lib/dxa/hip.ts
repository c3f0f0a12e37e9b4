/**
 * Hip DXA-equivalent measures from CT (CTXA-like, Cann et al. 2014 PLoS One 9:e91904 ✔): position
 * the femur as in a hip DXA scan, project the calibrated density inside the femur mask to an aBMD
 * image, place the Hologic-style neck, trochanter and total-hip regions, and report aBMD, BMC and area
 * per region, the femoral-neck and total-hip T-scores against the NHANES III young-adult reference,
 * and the WHO category.
 *
 * **Equivalent mineral of the reported aBMD.** The aBMD is the mineral in the density's own
 * calibration equivalent (`densityMeasure`, default "rhoK": g/cm2 K2HPO4-equivalent). DXA reports
 * hydroxyapatite-like mineral, so the pipeline (`pipeline/hip`, `pipeline/dxa`) first expresses the
 * calibrated density as HA-equivalent with the scalar attenuation equivalence at the scan's effective
 * energy (`calibration/density` mineralConversion; no confirmed published K2HPO4 -> HA conversion
 * exists, bct-reference.md §1, so this is a model, ◇) and passes `densityMeasure: "rhoHA"`. A scalar
 * factor keeps aBMD a projection of mineral; an affine chain through ash density would integrate its
 * offset along every ray and make aBMD depend on the mask's thickness, so none is used. The choice is
 * recorded in `result.densityEquivalent`.
 *
 * **Mineral collected.** The density inside the femur mask plus one voxel layer around it
 * (`shellVoxels`, default 1): a mask of voxel centres in bone leaves out the partial-volume mineral of
 * the surface voxels (about 4% of the femur's mineral on the synthetic hip, 1 mm voxels); the area
 * is the mask's own silhouette.
 *
 * **T-scores and category.** T = (aBMD - mean) / SD with the young-adult reference of
 * `reference.ts` (women: NHANES III white women 20-29; men: the configured choice, WHO/IOF default
 * the female reference). The T-scores are computed from the aBMD as reported (3 decimals) and
 * rounded to 0.1; the WHO category is that of the lower of the femoral-neck and total-hip T-scores
 * (the ISCD rule of using the lowest T-score of the measured sites ◇).
 *
 * @example
 * ```ts
 * import { hipDxa } from "bct/lib/dxa/hip";
 * const { result } = hipDxa(density, femurMask, { sex: "F" });
 * console.log(result.neckABMD, result.tScoreNeck, result.category);
 * ```
 * @module
 */
import { femurLandmarks, type FemurLandmarks } from "../anatomy/femur.js";
import type { Vec3, Volume } from "../volume/volume.js";
import { hipRois, type HipRoiOptions, type HipRois, type RoiMeasure } from "./hip-rois.js";
import { dilate26, directionToPixel, dxaPositioning, DxaError, projectDensity, worldToPixel, type DxaPositioning, type ProjectionImage } from "./projection.js";
import { hipReferenceFor, roundTScore, tScore, whoCategory, type HipReferenceId, type MaleReferenceChoice, type WhoCategory } from "./reference.js";

/** Options of {@link hipDxa}. */
export interface HipDxaOptions {
  sex: "F" | "M";
  /** Reference for men: "female" (WHO/IOF, default) or "male" (see reference.ts). Ignored for women. */
  maleReference?: MaleReferenceChoice;
  /** Femur landmarks; default `femurLandmarks(femurMask)`. */
  landmarks?: FemurLandmarks;
  /** Projection pixel (mm). Default 0.5. */
  pixelMm?: number;
  /** Calibration equivalent of the density volume. Default "rhoK" (mg/cm3 K2HPO4, the pipeline's unit). */
  densityMeasure?: "rhoK" | "rhoHA";
  /**
   * Layers of voxels around the femur mask whose mineral is also collected (see
   * `ProjectionOptions.shellVoxels`): the partial-volume mineral of the surface. Default 1.
   */
  shellVoxels?: number;
  /** Region conventions (neck box width, margins, bottom line); defaults in hip-rois.ts. */
  rois?: HipRoiOptions;
}

/** A region's measure as reported: aBMD to 3 decimals (g/cm2), BMC (g) and area (cm2) to 2. */
export type ReportedRoi = RoiMeasure;

/** The JSON-serialisable result of {@link hipDxa}. */
export interface HipDxaResult {
  site: "hip";
  sex: "F" | "M";
  /** Femoral-neck aBMD (g/cm2, 3 decimals). */
  neckABMD: number;
  trochanterABMD: number;
  intertrochantericABMD: number;
  totalHipABMD: number;
  rois: { neck: ReportedRoi; trochanter: ReportedRoi; intertrochanteric: ReportedRoi; totalHip: ReportedRoi };
  /** T-scores (rounded to 0.1). */
  tScoreNeck: number;
  tScoreTotalHip: number;
  category: WhoCategory;
  categoryRule: string;
  reference: { id: HipReferenceId; description: string; citation: string; confidence: "verified" | "unverified"; neck: { meanGcm2: number; sdGcm2: number }; totalHip: { meanGcm2: number; sdGcm2: number }; maleReference?: MaleReferenceChoice };
  densityEquivalent: { measure: "rhoK" | "rhoHA"; unit: string; description: string };
  positioning: { side: "left" | "right"; viewDirectionLps: Vec3; rotationAboutShaftDeg: number; neckOutOfPlaneDeg: number };
  neckBox: { widthMm: number; lengthMm: number; narrowestNeckWidthMm: number; distanceFromHeadMm: number; centreLps: Vec3 };
  lesserTrochanter: { method: string; apexLps: Vec3; distalLps: Vec3 };
  /** Whole projection: total mineral (g) and projected bone area (cm2). */
  projection: { pixelMm: number; width: number; height: number; totalMineralG: number; boneAreaCm2: number };
  inputs: { sex: "F" | "M"; maleReference: MaleReferenceChoice; pixelMm: number; densityMeasure: "rhoK" | "rhoHA"; shellVoxels: number };
  warnings: string[];
}

/** What {@link hipDxa} keeps for display: the projection, the regions, the positioning. */
export interface HipDxaArtifacts {
  image: ProjectionImage;
  rois: HipRois;
  positioning: DxaPositioning;
  landmarks: FemurLandmarks;
  lesserTrochanter: LesserTrochanter;
}

/** The lesser trochanter found in 3D: the levels (along the shaft) of its apex and distal end. */
export interface LesserTrochanter {
  found: boolean;
  /** Apex and distal end (world LPS); on the surface in the sector where the bump is largest. */
  apex: Vec3;
  distal: Vec3;
  /** Shaft positions (mm from where the neck axis meets the shaft axis, proximal positive). */
  apexShaftMm: number;
  distalShaftMm: number;
  /** How far the bump stands out of the bone above and below it (mm). */
  prominenceMm: number;
  /** Direction of the bump about the shaft: 0 medial, 90 posterior (deg). */
  sectorDeg: number;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const r3 = (x: number) => Math.round(x * 1000) / 1000;
const r2 = (x: number) => Math.round(x * 100) / 100;

/**
 * The lesser trochanter of a femur mask: the posteromedial bump of the proximal shaft below the neck.
 * The mask's radial extent from the shaft axis is tabulated per 2 mm of shaft and 10° sector about
 * it (0° medial, 90° posterior); in the sectors from -10° to 130° and 0.3 to 3.5 head radii below the
 * neck-shaft crossing, the apex is where min(rise over the 30 mm above, rise over the 30 mm below) is
 * largest; its distal end is where the extent has fallen three quarters of the way back to the shaft
 * below. `found` is false when no bump stands out by 1.5 mm.
 * @example
 * ```ts
 * const lt = findLesserTrochanter(femurMask, femurLandmarks(femurMask));
 * lt.apexShaftMm; // about -36 on the synthetic hip phantom
 * ```
 */
export function findLesserTrochanter(mask: Volume, lm: FemurLandmarks): LesserTrochanter {
  const a = lm.shaftAxis, n = lm.neckAxis, P = lm.shaftPoint, H = lm.headCentre;
  const med = lm.frame.medial, post: Vec3 = [-lm.frame.anterior[0], -lm.frame.anterior[1], -lm.frame.anterior[2]];
  // Neck-shaft crossing: the point of the shaft axis closest to the neck axis.
  const w0: Vec3 = [P[0] - H[0], P[1] - H[1], P[2] - H[2]];
  const b = dot(a, n), d = dot(a, w0), e = dot(n, w0);
  const s0 = Math.abs(1 - b * b) > 1e-9 ? (b * e - d) / (1 - b * b) : 0;
  const O: Vec3 = [P[0] + s0 * a[0], P[1] + s0 * a[1], P[2] + s0 * a[2]];
  const R = lm.headRadius;
  const sLo = -3.5 * R - 32, sHi = -0.3 * R + 32, ds = 2, nS = Math.ceil((sHi - sLo) / ds);
  const nPhi = 36;
  const ext = new Float64Array(nS * nPhi).fill(NaN);
  const [nx, ny] = mask.dims;
  const sp = mask.spacing, D = mask.direction, o = mask.origin;
  for (let p = 0; p < mask.data.length; p++) {
    if (!mask.data[p]) continue;
    const i = p % nx, j = Math.floor(p / nx) % ny, k = Math.floor(p / (nx * ny));
    const x = i * sp[0], y = j * sp[1], z = k * sp[2];
    const v: Vec3 = [o[0] + D[0] * x + D[1] * y + D[2] * z - O[0], o[1] + D[3] * x + D[4] * y + D[5] * z - O[1], o[2] + D[6] * x + D[7] * y + D[8] * z - O[2]];
    const s = dot(v, a);
    if (s < sLo || s >= sHi) continue;
    const pm = dot(v, med), pp = dot(v, post);
    const r = Math.hypot(pm, pp);
    const phi = (Math.atan2(pp, pm) * 180) / Math.PI;
    const q = Math.floor((s - sLo) / ds) * nPhi + (Math.floor((phi + 180) / 10) % nPhi);
    if (!(ext[q] >= r)) ext[q] = r;
  }
  const win = Math.round(30 / ds);
  let best = { score: 1.5, si: -1, f: -1 };
  const minIn = (f: number, lo: number, hi: number) => {
    let m = Infinity;
    for (let si = Math.max(0, lo); si <= Math.min(nS - 1, hi); si++) {
      const x = ext[si * nPhi + f];
      if (x < m) m = x;
    }
    return m;
  };
  const siLo = Math.ceil((-3.5 * R - sLo) / ds), siHi = Math.floor((-0.3 * R - sLo) / ds);
  for (let f = 0; f < nPhi; f++) {
    const centre = f * 10 - 180 + 5;
    if (centre < -10 || centre > 130) continue;
    for (let si = siLo; si <= siHi; si++) {
      const x = ext[si * nPhi + f];
      if (!Number.isFinite(x)) continue;
      const below = minIn(f, si - win, si - 1), above = minIn(f, si + 1, si + win);
      if (!Number.isFinite(below) || !Number.isFinite(above)) continue;
      const score = Math.min(x - below, x - above);
      if (score > best.score) best = { score, si, f };
    }
  }
  const sOf = (si: number) => sLo + (si + 0.5) * ds;
  const point = (s: number, r: number, f: number): Vec3 => {
    const phi = ((f * 10 - 180 + 5) * Math.PI) / 180;
    const c = Math.cos(phi) * r, sn = Math.sin(phi) * r;
    return [O[0] + s * a[0] + c * med[0] + sn * post[0], O[1] + s * a[1] + c * med[1] + sn * post[1], O[2] + s * a[2] + c * med[2] + sn * post[2]];
  };
  if (best.si < 0) {
    const s = -1.5 * R;
    return { found: false, apex: point(s, 0, 18), distal: point(s - 10, 0, 18), apexShaftMm: s, distalShaftMm: s - 10, prominenceMm: 0, sectorDeg: NaN };
  }
  const { si, f } = best;
  const top = ext[si * nPhi + f], base = minIn(f, si - win, si - 1);
  let sd = si;
  while (sd > 0 && !(ext[sd * nPhi + f] <= base + 0.25 * (top - base))) sd--;
  const apexS = sOf(si), distalS = sOf(sd);
  return {
    found: true,
    apex: point(apexS, top, f),
    distal: point(distalS, Number.isFinite(ext[sd * nPhi + f]) ? ext[sd * nPhi + f] : 0, f),
    apexShaftMm: apexS,
    distalShaftMm: distalS,
    prominenceMm: best.score,
    sectorDeg: f * 10 - 180 + 5,
  };
}

/**
 * Hip DXA-equivalent measures from calibrated density and a femur mask on the same grid.
 * @example
 * ```ts
 * const { result, artifacts } = hipDxa(density, labelMask(labels, 1), { sex: "F" });
 * result.totalHipABMD; // g/cm2 (K2HPO4-equivalent)
 * dxaProjectionFigure(artifacts); // from bct/lib/display/dxa
 * ```
 * @throws DxaError (grids, empty mask, no neck), AnatomyError (landmarks not found).
 */
export function hipDxa(density: Volume, femurMask: Volume, opts: HipDxaOptions): { result: HipDxaResult; artifacts: HipDxaArtifacts } {
  if (opts.sex !== "F" && opts.sex !== "M") throw new DxaError(`sex must be "F" or "M", got ${String(opts.sex)}`);
  const pixelMm = opts.pixelMm ?? 0.5;
  const measure = opts.densityMeasure ?? "rhoK";
  const maleReference = opts.maleReference ?? "female";
  const warnings: string[] = [];
  const lm = opts.landmarks ?? femurLandmarks(femurMask);
  warnings.push(...lm.warnings.map((w) => `landmarks: ${w}`));
  const positioning = dxaPositioning(lm);
  const shellVoxels = opts.shellVoxels ?? 1;
  const image = projectDensity(density, femurMask, positioning, { pixelMm, shellVoxels });
  const lt = findLesserTrochanter(femurMask, lm);
  const f = image.frame;
  const nd = directionToPixel(f, lm.neckAxis);
  const nl = Math.hypot(nd[0], nd[1]);
  const shaftCol = worldToPixel(f, lm.shaftPoint)[0];
  const rois = hipRois(
    image,
    {
      headCentre: worldToPixel(f, lm.headCentre),
      headRadiusMm: lm.headRadius,
      neckDir: [nd[0] / nl, nd[1] / nl],
      shaftCol,
      lesserTrochanter: lt.found ? { apexRow: worldToPixel(f, lt.apex)[1], distalRow: worldToPixel(f, lt.distal)[1], method: "3D: posteromedial bump of the shaft" } : undefined,
    },
    opts.rois,
  );
  if (!lt.found) warnings.push("the lesser trochanter was not found in 3D (no posteromedial bump of 1.5 mm below the neck): the projection's medial edge is used instead");
  warnings.push(...rois.warnings);
  // Negative mineral (fat-like voxels inside the mask) lowers aBMD: say when it matters.
  let neg = 0, pos = 0;
  const vol = density.spacing[0] * density.spacing[1] * density.spacing[2] * 1e-6;
  const collected = shellVoxels > 0 ? dilate26(femurMask.data, femurMask.dims, shellVoxels) : femurMask.data;
  for (let p = 0; p < collected.length; p++) {
    if (!collected[p]) continue;
    const m = density.data[p] * vol;
    if (m < 0) neg -= m;
    else pos += m;
  }
  if (neg > 0.02 * pos) warnings.push(`${((100 * neg) / pos).toFixed(1)}% of the mineral collected around the femur is negative (density below 0): it is kept, as DXA would, and lowers aBMD`);

  const ref = hipReferenceFor(opts.sex, maleReference);
  const report = (m: RoiMeasure): ReportedRoi => ({ aBMD: r3(m.aBMD), bmcG: r2(m.bmcG), areaCm2: r2(m.areaCm2) });
  const neck = report(rois.neck), troch = report(rois.trochanter), inter = report(rois.intertrochanteric), total = report(rois.totalHip);
  const tScoreNeck = roundTScore(tScore(neck.aBMD, ref.neck));
  const tScoreTotalHip = roundTScore(tScore(total.aBMD, ref.totalHip));
  const category = whoCategory(Math.min(tScoreNeck, tScoreTotalHip));
  const toWorld = (c: number, r: number): Vec3 => {
    const a = c * f.pixelMm, b = r * f.pixelMm;
    return [f.origin[0] + a * f.ex[0] + b * f.ey[0], f.origin[1] + a * f.ex[1] + b * f.ey[1], f.origin[2] + a * f.ex[2] + b * f.ey[2]];
  };
  const unitLabel = measure === "rhoK" ? "K2HPO4" : "hydroxyapatite (HA)";
  const result: HipDxaResult = {
    site: "hip",
    sex: opts.sex,
    neckABMD: neck.aBMD,
    trochanterABMD: troch.aBMD,
    intertrochantericABMD: inter.aBMD,
    totalHipABMD: total.aBMD,
    rois: { neck, trochanter: troch, intertrochanteric: inter, totalHip: total },
    tScoreNeck,
    tScoreTotalHip,
    category,
    categoryRule: "WHO category (T <= -2.5 osteoporosis, T >= -1.0 normal) of the lower of the femoral-neck and total-hip T-scores (ISCD: lowest site ◇)",
    reference: {
      id: ref.id,
      description: ref.description,
      citation: ref.citation,
      confidence: ref.confidence,
      neck: { ...ref.neck },
      totalHip: { ...ref.totalHip },
      ...(opts.sex === "M" ? { maleReference } : {}),
    },
    densityEquivalent: {
      measure,
      unit: `g/cm2 ${unitLabel}-equivalent mineral`,
      description: measure === "rhoK"
        ? "projected K2HPO4-equivalent mineral of the density as calibrated (mg/cm3 K2HPO4), not on DXA's hydroxyapatite scale: T-scores against the Hologic NHANES III reference are approximate"
        : "projected hydroxyapatite-equivalent mineral (mg/cm3 HA; the pipeline converts K2HPO4 by the attenuation equivalence at the scan's effective energy, calibration/density mineralConversion, unverified ◇); T-scores against the Hologic NHANES III reference assume CT and DXA agree on the HA scale (CTXA, Cann 2014)",
    },
    positioning: { side: lm.side, viewDirectionLps: positioning.view, rotationAboutShaftDeg: positioning.rotationAboutShaftDeg, neckOutOfPlaneDeg: positioning.neckOutOfPlaneDeg },
    neckBox: {
      widthMm: rois.neckBox.widthMm,
      lengthMm: r2(rois.neckBox.lengthMm),
      narrowestNeckWidthMm: r2(rois.narrowestNeck.widthMm),
      distanceFromHeadMm: r2(rois.narrowestNeck.distanceFromHeadMm),
      centreLps: toWorld(rois.neckBox.centre[0], rois.neckBox.centre[1]),
    },
    lesserTrochanter: {
      method: rois.lesserTrochanter.method,
      apexLps: lt.found ? lt.apex : toWorld(shaftCol, rois.lesserTrochanter.apexRow),
      distalLps: lt.found ? lt.distal : toWorld(shaftCol, rois.lesserTrochanter.distalRow),
    },
    projection: { pixelMm, width: image.width, height: image.height, totalMineralG: image.totalMineralG, boneAreaCm2: image.boneAreaCm2 },
    inputs: { sex: opts.sex, maleReference, pixelMm, densityMeasure: measure, shellVoxels },
    warnings,
  };
  return { result, artifacts: { image, rois, positioning, landmarks: lm, lesserTrochanter: lt } };
}
