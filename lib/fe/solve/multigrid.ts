/**
 * Geometric multigrid on the voxel hierarchy, used as the preconditioner of CG.
 *
 * Coarsening: voxels are grouped 2 x 2 x 2; a coarse element exists where any child does. Its
 * stiffness is the fine template scaled by the children's mean modulus (void children count 0)
 * times 2 (a brick of twice the size is twice as stiff): scale_c = sum(scale_children) / 4. For a
 * homogeneous parent this is exactly the Galerkin product P^T K P (nested trilinear spaces, exact
 * integration), so the coarse operator is "Galerkin-consistent on average" while keeping the single
 * template (no coarse matrices are stored).
 * Transfer: trilinear interpolation P from coarse to fine nodes, restriction P^T.
 * Constraints: constrained fine DOFs receive no correction. A coarse DOF is constrained when at least
 * half of its interpolation weight lands on constrained fine DOFs (this handles loaded faces that do
 * not fall on a coarse node layer).
 * Smoother: Chebyshev polynomial in D^-1 K (Jacobi-preconditioned), the same polynomial before and
 * after the coarse correction, so the V-cycle is a symmetric positive definite preconditioner and CG
 * stays valid. Eigenvalue bound from a few Lanczos (CG) steps.
 * Coarsest grid: skyline Cholesky of the assembled coarse matrix.
 * @module
 */
import { SolverDivergedError } from "../errors.js";
import { numberNodes, type Vec3 } from "../voxel-model.js";
import { voxelApplyRange } from "./voxel-kernel.js";
import { choleskyFactor, choleskySolve, type SkylineFactor } from "./direct.js";
import type { ApplyFn } from "./pcg.js";
import { voxelDiagonal, type VoxelLevel } from "./voxel-operator.js";
import { serialVectorOps, type VectorOps } from "./vector-ops.js";

export interface MultigridOptions {
  /** Chebyshev degree of each pre- and post-smoothing (default 3). */
  smootherDegree?: number;
  /** Ratio of the upper to the lower end of the smoothed eigenvalue range (default 15). */
  smoothingRange?: number;
  /** Stop coarsening when the level has at most this many DOFs (default 2500). */
  coarsestDofs?: number;
  /** At most this many levels (default 12). */
  maxLevels?: number;
  /**
   * Rigid caps (solve.ts): CG iterations that extend each free reference DOF's motion into the bone
   * for the caps' coarse space (default 0: one V-cycle). More iterations cost setup and save CG iterations:
   * worth it when the preconditioner is reused (the pushover uses 4).
   */
  capIterations?: number;
}

/** One level of the hierarchy. */
export interface MultigridLevel {
  op: VoxelLevel;
  dims: Vec3;
  voxels: Int32Array;
  nodeGrid: Int32Array;
  /** 1 where the DOF is constrained (no correction). */
  constrained: Uint8Array;
  invDiag: Float64Array;
  /** Estimated largest eigenvalue of D^-1 K. */
  lambdaMax: number;
  apply: ApplyFn;
  /** Interpolation from the next coarser level: fine node f takes coarse nodes pIdx[pPtr[f]..pPtr[f+1]) with equal weights. */
  pPtr?: Int32Array;
  pIdx?: Int32Array;
  work: { r: Float64Array; x: Float64Array; t: Float64Array; d: Float64Array };
}

/** A built hierarchy (plain data plus the apply closures). */
export interface Multigrid {
  levels: MultigridLevel[];
  coarse: { factor: SkylineFactor; freeDofs: Int32Array; b: Float64Array; x: Float64Array };
  options: Required<MultigridOptions>;
  ops: VectorOps;
}

/** How a level's operator is applied (serial by default; a parallel one may be injected). */
export type OperatorFactory = (level: VoxelLevel, dims: Vec3, voxels: Int32Array) => ApplyFn;

/** Group fine voxels 2x2x2 into coarse voxels with summed scale / 4. */
export function coarsenVoxels(dims: Vec3, voxels: Int32Array, scale: Float64Array): { dims: Vec3; voxels: Int32Array; scale: Float64Array } {
  const [nx, ny] = dims;
  const cd: Vec3 = [Math.ceil(dims[0] / 2), Math.ceil(dims[1] / 2), Math.ceil(dims[2] / 2)];
  const parent = new Int32Array(voxels.length);
  for (let e = 0; e < voxels.length; e++) {
    const v = voxels[e], i = v % nx, j = Math.floor(v / nx) % ny, k = Math.floor(v / (nx * ny));
    parent[e] = (i >> 1) + cd[0] * ((j >> 1) + cd[1] * (k >> 1));
  }
  const order = Int32Array.from(parent).sort();
  const uniq: number[] = [];
  for (let q = 0; q < order.length; q++) if (q === 0 || order[q] !== order[q - 1]) uniq.push(order[q]);
  const cv = Int32Array.from(uniq);
  const cs = new Float64Array(cv.length);
  const pos = new Map<number, number>();
  cv.forEach((v, q) => pos.set(v, q));
  for (let e = 0; e < voxels.length; e++) cs[pos.get(parent[e])!] += scale[e] / 4;
  return { dims: cd, voxels: cv, scale: cs };
}

function makeLevel(op: VoxelLevel, dims: Vec3, voxels: Int32Array, nodeGrid: Int32Array, constrained: Uint8Array, factory: OperatorFactory, allocate: (n: number) => Float64Array): MultigridLevel {
  const n = 3 * op.nodeCount;
  const diag = voxelDiagonal(op);
  const invDiag = allocate(n);
  for (let d = 0; d < n; d++) invDiag[d] = constrained[d] || !(diag[d] > 0) ? 0 : 1 / diag[d];
  return {
    op, dims, voxels, nodeGrid, constrained, invDiag, lambdaMax: 0, apply: factory(op, dims, voxels),
    work: { r: allocate(n), x: allocate(n), t: allocate(n), d: allocate(n) },
  };
}

/**
 * Build the hierarchy for a voxel model's fine level. `constrained` marks the fine DOFs (3 per node)
 * that are prescribed or otherwise eliminated. K0 is the full unit template (for the coarse matrix).
 */
export function buildMultigrid(
  fine: VoxelLevel, dims: Vec3, voxels: Int32Array, nodeGrid: Int32Array, constrained: Uint8Array, K0: Float64Array,
  options: MultigridOptions = {}, factory: OperatorFactory = serialFactory,
  allocate: (n: number) => Float64Array = (n) => new Float64Array(n),
  ops: VectorOps = serialVectorOps,
): Multigrid {
  const opts: Required<MultigridOptions> = {
    smootherDegree: options.smootherDegree ?? 3,
    smoothingRange: options.smoothingRange ?? 15,
    coarsestDofs: options.coarsestDofs ?? 2500,
    maxLevels: options.maxLevels ?? 12,
    capIterations: options.capIterations ?? 0,
  };
  const levels: MultigridLevel[] = [makeLevel(fine, dims, voxels, nodeGrid, constrained, factory, allocate)];
  while (levels.length < opts.maxLevels) {
    const f = levels[levels.length - 1];
    if (3 * f.op.nodeCount <= opts.coarsestDofs || f.dims.every((d) => d <= 1)) break;
    const c = coarsenVoxels(f.dims, f.voxels, f.op.scale);
    const { nodeGrid: cGrid, conn } = numberNodes(c.dims, c.voxels);
    const cop: VoxelLevel = { nodeCount: cGrid.length, conn, scale: c.scale, kb: fine.kb, templateDiagonal: fine.templateDiagonal };
    // interpolation: coarse node lookup over the coarse grid
    const cgx = c.dims[0] + 1, cgy = c.dims[1] + 1;
    const cmap = new Int32Array(cgx * cgy * (c.dims[2] + 1)).fill(-1);
    cGrid.forEach((g, q) => (cmap[g] = q));
    const fgx = f.dims[0] + 1, fgy = f.dims[1] + 1;
    const nf = f.op.nodeCount;
    const pPtr = new Int32Array(nf + 1);
    const idx: number[] = [];
    for (let q = 0; q < nf; q++) {
      const g = f.nodeGrid[q], i = g % fgx, j = Math.floor(g / fgx) % fgy, k = Math.floor(g / (fgx * fgy));
      const I = i & 1 ? [(i - 1) / 2, (i + 1) / 2] : [i / 2];
      const J = j & 1 ? [(j - 1) / 2, (j + 1) / 2] : [j / 2];
      const K = k & 1 ? [(k - 1) / 2, (k + 1) / 2] : [k / 2];
      for (const kk of K) for (const jj of J) for (const ii of I) {
        const cn = cmap[ii + cgx * (jj + cgy * kk)];
        if (cn < 0) throw new Error(`multigrid: fine node ${q} interpolates from a missing coarse node`);
        idx.push(cn);
      }
      pPtr[q + 1] = idx.length;
    }
    const pIdx = Int32Array.from(idx);
    // coarse constraints by interpolation weight
    const nc = cGrid.length;
    const wc = new Float64Array(3 * nc), wt = new Float64Array(nc);
    for (let q = 0; q < nf; q++) {
      const cnt = pPtr[q + 1] - pPtr[q], w = 1 / cnt;
      for (let p = pPtr[q]; p < pPtr[q + 1]; p++) {
        const cn = pIdx[p];
        wt[cn] += w;
        for (let d = 0; d < 3; d++) if (f.constrained[3 * q + d]) wc[3 * cn + d] += w;
      }
    }
    const ccon = new Uint8Array(3 * nc);
    for (let q = 0; q < nc; q++) for (let d = 0; d < 3; d++) ccon[3 * q + d] = wc[3 * q + d] >= 0.5 * wt[q] ? 1 : 0;
    f.pPtr = pPtr;
    f.pIdx = pIdx;
    levels.push(makeLevel(cop, c.dims, c.voxels, cGrid, ccon, factory, allocate));
  }
  for (const l of levels) l.lambdaMax = estimateLambdaMax(l);
  const coarse = factorCoarsest(levels[levels.length - 1], K0);
  return { levels, coarse, options: opts, ops };
}

const serialFactory: OperatorFactory = (op) => {
  const n = 3 * op.nodeCount;
  return (x, y) => {
    y.fill(0, 0, n);
    voxelApplyRange(op.conn, op.scale, op.kb, x, y, 0, op.scale.length);
  };
};

/** A = M K M restricted to the unconstrained DOFs (constrained entries of y are zeroed). */
function applyMasked(l: MultigridLevel, x: Float64Array, y: Float64Array): void {
  l.apply(x, y);
  const c = l.constrained;
  for (let d = 0; d < y.length; d++) if (c[d]) y[d] = 0;
}

/** Largest eigenvalue of D^-1 A from 12 steps of Jacobi-PCG (Lanczos), with a deterministic start. */
function estimateLambdaMax(l: MultigridLevel): number {
  const n = l.invDiag.length;
  const { r, d: z, x: p, t: q } = l.work;
  let seed = 12345;
  for (let d = 0; d < n; d++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    r[d] = l.invDiag[d] === 0 ? 0 : seed / 0x7fffffff - 0.5;
  }
  for (let d = 0; d < n; d++) z[d] = l.invDiag[d] * r[d];
  p.set(z);
  let rz = dotv(r, z);
  const alphas: number[] = [], betas: number[] = [];
  for (let it = 0; it < 12 && rz > 0; it++) {
    applyMasked(l, p, q);
    const pq = dotv(p, q);
    if (!(pq > 0)) break;
    const alpha = rz / pq;
    for (let d = 0; d < n; d++) { r[d] -= alpha * q[d]; z[d] = l.invDiag[d] * r[d]; }
    const rzn = dotv(r, z), beta = rzn / rz;
    rz = rzn;
    alphas.push(alpha);
    betas.push(beta);
    for (let d = 0; d < n; d++) p[d] = z[d] + beta * p[d];
  }
  const m = alphas.length;
  if (m === 0) return 1;
  // Lanczos tridiagonal: T_ii = 1/a_i + b_{i-1}/a_{i-1}, T_{i,i+1} = sqrt(b_i)/a_i
  const dg = new Float64Array(m), off = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    dg[i] = 1 / alphas[i] + (i > 0 ? betas[i - 1] / alphas[i - 1] : 0);
    off[i] = Math.sqrt(betas[i]) / alphas[i];
  }
  // power iteration on the small T (shifted to be safe: T is SPD)
  let v = new Float64Array(m).fill(1), lam = 0;
  for (let it = 0; it < 300; it++) {
    const w = new Float64Array(m);
    for (let i = 0; i < m; i++) w[i] = dg[i] * v[i] + (i > 0 ? off[i - 1] * v[i - 1] : 0) + (i < m - 1 ? off[i] * v[i + 1] : 0);
    const nrm = Math.hypot(...w);
    lam = nrm / Math.hypot(...v);
    v = w.map((t) => t / nrm);
  }
  return lam;
}

function dotv(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function factorCoarsest(l: MultigridLevel, K0: Float64Array): Multigrid["coarse"] {
  const n = 3 * l.op.nodeCount;
  const num = new Int32Array(n).fill(-1);
  let nf = 0;
  for (let d = 0; d < n; d++) if (!l.constrained[d]) num[d] = nf++;
  const rows: Map<number, number>[] = Array.from({ length: nf }, () => new Map());
  const { conn, scale } = l.op;
  for (let e = 0; e < scale.length; e++) {
    const s = scale[e];
    for (let a = 0; a < 24; a++) {
      const ga = num[3 * conn[8 * e + (a / 3 | 0)] + (a % 3)];
      if (ga < 0) continue;
      const row = rows[ga];
      for (let b = 0; b < 24; b++) {
        const gb = num[3 * conn[8 * e + (b / 3 | 0)] + (b % 3)];
        if (gb < 0 || gb > ga) continue;
        row.set(gb, (row.get(gb) ?? 0) + s * K0[24 * a + b]);
      }
    }
  }
  const freeDofs = new Int32Array(nf);
  for (let d = 0; d < n; d++) if (num[d] >= 0) freeDofs[num[d]] = d;
  // The coarse constraints are a heuristic, so the coarse matrix may be singular (a coarse part
  // whose constraints all fell to the fine grid). A slightly scaled diagonal keeps the V-cycle SPD;
  // it only weakens the coarse correction there.
  const entries = rows.map((m) => [...m.entries()]);
  let factor: SkylineFactor | undefined;
  for (const shift of [0, 1e-10, 1e-6, 1e-3]) {
    try {
      factor = choleskyFactor(nf, entries, shift);
      break;
    } catch (e) {
      if (!(e instanceof SolverDivergedError)) throw e;
    }
  }
  if (!factor) throw new SolverDivergedError("multigrid: the coarsest grid matrix is singular; the model may have a part that no constraint holds (use the jacobi preconditioner to check)");
  return { factor, freeDofs, b: new Float64Array(nf), x: new Float64Array(nf) };
}

/** Chebyshev smoothing of A x = r, starting from x (zero when `zeroStart`). */
function chebyshev(l: MultigridLevel, r: Float64Array, x: Float64Array, zeroStart: boolean, degree: number, range: number, ops: VectorOps): void {
  const { invDiag: Dinv } = l;
  const { t, d } = l.work;
  const hi = 1.1 * l.lambdaMax, lo = hi / range;
  const theta = (hi + lo) / 2, delta = (hi - lo) / 2, sigma = theta / delta;
  let rho = 1 / sigma;
  if (zeroStart) ops.chebStep(d, x, Dinv, r, null, 0, 1 / theta);
  else {
    l.apply(x, t);
    ops.chebStep(d, x, Dinv, r, t, 0, 1 / theta); // c1 = 0: d's old value is not used
  }
  for (let k = 1; k < degree; k++) {
    const rhoNew = 1 / (2 * sigma - rho);
    l.apply(x, t);
    ops.chebStep(d, x, Dinv, r, t, rhoNew * rho, (2 * rhoNew) / delta);
    rho = rhoNew;
  }
}

/**
 * One V-cycle: z = B r, a symmetric positive definite approximation of K^-1 on the unconstrained
 * DOFs (z = 0 on constrained DOFs). r is not modified.
 */
export function vcycle(mg: Multigrid, r: Float64Array, z: Float64Array, level = 0): void {
  const l = mg.levels[level];
  if (level === mg.levels.length - 1) {
    const { factor, freeDofs, b, x } = mg.coarse;
    for (let q = 0; q < freeDofs.length; q++) b[q] = r[freeDofs[q]];
    choleskySolve(factor, b, x);
    z.fill(0);
    for (let q = 0; q < freeDofs.length; q++) z[freeDofs[q]] = x[q];
    return;
  }
  const { smootherDegree: deg, smoothingRange: range } = mg.options;
  chebyshev(l, r, z, true, deg, range, mg.ops);
  // residual, restricted
  const t = l.work.t;
  l.apply(z, t);
  const c = mg.levels[level + 1];
  const rc = c.work.r, xc = c.work.x;
  rc.fill(0);
  const pPtr = l.pPtr!, pIdx = l.pIdx!, con = l.constrained;
  const nf = l.op.nodeCount;
  for (let q = 0; q < nf; q++) {
    const p0 = pPtr[q], p1 = pPtr[q + 1], w = 1 / (p1 - p0);
    const f = 3 * q;
    const rx = con[f] ? 0 : (r[f] - t[f]) * w, ry = con[f + 1] ? 0 : (r[f + 1] - t[f + 1]) * w, rz = con[f + 2] ? 0 : (r[f + 2] - t[f + 2]) * w;
    for (let p = p0; p < p1; p++) { const cc = 3 * pIdx[p]; rc[cc] += rx; rc[cc + 1] += ry; rc[cc + 2] += rz; }
  }
  const cc = c.constrained;
  for (let d = 0; d < rc.length; d++) if (cc[d]) rc[d] = 0;
  vcycle(mg, rc, xc, level + 1);
  for (let q = 0; q < nf; q++) {
    const p0 = pPtr[q], p1 = pPtr[q + 1], w = 1 / (p1 - p0);
    let ux = 0, uy = 0, uz = 0;
    for (let p = p0; p < p1; p++) { const k = 3 * pIdx[p]; ux += xc[k]; uy += xc[k + 1]; uz += xc[k + 2]; }
    const f = 3 * q;
    if (!con[f]) z[f] += ux * w;
    if (!con[f + 1]) z[f + 1] += uy * w;
    if (!con[f + 2]) z[f + 2] += uz * w;
  }
  chebyshev(l, r, z, false, deg, range, mg.ops);
}

