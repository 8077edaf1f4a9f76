/**
 * The source contract. A source is split across `parallelism` readers; reader i of n decides from (i, n) which part
 * of the input it reads (files, sequence numbers, partitions), so the union of all readers is the whole input and no
 * record is read twice.
 *
 * Readers are pulled, never pushed: the runtime calls `pollNext` when downstream has room (this is how backpressure
 * reaches a source). `pollNext` must not block; when no data is ready it returns 'wait' and `available()` resolves
 * once it may have data again.
 */
export interface Source<T> {
  readonly name: string;
  readonly boundedness: 'bounded' | 'unbounded';
  /** The highest parallelism this source can use (1 for a single in-memory collection). */
  readonly maxParallelism?: number;
  /**
   * True when readers emit each split's records through `SourceOutput.forSplit` (e.g. one split per Kafka
   * partition): the watermark strategy given to `fromSource` then runs per split inside the source subtask, and the
   * subtask's watermark is the minimum over its non-idle splits.
   */
  readonly splitWatermarks?: boolean;
  createReader(ctx: SourceReaderContext): SourceReader<T>;
}

export interface SourceReaderContext {
  readonly subtaskIndex: number;
  readonly parallelism: number;
  /** Reports a malformed record: throws (failing the job) or routes it to the job's dead-letter sink. */
  reportBadRecord(error: BadRecord): void;
}

/** A record that could not be read, with where it came from. */
export interface BadRecord {
  readonly source: string;
  readonly file?: string;
  readonly line?: number;
  readonly reason: string;
  readonly raw?: string;
}

/** Where a reader puts records. `timestamp` is the record's event time when the source knows it. */
export interface SourceOutput<T> {
  collect(value: T, timestamp?: number): void;
  /**
   * The output for the records of one split, whose watermark is then tracked on its own (see
   * `Source.splitWatermarks`); absent, or the same output, when the job tracks no per-split watermarks.
   */
  forSplit?(split: string): SourceOutput<T>;
  /**
   * On the output of one split (see `forSplit`): the split's watermark is at least `watermark`. For sources whose
   * data carries watermarks (Sluice's repartition topics); absent when the job tracks no per-split watermarks.
   */
  emitWatermark?(watermark: number): void;
  /** On the output of one split: the split is idle (holds back no watermark) until a record or `markIdle(false)`. */
  markIdle?(idle: boolean): void;
  /** The reader stopped reading `split` (it no longer holds the watermark back). */
  releaseSplit?(split: string): void;
}

export type PollResult = 'more' | 'wait' | 'end';

export interface SourceReader<T> {
  /** Called once before the first poll. */
  open?(): void | Promise<void>;
  /**
   * Emits at most `max` records. 'more': call again soon; 'wait': nothing ready, await `available()`;
   * 'end': this reader is exhausted (bounded sources only) and will not be polled again.
   */
  pollNext(out: SourceOutput<T>, max: number): PollResult;
  /** Resolves when a reader that returned 'wait' may have data. */
  available?(): Promise<void>;
  /**
   * The reader's position, to resume from after a failure, for checkpoint `checkpointId` (0: the final snapshot of a
   * finished reader; undefined when a wrapping reader asks outside a checkpoint).
   */
  snapshotState?(checkpointId?: number): unknown;
  /**
   * The checkpoint holding what `snapshotState(checkpointId)` returned is complete (e.g. commit offsets back to the
   * system read from, for monitoring). 0 reports the final snapshot, once a checkpoint including it is complete.
   */
  notifyCheckpointComplete?(checkpointId: number): void | Promise<void>;
  /**
   * Resumes after a failure, before the first poll. `states` are the snapshots of *all* readers of the previous run,
   * whose parallelism may differ: the reader takes the part of the input that is its own under (subtaskIndex,
   * parallelism) and skips what was already read.
   */
  restoreState?(states: readonly unknown[]): void;
  /**
   * How much of this reader's bounded input is read, in bytes (for progress display); undefined while unknown or
   * for unbounded input. Called between polls, on the reader's thread.
   */
  inputProgress?(): InputProgress | undefined;
  /**
   * Records this reader has not read yet but could (a rate-limited generator behind its schedule, unread lines of a
   * file, a Kafka partition's lag), for the autoscaler's target rates; undefined when unknown. Called between polls,
   * about once a second, on the reader's thread.
   */
  backlog?(): number | undefined;
  close?(): void | Promise<void>;
}

/** Bytes of a bounded input read so far, of its total. */
export interface InputProgress {
  readonly readBytes: number;
  readonly totalBytes: number;
}
