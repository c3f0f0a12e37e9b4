/** Volumes: data + full LPS geometry, affine maths, crop, resample, statistics. @module */
export * from "./volume.js";
export * from "./errors.js";
export * from "./crop.js";
export * from "./resample.js";
export * from "./stats.js";
