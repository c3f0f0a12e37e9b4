import { describe, expect, it } from "vitest";
import { ScanError } from "../../lib/io/scan.js";
import { analyzeHip } from "../../lib/pipeline/hip.js";
import type { PipelineProgress } from "../../lib/pipeline/progress.js";
import { analyzeSpine } from "../../lib/pipeline/spine.js";
import { checkScan } from "../../lib/pipeline/stages.js";
import { createVolume, type Vec3 } from "../../lib/volume/volume.js";

/** A small CT-like volume: air around a water cylinder with a bone core (HU). */
function cylinder(dims: Vec3 = [40, 40, 12], offset = 0) {
  const [nx, ny, nz] = dims;
  const data = new Int16Array(nx * ny * nz);
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
    const r = Math.hypot(i - nx / 2, j - ny / 2);
    data[i + nx * (j + ny * k)] = offset + (r < 5 ? 700 : r < 15 ? 40 : -1000);
  }
  return createVolume({ dims, spacing: [1, 1, 1], data });
}

/** Run an analysis, return the error it ends with and the stages that started. */
function run(f: (onProgress: (p: PipelineProgress) => void) => unknown): { error: unknown; started: string[] } {
  const started: string[] = [];
  try {
    f((p) => { if (p.phase === "start") started.push(p.stage); });
  } catch (error) {
    return { error, started };
  }
  return { error: null, started };
}

describe("fail fast: a scan that cannot be analysed ends before the calibration", () => {
  it("checks geometry and HU cheaply", () => {
    expect(checkScan(cylinder()).minHu).toBe(-1000);
    expect(() => checkScan(cylinder([40, 40, 1]))).toThrow(/at least 16 x 16 x 3/);
    expect(() => checkScan(createVolume({ dims: [40, 40, 4], spacing: [1, 1, 12], data: cylinder([40, 40, 4]).data }))).toThrow(/coarser than 10 mm/);
    expect(() => checkScan(cylinder(undefined, 1024))).toThrow(/no value below 0.*not HU/);
    expect(() => checkScan(cylinder(undefined, -2000))).toThrow(/no voxel above -250 HU/);
  });

  it("with a phantom, stored values without the rescale pass the check (the rods fix the scale) and go on to the calibration", () => {
    expect(checkScan(cylinder(undefined, 1024), { requireNegative: false }).minHu).toBeGreaterThanOrEqual(0);
    const phantom = { name: "p", measure: "rhoK" as const, rodDiameter: 16, rodSpacing: 26, rods: [{ name: "A", density: 0 }, { name: "B", density: 100 }] };
    const r = run((onProgress) => analyzeHip(cylinder(undefined, 1024), { sex: "F", calibration: { kind: "phantom", phantom }, onProgress }));
    expect(r.started.slice(0, 2)).toEqual(["scan check", "calibration"]);
  });

  for (const [what, ct] of [["stored values without the rescale (no value below 0)", cylinder(undefined, 1024)], ["a single slice", cylinder([40, 40, 1])]] as const) {
    it(`spine, internal calibration: ${what}`, () => {
      const r = run((onProgress) => analyzeSpine(ct, { sex: "F", calibration: { kind: "internal" }, onProgress }));
      expect(r.error).toBeInstanceOf(ScanError);
      expect(r.started).toEqual(["scan check"]);
    });
    if (what.startsWith("stored")) continue; // a phantom fit sets the scale whatever the offset: see below
    it(`hip, phantom calibration: ${what}`, () => {
      const phantom = { name: "p", measure: "rhoK" as const, rodDiameter: 16, rodSpacing: 26, rods: [{ name: "A", density: 0 }, { name: "B", density: 100 }] };
      const r = run((onProgress) => analyzeHip(ct, { sex: "F", calibration: { kind: "phantom", phantom }, onProgress }));
      expect(r.error).toBeInstanceOf(ScanError);
      expect(r.started).toEqual(["scan check"]);
    });
  }

  it("a scan that passes the check goes on to the calibration", () => {
    const r = run((onProgress) => analyzeSpine(cylinder(), { sex: "F", calibration: { kind: "internal" }, onProgress }));
    expect(r.started.slice(0, 2)).toEqual(["scan check", "calibration"]);
  });
});
