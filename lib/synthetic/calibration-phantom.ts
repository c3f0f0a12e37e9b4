/**
 * A calibration phantom under the patient, in the style of a solid K2HPO4 bar phantom: a
 * water-equivalent bar running along the scanner z axis with five rods of known K2HPO4-equivalent
 * density in a water-equivalent base, lying on the table top.
 *
 * Every rod has the same water-equivalent base (0 HU at zero density), so the rods follow the
 * scanner relation exactly: HU = slope * rhoK. A generic linear regression of rod HU on rod density
 * recovers slope and intercept. (The Mindways water-corrected formulation in bct-reference.md §1
 * models rods whose water content varies from rod to rod; it does not apply to this phantom.)
 * The rod with 0 mg/cm3 has the CT number of the bar around it, as in real phantoms: find it from
 * the truth positions.
 * @module
 */
import type { LabelInfo, Part, PointSample } from "./model.js";
import { TISSUE } from "./tissues.js";
import type { Vec3 } from "./vec3.js";

/** One rod. */
export interface RodSpec {
  name: string;
  /** K2HPO4-equivalent density (mg/cm3). */
  density: number;
}

/** Everything that defines the phantom and the table. Lengths in mm. */
export interface CalibrationPhantomParams {
  /** LPS x of the bar's centre. */
  centreX: number;
  /** LPS y of the bar's top surface (the side touching the patient's back). */
  topY: number;
  /** Bar width (x) and height (y). */
  width: number;
  height: number;
  /** Rod radius and centre-to-centre spacing along x. */
  rodRadius: number;
  rodSpacing: number;
  /** Rods from patient right (-x) to left (+x). */
  rods: RodSpec[];
  /** Table top thickness under the bar (its width is unlimited). */
  tableThickness: number;
  /** First rod label; rod n gets `firstRodLabel + n`. */
  firstRodLabel: number;
  /** Label of the bar material. */
  baseLabel: number;
  /** Label of the table. */
  tableLabel: number;
}

/** Five rods, 0-375 mg/cm3 K2HPO4, 16 mm diameter, 26 mm apart, in a 140 x 22 mm bar on an 8 mm table. */
export const DEFAULT_CALIBRATION_PHANTOM: CalibrationPhantomParams = {
  centreX: 0,
  topY: 80,
  width: 140,
  height: 22,
  rodRadius: 8,
  rodSpacing: 26,
  rods: [
    { name: "A", density: 0 },
    { name: "B", density: 50 },
    { name: "C", density: 100 },
    { name: "D", density: 200 },
    { name: "E", density: 375 },
  ],
  tableThickness: 8,
  firstRodLabel: 11,
  baseLabel: 16,
  tableLabel: 17,
};

/** A rod's truth: its centre line and nominal density. */
export interface RodTruth {
  name: string;
  label: number;
  densityMgCm3: number;
  radiusMm: number;
  /** A point on the rod's centre line (LPS mm, at z = 0) and its unit direction. */
  centreLine: { point: Vec3; direction: Vec3 };
}

/**
 * The calibration phantom and table as a {@link Part}.
 * @example
 * ```ts
 * const cal = new CalibrationPhantom({ ...DEFAULT_CALIBRATION_PHANTOM, centreX: -100, topY: 68 });
 * cal.rodTruth()[4].densityMgCm3; // 375
 * ```
 */
export class CalibrationPhantom implements Part {
  private readonly rodX: Float64Array;
  private readonly rodY: number;
  constructor(readonly params: CalibrationPhantomParams) {
    const p = params;
    const n = p.rods.length;
    this.rodX = Float64Array.from(p.rods, (_, i) => p.centreX + (i - (n - 1) / 2) * p.rodSpacing);
    this.rodY = p.topY + p.height / 2;
  }

  /** Truth for each rod. */
  rodTruth(): RodTruth[] {
    const p = this.params;
    return p.rods.map((r, i) => ({
      name: r.name,
      label: p.firstRodLabel + i,
      densityMgCm3: r.density,
      radiusMm: p.rodRadius,
      centreLine: { point: [this.rodX[i], this.rodY, 0] as Vec3, direction: [0, 0, 1] as Vec3 },
    }));
  }

  /** The labels this part uses. */
  labels(): LabelInfo[] {
    const p = this.params;
    return [
      ...p.rods.map((r, i) => ({
        value: p.firstRodLabel + i,
        name: `rod_${r.name}`,
        description: `calibration rod ${r.name}: ${r.density} mg/cm3 K2HPO4 in a water-equivalent base`,
      })),
      { value: p.baseLabel, name: "phantom_base", description: "calibration phantom bar (water-equivalent)" },
      { value: p.tableLabel, name: "table", description: "scanner table top" },
    ];
  }

  sample(x: number, y: number, _z: number, out: PointSample): boolean {
    const p = this.params;
    if (y < p.topY) return false;
    const bottom = p.topY + p.height;
    if (y > bottom + p.tableThickness) return false;
    if (y > bottom) {
      out.tissue = TISSUE.table;
      out.label = p.tableLabel;
      out.density = 0;
      return true;
    }
    // Bar with 3 mm rounded top corners.
    const hx = Math.abs(x - p.centreX) - p.width / 2;
    if (hx > 0) return false;
    const r = 3;
    if (hx > -r && y < p.topY + r && Math.hypot(hx + r, y - (p.topY + r)) > r) return false;
    const r2 = p.rodRadius * p.rodRadius;
    for (let i = 0; i < this.rodX.length; i++) {
      const dx = x - this.rodX[i], dy = y - this.rodY;
      if (dx * dx + dy * dy <= r2) {
        out.tissue = TISSUE.phantom_rod;
        out.label = p.firstRodLabel + i;
        out.density = p.rods[i].density;
        return true;
      }
    }
    out.tissue = TISSUE.phantom_base;
    out.label = p.baseLabel;
    out.density = 0;
    return true;
  }
}
