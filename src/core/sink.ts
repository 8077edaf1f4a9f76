/**
 * The sink contract. A sink gets one writer per parallel subtask. `write` receives batches in order; when it returns
 * a promise, no further batch is delivered until it settles, which backpressures the whole pipeline.
 */
export interface Sink<T> {
  readonly name: string;
  /** The only parallelism this sink supports (e.g. 1 for a single output file); undefined for any. */
  readonly requiredParallelism?: number;
  createWriter(ctx: SinkWriterContext): SinkWriter<T>;
}

export interface SinkWriterContext {
  readonly subtaskIndex: number;
  readonly parallelism: number;
  /** Identifies this run of the job (the same on every thread); distinct for every execution. */
  readonly executionId: string;
}

export interface SinkWriter<T> {
  open?(): void | Promise<void>;
  /** `timestamps[i]` is the event time of `values[i]` (NO_TIMESTAMP when none). Must not keep the arrays. */
  write(values: readonly T[], timestamps: readonly number[]): void | Promise<void>;
  /** Called when the input has ended: make everything written durable. */
  flush?(): void | Promise<void>;
  close?(): void | Promise<void>;
}
