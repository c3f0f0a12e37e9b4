/**
 * What a strength number means: the model, the boundary conditions, the criterion, the laws and the
 * element size that produced it. Every analysis result carries one (`result.strength.definition`),
 * and a set of classification thresholds records the definition it was derived for, so a strength
 * is never classified with cut-points that belong to another definition.
 *
 * The `id` is a short stable name of everything that changes the scale of the number (criterion,
 * model, laws, yield strains, boundary conditions, element size); two results with the same id are
 * on the same scale.
 *
 * @example
 * ```ts
 * import { definitionId, sameScale } from "bct/lib/strength/definition";
 * sameScale(resultA.strength.definition, thresholds.definition); // true when the thresholds fit
 * ```
 * @module
 */

export type StrengthCriterionKind = "nonlinear-peak" | "linear-first-node" | "linear-critical-volume";

/** The full description of how a strength was obtained. Plain, JSON-serialisable data. */
export interface StrengthDefinition {
  site: "hip" | "spine";
  /** Strength criterion. */
  criterion: StrengthCriterionKind;
  /** Load case in words (e.g. "sideways fall 10 deg / 15 deg", "axial compression"). */
  loadCase: string;
  /** How the load is applied and the bone supported (caps, distal boundary), in words. */
  boundary: string;
  /** Density -> modulus law id (lib/materials/laws.ts). */
  modulusLaw: string;
  /** Yield (nonlinear) or limit (linear) principal strains, with their source. */
  strains: { tension: number; compression: number; source: string };
  /** Linear critical-volume criterion only: the critical bone-volume fraction. */
  criticalFraction?: number;
  /** Element edge (mm). */
  elementSizeMm: number;
  /** Stable short name of everything above that sets the scale (see {@link definitionId}). */
  id: string;
}

/** The definition without its id, as the stages build it. */
export type StrengthDefinitionInput = Omit<StrengthDefinition, "id">;

/**
 * A stable id of a definition: site, criterion, law, strains, critical fraction, element size and a
 * short hash of the load case and boundary text, e.g. `hip:nonlinear-peak:morgan2003-femoral-neck:0.73/1.04:1.5mm:3f2a9c1e`.
 */
export function definitionId(d: StrengthDefinitionInput): string {
  const pct = (x: number) => (100 * x).toFixed(2).replace(/0+$/, "").replace(/\.$/, "");
  const parts = [
    d.site, d.criterion, d.modulusLaw, `${pct(d.strains.tension)}/${pct(d.strains.compression)}`,
    ...(d.criterion === "linear-critical-volume" ? [`cv${pct(d.criticalFraction ?? NaN)}`] : []),
    `${d.elementSizeMm}mm`, fnv1a(`${d.loadCase}|${d.boundary}`),
  ];
  return parts.join(":");
}

/** The definition with its id filled in. */
export function strengthDefinition(d: StrengthDefinitionInput): StrengthDefinition {
  return { ...d, id: definitionId(d) };
}

/** True when two definitions put strength on the same scale (same id). */
export function sameScale(a: Pick<StrengthDefinition, "id">, b: Pick<StrengthDefinition, "id">): boolean {
  return a.id === b.id;
}

/** 32-bit FNV-1a hash as 8 hex digits (stable across runs and platforms). */
function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}
