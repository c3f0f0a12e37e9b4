/**
 * Hip DXA regions of interest on a projection image (see `projection.ts`), Hologic-style, and their
 * areal BMD = BMC / area.
 *
 * The regions (image coordinates: rows run distally along the shaft, the shaft axis is vertical):
 * - **Femoral neck**: a box 15 mm wide along the neck axis ◇, perpendicular to it, centred on the
 *   neck axis at the narrowest neck (Ogo `GenerateDXAROI.py` ✔; the Hologic default box is 49 x 15
 *   pixels, ISCD DXA atlas ✔, read as 15 mm wide ◇). Its length spans the neck with a 5 mm margin
 *   each side (Hologic draws the region edges 5 pixels out from the bone, ISCD DXA atlas ✔, read as
 *   5 mm ◇).
 * - **Total hip**: the bone on the shaft side of the neck box's medial (head-side) edge, proximal to
 *   a line 10 mm below the distal end of the lesser trochanter (the Hologic bottom line is "10
 *   pixels below" the lesser trochanter, ISCD DXA atlas ✔, read as 10 mm ◇), inside the bone's
 *   bounding box widened by 5 mm. So total hip = neck + trochanter + intertrochanteric, head excluded.
 * - **Trochanter / intertrochanteric**: the total hip outside the neck box, split by the
 *   trochanteric line, which starts where the neck axis meets the lateral (distal) edge of the neck
 *   box (the Ward's-triangle search point "centred on the midline at the inferior edge of the femoral
 *   neck rectangle") and runs to the base of the greater trochanter on the lateral cortex (Radiology
 *   2003;228(3):620, Fig. 4 legend ✔). Above it: trochanter; below: intertrochanteric.
 *
 * Sums: a region's BMC is the mineral of all its pixels (the projection spreads a little of an edge
 * voxel's mineral into the first pixel off the bone, so nothing is lost); its area is the number of
 * its bone pixels times the pixel area; aBMD = BMC / area. Neck, trochanter and intertrochanteric
 * partition the total hip, so their BMCs and areas add up to the total hip's.
 *
 * The lesser trochanter level comes from the caller (hip.ts finds it in 3D, where it is visible
 * even when a well-rotated DXA view hides it). Without one, the medial edge of the projection is
 * searched for its bump (Ogo's recipe); failing that, it is assumed 1.5 head radii below where the
 * neck axis crosses the shaft axis, with a warning.
 *
 * @example
 * ```ts
 * import { hipRois } from "bct/lib/dxa/hip-rois";
 * const rois = hipRois(img, { headCentre: [166, 62], headRadiusMm: 24, neckDir: [0.8, -0.6], shaftCol: 83 });
 * rois.neck.aBMD; // g/cm2
 * ```
 * @module
 */
import { DxaError, type ProjectionImage } from "./projection.js";

/** A 2D point in pixel coordinates [col, row] (continuous). */
export type Pixel2 = [number, number];

/** Bone mineral of a region. */
export interface RoiMeasure {
  /** Areal BMD (g/cm2) = bmcG / areaCm2. */
  aBMD: number;
  /** Bone mineral content (g). */
  bmcG: number;
  /** Projected bone area (cm2). */
  areaCm2: number;
}

/** A region of interest: its measure and its outline for display. */
export interface HipRoi extends RoiMeasure {
  name: "neck" | "trochanter" | "intertrochanteric" | "totalHip";
  /** Outline (pixel coordinates, closed implicitly). The trochanter and intertrochanteric outlines include the neck box, which is taken out of them. */
  polygon: Pixel2[];
}

/** Where the hip's landmarks fall on the projection image. */
export interface HipImageLandmarks {
  /** Femoral head centre [col, row]. */
  headCentre: Pixel2;
  headRadiusMm: number;
  /** Unit neck-axis direction in the image, pointing to the head ([dcol, drow]). */
  neckDir: Pixel2;
  /** Column of the (vertical) shaft axis. */
  shaftCol: number;
  /** Lesser trochanter: rows of its apex and its distal end, and how they were found. */
  lesserTrochanter?: { apexRow: number; distalRow: number; method: string };
}

/** Options of {@link hipRois}. Defaults are the Hologic-style conventions of the module text. */
export interface HipRoiOptions {
  /** Neck box width along the neck axis (mm). Default 15 ◇. */
  neckBoxWidthMm?: number;
  /** Margin of the region edges beyond the bone (mm). Default 5 ◇. */
  marginMm?: number;
  /** Total hip bottom line below the distal end of the lesser trochanter (mm). Default 10 ◇. */
  belowLesserTrochanterMm?: number;
}

/** The hip regions and the construction lines, in pixel coordinates. Plain data. */
export interface HipRois {
  neck: HipRoi;
  trochanter: HipRoi;
  intertrochanteric: HipRoi;
  totalHip: HipRoi;
  /** Per-pixel region: 0 outside, 1 neck, 2 trochanter, 3 intertrochanteric (bone or not). */
  labels: Uint8Array;
  neckBox: { centre: Pixel2; axis: Pixel2; widthMm: number; lengthMm: number; corners: Pixel2[] };
  /** Narrowest neck width across the neck axis (mm) and its distance from the head centre (mm). */
  narrowestNeck: { widthMm: number; distanceFromHeadMm: number };
  /** Trochanteric line end points: Ward's-triangle point, base of the greater trochanter. */
  trochantericLine: [Pixel2, Pixel2];
  lesserTrochanter: { apexRow: number; distalRow: number; method: string };
  /** Row of the total-hip bottom line. */
  bottomRow: number;
  warnings: string[];
}

/** Keep the part of a convex polygon where `a*col + b*row <= c` (Sutherland-Hodgman). */
export function clipPolygon(poly: Pixel2[], a: number, b: number, c: number): Pixel2[] {
  const out: Pixel2[] = [];
  for (let q = 0; q < poly.length; q++) {
    const p = poly[q], n = poly[(q + 1) % poly.length];
    const fp = a * p[0] + b * p[1] - c, fn = a * n[0] + b * n[1] - c;
    if (fp <= 0) out.push(p);
    if ((fp < 0 && fn > 0) || (fp > 0 && fn < 0)) {
      const s = fp / (fp - fn);
      out.push([p[0] + s * (n[0] - p[0]), p[1] + s * (n[1] - p[1])]);
    }
  }
  return out;
}

/**
 * The hip regions of interest and their BMC, area and aBMD.
 * @example
 * ```ts
 * const rois = hipRois(img, { headCentre, headRadiusMm: 24, neckDir, shaftCol, lesserTrochanter: { apexRow: 196, distalRow: 218, method: "3d" } });
 * rois.totalHip.aBMD;
 * ```
 * @throws DxaError when no neck can be found along the neck axis (the axis leaves the bone).
 */
export function hipRois(img: ProjectionImage, lm: HipImageLandmarks, opts: HipRoiOptions = {}): HipRois {
  const boxW = opts.neckBoxWidthMm ?? 15;
  const margin = opts.marginMm ?? 5;
  const below = opts.belowLesserTrochanterMm ?? 10;
  const { width: W, height: Hh, pixelMm: px, mask: bone, data } = img;
  const warnings: string[] = [];
  const nrm = Math.hypot(lm.neckDir[0], lm.neckDir[1]);
  if (!(nrm > 0.5)) throw new DxaError("the neck axis is nearly along the viewing direction: the projection cannot show the neck");
  const n: Pixel2 = [lm.neckDir[0] / nrm, lm.neckDir[1] / nrm];
  // Across the neck, pointing superior (row decreasing).
  let a: Pixel2 = [-n[1], n[0]];
  if (a[1] > 0) a = [-a[0], -a[1]];
  const H = lm.headCentre, R = lm.headRadiusMm;
  /** Bone at a continuous position: the bilinear interpolant of the bone mask is at least 1/2 (sub-pixel edges). */
  const isBone = (c: number, r: number) => {
    const c0 = Math.floor(c), r0 = Math.floor(r);
    if (c0 < 0 || r0 < 0 || c0 + 1 >= W || r0 + 1 >= Hh) return false;
    const fc = c - c0, fr = r - r0, q = c0 + W * r0;
    const v = (1 - fr) * ((1 - fc) * bone[q] + fc * bone[q + 1]) + fr * ((1 - fc) * bone[q + W] + fc * bone[q + W + 1]);
    return v >= 0.5;
  };
  /** Point at distance t (mm) from the head centre toward the lateral end of the neck axis. */
  const axisPoint = (t: number): Pixel2 => [H[0] - (t / px) * n[0], H[1] - (t / px) * n[1]];
  /** Bone run (mm) from an axis point along +a (superior) and -a (inferior). */
  const runs = (t: number): [number, number] => {
    const p = axisPoint(t);
    if (!isBone(p[0], p[1])) return [0, 0];
    const step = 0.25; // px
    const out: [number, number] = [0, 0];
    for (const [k, sgn] of [[0, 1], [1, -1]] as const) {
      let s = 0;
      while (isBone(p[0] + sgn * (s + step) * a[0], p[1] + sgn * (s + step) * a[1]) && s < 4 * R / px) s += step;
      out[k] = s * px;
    }
    return out;
  };
  // 1. Narrowest neck between the head and the shaft axis.
  if (Math.abs(n[0]) < 1e-6) throw new DxaError("the neck axis is parallel to the shaft in the image");
  const tShaft = ((H[0] - lm.shaftCol) / n[0]) * px; // distance from the head centre to the shaft axis along the neck
  if (!(tShaft > R)) throw new DxaError(`the neck axis meets the shaft axis ${tShaft.toFixed(1)} mm from the head centre, inside the head (radius ${R.toFixed(1)} mm)`);
  const t0 = 0.5 * R, t1 = tShaft - 0.25 * R;
  const ts: number[] = [], ws: number[] = [];
  for (let t = t0; t <= t1; t += 0.5) {
    const [up, dn] = runs(t);
    ts.push(t);
    ws.push(up > 0 ? up + dn : Infinity);
  }
  // Smooth over +-1.25 mm; on a plateau (within max(0.25 mm, half a pixel) of the minimum) take its middle.
  const smoothHalf = Math.round(1.25 / 0.5);
  const sm = ws.map((_, q) => {
    let acc = 0, cnt = 0;
    for (let d = -smoothHalf; d <= smoothHalf; d++) if (q + d >= 0 && q + d < ws.length) { acc += ws[q + d]; cnt++; }
    return acc / cnt;
  });
  let best = -1, bestW = Infinity;
  for (let q = smoothHalf; q + smoothHalf < sm.length; q++) if (sm[q] < bestW) { bestW = sm[q]; best = q; }
  if (best < 0 || !Number.isFinite(bestW)) throw new DxaError("no femoral neck found along the neck axis between the head and the shaft (the axis leaves the bone)");
  const tolW = Math.max(0.25, px / 2);
  let qa = best, qb = best;
  while (qa - 1 >= smoothHalf && sm[qa - 1] <= bestW + tolW) qa--;
  while (qb + 1 + smoothHalf < sm.length && sm[qb + 1] <= bestW + tolW) qb++;
  const tc = (ts[qa] + ts[qb]) / 2;
  const [upC, dnC] = runs(tc);
  // 2. Neck box: centred on the axis at tc, boxW along the axis, spanning the neck plus the margin.
  let half = Math.max(upC, dnC);
  for (const t of [tc - boxW / 2, tc + boxW / 2]) {
    const [u, d] = runs(t);
    half = Math.max(half, Math.min(u, 2 * upC), Math.min(d, 2 * dnC));
  }
  half += margin;
  const C = axisPoint(tc);
  const hw = boxW / 2 / px, hl = half / px;
  const corners: Pixel2[] = [
    [C[0] + hw * n[0] + hl * a[0], C[1] + hw * n[1] + hl * a[1]],
    [C[0] - hw * n[0] + hl * a[0], C[1] - hw * n[1] + hl * a[1]],
    [C[0] - hw * n[0] - hl * a[0], C[1] - hw * n[1] - hl * a[1]],
    [C[0] + hw * n[0] - hl * a[0], C[1] + hw * n[1] - hl * a[1]],
  ];
  // Neck coordinate t(p) = (H - p).n * px; the box holds tc - boxW/2 <= t <= tc + boxW/2 and |(p - C).a| <= hl.
  const tOf = (c: number, r: number) => ((H[0] - c) * n[0] + (H[1] - r) * n[1]) * px;
  const inBox = (c: number, r: number) => {
    const t = tOf(c, r);
    return t >= tc - boxW / 2 && t <= tc + boxW / 2 && Math.abs((c - C[0]) * a[0] + (r - C[1]) * a[1]) <= hl;
  };

  // 3. Bone bounding box and edge profiles.
  let cMin = W, cMax = -1, rMin = Hh, rMax = -1;
  for (let r = 0; r < Hh; r++) for (let c = 0; c < W; c++) if (bone[c + W * r]) {
    if (c < cMin) cMin = c;
    if (c > cMax) cMax = c;
    if (r < rMin) rMin = r;
    if (r > rMax) rMax = r;
  }
  const ms = Math.sign(H[0] - lm.shaftCol) || 1; // +1 when medial is toward increasing columns
  /** Extent (mm) of the bone from the shaft axis, per row, on the medial (+1) or lateral (-1) side; NaN when none. */
  const edge = (side: 1 | -1): Float64Array => {
    const e = new Float64Array(Hh).fill(NaN);
    const sd = side * ms; // +1: that side lies toward increasing columns
    for (let r = 0; r < Hh; r++) {
      for (let k = 0; k < W; k++) {
        const c = sd > 0 ? W - 1 - k : k;
        if (!bone[c + W * r]) continue;
        if ((c - lm.shaftCol) * sd > 0) e[r] = Math.abs(c - lm.shaftCol) * px;
        break;
      }
    }
    return e;
  };
  const lateral = edge(-1), medialE = edge(1);
  const crossRow = H[1] - ((tShaft / px) * n[1]); // row where the neck axis meets the shaft axis

  // 4. Lesser trochanter.
  let lt = lm.lesserTrochanter;
  if (!lt) {
    lt = medialBump(medialE, crossRow, rMax, px) ?? undefined;
    if (!lt) {
      const apexRow = crossRow + (1.5 * R) / px;
      lt = { apexRow, distalRow: apexRow + 10 / px, method: "assumed: 1.5 head radii below the neck-shaft axis crossing" };
      warnings.push("the lesser trochanter was not found (no bump on the medial edge): its level is assumed 1.5 head radii below the neck-shaft crossing");
    }
  }
  let bottomRow = lt.distalRow + below / px;
  if (bottomRow > rMax) {
    warnings.push(`the femur ends ${((bottomRow - rMax) * px).toFixed(1)} mm above the total-hip bottom line (${below} mm below the lesser trochanter): the total hip is cut at the end of the bone`);
    bottomRow = rMax + 0.5;
  }

  // 5. Base of the greater trochanter on the lateral edge, below its most lateral point.
  const apexRowI = Math.min(Hh - 1, Math.max(0, Math.round(lt.apexRow)));
  const baseVals: number[] = [];
  for (let r = apexRowI; r <= Math.min(rMax, Math.round(bottomRow)); r++) if (Number.isFinite(lateral[r])) baseVals.push(lateral[r]);
  baseVals.sort((x, y) => x - y);
  const eBase = baseVals.length ? baseVals[Math.floor(baseVals.length / 2)] : NaN;
  let eMax = -Infinity, rTop = -1;
  for (let r = rMin; r < apexRowI; r++) if (lateral[r] > eMax) { eMax = lateral[r]; rTop = r; }
  let gtBase: Pixel2 | null = null;
  if (rTop >= 0 && Number.isFinite(eBase) && eMax - eBase > 3) {
    const look = Math.max(1, Math.round(3 / px));
    for (let r = rTop; r + look < apexRowI; r++) {
      if (!(lateral[r] < eMax - 0.5 * (eMax - eBase))) continue;
      const slope = Math.abs(lateral[r] - lateral[r + look]) / (look * px);
      if (slope < 0.3) { gtBase = [lm.shaftCol - ms * (lateral[r] / px), r]; break; }
    }
  }
  if (!gtBase) {
    const r = Math.round((crossRow + lt.apexRow) / 2);
    const e = Number.isFinite(lateral[r]) ? lateral[r] : eBase;
    gtBase = [lm.shaftCol - ms * (e / px), r];
    warnings.push("the base of the greater trochanter was not found on the lateral edge: the trochanteric line ends on the lateral cortex halfway between the neck-shaft crossing and the lesser trochanter");
  }
  const ward = axisPoint(tc + boxW / 2);

  // 6. Regions. Total hip: t >= tc - boxW/2, row <= bottomRow, inside the bone's box widened by the margin.
  const mpx = margin / px;
  const bbox: Pixel2[] = [[cMin - mpx, rMin - mpx], [cMax + mpx, rMin - mpx], [cMax + mpx, rMax + mpx], [cMin - mpx, rMax + mpx]];
  const tMed = tc - boxW / 2;
  // t >= tMed  <=>  n.p <= n.H - tMed/px
  let th = clipPolygon(bbox, n[0], n[1], n[0] * H[0] + n[1] * H[1] - tMed / px);
  th = clipPolygon(th, 0, 1, bottomRow);
  // Trochanteric line: "above" = the side of the greater trochanter's top-lateral corner.
  const [w0, g0] = [ward, gtBase];
  let la = -(g0[1] - w0[1]), lb = g0[0] - w0[0];
  let lc = la * w0[0] + lb * w0[1];
  const topLateral: Pixel2 = [ms > 0 ? cMin : cMax, rMin];
  if (la * topLateral[0] + lb * topLateral[1] - lc > 0) { la = -la; lb = -lb; lc = -lc; } // above: la*c + lb*r <= lc
  const trochPoly = clipPolygon(th, la, lb, lc);
  const interPoly = clipPolygon(th, -la, -lb, -lc);

  const labels = new Uint8Array(W * Hh);
  const inTh = (c: number, r: number) => tOf(c, r) >= tMed && r <= bottomRow && c >= cMin - mpx && c <= cMax + mpx && r >= rMin - mpx;
  const sums = [0, 0, 0, 0], areas = [0, 0, 0, 0];
  for (let r = 0; r < Hh; r++) {
    for (let c = 0; c < W; c++) {
      if (!inTh(c, r)) continue;
      const p = c + W * r;
      const lab = inBox(c, r) ? 1 : la * c + lb * r <= lc ? 2 : 3;
      labels[p] = lab;
      sums[lab] += data[p];
      areas[lab] += bone[p];
    }
  }
  const pixelAreaCm2 = (px * px) / 100;
  const measure = (bmcSum: number, nBone: number): RoiMeasure => {
    const bmcG = bmcSum * pixelAreaCm2, areaCm2 = nBone * pixelAreaCm2;
    return { aBMD: areaCm2 > 0 ? bmcG / areaCm2 : NaN, bmcG, areaCm2 };
  };
  const neckM = measure(sums[1], areas[1]);
  const trochM = measure(sums[2], areas[2]);
  const interM = measure(sums[3], areas[3]);
  const totalM = measure(sums[1] + sums[2] + sums[3], areas[1] + areas[2] + areas[3]);
  if (!(areas[2] > 0)) warnings.push("the trochanter region holds no bone");
  if (!(areas[3] > 0)) warnings.push("the intertrochanteric region holds no bone");
  return {
    neck: { name: "neck", ...neckM, polygon: corners },
    trochanter: { name: "trochanter", ...trochM, polygon: trochPoly },
    intertrochanteric: { name: "intertrochanteric", ...interM, polygon: interPoly },
    totalHip: { name: "totalHip", ...totalM, polygon: th },
    labels,
    neckBox: { centre: C, axis: n, widthMm: boxW, lengthMm: 2 * half, corners },
    narrowestNeck: { widthMm: upC + dnC, distanceFromHeadMm: tc },
    trochantericLine: [ward, gtBase],
    lesserTrochanter: lt,
    bottomRow,
    warnings,
  };
}

/**
 * The lesser trochanter as a bump of a bone-edge profile (mm from the shaft axis per row) below
 * `fromRow`: the row maximising min(rise over the 30 mm above, rise over the 30 mm below), when that
 * exceeds 1.5 mm; its distal end is where the profile has fallen three quarters of the way back to the
 * minimum below. Null when there is no such bump.
 */
export function medialBump(profile: ArrayLike<number>, fromRow: number, toRow: number, px: number): { apexRow: number; distalRow: number; method: string } | null {
  const win = Math.round(30 / px);
  let best = -1, bestScore = 1.5;
  const r0 = Math.max(0, Math.ceil(fromRow)), r1 = Math.min(profile.length - 1, Math.floor(toRow));
  const minIn = (lo: number, hi: number) => {
    let m = Infinity;
    for (let r = Math.max(r0, lo); r <= Math.min(r1, hi); r++) if (Number.isFinite(profile[r]) && profile[r] < m) m = profile[r];
    return m;
  };
  for (let r = r0; r <= r1; r++) {
    const e = profile[r];
    if (!Number.isFinite(e)) continue;
    const up = minIn(r - win, r - 1), dn = minIn(r + 1, r + win);
    if (!Number.isFinite(up) || !Number.isFinite(dn)) continue;
    const score = Math.min(e - up, e - dn);
    if (score > bestScore) { bestScore = score; best = r; }
  }
  if (best < 0) return null;
  const base = minIn(best + 1, best + win), top = profile[best];
  let distal = best;
  while (distal < r1 && !(profile[distal] <= base + 0.25 * (top - base))) distal++;
  return { apexRow: best, distalRow: distal, method: "medial edge of the projection" };
}
