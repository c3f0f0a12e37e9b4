import { describe, expect, it } from "vitest";
import { spineDxa } from "../../lib/dxa/spine.js";
import { DEFAULT_EFFECTIVE_ENERGY_KEV } from "../../lib/synthetic/ct-formation.js";
import { pointSample } from "../../lib/synthetic/model.js";
import { DEFAULT_SPINE_PHANTOM, SpinePhantom } from "../../lib/synthetic/spine-phantom.js";
import { DEFAULT_SPINE_GRID, generateSpineScan } from "../../lib/synthetic/spine-scan.js";
import { DEFAULT_SPINE_CENTRUM_VBMD_HA, meanSpineFactors, meanSpineVbmdHA, spineSubjectPhantom } from "../../lib/synthetic/spine-subject.js";
import { meanSubjectFactors, periostealExpansion, subjectPhantomParams, withPeriostealExpansion, SUBJECT_SPEC_FORMAT, SUBJECT_SPEC_VERSION } from "../../lib/synthetic/subject.js";
import { createVolume, type Volume } from "../../lib/volume/volume.js";

describe("spine subjects", () => {
  it("factors 1 give the default spine phantom unchanged", () => {
    expect(spineSubjectPhantom({ trabecularDensity: 1, size: 1 })).toEqual(DEFAULT_SPINE_PHANTOM);
  });

  it("trabecularDensity scales the trabecular field exactly; size scales the vertebra", () => {
    const base = new SpinePhantom(DEFAULT_SPINE_PHANTOM);
    const half = new SpinePhantom(spineSubjectPhantom({ trabecularDensity: 0.5, size: 1 }));
    const a = pointSample(), b = pointSample();
    const c = DEFAULT_SPINE_PHANTOM.vertebra.centre;
    for (const dz of [-8, -3, 0, 4, 9]) {
      base.sample(c[0] + 3, c[1] - 4, c[2] + dz, a);
      half.sample(c[0] + 3, c[1] - 4, c[2] + dz, b);
      expect(b.tissue).toBe(a.tissue);
      expect(b.density).toBeCloseTo(0.5 * a.density, 9);
    }
    const big = new SpinePhantom(spineSubjectPhantom({ trabecularDensity: 1, size: 1.2 }));
    expect(big.target.geometry.heightMm).toBeCloseTo(1.2 * base.target.geometry.heightMm, 9);
    expect(() => spineSubjectPhantom({ trabecularDensity: 3, size: 1 })).toThrow(/trabecularDensity must be a number from 0.25 to 2/);
  });

  it("vBMD by age: 170 mg/cm3 HA at 20, lifetime losses 55% (women) and 46% (men) to 97 (Riggs 2004)", () => {
    expect(meanSpineVbmdHA("F", 20)).toBeCloseTo(170, 9);
    expect(meanSpineVbmdHA("F", 97)).toBeCloseTo(170 * 0.45, 9);
    expect(meanSpineVbmdHA("M", 97)).toBeCloseTo(170 * 0.54, 9);
    expect(meanSpineVbmdHA("F", 58.5)).toBeCloseTo(170 * (1 - 0.55 / 2), 9);
    expect(meanSpineVbmdHA("F", 100)).toBeCloseTo(170 * 0.45, 9);
    // men's vertebral area 38% larger at 20 (Riggs 2004: 35-42%), +15% area over life
    const f20 = meanSpineFactors("F", 20), m20 = meanSpineFactors("M", 20), f97 = meanSpineFactors("F", 97);
    expect((m20.size / f20.size) ** 2).toBeCloseTo(1.378, 3);
    expect((f97.size / f20.size) ** 2).toBeCloseTo(1.15, 9);
    expect(meanSpineFactors("F", 97).trabecularDensity * DEFAULT_SPINE_CENTRUM_VBMD_HA).toBeCloseTo(170 * 0.45, 9);
  });

  it("the default phantom's centrum vBMD (mg/cm3 HA) is the pinned constant", () => {
    // Only the voxels around the target vertebra (the same values the full scan has there), and one
    // sample per voxel (the constant was measured with the generator's 3 per edge on the full grid; the
    // ROI lies 2 mm inside the cortex, where the smooth field's voxel mean and centre value differ by
    // well under 1 mg/cm3): about 30 times cheaper.
    const box = { min: [30, 15, 0] as [number, number, number], max: [140, 130, DEFAULT_SPINE_GRID.dims[2]] as [number, number, number] };
    const scan = generateSpineScan({ seed: 1, box, scanner: { supersampling: 1 } });
    const mask = (l: Volume, vs: number[]) => createVolume({ dims: l.dims, spacing: l.spacing, origin: l.origin, direction: l.direction, data: Uint8Array.from(l.data as ArrayLike<number>, (v) => (vs.includes(v) ? 1 : 0)) });
    const d = spineDxa(scan.density, [{ level: "L3", mask: mask(scan.labels, [1, 2]), body: mask(scan.labels, [1]) }], { densityMeasure: "rhoK", effectiveEnergyKeV: DEFAULT_EFFECTIVE_ENERGY_KEV, waterDisplacement: { rhoK: 0 } });
    expect(Math.abs(d.result.levels[0].trabecularVBMD_HA! - DEFAULT_SPINE_CENTRUM_VBMD_HA)).toBeLessThan(1);
  });
});

describe("periosteal expansion (hip)", () => {
  it("grows the bone area by 15% from 20 to 97 (Riggs 2004), linearly, clamped outside", () => {
    expect(periostealExpansion(97, 20)).toBeCloseTo(Math.sqrt(1.15), 12);
    expect(periostealExpansion(58.5, 20)).toBeCloseTo(Math.sqrt(1.075), 12);
    expect(periostealExpansion(10, 20)).toBe(1);
    expect(periostealExpansion(110, 20)).toBeCloseTo(Math.sqrt(1.15), 12);
    expect(periostealExpansion(80, 45)).toBeCloseTo(Math.sqrt((1 + (0.15 * 60) / 77) / (1 + (0.15 * 25) / 77)), 12);
  });

  it("the femur grows outward while the cortex keeps its thickness; nothing changes at onset", () => {
    const f = meanSubjectFactors("F", 80);
    const g = withPeriostealExpansion(f, "F", 80);
    const k = periostealExpansion(80, 45);
    expect(g.size / f.size).toBeCloseTo(k, 12);
    expect(g.size * g.corticalThickness).toBeCloseTo(f.size * f.corticalThickness, 12);
    expect(withPeriostealExpansion(meanSubjectFactors("M", 55), "M", 55)).toEqual(meanSubjectFactors("M", 55));
    const spec = (factors: typeof f) => ({ format: SUBJECT_SPEC_FORMAT, version: SUBJECT_SPEC_VERSION, id: "P", sex: "F" as const, age: 80, heightCm: 160, weightKg: 60, seed: 1, factors });
    const before = subjectPhantomParams(spec(f)), after = subjectPhantomParams(spec(g));
    expect(after.femur.headRadius / before.femur.headRadius).toBeCloseTo(k, 12);
    expect(after.femur.neckSemiAxes[0] / before.femur.neckSemiAxes[0]).toBeCloseTo(k, 12);
    for (const key of Object.keys(before.femur.cortex) as (keyof typeof before.femur.cortex)[]) expect(after.femur.cortex[key]).toBeCloseTo(before.femur.cortex[key], 12);
  });
});
