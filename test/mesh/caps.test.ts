import { describe, expect, it } from "vitest";
import { addCap, assertCapRoom, boneElements, capModulus, MATERIAL_BONE, MATERIAL_PMMA, PMMA, platenModelNodes, type CappedGrid } from "../../lib/mesh/caps.js";
import { gridToVoxelModel, modelToWorld } from "../../lib/mesh/model.js";
import { elementCentre, MeshError, type ElementGrid } from "../../lib/mesh/voxelize.js";
import { createVolume, type Mat3, type Vec3 } from "../../lib/volume/volume.js";

const I3: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

/** A grid whose every element is bone: a block of n elements of h mm, density = 100 + flat index. */
function block(n: Vec3, h = 1, origin: Vec3 = [-20, 30, 100], direction: Mat3 = I3): ElementGrid {
  const m = n[0] * n[1] * n[2];
  const elements = Int32Array.from({ length: m }, (_, e) => e);
  return {
    dims: n, elementSize: [h, h, h], origin, direction, elements,
    density: Float32Array.from(elements, (e) => 100 + e), fraction: new Float32Array(m).fill(1),
    removedFragments: 0, removedElements: 0, warnings: [],
  };
}

/** World position of grid node g of a capped grid. */
function nodeWorld(c: CappedGrid, g: number): Vec3 {
  const sx = c.grid.dims[0] + 1, sy = c.grid.dims[1] + 1, h = c.grid.elementSize;
  return modelToWorld(c.grid, [(g % sx) * h[0], (Math.floor(g / sx) % sy) * h[1], Math.floor(g / (sx * sy)) * h[2]]);
}

describe("PMMA caps (lib/mesh/caps)", () => {
  const g = block([10, 10, 10]);
  const top = addCap(g, { name: "TOP", direction: [0, 0, 1] });

  it("embeds a block's top 6 mm in a 10 mm slab: PMMA ring around the bone, full layers above, the grid grown", () => {
    // footprint: the 10 x 10 mm face dilated by 1 mm, so 12 x 12 element centres (corners at 0.71 mm) per layer
    expect(top.grid.dims).toEqual([12, 12, 14]);
    expect(top.caps[0].pmmaElements).toBe(6 * (144 - 100) + 4 * 144);
    expect(top.caps[0].boneElements).toBe(6 * 100);
    expect(top.caps[0].surfaceMm).toBeCloseTo(110, 9);
    expect(top.caps[0].innerMm).toBeCloseTo(104, 9);
    expect(top.caps[0].outerMm).toBeCloseTo(114, 9);
    expect(top.caps[0].footprintMm2).toBeGreaterThan(100 + 40 + Math.PI - 2);
    expect(top.caps[0].footprintMm2).toBeLessThan(100 + 40 + Math.PI + 6); // pixels of h/4 round outwards
    expect(top.material.length).toBe(1000 + 840);
  });

  it("keeps every bone element with its density at its world place (re-indexed, order kept)", () => {
    const bone = boneElements(top.material);
    expect(bone.length).toBe(1000);
    bone.forEach((q, b) => {
      expect(top.grid.density[q]).toBe(g.density[b]);
      const a = elementCentre(top.grid, top.grid.elements[q]), o = elementCentre(g, g.elements[b]);
      expect(Math.hypot(a[0] - o[0], a[1] - o[1], a[2] - o[2])).toBeLessThan(1e-9);
    });
    for (let q = 1; q < top.grid.elements.length; q++) expect(top.grid.elements[q]).toBeGreaterThan(top.grid.elements[q - 1]);
    top.material.forEach((m, q) => { if (m === MATERIAL_PMMA) { expect(top.grid.density[q]).toBe(0); expect(top.grid.fraction[q]).toBe(1); } });
  });

  it("puts the platen on the cap's outer face, and keeps it there when another cap grows the grid", () => {
    const p = top.caps[0].platenNodes;
    expect(p.length).toBe(13 * 13);
    for (const q of p) expect(nodeWorld(top, q)[2]).toBeCloseTo(114, 9);
    const both = addCap(top, { name: "BOTTOM", direction: [0, 0, -1] });
    expect(both.grid.dims).toEqual([12, 12, 18]);
    expect(both.caps[0].platenNodes.length).toBe(169);
    for (const q of both.caps[0].platenNodes) expect(nodeWorld(both, q)[2]).toBeCloseTo(114, 9);
    for (const q of both.caps[1].platenNodes) expect(nodeWorld(both, q)[2]).toBeCloseTo(96, 9);
    // the 10 mm block's two 6 mm intrusions overlap over 2 mm: that ring is already the top cap's PMMA
    expect(both.caps[1].pmmaElements).toBe(840 - 2 * 44);
    // the model: PMMA modulus on the caps, bone moduli in bone order; the platens are model nodes
    const boneE = Float64Array.from(boneElements(both.material), (_, b) => 500 + b);
    const E = capModulus(both.material, boneE);
    const model = gridToVoxelModel(both.grid, E);
    expect(model.voxels.length).toBe(1000 + 840 + 752);
    both.material.forEach((m, q) => { if (m === MATERIAL_PMMA) expect(E[q]).toBe(PMMA.modulusMPa); });
    expect(E[boneElements(both.material)[7]]).toBe(507);
    const nodes = platenModelNodes(model, both.caps[1]);
    expect(nodes.length).toBe(169);
    for (const n of nodes) expect(model.origin[2] + Math.floor(model.nodeGrid[n] / (13 * 13)) * 1).toBe(0);
  });

  it("follows an oblique direction: the slab planes are perpendicular to it, the platen is its outer face", () => {
    const a = (12 * Math.PI) / 180, d: Vec3 = [Math.sin(a), 0, Math.cos(a)];
    const c = addCap(g, { name: "TILT", direction: d, footprintDilationMm: 1.5 });
    const cap = c.caps[0];
    // the extreme bone corner along d: (10, *, 10) mm from the block origin
    const dotd = (p: ArrayLike<number>) => p[0] * d[0] + p[1] * d[1] + p[2] * d[2];
    expect(cap.surfaceMm).toBeCloseTo(dotd([-20 + 10, 30, 110]), 6);
    c.material.forEach((m, q) => {
      if (m !== MATERIAL_PMMA) return;
      const t = dotd(elementCentre(c.grid, c.grid.elements[q]));
      expect(t).toBeGreaterThanOrEqual(cap.innerMm - 1e-9);
      expect(t).toBeLessThan(cap.outerMm);
    });
    // platen nodes lie within one element of the outer plane (stair steps), never inside the slab's inner part
    for (const q of cap.platenNodes) {
      const t = dotd(nodeWorld(c, q));
      expect(t).toBeGreaterThan(cap.outerMm - 1.5);
      expect(t).toBeLessThan(cap.outerMm + 1.5);
    }
  });

  it("limits a cap to a contact radius (a head or trochanter cap)", () => {
    const c = addCap(g, { name: "HEAD", direction: [0, 0, 1], contact: { point: [-15, 35, 120], radiusMm: 3 } });
    expect(c.caps[0].footprintMm2).toBeGreaterThan(Math.PI * 9 * 0.85);
    expect(c.caps[0].footprintMm2).toBeLessThan(Math.PI * 9 * 1.15);
    c.material.forEach((m, q) => {
      if (m !== MATERIAL_PMMA) return;
      const p = elementCentre(c.grid, c.grid.elements[q]);
      expect(Math.hypot(p[0] + 15, p[1] - 35)).toBeLessThanOrEqual(3);
    });
    // only above the block (the contact disc lies inside the face, so no ring): 4 layers of the disc
    expect(c.caps[0].pmmaElements % 4).toBe(0);
    expect(c.caps[0].pmmaElements / 4).toBeGreaterThan(Math.PI * 9 * 0.8);
    expect(c.grid.dims.slice(0, 2)).toEqual([10, 10]);
  });

  it("rejects impossible caps with a MeshError a user can act on", () => {
    expect(() => addCap(g, { name: "X", direction: [0, 0, 0] })).toThrow(MeshError);
    expect(() => addCap(g, { name: "X", direction: [0, 0, 1], thicknessMm: 5, intrusionMm: 6 })).toThrow(/thickness > intrusion/);
    expect(() => addCap(g, { name: "X", direction: [0, 0, 1], contact: { point: [500, 500, 0], radiusMm: 3 } })).toThrow(/no bone element within 3 mm/);
  });

  it("refuses a cap where the bone reaches the scan's border on the cap's side", () => {
    const mask = createVolume({ dims: [8, 8, 8], spacing: [1, 1, 2], data: new Uint8Array(512) });
    for (let k = 3; k < 8; k++) for (let j = 2; j < 6; j++) for (let i = 2; i < 6; i++) mask.data[i + 8 * (j + 8 * k)] = 1;
    expect(() => assertCapRoom(mask, [0, 0, -1], "INFERIOR")).not.toThrow();
    expect(() => assertCapRoom(mask, [0.2, 0, 1], "SUPERIOR")).toThrow(/last k slice on the side of the SUPERIOR cap/);
    expect(() => assertCapRoom(mask, [1, 0, 0], "SIDE")).not.toThrow();
  });

  it("tags bone and PMMA with the exported constants", () => {
    expect(MATERIAL_BONE).toBe(0);
    expect(MATERIAL_PMMA).toBe(1);
    expect(PMMA).toMatchObject({ modulusMPa: 2500, poisson: 0.3 });
  });
});
