/**
 * Published strain limits and strength thresholds used by the strength stage, each with its source
 * (shared/reference/bct-reference.md §2, §4, §5). Nothing else in bct hard-codes these numbers.
 * @module
 */

/**
 * Principal strain limits of bone tissue: 0.73% in tension and 1.04% in compression (Bayraktar et al.
 * 2004, J Biomech 37:27, cortical yield strains), the limits of the Bologna linear criterion
 * (Schileo et al. 2014, J Biomech; bct-reference.md §4 ✔).
 */
export const SCHILEO_STRAIN_LIMITS = { tension: 0.0073, compression: 0.0104 } as const;

/**
 * Critical bone-volume fraction of the Pistoia criterion: failure when 2% of the tissue exceeds the
 * strain limit (Pistoia et al. 2002, Bone 30:842; derived for HR-pQCT micro-FE, bct-reference.md §4 ◇).
 */
export const PISTOIA_CRITICAL_FRACTION = 0.02;

/** Sex-specific BCT strength classes: upper bounds (N) of "fragile" and "low" (Keaveny et al. 2020, Osteoporos Int 31:1025, Table 1 ✔). */
export const BCT_STRENGTH_THRESHOLDS = {
  hip: { F: { fragile: 3000, low: 4000 }, M: { fragile: 3500, low: 5000 } },
  spine: { F: { fragile: 4500, low: 6000 }, M: { fragile: 6500, low: 8500 } },
} as const;

/** Apparent strain of the vertebral body height at which Ogo reports vertebral load: 0.68% (attributed to Crawford 2003; bct-reference.md §4 ✔ as coded in Ogo). */
export const OGO_VERTEBRAL_APPARENT_STRAIN = 0.0068;

/**
 * Apparent yield strains of human vertebral trabecular bone: 0.84% in compression and 0.78% in
 * tension, nearly independent of density (Kopperdahl & Keaveny 1998, J Biomech 31:601 ◇: the values
 * of bct-reference.md §2, not re-read in the paper; a search of the stored literature did not reach
 * it). The yield strains of the vertebral nonlinear analysis (elastic-fully plastic, asymmetric).
 */
export const KOPPERDAHL1998_YIELD_STRAINS = {
  tension: 0.0078,
  compression: 0.0084,
  source: "Kopperdahl & Keaveny 1998, J Biomech 31:601 (vertebral trabecular bone) ◇",
} as const;
