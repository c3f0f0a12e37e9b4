/**
 * The "check it by eye" slices of a report: the three planes through the analysed bone (the femoral
 * neck's centroid, the vertebral body's) with the bone's outline, the calibration ROIs and the DXA
 * regions, built on `display/slice-through`. Each function takes plain pipeline artifacts, so a
 * notebook can call it too.
 * @module
 */
import type { CalibrationFit } from "../calibration/fit.js";
import { cylinderLabels, maskCentroid, sliceThrough, sliceThroughHtml, type OutlineRegion, type SliceThrough } from "../display/slice-through.js";
import type { HipDxaArtifacts } from "../dxa/hip.js";
import { worldToPixel } from "../dxa/projection.js";
import type { SpineDxaArtifacts } from "../dxa/spine.js";
import { boundingBox } from "../volume/crop.js";
import { createVolume, indexToWorld, type Vec3, type Volume } from "../volume/volume.js";

/** The calibration ROIs the fit records (phantom rods), as one label volume on the CT grid; null when it records none (internal calibration). */
export function calibrationRois(ct: Volume, fit: CalibrationFit): OutlineRegion | null {
  const rods = fit.points.filter((p) => p.roi);
  if (!rods.length) return null;
  return { volume: cylinderLabels(ct, rods.map((p) => p.roi!)), label: `calibration ROIs (${rods.map((p) => p.name).join(", ")})` };
}

/**
 * Centroid of the femoral neck: femur voxels 0.8 to 1.6 head radii from the head centre along the neck
 * axis (toward the shaft, the stretch the DXA neck box covers) and within 1.2 head radii of it.
 */
export function femoralNeckCentre(femur: Volume, lm: { headCentre: ArrayLike<number>; headRadius: number; neckAxis: ArrayLike<number> }): Vec3 {
  const c = lm.headCentre, a = lm.neckAxis, r = lm.headRadius;
  return maskCentroid(femur, (w) => {
    const d = [w[0] - c[0], w[1] - c[1], w[2] - c[2]];
    const t = -(d[0] * a[0] + d[1] * a[1] + d[2] * a[2]);
    const off = Math.hypot(d[0] + t * a[0], d[1] + t * a[1], d[2] + t * a[2]);
    return t >= 0.8 * r && t <= 1.6 * r && off <= 1.2 * r;
  });
}

/** Margin (mm) around the analysed bone within which region outlines are drawn (they are swept through the whole volume otherwise, which costs seconds on a full-size scan). */
export const REGION_MARGIN_MM = 30;

/** A label volume on `like`'s grid, evaluated only inside `within`'s bounding box grown by {@link REGION_MARGIN_MM} (everywhere without `within`). */
function labelVolume(like: Volume, label: (w: Vec3) => number, within?: Volume): Volume<Uint8Array> {
  const [nx, ny, nz] = like.dims;
  const data = new Uint8Array(nx * ny * nz);
  const margin = Math.ceil(REGION_MARGIN_MM / Math.min(...like.spacing));
  const box = within ? boundingBox(within, (v) => v !== 0, margin) : null;
  const lo = box ? box.min : [0, 0, 0], hi = box ? box.max : [nx, ny, nz];
  for (let k = lo[2]; k < hi[2]; k++) for (let j = lo[1]; j < hi[1]; j++) for (let i = lo[0]; i < hi[0]; i++) data[i + nx * (j + ny * k)] = label(indexToWorld(like, [i, j, k]));
  return createVolume({ dims: like.dims, spacing: like.spacing, origin: like.origin, direction: like.direction, data });
}

/** The hip DXA regions (neck, trochanter, intertrochanteric) swept along the DXA view: voxels that project into each region (near `within`, the femur, when given). */
export function hipDxaRegions(ct: Volume, dxa: Pick<HipDxaArtifacts, "image" | "rois">, within?: Volume): OutlineRegion {
  const { image, rois } = dxa;
  const volume = labelVolume(ct, (w) => {
    const [u, v] = worldToPixel(image.frame, w);
    const col = Math.round(u), row = Math.round(v);
    return col >= 0 && row >= 0 && col < image.width && row < image.height ? rois.labels[col + image.width * row] : 0;
  }, within);
  return { volume, label: "DXA regions along the view (neck, trochanter, intertrochanteric)" };
}

/** The spine DXA level regions (each level's region swept front to back, near `within` when given) and the trabecular vBMD ROIs. */
export function spineDxaRegions(ct: Volume, dxa: Pick<SpineDxaArtifacts, "regions" | "rois">, within?: Volume): OutlineRegion[] {
  const boxes = dxa.regions.map((r) => ({ x0: r.xMm[0], x1: r.xMm[1], z0: r.zMm[0], z1: r.zMm[1] }));
  const bands = labelVolume(ct, (w) => {
    for (let q = 0; q < boxes.length; q++) {
      const b = boxes[q];
      if (w[0] >= Math.min(b.x0, b.x1) && w[0] <= Math.max(b.x0, b.x1) && w[2] >= Math.min(b.z0, b.z1) && w[2] <= Math.max(b.z0, b.z1)) return q + 1;
    }
    return 0;
  }, within);
  const trab = new Uint8Array(ct.data.length);
  Object.values(dxa.rois).forEach((roi, q) => {
    for (const p of roi.indices) trab[p] = q + 1;
  });
  return [
    { volume: bands, label: `DXA level regions along the AP view (${dxa.regions.map((r) => r.level).join(", ")})` },
    { volume: createVolume({ dims: ct.dims, spacing: ct.spacing, origin: ct.origin, direction: ct.direction, data: trab }), label: "trabecular vBMD ROI" },
  ];
}

/** Inputs of {@link boneSlices}. */
export interface BoneSlicesInput {
  /** The analysed bone's mask on the CT grid and its name. */
  mask: Volume;
  maskLabel: string;
  /** The point the planes pass through and its name. */
  point: ArrayLike<number>;
  pointName: string;
  calibration?: CalibrationFit;
  /** Further regions (DXA). */
  regions?: OutlineRegion[];
}

/** The slices through the analysed bone, with the calibration ROIs when the fit records them. */
export function boneSlices(ct: Volume, input: BoneSlicesInput): { slices: SliceThrough; html: string } {
  const cal = input.calibration ? calibrationRois(ct, input.calibration) : null;
  const outlines = [...(cal ? [cal] : []), ...(input.regions ?? [])];
  const slices = sliceThrough(ct, input.point, { window: "bone", mask: { volume: input.mask, label: input.maskLabel }, outlines });
  const missing = cal || !input.calibration ? "" : " Internal calibration: its reference-tissue ROIs are not recorded in the fit, so they are not drawn.";
  const html = sliceThroughHtml(slices, { pointName: input.pointName }) + `<p class="cap">Bone window. Red: outline of the ${input.maskLabel}.${missing}</p>`;
  return { slices, html };
}
