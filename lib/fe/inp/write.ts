/**
 * Write a model and its boundary conditions as a CalculiX/Abaqus input deck: *NODE, *ELEMENT
 * (C3D8 / C3D4) with one *ELSET per material, *MATERIAL / *ELASTIC, *SOLID SECTION, node sets per
 * boundary condition, *RIGID BODY for rigid caps (a REF NODE and a ROT NODE per cap; a *TRANSFORM on
 * both when the cap has local axes), *STEP /
 * *STATIC with *BOUNDARY and *CLOAD, and output requests (reaction totals per set, for a cap its
 * SET_REF (force) and SET_ROT (moment about the reference) nodes; optionally nodal displacements). Node ids are model node numbers + 1; element ids model order + 1.
 * @module
 */
import { writeFileSync } from "node:fs";
import type { BoundaryCondition } from "../bc.js";
import { NODES_PER_ELEMENT } from "../element.js";
import { nodeCount, nodePosition, type FeModel } from "../model.js";

export interface InpWriteOptions {
  heading?: string;
  /** Print nodal displacements of all nodes to the .dat file (*NODE PRINT U). Default false. */
  printDisplacements?: boolean;
  /** Solver line for *STATIC (e.g. "SPOOLES", "ITERATIVE SCALING"); default: CalculiX's default. */
  solver?: string;
  /**
   * Moduli are grouped into this many logarithmic bins per element type and Poisson's ratio, each bin
   * written as one material with the mean modulus of its elements ({@link binModuli}); `0` writes one
   * material per distinct modulus. Default {@link DEFAULT_MATERIAL_BINS} (256, the order of Ogo's 256
   * material ids, bct-reference.md §3 ✔): on the embedded hip at 1.5 mm (moduli spanning 0.1 to
   * ~20000 MPa) the head reaction of the binned model is within 0.1% of the unbinned one (test/fe/inp-bins.test.ts).
   */
  materialBins?: number;
}

/** Default number of material bins of {@link formatInp}. */
export const DEFAULT_MATERIAL_BINS = 256;

/**
 * Moduli grouped into `bins` logarithmic bins between their minimum and maximum, each replaced by the
 * mean modulus of its bin (so a bin of one value keeps it exactly). Returns the binned moduli.
 * @example
 * binModuli([1, 1.001, 1000], 2); // [1.0005, 1.0005, 1000]
 */
export function binModuli(modulus: ArrayLike<number>, bins: number): Float64Array {
  const n = modulus.length;
  const out = Float64Array.from(modulus);
  if (!(bins >= 1) || n === 0) return out;
  let lo = Infinity, hi = -Infinity;
  for (let e = 0; e < n; e++) { lo = Math.min(lo, modulus[e]); hi = Math.max(hi, modulus[e]); }
  if (!(lo > 0) || hi === lo) return out;
  const span = Math.log(hi / lo);
  const bin = new Int32Array(n);
  const sum = new Float64Array(bins), count = new Float64Array(bins);
  for (let e = 0; e < n; e++) {
    const b = Math.min(bins - 1, Math.floor((bins * Math.log(modulus[e] / lo)) / span));
    bin[e] = b;
    sum[b] += modulus[e];
    count[b]++;
  }
  for (let e = 0; e < n; e++) out[e] = sum[bin[e]] / count[bin[e]];
  return out;
}

const fmt = (v: number) => (Number.isInteger(v) ? v.toFixed(1) : v.toPrecision(17).replace(/\.?0+(e|$)/, "$1"));

/**
 * The deck as text. Materials: one per modulus bin and Poisson's ratio (see `materialBins`).
 * @example
 * writeFileSync("model.inp", formatInp(model, bcs, { printDisplacements: true }));
 */
export function formatInp(model: FeModel, bcs: readonly BoundaryCondition[], options: InpWriteOptions = {}): string {
  const out: string[] = [];
  const nn = nodeCount(model);
  out.push("*HEADING", (options.heading ?? "written by bct").replace(/\n/g, " "));
  out.push("*NODE, NSET=NALL");
  for (let q = 0; q < nn; q++) {
    const p = nodePosition(model, q);
    out.push(`${q + 1}, ${fmt(p[0])}, ${fmt(p[1])}, ${fmt(p[2])}`);
  }
  // elements grouped by material
  type Group = { E: number; nu: number; type: string; lines: string[] };
  const groups = new Map<string, Group>();
  const add = (type: string, E: number, nu: number, line: string) => {
    const key = `${type}|${E}|${nu}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { E, nu, type, lines: [] }));
    g.lines.push(line);
  };
  const bins = options.materialBins ?? DEFAULT_MATERIAL_BINS;
  if (model.kind === "voxel") {
    const E = bins > 0 ? binModuli(model.modulus, bins) : model.modulus;
    for (let e = 0; e < model.voxels.length; e++) {
      add("C3D8", E[e], model.poisson, `${e + 1}, ${Array.from(model.conn.subarray(8 * e, 8 * e + 8), (q) => q + 1).join(", ")}`);
    }
  } else {
    let id = 1;
    for (const b of model.blocks) {
      const npe = NODES_PER_ELEMENT[b.type];
      const E = bins > 0 ? binModuli(b.modulus, bins) : b.modulus;
      for (let e = 0; e < b.modulus.length; e++) {
        add(b.type === "hex8" ? "C3D8" : "C3D4", E[e], b.poisson[e], `${id++}, ${Array.from(b.conn.subarray(npe * e, npe * e + npe), (q) => q + 1).join(", ")}`);
      }
    }
  }
  let k = 0;
  const mats: string[] = [];
  for (const g of groups.values()) {
    out.push(`*ELEMENT, TYPE=${g.type}, ELSET=E${k}`);
    for (const line of g.lines) out.push(line); // no spread: a group may hold 10^5 lines (call-stack limit)
    mats.push(`*MATERIAL, NAME=M${k}`, "*ELASTIC", `${fmt(g.E)}, ${fmt(g.nu)}`, `*SOLID SECTION, ELSET=E${k}, MATERIAL=M${k}`);
    k++;
  }
  for (const line of mats) out.push(line);
  // node sets: one per BC (named after its set when it has one)
  const setName = new Map<ArrayLike<number>, string>();
  const used = new Set<string>();
  let auto = 0;
  const nameFor = (b: BoundaryCondition) => {
    let s = setName.get(b.nodes);
    if (s) return s;
    s = (b.set ?? "").toUpperCase().replace(/[^A-Z0-9_]/g, "_");
    if (!s || used.has(s)) s = `BC${++auto}`;
    while (used.has(s)) s = `BC${++auto}`;
    used.add(s);
    setName.set(b.nodes, s);
    const ids = Array.from(b.nodes, (q) => q + 1);
    out.push(`*NSET, NSET=${s}`);
    for (let r = 0; r < ids.length; r += 16) out.push(ids.slice(r, r + 16).join(", "));
    return s;
  };
  const step: string[] = [];
  const printSets: string[] = [];
  let extra = nn;
  for (const b of bcs) {
    const s = nameFor(b);
    if (b.kind === "displacement") {
      step.push("*BOUNDARY", `${s}, ${b.component + 1}, ${b.component + 1}, ${fmt(b.value)}`);
      if (!printSets.includes(s)) printSets.push(s);
    } else if (b.kind === "force") {
      step.push("*CLOAD", `${s}, ${b.component + 1}, ${fmt(b.value)}`);
    } else {
      const ref = ++extra, rot = ++extra;
      out.push("*NODE", `${ref}, ${fmt(b.reference[0])}, ${fmt(b.reference[1])}, ${fmt(b.reference[2])}`, `${rot}, ${fmt(b.reference[0])}, ${fmt(b.reference[1])}, ${fmt(b.reference[2])}`);
      out.push(`*RIGID BODY, NSET=${s}, REF NODE=${ref}, ROT NODE=${rot}`);
      if (b.axes) {
        // local axes of the reference DOFs: a rectangular transform of both reference nodes
        // (point a on the local x axis, point b in the local x-y plane)
        const A = b.axes;
        out.push(`*NSET, NSET=${s}_RB`, `${ref}, ${rot}`, `*TRANSFORM, NSET=${s}_RB, TYPE=R`, [A[0], A[3], A[6], A[1], A[4], A[7]].map(fmt).join(", "));
      }
      for (let d = 0; d < 6; d++) {
        const node = d < 3 ? ref : rot, dof = (d % 3) + 1;
        const u = b.displacement?.[d];
        if (u !== null && u !== undefined) step.push("*BOUNDARY", `${node}, ${dof}, ${dof}, ${fmt(u)}`);
        else if (b.load?.[d]) step.push("*CLOAD", `${node}, ${dof}, ${fmt(b.load[d])}`);
      }
      out.push(`*NSET, NSET=${s}_REF`, `${ref}`, `*NSET, NSET=${s}_ROT`, `${rot}`);
      printSets.push(`${s}_REF`, `${s}_ROT`);
    }
  }
  out.push("*STEP", options.solver ? `*STATIC, SOLVER=${options.solver}` : "*STATIC", ...step);
  for (const s of printSets) out.push(`*NODE PRINT, NSET=${s}, TOTALS=ONLY`, "RF");
  if (options.printDisplacements) out.push("*NODE PRINT, NSET=NALL", "U");
  out.push("*END STEP", "");
  return out.join("\n");
}

/** Write the deck to a file. */
export function writeInp(path: string, model: FeModel, bcs: readonly BoundaryCondition[], options: InpWriteOptions = {}): void {
  writeFileSync(path, formatInp(model, bcs, options));
}
