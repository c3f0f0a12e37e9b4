/**
 * Assembled sparse stiffness (compressed sparse rows) for unstructured models.
 * @module
 */
import { elementStiffness, NODES_PER_ELEMENT } from "../element.js";
import { isotropicElasticity } from "../material.js";
import type { UnstructuredModel } from "../unstructured-model.js";

/** A square sparse matrix in CSR form (column indices ascending within a row). */
export interface CsrMatrix {
  n: number;
  rowPtr: Int32Array;
  col: Int32Array;
  val: Float64Array;
}

/**
 * Assemble the global stiffness K (3 DOF per node) of an unstructured model.
 * @example
 * const K = assembleStiffness(model); csrApply(K, u, f);
 */
export function assembleStiffness(m: UnstructuredModel): CsrMatrix {
  const nn = m.nodes.length / 3, n = 3 * nn;
  // node adjacency
  const adj: Set<number>[] = Array.from({ length: nn }, () => new Set<number>());
  for (const b of m.blocks) {
    const npe = NODES_PER_ELEMENT[b.type];
    for (let e = 0; e < b.modulus.length; e++) {
      for (let a = 0; a < npe; a++) for (let c = 0; c < npe; c++) adj[b.conn[npe * e + a]].add(b.conn[npe * e + c]);
    }
  }
  const rowPtr = new Int32Array(n + 1);
  const nbrs = adj.map((s) => Int32Array.from(s).sort());
  for (let i = 0; i < nn; i++) for (let c = 0; c < 3; c++) rowPtr[3 * i + c + 1] = rowPtr[3 * i + c] + 3 * nbrs[i].length;
  const col = new Int32Array(rowPtr[n]);
  for (let i = 0; i < nn; i++) {
    for (let c = 0; c < 3; c++) {
      let p = rowPtr[3 * i + c];
      for (const j of nbrs[i]) { col[p++] = 3 * j; col[p++] = 3 * j + 1; col[p++] = 3 * j + 2; }
    }
  }
  const val = new Float64Array(col.length);
  const coords = new Float64Array(24);
  for (const b of m.blocks) {
    const npe = NODES_PER_ELEMENT[b.type];
    for (let e = 0; e < b.modulus.length; e++) {
      const nodes = b.conn.subarray(npe * e, npe * e + npe);
      for (let a = 0; a < npe; a++) for (let d = 0; d < 3; d++) coords[3 * a + d] = m.nodes[3 * nodes[a] + d];
      const K = elementStiffness(b.type, coords.subarray(0, 3 * npe), isotropicElasticity(b.modulus[e], b.poisson[e]));
      const k3 = 3 * npe;
      for (let a = 0; a < npe; a++) {
        const ni = nodes[a], list = nbrs[ni];
        for (let c = 0; c < npe; c++) {
          // position of node nodes[c] within row ni (binary search)
          let lo = 0, hi = list.length - 1;
          const t = nodes[c];
          while (list[(lo + hi) >> 1] !== t) { if (list[(lo + hi) >> 1] < t) lo = ((lo + hi) >> 1) + 1; else hi = ((lo + hi) >> 1) - 1; }
          const pos = 3 * ((lo + hi) >> 1);
          for (let i = 0; i < 3; i++) {
            const base = rowPtr[3 * ni + i] + pos;
            for (let j = 0; j < 3; j++) val[base + j] += K[(3 * a + i) * k3 + 3 * c + j];
          }
        }
      }
    }
  }
  return { n, rowPtr, col, val };
}

/** y = A x. */
export function csrApply(A: CsrMatrix, x: Float64Array, y: Float64Array): void {
  const { n, rowPtr, col, val } = A;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let p = rowPtr[i]; p < rowPtr[i + 1]; p++) s += val[p] * x[col[p]];
    y[i] = s;
  }
}

/** The diagonal of A. */
export function csrDiagonal(A: CsrMatrix): Float64Array {
  const d = new Float64Array(A.n);
  for (let i = 0; i < A.n; i++) for (let p = A.rowPtr[i]; p < A.rowPtr[i + 1]; p++) if (A.col[p] === i) d[i] = A.val[p];
  return d;
}
