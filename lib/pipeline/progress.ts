/**
 * Progress events of the pipeline: one per stage start and end, and solver iterations, so the CLI
 * prints a line per stage and a notebook updates one display in place.
 * @module
 */

/** A progress event. */
export interface PipelineProgress {
  stage: string;
  /** "start" | "end" of a stage, or "update" inside one (e.g. solver iterations). */
  phase: "start" | "end" | "update";
  message: string;
  /** Seconds since the analysis started. */
  elapsed: number;
}

export type ProgressListener = (p: PipelineProgress) => void;

/** A small stage timer that reports to a listener. */
export class StageClock {
  private readonly t0 = performance.now();
  readonly seconds: Record<string, number> = {};
  constructor(private readonly listener?: ProgressListener) {}
  elapsed(): number {
    return (performance.now() - this.t0) / 1000;
  }
  /** Run `fn` as stage `stage`, timing it and reporting start and end. */
  run<T>(stage: string, message: string, fn: () => T, done?: (r: T) => string): T {
    this.listener?.({ stage, phase: "start", message, elapsed: this.elapsed() });
    const t = performance.now();
    const r = fn();
    this.seconds[stage] = (this.seconds[stage] ?? 0) + (performance.now() - t) / 1000;
    this.listener?.({ stage, phase: "end", message: done ? done(r) : message, elapsed: this.elapsed() });
    return r;
  }
  update(stage: string, message: string): void {
    this.listener?.({ stage, phase: "update", message, elapsed: this.elapsed() });
  }
}
