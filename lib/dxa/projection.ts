/**
 * DXA-equivalent projection of calibrated CT: position the femur as a hip DXA scan would see it,
 * then sum the mineral inside the femur mask along the viewing direction onto a 2D pixel grid,
 * giving areal mineral density (g/cm2) per pixel and the projected bone outline.
 *
 * **Positioning** (bct-reference.md §6: shaft vertical, neck parallel to the detector, which a DXA
 * technologist gets with 15-25° internal rotation of the leg ◇): the image plane is the plane holding
 * the shaft axis and the neck axis. Image rows run distally along the shaft (`ey = -shaftAxis`), the
 * viewing direction `view` is normal to both axes and points anterior -> posterior (the viewer stands
 * in front of the patient, as on a DXA print-out: patient right on the image left), and the image
 * columns run along `ex = ey x view` (towards the patient's left). The PA X-ray beam is `-view`; a
 * ray sum does not depend on its sense. In DXA coordinates `[u, v, w] = R (world - origin)` with the
 * rows of `R` being `ex`, `ey`, `view`.
 *
 * **Projection** (Ogo `GenerateDXAROI.py` sums the calibrated volume along the AP axis ✔; here along
 * the positioned view): each mask voxel's mineral mass `rho * V` is split over `s_i x s_j x s_k`
 * sub-voxels whose centres are spread to the four nearest pixel centres with bilinear
 * (cloud-in-cell) weights. The weights of every sub-voxel sum to one, so the total projected mineral
 * equals the 3D total exactly (up to rounding), whatever the orientation. When the pixel is an
 * integer multiple of the sub-voxel spacing, a uniform slab seen along a voxel axis projects to
 * exactly `rho * t` in every pixel (the bilinear kernel is a partition of unity on such a lattice);
 * seen obliquely, the sub-voxel lattice aliases on the pixels: with the default (sub-voxels at most a
 * third of a pixel apart) a uniform slab stays within 1% per pixel, its mean exact.
 *
 * **Bone area**: a pixel is bone when its centre lies in the silhouette of the mask, i.e. inside the
 * projection of at least one mask voxel (each voxel's projection is a hexagon, a zonogon of its three
 * projected edges; tested exactly). The silhouette is the outline a bone-edge detector would find; the
 * bilinear spreading may put a small part of an edge voxel's mineral in the first pixel outside it,
 * so regions of interest sum mineral over all their pixels and area over their bone pixels.
 *
 * Units: density in mg/cm3, lengths in mm; mass (g) = rho * V(mm3) * 1e-6; aBMD (g/cm2) = mass /
 * (pixel area mm2 / 100). A slab of thickness t mm and density rho mg/cm3 gives rho * t / 10000 g/cm2.
 *
 * @example
 * ```ts
 * import { dxaPositioning, projectDensity } from "bct/lib/dxa/projection";
 * const pos = dxaPositioning(femurLandmarks(mask));
 * const img = projectDensity(density, mask, pos, { pixelMm: 0.5 });
 * img.totalMineralG; // = sum over mask voxels of rho * V * 1e-6
 * ```
 * @module
 */
import { BctError } from "../errors.js";
import { sameGrid, type Mat3, type Vec3, type Volume } from "../volume/volume.js";

/** A DXA-side computation that cannot be done (empty mask, mismatched grids, bad options, no neck). */
export class DxaError extends BctError {
  override name = "DxaError";
}

/** An orthonormal image frame: columns along `ex`, rows along `ey`, viewing along `view = ex x ey`. */
export interface DxaFrame {
  /** A world point (LPS mm) on the image plane: DXA coordinates are measured from it. */
  origin: Vec3;
  /** Unit world vector of increasing column (image right). */
  ex: Vec3;
  /** Unit world vector of increasing row (image down). */
  ey: Vec3;
  /** Unit viewing direction `ex x ey` (into the image). */
  view: Vec3;
}

/** The DXA positioning of a femur: the frame plus how far the femur was turned to get it. */
export interface DxaPositioning extends DxaFrame {
  /** World -> DXA rotation, row-major, rows `ex`, `ey`, `view`: `[u, v, w] = R (world - origin)`. */
  rotation: Mat3;
  /**
   * Rotation about the shaft from the unrotated table view (the normal of the plane of the shaft axis
   * and the LPS x axis) to the positioned view (deg). Positive when the neck points anteriorly (anteversion), i.e.
   * the internal rotation a technologist applies to bring the neck parallel to the detector.
   */
  rotationAboutShaftDeg: number;
  /** Angle of the neck axis out of the image plane after positioning (deg; 0 by construction). */
  neckOutOfPlaneDeg: number;
  /** Angle of the shaft axis from the image's vertical (deg; 0 by construction). */
  shaftTiltDeg: number;
}

/** What the positioning needs from the femur landmarks (world LPS; see `anatomy/femur`). */
export interface PositioningLandmarks {
  headCentre: ArrayLike<number>;
  /** Unit shaft axis, pointing proximally. */
  shaftAxis: ArrayLike<number>;
  /** Unit neck axis, pointing to the head. */
  neckAxis: ArrayLike<number>;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: ArrayLike<number>, b: ArrayLike<number>): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const unit = (a: ArrayLike<number>): Vec3 => {
  const n = Math.hypot(a[0], a[1], a[2]);
  return [a[0] / n, a[1] / n, a[2] / n];
};
const deg = (r: number) => (r * 180) / Math.PI;

/**
 * The hip DXA positioning from femur landmarks: shaft vertical (proximal up), neck axis in the image
 * plane, viewed from anterior.
 * @example
 * ```ts
 * const pos = dxaPositioning({ headCentre: [0, 0, 0], shaftAxis: [0, 0, 1], neckAxis: [0.8, -0.1, 0.59] });
 * pos.view; // normal to shaft and neck, pointing posterior (+y)
 * ```
 * @throws DxaError when the shaft and neck axes are (nearly) parallel: no plane holds both.
 */
export function dxaPositioning(lm: PositioningLandmarks): DxaPositioning {
  const shaft = unit(lm.shaftAxis), neck = unit(lm.neckAxis);
  const n = cross(shaft, neck);
  const sin = Math.hypot(n[0], n[1], n[2]);
  if (!(sin > Math.sin((5 * Math.PI) / 180))) {
    throw new DxaError(`the neck axis is within 5° of the shaft axis (angle ${deg(Math.asin(Math.min(1, sin))).toFixed(1)}°): no DXA view can show the neck`);
  }
  let view = unit(n);
  if (view[1] < 0) view = [-view[0], -view[1], -view[2]]; // anterior -> posterior (+y in LPS)
  const ey: Vec3 = [-shaft[0], -shaft[1], -shaft[2]];
  const ex = unit(cross(ey, view));
  // Unrotated table view: the normal of the plane holding the shaft axis and the table's left-right
  // (LPS x) axis, pointing posterior. The angle from it to `view` about the shaft is the neck's angle
  // out of that plane: the anteversion as anatomy/femur.ts measures it.
  let y0 = unit(cross(shaft, [1, 0, 0]));
  if (y0[1] < 0) y0 = [-y0[0], -y0[1], -y0[2]];
  const across: Vec3 = [neck[0] - dot(neck, shaft) * shaft[0], neck[1] - dot(neck, shaft) * shaft[1], neck[2] - dot(neck, shaft) * shaft[2]];
  const ang = deg(Math.acos(Math.max(-1, Math.min(1, dot(y0, view)))));
  const anteriorNeck = across[1] < 0; // anterior is -y in LPS
  return {
    origin: [lm.headCentre[0], lm.headCentre[1], lm.headCentre[2]],
    ex,
    ey,
    view,
    rotation: [...ex, ...ey, ...view] as Mat3,
    rotationAboutShaftDeg: anteriorNeck ? ang : -ang,
    neckOutOfPlaneDeg: deg(Math.asin(Math.min(1, Math.abs(dot(neck, view))))),
    shaftTiltDeg: deg(Math.acos(Math.min(1, Math.abs(dot(shaft, ey))))),
  };
}

/** The pixel grid of a projection: pixel (col, row) centre at `origin + col*pixelMm*ex + row*pixelMm*ey`. */
export interface ImageFrame extends DxaFrame {
  pixelMm: number;
}

/** A DXA-equivalent projection image. Plain data. Pixel (col, row) is stored at `col + width * row`. */
export interface ProjectionImage {
  width: number;
  height: number;
  /** Pixel edge (mm). */
  pixelMm: number;
  /** Areal mineral density per pixel (g/cm2). */
  data: Float32Array;
  /** 1 where the pixel centre lies in the projected mask (bone), else 0. */
  mask: Uint8Array;
  /** Maps pixels back to world; `frame.origin` is the centre of pixel (0, 0). */
  frame: ImageFrame;
  /** Total projected mineral (g), accumulated in double precision. */
  totalMineralG: number;
  /** Projected bone area (cm2): bone pixels times the pixel area. */
  boneAreaCm2: number;
  /** Sub-voxels per voxel along i, j, k used for the splat. */
  subdivisions: Vec3;
}

/** Options of {@link projectDensity}. */
export interface ProjectionOptions {
  /** Pixel edge (mm). Default 0.5. */
  pixelMm?: number;
  /**
   * Sub-voxels per voxel along i, j, k. Default: enough that sub-voxels are at most a third of a
   * pixel apart (`ceil(3 * spacing / pixelMm)`).
   */
  subdivisions?: number | Vec3;
  /** Empty border around the bone (mm). Default 5. */
  marginMm?: number;
  /**
   * Collect mineral also from this many layers of voxels around the mask (26-neighbour dilation);
   * the bone area still comes from the mask itself. A mask that keeps the voxels whose centre is in
   * bone leaves out the partial-volume mineral of the boundary voxels whose centre is not (on the
   * synthetic hip about 4% of the femur's mineral at 1 mm voxels); one layer takes it back. Default 0.
   */
  shellVoxels?: number;
}

/** Centre of pixel (col, row) (continuous indices allowed) in world LPS (mm), on the image plane. */
export function pixelToWorld(frame: ImageFrame, col: number, row: number): Vec3 {
  const a = col * frame.pixelMm, b = row * frame.pixelMm, o = frame.origin;
  return [o[0] + a * frame.ex[0] + b * frame.ey[0], o[1] + a * frame.ex[1] + b * frame.ey[1], o[2] + a * frame.ex[2] + b * frame.ey[2]];
}

/** Continuous pixel coordinates [col, row] of the projection of a world point. */
export function worldToPixel(frame: ImageFrame, p: ArrayLike<number>): [number, number] {
  const d: Vec3 = [p[0] - frame.origin[0], p[1] - frame.origin[1], p[2] - frame.origin[2]];
  return [dot(d, frame.ex) / frame.pixelMm, dot(d, frame.ey) / frame.pixelMm];
}

/** Projection of a world direction onto the image: [dcol, drow] per mm (not normalised). */
export function directionToPixel(frame: ImageFrame, d: ArrayLike<number>): [number, number] {
  return [dot(d, frame.ex), dot(d, frame.ey)];
}

/**
 * Project the density inside a mask onto a DXA image along `frame.view`, conserving mineral mass.
 * @param density calibrated density (mg/cm3), any voxel type.
 * @param mask non-zero = bone to project; same grid as `density`.
 * @param frame the view (e.g. from {@link dxaPositioning}); only `origin` (a point of the image plane), `ex`, `ey`, `view` are used.
 * @example
 * ```ts
 * const img = projectDensity(density, mask, { origin: [0, 0, 0], ex: [1, 0, 0], ey: [0, 0, -1], view: [0, 1, 0] });
 * ```
 * @throws DxaError when the grids differ, the mask is empty, the frame is not orthonormal, or the density is not finite in the mask.
 */
export function projectDensity(density: Volume, mask: Volume, frame: DxaFrame, opts: ProjectionOptions = {}): ProjectionImage {
  const pixelMm = opts.pixelMm ?? 0.5;
  const marginMm = opts.marginMm ?? 5;
  if (!(pixelMm > 0) || !Number.isFinite(pixelMm)) throw new DxaError(`pixelMm must be a positive number, got ${pixelMm}`);
  if (!(marginMm >= 0)) throw new DxaError(`marginMm must be >= 0, got ${marginMm}`);
  if (!sameGrid(density, mask, 1e-3)) throw new DxaError("the density and the mask must be on the same grid (dims, spacing, origin, direction)");
  const ex = frame.ex, ey = frame.ey, view = frame.view;
  const c = cross(ex, ey);
  if (Math.abs(dot(ex, ex) - 1) > 1e-6 || Math.abs(dot(ey, ey) - 1) > 1e-6 || Math.abs(dot(ex, ey)) > 1e-6 || Math.abs(dot(c, view) - 1) > 1e-6) {
    throw new DxaError("the DXA frame must be orthonormal and right-handed (view = ex x ey)");
  }
  const [nx, ny, nz] = density.dims;
  const sp = density.spacing, D = density.direction, o = density.origin;
  const sub: Vec3 = Array.isArray(opts.subdivisions)
    ? (opts.subdivisions.map((s) => Math.round(s)) as Vec3)
    : typeof opts.subdivisions === "number"
      ? [opts.subdivisions, opts.subdivisions, opts.subdivisions].map((s) => Math.round(s)) as Vec3
      : (sp.map((s) => Math.max(1, Math.ceil((3 * s) / pixelMm - 1e-9))) as Vec3);
  if (sub.some((s) => !(s >= 1) || s > 64)) throw new DxaError(`subdivisions must be integers from 1 to 64, got [${sub.join(", ")}]`);

  // Image (mm) coordinates of voxel (i,j,k) centre: u = u0 + i*gu[0] + j*gu[1] + k*gu[2]; likewise v.
  const rel: Vec3 = [o[0] - frame.origin[0], o[1] - frame.origin[1], o[2] - frame.origin[2]];
  const axis = (a: number): Vec3 => [D[a] * sp[a], D[3 + a] * sp[a], D[6 + a] * sp[a]];
  const g = [axis(0), axis(1), axis(2)];
  const gu = g.map((e) => dot(e, ex)), gv = g.map((e) => dot(e, ey));
  const u0 = dot(rel, ex), v0 = dot(rel, ey);
  const hu = 0.5 * (Math.abs(gu[0]) + Math.abs(gu[1]) + Math.abs(gu[2]));
  const hv = 0.5 * (Math.abs(gv[0]) + Math.abs(gv[1]) + Math.abs(gv[2]));

  // Bounds of the mask's projection.
  let uMin = Infinity, uMax = -Infinity, vMin = Infinity, vMax = -Infinity, count = 0;
  const md = mask.data, dd = density.data;
  const shell = opts.shellVoxels ?? 0;
  if (!(Number.isInteger(shell) && shell >= 0 && shell <= 8)) throw new DxaError(`shellVoxels must be an integer from 0 to 8, got ${shell}`);
  const collect = shell > 0 ? dilate26(md, density.dims, shell) : null;
  for (let k = 0, p = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, p++) {
        if (!md[p]) continue;
        const rho = dd[p];
        if (!Number.isFinite(rho)) throw new DxaError(`the density is not finite at voxel (${i}, ${j}, ${k}) inside the mask`);
        const u = u0 + i * gu[0] + j * gu[1] + k * gu[2], v = v0 + i * gv[0] + j * gv[1] + k * gv[2];
        if (u < uMin) uMin = u;
        if (u > uMax) uMax = u;
        if (v < vMin) vMin = v;
        if (v > vMax) vMax = v;
        count++;
      }
    }
  }
  if (count === 0) throw new DxaError("the mask is empty: nothing to project");
  const pad = marginMm + 2 * pixelMm + shell * Math.hypot(sp[0], sp[1], sp[2]);
  const colMin = Math.floor((uMin - hu - pad) / pixelMm), colMax = Math.ceil((uMax + hu + pad) / pixelMm);
  const rowMin = Math.floor((vMin - hv - pad) / pixelMm), rowMax = Math.ceil((vMax + hv + pad) / pixelMm);
  const width = colMax - colMin + 1, height = rowMax - rowMin + 1;
  if (width * height > 64e6) throw new DxaError(`the projection would have ${width}x${height} pixels: use a larger pixelMm`);
  const imgOrigin: Vec3 = [
    frame.origin[0] + colMin * pixelMm * ex[0] + rowMin * pixelMm * ey[0],
    frame.origin[1] + colMin * pixelMm * ex[1] + rowMin * pixelMm * ey[1],
    frame.origin[2] + colMin * pixelMm * ex[2] + rowMin * pixelMm * ey[2],
  ];

  // Sub-voxel offsets in pixel units.
  const S = sub[0] * sub[1] * sub[2];
  const offC = new Float64Array(S), offR = new Float64Array(S);
  for (let c2 = 0, q = 0; c2 < sub[2]; c2++) {
    const fk = (c2 + 0.5) / sub[2] - 0.5;
    for (let b = 0; b < sub[1]; b++) {
      const fj = (b + 0.5) / sub[1] - 0.5;
      for (let a = 0; a < sub[0]; a++, q++) {
        const fi = (a + 0.5) / sub[0] - 0.5;
        offC[q] = (fi * gu[0] + fj * gu[1] + fk * gu[2]) / pixelMm;
        offR[q] = (fi * gv[0] + fj * gv[1] + fk * gv[2]) / pixelMm;
      }
    }
  }
  // Pixel units of voxel steps.
  const cu = gu.map((x) => x / pixelMm), rv = gv.map((x) => x / pixelMm);
  const c0 = u0 / pixelMm - colMin, r0 = v0 / pixelMm - rowMin;

  // Zonogon (projected voxel) test: slabs normal to each non-zero projected edge.
  const gens: [number, number][] = [0, 1, 2].map((a) => [cu[a], rv[a]]);
  const normals: { n: [number, number]; h: number }[] = [];
  for (const [a, b] of gens) {
    const len = Math.hypot(a, b);
    if (len < 1e-9) continue;
    const n: [number, number] = [-b / len, a / len];
    const h = 0.5 * gens.reduce((s, [x, y]) => s + Math.abs(n[0] * x + n[1] * y), 0);
    normals.push({ n, h: h + 1e-9 });
  }
  const hc = hu / pixelMm, hr = hv / pixelMm;

  const mass = new Float64Array(width * height);
  const bone = new Uint8Array(width * height);
  const vol = sp[0] * sp[1] * sp[2];
  let total = 0;
  for (let k = 0, p = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, p++) {
        const inMask = md[p] !== 0;
        if (!inMask && !(collect && collect[p])) continue;
        const cc = c0 + i * cu[0] + j * cu[1] + k * cu[2];
        const rc = r0 + i * rv[0] + j * rv[1] + k * rv[2];
        // Silhouette: pixel centres inside this voxel's projection.
        if (inMask) {
          const ca = Math.ceil(cc - hc), cb = Math.floor(cc + hc), ra = Math.ceil(rc - hr), rb = Math.floor(rc + hr);
          for (let r = ra; r <= rb; r++) {
            for (let col = ca; col <= cb; col++) {
              const dx = col - cc, dy = r - rc;
              let inside = true;
              for (let t = 0; t < normals.length; t++) {
                const nn = normals[t];
                if (Math.abs(nn.n[0] * dx + nn.n[1] * dy) > nn.h) { inside = false; break; }
              }
              if (inside) bone[col + width * r] = 1;
            }
          }
        }
        const m = dd[p] * vol * 1e-6; // g
        if (!Number.isFinite(m)) throw new DxaError(`the density is not finite at voxel (${i}, ${j}, ${k}) in the projected region`);
        if (m === 0) continue;
        total += m;
        const ms = m / S;
        for (let q = 0; q < S; q++) {
          const x = cc + offC[q], y = rc + offR[q];
          const x0 = Math.floor(x), y0 = Math.floor(y);
          const fx = x - x0, fy = y - y0;
          const at = x0 + width * y0;
          mass[at] += ms * (1 - fx) * (1 - fy);
          mass[at + 1] += ms * fx * (1 - fy);
          mass[at + width] += ms * (1 - fx) * fy;
          mass[at + width + 1] += ms * fx * fy;
        }
      }
    }
  }
  const pixelAreaCm2 = (pixelMm * pixelMm) / 100;
  const data = new Float32Array(width * height);
  let nBone = 0;
  for (let q = 0; q < data.length; q++) {
    data[q] = mass[q] / pixelAreaCm2;
    nBone += bone[q];
  }
  return {
    width,
    height,
    pixelMm,
    data,
    mask: bone,
    frame: { origin: imgOrigin, ex: [...ex] as Vec3, ey: [...ey] as Vec3, view: [...view] as Vec3, pixelMm },
    totalMineralG: total,
    boneAreaCm2: nBone * pixelAreaCm2,
    subdivisions: sub,
  };
}

/** A binary mask dilated `n` times with the 26-neighbourhood (1 where the mask or a neighbour is set). */
export function dilate26(m: ArrayLike<number>, dims: ArrayLike<number>, n: number): Uint8Array {
  const [nx, ny, nz] = [dims[0], dims[1], dims[2]];
  let cur = new Uint8Array(m.length);
  for (let p = 0; p < m.length; p++) cur[p] = m[p] ? 1 : 0;
  for (let it = 0; it < n; it++) {
    // Separable: a 3x3x3 box maximum is three 1D maxima.
    let src = cur;
    for (let axis = 0; axis < 3; axis++) {
      const dst = new Uint8Array(src.length);
      const stride = axis === 0 ? 1 : axis === 1 ? nx : nx * ny;
      const len = axis === 0 ? nx : axis === 1 ? ny : nz;
      for (let k = 0, p = 0; k < nz; k++) {
        for (let j = 0; j < ny; j++) {
          for (let i = 0; i < nx; i++, p++) {
            const c = axis === 0 ? i : axis === 1 ? j : k;
            dst[p] = src[p] | (c > 0 ? src[p - stride] : 0) | (c < len - 1 ? src[p + stride] : 0);
          }
        }
      }
      src = dst;
    }
    cur = src;
  }
  return cur;
}

/**
 * Total mineral (g) of a density volume inside a mask: sum of `rho * V * 1e-6` (the 3D side of the
 * projection's mass balance).
 * @example
 * ```ts
 * maskMineralG(density, mask); // equals projectDensity(density, mask, frame).totalMineralG
 * ```
 * @throws DxaError when the grids differ.
 */
export function maskMineralG(density: Volume, mask: Volume): number {
  if (!sameGrid(density, mask, 1e-3)) throw new DxaError("the density and the mask must be on the same grid");
  let s = 0;
  for (let p = 0; p < mask.data.length; p++) if (mask.data[p]) s += density.data[p];
  return s * density.spacing[0] * density.spacing[1] * density.spacing[2] * 1e-6;
}
