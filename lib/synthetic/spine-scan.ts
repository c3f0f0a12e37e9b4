/**
 * The spine scan: the spine phantom on a clinical axial grid (0.9765625 mm pixels, i.e. a 500 mm
 * reconstruction field over 512 pixels, cropped to 168 x 168; 1.25 mm slices; 164 x 164 x 70 mm;
 * identity direction), and its ground truth.
 * @module
 */
import type { GridGeometry } from "../volume/resample.js";
import { IDENTITY_DIRECTION } from "../volume/volume.js";
import { pointSample } from "./model.js";
import { GENERATOR_VERSION, generateScan, withLazyTruth, type ScanOptions, type SyntheticScan } from "./scan.js";
import { DEFAULT_SPINE_PHANTOM, SpinePhantom, type SpinePhantomParams } from "./spine-phantom.js";
import { TISSUE } from "./tissues.js";
import { formationTruth, gridTruth, labelStatistics, roundNumbers, tissueStatistics } from "./truth.js";
import { angleDeg, type Vec3 } from "./vec3.js";

/** The default spine grid: 168 x 168 x 56 voxels of 0.9765625 x 0.9765625 x 1.25 mm, axial, LPS identity. */
export const DEFAULT_SPINE_GRID: GridGeometry = {
  dims: [168, 168, 56],
  spacing: [0.9765625, 0.9765625, 1.25],
  origin: [-81.54296875, -52.6, -34.4],
  direction: [...IDENTITY_DIRECTION],
};

/** Options of {@link generateSpineScan}. */
export interface SpineScanOptions extends ScanOptions {
  phantom?: SpinePhantomParams;
  grid?: GridGeometry;
}

/** A generated spine scan with its phantom and truth. */
export interface SpineScan extends SyntheticScan {
  kind: "spine";
  phantom: SpinePhantom;
  /** The truth record, computed on first access. */
  readonly truth: Record<string, unknown>;
}

/**
 * Generate the spine scan (or a block of it).
 * @example
 * ```ts
 * const spine = generateSpineScan({ seed: 1 });
 * (spine.truth.vertebra as { heightMm: number }).heightMm; // 26
 * ```
 */
export function generateSpineScan(options: SpineScanOptions = {}): SpineScan {
  const phantom = new SpinePhantom(options.phantom ?? DEFAULT_SPINE_PHANTOM);
  const grid = options.grid ?? DEFAULT_SPINE_GRID;
  const scan = generateScan(phantom, grid, options);
  return withLazyTruth(scan, "spine", phantom, spineTruth);
}

/**
 * Volume, centroid and mean densities of the target vertebral body, integrated (midpoint rule) on
 * a `step` mm grid in the body's own frame, independent of the scan grid.
 */
export function vertebralBodyIntegrals(phantom: SpinePhantom, step = 0.25) {
  const t = phantom.target, g = t.geometry, f = g.frame;
  const a = g.widthMm / 2 + 1, b = (t.params.bodyDepth * t.params.scale) / 2 + 1, h = g.anteriorHeightMm / 2 + 1;
  const n = [Math.round((2 * a) / step), Math.round((2 * b) / step), Math.round((2 * h) / step)];
  const d = [(2 * a) / n[0], (2 * b) / n[1], (2 * h) / n[2]];
  const pt = pointSample();
  let count = 0, su = 0, sv = 0, sw = 0, sRho = 0, tCount = 0, tRho = 0;
  for (let c = 0; c < n[2]; c++) {
    const w = -h + (c + 0.5) * d[2];
    for (let bb = 0; bb < n[1]; bb++) {
      const v = -b + (bb + 0.5) * d[1];
      for (let aa = 0; aa < n[0]; aa++) {
        const u = -a + (aa + 0.5) * d[0];
        if (t.bodyDistanceLocal(u, v, w) > 0) continue;
        const x = f.origin[0] + u * f.ex[0] + v * f.ey[0] + w * f.ez[0];
        const y = f.origin[1] + u * f.ex[1] + v * f.ey[1] + w * f.ez[1];
        const z = f.origin[2] + u * f.ex[2] + v * f.ey[2] + w * f.ez[2];
        t.sample(x, y, z, pt);
        count++;
        su += u;
        sv += v;
        sw += w;
        sRho += pt.density;
        if (pt.tissue === TISSUE.trabecular_bone) {
          tCount++;
          tRho += pt.density;
        }
      }
    }
  }
  const dv = d[0] * d[1] * d[2];
  const cu = su / count, cv = sv / count, cw = sw / count;
  return {
    volumeMm3: count * dv,
    centroid: [0, 1, 2].map((k) => f.origin[k] + cu * f.ex[k] + cv * f.ey[k] + cw * f.ez[k]) as Vec3,
    meanDensityMgCm3: sRho / count,
    trabecularVolumeMm3: tCount * dv,
    meanTrabecularDensityMgCm3: tRho / tCount,
    integrationStepMm: step,
  };
}

/** The truth record of a spine scan. */
export function spineTruth(scan: SyntheticScan, phantom: SpinePhantom): Record<string, unknown> {
  const p = phantom.params, t = phantom.target, g = t.geometry;
  const slope = scan.scanner.slope;
  const integrals = vertebralBodyIntegrals(phantom);
  const bodyIntegrals = {
    bodyVolumeMm3: integrals.volumeMm3,
    bodyMeanDensityMgCm3: integrals.meanDensityMgCm3,
    trabecularVolumeMm3: integrals.trabecularVolumeMm3,
    meanTrabecularDensityMgCm3: integrals.meanTrabecularDensityMgCm3,
    integralsNote: `integrated on a ${integrals.integrationStepMm} mm grid in the body frame; density means are over the solid (cortex and endplates included) and over the trabecular compartment`,
  };
  const centreOf = (v: typeof phantom.above) => v.geometry.frame.origin as Vec3;
  return roundNumbers({
    generator: { name: "bct synthetic CT phantom (lib/synthetic)", version: GENERATOR_VERSION },
    scan: "spine",
    seed: scan.seed,
    conventions: {
      world: "DICOM LPS: +x patient left, +y posterior, +z superior; mm",
      density: "K2HPO4-equivalent mineral density, mg/cm3 (0 in soft tissue, blood, air and equipment)",
      ct: "Hounsfield units",
      direction: "row-major 3x3; column c is the unit vector of voxel axis c (i, j, k) in LPS",
      voxelOrder: "i fastest: data[i + nx * (j + ny * k)]",
      labelsAndTissues: "label and tissue of the voxel centre; density is the mean over the voxel",
    },
    grid: gridTruth(scan.grid, scan.box),
    ctFormation: formationTruth(scan.scanner, scan.grid),
    labels: labelStatistics(scan, phantom.labels),
    tissues: tissueStatistics(scan),
    calibrationPhantom: {
      description: "water-equivalent bar with K2HPO4 rods along z, under the patient, on the table",
      rods: phantom.calibration.rodTruth().map((r) => ({ ...r, expectedHu: slope * r.densityMgCm3 })),
      regression: { slope, interceptHu: 0, note: "HU = slope * rhoK exactly in every rod (same water-equivalent base)" },
      bar: { centreX: p.calibration.centreX, topY: p.calibration.topY, widthMm: p.calibration.width, heightMm: p.calibration.height },
      tableTopY: p.calibration.topY + p.calibration.height,
      tableThicknessMm: p.calibration.tableThickness,
    },
    vertebra: {
      level: g.level,
      geometricCentre: g.frame.origin,
      geometricCentreNote: "on the body axis, halfway between the endplate planes",
      bodyCentroid: integrals.centroid,
      bodyCentroidNote: "centroid of the body solid (see integralsNote)",
      axis: g.axis,
      frame: { left: g.frame.ex, posterior: g.frame.ey, superior: g.frame.ez },
      rotationDeg: p.vertebra.rotationDeg,
      rotationNote: "the body frame is LPS rotated about x, then y, then z by these angles",
      superiorEndplateNormal: g.superiorEndplateNormal,
      inferiorEndplateNormal: g.inferiorEndplateNormal,
      endplateNormalsNote: "outward unit normals of the planar endplates",
      superiorEndplateCentre: g.superiorEndplateCentre,
      inferiorEndplateCentre: g.inferiorEndplateCentre,
      endplateAngleDeg: angleDeg(g.superiorEndplateNormal, [-g.inferiorEndplateNormal[0], -g.inferiorEndplateNormal[1], -g.inferiorEndplateNormal[2]]),
      heightMm: g.heightMm,
      heightNote: "distance between the endplate planes along the body axis through the geometric centre",
      anteriorHeightMm: g.anteriorHeightMm,
      posteriorHeightMm: g.posteriorHeightMm,
      widthMm: g.widthMm,
      depthMm: g.depthMm,
      waist: p.vertebra.waist,
      ...bodyIntegrals,
      corticalThicknessMm: p.vertebra.cortex,
      corticalDensityMgCm3: p.vertebra.corticalDensity,
      trabecularDensityMgCm3: {
        ...p.vertebra.trabecular,
        field:
          "base + apGradient * y / (depth / 2) + endplate exp(-d / endplateDecay) - basivertebral exp(-(x^2 + (y - 6)^2) / 2 5^2) in body-frame mm, clamped to [min, max]; posterior elements uniform",
      },
    },
    adjacentVertebrae: {
      above: { level: p.above.level, scale: p.above.scale, geometricCentre: centreOf(phantom.above), heightMm: phantom.above.geometry.heightMm },
      below: { level: p.below.level, scale: p.below.scale, geometricCentre: centreOf(phantom.below), heightMm: phantom.below.geometry.heightMm },
      discHeightMm: p.discHeight,
    },
    vessels: {
      aorta: { centreXY: p.aorta.centre, semiAxesMm: p.aorta.semiAxes, tissue: "blood", note: "extruded along z" },
      inferiorVenaCava: { centreXY: p.ivc.centre, semiAxesMm: p.ivc.semiAxes, angleDeg: p.ivc.angleDeg ?? 0, tissue: "blood" },
    },
    softTissue: {
      body: p.body,
      psoas: p.psoas,
      quadratusLumborum: p.quadratusLumborum,
      erectorSpinae: p.erectorSpinae,
      musclePairsNote: "centres given for the patient's left; mirrored about the vertebra's x",
      visceraBelowY: p.visceraY,
      spinalCanal: { ...p.canal, tissue: "water (CSF)", note: "ellipse in the body frame, along the body axis" },
    },
  });
}
