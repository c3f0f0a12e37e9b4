/**
 * The general model: any mesh of hex8 (C3D8) and tet4 (C3D4) elements with per-element isotropic
 * materials. It is solved through an assembled sparse matrix; use it for teaching, verification and
 * small models. Voxel models should use {@link VoxelModel} (matrix-free, far less memory).
 * @module
 */
import { ModelError } from "./errors.js";
import { NODES_PER_ELEMENT, type ElementType } from "./element.js";

/** A block of elements of one type. Connectivity holds 0-based node numbers. */
export interface ElementBlock {
  type: ElementType;
  /** nodesPerElement numbers per element. */
  conn: Int32Array;
  /** Young's modulus per element (MPa). */
  modulus: Float64Array;
  /** Poisson ratio per element. */
  poisson: Float64Array;
}

/** An unstructured FE model (plain data). */
export interface UnstructuredModel {
  readonly kind: "unstructured";
  /** Node coordinates, 3 per node (mm). */
  readonly nodes: Float64Array;
  readonly blocks: ElementBlock[];
}

/**
 * Build an unstructured model, checking node references and material values.
 * @example
 * const m = createUnstructuredModel([0,0,0, 1,0,0, 0,1,0, 0,0,1], [{ type: "tet4", conn: [0,1,2,3], modulus: 1000, poisson: 0.3 }]);
 */
export function createUnstructuredModel(
  nodes: ArrayLike<number>,
  blocks: { type: ElementType; conn: ArrayLike<number>; modulus: number | ArrayLike<number>; poisson: number | ArrayLike<number> }[],
): UnstructuredModel {
  if (nodes.length % 3 !== 0) throw new ModelError("node coordinates must come in triples");
  const nn = nodes.length / 3;
  const out: ElementBlock[] = blocks.map((b) => {
    const npe = NODES_PER_ELEMENT[b.type];
    if (b.conn.length % npe !== 0) throw new ModelError(`${b.type} connectivity length ${b.conn.length} is not a multiple of ${npe}`);
    const ne = b.conn.length / npe;
    const conn = Int32Array.from(b.conn);
    for (const n of conn) if (!(n >= 0 && n < nn)) throw new ModelError(`element refers to node ${n}, model has ${nn} nodes`);
    const per = (v: number | ArrayLike<number>, what: string) => {
      const a = new Float64Array(ne);
      if (typeof v === "number") a.fill(v);
      else if (v.length === ne) a.set(v);
      else throw new ModelError(`${v.length} ${what} values for ${ne} elements`);
      return a;
    };
    return { type: b.type, conn, modulus: per(b.modulus, "modulus"), poisson: per(b.poisson, "poisson") };
  });
  return { kind: "unstructured", nodes: Float64Array.from(nodes), blocks: out };
}

/** Element count of an unstructured model. */
export function unstructuredElementCount(m: UnstructuredModel): number {
  return m.blocks.reduce((s, b) => s + b.modulus.length, 0);
}
