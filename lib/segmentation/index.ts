/** Segmentation: thresholds, labels, connected components, hole filling, morphology, distance transform. @module */
export * from "./mask.js";
export * from "./components.js";
export * from "./morphology.js";
export * from "./distance.js";
