/**
 * Solve a linear static FE problem: a model, its boundary conditions, options -> a Solution (plain
 * data). Voxel models use the matrix-free operator with multigrid (default) or Jacobi PCG;
 * unstructured models use the assembled sparse matrix with Jacobi PCG or a direct solve.
 * @module
 */
import { condenseCaps, expandCaps, resolveConstraints, type BoundaryCondition, type Constraints } from "../bc.js";
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
    con.caps.forEach((cap, c) => {
      // reference translation: mean of the slaves' displacements
      for (let k = 0; k < cap.nodes.length; k++) for (let d = 0; d < 3; d++) x[n3 + 6 * c + d] += x[3 * cap.nodes[k] + d] / cap.nodes.length;
    });
    for (let q = 0; q < cdofs.length; q++) x[cdofs[q]] = 0;
  }
  // diagonal of T^T K T (reference DOFs by products with unit vectors)
  const diag = new Float64Array(n);
  diag.set(diagK.subarray(0, n3));
  if (con.caps.length) {
    const e = alloc(n), y = alloc(n);
    for (let r = n3; r < n; r++) {
      e.fill(0); e[r] = 1;
      applyFull(e, y);
      diag[r] = y[r];
    }
  }
  const invDiag = alloc(n);
  for (let d = 0; d < n; d++) invDiag[d] = diag[d] > 0 ? 1 / diag[d] : 0;
  for (let q = 0; q < cdofs.length; q++) invDiag[cdofs[q]] = 0;
  for (let d = 0; d < n; d++) {
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
    if (kind === "mg") {
      const vm = model as VoxelModel;
      const constrained = new Uint8Array(n3);
      for (let q = 0; q < cdofs.length; q++) if (cdofs[q] < n3) constrained[cdofs[q]] = 1;
      const mg = buildMultigrid(voxelLevel(vm), vm.dims, vm.voxels, vm.nodeGrid, constrained, K0!, options.multigrid, engine.operatorFactory, alloc, engine.ops);
      const rn = alloc(n3), zn = alloc(n3);
      precondition = (r, z) => {
        rn.set(r.subarray(0, n3));
        vcycle(mg, rn, zn);
        z.set(zn, 0);
        for (let d = n3; d < n; d++) z[d] = invDiag[d] * r[d];
      };
    }
    setupSeconds = (performance.now() - t0) / 1000;
    tSolve = performance.now();
    const res = pcg(applyA, precondition, b, x, {
      tol: options.tol, maxIterations: options.maxIterations, onProgress: options.onProgress, progressEvery: options.progressEvery, ops: engine.ops, allocate: alloc,
    });
    ({ iterations, converged, relativeResidual, history } = res);
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
    iterations, converged, relativeResidual, history, preconditioner: kind, threads: model.kind === "voxel" ? engine.threads : 1,
    setupSeconds, seconds, warnings,
  };
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
