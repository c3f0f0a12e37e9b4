/**
 * Read a CalculiX/Abaqus input deck (the subset bct writes, and what voxel pipelines such as
 * make_voxel_model.py write): *NODE, *ELEMENT (C3D8, C3D4), *NSET / *ELSET (with GENERATE),
 * *MATERIAL + *ELASTIC, *SOLID SECTION, *RIGID BODY (REF NODE, ROT NODE; a rectangular *TRANSFORM of
 * its reference nodes gives the cap local axes), *STEP / *STATIC,
 * *BOUNDARY, *CLOAD; output requests (*NODE PRINT, *EL PRINT, *NODE FILE, *EL FILE) and *HEADING
 * are accepted and ignored. A deck whose elements are identical axis-aligned bricks on a grid with
 * one Poisson ratio becomes a {@link VoxelModel} (matrix-free solver); anything else an
 * {@link UnstructuredModel}.
 * @module
 */
import { readFileSync } from "node:fs";
import type { BoundaryCondition, Component } from "../bc.js";
import { InpError } from "../errors.js";
import type { FeModel } from "../model.js";
import { createUnstructuredModel } from "../unstructured-model.js";
import { createVoxelModel, voxelNodeAt } from "../voxel-model.js";

/** A deck read into a model, its boundary conditions and its named node sets. */
export interface InpDeck {
  model: FeModel;
  bcs: BoundaryCondition[];
  /** Named node sets (model node numbers), upper-case names as in the deck. */
  nodeSets: Record<string, Int32Array>;
  /** Deck id of each model node. */
  nodeIds: Int32Array;
  /** Deck id of each model element, in model order. */
  elementIds: Int32Array;
  heading: string;
  warnings: string[];
}

interface Card { keyword: string; params: Record<string, string>; lines: string[][]; line: number }

function parseCards(text: string): Card[] {
  const cards: Card[] = [];
  const raw = text.split(/\r?\n/);
  let cur: Card | undefined;
  let pending: string[] | undefined;
  for (let i = 0; i < raw.length; i++) {
    const s = raw[i].trim();
    if (s === "" || s.startsWith("**")) continue;
    if (s.startsWith("*")) {
      const parts = s.slice(1).split(",").map((t) => t.trim());
      const params: Record<string, string> = {};
      for (const p of parts.slice(1)) {
        if (!p) continue;
        const eq = p.indexOf("=");
        params[(eq < 0 ? p : p.slice(0, eq)).trim().toUpperCase()] = eq < 0 ? "" : p.slice(eq + 1).trim();
      }
      cur = { keyword: parts[0].toUpperCase().replace(/\s+/g, " "), params, lines: [], line: i + 1 };
      cards.push(cur);
      pending = undefined;
      continue;
    }
    if (!cur) throw new InpError(`line ${i + 1}: data before the first keyword`);
    const fields = s.split(",").map((t) => t.trim());
    const continues = s.endsWith(",");
    if (continues) fields.pop();
    if (pending) for (const f of fields) pending.push(f);
    else { pending = fields; cur.lines.push(pending); }
    if (!continues || cur.keyword !== "ELEMENT") pending = undefined;
  }
  return cards;
}

const IGNORED = new Set(["HEADING", "STEP", "STATIC", "END STEP", "NODE PRINT", "EL PRINT", "NODE FILE", "EL FILE", "NODE OUTPUT", "ELEMENT OUTPUT", "OUTPUT", "PREPRINT"]);

/**
 * Parse a deck from text.
 * @example
 * const deck = parseInp(readFileSync("bar.inp", "utf8"));
 * const sol = solve(deck.model, deck.bcs);
 */
export function parseInp(text: string): InpDeck {
  const cards = parseCards(text);
  const warnings: string[] = [];
  // nodes: deck id -> row; coordinates flat. Elements: flat arrays (decks have millions of entries).
  const nodeRow = new Map<number, number>();
  const nodeIdList: number[] = [], xyz: number[] = [];
  const elemId: number[] = [], elemHex: boolean[] = [], elemNodeIds: number[] = [], elemStart: number[] = [0];
  const nsets = new Map<string, number[]>();
  const elsets = new Map<string, number[]>();
  const materials = new Map<string, [number, number]>();
  const sections: { elset: string; material: string; line: number }[] = [];
  const rigid: { nset: string; ref: number; rot?: number; line: number }[] = [];
  const boundary: { target: string; first: number; last: number; value: number; line: number }[] = [];
  const cload: { target: string; dof: number; value: number; line: number }[] = [];
  const transforms: { nset: string; axes: number[]; line: number }[] = [];
  let heading = "";
  let material: string | undefined;
  const num = (s: string, c: Card) => {
    const f = +s;
    if (s !== "" && f === f) return f; // fast path (f === f: not NaN)
    const v = Number(s.replace(/[dD]/, "e"));
    if (s === "" || !Number.isFinite(v)) throw new InpError(`line ~${c.line}: *${c.keyword}: "${s}" is not a number`);
    return v;
  };
  const addTo = (map: Map<string, number[]>, name: string, ids: number[]) => {
    const key = name.toUpperCase();
    if (!map.has(key)) map.set(key, []);
    const list = map.get(key)!;
    for (const id of ids) list.push(id);
  };
  const setIds = (c: Card, map: Map<string, number[]>) => {
    const ids: number[] = [];
    for (const l of c.lines) {
      if ("GENERATE" in c.params) {
        const [a, b, st] = [num(l[0], c), num(l[1], c), l[2] ? num(l[2], c) : 1];
        for (let v = a; v <= b; v += st) ids.push(v);
      } else for (const f of l) {
        if (f === "") continue;
        if (/^[-+]?\d+$/.test(f)) ids.push(Number(f));
        else if (map.has(f.toUpperCase())) for (const id of map.get(f.toUpperCase())!) ids.push(id);
        else throw new InpError(`line ~${c.line}: *${c.keyword} refers to unknown set ${f}`);
      }
    }
    return ids;
  };
  for (const c of cards) {
    switch (c.keyword) {
      case "HEADING":
        heading = c.lines.map((l) => l.join(",")).join("\n");
        break;
      case "NODE": {
        const ids: number[] = [];
        for (const l of c.lines) {
          const id = num(l[0], c);
          let k = nodeRow.get(id);
          if (k === undefined) { k = nodeIdList.length; nodeRow.set(id, k); nodeIdList.push(id); }
          xyz[3 * k] = num(l[1] ?? "0", c); xyz[3 * k + 1] = num(l[2] ?? "0", c); xyz[3 * k + 2] = num(l[3] ?? "0", c);
          ids.push(id);
        }
        if (c.params.NSET) addTo(nsets, c.params.NSET, ids);
        break;
      }
      case "ELEMENT": {
        const t = (c.params.TYPE ?? "").toUpperCase();
        const type = t === "C3D8" ? "hex8" : t === "C3D4" ? "tet4" : undefined;
        if (!type) throw new InpError(`line ${c.line}: element type ${t || "(none)"} is not supported; bct reads C3D8 and C3D4`);
        const npe = type === "hex8" ? 8 : 4;
        const ids: number[] = [];
        for (const l of c.lines) {
          if (l.length < npe + 1) throw new InpError(`line ~${c.line}: ${t} element needs ${npe} nodes, got ${l.length - 1}`);
          const id = num(l[0], c);
          elemId.push(id);
          elemHex.push(type === "hex8");
          for (let a = 1; a <= npe; a++) elemNodeIds.push(num(l[a], c));
          elemStart.push(elemNodeIds.length);
          ids.push(id);
        }
        if (c.params.ELSET) addTo(elsets, c.params.ELSET, ids);
        break;
      }
      case "NSET":
        addTo(nsets, c.params.NSET ?? "", setIds(c, nsets));
        break;
      case "ELSET":
        addTo(elsets, c.params.ELSET ?? "", setIds(c, elsets));
        break;
      case "MATERIAL":
        material = (c.params.NAME ?? "").toUpperCase();
        break;
      case "ELASTIC": {
        if (!material) throw new InpError(`line ${c.line}: *ELASTIC outside a *MATERIAL`);
        const ty = (c.params.TYPE ?? "ISO").toUpperCase();
        if (ty !== "ISO" && ty !== "ISOTROPIC") throw new InpError(`line ${c.line}: *ELASTIC, TYPE=${ty} is not supported (isotropic only)`);
        const l = c.lines[0];
        if (!l) throw new InpError(`line ${c.line}: *ELASTIC without data`);
        materials.set(material, [num(l[0], c), num(l[1], c)]);
        break;
      }
      case "SOLID SECTION":
        sections.push({ elset: (c.params.ELSET ?? "").toUpperCase(), material: (c.params.MATERIAL ?? "").toUpperCase(), line: c.line });
        break;
      case "RIGID BODY":
        rigid.push({ nset: (c.params.NSET ?? "").toUpperCase(), ref: num(c.params["REF NODE"] ?? "", c), rot: c.params["ROT NODE"] ? num(c.params["ROT NODE"], c) : undefined, line: c.line });
        break;
      case "TRANSFORM": {
        const ty = (c.params.TYPE ?? "R").toUpperCase();
        if (ty !== "R") throw new InpError(`line ${c.line}: *TRANSFORM, TYPE=${ty} is not supported (rectangular only)`);
        const l = c.lines[0];
        if (!l || l.length < 6) throw new InpError(`line ${c.line}: *TRANSFORM needs 6 numbers (points a and b)`);
        const a = [0, 1, 2].map((k) => num(l[k], c)), b = [3, 4, 5].map((k) => num(l[k], c));
        const na = Math.hypot(...a);
        const ex = a.map((v) => v / na);
        const bd = b[0] * ex[0] + b[1] * ex[1] + b[2] * ex[2];
        const ey0 = b.map((v, k) => v - bd * ex[k]), nb = Math.hypot(...ey0);
        if (!(na > 0) || !(nb > 1e-12 * Math.hypot(...b))) throw new InpError(`line ${c.line}: *TRANSFORM points a and b must be non-zero and not parallel`);
        const ey = ey0.map((v) => v / nb);
        const ez = [ex[1] * ey[2] - ex[2] * ey[1], ex[2] * ey[0] - ex[0] * ey[2], ex[0] * ey[1] - ex[1] * ey[0]];
        transforms.push({ nset: (c.params.NSET ?? "").toUpperCase(), axes: [ex[0], ey[0], ez[0], ex[1], ey[1], ez[1], ex[2], ey[2], ez[2]], line: c.line });
        break;
      }
      case "BOUNDARY":
        if (c.params.OP && c.params.OP.toUpperCase() !== "MOD") throw new InpError(`line ${c.line}: *BOUNDARY, OP=${c.params.OP} is not supported`);
        for (const l of c.lines) {
          const first = num(l[1], c);
          boundary.push({ target: l[0], first, last: l[2] ? num(l[2], c) : first, value: l[3] ? num(l[3], c) : 0, line: c.line });
        }
        break;
      case "CLOAD":
        for (const l of c.lines) cload.push({ target: l[0], dof: num(l[1], c), value: num(l[2], c), line: c.line });
        break;
      default:
        if (IGNORED.has(c.keyword)) break;
        throw new InpError(`line ${c.line}: keyword *${c.keyword} is not supported. bct reads *NODE, *ELEMENT (C3D8, C3D4), *NSET, *ELSET, *MATERIAL, *ELASTIC, *SOLID SECTION, *RIGID BODY, *STEP, *STATIC, *BOUNDARY, *CLOAD and output requests`);
    }
  }
  const ne = elemId.length;
  if (ne === 0) throw new InpError("the deck has no *ELEMENT data");
  // materials per element
  const elemRow = new Map<number, number>();
  for (let e = 0; e < ne; e++) elemRow.set(elemId[e], e);
  const E = new Float64Array(ne).fill(NaN), nu = new Float64Array(ne);
  for (const s of sections) {
    const m = materials.get(s.material);
    if (!m) throw new InpError(`line ${s.line}: *SOLID SECTION refers to unknown material ${s.material}`);
    const ids = elsets.get(s.elset);
    if (!ids) throw new InpError(`line ${s.line}: *SOLID SECTION refers to unknown element set ${s.elset}`);
    for (const id of ids) {
      const e = elemRow.get(id);
      if (e === undefined) throw new InpError(`line ${s.line}: element set ${s.elset} contains element ${id}, which has no *ELEMENT line`);
      E[e] = m[0];
      nu[e] = m[1];
    }
  }
  for (let e = 0; e < ne; e++) if (Number.isNaN(E[e])) throw new InpError(`element ${elemId[e]} has no *SOLID SECTION (no material)`);
  const elemNodes = new Int32Array(elemNodeIds.length);
  for (let e = 0; e < ne; e++) {
    for (let p = elemStart[e]; p < elemStart[e + 1]; p++) {
      const k = nodeRow.get(elemNodeIds[p]);
      if (k === undefined) throw new InpError(`element ${elemId[e]} uses node ${elemNodeIds[p]}, which has no *NODE line`);
      elemNodes[p] = k;
    }
  }
  const el: Elems = { ids: elemId, hex: elemHex, start: elemStart, nodes: elemNodes, E, nu, xyz, nodeIds: nodeIdList };
  const built = tryVoxel(el) ?? buildUnstructured(el);
  const { model, nodeOf, elementIds } = built;
  const nodeIds = new Int32Array(nodeOf.size);
  for (const [id, q] of nodeOf) nodeIds[q] = id;

  const axesOf = new Map<number, number[]>();
  for (const t of transforms) {
    const ids = nsets.get(t.nset);
    if (!ids) throw new InpError(`line ${t.line}: *TRANSFORM refers to unknown node set ${t.nset}`);
    for (const id of ids) axesOf.set(id, t.axes);
  }
  const special = new Map<number, { cap: number; rot: boolean }>();
  rigid.forEach((r, k) => {
    special.set(r.ref, { cap: k, rot: false });
    if (r.rot !== undefined) special.set(r.rot, { cap: k, rot: true });
  });
  const resolveTarget = (t: string, line: number): number[] => {
    if (/^[-+]?\d+$/.test(t)) return [Number(t)];
    const s = nsets.get(t.toUpperCase());
    if (!s) throw new InpError(`line ${line}: unknown node set ${t}`);
    return s;
  };
  const toModel = (ids: number[], what: string, line: number) => {
    const out: number[] = [];
    let dropped = 0;
    for (const id of ids) {
      const q = nodeOf.get(id);
      if (q === undefined) {
        if (!nodeRow.has(id)) throw new InpError(`line ${line}: ${what} refers to node ${id}, which has no *NODE line`);
        dropped++;
      } else out.push(q);
    }
    if (dropped) warnings.push(`${what}: ${dropped} node(s) belong to no element and were ignored`);
    return out;
  };
  const bcs: BoundaryCondition[] = [];
  const capDisp = rigid.map(() => [null, null, null, null, null, null] as (number | null)[]);
  const capLoad = rigid.map(() => [0, 0, 0, 0, 0, 0]);
  for (const b of boundary) {
    if (b.first < 1 || b.last > 6 || b.last < b.first) throw new InpError(`line ${b.line}: DOF range ${b.first}-${b.last} is invalid`);
    const ids = resolveTarget(b.target, b.line);
    const normal = ids.filter((id) => !special.has(id));
    for (const id of ids) {
      const sp = special.get(id);
      if (!sp) continue;
      for (let d = b.first; d <= Math.min(b.last, 3); d++) capDisp[sp.cap][(sp.rot ? 3 : 0) + d - 1] = b.value;
    }
    if (normal.length === 0) continue;
    if (b.last > 3) warnings.push(`line ${b.line}: rotational DOFs 4-6 of solid nodes ignored`);
    const nodes = Int32Array.from(toModel(normal, `*BOUNDARY ${b.target}`, b.line));
    for (let d = b.first; d <= Math.min(b.last, 3); d++) bcs.push({ kind: "displacement", nodes, component: (d - 1) as Component, value: b.value, set: /^[-+]?\d+$/.test(b.target) ? undefined : b.target.toUpperCase() });
  }
  for (const l of cload) {
    if (l.dof < 1 || l.dof > 3) {
      if (l.dof > 6) throw new InpError(`line ${l.line}: *CLOAD DOF ${l.dof} is invalid`);
    }
    const ids = resolveTarget(l.target, l.line);
    const normal = ids.filter((id) => !special.has(id));
    for (const id of ids) {
      const sp = special.get(id);
      if (sp) capLoad[sp.cap][(sp.rot ? 3 : 0) + l.dof - 1] += l.value;
    }
    if (normal.length === 0) continue;
    if (l.dof > 3) throw new InpError(`line ${l.line}: *CLOAD DOF ${l.dof} on a solid node (solid nodes have DOFs 1-3)`);
    bcs.push({ kind: "force", nodes: Int32Array.from(toModel(normal, `*CLOAD ${l.target}`, l.line)), component: (l.dof - 1) as Component, value: l.value, set: /^[-+]?\d+$/.test(l.target) ? undefined : l.target.toUpperCase() });
  }
  rigid.forEach((r, k) => {
    const ids = nsets.get(r.nset);
    if (!ids) throw new InpError(`line ${r.line}: *RIGID BODY refers to unknown node set ${r.nset}`);
    const row = nodeRow.get(r.ref);
    const p: [number, number, number] | undefined = row === undefined ? undefined : [xyz[3 * row], xyz[3 * row + 1], xyz[3 * row + 2]];
    if (!p) throw new InpError(`line ${r.line}: *RIGID BODY REF NODE ${r.ref} has no *NODE line`);
    const axes = axesOf.get(r.ref);
    if (r.rot !== undefined && String(axesOf.get(r.rot)) !== String(axes)) throw new InpError(`line ${r.line}: *RIGID BODY ${r.nset}: REF NODE and ROT NODE need the same *TRANSFORM`);
    bcs.push({ kind: "rigid", nodes: Int32Array.from(toModel(ids.filter((id) => !special.has(id)), `*RIGID BODY ${r.nset}`, r.line)), reference: p, displacement: capDisp[k], load: capLoad[k], ...(axes ? { axes } : {}), set: r.nset });
  });
  for (const id of axesOf.keys()) if (!special.has(id)) throw new InpError(`*TRANSFORM on node ${id}: bct supports local axes only on rigid-body reference nodes`);
  const nodeSets: Record<string, Int32Array> = {};
  for (const [name, ids] of nsets) {
    const q = ids.map((id) => nodeOf.get(id)).filter((v): v is number => v !== undefined);
    nodeSets[name] = Int32Array.from(new Set(q));
  }
  return { model, bcs, nodeSets, nodeIds, elementIds, heading, warnings };
}

/** Read and parse a deck file. */
export function readInp(path: string): InpDeck {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new InpError(`cannot read ${path}: ${(e as Error).message}`);
  }
  return parseInp(text);
}

/** The deck's elements as flat arrays; node numbers are rows of the node table. */
interface Elems { ids: number[]; hex: boolean[]; start: number[]; nodes: Int32Array; E: Float64Array; nu: Float64Array; xyz: number[]; nodeIds: number[] }

/** A voxel model if every element is the same axis-aligned brick in C3D8 grid order. */
function tryVoxel(el: Elems) {
  const ne = el.ids.length, { nodes, xyz } = el;
  for (let e = 0; e < ne; e++) if (!el.hex[e] || el.nu[e] !== el.nu[0]) return undefined;
  const X = (e: number, a: number, d: number) => xyz[3 * nodes[8 * e + a] + d];
  const h = [X(0, 1, 0) - X(0, 0, 0), X(0, 3, 1) - X(0, 0, 1), X(0, 4, 2) - X(0, 0, 2)];
  if (!h.every((v) => v > 0)) return undefined;
  const tol = 1e-6 * Math.min(...h);
  const pattern = [0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1];
  const lo = [Infinity, Infinity, Infinity];
  for (let e = 0; e < ne; e++) for (let d = 0; d < 3; d++) lo[d] = Math.min(lo[d], X(e, 0, d));
  const ijk = new Int32Array(3 * ne);
  const hi = [0, 0, 0];
  for (let e = 0; e < ne; e++) {
    for (let a = 1; a < 8; a++) for (let d = 0; d < 3; d++) if (Math.abs(X(e, a, d) - X(e, 0, d) - pattern[3 * a + d] * h[d]) > tol) return undefined;
    for (let d = 0; d < 3; d++) {
      const g = (X(e, 0, d) - lo[d]) / h[d], r = Math.round(g);
      if (Math.abs(g - r) > 1e-5) return undefined;
      ijk[3 * e + d] = r;
      if (r + 1 > hi[d]) hi[d] = r + 1;
    }
  }
  const dims: [number, number, number] = [hi[0], hi[1], hi[2]];
  if ((dims[0] + 1) * (dims[1] + 1) * (dims[2] + 1) > 2 ** 31 - 1) return undefined;
  const voxels = new Float64Array(ne);
  for (let e = 0; e < ne; e++) voxels[e] = ijk[3 * e] + dims[0] * (ijk[3 * e + 1] + dims[1] * ijk[3 * e + 2]);
  const order = Int32Array.from({ length: ne }, (_, e) => e).sort((a, b) => voxels[a] - voxels[b]);
  for (let q = 1; q < ne; q++) if (voxels[order[q]] === voxels[order[q - 1]]) return undefined;
  const model = createVoxelModel({
    dims, spacing: [h[0], h[1], h[2]], origin: [lo[0], lo[1], lo[2]],
    voxels: Int32Array.from(order, (e) => voxels[e]), modulus: Float64Array.from(order, (e) => el.E[e]), poisson: el.nu[0],
  });
  // deck node -> model node by grid position
  const nodeOf = new Map<number, number>();
  const seen = new Uint8Array(el.nodeIds.length);
  for (let p = 0; p < nodes.length; p++) {
    const k = nodes[p];
    if (seen[k]) continue;
    seen[k] = 1;
    const q = voxelNodeAt(model, Math.round((xyz[3 * k] - lo[0]) / h[0]), Math.round((xyz[3 * k + 1] - lo[1]) / h[1]), Math.round((xyz[3 * k + 2] - lo[2]) / h[2]));
    if (q < 0) return undefined;
    nodeOf.set(el.nodeIds[k], q);
  }
  if (nodeOf.size !== model.nodeGrid.length) return undefined; // two deck nodes at one grid point
  return { model, nodeOf, elementIds: Int32Array.from(order, (e) => el.ids[e]) };
}

function buildUnstructured(el: Elems) {
  const nodeOf = new Map<number, number>();
  const rowToModel = new Int32Array(el.nodeIds.length).fill(-1);
  const coords: number[] = [];
  for (let p = 0; p < el.nodes.length; p++) {
    const k = el.nodes[p];
    if (rowToModel[k] >= 0) continue;
    rowToModel[k] = nodeOf.size;
    nodeOf.set(el.nodeIds[k], nodeOf.size);
    coords.push(el.xyz[3 * k], el.xyz[3 * k + 1], el.xyz[3 * k + 2]);
  }
  const blocks = ([true, false] as const).map((hex) => {
    const es: number[] = [];
    for (let e = 0; e < el.ids.length; e++) if (el.hex[e] === hex) es.push(e);
    const conn: number[] = [];
    for (const e of es) for (let p = el.start[e]; p < el.start[e + 1]; p++) conn.push(rowToModel[el.nodes[p]]);
    return { type: hex ? ("hex8" as const) : ("tet4" as const), es, conn, modulus: es.map((e) => el.E[e]), poisson: es.map((e) => el.nu[e]) };
  }).filter((b) => b.es.length > 0);
  const model = createUnstructuredModel(coords, blocks);
  return { model, nodeOf, elementIds: Int32Array.from(blocks.flatMap((b) => b.es.map((e) => el.ids[e]))) };
}
