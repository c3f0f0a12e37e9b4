/**
 * PMMA caps as material: the embedding of a bone end in a polymethylmethacrylate block, as in the
 * mechanical tests that FE strength models reproduce (vertebral bodies between PMMA endplate layers;
 * the femoral head and the greater trochanter in PMMA cups), added to a voxel {@link ElementGrid}.
 *
 * A cap is a slab perpendicular to a world direction `d` (pointing from the bone into the cap):
 * 1. the bone's extreme surface along `d` is found (the largest d-coordinate of the bone elements'
 *    outer corners; with `contact`, only bone within `radiusMm` of the contact point's line along
 *    `d` counts);
 * 2. the slab runs from `intrusionMm` inside that surface to `thicknessMm - intrusionMm` outside it;
 * 3. the footprint is the bone inside the slab projected along `d` onto the slab's plane, rasterised,
 *    dilated by `footprintDilationMm` and with its holes filled (limited to the contact radius when
 *    given);
 * 4. every grid element whose centre lies in the slab and whose projection lies in the footprint
 *    becomes PMMA unless it is already an element: bone stays bone (embedded with its own material,
 *    never turned rigid), and an earlier cap's PMMA stays;
 * 5. the grid grows beyond the mask's bounding box as far as the cap needs (elements re-indexed; the
 *    order of the existing elements is kept);
 * 6. the platen is the node set of the cap's outer face: the outer face (along the grid axis closest
 *    to `d`) of every cap element whose outer neighbour is not in the cap. A rigid platen on these
 *    nodes loads or supports the cap like the testing machine's plate.
 *
 * PMMA elements carry density 0 and bone fraction 1 in the grid; their modulus comes from
 * {@link capModulus} (PMMA E = 2500 MPa). Bone moduli are mapped from the bone elements only
 * ({@link boneElements}). The voxel model has one Poisson's ratio: PMMA's 0.3 equals bone's usual 0.3.
 *
 * @example
 * ```ts
 * import { addCap, capModulus, boneElements, platenModelNodes } from "bct/lib/mesh/caps";
 * let capped = addCap(grid, { name: "SUPERIOR", direction: landmarks.axis });
 * capped = addCap(capped, { name: "INFERIOR", direction: [-a[0], -a[1], -a[2]] });
 * const bone = boneElements(capped.material);
 * const boneE = mapModulus(bone.map((q) => capped.grid.density[q]), { law: "kopperdahl2002" }).modulus;
 * const model = gridToVoxelModel(capped.grid, capModulus(capped.material, boneE));
 * const platen = platenModelNodes(model, capped.caps[0]);
 * // hip: a head cap limited to 20 mm around the load point
 * addCap(grid, { name: "HEAD", direction: fallDir, contact: { point: headCentre, radiusMm: 20 } });
 * ```
 * @module
 */
import { voxelNodeAt, type VoxelModel } from "../fe/voxel-model.js";
import { boundingBox } from "../volume/crop.js";
import type { Mat3, Vec3, Volume } from "../volume/volume.js";
import { MeshError, type ElementGrid } from "./voxelize.js";

/**
 * PMMA bone cement as the embedding material: E = 2500 MPa, nu = 0.3 (Bonelab Ogo caps ✔; Keaveny's
 * group uses the same 2500 MPa for PMMA endplate layers in vertebral FE, Yang, Nawathe, Fields &
 * Keaveny 2012, J Orthop Res 30:1121, PMC3415303 ✔).
 */
export const PMMA = {
  modulusMPa: 2500,
  poisson: 0.3,
  citation: "Bonelab Ogo (caps) ✔; Yang H, Nawathe S, Fields AJ, Keaveny TM 2012, J Orthop Res 30:1121 (PMMA E = 2500 MPa) ✔",
} as const;

/**
 * Cap geometry of the Bonelab Ogo models: 10 mm thick PMMA caps with the bone 6 mm deep in them, for
 * the vertebral endplates and the femoral head and greater trochanter; Ogo's comment says the 6 mm
 * intrusion matches Keaveny's BCT models (bct-reference.md §3 ✔ as coded in Ogo; BCT's own value ◇).
 */
export const OGO_CAP = {
  thicknessMm: 10,
  intrusionMm: 6,
  citation: "Bonelab Ogo spine/femur caps (10 mm thick, 6 mm intrusion; said to match Keaveny's BCT) ✔ as coded; BCT ◇",
} as const;

/** Per-element material tags of a capped grid. */
export const MATERIAL_BONE = 0;
export const MATERIAL_PMMA = 1;

/** Options of {@link addCap}. */
export interface CapOptions {
  /** Name of the cap (used as the platen's node-set name, e.g. "SUPERIOR", "HEAD"). */
  name: string;
  /** World (LPS) direction from the bone into the cap (normalised here). */
  direction: ArrayLike<number>;
  /** Cap thickness along `direction` (mm). Default {@link OGO_CAP} 10. */
  thicknessMm?: number;
  /** Depth of the bone inside the cap, from its extreme surface (mm). Default {@link OGO_CAP} 6. */
  intrusionMm?: number;
  /** Dilation of the projected bone footprint (mm). Default 1.0. */
  footprintDilationMm?: number;
  /**
   * Limit the cap to a cylinder of `radiusMm` around the line through `point` along `direction`
   * (a head or trochanter cap around the contact point): both the extreme surface and the footprint
   * are taken within it.
   */
  contact?: { point: ArrayLike<number>; radiusMm: number };
}

/** One cap of a capped grid. Plain data. */
export interface CapInfo {
  name: string;
  /** Unit world direction from the bone into the cap. */
  direction: Vec3;
  thicknessMm: number;
  intrusionMm: number;
  footprintDilationMm: number;
  contact?: { point: Vec3; radiusMm: number };
  /** World position along `direction` (d . x, mm) of the bone's extreme surface, the slab's inner face and its outer face. */
  surfaceMm: number;
  innerMm: number;
  outerMm: number;
  /** Footprint area (mm2, after dilation and hole filling). */
  footprintMm2: number;
  /** PMMA elements this cap added, and bone elements embedded in it. */
  pmmaElements: number;
  boneElements: number;
  /** Grid node indices (i + (nx+1)(j + (ny+1)k) of the current grid) of the cap's outer face. */
  platenNodes: Int32Array;
}

/** A grid with caps. Plain data. */
export interface CappedGrid {
  /** The grid, grown as the caps needed; PMMA elements have density 0 and fraction 1. */
  grid: ElementGrid;
  /** Per active element: {@link MATERIAL_BONE} or {@link MATERIAL_PMMA}. */
  material: Uint8Array;
  caps: CapInfo[];
}

const dot3 = (a: ArrayLike<number>, b: ArrayLike<number>) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

/** D^T v: a world vector in the grid's local (i, j, k axis) frame. */
function toLocal(D: Mat3, v: ArrayLike<number>): Vec3 {
  return [D[0] * v[0] + D[3] * v[1] + D[6] * v[2], D[1] * v[0] + D[4] * v[1] + D[7] * v[2], D[2] * v[0] + D[5] * v[1] + D[8] * v[2]];
}

/** The slab's frame in the grid's local coordinates: the unit normal and two in-plane axes. */
function slabFrame(dl: Vec3): { n: Vec3; u: Vec3; v: Vec3 } {
  const helper: Vec3 = Math.abs(dl[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
  const c: Vec3 = [dl[1] * helper[2] - dl[2] * helper[1], dl[2] * helper[0] - dl[0] * helper[2], dl[0] * helper[1] - dl[1] * helper[0]];
  const cn = Math.hypot(...c);
  const u: Vec3 = [c[0] / cn, c[1] / cn, c[2] / cn];
  const v: Vec3 = [dl[1] * u[2] - dl[2] * u[1], dl[2] * u[0] - dl[0] * u[2], dl[0] * u[1] - dl[1] * u[0]];
  return { n: dl, u, v };
}

/** Per active element: its local centre (mm, from the grid origin). */
function localCentre(dims: Vec3, h: Vec3, e: number, out: Float64Array): void {
  const nx = dims[0], ny = dims[1];
  out[0] = ((e % nx) + 0.5) * h[0];
  out[1] = ((Math.floor(e / nx) % ny) + 0.5) * h[1];
  out[2] = (Math.floor(e / (nx * ny)) + 0.5) * h[2];
}

/** A 2-D raster of the footprint on the slab plane. */
interface Footprint { u0: number; v0: number; px: number; nu: number; nv: number; on: Uint8Array }

/**
 * Step 3: rasterise the projected bone (squares of one element edge around each projected centre),
 * dilate by a disc, fill the holes (4-connected flood of the outside from the raster border).
 */
function footprintRaster(pts: number[], h: number, dilationMm: number): Footprint {
  // pixels of h/4, placed so that the pixel centres fall on the element centres of an axis-aligned
  // slab (no ties at pixel edges)
  const px = h / 4;
  const r = Math.ceil(dilationMm / px - 1e-9);
  let umin = Infinity, umax = -Infinity, vmin = Infinity, vmax = -Infinity;
  for (let q = 0; q < pts.length; q += 2) {
    umin = Math.min(umin, pts[q]); umax = Math.max(umax, pts[q]);
    vmin = Math.min(vmin, pts[q + 1]); vmax = Math.max(vmax, pts[q + 1]);
  }
  const pad = r + 3;
  const u0 = umin - 0.5 * h - (pad + 0.5) * px, v0 = vmin - 0.5 * h - (pad + 0.5) * px;
  const nu = Math.ceil((umax - umin + h) / px) + 2 * pad + 2, nv = Math.ceil((vmax - vmin + h) / px) + 2 * pad + 2;
  let on = new Uint8Array(nu * nv);
  // each projected element covers the pixels whose centres lie in [c - h/2, c + h/2]
  for (let q = 0; q < pts.length; q += 2) {
    const a0 = Math.ceil((pts[q] - 0.5 * h - u0) / px - 0.5 - 1e-9), a1 = Math.floor((pts[q] + 0.5 * h - u0) / px - 0.5 + 1e-9);
    const b0 = Math.ceil((pts[q + 1] - 0.5 * h - v0) / px - 0.5 - 1e-9), b1 = Math.floor((pts[q + 1] + 0.5 * h - v0) / px - 0.5 + 1e-9);
    for (let b = b0; b <= b1; b++) for (let a = a0; a <= a1; a++) on[a + nu * b] = 1;
  }
  if (r > 0) {
    const out = new Uint8Array(nu * nv);
    for (let b = 0; b < nv; b++) for (let a = 0; a < nu; a++) {
      if (!on[a + nu * b]) continue;
      for (let db = -r; db <= r; db++) for (let da = -r; da <= r; da++) {
        if (da * da + db * db > r * r) continue;
        const aa = a + da, bb = b + db;
        if (aa >= 0 && bb >= 0 && aa < nu && bb < nv) out[aa + nu * bb] = 1;
      }
    }
    on = out;
  }
  // fill holes: flood the outside from the border; what it does not reach is inside
  const outside = new Uint8Array(nu * nv);
  const stack: number[] = [];
  for (let a = 0; a < nu; a++) stack.push(a, a + nu * (nv - 1));
  for (let b = 0; b < nv; b++) stack.push(nu * b, nu - 1 + nu * b);
  while (stack.length) {
    const p = stack.pop()!;
    if (outside[p] || on[p]) continue;
    outside[p] = 1;
    const a = p % nu, b = Math.floor(p / nu);
    if (a > 0) stack.push(p - 1);
    if (a < nu - 1) stack.push(p + 1);
    if (b > 0) stack.push(p - nu);
    if (b < nv - 1) stack.push(p + nu);
  }
  for (let p = 0; p < on.length; p++) on[p] = outside[p] ? 0 : 1;
  return { u0, v0, px, nu, nv, on };
}

function inFootprint(f: Footprint, u: number, v: number): boolean {
  const a = Math.round((u - f.u0) / f.px - 0.5), b = Math.round((v - f.v0) / f.px - 0.5);
  return a >= 0 && b >= 0 && a < f.nu && b < f.nv && f.on[a + f.nu * b] === 1;
}

/** Resolved cap options, in the grid's local frame. */
interface SlabSpec {
  dl: Vec3; frame: { n: Vec3; u: Vec3; v: Vec3 };
  thickness: number; intrusion: number; dilation: number;
  contact?: { q: Vec3; radius: number };
}

function resolveSpec(grid: ElementGrid, opts: CapOptions): SlabSpec & { direction: Vec3 } {
  const dn = Math.hypot(opts.direction[0], opts.direction[1], opts.direction[2]);
  if (!(dn > 0) || !Number.isFinite(dn)) throw new MeshError(`cap "${opts.name}": the direction must be a non-zero vector, got [${Array.from(opts.direction).join(", ")}]`);
  const direction: Vec3 = [opts.direction[0] / dn, opts.direction[1] / dn, opts.direction[2] / dn];
  const thickness = opts.thicknessMm ?? OGO_CAP.thicknessMm;
  const intrusion = opts.intrusionMm ?? OGO_CAP.intrusionMm;
  const dilation = opts.footprintDilationMm ?? 1.0;
  if (!(thickness > 0) || !(intrusion >= 0) || !(intrusion < thickness)) {
    throw new MeshError(`cap "${opts.name}": need thickness > intrusion >= 0, got thickness ${thickness} mm, intrusion ${intrusion} mm`);
  }
  if (!(dilation >= 0)) throw new MeshError(`cap "${opts.name}": footprint dilation ${dilation} mm must be >= 0`);
  if (opts.contact && !(opts.contact.radiusMm > 0)) throw new MeshError(`cap "${opts.name}": contact radius ${opts.contact.radiusMm} mm must be > 0`);
  const dl = toLocal(grid.direction, direction);
  const contact = opts.contact
    ? { q: toLocal(grid.direction, [0, 1, 2].map((c) => opts.contact!.point[c] - grid.origin[c])), radius: opts.contact.radiusMm }
    : undefined;
  return { direction, dl, frame: slabFrame(dl), thickness, intrusion, dilation, contact };
}

/** Steps 1-3: the extreme surface, the slab and the footprint, from the bone elements. */
function locateSlab(grid: ElementGrid, material: Uint8Array, s: SlabSpec, name: string): { surface: number; tIn: number; tOut: number; foot: Footprint } {
  const { dims, elementSize: h } = grid;
  const half = 0.5 * (Math.abs(s.dl[0]) * h[0] + Math.abs(s.dl[1]) * h[1] + Math.abs(s.dl[2]) * h[2]);
  const c = new Float64Array(3);
  const within = (x: Float64Array) => {
    if (!s.contact) return true;
    const w = [x[0] - s.contact.q[0], x[1] - s.contact.q[1], x[2] - s.contact.q[2]];
    const t = dot3(w, s.dl);
    return Math.hypot(w[0] - t * s.dl[0], w[1] - t * s.dl[1], w[2] - t * s.dl[2]) <= s.contact.radius;
  };
  let surface = -Infinity;
  for (let q = 0; q < grid.elements.length; q++) {
    if (material[q] !== MATERIAL_BONE) continue;
    localCentre(dims, h, grid.elements[q], c);
    if (within(c)) surface = Math.max(surface, dot3(c, s.dl) + half);
  }
  if (!Number.isFinite(surface)) throw new MeshError(`cap "${name}": no bone element${s.contact ? ` within ${s.contact.radius} mm of the contact point` : ""} to embed`);
  const tIn = surface - s.intrusion, tOut = tIn + s.thickness;
  const pts: number[] = [];
  for (let q = 0; q < grid.elements.length; q++) {
    if (material[q] !== MATERIAL_BONE) continue;
    localCentre(dims, h, grid.elements[q], c);
    if (dot3(c, s.dl) < tIn || !within(c)) continue;
    pts.push(dot3(c, s.frame.u), dot3(c, s.frame.v));
  }
  const foot = footprintRaster(pts, Math.min(h[0], h[1], h[2]), s.dilation);
  if (s.contact) {
    const cu = dot3(s.contact.q, s.frame.u), cv = dot3(s.contact.q, s.frame.v);
    for (let b = 0; b < foot.nv; b++) for (let a = 0; a < foot.nu; a++) {
      const u = foot.u0 + (a + 0.5) * foot.px, v = foot.v0 + (b + 0.5) * foot.px;
      if (Math.hypot(u - cu, v - cv) > s.contact.radius) foot.on[a + foot.nu * b] = 0;
    }
  }
  return { surface, tIn, tOut, foot };
}

/** Step 5: the index box (in the old grid's indices, may be negative) that holds the slab's footprint prism. */
function slabIndexBox(grid: ElementGrid, s: SlabSpec, tIn: number, tOut: number, f: Footprint): { lo: Vec3; hi: Vec3 } {
  let amin = Infinity, amax = -Infinity, bmin = Infinity, bmax = -Infinity;
  for (let b = 0; b < f.nv; b++) for (let a = 0; a < f.nu; a++) {
    if (!f.on[a + f.nu * b]) continue;
    amin = Math.min(amin, a); amax = Math.max(amax, a); bmin = Math.min(bmin, b); bmax = Math.max(bmax, b);
  }
  const lo: Vec3 = [Infinity, Infinity, Infinity], hi: Vec3 = [-Infinity, -Infinity, -Infinity];
  for (const t of [tIn, tOut]) for (const a of [amin, amax + 1]) for (const b of [bmin, bmax + 1]) {
    const u = f.u0 + a * f.px, v = f.v0 + b * f.px;
    for (let c = 0; c < 3; c++) {
      const x = (t * s.frame.n[c] + u * s.frame.u[c] + v * s.frame.v[c]) / grid.elementSize[c];
      lo[c] = Math.min(lo[c], Math.floor(x) - 1);
      hi[c] = Math.max(hi[c], Math.ceil(x) + 1);
    }
  }
  return { lo, hi };
}

/**
 * Add one PMMA cap to a grid (or to a grid that already has caps). See the module documentation for
 * the construction. Earlier caps' platen node indices are re-indexed to the grown grid.
 * @throws MeshError for a zero direction, thickness <= intrusion, no bone to embed, or a cap that adds no PMMA.
 */
export function addCap(base: ElementGrid | CappedGrid, opts: CapOptions): CappedGrid {
  const prev: CappedGrid = "grid" in base ? base : { grid: base, material: new Uint8Array(base.elements.length), caps: [] };
  const g = prev.grid;
  const spec = resolveSpec(g, opts);
  const { surface, tIn, tOut, foot } = locateSlab(g, prev.material, spec, opts.name);
  const box = slabIndexBox(g, spec, tIn, tOut, foot);
  // step 4: the cells of the slab x footprint prism, in the old grid's indices (may be negative)
  const h = g.elementSize;
  const { n: dn, u: du, v: dv } = spec.frame;
  const cells: number[] = [];
  const lo: Vec3 = [0, 0, 0], hi: Vec3 = [g.dims[0], g.dims[1], g.dims[2]];
  for (let k = box.lo[2]; k < box.hi[2]; k++) for (let j = box.lo[1]; j < box.hi[1]; j++) for (let i = box.lo[0]; i < box.hi[0]; i++) {
    const x = (i + 0.5) * h[0], y = (j + 0.5) * h[1], z = (k + 0.5) * h[2];
    const t = x * dn[0] + y * dn[1] + z * dn[2];
    if (t < tIn || t >= tOut) continue;
    if (!inFootprint(foot, x * du[0] + y * du[1] + z * du[2], x * dv[0] + y * dv[1] + z * dv[2])) continue;
    cells.push(i, j, k);
    lo[0] = Math.min(lo[0], i); lo[1] = Math.min(lo[1], j); lo[2] = Math.min(lo[2], k);
    hi[0] = Math.max(hi[0], i + 1); hi[1] = Math.max(hi[1], j + 1); hi[2] = Math.max(hi[2], k + 1);
  }
  // step 5: grow the grid to hold them
  const shift: Vec3 = [-lo[0], -lo[1], -lo[2]];
  const dims: Vec3 = [hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]];
  const [nx, ny, nz] = dims;
  const n = nx * ny * nz;
  // dense tags over the grown grid: 255 empty, else the material; and the old element of each cell
  const tag = new Uint8Array(n).fill(255);
  const oldOf = new Int32Array(n).fill(-1);
  for (let q = 0; q < g.elements.length; q++) {
    const e0 = g.elements[q];
    const i = e0 % g.dims[0], j = Math.floor(e0 / g.dims[0]) % g.dims[1], k = Math.floor(e0 / (g.dims[0] * g.dims[1]));
    const e = i + shift[0] + nx * (j + shift[1] + ny * (k + shift[2]));
    tag[e] = prev.material[q];
    oldOf[e] = q;
  }
  let added = 0, embedded = 0;
  for (let c = 0; c < cells.length; c += 3) {
    const e = cells[c] + shift[0] + nx * (cells[c + 1] + shift[1] + ny * (cells[c + 2] + shift[2]));
    if (tag[e] === 255) { tag[e] = MATERIAL_PMMA; added++; } else if (tag[e] === MATERIAL_BONE) embedded++;
  }
  if (added === 0) throw new MeshError(`cap "${opts.name}" adds no PMMA element: is the direction pointing out of the bone?`);
  const grid = collectGrid(g, tag, oldOf, dims, shift, added);
  const platenNodes = outerFace(dims, cells, shift, h, spec.dl, tOut);
  const sx = g.dims[0] + 1, sy = g.dims[1] + 1;
  const caps = prev.caps.map((cap) => ({
    ...cap,
    platenNodes: cap.platenNodes.map((p) => {
      const i = p % sx, j = Math.floor(p / sx) % sy, k = Math.floor(p / (sx * sy));
      return i + shift[0] + (nx + 1) * (j + shift[1] + (ny + 1) * (k + shift[2]));
    }),
  }));
  let footCells = 0;
  for (let p = 0; p < foot.on.length; p++) footCells += foot.on[p];
  const originDot = dot3(g.origin, spec.direction);
  caps.push({
    name: opts.name, direction: spec.direction, thicknessMm: spec.thickness, intrusionMm: spec.intrusion, footprintDilationMm: spec.dilation,
    contact: opts.contact ? { point: [opts.contact.point[0], opts.contact.point[1], opts.contact.point[2]], radiusMm: opts.contact.radiusMm } : undefined,
    surfaceMm: originDot + surface, innerMm: originDot + tIn, outerMm: originDot + tOut,
    footprintMm2: footCells * foot.px * foot.px, pmmaElements: added, boneElements: embedded, platenNodes,
  });
  return { grid: grid.grid, material: grid.material, caps };
}

/** The grown grid's arrays from the dense tags (elements ascending; PMMA density 0, fraction 1). */
function collectGrid(g: ElementGrid, tag: Uint8Array, oldOf: Int32Array, dims: Vec3, shift: Vec3, added: number): { grid: ElementGrid; material: Uint8Array } {
  const m = g.elements.length + added;
  const elements = new Int32Array(m), density = new Float32Array(m), fraction = new Float32Array(m), material = new Uint8Array(m);
  for (let e = 0, q = 0; e < tag.length; e++) {
    if (tag[e] === 255) continue;
    elements[q] = e;
    material[q] = tag[e];
    const o = oldOf[e];
    density[q] = o >= 0 ? g.density[o] : 0;
    fraction[q] = o >= 0 ? g.fraction[o] : 1;
    q++;
  }
  const D = g.direction, h = g.elementSize;
  const a = -shift[0] * h[0], b = -shift[1] * h[1], c = -shift[2] * h[2];
  const origin: Vec3 = [
    g.origin[0] + D[0] * a + D[1] * b + D[2] * c,
    g.origin[1] + D[3] * a + D[4] * b + D[5] * c,
    g.origin[2] + D[6] * a + D[7] * b + D[8] * c,
  ];
  return { grid: { ...g, dims, origin, elements, density, fraction, warnings: [...g.warnings] }, material };
}

/**
 * Step 6: grid nodes of the outer faces of the cap's cells (i, j, k in the grown grid, 3 per cell),
 * along the grid axis closest to d: the face of each cell whose neighbour beyond it lies past the
 * slab's outer plane (not merely outside the footprint: the prism's sides are not the platen).
 */
function outerFace(dims: Vec3, cells: number[], shift: Vec3, h: Vec3, dl: Vec3, tOut: number): Int32Array {
  let ax = 0;
  for (let c = 1; c < 3; c++) if (Math.abs(dl[c]) > Math.abs(dl[ax])) ax = c;
  const sgn = dl[ax] >= 0 ? 1 : -1;
  const step = sgn * h[ax] * dl[ax];
  const sx = dims[0] + 1, sy = dims[1] + 1;
  const o1 = (ax + 1) % 3, o2 = (ax + 2) % 3;
  const nodes = new Set<number>();
  for (let c = 0; c < cells.length; c += 3) {
    const ijk = [cells[c], cells[c + 1], cells[c + 2]];
    const t = (ijk[0] + 0.5) * h[0] * dl[0] + (ijk[1] + 0.5) * h[1] * dl[1] + (ijk[2] + 0.5) * h[2] * dl[2];
    if (t + step < tOut) continue;
    const g = [ijk[0] + shift[0], ijk[1] + shift[1], ijk[2] + shift[2]];
    const face = g[ax] + (sgn > 0 ? 1 : 0);
    for (let p = 0; p < 2; p++) for (let r = 0; r < 2; r++) {
      const nijk = [0, 0, 0];
      nijk[ax] = face; nijk[o1] = g[o1] + p; nijk[o2] = g[o2] + r;
      nodes.add(nijk[0] + sx * (nijk[1] + sy * nijk[2]));
    }
  }
  return Int32Array.from([...nodes].sort((a, b) => a - b));
}

/** Indices (into the grid's element arrays) of the bone elements, ascending. */
export function boneElements(material: Uint8Array): Int32Array {
  const out: number[] = [];
  for (let q = 0; q < material.length; q++) if (material[q] === MATERIAL_BONE) out.push(q);
  return Int32Array.from(out);
}

/**
 * Moduli of a capped grid: `boneModulus` for the bone elements (one per bone element in
 * {@link boneElements} order, or one per element of the grid) and {@link PMMA} for the caps.
 */
export function capModulus(material: Uint8Array, boneModulus: ArrayLike<number>, pmmaModulusMPa: number = PMMA.modulusMPa): Float64Array {
  const out = new Float64Array(material.length);
  let nb = 0;
  for (let q = 0; q < material.length; q++) if (material[q] === MATERIAL_BONE) nb++;
  const perBone = boneModulus.length === nb && nb !== material.length;
  if (!perBone && boneModulus.length !== material.length) throw new MeshError(`capModulus: ${boneModulus.length} moduli for ${nb} bone elements (${material.length} in all)`);
  for (let q = 0, b = 0; q < material.length; q++) {
    if (material[q] === MATERIAL_PMMA) { out[q] = pmmaModulusMPa; continue; }
    out[q] = perBone ? boneModulus[b++] : boneModulus[q];
  }
  return out;
}

/** A cap's platen as compact node numbers of a voxel model built from the capped grid. */
export function platenModelNodes(model: VoxelModel, cap: Pick<CapInfo, "platenNodes" | "name">): Int32Array {
  const sx = model.dims[0] + 1, sy = model.dims[1] + 1;
  const out = new Int32Array(cap.platenNodes.length);
  for (let q = 0; q < out.length; q++) {
    const g = cap.platenNodes[q];
    const node = voxelNodeAt(model, g % sx, Math.floor(g / sx) % sy, Math.floor(g / (sx * sy)));
    if (node < 0) throw new MeshError(`cap "${cap.name}": platen node ${g} is not in the model (was the model built from this capped grid?)`);
    out[q] = node;
  }
  return out;
}

/**
 * Check that the bone does not reach the scan's border on the side a cap faces: there the bone may
 * go on outside the scan, and its extreme surface, where the cap sits, is not known.
 * @throws MeshError naming the border and the cap.
 */
export function assertCapRoom(mask: Volume, direction: ArrayLike<number>, name: string): void {
  const box = boundingBox(mask, (x) => x !== 0);
  if (!box) throw new MeshError(`cap "${name}": the bone mask is empty`);
  const D = mask.direction;
  const dn = Math.hypot(direction[0], direction[1], direction[2]);
  for (let c = 0; c < 3; c++) {
    const proj = (D[c] * direction[0] + D[3 + c] * direction[1] + D[6 + c] * direction[2]) / dn;
    if (Math.abs(proj) < 0.5) continue;
    const touches = proj > 0 ? box.max[c] >= mask.dims[c] : box.min[c] <= 0;
    if (touches) {
      throw new MeshError(`the bone reaches the scan's ${proj > 0 ? "last" : "first"} ${"ijk"[c]} slice on the side of the ${name} cap: the bone may go on outside the scan, so the cap cannot be placed; use a scan that covers the whole bone with a margin`);
    }
  }
}
