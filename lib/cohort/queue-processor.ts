/**
 * The sandboxed processor of the cohort queue (lib/cohort/queue): BullMQ runs this module's default
 * export in a child process, one job (one subject) at a time, so the FE solve never blocks the
 * worker thread that renews the job's lock.
 *
 * The job reuses a stored result whose provenance matches (a job run twice gives one result),
 * otherwise analyses the subject and writes `DIR/subjects/<id>.json` atomically. A problem with the
 * subject (bad scan, failed segmentation) is the subject's result, not a job failure; a thrown error
 * here (e.g. the output folder not writable) fails the job, which BullMQ retries.
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "../io/atomic-write.js";
import type { CohortJobData, CohortJobOutcome } from "./queue.js";
import { readStoredSubject, reuseDecision } from "./runner.js";
import { analyzeSubject, subjectInputs, subjectProvenance } from "./subject.js";

/**
 * Run one subject of a queued cohort.
 * @example
 * ```ts
 * await processCohortJob({ row, baseDir: "/study", options: { elementSize: 3 }, outDir: "/shared/out", retryFailed: true });
 * ```
 */
export async function processCohortJob(data: CohortJobData): Promise<CohortJobOutcome> {
  const { row, baseDir, options, outDir, retryFailed } = data;
  const file = join(outDir, "subjects", `${row.id}.json`);
  const stored = readStoredSubject(file);
  const d = stored ? reuseDecision(stored, row.id, subjectProvenance(subjectInputs(row, baseDir, options), options), retryFailed) : { reuse: false };
  const result = d.reuse ? stored! : await analyzeSubject(row, baseDir, options);
  if (!d.reuse) writeFileAtomic(file, JSON.stringify(result, null, 1) + "\n");
  const outcome: CohortJobOutcome = { id: row.id, status: result.status, reused: d.reuse, seconds: result.seconds };
  if (d.reason) outcome.reason = d.reason;
  if (result.status === "ok") outcome.strengthN = result.strengthN;
  else outcome.error = result.error;
  return outcome;
}

/** BullMQ's entry: the job's data through {@link processCohortJob}. */
export default function processor(job: { data: CohortJobData }): Promise<CohortJobOutcome> {
  return processCohortJob(job.data);
}
