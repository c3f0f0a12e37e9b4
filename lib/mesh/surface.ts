/**
 * The outer surface of a voxel element grid: every element face not shared with another active
 * element, as two triangles with outward normals, on shared vertices (the grid nodes), in world
 * (LPS, mm) coordinates. For display (plotly mesh3d) and STL export.
 *
 * @example
 * ```ts
 * const surf = voxelSurface(grid);
 * writeFileSync("femur.stl", stlBinary(surf));
 * ```
 * @module
 */
import type { ElementGrid } from "./voxelize.js";

/** A triangle surface on shared vertices. Plain data. */
export interface TriangleSurface {
  /** Vertex coordinates, xyz per vertex (mm, LPS). */
  vertices: Float32Array;
  /** Vertex indices, three per triangle, counter-clockwise seen from outside. */
  triangles: Uint32Array;
  /** For each vertex, the grid node index i + (nx+1)(j + (ny+1)k) it sits on. */
  vertexNode: Int32Array;
  /** For each triangle, the index (into `elements`) of the element whose face it is. */
  triangleElement: Int32Array;
}

// The 6 faces of a unit cube: neighbour offset and 4 corner offsets (counter-clockwise seen from outside).
const FACES: { n: [number, number, number]; c: [number, number, number][] }[] = [
  { n: [-1, 0, 0], c: [[0, 0, 0], [0, 0, 1], [0, 1, 1], [0, 1, 0]] },
  { n: [1, 0, 0], c: [[1, 0, 0], [1, 1, 0], [1, 1, 1], [1, 0, 1]] },
  { n: [0, -1, 0], c: [[0, 0, 0], [1, 0, 0], [1, 0, 1], [0, 0, 1]] },
  { n: [0, 1, 0], c: [[0, 1, 0], [0, 1, 1], [1, 1, 1], [1, 1, 0]] },
  { n: [0, 0, -1], c: [[0, 0, 0], [0, 1, 0], [1, 1, 0], [1, 0, 0]] },
  { n: [0, 0, 1], c: [[0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1]] },
];

/** Extract the boundary surface of the active elements. */
export function voxelSurface(g: Pick<ElementGrid, "dims" | "elementSize" | "origin" | "direction" | "elements">): TriangleSurface {
  const [nx, ny, nz] = g.dims;
  const active = new Uint8Array(nx * ny * nz);
  for (const e of g.elements) active[e] = 1;
  const isActive = (i: number, j: number, k: number) =>
    i >= 0 && j >= 0 && k >= 0 && i < nx && j < ny && k < nz && active[i + nx * (j + ny * k)] === 1;
  const vertexOf = new Map<number, number>();
  const nodes: number[] = [];
  const tris: number[] = [];
  const triElem: number[] = [];
  const vid = (i: number, j: number, k: number) => {
    const node = i + (nx + 1) * (j + (ny + 1) * k);
    let v = vertexOf.get(node);
    if (v === undefined) {
      v = nodes.length;
      vertexOf.set(node, v);
      nodes.push(node);
    }
    return v;
  };
  for (let q = 0; q < g.elements.length; q++) {
    const e = g.elements[q];
    const i = e % nx, j = Math.floor(e / nx) % ny, k = Math.floor(e / (nx * ny));
    for (const f of FACES) {
      if (isActive(i + f.n[0], j + f.n[1], k + f.n[2])) continue;
      const c4 = f.c.map(([a, b, c]) => vid(i + a, j + b, k + c));
      tris.push(c4[0], c4[1], c4[2], c4[0], c4[2], c4[3]);
      triElem.push(q, q);
    }
  }
  const vertices = new Float32Array(nodes.length * 3);
  const d = g.direction, h = g.elementSize, o = g.origin;
  for (let v = 0; v < nodes.length; v++) {
    const node = nodes[v];
    const a = (node % (nx + 1)) * h[0];
    const b = (Math.floor(node / (nx + 1)) % (ny + 1)) * h[1];
    const c = Math.floor(node / ((nx + 1) * (ny + 1))) * h[2];
    vertices[3 * v] = o[0] + d[0] * a + d[1] * b + d[2] * c;
    vertices[3 * v + 1] = o[1] + d[3] * a + d[4] * b + d[5] * c;
    vertices[3 * v + 2] = o[2] + d[6] * a + d[7] * b + d[8] * c;
  }
  return { vertices, triangles: Uint32Array.from(tris), vertexNode: Int32Array.from(nodes), triangleElement: Int32Array.from(triElem) };
}

/** Enclosed volume (mm^3) of a closed, outward-oriented triangle surface (divergence theorem). */
export function enclosedVolume(s: Pick<TriangleSurface, "vertices" | "triangles">): number {
  const V = s.vertices, T = s.triangles;
  let vol = 0;
  for (let t = 0; t < T.length; t += 3) {
    const a = 3 * T[t], b = 3 * T[t + 1], c = 3 * T[t + 2];
    vol += V[a] * (V[b + 1] * V[c + 2] - V[b + 2] * V[c + 1])
      - V[a + 1] * (V[b] * V[c + 2] - V[b + 2] * V[c])
      + V[a + 2] * (V[b] * V[c + 1] - V[b + 1] * V[c]);
  }
  return vol / 6;
}

/** Binary STL of a surface (80-byte header, float32 normal and vertices, little endian). */
export function stlBinary(s: Pick<TriangleSurface, "vertices" | "triangles">, header = "bct voxel surface"): Uint8Array {
  const nt = s.triangles.length / 3;
  const buf = new ArrayBuffer(84 + 50 * nt);
  const bytes = new Uint8Array(buf);
  for (let c = 0; c < Math.min(80, header.length); c++) bytes[c] = header.charCodeAt(c) & 0x7f;
  const dv = new DataView(buf);
  dv.setUint32(80, nt, true);
  const V = s.vertices, T = s.triangles;
  let o = 84;
  for (let t = 0; t < nt; t++) {
    const a = 3 * T[3 * t], b = 3 * T[3 * t + 1], c = 3 * T[3 * t + 2];
    const ux = V[b] - V[a], uy = V[b + 1] - V[a + 1], uz = V[b + 2] - V[a + 2];
    const vx = V[c] - V[a], vy = V[c + 1] - V[a + 1], vz = V[c + 2] - V[a + 2];
    let nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
    const len = Math.hypot(nx, ny, nz) || 1;
    nx /= len; ny /= len; nz /= len;
    for (const x of [nx, ny, nz, V[a], V[a + 1], V[a + 2], V[b], V[b + 1], V[b + 2], V[c], V[c + 1], V[c + 2]]) {
      dv.setFloat32(o, x, true);
      o += 4;
    }
    dv.setUint16(o, 0, true);
    o += 2;
  }
  return bytes;
}
