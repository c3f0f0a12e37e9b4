/** Segmentation: thresholds, labels, connected components, hole filling, morphology, distance transform, bone masks, label maps, femur and vertebral-body isolation. @module */
export * from "./mask.js";
export * from "./components.js";
export * from "./morphology.js";
export * from "./distance.js";
export * from "./bone.js";
export * from "./labels.js";
export * from "./femur.js";
export * from "./vertebra.js";
export * from "./hip-side.js";
