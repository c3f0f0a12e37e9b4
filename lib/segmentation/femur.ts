/**
 * Femur isolation at the hip joint and the proximal-femur region.
 *
 * Method of {@link isolateFemur}:
 * 1. **Components**: if the bone mask already holds the femur as its own 26-connected component
 *    (a joint space wide enough to survive thresholding), that component is the femur: the one holding
 *    the most inferior bone voxel (the shaft end; world LPS +z is superior).
 * 2. Otherwise **erosion cut through the joint space** ({@link separateByErosion}): the mask is
 *    eroded (exact EDT, 0.5-voxel steps) until its most inferior voxel (femoral shaft) and its most
 *    superior voxel (iliac crest) fall in different components; the femur marker is the component of
 *    the inferior one, every other component is pelvis; both grow back inside the original mask in
 *    order of decreasing depth (marker watershed on the distance map), so the cut lies on the thin
 *    partial-volume bridge across the joint space.
 * 3. **Head and shaft**: head centre = the deepest femur voxel in the upper 30% of the femur's height
 *    (the femoral head is the thickest part of the proximal femur), head radius = that depth plus half
 *    a voxel; shaft axis = axis of the femur more than 3.5 head radii below the head
 *    centre — the least-squares line through the centroids of its axial cross-sections, pointing
 *    proximally (world +z when the shaft is not in view, with a warning).
 * 4. **Proximal femur**: femur voxels no farther than `distalCutHeadDiameters` head diameters
 *    (default 2.0) below the head centre along the shaft axis, or `distalCutMm` when given. The
 *    lesser trochanter lies about 1.3-1.5 head diameters below the head centre (67 mm for the 48 mm
 *    head of the synthetic phantom), so the default cut keeps the head, neck, both trochanters and
 *    20-30 mm of subtrochanteric shaft ("head to below the lesser trochanter"). Ogo cuts its hip
 *    models flat about 100 mm from the head (bct-reference.md §3).
 *
 * @example
 * ```ts
 * import { boneMask } from "bct/lib/segmentation/bone";
 * import { isolateFemur } from "bct/lib/segmentation/femur";
 * const { mask } = boneMask(density, { closeMm: 0 });
 * const { femur, proximal, headCentre, headRadiusMm, warnings } = isolateFemur(mask);
 * ```
 * @module
 */
import { cropVolume, boundingBox, type IndexBox } from "../volume/crop.js";
import { createVolume, indexToWorld, voxelVolume, worldToIndex, type Vec3 } from "../volume/volume.js";
import { connectedComponents } from "./components.js";
import { squaredDistanceToSeeds } from "./distance.js";
import { separateByErosion } from "./bone.js";
import { SegmentationError, type Mask } from "./mask.js";

/** Options of {@link isolateFemur}. */
export interface FemurOptions {
  /** Proximal cut below the head centre along the shaft, in head diameters. Default 2.0. */
  distalCutHeadDiameters?: number;
  /** Proximal cut below the head centre along the shaft (mm); overrides `distalCutHeadDiameters`. */
  distalCutMm?: number;
  /** Erosion step (mm). Default half the smallest spacing. */
  stepMm?: number;
  /** Components smaller than this are ignored (voxels). Default 100. */
  minComponentVoxels?: number;
  /**
   * The mask holds one side of a two-hip scan, cut at the midline (see `hip-side`): the femur marker
   * is then the most inferolateral bone (greatest `lateral - height`, the greater trochanter or the
   * shaft), the pelvis marker the most medial one (symphysis, sacrum), instead of the most inferior
   * and the most superior voxels, which on a scan without femoral shafts may lie in the pubis.
   */
  lateral?: { side: "left" | "right"; midlineX: number };
  /**
   * Throw {@link FemurIncompleteError} when the femoral head, the neck or the shaft is cut off by the
   * field of view (see {@link checkFemurInView}). Default true; false keeps the old warnings.
   */
  requireComplete?: boolean;
  /** Smallest plausible femoral-head radius (mm). Default {@link MIN_FEMORAL_HEAD_RADIUS_MM}. */
  minHeadRadiusMm?: number;
}

/**
 * Smallest femoral-head radius (mm) accepted as a head: adult femoral heads are about 40-55 mm in
 * diameter (radius 20-27 mm; the synthetic phantom's is 24 mm); 15 mm leaves room for small adults
 * and partial volume. A bct plausibility bound, not a published constant.
 */
export const MIN_FEMORAL_HEAD_RADIUS_MM = 15;
/**
 * How far lateral of the head centre the femur must reach for its neck to be in view, in head radii:
 * the neck ends at the shaft about 1.5 radii lateral of the head centre and the greater trochanter
 * reaches 2.5-3 (the phantom: 2.9). A bct plausibility bound.
 */
export const NECK_REACH_HEAD_RADII = 2.0;
/** The shaft axis is fitted more than this many head radii below the head centre (see the module notes). */
export const SHAFT_START_HEAD_RADII = 3.5;

/** A femur that the field of view cuts through where the model needs bone: head, neck or shaft. */
export class FemurIncompleteError extends SegmentationError {
  override name = "FemurIncompleteError";
  constructor(readonly part: "head" | "neck" | "shaft", message: string) {
    super(message);
  }
}

/** Result of {@link isolateFemur}. Masks are on the input grid. */
export interface FemurResult {
  femur: Mask;
  /** Everything else the mask held that touched or accompanied the femur (pelvis). */
  pelvis: Mask;
  proximal: Mask;
  /** Erosion depth (mm) at which femur and pelvis came apart; 0 when they were already separate. */
  separationRadiusMm: number;
  headCentre: Vec3;
  headRadiusMm: number;
  /** Unit shaft axis pointing proximally. */
  shaftAxis: Vec3;
  /** The patient side of the femur (from where the pelvis lies), or null with no pelvis in view. */
  side: "left" | "right" | null;
  /** The proximal cut: a plane through `point` with normal `shaftAxis`; `distanceMm` below the head centre. */
  cut: { point: Vec3; distanceMm: number };
  voxels: { femur: number; pelvis: number; proximal: number };
  volumeMm3: { femur: number; proximal: number };
  warnings: string[];
}

/**
 * Separate the femur from the pelvis and cut the proximal-femur region (see the module notes).
 * @throws SegmentationError for an empty mask or when the bones cannot be separated;
 *   FemurIncompleteError when the head, neck or shaft is cut off (unless `requireComplete` is false).
 */
export function isolateFemur(bone: Mask, opts: FemurOptions = {}): FemurResult {
  const warnings: string[] = [];
  const box0 = boundingBox(bone, (v) => v !== 0, 2);
  if (!box0) throw new SegmentationError("the bone mask is empty: nothing to isolate the femur from");
  const m = cropVolume(bone, box0);
  const n = m.data.length;
  const z = worldZ(m);
  const { femurC, work, separationRadiusMm } = separateFemur(m, z, opts);
  const { headCentre, headRadiusMm, shaft } = headAndShaft(m, z, femurC);
  const side = femurSide(m, femurC, work, headCentre, opts);
  if (opts.requireComplete ?? true) checkFemurInView(m, femurC, { headCentre, headRadiusMm, side, shaftSections: shaft.sections, minHeadRadiusMm: opts.minHeadRadiusMm }, bone);
  const shaftAxis = shaft.axis ?? [0, 0, 1];
  if (!shaft.axis) warnings.push(`the femoral shaft is not in the field of view (fewer than 5 cross-sections more than ${SHAFT_START_HEAD_RADII} head radii below the head): the shaft axis is taken as world +z`);
  const cutMm = opts.distalCutMm ?? (opts.distalCutHeadDiameters ?? 2.0) * 2 * headRadiusMm;
  const { prox, lowest } = proximalRegion(m, femurC, headCentre, shaftAxis, cutMm);
  if (lowest > -cutMm) {
    warnings.push(`the femur in view ends ${(-lowest).toFixed(0)} mm below the head centre, above the ${cutMm.toFixed(0)} mm proximal cut: the proximal region is all of the femur in view`);
  }
  const femur = paste(bone, box0, femurC);
  const pelvisData = new Uint8Array(n);
  for (let p = 0; p < n; p++) pelvisData[p] = work[p] && !femurC[p] ? 1 : 0;
  const pelvis = paste(bone, box0, pelvisData);
  const proximal = paste(bone, box0, prox);
  const count = (a: Uint8Array) => a.reduce((s, v) => s + v, 0);
  const vf = count(femur.data), vp = count(proximal.data), vpel = count(pelvis.data);
  if (touchesBox(femurC, m.dims) && (box0.min.some((v) => v === 0) || box0.max.some((v, c) => v === bone.dims[c]))) {
    warnings.push("the femur touches the volume border: part of it lies outside the field of view");
  }
  return {
    femur,
    pelvis,
    proximal,
    separationRadiusMm,
    headCentre,
    headRadiusMm,
    shaftAxis,
    side,
    cut: { point: [headCentre[0] - cutMm * shaftAxis[0], headCentre[1] - cutMm * shaftAxis[1], headCentre[2] - cutMm * shaftAxis[2]], distanceMm: cutMm },
    voxels: { femur: vf, pelvis: vpel, proximal: vp },
    volumeMm3: { femur: vf * voxelVolume(bone), proximal: vp * voxelVolume(bone) },
    warnings,
  };
}

/** World x (LPS left) of every voxel centre. */
function worldX(m: Pick<Mask, "dims" | "spacing" | "origin" | "direction">): Float64Array {
  const [nx, ny, nz] = m.dims;
  const out = new Float64Array(nx * ny * nz);
  const d = m.direction, s = m.spacing;
  for (let k = 0, p = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, p++) {
    out[p] = m.origin[0] + d[0] * i * s[0] + d[1] * j * s[1] + d[2] * k * s[2];
  }
  return out;
}

/**
 * Steps 1-2: drop specks, pick the femur and pelvis markers, and take the femur's component, or cut
 * it from the pelvis by erosion when they are one component.
 */
function separateFemur(m: Mask, z: Float64Array, opts: FemurOptions): { femurC: Uint8Array; work: Uint8Array; separationRadiusMm: number } {
  const n = m.data.length;
  const minComp = opts.minComponentVoxels ?? 100;
  const cc = connectedComponents(m, 26);
  const work = new Uint8Array(n);
  for (let p = 0; p < n; p++) if (cc.labels[p] && cc.sizes[cc.labels[p] - 1] >= minComp) work[p] = 1;
  let zmin = Infinity;
  for (let p = 0; p < n; p++) if (work[p] && z[p] < zmin) zmin = z[p];
  if (!Number.isFinite(zmin)) throw new SegmentationError(`no bone component of at least ${minComp} voxels`);
  let femurScore: (p: number) => number = (p) => -z[p];
  let pelvisScore: (p: number) => number = (p) => z[p];
  if (opts.lateral) {
    const x = worldX(m), sgn = opts.lateral.side === "left" ? 1 : -1, mid = opts.lateral.midlineX;
    femurScore = (p) => sgn * (x[p] - mid) - (z[p] - zmin);
    pelvisScore = (p) => -sgn * (x[p] - mid);
  }
  let lo = -1, hi = -1;
  for (let p = 0; p < n; p++) {
    if (!work[p]) continue;
    if (lo < 0 || femurScore(p) > femurScore(lo)) lo = p;
    if (hi < 0 || pelvisScore(p) > pelvisScore(hi)) hi = p;
  }
  const femurC = new Uint8Array(n);
  if (cc.labels[lo] !== cc.labels[hi]) {
    for (let p = 0; p < n; p++) femurC[p] = cc.labels[p] === cc.labels[lo] ? 1 : 0;
    return { femurC, work, separationRadiusMm: 0 };
  }
  const comp = new Uint8Array(n);
  for (let p = 0; p < n; p++) comp[p] = cc.labels[p] === cc.labels[lo] ? 1 : 0;
  const sub = createVolume({ dims: m.dims, spacing: m.spacing, origin: m.origin, direction: m.direction, data: comp });
  const split = separateByErosion(sub, femurScore, pelvisScore, { stepMm: opts.stepMm });
  for (let p = 0; p < n; p++) femurC[p] = split.labels[p] === 1 ? 1 : 0;
  return { femurC, work, separationRadiusMm: split.radiusMm };
}

/**
 * Step 3: head centre and radius (the deepest femur voxel in the upper 30% of its height), and the
 * shaft axis through the centroids of the cross-sections more than {@link SHAFT_START_HEAD_RADII}
 * head radii below the head (null when fewer than 5 such sections are in view).
 */
function headAndShaft(m: Mask, z: Float64Array, femurC: Uint8Array): { headCentre: Vec3; headRadiusMm: number; shaft: { axis: Vec3 | null; sections: number } } {
  const [nx, ny, nzk] = m.dims;
  const n = femurC.length;
  let zmin = Infinity, zmax = -Infinity;
  for (let p = 0; p < n; p++) if (femurC[p]) (zmin = Math.min(zmin, z[p])), (zmax = Math.max(zmax, z[p]));
  const notF = new Uint8Array(n);
  for (let p = 0; p < n; p++) notF[p] = femurC[p] ? 0 : 1;
  const d2 = squaredDistanceToSeeds(notF, m.dims, m.spacing);
  const zTop = zmax - 0.3 * (zmax - zmin);
  let head = -1;
  for (let p = 0; p < n; p++) if (femurC[p] && z[p] >= zTop && (head < 0 || d2[p] > d2[head])) head = p;
  const meanSp = (m.spacing[0] + m.spacing[1] + m.spacing[2]) / 3;
  const headRadiusMm = Math.sqrt(d2[head]) + meanSp / 2;
  const headCentre = indexToWorld(m, ijkOf(head, nx, ny));
  const cs: Vec3[] = [];
  for (let k = 0; k < nzk; k++) {
    let sx = 0, sy = 0, sz = 0, c = 0;
    for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
      const p = i + nx * (j + ny * k);
      if (!femurC[p] || z[p] > headCentre[2] - SHAFT_START_HEAD_RADII * headRadiusMm) continue;
      const w = indexToWorld(m, [i, j, k]);
      sx += w[0];
      sy += w[1];
      sz += w[2];
      c++;
    }
    if (c >= 20) cs.push([sx / c, sy / c, sz / c]);
  }
  if (cs.length < 5) return { headCentre, headRadiusMm, shaft: { axis: null, sections: cs.length } };
  const mz = cs.reduce((a, p) => a + p[2], 0) / cs.length;
  const mx = cs.reduce((a, p) => a + p[0], 0) / cs.length;
  const my = cs.reduce((a, p) => a + p[1], 0) / cs.length;
  let szz = 0, sxz = 0, syz = 0;
  for (const p of cs) {
    szz += (p[2] - mz) ** 2;
    sxz += (p[0] - mx) * (p[2] - mz);
    syz += (p[1] - my) * (p[2] - mz);
  }
  if (!(szz > 0)) return { headCentre, headRadiusMm, shaft: { axis: [0, 0, 1], sections: cs.length } };
  const v = [sxz / szz, syz / szz, 1];
  const l = Math.hypot(v[0], v[1], v[2]);
  return { headCentre, headRadiusMm, shaft: { axis: [v[0] / l, v[1] / l, v[2] / l], sections: cs.length } };
}

/** The femur's side: given, or from where the pelvis lies (medial); null without pelvis. */
function femurSide(m: Mask, femurC: Uint8Array, work: Uint8Array, headCentre: Vec3, opts: FemurOptions): "left" | "right" | null {
  if (opts.lateral) return opts.lateral.side;
  const x = worldX(m);
  let s = 0, c = 0;
  for (let p = 0; p < femurC.length; p++) if (work[p] && !femurC[p]) (s += x[p]), c++;
  if (c < 100) return null;
  // The pelvis lies medial of the head: toward +x (patient left) for a right femur.
  return s / c > headCentre[0] ? "right" : "left";
}

/**
 * Is the femur whole where the hip model needs it? Throws {@link FemurIncompleteError} when
 * - **head**: the deepest point is shallower than a femoral head (`minHeadRadiusMm`), or the head's
 *   sphere leaves the field of view `view` (default `m`) on any side but the inferior one (the neck side);
 * - **neck**: the femur reaches less than {@link NECK_REACH_HEAD_RADII} head radii lateral of the
 *   head centre (checked when the side is known);
 * - **shaft**: fewer than 5 cross-sections lie more than {@link SHAFT_START_HEAD_RADII} head radii
 *   below the head centre (the shaft axis, the distal boundary and the DXA regions need it).
 */
export function checkFemurInView(
  m: Mask,
  femurC: ArrayLike<number>,
  f: { headCentre: Vec3; headRadiusMm: number; side: "left" | "right" | null; shaftSections: number; minHeadRadiusMm?: number },
  view: Pick<Mask, "dims" | "spacing" | "origin" | "direction"> = m,
): void {
  const r = f.headRadiusMm, c = f.headCentre;
  const minR = f.minHeadRadiusMm ?? MIN_FEMORAL_HEAD_RADIUS_MM;
  const where = `at [${c.map((v) => v.toFixed(0)).join(", ")}] mm (LPS)`;
  if (r < minR) {
    throw new FemurIncompleteError("head", `no femoral head found: the thickest part of the femur ${where} is only ${r.toFixed(1)} mm deep, less than a femoral head (radius at least ${minR} mm); the head is cut off by the field of view, or the femur could not be told apart from the pelvis: check that the scan covers the hip joint, or give a label map`);
  }
  const [nx, ny] = m.dims;
  const inside = (w: Vec3) => worldToIndex(view, w).every((v, a) => v >= -0.5 && v <= view.dims[a] - 0.5);
  const probes: Vec3[] = [[c[0] + r, c[1], c[2]], [c[0] - r, c[1], c[2]], [c[0], c[1] + r, c[2]], [c[0], c[1] - r, c[2]], [c[0], c[1], c[2] + r]];
  if (!probes.every(inside)) {
    throw new FemurIncompleteError("head", `the femoral head (centre ${where}, radius ${r.toFixed(0)} mm) is cut off by the edge of the field of view: reconstruct or rescan with the whole head in view`);
  }
  if (f.side) {
    const sgn = f.side === "left" ? 1 : -1;
    let reach = 0;
    for (let p = 0; p < femurC.length; p++) {
      if (!femurC[p]) continue;
      const w = indexToWorld(m, ijkOf(p, nx, ny));
      reach = Math.max(reach, sgn * (w[0] - c[0]));
    }
    if (reach < NECK_REACH_HEAD_RADII * r) {
      throw new FemurIncompleteError("neck", `the ${f.side} femoral neck is cut off: the femur in view reaches only ${reach.toFixed(0)} mm lateral of the head centre ${where}, and the neck and greater trochanter reach about ${(NECK_REACH_HEAD_RADII * r).toFixed(0)} mm (${NECK_REACH_HEAD_RADII} head radii): rescan with the whole proximal femur in view`);
    }
  }
  if (f.shaftSections < 5) {
    let lowest = Infinity;
    for (let p = 0; p < femurC.length; p++) if (femurC[p]) lowest = Math.min(lowest, indexToWorld(m, ijkOf(p, nx, ny))[2]);
    throw new FemurIncompleteError("shaft", `the ${f.side ? f.side + " " : ""}femoral shaft is not in the field of view: the femur in view ends ${(c[2] - lowest).toFixed(0)} mm below the femoral head centre ${where}, and the hip model needs the shaft from ${(SHAFT_START_HEAD_RADII * r).toFixed(0)} mm below it (${SHAFT_START_HEAD_RADII} head radii: shaft axis, distal boundary, DXA regions) to past the proximal cut at 2 head diameters (${(4 * r).toFixed(0)} mm): give a scan that covers the proximal femur to at least ${(4.5 * r).toFixed(0)} mm below the head centre`);
  }
}

/** Step 4: femur voxels no farther than `cutMm` below the head centre along the shaft. */
function proximalRegion(m: Mask, femurC: Uint8Array, headCentre: Vec3, shaftAxis: Vec3, cutMm: number): { prox: Uint8Array; lowest: number } {
  const [nx, ny] = m.dims;
  const prox = new Uint8Array(femurC.length);
  let lowest = Infinity;
  for (let p = 0; p < femurC.length; p++) {
    if (!femurC[p]) continue;
    const w = indexToWorld(m, ijkOf(p, nx, ny));
    const s = (w[0] - headCentre[0]) * shaftAxis[0] + (w[1] - headCentre[1]) * shaftAxis[1] + (w[2] - headCentre[2]) * shaftAxis[2];
    if (s < lowest) lowest = s;
    if (s >= -cutMm) prox[p] = 1;
  }
  return { prox, lowest };
}

/** World z (LPS superior) of every voxel centre. */
export function worldZ(m: Pick<Mask, "dims" | "spacing" | "origin" | "direction">): Float64Array {
  const [nx, ny, nz] = m.dims;
  const out = new Float64Array(nx * ny * nz);
  const d = m.direction, s = m.spacing;
  for (let k = 0, p = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, p++) {
    out[p] = m.origin[2] + d[6] * i * s[0] + d[7] * j * s[1] + d[8] * k * s[2];
  }
  return out;
}

function ijkOf(p: number, nx: number, ny: number): Vec3 {
  const i = p % nx, j = Math.floor(p / nx) % ny, k = Math.floor(p / (nx * ny));
  return [i, j, k];
}

function touchesBox(a: Uint8Array, dims: Vec3): boolean {
  const [nx, ny, nz] = dims;
  for (let k = 0, p = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, p++) {
    if (a[p] && (i <= 2 || j <= 2 || k <= 2 || i >= nx - 3 || j >= ny - 3 || k >= nz - 3)) return true;
  }
  return false;
}

/** A full-size mask holding `sub` (on `box` of `like`). */
export function paste(like: Mask, box: IndexBox, sub: Uint8Array): Mask {
  const [nx, ny] = like.dims;
  const out = new Uint8Array(like.data.length);
  const bx = box.max[0] - box.min[0], by = box.max[1] - box.min[1];
  let o = 0;
  for (let k = box.min[2]; k < box.max[2]; k++) for (let j = box.min[1]; j < box.min[1] + by; j++) {
    out.set(sub.subarray(o, o + bx), box.min[0] + nx * (j + ny * k));
    o += bx;
  }
  return createVolume({ dims: like.dims, spacing: like.spacing, origin: like.origin, direction: like.direction, data: out });
}

/** Unit principal axis (largest-variance direction) of a point set, by power iteration. */
export function principalAxis(pts: Vec3[]): Vec3 {
  const c = [0, 0, 0];
  for (const p of pts) for (let a = 0; a < 3; a++) c[a] += p[a] / pts.length;
  const C = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  for (const p of pts) for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) C[3 * a + b] += (p[a] - c[a]) * (p[b] - c[b]);
  let v: Vec3 = [0.3, 0.4, 0.866];
  for (let it = 0; it < 100; it++) {
    const w: Vec3 = [0, 1, 2].map((a) => C[3 * a] * v[0] + C[3 * a + 1] * v[1] + C[3 * a + 2] * v[2]) as Vec3;
    const nrm = Math.hypot(...w) || 1;
    v = [w[0] / nrm, w[1] / nrm, w[2] / nrm];
  }
  return v;
}
