import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { femurLandmarks } from "../../lib/anatomy/femur.js";
import { readNifti } from "../../lib/io/nifti/index.js";
import { describeHipLoadCase, hipBoundaryConditions, hipCaps, hipLoadDirection, sidewaysFall, stance } from "../../lib/loading/hip.js";
import { modelToWorld } from "../../lib/mesh/model.js";
import { PMMA_MODULUS_MPA, withPmmaModulus } from "../../lib/mesh/pmma-caps.js";
import { gridToVoxelModel } from "../../lib/mesh/model.js";
import { voxelize } from "../../lib/mesh/voxelize.js";
import { createVolume, type Vec3 } from "../../lib/volume/volume.js";
import { REPO_ROOT } from "../helpers/paths.js";

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const sub = (a: ArrayLike<number>, b: ArrayLike<number>): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];

describe("hip load direction in a known femur frame (hand-derived)", () => {
  // proximal +z, medial +x, anterior +y: u = cos(10)(cos(15)(-m) + sin(15)(-a)) + sin(10) p
  const frame = { proximal: [0, 0, 1] as Vec3, medial: [1, 0, 0] as Vec3, anterior: [0, 1, 0] as Vec3 };
  it("sideways fall 10 deg / 15 deg: lateral, posterior and toward the hip along the shaft", () => {
    const u = hipLoadDirection(frame, sidewaysFall());
    const c10 = Math.cos((10 * Math.PI) / 180), s10 = Math.sin((10 * Math.PI) / 180), c15 = Math.cos((15 * Math.PI) / 180), s15 = Math.sin((15 * Math.PI) / 180);
    expect(u[0]).toBeCloseTo(-c10 * c15, 12); // -0.95125
    expect(u[1]).toBeCloseTo(-c10 * s15, 12); // -0.25489
    expect(u[2]).toBeCloseTo(s10, 12); //         +0.17365
    expect([u[0], u[1], u[2]].map((x) => +x.toFixed(5))).toEqual([-0.95125, -0.25489, 0.17365]);
  });
  it("a flipped shaft angle or internal rotation gives another vector", () => {
    const ref = hipLoadDirection(frame, sidewaysFall());
    const a = hipLoadDirection(frame, sidewaysFall({ shaftAngleDeg: -10 }));
    const b = hipLoadDirection(frame, sidewaysFall({ internalRotationDeg: -15 }));
    expect(a[2]).toBeCloseTo(-ref[2], 12);
    expect(b[1]).toBeCloseTo(-ref[1], 12);
    expect(dot(a, ref)).toBeLessThan(0.95);
    expect(dot(b, ref)).toBeLessThan(0.9);
  });
  it("stance 20 deg: distal and lateral in the coronal plane", () => {
    const u = hipLoadDirection(frame, stance());
    expect([u[0], u[1], u[2]].map((x) => +x.toFixed(5))).toEqual([-0.34202, 0, -0.93969]);
  });
  it("defaults: PMMA caps 10 mm / 6 mm, fall pinned, stance clamped; the description names them", () => {
    expect(sidewaysFall()).toMatchObject({ caps: "pmma", capThicknessMm: 10, capDepthMm: 6, distal: "pinned" });
    expect(stance()).toMatchObject({ caps: "pmma", distal: "clamped" });
    expect(describeHipLoadCase(sidewaysFall()).boundary).toContain("pinned");
  });
});

describe("caps on the embedded phantom femur (exact density, truth label, 3 mm)", () => {
  const truth = JSON.parse(readFileSync(join(REPO_ROOT, "datasets/phantom/hip/truth.json"), "utf8"));
  const density = readNifti(join(REPO_ROOT, "datasets/phantom/hip/density.nii.gz")).volume;
  const labels = readNifti(join(REPO_ROOT, "datasets/phantom/hip/labels.nii.gz")).volume;
  const mask = createVolume({ dims: labels.dims, spacing: labels.spacing, origin: labels.origin, direction: labels.direction, data: Uint8Array.from(labels.data, (v) => (v === 1 ? 1 : 0)) });
  const lm = femurLandmarks(mask);
  const grid = voxelize(density, mask, { elementSize: 3 });
  const gt: Vec3 = truth.femur.landmarks.greaterTrochanterCentre;
  const contactOf = (internalRotationDeg: number) => {
    const lc = sidewaysFall({ internalRotationDeg });
    const capped = hipCaps(grid, lm, lc);
    const t = capped.caps.find((c) => c.name === "TROCHANTER")!;
    const h = capped.caps.find((c) => c.name === "HEAD")!;
    return { lc, capped, gtContact: modelToWorld(capped.grid, t.contact), headContact: modelToWorld(capped.grid, h.contact), u: hipLoadDirection(lm.frame, lc) };
  };
  const ref = contactOf(15);

  it("the ground touches the trochanter on its lateral, downward side; the pad touches the head's opposite side", () => {
    const d = sub(ref.gtContact, gt);
    expect(dot(d, ref.u)).toBeGreaterThan(5); // below the GT centre, toward the ground
    expect(dot(d, truth.femur.medial)).toBeLessThan(-5); // lateral
    const hd = sub(ref.headContact, truth.femur.headCentre);
    expect(dot(hd, ref.u)).toBeLessThan(-(truth.femur.headRadiusMm - 3)); // top of the head, away from the ground
  });

  it("internal rotation puts the contact on the posterolateral trochanter (external rotation: anterolateral)", () => {
    const ext = contactOf(-15);
    const post = dot(sub(ref.gtContact, gt), truth.femur.anterior), ant = dot(sub(ext.gtContact, gt), truth.femur.anterior);
    expect(post).toBeLessThan(0);
    expect(post).toBeLessThan(ant - 3);
  });

  it("PMMA caps: bone kept as bone, PMMA only outside it, the platens on the caps' outer faces; the pinned cut frees one rotation", () => {
    const { capped, lc } = ref;
    const bone = capped.material.filter((t) => t === 0).length;
    expect(bone).toBe(grid.elements.length);
    for (const c of capped.caps) expect(c.elements).toBeGreaterThan(10);
    const model = gridToVoxelModel(capped.grid, withPmmaModulus(new Float32Array(capped.material.length).fill(1000), capped.material));
    expect(model.modulus.filter((E) => E === PMMA_MODULUS_MPA).length).toBe(capped.material.length - bone);
    const bc = hipBoundaryConditions(model, capped.grid, lm, lc, capped);
    const head = bc.bcs.find((b) => b.set === "HEAD")!;
    const distal = bc.bcs.find((b) => b.set === "DISTAL")!;
    expect(head.kind).toBe("rigid");
    expect(distal.kind === "rigid" && Array.from(distal.displacement!)).toEqual([0, 0, 0, null, 0, 0]);
    // the free rotation axis is normal to the plane of the load and the shaft
    expect(Math.abs(dot(bc.distalPivot!.axisWorld, bc.directionWorld))).toBeLessThan(1e-9);
    expect(Math.abs(dot(bc.distalPivot!.axisWorld, lm.shaftAxis))).toBeLessThan(1e-9);
    // every platen node belongs to PMMA elements only, at the outer face (>= thickness - depth - h beyond the bone's extreme)
    const cap = capped.caps.find((c) => c.name === "HEAD")!;
    const boneNodes = new Set<number>();
    for (let q = 0; q < capped.material.length; q++) if (capped.material[q] === 0) for (let a = 0; a < 8; a++) boneNodes.add(model.conn[8 * q + a]);
    for (const n of bc.headNodes) expect(boneNodes.has(n)).toBe(false);
    const clamped = hipBoundaryConditions(model, capped.grid, lm, sidewaysFall({ distal: "clamped" }), capped);
    expect(clamped.bcs.filter((b) => b.set === "DISTAL").map((b) => b.kind)).toEqual(["displacement", "displacement", "displacement"]);
    expect(cap.outerMm - cap.extremeMm).toBeCloseTo(lc.capThicknessMm - lc.capDepthMm, 9);
  });
});
