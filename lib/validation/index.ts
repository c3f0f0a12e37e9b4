/**
 * Validation statistics: correlation, regression, Bland-Altman agreement, ROC/AUC with DeLong
 * inference, diagnostic accuracy at a threshold, Cohen's kappa, and reclassification (NRI, IDI). Plain
 * arrays in, plain serialisable results `{ values..., warnings }` out; nothing here knows of CT.
 * @module
 */
export * from "./errors.js";
export * from "./input.js";
export * from "./distributions.js";
export * from "./ranks.js";
export * from "./correlation.js";
export * from "./regression.js";
export * from "./logistic.js";
export * from "./published.js";
export * from "./cohort-comparison.js";
export * from "./bland-altman.js";
export * from "./roc.js";
export * from "./diagnostic.js";
export * from "./kappa.js";
export * from "./reclassification.js";
export * from "./tables.js";
