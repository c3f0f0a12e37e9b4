/**
 * Deterministic synthetic CT: analytic hip and spine phantoms (bone with cortical shell and
 * trabecular density field, soft tissue, calibration phantom, table), CT formation (scanner
 * relation, partial volume, Gaussian blur, noise, integer HU), and their ground truth.
 *
 * @example
 * ```ts
 * import { generateHipScan, writeScanDataset } from "bct/lib/synthetic";
 * const hip = generateHipScan({ seed: 1 });
 * await writeScanDataset(hip, "datasets/phantom/hip");
 * ```
 * @module
 */
export * from "./errors.js";
export type { Frame } from "./vec3.js";
export * from "./rng.js";
export * from "./shapes.js";
export * from "./tissues.js";
export * from "./model.js";
export * from "./femur.js";
export * from "./pelvis.js";
export * from "./vertebra.js";
export * from "./soft-tissue.js";
export * from "./calibration-phantom.js";
export * from "./hip-phantom.js";
export * from "./spine-phantom.js";
export * from "./ct-formation.js";
export * from "./render.js";
export * from "./scan.js";
export * from "./truth.js";
export * from "./hip-scan.js";
export * from "./spine-scan.js";
export * from "./write.js";
export * from "./subject.js";
export * from "./spine-subject.js";
