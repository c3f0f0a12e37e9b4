/**
 * PMMA embedding caps as material: a slab of PMMA elements against the bone's extreme surface along
 * a direction, the way cadaver bones are potted for a mechanical test and the way Ogo models them
 * (femoral head and greater-trochanter caps 10 mm thick with 6 mm intrusion, E 2500 MPa, ν 0.3;
 * bct-reference.md §3 ✔). The bone inside the cap keeps its own material (it is embedded, never made
 * rigid); only the empty elements of the slab become PMMA, so the load enters the bone over the
 * contact surface through a compliant layer, as in the test, and the rigid platen sits on the cap's
 * outer face, clear of the bone.
 *
 * This is the hip's cap builder, written before the generic `lib/mesh/caps.ts` (the spine's) landed;
 * it takes its constants from there. It differs in how a cap's bone is chosen (any region predicate,
 * here "near the head" and "the trochanter side, clear of the distal cut", rather than a cylinder
 * around a contact point) and in the platen (the nodes within half an element times |d|_1 of the
 * outer plane). The geometry per cap:
 * 1. bone elements for which `region(centre)` holds are the candidates; the extreme one along the
 *    direction d (largest s = d·x) fixes s_max;
 * 2. the cap spans s_max - depth <= s <= s_max - depth + thickness;
 * 3. its footprint is the projection along d of the candidate bone within the intrusion
 *    (s >= s_max - depth), on a raster of the element size, dilated by one cell;
 * 4. every element of the (padded) grid that is not bone, has its centre in the slab and its
 *    projection in the footprint becomes PMMA of this cap.
 * The grid is padded so the slab fits; active elements are re-indexed.
 *
 * @example
 * ```ts
 * const capped = addPmmaCaps(grid, [{ name: "HEAD", direction: minusU, depthMm: 6, thicknessMm: 10, region: nearHead }]);
 * const modulus = withPmmaModulus(mapModulus(capped.grid.density, { law }).modulus, capped.material);
 * const model = gridToVoxelModel(capped.grid, modulus);
 * const platen = pmmaPlatenNodes(model, capped, 0);
 * ```
 * @module
 */
import { voxelNodePosition, type VoxelModel } from "../fe/voxel-model.js";
import type { Mat3, Vec3 } from "../volume/volume.js";
import { OGO_CAP, PMMA } from "./caps.js";
import { worldVectorToModel } from "./model.js";
import { MeshError, type ElementGrid } from "./voxelize.js";

/** PMMA bone cement E (MPa) and Poisson's ratio, and the Ogo hip cap geometry: the constants of lib/mesh/caps.ts, where they are cited. */
export const PMMA_MODULUS_MPA = PMMA.modulusMPa;
export const PMMA_POISSON = PMMA.poisson;
export const OGO_HIP_CAP = { thicknessMm: OGO_CAP.thicknessMm, intrusionMm: OGO_CAP.intrusionMm } as const;

/** One cap to add. */
export interface PmmaCapSpec {
  /** Name of the cap (also the name of its platen node set). */
  name: string;
  /** World (LPS) unit direction: the cap lies on the side of the bone this points to. */
  direction: Vec3;
  /** Intrusion (mm): how deep the cap reaches into the bone from its extreme point. */
  depthMm: number;
  /** Thickness of the slab (mm), measured from its inner face; must exceed the depth. */
  thicknessMm: number;
  /** Which bone (by element centre, world LPS mm) the cap may hold; default all. */
  region?: (centreWorld: Vec3) => boolean;
}

/** A cap as built. Plain data. */
export interface PmmaCap {
  name: string;
  /** Direction in the model frame (unit). */
  direction: Vec3;
  /** s = direction·x (model frame, mm) of the extreme bone element centre, and of the outer face. */
  extremeMm: number;
  outerMm: number;
  /** Model-frame centre of the extreme bone element (the first contact point). */
  contact: Vec3;
  /** PMMA elements of this cap. */
  elements: number;
  depthMm: number;
  thicknessMm: number;
}

/** The grid with its caps. */
export interface CappedGrid {
  /** The padded grid: bone elements keep their density and fraction; PMMA elements have density 0 and fraction 1. */
  grid: ElementGrid;
  /** Per active element: 0 bone, c + 1 PMMA of cap c. */
  material: Uint8Array;
  caps: PmmaCap[];
  /** Elements added on each side of the original grid. */
  padding: number;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

/** Two unit vectors across d (a right-handed frame d, v, w). */
function across(d: Vec3): [Vec3, Vec3] {
  const helper: Vec3 = Math.abs(d[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
  const c: Vec3 = [d[1] * helper[2] - d[2] * helper[1], d[2] * helper[0] - d[0] * helper[2], d[0] * helper[1] - d[1] * helper[0]];
  const n = Math.hypot(...c);
  const v: Vec3 = [c[0] / n, c[1] / n, c[2] / n];
  return [v, [d[1] * v[2] - d[2] * v[1], d[2] * v[0] - d[0] * v[2], d[0] * v[1] - d[1] * v[0]]];
}

/** The grid padded by `p` elements on every side (same world placement of the bone). */
function padGrid(grid: ElementGrid, p: number): { dims: Vec3; origin: Vec3; boneAt: Int32Array } {
  const [nx, ny, nz] = grid.dims;
  const dims: Vec3 = [nx + 2 * p, ny + 2 * p, nz + 2 * p];
  const D = grid.direction, h = grid.elementSize;
  const shift = [-p * h[0], -p * h[1], -p * h[2]];
  const origin: Vec3 = [0, 1, 2].map((r) => grid.origin[r] + D[3 * r] * shift[0] + D[3 * r + 1] * shift[1] + D[3 * r + 2] * shift[2]) as Vec3;
  const boneAt = new Int32Array(dims[0] * dims[1] * dims[2]).fill(-1);
  for (let q = 0; q < grid.elements.length; q++) {
    const e = grid.elements[q];
    const i = e % nx, j = Math.floor(e / nx) % ny, k = Math.floor(e / (nx * ny));
    boneAt[i + p + dims[0] * (j + p + dims[1] * (k + p))] = q;
  }
  return { dims, origin, boneAt };
}

/**
 * Add PMMA caps to an element grid.
 * @throws MeshError when a cap finds no bone in its region, or its thickness does not exceed its depth.
 */
export function addPmmaCaps(grid: ElementGrid, specs: readonly PmmaCapSpec[]): CappedGrid {
  const h = grid.elementSize[0];
  if (grid.elementSize.some((x) => Math.abs(x - h) > 1e-9 * h)) throw new MeshError("PMMA caps need cubic elements");
  const longest = Math.max(0, ...specs.map((s) => s.thicknessMm - s.depthMm));
  const p = Math.ceil(longest / h) + 2;
  const { dims, origin, boneAt } = padGrid(grid, p);
  const placed = { origin, direction: grid.direction as Mat3 };
  const [nx, ny] = dims;
  const total = dims[0] * dims[1] * dims[2];
  const centre = (e: number): Vec3 => [((e % nx) + 0.5) * h, ((Math.floor(e / nx) % ny) + 0.5) * h, (Math.floor(e / (nx * ny)) + 0.5) * h];
  const toWorld = (c: Vec3): Vec3 => [0, 1, 2].map((r) => origin[r] + grid.direction[3 * r] * c[0] + grid.direction[3 * r + 1] * c[1] + grid.direction[3 * r + 2] * c[2]) as Vec3;
  const tag = new Uint8Array(total);
  const caps: PmmaCap[] = [];
  specs.forEach((spec, ci) => {
    if (!(spec.thicknessMm > spec.depthMm && spec.depthMm >= 0)) throw new MeshError(`cap ${spec.name}: thickness ${spec.thicknessMm} mm must exceed the intrusion ${spec.depthMm} mm (>= 0)`);
    const d = worldVectorToModel(placed, spec.direction);
    const [v, w] = across(d);
    // 1. candidate bone and its extreme point along d
    const cand: number[] = [];
    let sMax = -Infinity, contact: Vec3 = [0, 0, 0];
    for (let e = 0; e < total; e++) {
      if (boneAt[e] < 0) continue;
      const c = centre(e);
      if (spec.region && !spec.region(toWorld(c))) continue;
      cand.push(e);
      const s = dot(c, d);
      if (s > sMax) { sMax = s; contact = c; }
    }
    if (!cand.length) throw new MeshError(`cap ${spec.name}: no bone in its region to embed`);
    // 2.-3. footprint of the bone within the intrusion, dilated by one cell
    const lo = sMax - spec.depthMm, hi = lo + spec.thicknessMm;
    const cell = (c: Vec3) => `${Math.floor(dot(c, v) / h)},${Math.floor(dot(c, w) / h)}`;
    const foot = new Set<string>();
    for (const e of cand) {
      const c = centre(e);
      if (dot(c, d) < lo) continue;
      const a = Math.floor(dot(c, v) / h), b = Math.floor(dot(c, w) / h);
      for (let da = -1; da <= 1; da++) for (let db = -1; db <= 1; db++) foot.add(`${a + da},${b + db}`);
    }
    // 4. empty elements of the slab inside the footprint become PMMA
    let count = 0;
    for (let e = 0; e < total; e++) {
      if (boneAt[e] >= 0 || tag[e]) continue;
      const c = centre(e), s = dot(c, d);
      if (s < lo || s > hi || !foot.has(cell(c))) continue;
      tag[e] = ci + 1;
      count++;
    }
    caps.push({ name: spec.name, direction: d, extremeMm: sMax, outerMm: hi, contact, elements: count, depthMm: spec.depthMm, thicknessMm: spec.thicknessMm });
  });
  return { grid: reindex(grid, dims, origin, boneAt, tag), material: materialTags(boneAt, tag), caps, padding: p };
}

/** The padded grid's active elements (bone and PMMA), ascending. */
function reindex(grid: ElementGrid, dims: Vec3, origin: Vec3, boneAt: Int32Array, tag: Uint8Array): ElementGrid {
  let n = 0;
  for (let e = 0; e < boneAt.length; e++) if (boneAt[e] >= 0 || tag[e]) n++;
  const elements = new Int32Array(n), density = new Float32Array(n), fraction = new Float32Array(n);
  for (let e = 0, q = 0; e < boneAt.length; e++) {
    if (boneAt[e] < 0 && !tag[e]) continue;
    elements[q] = e;
    density[q] = boneAt[e] >= 0 ? grid.density[boneAt[e]] : 0;
    fraction[q] = boneAt[e] >= 0 ? grid.fraction[boneAt[e]] : 1;
    q++;
  }
  return { ...grid, dims, origin, elements, density, fraction, warnings: [...grid.warnings] };
}

function materialTags(boneAt: Int32Array, tag: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let e = 0; e < boneAt.length; e++) if (boneAt[e] >= 0) out.push(0);
  else if (tag[e]) out.push(tag[e]);
  return Uint8Array.from(out);
}

/** Bone moduli with the PMMA elements set to {@link PMMA_MODULUS_MPA} (a new array). */
export function withPmmaModulus(boneModulus: ArrayLike<number>, material: Uint8Array, pmmaModulus = PMMA_MODULUS_MPA): Float32Array {
  if (boneModulus.length !== material.length) throw new MeshError(`${boneModulus.length} moduli for ${material.length} elements`);
  const out = Float32Array.from(boneModulus);
  for (let q = 0; q < out.length; q++) if (material[q]) out[q] = pmmaModulus;
  return out;
}

/**
 * The platen of cap `c`: the nodes of its PMMA elements on its outer face (s >= s_top - h |d|_1 / 2
 * along the cap direction d, model frame: one node layer when d is along a grid axis). A rigid load pad or support acts on these.
 */
export function pmmaPlatenNodes(model: VoxelModel, capped: Pick<CappedGrid, "material" | "caps">, c: number): Int32Array {
  const cap = capped.caps[c];
  const h = model.spacing[0];
  let top = -Infinity;
  const mine: number[] = [];
  for (let q = 0; q < capped.material.length; q++) if (capped.material[q] === c + 1) mine.push(q);
  const seen = new Set<number>();
  for (const q of mine) for (let a = 0; a < 8; a++) {
    const node = model.conn[8 * q + a];
    if (seen.has(node)) continue;
    seen.add(node);
    top = Math.max(top, dot(voxelNodePosition(model, node), cap.direction));
  }
  const out: number[] = [];
  // the outer face: one node layer for an axis-aligned cap (band h/2), the staircase of an oblique one (band up to 0.87 h)
  const band = 0.5 * h * (Math.abs(cap.direction[0]) + Math.abs(cap.direction[1]) + Math.abs(cap.direction[2]));
  for (const node of seen) if (dot(voxelNodePosition(model, node), cap.direction) >= top - band - 1e-9 * h) out.push(node);
  return Int32Array.from(out.sort((a, b) => a - b));
}
