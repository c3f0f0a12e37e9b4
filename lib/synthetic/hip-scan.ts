/**
 * The hip scan: the hip phantom on a clinical axial grid (1.0 mm pixels, 1.25 mm slices, 180 x 180
 * x 150 mm, identity direction), and its ground truth.
 * @module
 */
import type { GridGeometry } from "../volume/resample.js";
import { IDENTITY_DIRECTION } from "../volume/volume.js";
import { DEFAULT_HIP_PHANTOM, HipPhantom, type HipPhantomParams } from "./hip-phantom.js";
import { GENERATOR_VERSION, generateScan, withLazyTruth, type ScanOptions, type SyntheticScan } from "./scan.js";
import { formationTruth, gridTruth, labelStatistics, roundNumbers, tissueStatistics } from "./truth.js";
import { combine, normalize, scale, sub, type Vec3 } from "./vec3.js";

/** The default hip grid: 180 x 180 x 120 voxels of 1.0 x 1.0 x 1.25 mm, axial, LPS identity. */
export const DEFAULT_HIP_GRID: GridGeometry = {
  dims: [180, 180, 120],
  spacing: [1.0, 1.0, 1.25],
  origin: [-203.4, -76.6, -116.25],
  direction: [...IDENTITY_DIRECTION],
};

/** Options of {@link generateHipScan}. */
export interface HipScanOptions extends ScanOptions {
  phantom?: HipPhantomParams;
  grid?: GridGeometry;
}

/** A generated hip scan with its phantom and truth. */
export interface HipScan extends SyntheticScan {
  kind: "hip";
  phantom: HipPhantom;
  /** The truth record, computed on first access. */
  readonly truth: Record<string, unknown>;
}

/**
 * Generate the hip scan (or a block of it).
 * @example
 * ```ts
 * const hip = generateHipScan({ seed: 1 });
 * hip.ct.dims; // [180, 180, 120]
 * (hip.truth.femur as { headRadiusMm: number }).headRadiusMm; // 24
 * ```
 */
export function generateHipScan(options: HipScanOptions = {}): HipScan {
  const phantom = new HipPhantom(options.phantom ?? DEFAULT_HIP_PHANTOM);
  const grid = options.grid ?? DEFAULT_HIP_GRID;
  const scan = generateScan(phantom, grid, options);
  return withLazyTruth(scan, "hip", phantom, hipTruth);
}

/** Named cortical profiles: a point on the periosteal surface, the inward direction and the prescribed thickness. */
export function femurCorticalProfiles(phantom: HipPhantom): { name: string; surfacePoint: Vec3; inwardDirection: Vec3; thicknessMm: number }[] {
  const femur = phantom.femur, g = femur.geometry;
  const O = g.neckShaftJunction;
  const out: { name: string; surfacePoint: Vec3; inwardDirection: Vec3; thicknessMm: number }[] = [];
  const add = (name: string, inside: Vec3, dir: Vec3) => {
    const p = femur.surfacePoint(inside, dir);
    out.push({ name, surfacePoint: p, inwardDirection: scale(dir, -1), thicknessMm: femur.corticalThickness(p[0], p[1], p[2]) });
  };
  const shaft70 = combine([1, O], [-70, g.shaftAxis]);
  add("diaphysis_medial", shaft70, g.medial);
  add("diaphysis_lateral", shaft70, scale(g.medial, -1));
  add("diaphysis_anterior", shaft70, g.anterior);
  const neck24 = combine([1, O], [24, g.neckAxis]);
  add("neck_superior", neck24, g.neckSuperior);
  add("neck_inferior", neck24, scale(g.neckSuperior, -1));
  const up = normalize(sub(g.compressiveGroup[0], g.headCentre));
  add("head_superior", g.headCentre, up);
  return out;
}

/** The truth record of a hip scan. */
export function hipTruth(scan: SyntheticScan, phantom: HipPhantom): Record<string, unknown> {
  const p = phantom.params, g = phantom.femur.geometry;
  const slope = scan.scanner.slope;
  const rodHu = (rho: number) => slope * rho; // rods: water-equivalent base, 0 HU
  return roundNumbers({
    generator: { name: "bct synthetic CT phantom (lib/synthetic)", version: GENERATOR_VERSION },
    scan: "hip",
    seed: scan.seed,
    conventions: {
      world: "DICOM LPS: +x patient left, +y posterior, +z superior; mm",
      density: "K2HPO4-equivalent mineral density, mg/cm3 (0 in soft tissue, air and equipment)",
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
      rods: phantom.calibration.rodTruth().map((r) => ({ ...r, expectedHu: rodHu(r.densityMgCm3) })),
      regression: { slope, interceptHu: 0, note: "HU = slope * rhoK exactly in every rod (same water-equivalent base)" },
      bar: { centreX: p.calibration.centreX, topY: p.calibration.topY, widthMm: p.calibration.width, heightMm: p.calibration.height },
      tableTopY: p.calibration.topY + p.calibration.height,
      tableThicknessMm: p.calibration.tableThickness,
    },
    femur: {
      side: g.side,
      headCentre: g.headCentre,
      headRadiusMm: g.headRadius,
      headVolumeMm3: (4 / 3) * Math.PI * g.headRadius ** 3,
      neckShaftJunction: g.neckShaftJunction,
      neckAxis: g.neckAxis,
      shaftAxis: g.shaftAxis,
      axesNote: "neckAxis: unit vector from the neck-shaft junction to the head centre; shaftAxis: unit vector along the shaft, pointing proximally; both axes pass through neckShaftJunction",
      neckShaftAngleDeg: g.neckShaftAngleDeg,
      anteversionDeg: g.anteversionDeg,
      anteversionNote: "angle of the neck axis out of the plane holding the shaft axis and the LPS x axis, about the shaft axis",
      femoralOffsetMm: g.offsetMm,
      neckLengthMm: p.femur.neckLength,
      neckSemiAxesAtWaistMm: p.femur.neckSemiAxes,
      shaftRadiusMm: { diaphysis: p.femur.shaftRadius, proximal: p.femur.metaphysisRadius },
      medial: g.medial,
      anterior: g.anterior,
      neckSuperior: g.neckSuperior,
      landmarks: {
        greaterTrochanterCentre: g.greaterTrochanterCentre,
        lesserTrochanterCentre: g.lesserTrochanterCentre,
        wardsTriangleCentre: g.wardsTriangleCentre,
        compressiveGroup: g.compressiveGroup,
        tensileGroup: g.tensileGroup,
      },
      corticalThicknessMm: p.femur.cortex,
      corticalProfiles: femurCorticalProfiles(phantom),
      corticalDensityMgCm3: p.femur.corticalDensity,
      trabecularDensityMgCm3: {
        ...p.femur.trabecular,
        field:
          "base + compressive exp(-d_c^2 / 2 5^2) + tensile exp(-d_t^2 / 2 4^2) + head exp(-|p - head|^2 / 2 12^2) - wardDeficit exp(-|p - ward|^2 / 2 6^2) - trochanterDeficit exp(-|p - GT|^2 / 2 12^2), clamped to [min, max], then faded to 0 (canal marrow) by smoothstep over shaft positions -70..-38 mm; d_c: distance to the segment landmarks.compressiveGroup, d_t: distance to the polyline landmarks.tensileGroup, ward = landmarks.wardsTriangleCentre, GT = landmarks.greaterTrochanterCentre",
      },
    },
    pelvis: {
      side: p.pelvis.side,
      acetabulumCentre: p.pelvis.acetabulumCentre,
      cavityRadiusMm: p.pelvis.cavityRadius,
      jointSpaceMm: phantom.jointSpaceMm,
      openingAxis: phantom.pelvis.openingAxis,
      inclinationDeg: p.pelvis.inclinationDeg,
      anteversionDeg: p.pelvis.anteversionDeg,
      corticalThicknessMm: p.pelvis.cortex,
      corticalDensityMgCm3: p.pelvis.corticalDensity,
      trabecularDensityMgCm3: p.pelvis.trabecular,
    },
    body: { ...p.body, note: "axial ellipse extruded along z, back flattened on the phantom; skin, then subcutaneous fat, then muscle" },
  });
}
