/**
 * Phantom-based calibration: find the rods of an in-scan calibration phantom, measure a robust mean
 * HU in each, and fit the HU -> equivalent-density line.
 *
 * The phantom is described by a {@link PhantomDefinition} (its certificate: rod densities in order
 * along the bar, rod diameter, rod spacing). Certificate values differ per phantom serial number, so
 * bct ships none as constants (bct-reference.md §1); the embedded synthetic phantom has its own
 * definition in `datasets/phantom/*\/truth.json`.
 *
 * Automatic search (the default): the rods are assumed parallel to the slice normal (the phantom lies
 * along the table). The central half of the slices is averaged into one image, which lowers noise;
 * in its posterior half (the phantom is under the supine patient) a disc-versus-ring contrast filter
 * scores every pixel; local maxima are the rods that differ from the bar. Rods are equally spaced on a
 * line, so the best line of `n` positions at the certified spacing through the detections gives every
 * rod, including one with the same CT number as the bar (a 0 mg/cm3 rod). The direction along the
 * line is chosen so HU rises with density. An explicit ROI (rod centres and radius) skips the search.
 *
 * Per rod, HU is measured in a disc of 60% of the rod radius (the eroded ROI keeps partial volume and
 * blur out) over the slab, as a 10%-trimmed mean (outlier-safe: a streak or an air bubble does not
 * move it).
 *
 * @example
 * ```ts
 * import { phantomCalibration } from "bct/lib/calibration/phantom";
 * const cal = phantomCalibration(ct, definition);          // automatic rod search
 * console.log(cal.fit.slope, cal.fit.intercept, cal.fit.r2, cal.rods.map((r) => r.hu));
 * ```
 * @module
 */
import { indexToWorld, worldToIndex, type Vec3, type Volume } from "../volume/volume.js";
import { CalibrationError, fitCalibration, type CalibrationFit } from "./fit.js";
import type { DensityMeasure } from "./density.js";

/** A calibration phantom's certificate. */
export interface PhantomDefinition {
  name: string;
  /** Density measure of the rods (mg/cm3). */
  measure: DensityMeasure;
  /** Rod diameter (mm). */
  rodDiameter: number;
  /** Centre-to-centre distance of neighbouring rods (mm). */
  rodSpacing: number;
  /** Rods in their order along the bar. */
  rods: { name: string; density: number }[];
  /**
   * Water displaced per unit mineral in the rods' equivalent-density convention, used to estimate the
   * scan's effective energy from the fitted slope (calibration/energy): 0.2174 for a Mindways
   * K2HPO4 phantom (QCT Pro User Guide, bct-reference.md §1; the default), 0 for rods in an ideal
   * water-equivalent base (the embedded synthetic phantom).
   */
  waterDisplacement?: number;
}

/** Options of {@link phantomCalibration}. */
export interface PhantomCalibrationOptions {
  /** Rod centres (LPS mm; any point on each rod's axis), in the definition's rod order. Skips the search. */
  rodCentres?: Vec3[];
  /** First and last slice (inclusive) to measure in. Default: the central half of the scan. */
  slices?: [number, number];
  /** Minimum contrast score of a detection (contrast / noise). Default 6. */
  minScore?: number;
  /**
   * Pixel size (mm) of the image the rods are searched in: the slab image averaged over blocks of
   * round(workingPixelMm / pixel) pixels (the rods are centimetres across, so a 0.78 mm image holds
   * four times the pixels the search needs); the rods are then measured at full resolution around the
   * centres found. Default 1.5; 0 searches the full-resolution image.
   */
  workingPixelMm?: number;
}

/** One rod as measured. */
export interface RodMeasurement {
  name: string;
  density: number;
  /** Rod centre in the slab's middle slice (LPS mm). */
  centre: Vec3;
  /** Trimmed mean HU in the eroded ROI. */
  hu: number;
  huSd: number;
  voxels: number;
  /** Found as a contrast peak (true) or placed from the spacing of the others (false). */
  detected: boolean;
}

/** Result of {@link phantomCalibration}. Plain data. */
export interface PhantomCalibrationResult {
  fit: CalibrationFit;
  rods: RodMeasurement[];
  slices: [number, number];
  method: "automatic" | "explicit ROI";
  warnings: string[];
}

/**
 * Calibrate a HU volume against an in-scan phantom.
 * @throws CalibrationError when no phantom is found, or the ROIs leave the scan.
 */
export function phantomCalibration(ct: Volume, def: PhantomDefinition, opts: PhantomCalibrationOptions = {}): PhantomCalibrationResult {
  const [nx, ny, nz] = ct.dims;
  if (def.rods.length < 2) throw new CalibrationError(`phantom "${def.name}" defines ${def.rods.length} rod(s); a line needs 2 or more`);
  const slices: [number, number] = opts.slices ?? [Math.floor(nz / 4), Math.max(Math.floor(nz / 4), Math.ceil((3 * nz) / 4) - 1)];
  if (slices[0] < 0 || slices[1] >= nz || slices[1] < slices[0]) throw new CalibrationError(`slice range ${slices.join("..")} is outside the scan (0..${nz - 1})`);
  const warnings: string[] = [];
  const R = def.rodDiameter / 2;
  const kMid = Math.round((slices[0] + slices[1]) / 2);
  let centresIJ: [number, number][];
  let detected: boolean[];
  let method: PhantomCalibrationResult["method"];
  const image = slabMean(ct, slices);
  if (opts.rodCentres) {
    if (opts.rodCentres.length !== def.rods.length) {
      throw new CalibrationError(`${opts.rodCentres.length} rod centres given for the ${def.rods.length} rods of "${def.name}"`);
    }
    method = "explicit ROI";
    centresIJ = opts.rodCentres.map((c) => {
      const q = worldToIndex(ct, c);
      return [q[0], q[1]];
    });
    detected = centresIJ.map(() => true);
  } else {
    method = "automatic";
    const found = searchRodsOnWorkingImage(image, nx, ny, ct, def, opts.minScore ?? 6, opts.workingPixelMm ?? 1.5);
    if (!found) {
      throw new CalibrationError(
        `no calibration phantom found: no ${def.rods.length} equally spaced rods (${def.rodSpacing} mm apart, ${def.rodDiameter} mm across) ` +
          `in the posterior half of slices ${slices[0]}..${slices[1]}; give the rod centres explicitly or use internal calibration`,
      );
    }
    centresIJ = found.centres;
    detected = found.detected;
  }
  const rInner = 0.6 * R;
  let rods: RodMeasurement[] = def.rods.map((rod, r) => {
    const [ci, cj] = centresIJ[r];
    const m = measureDisc(ct, ci, cj, rInner, slices);
    if (m.voxels < 5) {
      throw new CalibrationError(`rod ${rod.name}'s ROI at voxel (${ci.toFixed(1)}, ${cj.toFixed(1)}) holds ${m.voxels} voxels: is it inside the scan?`);
    }
    return { name: rod.name, density: rod.density, centre: indexToWorld(ct, [ci, cj, kMid]), hu: m.mean, huSd: m.sd, voxels: m.voxels, detected: detected[r] };
  });
  // Orientation along the bar: the automatic search does not know which end is rod 0; HU must rise with density.
  if (method === "automatic") {
    if (slopeSign(rods.map((r) => r.density), rods.map((r) => r.hu)) < 0) {
      const placed = rods.map((r) => ({ hu: r.hu, huSd: r.huSd, voxels: r.voxels, centre: r.centre, detected: r.detected })).reverse();
      rods = rods.map((r, i) => ({ ...r, ...placed[i] }));
    }
    const missing = rods.filter((r) => !r.detected).map((r) => r.name);
    if (missing.length > 1 || (missing.length === 1 && rods.length < 4)) {
      warnings.push(`rod(s) ${missing.join(", ")} not detected by contrast; placed from the spacing of the others`);
    }
  }
  const fit = fitCalibration(
    rods.map((r) => ({ name: r.name, density: r.density, hu: r.hu, voxels: r.voxels, huSd: r.huSd, roi: rodRoi(ct, r.centre, rInner, slices) })),
    { measure: def.measure, method: `phantom "${def.name}" (${method}), linear least squares` },
  );
  for (const r of rods) {
    if (r.huSd > 100) warnings.push(`rod ${r.name} is not uniform (HU SD ${r.huSd.toFixed(0)}): is the ROI on the rod?`);
  }
  return { fit, rods, slices, method, warnings: [...warnings, ...fit.warnings] };
}

/** A rod's measured ROI as a cylinder: the disc of radius `r` (mm) from the first slice to the last. */
function rodRoi(ct: Volume, centre: Vec3, r: number, slices: [number, number]): { kind: "cylinder"; from: Vec3; to: Vec3; radiusMm: number } {
  const q = worldToIndex(ct, centre);
  return { kind: "cylinder", from: indexToWorld(ct, [q[0], q[1], slices[0]]), to: indexToWorld(ct, [q[0], q[1], slices[1]]), radiusMm: r };
}

function slopeSign(x: number[], y: number[]): number {
  const mx = x.reduce((a, b) => a + b, 0) / x.length, my = y.reduce((a, b) => a + b, 0) / y.length;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] - mx) * (y[i] - my);
  return Math.sign(s);
}

/** Mean over slices k0..k1 of the volume, as an nx*ny image. */
function slabMean(ct: Volume, [k0, k1]: [number, number]): Float64Array {
  const [nx, ny] = ct.dims;
  const img = new Float64Array(nx * ny);
  for (let k = k0; k <= k1; k++) {
    const off = k * nx * ny;
    for (let p = 0; p < nx * ny; p++) img[p] += ct.data[off + p];
  }
  const n = k1 - k0 + 1;
  for (let p = 0; p < img.length; p++) img[p] /= n;
  return img;
}

/** Trimmed (10% each side) mean and SD of voxels whose centre is within `r` mm of (ci, cj) in-plane, over the slices. */
function measureDisc(ct: Volume, ci: number, cj: number, r: number, [k0, k1]: [number, number]) {
  const [nx, ny] = ct.dims;
  const [hx, hy] = ct.spacing;
  const vals: number[] = [];
  const ri = Math.ceil(r / hx) + 1, rj = Math.ceil(r / hy) + 1;
  for (let k = k0; k <= k1; k++) {
    for (let j = Math.max(0, Math.floor(cj - rj)); j <= Math.min(ny - 1, Math.ceil(cj + rj)); j++) {
      for (let i = Math.max(0, Math.floor(ci - ri)); i <= Math.min(nx - 1, Math.ceil(ci + ri)); i++) {
        if (((i - ci) * hx) ** 2 + ((j - cj) * hy) ** 2 <= r * r) vals.push(ct.data[i + nx * (j + ny * k)]);
      }
    }
  }
  vals.sort((a, b) => a - b);
  const cut = Math.floor(vals.length * 0.1);
  const kept = vals.slice(cut, vals.length - cut);
  const mean = kept.reduce((a, b) => a + b, 0) / Math.max(1, kept.length);
  const sd = Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, vals.length - 1));
  return { mean, sd, voxels: vals.length };
}

/**
 * {@link searchRods} on the slab image averaged over f x f pixel blocks, f = round(workingPixelMm /
 * the finer pixel size) (the image itself when f is 1); the centres come back in full-resolution
 * pixel indices (a block's centre is at f I + (f - 1) / 2).
 */
function searchRodsOnWorkingImage(img: Float64Array, nx: number, ny: number, ct: Volume, def: PhantomDefinition, minScore: number, workingPixelMm: number) {
  const f = workingPixelMm > 0 ? Math.max(1, Math.round(workingPixelMm / Math.min(ct.spacing[0], ct.spacing[1]))) : 1;
  if (f === 1) return searchRods(img, nx, ny, ct, def, minScore);
  const cx = Math.floor(nx / f), cy = Math.floor(ny / f);
  const small = new Float64Array(cx * cy);
  for (let j = 0; j < cy * f; j++) for (let i = 0; i < cx * f; i++) small[Math.floor(i / f) + cx * Math.floor(j / f)] += img[i + nx * j];
  for (let q = 0; q < small.length; q++) small[q] /= f * f;
  const found = searchRods(small, cx, cy, { spacing: [ct.spacing[0] * f, ct.spacing[1] * f, ct.spacing[2]], direction: ct.direction }, def, minScore);
  if (found) found.centres = found.centres.map(([i, j]) => [f * i + (f - 1) / 2, f * j + (f - 1) / 2]);
  return found;
}

interface Detection {
  i: number;
  j: number;
  score: number;
}

/**
 * Disc-versus-ring contrast search in the posterior half of the slab image, then the best line of
 * `n` equally spaced positions through the detections.
 */
function searchRods(img: Float64Array, nx: number, ny: number, ct: Pick<Volume, "spacing" | "direction">, def: PhantomDefinition, minScore: number) {
  const [hx, hy] = ct.spacing;
  const R = def.rodDiameter / 2;
  // Which in-plane axis points posterior (+y in LPS), and which way.
  const d = ct.direction;
  const postI = d[3], postJ = d[4];
  const usesJ = Math.abs(postJ) >= Math.abs(postI);
  const inPosterior = (i: number, j: number) => {
    const t = usesJ ? (postJ > 0 ? j / (ny - 1) : 1 - j / (ny - 1)) : postI > 0 ? i / (nx - 1) : 1 - i / (nx - 1);
    return t >= 0.5;
  };
  const offs = (r0: number, r1: number) => {
    const out: number[] = [];
    const mi = Math.ceil(r1 / hx), mj = Math.ceil(r1 / hy);
    for (let b = -mj; b <= mj; b++) for (let a = -mi; a <= mi; a++) {
      const rr = Math.hypot(a * hx, b * hy);
      if (rr >= r0 && rr <= r1) out.push(a, b);
    }
    return out;
  };
  // The ring may leave a slim bar at its top and bottom: its median (not its mean) is the bar's HU.
  const inner = offs(0, 0.6 * R), ring = offs(1.2 * R, 1.5 * R);
  const margin = Math.ceil((1.5 * R) / Math.min(hx, hy)) + 1;
  const score = new Float64Array(nx * ny);
  const ringVals = new Float64Array(ring.length / 2);
  for (let j = margin; j < ny - margin; j++) {
    for (let i = margin; i < nx - margin; i++) {
      if (!inPosterior(i, j)) continue;
      let s = 0, ss = 0;
      for (let q = 0; q < inner.length; q += 2) {
        const v = img[i + inner[q] + nx * (j + inner[q + 1])];
        s += v;
        ss += v * v;
      }
      const m = s / (inner.length / 2);
      if (m < -300 || m > 2500) continue; // air or metal, not a rod
      const sd = Math.sqrt(Math.max(0, ss / (inner.length / 2) - m * m));
      for (let q = 0; q < ring.length; q += 2) ringVals[q / 2] = img[i + ring[q] + nx * (j + ring[q + 1])];
      ringVals.sort();
      const bar = ringVals[ringVals.length >> 1];
      if (bar < -300 || bar > 400) continue; // a rod sits in a solid, roughly water-equivalent bar
      score[i + nx * j] = Math.abs(m - bar) / (sd + 2);
    }
  }
  // Local maxima within the rod radius.
  const dets: Detection[] = [];
  const wi = Math.max(1, Math.round(R / hx)), wj = Math.max(1, Math.round(R / hy));
  for (let j = margin; j < ny - margin; j++) {
    for (let i = margin; i < nx - margin; i++) {
      const s = score[i + nx * j];
      if (s < minScore) continue;
      let isMax = true;
      for (let b = -wj; b <= wj && isMax; b++) for (let a = -wi; a <= wi; a++) {
        const t = score[i + a + nx * (j + b)];
        if (t > s || (t === s && (b < 0 || (b === 0 && a < 0)))) { isMax = false; break; }
      }
      if (isMax) dets.push({ i, j, score: s });
    }
  }
  dets.sort((a, b) => b.score - a.score);
  // The score is flat-topped over a rod (the inner disc fits inside the rod over a range of
  // positions), so a noisy local maximum can sit a few voxels off the rod's centre: use the centroid
  // of the score above half the peak within the rod radius instead.
  const top = dets.slice(0, 16).map((d) => {
    let w = 0, ci = 0, cj = 0;
    for (let b = -wj; b <= wj; b++) for (let a = -wi; a <= wi; a++) {
      if (Math.hypot(a * hx, b * hy) > R) continue;
      const t = score[d.i + a + nx * (d.j + b)];
      if (t >= 0.5 * d.score) { w += t; ci += t * (d.i + a); cj += t * (d.j + b); }
    }
    return { i: ci / w, j: cj / w, score: d.score };
  });
  const n = def.rods.length, sp = def.rodSpacing, tol = 0.35 * R;
  let best: { matched: number; total: number; centres: [number, number][]; detected: boolean[] } | null = null;
  const world = (p: Detection) => [p.i * hx, p.j * hy];
  for (let a = 0; a < top.length; a++) {
    for (let b = 0; b < top.length; b++) {
      if (a === b) continue;
      const [ax, ay] = world(top[a]), [bx, by] = world(top[b]);
      const dist = Math.hypot(bx - ax, by - ay);
      const m = Math.round(dist / sp);
      if (m < 1 || m > n - 1 || Math.abs(dist - m * sp) > tol) continue;
      const ux = (bx - ax) / dist, uy = (by - ay) / dist;
      // a is rod s of the bar, for every s that keeps b on the bar too.
      for (let s = 0; s + m <= n - 1; s++) {
        const centres: [number, number][] = [];
        const det: boolean[] = [];
        let matched = 0, total = 0;
        for (let r = 0; r < n; r++) {
          let px = ax + (r - s) * sp * ux, py = ay + (r - s) * sp * uy;
          let hit: Detection | null = null;
          for (const c of top) {
            const [cx, cy] = world(c);
            if (Math.hypot(cx - px, cy - py) <= tol && (!hit || c.score > hit.score)) hit = c;
          }
          if (hit) {
            [px, py] = world(hit);
            matched++;
            total += hit.score;
          }
          centres.push([px / hx, py / hy]);
          det.push(!!hit);
        }
        // A rod placed outside the image cannot be measured: the bar lies the other way (the
        // undetected rod, e.g. the water-density one, is at the other end).
        if (centres.some(([ci, cj]) => ci < margin || cj < margin || ci > nx - 1 - margin || cj > ny - 1 - margin)) continue;
        if (!best || matched > best.matched || (matched === best.matched && total > best.total)) best = { matched, total, centres, detected: det };
      }
    }
  }
  if (!best || best.matched < Math.min(n, Math.max(2, n - 2))) return null;
  // Refine: every rod on the least-squares line through the detected ones at the certified spacing,
  // so a rod without contrast, and every other rod, is placed from all detections, not one peak.
  const idx = best.detected.flatMap((d, r) => (d ? [r] : []));
  if (idx.length >= 2) {
    // Sub-voxel centres: the detections are already score centroids.
    const pts = idx.map((r) => {
      const [pi, pj] = best!.centres[r];
      return { r, x: pi * hx, y: pj * hy };
    });
    // Direction of the bar: least-squares slope of position on rod number; spacing: the certificate's.
    const mr = pts.reduce((a, p) => a + p.r, 0) / pts.length;
    const mx = pts.reduce((a, p) => a + p.x, 0) / pts.length, my = pts.reduce((a, p) => a + p.y, 0) / pts.length;
    let sx = 0, sy = 0;
    for (const p of pts) {
      sx += (p.r - mr) * (p.x - mx);
      sy += (p.r - mr) * (p.y - my);
    }
    const len = Math.hypot(sx, sy) || 1;
    const ux = sx / len, uy = sy / len;
    best.centres = best.centres.map((_, r) => [(mx + (r - mr) * sp * ux) / hx, (my + (r - mr) * sp * uy) / hy]);
  }
  if (best.centres.some(([i, j]) => i < 0 || j < 0 || i > nx - 1 || j > ny - 1)) return null;
  return best;
}
