/**
 * The kernel's execution queue: cells run one at a time, in arrival order. When a cell fails and its
 * request asked to stop on error (Jupyter's `stop_on_error`, true by default), the requests that had
 * already arrived are aborted, as in IPython ("Run All" stops at the first error). Requests that
 * arrive later run normally, whatever the timing.
 *
 * tslab's own queue instead rejects every request for 200 ms after an error, so a client that sends
 * the next cell as soon as the failed one replies (nbconvert, "Run All" with `--allow-errors`) has
 * that cell aborted too: that is why a failed cell seemed to kill the kernel.
 * @module
 */

/** How a queued task ended. */
export type QueueOutcome<T> = { status: "done"; value: T } | { status: "aborted" };

/**
 * @example
 * ```ts
 * import { ExecutionQueue } from "bct/kernel/queue";
 * const q = new ExecutionQueue();
 * const a = q.enqueue(true, async () => ({ ok: false, value: 1 }));  // fails
 * const b = q.enqueue(true, async () => ({ ok: true, value: 2 }));   // already queued: aborted
 * await a; await b;                                                   // b: { status: "aborted" }
 * await q.enqueue(true, async () => ({ ok: true, value: 3 }));       // runs: { status: "done", value: 3 }
 * ```
 */
export class ExecutionQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private arrived = 0;
  private abortThrough = 0;

  /**
   * Queue `task`. It returns `ok` (false when the cell failed) and a value.
   * @param stopOnError when the task fails, abort the requests queued behind it.
   */
  enqueue<T>(stopOnError: boolean, task: () => Promise<{ ok: boolean; value: T }>): Promise<QueueOutcome<T>> {
    const seq = ++this.arrived;
    const run = async (): Promise<QueueOutcome<T>> => {
      if (seq <= this.abortThrough) return { status: "aborted" };
      let r: { ok: boolean; value: T };
      try {
        r = await task();
      } catch (e) {
        if (stopOnError) this.abortThrough = this.arrived;
        throw e;
      }
      if (!r.ok && stopOnError) this.abortThrough = this.arrived;
      return { status: "done", value: r.value };
    };
    const p = this.tail.then(run, run);
    this.tail = p.catch(() => undefined);
    return p;
  }
}
