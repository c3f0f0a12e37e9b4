/**
 * Linear strength: from one linear-elastic solve, the load at which a critical fraction of the bone
 * volume reaches its principal strain limit.
 *
 * Each element's risk factor is R = max(eps1 / limitT, -eps3 / limitC, 0) from its centroid principal
 * strains (eps1 largest, eps3 smallest) and the tension and compression limits. A linear model scales
 * with the load, so an element reaches its limit at load F / R. Sorting R from high to low, the
 * failure load is F / R_crit, where R_crit is the risk exceeded by `criticalFraction` of the
 * (bone-fraction weighted) element volume. With `criticalFraction` -> 0 this is the Bologna "first
 * element" criterion (Schileo 2014 uses nodes); the default 2% is the Pistoia volume criterion, which
 * is far less sensitive to single elements at a cap edge. Elements within `excludeNearMm` of a
 * constrained node set (caps, fixed cut) are left out of the ranking: their strains are
 * boundary-condition artefacts.
 *
 * @example
 * ```ts
 * const s = linearStrength(model, solution.displacement, loadN, { exclude: [bc.headNodes, bc.distalNodes] });
 * s.strengthN;
 * ```
 * @module
 */
import { BctError } from "../errors.js";
import { elementResults } from "../fe/results.js";
import { voxelNodePosition, type VoxelModel } from "../fe/voxel-model.js";
import { PISTOIA_CRITICAL_FRACTION, SCHILEO_STRAIN_LIMITS } from "./criteria.js";

/** Options of {@link linearStrength}. */
export interface LinearStrengthOptions {
  /** Tension / compression principal strain limits. Default Schileo 2014 (0.73% / 1.04%). */
  limits?: { tension: number; compression: number };
  /** Fraction of bone volume that must exceed its limit. Default 0.02 (Pistoia). */
  criticalFraction?: number;
  /** Node sets whose neighbourhood is excluded from the ranking. */
  exclude?: ArrayLike<number>[];
  /** Exclusion distance (mm) around those nodes. Default 3 mm. */
  excludeNearMm?: number;
  /** Per-element weights (e.g. bone fraction); default 1. */
  weights?: ArrayLike<number>;
  /** Elements left out of the ranking (non-zero), e.g. the PMMA of embedding caps: not bone. */
  excludeElements?: ArrayLike<number>;
}

/** Result of {@link linearStrength}. Plain data. */
export interface LinearStrengthResult {
  /** Estimated failure load (N). */
  strengthN: number;
  /** The load of the solve (N) and the critical risk factor at it. */
  loadN: number;
  criticalRisk: number;
  /** Risk factor per element at the solved load (0 for excluded elements). */
  risk: Float64Array;
  /** Elements at or above the critical risk (the region that fails first), as element indices. */
  failedElements: Int32Array;
  /** Which limit governs the critical element. */
  mode: "tension" | "compression";
  excludedElements: number;
  criterion: string;
  warnings: string[];
}

/** Linear strength of a solved voxel model under load `loadN` (N, positive). */
export function linearStrength(model: VoxelModel, displacement: ArrayLike<number>, loadN: number, opts: LinearStrengthOptions = {}): LinearStrengthResult {
  const limits = opts.limits ?? SCHILEO_STRAIN_LIMITS;
  const frac = opts.criticalFraction ?? PISTOIA_CRITICAL_FRACTION;
  if (!(frac >= 0 && frac < 1)) throw new BctError(`critical fraction ${frac}: need 0 <= fraction < 1 (0.02 is 2% of the bone volume; 0 the first element)`);
  const ne = model.voxels.length;
  const res = elementResults(model, displacement, "centroid");
  const excluded = new Uint8Array(ne);
  const dist = opts.excludeNearMm ?? 3;
  if (opts.exclude?.length) {
    // Mark elements whose centroid is within `dist` of any excluded node (grid search on node positions).
    const h = Math.max(...model.spacing);
    const cell = Math.max(dist, h);
    const buckets = new Map<string, number[][]>();
    for (const set of opts.exclude) {
      for (let a = 0; a < set.length; a++) {
        const p = voxelNodePosition(model, set[a]);
        const key = p.map((x) => Math.floor(x / cell)).join(",");
        const list = buckets.get(key) ?? [];
        list.push(p);
        buckets.set(key, list);
      }
    }
    const [nx, ny] = model.dims;
    for (let e = 0; e < ne; e++) {
      const v = model.voxels[e];
      const c = [
        model.origin[0] + ((v % nx) + 0.5) * model.spacing[0],
        model.origin[1] + ((Math.floor(v / nx) % ny) + 0.5) * model.spacing[1],
        model.origin[2] + (Math.floor(v / (nx * ny)) + 0.5) * model.spacing[2],
      ];
      const b = c.map((x) => Math.floor(x / cell));
      search: for (let dz = -1; dz <= 1; dz++) for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        const list = buckets.get(`${b[0] + dx},${b[1] + dy},${b[2] + dz}`);
        if (!list) continue;
        for (const p of list) {
          if (Math.hypot(p[0] - c[0], p[1] - c[1], p[2] - c[2]) <= dist) {
            excluded[e] = 1;
            break search;
          }
        }
      }
    }
  }
  if (opts.excludeElements) {
    if (opts.excludeElements.length !== ne) throw new BctError(`excludeElements has ${opts.excludeElements.length} values for ${ne} elements`);
    for (let e = 0; e < ne; e++) if (opts.excludeElements[e]) excluded[e] = 1;
  }
  const risk = new Float64Array(ne);
  const modeOf = new Uint8Array(ne);
  let nEx = 0;
  for (let e = 0; e < ne; e++) {
    if (excluded[e]) { nEx++; continue; }
    const e1 = res.principalStrains[3 * e], e3 = res.principalStrains[3 * e + 2];
    const rt = e1 / limits.tension, rc = -e3 / limits.compression;
    risk[e] = Math.max(0, rt, rc);
    modeOf[e] = rc > rt ? 1 : 0;
  }
  const order = Array.from({ length: ne }, (_, e) => e).filter((e) => !excluded[e]).sort((a, b) => risk[b] - risk[a]);
  const w = (e: number) => (opts.weights ? opts.weights[e] : 1);
  const total = order.reduce((s, e) => s + w(e), 0);
  let acc = 0, crit = order[0] ?? 0, k = 0;
  for (; k < order.length; k++) {
    acc += w(order[k]);
    crit = order[k];
    if (acc >= frac * total) break;
  }
  const criticalRisk = risk[crit];
  const warnings: string[] = [];
  if (nEx > 0.5 * ne) warnings.push(`${nEx} of ${ne} elements are near the constraints and excluded: the model is small for its caps`);
  if (!(criticalRisk > 0)) warnings.push("no element is strained: is the load zero?");
  return {
    strengthN: criticalRisk > 0 ? Math.abs(loadN) / criticalRisk : NaN,
    loadN: Math.abs(loadN),
    criticalRisk,
    risk,
    failedElements: Int32Array.from(order.slice(0, k + 1)),
    mode: modeOf[crit] ? "compression" : "tension",
    excludedElements: nEx,
    criterion: frac > 0
      ? `${(frac * 100).toFixed(1)}% of bone volume at principal strain ${limits.tension * 100}% tension / ${limits.compression * 100}% compression`
      : `first element (centroid strains) at principal strain ${limits.tension * 100}% tension / ${limits.compression * 100}% compression`,
    warnings,
  };
}
