/**
 * Cohorts: the cohort table (CSV or Arrow), where each subject's scan comes from, one subject
 * through the hip pipeline, and the resumable batch runner on a worker pool. Results are plain
 * JSON-serialisable data, one row per subject.
 * @module
 */
export * from "./table.js";
export * from "./scan-source.js";
export * from "./subject.js";
export * from "./runner.js";
export * from "./out-lock.js";
// The distributed runner loads BullMQ: import it from "bct/lib/cohort/queue" where needed.
export * from "./fall.js";
export * from "./in-silico.js";
export * from "./thresholds.js";
export * from "./reference-population.js";
