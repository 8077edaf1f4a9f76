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
  /** True when the job runs with checkpoints: the writer should pre-commit and commit (two-phase commit). */
  readonly exactlyOnce: boolean;
}

export interface SinkWriter<T> {
  open?(): void | Promise<void>;
  /** `timestamps[i]` is the event time of `values[i]` (NO_TIMESTAMP when none). Must not keep the arrays. */
  write(values: readonly T[], timestamps: readonly number[]): void | Promise<void>;
  /**
   * The event-time watermark reached `watermark` (in order with the writes). Sinks that carry event time onward
   * write it (Sluice's repartition topics between the stages of a cluster job); others leave this out.
   */
  writeWatermark?(watermark: number): void | Promise<void>;
  /** The input became idle (it holds back no watermark) or active again; for the same sinks as `writeWatermark`. */
  writeIdle?(idle: boolean): void | Promise<void>;
  /** Called when the input has ended: make everything written durable. */
  flush?(): void | Promise<void>;
  close?(): void | Promise<void>;

  // ---- two-phase commit (used when the job runs with checkpoints) ----

  /**
   * Checkpoint `checkpointId`: make everything written so far durable but not yet visible, and return what `commit`
   * needs to publish it (undefined when there is nothing). Writes after this call belong to later checkpoints.
   */
  prepareCommit?(checkpointId: number): unknown | Promise<unknown>;
  /**
   * Publishes what earlier `prepareCommit` calls returned, once their checkpoint is complete. Must be idempotent:
   * after a failure the same committables may be committed again.
   */
  commit?(committables: readonly unknown[]): void | Promise<void>;
  /** The writer's own state for a checkpoint, taken right after `prepareCommit` (e.g. a file sequence number). */
  snapshotState?(): unknown;
  /**
   * Called once before the first write. After a restore, `committables` are those of the restored checkpoint that
   * may not have been committed: commit them; `states` are the writer states of the restored checkpoint (from the
   * previous subtasks whose output this writer takes over). Discard (abort) anything a failed run produced after
   * that checkpoint: it will be produced again. On a fresh start both are empty; `restored` tells a fresh start
   * from a restore that gave this subtask no earlier writer's state (a job restored at a higher parallelism: the new
   * subtask must keep the output an earlier subtask of the same index published before the parallelism went down).
   */
  recover?(committables: readonly unknown[], states: readonly unknown[], restored?: boolean): void | Promise<void>;
}
