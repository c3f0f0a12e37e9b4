/**
 * Proximal-femur landmarks from a femur mask: side, femoral head centre and radius, shaft and neck
 * axes, neck-shaft angle, anteversion, and a femur-aligned frame. All in world LPS (mm).
 *
 * Algorithm (axial CT, the femur running roughly along the scanner's cranio-caudal axis):
 * 1. Shaft axis: the centroids of the axial cross-sections of the distal 25% of the femur's length,
 *    fitted with a line (principal axis), pointing proximally.
 * 2. Head: the femur voxel farthest from the shaft axis in the proximal 40% lies in the head; the
 *    deepest point of the mask (maximum of the Euclidean distance to the background) within 35 mm of
 *    it is the first head centre; a least-squares sphere through the mask's surface voxels near that
 *    sphere, excluding the neck side, refined over a few passes, gives centre and radius.
 * 3. Side: the head lies medial of the shaft; medial pointing to +x (patient left) is a right femur.
 * 4. Neck axis: first from the centroid of the femur voxels in a shell 1.0-1.6 head radii around the
 *    head centre on the lateral side (the neck) to the head centre, then refined as the line through
 *    the centroids of the neck's cross-sections (2 mm apart) over that range.
 * 5. Neck-shaft angle = 180 deg - angle(neck axis, shaft axis). Anteversion: the angle of the neck
 *    axis, projected across the shaft, out of the plane of the shaft axis and the scanner's
 *    left-right axis, positive anterior (no condyles in a hip CT, so the scanner axis is the reference).
 *
 * @example
 * ```ts
 * import { femurLandmarks } from "bct/lib/anatomy/femur";
 * const f = femurLandmarks(femurMask);
 * console.log(f.side, f.headCentre, f.headRadius, f.neckShaftAngleDeg);
 * ```
 * @module
 */
import { indexToWorld, type Vec3, type Volume } from "../volume/volume.js";
import { squaredDistanceToSeeds } from "../segmentation/distance.js";
import { AnatomyError, fitSphere, principalAxes } from "./fit.js";

/** Femur landmarks (world LPS, mm). Plain data. */
export interface FemurLandmarks {
  side: "left" | "right";
  headCentre: Vec3;
  headRadius: number;
  /** RMS distance of the surface points from the fitted head sphere (mm). */
  headFitRms: number;
  /** Unit shaft axis pointing proximally, and a point on it. */
  shaftAxis: Vec3;
  shaftPoint: Vec3;
  /** Unit neck axis pointing from the neck to the head centre. */
  neckAxis: Vec3;
  neckShaftAngleDeg: number;
  anteversionDeg: number;
  /** Femur frame: origin at the head centre; proximal = shaft axis; medial across the shaft toward the head; anterior completes it. */
  frame: { origin: Vec3; proximal: Vec3; medial: Vec3; anterior: Vec3 };
  /** Length of femur covered by the mask along the shaft (mm). */
  lengthMm: number;
  warnings: string[];
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const sub = (a: ArrayLike<number>, b: ArrayLike<number>): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const scale = (a: ArrayLike<number>, s: number): Vec3 => [a[0] * s, a[1] * s, a[2] * s];
const cross = (a: ArrayLike<number>, b: ArrayLike<number>): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const norm = (a: ArrayLike<number>) => Math.hypot(a[0], a[1], a[2]);
const unit = (a: ArrayLike<number>): Vec3 => scale(a, 1 / (norm(a) || 1));
const perp = (a: Vec3, axis: Vec3): Vec3 => sub(a, scale(axis, dot(a, axis)));
const deg = (r: number) => (r * 180) / Math.PI;

/**
 * Landmarks of a proximal femur mask (non-zero = femur).
 * @throws AnatomyError when the mask is empty or too short to have a shaft and a head.
 */
export function femurLandmarks(mask: Volume): FemurLandmarks {
  const [nx, ny, nz] = mask.dims;
  const warnings: string[] = [];
  // Voxel centres of the mask.
  const idx: number[] = [];
  for (let p = 0; p < mask.data.length; p++) if (mask.data[p]) idx.push(p);
  if (idx.length < 100) throw new AnatomyError(`the femur mask has ${idx.length} voxels: too few to find landmarks`);
  const pos = new Float64Array(idx.length * 3);
  idx.forEach((p, q) => {
    const w = indexToWorld(mask, [p % nx, Math.floor(p / nx) % ny, Math.floor(p / (nx * ny))]);
    pos.set(w, 3 * q);
  });
  // Cranio-caudal coordinate: LPS z (superior positive).
  let zMin = Infinity, zMax = -Infinity;
  for (let q = 0; q < idx.length; q++) {
    zMin = Math.min(zMin, pos[3 * q + 2]);
    zMax = Math.max(zMax, pos[3 * q + 2]);
  }
  const length = zMax - zMin;
  if (length < 40) throw new AnatomyError(`the femur mask spans ${length.toFixed(0)} mm cranio-caudally: a proximal femur needs a head and some shaft`);
  // 1. Shaft: centroids of thin cranio-caudal slabs over the distal 35%.
  const slab = Math.max(...mask.spacing) * 1.0001;
  const zCut = zMin + 0.25 * length;
  const bins = new Map<number, { s: Vec3; n: number }>();
  for (let q = 0; q < idx.length; q++) {
    const z = pos[3 * q + 2];
    if (z > zCut) continue;
    const b = Math.floor((z - zMin) / slab);
    const e = bins.get(b) ?? { s: [0, 0, 0], n: 0 };
    e.s[0] += pos[3 * q]; e.s[1] += pos[3 * q + 1]; e.s[2] += z; e.n++;
    bins.set(b, e);
  }
  const centroids: number[] = [];
  for (const e of bins.values()) if (e.n >= 10) centroids.push(e.s[0] / e.n, e.s[1] / e.n, e.s[2] / e.n);
  if (centroids.length < 9) throw new AnatomyError("too little shaft below the trochanters to fit a shaft axis (need at least 3 cross-sections)");
  const pa = principalAxes(centroids);
  let shaft = unit(pa.axes[0]);
  if (shaft[2] < 0) shaft = scale(shaft, -1);
  const shaftPoint = pa.centroid;
  if (0.25 * length < 25) warnings.push(`only ${(0.25 * length).toFixed(0)} mm of shaft to fit the shaft axis: its direction is uncertain`);
  // 2. Head: farthest voxel from the shaft axis among the proximal 40%.
  const zProx = zMax - 0.4 * length;
  let far = -1, farD = -1;
  for (let q = 0; q < idx.length; q++) {
    if (pos[3 * q + 2] < zProx) continue;
    const d = norm(perp(sub([pos[3 * q], pos[3 * q + 1], pos[3 * q + 2]], shaftPoint), shaft));
    if (d > farD) { farD = d; far = q; }
  }
  const farPoint: Vec3 = [pos[3 * far], pos[3 * far + 1], pos[3 * far + 2]];
  // Deepest mask point near it (distance to background).
  const background = new Uint8Array(mask.data.length);
  for (let p = 0; p < background.length; p++) background[p] = mask.data[p] ? 0 : 1;
  const d2 = squaredDistanceToSeeds(background, mask.dims, mask.spacing);
  let best = -1, bestD = -1;
  for (let q = 0; q < idx.length; q++) {
    const w: Vec3 = [pos[3 * q], pos[3 * q + 1], pos[3 * q + 2]];
    if (norm(sub(w, farPoint)) > 35) continue;
    if (d2[idx[q]] > bestD) { bestD = d2[idx[q]]; best = q; }
  }
  let centre: Vec3 = [pos[3 * best], pos[3 * best + 1], pos[3 * best + 2]];
  let radius = Math.sqrt(bestD);
  // Surface voxels (a 6-neighbour outside the mask).
  const surface: Vec3[] = [];
  for (let q = 0; q < idx.length; q++) {
    const p = idx[q];
    const i = p % nx, j = Math.floor(p / nx) % ny, k = Math.floor(p / (nx * ny));
    const out = (a: number, b: number, c: number) => a < 0 || b < 0 || c < 0 || a >= nx || b >= ny || c >= nz || !mask.data[a + nx * (b + ny * c)];
    if (out(i - 1, j, k) || out(i + 1, j, k) || out(i, j - 1, k) || out(i, j + 1, k) || out(i, j, k - 1) || out(i, j, k + 1)) {
      surface.push([pos[3 * q], pos[3 * q + 1], pos[3 * q + 2]]);
    }
  }
  let rms = NaN;
  for (let pass = 0; pass < 6; pass++) {
    // The neck leaves the head toward the shaft: exclude surface points on that side.
    const foot = sub(centre, scale(perp(sub(centre, shaftPoint), shaft), 1));
    const toNeck = unit(sub(foot, centre));
    const pts: number[] = [];
    for (const s of surface) {
      const v = sub(s, centre);
      const d = norm(v);
      if (Math.abs(d - radius) > Math.max(2.5, 0.2 * radius) + (pass === 0 ? radius * 0.3 : 0)) continue;
      if (dot(v, toNeck) > 0.35 * d) continue;
      pts.push(s[0], s[1], s[2]);
    }
    if (pts.length < 30) break;
    const f = fitSphere(pts);
    centre = f.centre;
    radius = f.radius;
    rms = f.rms;
  }
  if (!(rms < 0.1 * radius)) warnings.push(`the femoral head is not spherical in the mask (fit RMS ${rms.toFixed(2)} mm for radius ${radius.toFixed(1)} mm)`);
  // 3. Side and medial direction.
  const medial = unit(perp(sub(centre, shaftPoint), shaft));
  const side: "left" | "right" = medial[0] > 0 ? "right" : "left";
  // 4. Neck axis: femur voxels in a lateral shell around the head.
  const g: Vec3 = [0, 0, 0];
  let gn = 0;
  for (let q = 0; q < idx.length; q++) {
    const w: Vec3 = [pos[3 * q], pos[3 * q + 1], pos[3 * q + 2]];
    const v = sub(w, centre);
    const d = norm(v);
    if (d < 1.0 * radius || d > 1.6 * radius) continue;
    if (dot(v, medial) > -0.5 * d) continue; // the lateral cone: toward the neck
    g[0] += w[0]; g[1] += w[1]; g[2] += w[2]; gn++;
  }
  if (gn < 20) throw new AnatomyError("no femoral neck found lateral to the head: is the mask a proximal femur?");
  let neck = unit(sub(centre, scale(g, 1 / gn)));
  // Refine: the neck axis is the line through the centroids of the neck's cross-sections.
  for (let pass = 0; pass < 3; pass++) {
    const cs: number[] = [];
    for (let t = 1.0 * radius; t <= 1.6 * radius; t += 2) {
      const c: Vec3 = [0, 0, 0];
      let n = 0;
      for (let q = 0; q < idx.length; q++) {
        const v: Vec3 = [pos[3 * q] - centre[0], pos[3 * q + 1] - centre[1], pos[3 * q + 2] - centre[2]];
        const along = -dot(v, neck);
        if (Math.abs(along - t) > 1 || norm(perp(v, neck)) > 0.9 * radius) continue;
        c[0] += pos[3 * q]; c[1] += pos[3 * q + 1]; c[2] += pos[3 * q + 2]; n++;
      }
      if (n >= 10) cs.push(c[0] / n, c[1] / n, c[2] / n);
    }
    if (cs.length < 9) break;
    const ax = principalAxes(cs);
    neck = unit(dot(ax.axes[0], neck) < 0 ? scale(ax.axes[0], -1) : ax.axes[0]);
  }
  // 5. Angles.
  const nsa = 180 - deg(Math.acos(Math.max(-1, Math.min(1, dot(neck, shaft)))));
  const planeNormal = unit(cross(shaft, [1, 0, 0]));
  const neckAcross = unit(perp(neck, shaft));
  let antev = deg(Math.asin(Math.max(-1, Math.min(1, Math.abs(dot(neckAcross, planeNormal))))));
  if (neckAcross[1] > 0) antev = -antev; // anterior is -y in LPS
  let anterior = unit(cross(shaft, medial));
  if (anterior[1] > 0) anterior = scale(anterior, -1);
  return {
    side,
    headCentre: centre,
    headRadius: radius,
    headFitRms: rms,
    shaftAxis: shaft,
    shaftPoint,
    neckAxis: neck,
    neckShaftAngleDeg: nsa,
    anteversionDeg: antev,
    frame: { origin: centre, proximal: shaft, medial, anterior },
    lengthMm: length,
    warnings,
  };
}
