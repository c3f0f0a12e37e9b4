/**
 * The DXA side: DXA-equivalent projections of calibrated CT, regions of interest, aBMD, T-scores
 * and the published reference populations.
 * @module
 */
export * from "./reference.js";
export * from "./projection.js";
export * from "./hip-rois.js";
export * from "./hip.js";
