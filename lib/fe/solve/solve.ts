/**
 * Solve a linear static FE problem: a model, its boundary conditions, options -> a Solution (plain
 * data). Voxel models use the matrix-free operator with multigrid (default) or Jacobi PCG;
 * unstructured models use the assembled sparse matrix with Jacobi PCG or a direct solve. With rigid
 * caps, the multigrid preconditioner adds a small coarse space of the caps' motions (see
 * `CapSpace`); a sequence of related solves can share one preconditioner (`SolveOptions.reuse`).
 * @module
 */
import { condenseCaps, expandCaps, resolveConstraints, type BoundaryCondition, type Constraints, type RigidCap } from "../bc.js";
import { elementCount, nodeCount, nodePosition, type FeModel } from "../model.js";
import type { VoxelModel } from "../voxel-model.js";
import { ModelError } from "../errors.js";
import { nodeComponents } from "../connectivity.js";
import { choleskyFactor, choleskySolve } from "./direct.js";
import { buildMultigrid, vcycle, type MultigridOptions, type OperatorFactory } from "./multigrid.js";
import { pcg, type ApplyFn, type SolveProgress } from "./pcg.js";
import { assembleStiffness, csrApply, csrDiagonal } from "./sparse.js";
import { voxelDiagonal, voxelLevel, voxelTemplate } from "./voxel-operator.js";
import { voxelApplyRange } from "./voxel-kernel.js";
import { serialVectorOps, type VectorOps } from "./vector-ops.js";

export type PreconditionerKind = "mg" | "jacobi" | "direct";

export interface SolveOptions {
  /** Relative residual ||b - K u|| / ||b|| to reach (default 1e-6). */
  tol?: number;
  /** Default 10000. */
  maxIterations?: number;
  /** Voxel models: "mg" (default) or "jacobi". Unstructured: "jacobi" (default) or "direct". */
  preconditioner?: PreconditionerKind;
  /** Warm start: a displacement (3 per node), e.g. the solution of a nearby load case. */
  initialDisplacement?: ArrayLike<number>;
  onProgress?: (p: SolveProgress) => void;
  /** Report progress every this many iterations (default 10). */
  progressEvery?: number;
  multigrid?: MultigridOptions;
  /**
   * Keep the multigrid preconditioner (with its rigid-cap block) for later solves of the same mesh
   * and constraints, e.g. the secant solves of a pushover where only element moduli change: a
   * preconditioner built for other moduli is still symmetric positive definite, so CG stays exact
   * and only needs more iterations. It is rebuilt when its iterations per decade of residual
   * reduction grow past `rebuildFactor` x those right after its build. See
   * {@link createPreconditionerCache}. Ignored by the jacobi and direct solvers.
   */
  reuse?: PreconditionerCache;
  /**
   * How voxel operators are applied (internal: the parallel solver injects its own). Also supplies
   * work vectors and the dot product.
   */
  engine?: SolverEngine;
}

/** Supplies the operator application and vector storage (serial by default). */
export interface SolverEngine {
  threads: number;
  operatorFactory: OperatorFactory;
  allocate(n: number): Float64Array;
  ops: VectorOps;
}

/** The serial engine. */
export const serialEngine: SolverEngine = {
  threads: 1,
  operatorFactory: (op) => {
    const n = 3 * op.nodeCount;
    return (x, y) => {
      y.fill(0, 0, n);
      voxelApplyRange(op.conn, op.scale, op.kb, x, y, 0, op.scale.length);
    };
  },
  allocate: (n) => new Float64Array(n),
  ops: serialVectorOps,
};

/**
 * Holds a preconditioner between solves ({@link SolveOptions.reuse}). Create one per sequence of
 * related solves (one mesh, one set of constrained DOFs, one engine); counters say what happened.
 */
export interface PreconditionerCache {
  /** Rebuild when a reused preconditioner needs this many times the iterations per decade it needed when built (default 2). */
  readonly rebuildFactor: number;
  /** Preconditioners built so far. */
  builds: number;
  /** Solves that reused a kept preconditioner. */
  reuses: number;
  /** @internal the kept preconditioner. */
  entry?: CacheEntry;
}

/** @internal */
export interface CacheEntry {
  key: PreconditionerKey;
  apply: ApplyFn;
  /** CG iterations per decade of residual reduction, first measured with this preconditioner. */
  perDecade: number;
  /** Set when a later solve converged much slower: the next solve rebuilds. */
  stale: boolean;
}

/** What a kept preconditioner depends on besides the moduli. */
interface PreconditionerKey {
  engine: SolverEngine;
  conn: Int32Array;
  voxels: Int32Array;
  dims: readonly number[];
  spacing: readonly number[];
  poisson: number;
  multigrid: string;
  constrained: Int32Array;
  caps: { nodes: Int32Array; arms: Float64Array; axes?: Float64Array }[];
}

/**
 * A cache that lets a sequence of solves share one multigrid preconditioner (see
 * {@link SolveOptions.reuse}).
 * @example
 * const cache = createPreconditionerCache();
 * const a = solve(model, bcs, { reuse: cache });
 * const softer = { ...model, modulus: model.modulus.map((E) => 0.5 * E) };
 * const b = solve(softer, bcs, { reuse: cache, initialDisplacement: a.displacement });
 * cache.builds; // 1
 * b.preconditionerReused; // true
 */
export function createPreconditionerCache(options: { rebuildFactor?: number } = {}): PreconditionerCache {
  const rebuildFactor = options.rebuildFactor ?? 2;
  if (!(rebuildFactor >= 1)) throw new ModelError(`rebuildFactor = ${rebuildFactor}: need >= 1`);
  return { rebuildFactor, builds: 0, reuses: 0 };
}

function preconditionerKey(m: VoxelModel, con: Constraints, engine: SolverEngine, mg: MultigridOptions | undefined): PreconditionerKey {
  return {
    engine, conn: m.conn, voxels: m.voxels, dims: [...m.dims], spacing: [...m.spacing], poisson: m.poisson, multigrid: JSON.stringify(mg ?? {}),
    constrained: con.constrainedDofs.slice(), caps: con.caps.map((c) => ({ nodes: c.nodes, arms: c.arms, axes: c.axes })),
  };
}

function sameArray(a: ArrayLike<number> | undefined, b: ArrayLike<number> | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameKey(a: PreconditionerKey, b: PreconditionerKey): boolean {
  return a.engine === b.engine && a.poisson === b.poisson && a.multigrid === b.multigrid && sameArray(a.dims, b.dims) && sameArray(a.spacing, b.spacing)
    && sameArray(a.voxels, b.voxels) && sameArray(a.conn, b.conn) && sameArray(a.constrained, b.constrained) && a.caps.length === b.caps.length
    && a.caps.every((c, i) => sameArray(c.nodes, b.caps[i].nodes) && sameArray(c.arms, b.caps[i].arms) && sameArray(c.axes, b.caps[i].axes));
}

/**
 * The rigid caps' coarse space of the preconditioner. A cap couples every node it holds to the rest
 * of the bone; its rigid motions with the bone following (bending of the whole femur under a free
 * head cap) are a few soft modes that the V-cycle (which sees the cap's nodes as held) and a
 * diagonal treatment of the reference DOFs leave to CG: on the hip model 78 iterations instead of
 * about 20 without caps. The fix is a balancing two-level preconditioner (Mandel 1993) with one
 * coarse vector per free reference DOF r: v_r = e_r - B K_ic e_r (the cap moving, the bone following
 * by the V-cycle B), the Galerkin matrix A_c = V^T A V (m x m, positive definite because A is) and
 * M^-1 = V A_c^-1 V^T + (I - V A_c^-1 V^T A) B~ (I - A V A_c^-1 V^T), with B~ the block-diagonal
 * preconditioner (V-cycle, Jacobi on the reference DOFs): symmetric positive definite whenever B~
 * is, so CG stays valid. Setup: per free reference DOF one V-cycle and one operator product; per
 * application one V-cycle and four passes of m multiply-adds per DOF.
 */
interface CapSpace {
  refs: Int32Array;
  /** Node parts of the coarse vectors v_a (n3 each); their reference parts are the identity on refs. */
  V: Float64Array[];
  /** A v_a (n each). */
  AV: Float64Array[];
  /** Cholesky factor of A_c (m x m, lower, row-major). */
  L: Float64Array;
  c1: Float64Array;
  c2: Float64Array;
  /** r - A V c1. */
  rt: Float64Array;
  n3: number;
}

function capSpace(
  vc: ApplyFn, applyA: ApplyFn, columns: Map<number, Float64Array>, n3: number, n: number, engine: SolverEngine, iterations: number,
): CapSpace | undefined {
  const refs = Int32Array.from([...columns.keys()].sort((a, b) => a - b));
  const m = refs.length;
  if (m === 0) return undefined;
  const alloc = engine.allocate;
  const V: Float64Array[] = [], AV: Float64Array[] = [];
  const tmp = alloc(n), z = alloc(n);
  // K_ii w = K_ic e_r by a few PCG iterations (the reference DOFs held at 0)
  const applyII: ApplyFn = (x, y) => { applyA(x, y); y.fill(0, n3, n); };
  const precII: ApplyFn = (r, w) => { vc(r, w); w.fill(0, n3, n); };
  for (let a = 0; a < m; a++) {
    const col = columns.get(refs[a])!;
    tmp.fill(0);
    tmp.set(col.subarray(0, n3));
    if (iterations > 0) {
      z.fill(0);
      pcg(applyII, precII, tmp, z, { tol: 0, maxIterations: iterations, ops: engine.ops, allocate: alloc });
    } else precII(tmp, z);
    // v_a = e_r - B K_ic e_r
    const v = new Float64Array(n3);
    for (let d = 0; d < n3; d++) v[d] = -z[d];
    tmp.fill(0);
    tmp.set(v);
    tmp[refs[a]] = 1;
    const y = new Float64Array(n);
    applyA(tmp, z);
    y.set(z);
    V.push(v);
    AV.push(y);
  }
  const Ac = new Float64Array(m * m);
  for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) Ac[a * m + b] = dotN(V[a], AV[b], n3) + AV[b][refs[a]];
  const L = new Float64Array(m * m);
  for (let a = 0; a < m; a++) {
    for (let b = 0; b <= a; b++) {
      let s = 0.5 * (Ac[a * m + b] + Ac[b * m + a]);
      for (let k = 0; k < b; k++) s -= L[a * m + k] * L[b * m + k];
      if (a === b) {
        if (!(s > 1e-12 * Math.abs(Ac[a * m + a]))) return undefined;
        L[a * m + a] = Math.sqrt(s);
      } else L[a * m + b] = s / L[b * m + b];
    }
  }
  return { refs, V, AV, L, c1: new Float64Array(m), c2: new Float64Array(m), rt: alloc(n), n3 };
}

function dotN(a: Float64Array, b: Float64Array, n: number): number {
  let s = 0;
  for (let d = 0; d < n; d++) s += a[d] * b[d];
  return s;
}

/** c = A_c^-1 c in place (Cholesky factor L). */
function choleskySmall(L: Float64Array, c: Float64Array): void {
  const m = c.length;
  for (let a = 0; a < m; a++) {
    let s = c[a];
    for (let k = 0; k < a; k++) s -= L[a * m + k] * c[k];
    c[a] = s / L[a * m + a];
  }
  for (let a = m - 1; a >= 0; a--) {
    let s = c[a];
    for (let k = a + 1; k < m; k++) s -= L[k * m + a] * c[k];
    c[a] = s / L[a * m + a];
  }
}

/** z = M^-1 r with the balancing preconditioner around B~ (`inner`). */
function applyCapSpace(cs: CapSpace, inner: ApplyFn, r: Float64Array, z: Float64Array): void {
  const { refs, V, AV, L, c1, c2, rt, n3 } = cs;
  const m = refs.length, n = rt.length;
  // c1 = A_c^-1 V^T r
  for (let a = 0; a < m; a++) c1[a] = dotN(V[a], r, n3) + r[refs[a]];
  choleskySmall(L, c1);
  // rt = r - A V c1
  rt.set(r.subarray(0, n));
  for (let a = 0; a < m; a++) {
    const w = AV[a], c = c1[a];
    for (let d = 0; d < n; d++) rt[d] -= w[d] * c;
  }
  // y = B~ rt (into z); c2 = A_c^-1 (A V)^T y
  inner(rt, z);
  for (let a = 0; a < m; a++) c2[a] = dotN(AV[a], z, n);
  choleskySmall(L, c2);
  // z = y + V (c1 - c2)
  for (let a = 0; a < m; a++) {
    const v = V[a], c = c1[a] - c2[a];
    for (let d = 0; d < n3; d++) z[d] += v[d] * c;
    z[refs[a]] += c;
  }
}

/** The result at a rigid cap's reference point. */
export interface ReferenceResult {
  set?: string;
  reference: [number, number, number];
  /** [ux, uy, uz, rx, ry, rz] (mm, rad). */
  displacement: number[];
  /** Force and moment the cap transmits, minus the applied load: [Fx, Fy, Fz, Mx, My, Mz] (N, N mm). */
  reaction: number[];
}

/** The solution of a static solve (plain data). */
export interface FeSolution {
  /** Nodal displacements, 3 per node (mm). */
  displacement: Float64Array;
  /** Nodal reactions K u - f, 3 per node (N); zero (to the tolerance) at free DOFs. */
  reactions: Float64Array;
  references: ReferenceResult[];
  /** 1/2 u^T K u (N mm = mJ). */
  strainEnergy: number;
  dofs: number;
  elements: number;
  iterations: number;
  converged: boolean;
  relativeResidual: number;
  history: number[];
  preconditioner: PreconditionerKind;
  /** True when the preconditioner was kept from an earlier solve ({@link SolveOptions.reuse}). */
  preconditionerReused: boolean;
  threads: number;
  /** Seconds to build the operator and preconditioner. */
  setupSeconds: number;
  /** Seconds of the iterative (or direct) solve. */
  seconds: number;
  warnings: string[];
}

/**
 * Solve K u = f with the boundary conditions. Runs on the calling thread by default; pass
 * `engine: createSolverEngine()` (from ./parallel.js) to use both cores for voxel models.
 * Throws ModelError for models that cannot be solved (no constraint, floating parts, bad nodes),
 * SolverDivergedError if CG breaks down; an unconverged solve returns with `converged: false` and a
 * warning.
 * @example
 * const m = createVoxelModel({ dims: [4, 4, 20], spacing: [1, 1, 1], mask: new Uint8Array(320).fill(1), modulus: 1000 });
 * const bottom = voxelNodesWhere(m, (i, j, k) => k === 0), top = voxelNodesWhere(m, (i, j, k) => k === 20);
 * const s = solve(m, [...fixed(bottom), { kind: "displacement", nodes: top, component: 2, value: -0.2 }]);
 * s.converged; // true
 */
export function solve(model: FeModel, bcs: readonly BoundaryCondition[], options: SolveOptions = {}): FeSolution {
  const t0 = performance.now();
  const engine = options.engine ?? serialEngine;
  const nn = nodeCount(model);
  const con = resolveConstraints(nn, bcs, (q) => nodePosition(model, q));
  const n = con.n, n3 = 3 * nn;
  const warnings: string[] = [];
  checkFloatingParts(model, con);
  const kind: PreconditionerKind = options.preconditioner ?? (model.kind === "voxel" ? "mg" : "jacobi");
  // the stiffness product on node DOFs
  let applyK: ApplyFn;
  let diagK: Float64Array;
  let K0: Float64Array | undefined;
  let csr: ReturnType<typeof assembleStiffness> | undefined;
  if (model.kind === "voxel") {
    if (kind === "direct") throw new ModelError('voxel models are solved iteratively: use preconditioner "mg" or "jacobi"');
    const level = voxelLevel(model);
    K0 = voxelTemplate(model.spacing, model.poisson);
    applyK = engine.operatorFactory(level, model.dims, model.voxels);
    diagK = voxelDiagonal(level);
  } else {
    if (kind === "mg") throw new ModelError('multigrid needs a voxel model; use "jacobi" or "direct" for unstructured models');
    csr = assembleStiffness(model);
    const A = csr;
    applyK = (x, y) => csrApply(A, x, y);
    diagK = csrDiagonal(A);
  }
  const alloc = engine.allocate;
  const xs = con.caps.length ? alloc(n) : undefined;
  /** y = T^T K T x on the extended vector, unmasked. */
  const applyFull = (x: Float64Array, y: Float64Array) => {
    let xin = x;
    if (xs) { xs.set(x); expandCaps(con, xs); xin = xs; }
    applyK(xin, y);
    if (xs) { y.fill(0, n3, n); condenseCaps(con, y); }
  };
  const cdofs = con.constrainedDofs;
  const applyA: ApplyFn = (x, y) => {
    applyFull(x, y);
    for (let q = 0; q < cdofs.length; q++) y[cdofs[q]] = 0;
  };
  // right-hand side b = T^T f - T^T K T u_bc on free DOFs
  const ubc = alloc(n);
  for (let d = 0; d < n; d++) if (con.prescribed[d]) ubc[d] = con.value[d];
  const b = alloc(n), w = alloc(n);
  applyFull(ubc, w);
  for (let d = 0; d < n; d++) b[d] = con.force[d] - w[d];
  for (let q = 0; q < cdofs.length; q++) b[cdofs[q]] = 0;
  // initial guess
  const x = alloc(n);
  if (options.initialDisplacement) {
    if (options.initialDisplacement.length !== n3) throw new ModelError(`initial displacement has ${options.initialDisplacement.length} values, need ${n3}`);
    for (let d = 0; d < n3; d++) x[d] = options.initialDisplacement[d];
    // reference DOFs: the rigid motion (in the cap's axes) that best fits the slaves' displacements
    for (let c = 0; c < con.caps.length; c++) fitCapMotion(con.caps[c], x, x.subarray(n3 + 6 * c, n3 + 6 * c + 6));
    for (let q = 0; q < cdofs.length; q++) x[cdofs[q]] = 0;
  }
  // a preconditioner kept from an earlier solve of the same mesh and constraints (multigrid only)
  const cache = kind === "mg" ? options.reuse : undefined;
  const key = cache ? preconditionerKey(model as VoxelModel, con, engine, options.multigrid) : undefined;
  const reused = cache?.entry !== undefined && !cache.entry.stale && sameKey(cache.entry.key, key!) ? cache.entry : undefined;
  // diagonal of T^T K T, and the reference DOFs' columns of T^T K T (products with unit vectors)
  const diag = new Float64Array(n);
  diag.set(diagK.subarray(0, n3));
  const capColumns = new Map<number, Float64Array>();
  if (con.caps.length && !reused) {
    const e = alloc(n), y = alloc(n);
    for (let r = n3; r < n; r++) {
      e.fill(0); e[r] = 1;
      applyFull(e, y);
      diag[r] = y[r];
      if (kind === "mg" && !con.prescribed[r]) {
        for (let q = 0; q < cdofs.length; q++) y[cdofs[q]] = 0;
        capColumns.set(r, y.slice());
      }
    }
  }
  const invDiag = alloc(n);
  for (let d = 0; d < n; d++) invDiag[d] = diag[d] > 0 ? 1 / diag[d] : 0;
  for (let q = 0; q < cdofs.length; q++) invDiag[cdofs[q]] = 0;
  for (let d = 0; d < (reused ? n3 : n); d++) {
    if (!(diag[d] > 0) && !isConstrained(con, d, cdofs)) throw new ModelError(`DOF ${d} (node ${Math.floor(d / 3)}) has no stiffness: the node belongs to no element`);
  }
  const jacobi: ApplyFn = (r, z) => engine.ops.mul(invDiag, r, z);
  let precondition: ApplyFn = jacobi;
  let setupSeconds: number;
  let iterations = 0, converged = true, relativeResidual = 0, history: number[] = [];
  let tSolve: number;
  if (kind === "direct") {
    const A = csr!;
    if (con.caps.length) throw new ModelError("the direct solver does not handle rigid caps; use the jacobi preconditioner");
    const num = new Int32Array(n).fill(-1);
    let nf = 0;
    for (let d = 0; d < n; d++) if (!con.prescribed[d]) num[d] = nf++;
    const rows: [number, number][][] = Array.from({ length: nf }, () => []);
    for (let i = 0; i < n; i++) {
      if (num[i] < 0) continue;
      for (let p = A.rowPtr[i]; p < A.rowPtr[i + 1]; p++) { const j = A.col[p]; if (num[j] >= 0 && j <= i) rows[num[i]].push([num[j], A.val[p]]); }
    }
    setupSeconds = (performance.now() - t0) / 1000;
    tSolve = performance.now();
    const f = choleskyFactor(nf, rows);
    const bf = new Float64Array(nf);
    for (let d = 0; d < n; d++) if (num[d] >= 0) bf[num[d]] = b[d];
    const xf = choleskySolve(f, bf);
    for (let d = 0; d < n; d++) if (num[d] >= 0) x[d] = xf[num[d]];
    history = [0];
  } else {
    let entry: CacheEntry | undefined = reused;
    if (kind === "mg" && reused) precondition = reused.apply;
    else if (kind === "mg") {
      const vm = model as VoxelModel;
      const constrained = new Uint8Array(n3);
      for (let q = 0; q < cdofs.length; q++) if (cdofs[q] < n3) constrained[cdofs[q]] = 1;
      const mg = buildMultigrid(voxelLevel(vm), vm.dims, vm.voxels, vm.nodeGrid, constrained, K0!, options.multigrid, engine.operatorFactory, alloc, engine.ops);
      const rn = alloc(n3), zn = alloc(n3);
      const vc: ApplyFn = (r, z) => {
        rn.set(r.subarray(0, n3));
        vcycle(mg, rn, zn);
        z.set(zn, 0);
        for (let d = n3; d < n; d++) z[d] = invDiag[d] * r[d];
      };
      const space = capSpace(vc, applyA, capColumns, n3, n, engine, mg.options.capIterations);
      if (!space && capColumns.size) warnings.push("the rigid caps' coarse space is singular; the caps are preconditioned by their diagonal only (more iterations)");
      precondition = space ? (r, z) => applyCapSpace(space, vc, r, z) : vc;
      if (cache) cache.entry = entry = { key: key!, apply: precondition, perDecade: NaN, stale: false };
      if (cache) cache.builds++;
    }
    if (reused && cache) cache.reuses++;
    setupSeconds = (performance.now() - t0) / 1000;
    tSolve = performance.now();
    const res = pcg(applyA, precondition, b, x, {
      tol: options.tol, maxIterations: options.maxIterations, onProgress: options.onProgress, progressEvery: options.progressEvery, ops: engine.ops, allocate: alloc,
    });
    ({ iterations, converged, relativeResidual, history } = res);
    if (entry && cache) {
      // iterations per decade of residual reduction: a reused preconditioner that has become much
      // worse than when it was built (the operator has drifted) is rebuilt by the next solve
      const decades = Math.log10(history[0] / Math.max(relativeResidual, 1e-300));
      if (iterations >= 4 && decades > 0.5) {
        const perDecade = iterations / decades;
        if (!(entry.perDecade > 0)) entry.perDecade = perDecade;
        else if (perDecade > cache.rebuildFactor * entry.perDecade) entry.stale = true;
      }
    }
    if (!converged) warnings.push(`not converged: relative residual ${relativeResidual.toExponential(2)} after ${iterations} iterations (tolerance ${options.tol ?? 1e-6}); results are approximate`);
  }
  const seconds = (performance.now() - tSolve) / 1000;
  // full displacement and reactions
  const u = new Float64Array(n);
  for (let d = 0; d < n; d++) u[d] = x[d] + ubc[d];
  expandCaps(con, u);
  const fint = alloc(n);
  applyK(u, fint);
  let energy = 0;
  for (let d = 0; d < n3; d++) energy += u[d] * fint[d];
  // external nodal forces before condensation: re-resolve forces only
  const fnode = new Float64Array(n3);
  for (const bc of bcs) if (bc.kind === "force") for (let k = 0; k < bc.nodes.length; k++) fnode[3 * bc.nodes[k] + bc.component] += bc.value;
  const reactions = new Float64Array(n3);
  for (let d = 0; d < n3; d++) reactions[d] = fint[d] - fnode[d];
  const references: ReferenceResult[] = [];
  if (con.caps.length) {
    const g = new Float64Array(n);
    g.set(fint.subarray(0, n3));
    condenseCaps(con, g);
    con.caps.forEach((cap, c) => {
      const r = n3 + 6 * c;
      references.push({
        set: cap.set, reference: cap.reference,
        displacement: Array.from(u.subarray(r, r + 6)),
        reaction: Array.from({ length: 6 }, (_, d) => g[r + d] - con.force[r + d]),
      });
    });
  }
  return {
    displacement: u.slice(0, n3), reactions, references, strainEnergy: 0.5 * energy, dofs: n3, elements: elementCount(model),
    iterations, converged, relativeResidual, history, preconditioner: kind, preconditionerReused: reused !== undefined, threads: model.kind === "voxel" ? engine.threads : 1,
    setupSeconds, seconds, warnings,
  };
}

/**
 * The rigid motion of a cap that best fits (least squares) its slave nodes' displacements u:
 * translation t and small rotation theta with u_s ~ t + theta x arm_s, written into `out` as
 * [t, theta] in the cap's own axes (the reference DOFs' convention). Exact when u is the solution
 * of a solve with the same cap (or a multiple of it), so a warm start has no residual at the cap.
 * @example
 * const con = resolveConstraints(nodeCount(model), bcs, (q) => nodePosition(model, q));
 * const motion = new Float64Array(6);
 * fitCapMotion(con.caps[0], solution.displacement, motion); // = solution.references[0].displacement
 */
export function fitCapMotion(cap: RigidCap, u: ArrayLike<number>, out: Float64Array): void {
  const M = new Float64Array(36), g = new Float64Array(6);
  const { nodes, arms } = cap;
  const J = new Float64Array(18); // 3 x 6, row-major
  for (let k = 0; k < nodes.length; k++) {
    const ax = arms[3 * k], ay = arms[3 * k + 1], az = arms[3 * k + 2], d = 3 * nodes[k];
    // rows: [I | S] with S theta = theta x arm
    J.set([1, 0, 0, 0, az, -ay, 0, 1, 0, -az, 0, ax, 0, 0, 1, ay, -ax, 0]);
    for (let i = 0; i < 3; i++) {
      const ui = u[d + i];
      for (let a = 0; a < 6; a++) {
        const ja = J[6 * i + a];
        if (ja === 0) continue;
        g[a] += ja * ui;
        for (let b = 0; b < 6; b++) M[6 * a + b] += ja * J[6 * i + b];
      }
    }
  }
  // a tiny ridge keeps the fit defined for a single node or a line of nodes (rotation about it: 0)
  let tr = 0;
  for (let a = 0; a < 6; a++) tr += M[7 * a];
  for (let a = 0; a < 6; a++) M[7 * a] += 1e-12 * tr + 1e-300;
  const v = solveDense(6, M, g);
  const A = cap.axes;
  for (let h = 0; h < 2; h++) {
    const x = v[3 * h], y = v[3 * h + 1], z = v[3 * h + 2];
    // model -> local axes: v_l = A^T v_g
    out[3 * h] = A ? A[0] * x + A[3] * y + A[6] * z : x;
    out[3 * h + 1] = A ? A[1] * x + A[4] * y + A[7] * z : y;
    out[3 * h + 2] = A ? A[2] * x + A[5] * y + A[8] * z : z;
  }
}

/** Solve the small dense system M x = b (Gaussian elimination, partial pivoting; M and b are overwritten). */
function solveDense(n: number, M: Float64Array, b: Float64Array): Float64Array {
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[n * r + c]) > Math.abs(M[n * p + c])) p = r;
    if (p !== c) {
      for (let k = 0; k < n; k++) { const t = M[n * c + k]; M[n * c + k] = M[n * p + k]; M[n * p + k] = t; }
      const t = b[c]; b[c] = b[p]; b[p] = t;
    }
    const piv = M[n * c + c];
    for (let r = c + 1; r < n; r++) {
      const f = M[n * r + c] / piv;
      if (f === 0) continue;
      for (let k = c; k < n; k++) M[n * r + k] -= f * M[n * c + k];
      b[r] -= f * b[c];
    }
  }
  const x = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r];
    for (let k = r + 1; k < n; k++) s -= M[n * r + k] * x[k];
    x[r] = s / M[n * r + r];
  }
  return x;
}

/** Throw a ModelError if a connected part of the mesh has no constrained DOF (it would float). */
function checkFloatingParts(model: FeModel, con: Constraints): void {
  const { label, count } = nodeComponents(model);
  if (count === 1) return;
  const held = new Uint8Array(count);
  const nn = label.length;
  for (const d of con.constrainedDofs) if (d < 3 * nn) held[label[Math.floor(d / 3)]] = 1;
  const sizes = new Int32Array(count);
  for (let q = 0; q < nn; q++) sizes[label[q]]++;
  let parts = 0, nodes = 0;
  for (let c = 0; c < count; c++) if (!held[c]) { parts++; nodes += sizes[c]; }
  if (parts > 0) {
    throw new ModelError(`${parts} part(s) of the mesh (${nodes} nodes) are not connected to any constrained node and would float: keep only the largest connected component of the mask, or constrain every part`);
  }
}

function isConstrained(con: Constraints, d: number, cdofs: Int32Array): boolean {
  let lo = 0, hi = cdofs.length - 1;
  while (lo <= hi) {
    const m = (lo + hi) >> 1;
    if (cdofs[m] === d) return true;
    if (cdofs[m] < d) lo = m + 1; else hi = m - 1;
  }
  return con.prescribed[d] === 1;
}
