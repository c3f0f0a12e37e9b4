/**
 * K2HPO4 <-> HA (and catalogue) density conversions for the spine densitometry: the same attenuation
 * excess over water read as K2HPO4 or as HA at the scan's effective energy (see `dxa/spine` module
 * notes, "Density equivalents"), chained with the catalogue laws of `calibration/density`.
 * @module
 */
import { DENSITY_CONVERSIONS, DENSITY_UNITS, DensityConversionError, mineralConversion, type DensityConversion, type DensityMeasure, type MineralConversionOptions } from "../calibration/density.js";
import { DEFAULT_EFFECTIVE_ENERGY_KEV, type MineralMeasure } from "../calibration/energy.js";
// ---------------------------------------------------------------------------------------------
// Density equivalents: K2HPO4 <-> HA at the effective energy, catalogue chains with inverted steps
// ---------------------------------------------------------------------------------------------

/** One step of a {@link DensityConverter}: a catalogue conversion, used forwards or inverted, or the K2HPO4 <-> HA attenuation equivalence. */
export interface DensityConversionStep {
  id: string;
  from: DensityMeasure;
  to: DensityMeasure;
  inverted: boolean;
  /** The catalogue formula (of the forward direction). */
  formula: string;
  citation: string;
  confidence: "verified" | "unverified";
}

/** A conversion between two density measures along catalogue laws (some possibly inverted) and the K2HPO4 <-> HA attenuation equivalence. */
export interface DensityConverter {
  from: DensityMeasure;
  to: DensityMeasure;
  steps: DensityConversionStep[];
  /** The chain as one affine law `to = slope * from + intercept` (in the measures' own units). */
  slope: number;
  intercept: number;
  /** The affine law as text, e.g. "rhoHA = 1.0283 * rhoK". */
  formula: string;
  /** "verified" only when every step is verified and none is inverted. */
  confidence: "verified" | "unverified";
  /** The K2HPO4 <-> HA step's model when the chain has one: energy (and whether it was given), displacements, factor. */
  mineral: { effectiveEnergyKeV: number; energySource: "given" | "default"; waterDisplacement: Record<MineralMeasure, number>; factor: number } | null;
  convert(x: number): number;
}

/** Options of {@link densityConverter}. */
export interface DensityConverterOptions extends MineralConversionOptions {
  /** Effective energy (keV) of the K2HPO4 <-> HA step. Default {@link DEFAULT_EFFECTIVE_ENERGY_KEV} (70 keV ◇). */
  effectiveEnergyKeV?: number;
}

/** Slope and intercept of an affine catalogue law, or null when it is not affine. */
function affineOf(f: (x: number) => number): { a: number; b: number } | null {
  const b = f(0), a = (f(1000) - b) / 1000;
  for (const x of [-500, 250, 2500]) {
    const y = f(x), e = a * x + b;
    if (!(Math.abs(y - e) <= 1e-9 * Math.max(1, Math.abs(y)))) return null;
  }
  return a !== 0 && Number.isFinite(a) ? { a, b } : null;
}

/**
 * The conversion from one density measure to another: K2HPO4 <-> HA by the attenuation equivalence
 * at `opts.effectiveEnergyKeV` (`calibration/density` mineralConversion, see the module notes), other
 * steps along the catalogue of `calibration/density` ({@link DENSITY_CONVERSIONS}), where a step may
 * also be an affine law used backwards (e.g. rhoAsh -> rhoHA by inverting Schileo 2008's rhoHA ->
 * rhoAsh). Shortest chain; at equal length forward catalogue steps come first, then the mineral step,
 * then inverted laws. A chain through an inverted regression (regressions are not symmetric) or the
 * mineral model is marked "unverified", so report it as such.
 * @throws DensityConversionError when no chain exists; CalibrationError for an energy outside 10-200 keV.
 * @example
 * ```ts
 * const c = densityConverter("rhoK", "rhoHA", { effectiveEnergyKeV: 70 });
 * c.formula;         // "rhoHA = 1.0283 * rhoK"  (attenuation equivalence at 70 keV)
 * c.convert(100);    // 102.83 mg/cm3 HA
 * densityConverter("rhoK", "rhoApp").formula; // Keyak 1994, then ash fraction 0.6 (no mineral step)
 * ```
 */
export function densityConverter(from: DensityMeasure, to: DensityMeasure, opts: DensityConverterOptions = {}): DensityConverter {
  interface Edge { c: DensityConversion; inverted: boolean; from: DensityMeasure; to: DensityMeasure; f: (x: number) => number }
  const edges: Edge[] = [];
  for (const c of DENSITY_CONVERSIONS) edges.push({ c, inverted: false, from: c.from, to: c.to, f: c.convert });
  const energy = opts.effectiveEnergyKeV ?? DEFAULT_EFFECTIVE_ENERGY_KEV;
  const mineralSteps = (["rhoK", "rhoHA"] as const).map((a) => mineralConversion(a, a === "rhoK" ? "rhoHA" : "rhoK", energy, opts));
  for (const m of mineralSteps) edges.push({ c: m, inverted: false, from: m.from, to: m.to, f: m.convert });
  for (const c of DENSITY_CONVERSIONS) {
    const af = affineOf(c.convert);
    if (af) edges.push({ c, inverted: true, from: c.to, to: c.from, f: (y) => (y - af.b) / af.a });
  }
  const prev = new Map<DensityMeasure, Edge>();
  const seen = new Set<DensityMeasure>([from]);
  const queue: DensityMeasure[] = [from];
  while (queue.length && !seen.has(to)) {
    const m = queue.shift()!;
    for (const e of edges) {
      if (e.from !== m || seen.has(e.to)) continue;
      seen.add(e.to);
      prev.set(e.to, e);
      queue.push(e.to);
    }
  }
  if (!seen.has(to)) {
    throw new DensityConversionError(`no chain of catalogue conversions from ${from} (${DENSITY_UNITS[from]}) to ${to} (${DENSITY_UNITS[to]}), even with inverted laws`);
  }
  const path: Edge[] = [];
  for (let at = to; at !== from; ) {
    const e = prev.get(at)!;
    path.unshift(e);
    at = e.from;
  }
  const convert = (x: number) => path.reduce((y, e) => e.f(y), x);
  const intercept = convert(0), slope = (convert(1000) - intercept) / 1000;
  const steps = path.map((e): DensityConversionStep => ({
    id: e.c.id, from: e.from, to: e.to, inverted: e.inverted, formula: e.c.formula, citation: e.c.citation, confidence: e.c.confidence,
  }));
  const confidence = steps.every((s) => s.confidence === "verified" && !s.inverted) ? "verified" : "unverified";
  const formula =
    from === to ? `${to} = ${from}` : intercept === 0 ? `${to} = ${fmt(slope, 4)} * ${from}` : `${to} = ${fmt(slope, 4)} * ${from} ${intercept < 0 ? "-" : "+"} ${fmt(Math.abs(intercept), 2)}`;
  const used = mineralSteps.find((m) => path.some((e) => e.c === m));
  const mineral = used
    ? { effectiveEnergyKeV: energy, energySource: opts.effectiveEnergyKeV === undefined ? ("default" as const) : ("given" as const), waterDisplacement: used.waterDisplacement, factor: used.factor }
    : null;
  return { from, to, steps, slope, intercept, formula, confidence, mineral, convert };
}

const fmt = (x: number, d: number) => x.toFixed(d);
