/**
 * The tissue classes of the synthetic phantoms and their CT number at zero mineral density
 * (`huBase`, HU). The scanner relation of {@link ./ct-formation} adds `slope * rhoK` to it, where
 * rhoK is the K2HPO4-equivalent mineral density (mg/cm3) of the point (non-zero only in bone and in
 * the calibration rods).
 *
 * Sources: air, fat, muscle and blood are the typical non-contrast values of bct-reference.md §1
 * ("air -1000, subcutaneous fat -80 to -120, muscle +40 to +60, blood +35 to +45", marked ◇ there:
 * domain knowledge, not re-read in a primary paper); water is 0 HU by the definition of the
 * Hounsfield scale. The rest are choices of this phantom, labelled as such in `source`.
 * @module
 */

/** One tissue class. */
export interface Tissue {
  /** Value in the tissue map (uint8). */
  id: number;
  /** Short machine name. */
  name: string;
  /** CT number at zero K2HPO4-equivalent density (HU). */
  huBase: number;
  /** Where `huBase` comes from. */
  source: string;
}

const REF = "bct-reference.md §1, typical non-contrast HU (◇)";
const CHOICE = "phantom assumption";

/** The tissue classes, indexed by id. */
export const TISSUES = [
  { id: 0, name: "air", huBase: -1000, source: REF },
  { id: 1, name: "fat", huBase: -100, source: REF },
  { id: 2, name: "muscle", huBase: 50, source: REF },
  { id: 3, name: "skin", huBase: 50, source: `${CHOICE}: muscle-equivalent` },
  { id: 4, name: "blood", huBase: 40, source: REF },
  { id: 5, name: "water", huBase: 0, source: "Hounsfield scale definition (CSF modelled as water)" },
  {
    id: 6,
    name: "cortical_bone",
    huBase: 0,
    source: `${CHOICE}: water-equivalent matrix, so all bone HU above 0 is slope * rhoK`,
  },
  { id: 7, name: "trabecular_bone", huBase: 0, source: `${CHOICE}: water-equivalent (red) marrow` },
  { id: 8, name: "marrow", huBase: 0, source: `${CHOICE}: water-equivalent marrow in the medullary canal` },
  { id: 9, name: "cartilage", huBase: 80, source: `${CHOICE}: articular cartilage and joint fluid` },
  { id: 10, name: "disc", huBase: 80, source: `${CHOICE}: intervertebral disc` },
  { id: 11, name: "phantom_base", huBase: 0, source: "water-equivalent calibration phantom body (by design)" },
  { id: 12, name: "phantom_rod", huBase: 0, source: "K2HPO4 solution in a water-equivalent base (by design)" },
  { id: 13, name: "table", huBase: -300, source: `${CHOICE}: carbon-fibre and foam table top, averaged` },
  { id: 14, name: "viscera", huBase: 50, source: `${CHOICE}: abdominal organs, muscle-equivalent` },
] as const satisfies readonly Tissue[];

/** Tissue names. */
export type TissueName = (typeof TISSUES)[number]["name"];

/** Tissue id by name. */
export const TISSUE = Object.fromEntries(TISSUES.map((t) => [t.name, t.id])) as { [K in TissueName]: number };

/**
 * `huBase` of every tissue, indexed by id.
 * @example
 * ```ts
 * tissueHuTable()[TISSUE.fat]; // -100
 * tissueHuTable({ fat: -90 })[TISSUE.fat]; // -90
 * ```
 */
export function tissueHuTable(overrides: Partial<Record<TissueName, number>> = {}): Float64Array {
  const table = new Float64Array(TISSUES.length);
  for (const t of TISSUES) table[t.id] = overrides[t.name] ?? t.huBase;
  return table;
}
