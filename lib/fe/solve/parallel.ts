/**
 * The parallel solver engine: voxel operator products on several threads through the shared worker
 * pool (lib/parallel/pool.ts). Work vectors live in SharedArrayBuffers so every thread reads and
 * writes them in place.
 *
 * Race-free accumulation without atomics or private copies: elements are sorted by voxel index,
 * hence by z layer; the layers are cut into 2 x threads chunks of equal work. Chunks 0, 2, 4, ... run
 * at the same time (they are separated by a whole chunk, so they share no node), then chunks
 * 1, 3, 5, ... . Each product costs two barriers plus the dispatch.
 * @module
 */
import { availableParallelism } from "node:os";
import { createPool, type Kernel, type Pool } from "../../parallel/pool.js";
import type { Vec3 } from "../voxel-model.js";
import type { ApplyFn } from "./pcg.js";
import { serialEngine, type SolverEngine } from "./solve.js";
import { voxelApplyRange } from "./voxel-kernel.js";
import { chebRange, cgUpdateRange, dotRange, mulRange, serialVectorOps, xpbyRange, type VectorOps } from "./vector-ops.js";

/** Vectors shorter than this are processed serially. */
const MIN_PARALLEL_LENGTH = 20000;

/**
 * Element-wise vector operations on a slice per rank. args: [op, n, id0, id1, id2, id3, id4, s0, s1]
 * (id -1 = null). op 0 dot, 1 cgUpdate, 2 xpby, 3 mul, 4 chebStep. Partial sums go to table.P[rank].
 */
const vectorKernel: Kernel = (ctx, t, a) => {
  const h = ctx.helpers as unknown as {
    dotRange: (a: Float64Array, b: Float64Array, i0: number, i1: number) => number;
    cgUpdateRange: (x: Float64Array, r: Float64Array, p: Float64Array, q: Float64Array, al: number, i0: number, i1: number) => number;
    xpbyRange: (z: Float64Array, p: Float64Array, b: number, i0: number, i1: number) => void;
    mulRange: (w: Float64Array, r: Float64Array, z: Float64Array, i0: number, i1: number) => void;
    chebRange: (d: Float64Array, x: Float64Array, w: Float64Array, r: Float64Array, tt: Float64Array | null, c1: number, c2: number, i0: number, i1: number) => void;
  };
  const n = a[1], per = Math.ceil(n / ctx.size / 8) * 8;
  const i0 = Math.min(n, ctx.rank * per), i1 = Math.min(n, (ctx.rank + 1) * per);
  const v = (k: number) => (a[2 + k] < 0 ? null : (t["V" + a[2 + k]] as Float64Array));
  const P = t.P as Float64Array;
  switch (a[0]) {
    case 0: P[ctx.rank] = h.dotRange(v(0)!, v(1)!, i0, i1); break;
    case 1: P[ctx.rank] = h.cgUpdateRange(v(0)!, v(1)!, v(2)!, v(3)!, a[7], i0, i1); break;
    case 2: h.xpbyRange(v(0)!, v(1)!, a[7], i0, i1); break;
    case 3: h.mulRange(v(0)!, v(1)!, v(2)!, i0, i1); break;
    case 4: h.chebRange(v(0)!, v(1)!, v(2)!, v(3)!, v(4), a[7], a[8], i0, i1); break;
  }
};

/** Levels with fewer elements than this are applied serially (dispatch would cost more). */
const MIN_PARALLEL_ELEMENTS = 4000;

const voxelApplyKernel: Kernel = (ctx, t, a) => {
  const L = t["L" + a[0]] as { conn: Int32Array; scale: Float64Array; kb: Float64Array; chunks: Int32Array; n3: number };
  const x = t["V" + a[1]] as Float64Array, y = t["V" + a[2]] as Float64Array;
  const per = Math.ceil(L.n3 / ctx.size);
  y.fill(0, Math.min(L.n3, ctx.rank * per), Math.min(L.n3, (ctx.rank + 1) * per));
  ctx.barrier();
  const apply = ctx.helpers.voxelApplyRange as unknown as (c: Int32Array, s: Float64Array, k: Float64Array, x: Float64Array, y: Float64Array, e0: number, e1: number) => void;
  for (let phase = 0; phase < 2; phase++) {
    const c = 2 * ctx.rank + phase;
    apply(L.conn, L.scale, L.kb, x, y, L.chunks[c], L.chunks[c + 1]);
    if (phase === 0) ctx.barrier();
  }
};

function sharedCopy<T extends Int32Array | Float64Array>(a: T): T {
  const b = new (a.constructor as { new (buf: SharedArrayBuffer): T })(new SharedArrayBuffer(a.byteLength));
  b.set(a as never);
  return b;
}

/** Chunk boundaries at layer changes, 2 * size chunks of about equal element counts, or undefined. */
export function layerChunks(dims: Vec3, voxels: Int32Array, size: number): Int32Array | undefined {
  const nc = 2 * size, ne = voxels.length, layer = dims[0] * dims[1];
  const chunks = new Int32Array(nc + 1);
  chunks[nc] = ne;
  for (let c = 1; c < nc; c++) {
    let e = Math.floor((ne * c) / nc);
    const k = Math.floor(voxels[e] / layer);
    while (e > 0 && Math.floor(voxels[e - 1] / layer) === k) e--;
    chunks[c] = e;
  }
  for (let c = 1; c <= nc; c++) if (chunks[c] <= chunks[c - 1]) return undefined;
  return chunks;
}

/** A solver engine with its pool; close() when done (or let it be collected at exit). */
export interface ClosableEngine extends SolverEngine {
  close(): void;
}

/**
 * An engine on `threads` threads (default: up to 2, one per available core). With 1 thread it is
 * the serial engine.
 * @example
 * const engine = createSolverEngine({ threads: 2 });
 * try { solve(model, bcs, { engine }); } finally { engine.close(); }
 */
export function createSolverEngine(opts: { threads?: number } = {}): ClosableEngine {
  const threads = Math.max(1, Math.floor(opts.threads ?? Math.min(2, availableParallelism())));
  if (threads === 1) return { ...serialEngine, close() {} };
  const pool: Pool = createPool(threads, { voxelApply: voxelApplyKernel, vector: vectorKernel }, { voxelApplyRange, dotRange, cgUpdateRange, xpbyRange, mulRange, chebRange });
  const ids = new WeakMap<Float64Array, number>();
  const partial = new Float64Array(new SharedArrayBuffer(8 * pool.size));
  pool.share({ P: partial });
  const vargs = new Float64Array(9);
  /** Run op over registered vectors in parallel; false if any is not registered or n is small. */
  const par = (op: number, vs: (Float64Array | null)[], s0 = 0, s1 = 0): boolean => {
    const n = vs[0]!.length;
    if (n < MIN_PARALLEL_LENGTH) return false;
    vargs[0] = op;
    vargs[1] = n;
    for (let k = 0; k < 5; k++) {
      const vk = vs[k];
      if (!vk) { vargs[2 + k] = -1; continue; }
      const id = ids.get(vk);
      if (id === undefined || vk.length !== n) return false;
      vargs[2 + k] = id;
    }
    vargs[7] = s0;
    vargs[8] = s1;
    pool.run("vector", vargs);
    return true;
  };
  const sumPartial = () => { let s = 0; for (let k = 0; k < pool.size; k++) s += partial[k]; return s; };
  const ops: VectorOps = {
    dot: (a, b) => (par(0, [a, b, null, null, null]) ? sumPartial() : serialVectorOps.dot(a, b)),
    cgUpdate: (x, r, p, q, al) => (par(1, [x, r, p, q, null], al) ? sumPartial() : serialVectorOps.cgUpdate(x, r, p, q, al)),
    xpby: (z, p, b) => { if (!par(2, [z, p, null, null, null], b)) serialVectorOps.xpby(z, p, b); },
    mul: (w, r, z) => { if (!par(3, [w, r, z, null, null])) serialVectorOps.mul(w, r, z); },
    chebStep: (d, x, w, r, tt, c1, c2) => { if (!par(4, [d, x, w, r, tt], c1, c2)) serialVectorOps.chebStep(d, x, w, r, tt, c1, c2); },
  };
  let nextVec = 0, nextLevel = 0;
  const allocate = (n: number) => {
    const v = new Float64Array(new SharedArrayBuffer(8 * Math.max(1, n)), 0, n);
    const id = nextVec++;
    ids.set(v, id);
    pool.share({ ["V" + id]: v });
    return v;
  };
  const operatorFactory = (op: { nodeCount: number; conn: Int32Array; scale: Float64Array; kb: Float64Array }, dims: Vec3, voxels: Int32Array): ApplyFn => {
    const n3 = 3 * op.nodeCount;
    const serial: ApplyFn = (x, y) => {
      y.fill(0, 0, n3);
      voxelApplyRange(op.conn, op.scale, op.kb, x, y, 0, op.scale.length);
    };
    const chunks = op.scale.length >= MIN_PARALLEL_ELEMENTS ? layerChunks(dims, voxels, pool.size) : undefined;
    if (!chunks) return serial;
    const id = nextLevel++;
    pool.share({ ["L" + id]: { conn: sharedCopy(op.conn), scale: sharedCopy(op.scale), kb: sharedCopy(op.kb), chunks, n3 } });
    const args = new Float64Array(3);
    args[0] = id;
    return (x, y) => {
      const xi = ids.get(x), yi = ids.get(y);
      if (xi === undefined || yi === undefined) return serial(x, y);
      args[1] = xi;
      args[2] = yi;
      pool.run("voxelApply", args);
    };
  };
  return { threads, operatorFactory, allocate, ops, close: () => pool.close() };
}
