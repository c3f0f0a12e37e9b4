/**
 * What every FE model offers, whichever its kind: node count and positions, element iteration.
 * @module
 */
import type { ElementType } from "./element.js";
import { NODES_PER_ELEMENT } from "./element.js";
import { brickCoords } from "./hex8.js";
import type { UnstructuredModel } from "./unstructured-model.js";
import { unstructuredElementCount } from "./unstructured-model.js";
import type { Vec3, VoxelModel } from "./voxel-model.js";
import { voxelNodePosition } from "./voxel-model.js";

/** A voxel or an unstructured model. */
export type FeModel = VoxelModel | UnstructuredModel;

/** Number of nodes. */
export function nodeCount(m: FeModel): number {
  return m.kind === "voxel" ? m.nodeGrid.length : m.nodes.length / 3;
}

/** Number of elements. */
export function elementCount(m: FeModel): number {
  return m.kind === "voxel" ? m.voxels.length : unstructuredElementCount(m);
}

/** Position of a node (mm). */
export function nodePosition(m: FeModel, node: number): Vec3 {
  if (m.kind === "voxel") return voxelNodePosition(m, node);
  return [m.nodes[3 * node], m.nodes[3 * node + 1], m.nodes[3 * node + 2]];
}

/** One element as seen by post-processing. */
export interface ElementView {
  index: number;
  type: ElementType;
  nodes: Int32Array;
  coords: Float64Array;
  modulus: number;
  poisson: number;
}

/** Visit every element (allocates per element: for post-processing, not for solver loops). */
export function forEachElement(m: FeModel, visit: (e: ElementView) => void): void {
  if (m.kind === "voxel") {
    const local = brickCoords(m.spacing[0], m.spacing[1], m.spacing[2]);
    for (let e = 0; e < m.voxels.length; e++) {
      const nodes = m.conn.subarray(8 * e, 8 * e + 8);
      const p0 = voxelNodePosition(m, nodes[0]);
      const coords = new Float64Array(24);
      for (let a = 0; a < 8; a++) for (let d = 0; d < 3; d++) coords[3 * a + d] = p0[d] + local[3 * a + d];
      visit({ index: e, type: "hex8", nodes, coords, modulus: m.modulus[e], poisson: m.poisson });
    }
    return;
  }
  let index = 0;
  for (const b of m.blocks) {
    const npe = NODES_PER_ELEMENT[b.type];
    for (let e = 0; e < b.modulus.length; e++) {
      const nodes = b.conn.subarray(npe * e, npe * e + npe);
      const coords = new Float64Array(3 * npe);
      for (let a = 0; a < npe; a++) for (let d = 0; d < 3; d++) coords[3 * a + d] = m.nodes[3 * nodes[a] + d];
      visit({ index: index++, type: b.type, nodes, coords, modulus: b.modulus[e], poisson: b.poisson[e] });
    }
  }
}
