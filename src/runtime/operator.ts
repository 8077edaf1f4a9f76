import type { Batch } from '../core/batch.js';
import type { OutputTag } from '../core/output-tag.js';
import type { Logger, MetricGroup } from '../functions/context.js';
import type { KeyedStateBackend } from '../state/keyed-state-backend.js';
import type { TimerQueue } from './timer-queue.js';
import type { WatermarkAlignment } from './watermark-alignment.js';

/**
 * Where an operator emits. Records are buffered and handed downstream as a batch when the operator's call returns,
 * or earlier on `flush`/`emitWatermark`, so records always precede the watermark that follows them.
 */
export interface Output {
  collect(value: unknown, timestamp: number): void;
  collectSide(tag: OutputTag<unknown>, value: unknown, timestamp: number): void;
  /** Passes buffered records downstream, then the watermark. */
  emitWatermark(watermark: number): void;
  /** Tells downstream that this output is idle (true) or active again (false); idle outputs hold no watermark. */
  emitIdle(idle: boolean): void;
  /** Passes buffered records downstream now (used by operators that emit outside of a call, e.g. async I/O). */
  flush(): void;
}

/** What the runtime gives an operator when it opens. */
export interface OperatorContext {
  readonly name: string;
  readonly uid: string;
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly maxParallelism: number;
  readonly runtimeMode: 'streaming' | 'batch';
  /** Identifies this run of the job, the same on every thread. */
  readonly executionId: string;
  /** True when the job runs with checkpoints (sinks use two-phase commit). */
  readonly exactlyOnce: boolean;
  readonly output: Output;
  /** Present on keyed operators. */
  readonly keyedState: KeyedStateBackend | undefined;
  /** Present on a timestamps operator whose strategy asks for watermark alignment: where it stores its watermark. */
  readonly watermarkAlignment?: WatermarkAlignment;
  /** Creates a timer queue in the given domain for this operator (keyed operators only). */
  createTimerQueue(domain: 'eventTime' | 'processingTime'): TimerQueue;
  currentProcessingTime(): number;
  /** The operator's current input watermark. */
  currentWatermark(): number;
  /** Asks the executor to run a step soon (after an asynchronous completion). */
  wakeup(): void;
  /** The subtask takes no further input until `promise` settles; a rejection fails the job. */
  blockUntil(promise: Promise<unknown>): void;
  /** Fails the job from an asynchronous callback. */
  fail(error: unknown): void;
  /** Counters of this operator subtask (e.g. `numLateRecordsDropped`). */
  readonly metrics: MetricGroup;
  /** The logger of this operator subtask (job id, vertex and subtask on every line). */
  readonly logger: Logger;
}

/**
 * A stream operator: the runtime calls these hooks, always on the operator's own thread, never concurrently.
 * Order: open → (processBatch | processWatermark | onProcessingTime)* → endInput → close.
 * `processBatch` must not keep references to the batch arrays after it returns.
 */
export interface StreamOperator {
  open(ctx: OperatorContext): void | Promise<void>;
  /** `input` is 0, or 1 for the second input of a two-input operator. */
  processBatch(batch: Batch, input: number): void;
  /** The combined input watermark advanced. Implementations fire due event-time timers, then forward it. */
  processWatermark(watermark: number): void;
  /**
   * The operator's input became idle (true: it holds back no watermark) or active again. Informational: the runtime
   * forwards idleness downstream itself. Sinks that carry event time onward use it.
   */
  processIdle?(idle: boolean): void;
  /** Fires processing-time timers due at `now`. */
  onProcessingTime?(now: number): void;
  /** The earliest pending processing-time timer, so the executor knows when to wake up. */
  nextProcessingTime?(): number | undefined;
  /** Input ended (after the final watermark): emit whatever is still held, e.g. fire processing-time timers. */
  endInput(): void | Promise<void>;
  close(): void | Promise<void>;
  /**
   * Operator (non-keyed) state for checkpoint `checkpointId`, taken when every record before the checkpoint barrier
   * has been processed and none after it. Keyed state and timers are snapshotted by the runtime. A promise (e.g. a
   * sink pre-committing its output) is awaited before the checkpoint is acknowledged.
   */
  snapshotState?(checkpointId: number): unknown;
  /**
   * Restores operator state after `open()` and before any input. `states` holds what every subtask of the previous
   * run returned from snapshotState (the parallelism may have changed); the operator takes its share.
   */
  restoreState?(states: readonly unknown[]): void | Promise<void>;
  /** The list the operator's user function keeps across checkpoints (ListCheckpointed), if it keeps one. */
  snapshotList?(checkpointId: number): FunctionListSnapshot | undefined;
  /** Restores that list, after `restoreState`: `lists` holds what every earlier subtask returned from snapshotList. */
  restoreList?(lists: readonly (FunctionListSnapshot | undefined)[]): void;
  /** Checkpoint `checkpointId` is complete and durable (e.g. a sink makes pre-committed output visible). */
  notifyCheckpointComplete?(checkpointId: number): void | Promise<void>;
}

/** A ListCheckpointed function's list in a checkpoint: its items and the subtask that kept them. */
export interface FunctionListSnapshot {
  subtask: number;
  items: unknown[];
}

/** Base class with the common plumbing; subclasses override what they need. */
export abstract class AbstractOperator implements StreamOperator {
  protected ctx!: OperatorContext;
  protected out!: Output;

  open(ctx: OperatorContext): void | Promise<void> {
    this.ctx = ctx;
    this.out = ctx.output;
  }
  abstract processBatch(batch: Batch, input: number): void;
  processWatermark(watermark: number): void {
    this.out.emitWatermark(watermark);
  }
  endInput(): void | Promise<void> {}
  close(): void | Promise<void> {}
}
