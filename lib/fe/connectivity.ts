/**
 * Connected parts of a mesh (elements sharing a node), to find floating parts: pieces that no
 * boundary condition holds, which make the stiffness matrix singular.
 * @module
 */
import { NODES_PER_ELEMENT } from "./element.js";
import type { FeModel } from "./model.js";
import { nodeCount } from "./model.js";

/** Component label (0..count-1) of every node; nodes of no element get their own label. */
export function nodeComponents(model: FeModel): { label: Int32Array; count: number } {
  const nn = nodeCount(model);
  const parent = new Int32Array(nn);
  for (let q = 0; q < nn; q++) parent[q] = q;
  const find = (q: number): number => {
    while (parent[q] !== q) { parent[q] = parent[parent[q]]; q = parent[q]; }
    return q;
  };
  const union = (conn: Int32Array, npe: number) => {
    for (let e = 0; e < conn.length; e += npe) {
      const r0 = find(conn[e]);
      for (let a = 1; a < npe; a++) {
        const r = find(conn[e + a]);
        if (r !== r0) parent[r] = r0;
      }
    }
  };
  if (model.kind === "voxel") union(model.conn, 8);
  else for (const b of model.blocks) union(b.conn, NODES_PER_ELEMENT[b.type]);
  const label = new Int32Array(nn).fill(-1), map = new Int32Array(nn).fill(-1);
  let count = 0;
  for (let q = 0; q < nn; q++) {
    const r = find(q);
    if (map[r] < 0) map[r] = count++;
    label[q] = map[r];
  }
  return { label, count };
}
