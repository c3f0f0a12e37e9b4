/**
 * Preconditioned conjugate gradients for a symmetric positive definite operator, given as
 * functions (matrix-free). Stops on the relative residual ||r|| / ||b|| <= tol.
 * @module
 */
import { SolverDivergedError } from "../errors.js";
import { serialVectorOps, type VectorOps } from "./vector-ops.js";

/** y = A x. */
export type ApplyFn = (x: Float64Array, y: Float64Array) => void;

/** Progress of an iterative solve, reported to notebooks and the CLI. */
export interface SolveProgress {
  iteration: number;
  /** ||r|| / ||b||. */
  residual: number;
  /** Seconds since the solve started. */
  elapsed: number;
}

export interface PcgOptions {
  /** Relative residual to reach (default 1e-6). */
  tol?: number;
  /** Default 10000. */
  maxIterations?: number;
  /** Called every `progressEvery` iterations (default 10) and at the end. */
  onProgress?: (p: SolveProgress) => void;
  progressEvery?: number;
  /** Vector operations (default serial); the parallel engine passes its own. */
  ops?: VectorOps;
  /** Allocate a work vector (default a plain Float64Array; shared memory for parallel operators). */
  allocate?: (n: number) => Float64Array;
}

export interface PcgResult {
  iterations: number;
  converged: boolean;
  /** Final ||r|| / ||b|| (recursively updated residual). */
  relativeResidual: number;
  /** ||r|| / ||b|| after each iteration (index 0 = initial guess). */
  history: number[];
}

/**
 * Solve A x = b by PCG, starting from the x given (warm start; zeros for a cold start).
 * `precondition(r, z)` writes z = M^-1 r for a symmetric positive definite M.
 * @example
 * const res = pcg((x, y) => { y[0] = 4 * x[0] + x[1]; y[1] = x[0] + 3 * x[1]; },
 *   (r, z) => { z[0] = r[0] / 4; z[1] = r[1] / 3; }, Float64Array.of(1, 2), new Float64Array(2));
 */
export function pcg(apply: ApplyFn, precondition: ApplyFn, b: Float64Array, x: Float64Array, opts: PcgOptions = {}): PcgResult {
  const tol = opts.tol ?? 1e-6, maxIt = opts.maxIterations ?? 10000, every = opts.progressEvery ?? 10;
  const ops = opts.ops ?? serialVectorOps, dot = ops.dot, alloc = opts.allocate ?? ((k: number) => new Float64Array(k));
  const n = b.length;
  const r = alloc(n), z = alloc(n), p = alloc(n), q = alloc(n);
  const t0 = performance.now();
  const bnorm = Math.sqrt(dot(b, b));
  const history: number[] = [];
  if (bnorm === 0) {
    x.fill(0);
    return { iterations: 0, converged: true, relativeResidual: 0, history: [0] };
  }
  apply(x, q);
  for (let i = 0; i < n; i++) r[i] = b[i] - q[i];
  let rr = dot(r, r);
  history.push(Math.sqrt(rr) / bnorm);
  precondition(r, z);
  p.set(z);
  let rz = dot(r, z);
  let it = 0;
  const report = () => opts.onProgress?.({ iteration: it, residual: Math.sqrt(rr) / bnorm, elapsed: (performance.now() - t0) / 1000 });
  while (Math.sqrt(rr) > tol * bnorm && it < maxIt) {
    apply(p, q);
    const pq = dot(p, q);
    if (!(pq > 0)) throw new SolverDivergedError(`conjugate gradients broke down at iteration ${it} (p.Ap = ${pq}): the stiffness matrix is not positive definite - check for parts not connected to any constraint`);
    const alpha = rz / pq;
    rr = ops.cgUpdate(x, r, p, q, alpha);
    precondition(r, z);
    const rzNew = dot(r, z);
    const beta = rzNew / rz;
    rz = rzNew;
    ops.xpby(z, p, beta);
    it++;
    history.push(Math.sqrt(rr) / bnorm);
    if (!Number.isFinite(rr)) throw new SolverDivergedError(`conjugate gradients produced a non-finite residual at iteration ${it}`);
    if (it % every === 0) report();
  }
  report();
  const rel = Math.sqrt(rr) / bnorm;
  return { iterations: it, converged: rel <= tol, relativeResidual: rel, history };
}
