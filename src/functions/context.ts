import type { Key } from '../core/key.js';
import type { OutputTag } from '../core/output-tag.js';
import type {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
} from '../state/descriptors.js';
import type { AggregatingState, ListState, MapState, ReducingState, ValueState } from '../state/state.js';

/** Receives the records a function emits. Records take the timestamp of the input record (or firing timer). */
export interface Collector<T> {
  collect(value: T): void;
}

/** A collector that can also stamp each record with an event time of its own (the watermark callback's). */
export interface TimestampedCollector<T> extends Collector<T> {
  collectWithTimestamp(value: T, timestamp: number): void;
}

/** Timers of a keyed operator. Timers are scoped to the current key and deduplicated per key and time. */
export interface TimerService {
  currentProcessingTime(): number;
  currentWatermark(): number;
  /** Fires `onTimer` once the watermark reaches `time`. */
  registerEventTimeTimer(time: number): void;
  /** Fires `onTimer` once the wall clock reaches `time` (or, on bounded input, when the input ends). */
  registerProcessingTimeTimer(time: number): void;
  deleteEventTimeTimer(time: number): void;
  deleteProcessingTimeTimer(time: number): void;
}

/** A count kept by one operator subtask; the runtime reports the sum over the operator's subtasks. */
export interface Counter {
  inc(n?: number): void;
  getCount(): number;
}

/** The metrics of one operator subtask. Counters appear in the job result's `operatorMetrics` under their name. */
export interface MetricGroup {
  /** The counter `name` of this operator (the same object on every call with that name). */
  counter(name: string): Counter;
}

/**
 * Structured log lines of one operator subtask. Each line carries the job id, the vertex and the subtask; `fields`
 * are added to the line as they are (keep them JSON-serialisable). Where lines go is the runner's choice: `sluice run`
 * writes warnings and errors to stderr, and every level as JSON lines to the file of `--log-file`.
 */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** What a function may learn about where it runs, and its door to keyed state. */
export interface RuntimeContext {
  readonly operatorName: string;
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly maxParallelism: number;
  /** How the job runs: 'batch' (bounded input, one final watermark) or 'streaming'. */
  readonly runtimeMode: 'streaming' | 'batch';
  /** Keyed state; only on keyed streams. Call in `open()` and keep the returned object. */
  getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T>;
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>;
  getMapState<K, V>(descriptor: MapStateDescriptor<K, V>): MapState<K, V>;
  getReducingState<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T>;
  getAggregatingState<IN, ACC, OUT>(descriptor: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT>;
  /** Counters of this operator (e.g. `numLateRecordsDropped`), reported at the end of the run. */
  getMetricGroup(): MetricGroup;
  /** This subtask's logger (the same object as {@link RuntimeContext.logger}). */
  getLogger(): Logger;
  /** This subtask's logger: lines carry the job id, the operator's vertex and the subtask index. */
  readonly logger: Logger;
}

/** Lifecycle hooks any user function object may implement. */
export interface RichFunction {
  /** Called once per subtask before the first record. State handles are obtained here. */
  open?(ctx: RuntimeContext): void | Promise<void>;
  /** Called once per subtask after the last record (also on failure, best effort). */
  close?(): void | Promise<void>;
}

/**
 * A function (keyed or not) that keeps a list of its own across checkpoints, as operator state: a buffer of records
 * waiting for something, an offset. At each checkpoint `snapshotList` returns the list as it stands after every
 * record before the checkpoint and none after it. The engine copies the array, not the items: an item must not be
 * changed in place afterwards (replace it instead). After a restore from a checkpoint that holds the list,
 * `restoreList` runs once, after `open()` and before the first record, with this subtask's share: at the same
 * parallelism the list this subtask returned, at another the lists of all earlier subtasks in subtask order, cut into
 * even contiguous shares (Flink's even-split redistribution). Items go through the checkpoint's serialisation, so
 * they are plain data. Every checkpoint stores the whole list: keep it small (large per-key data belongs in keyed
 * state).
 */
export interface ListCheckpointed<T> {
  snapshotList(checkpointId: number): T[];
  restoreList(items: T[]): void;
}

/** Context of one element in a process function. */
export interface ProcessContext {
  /** The element's event timestamp, or undefined when it has none. */
  timestamp(): number | undefined;
  timerService(): TimerService;
  /** Emits to a side output. */
  output<X>(tag: OutputTag<X>, value: X): void;
}

export interface KeyedContext<K> extends ProcessContext {
  getCurrentKey(): K;
}

export type TimeDomain = 'eventTime' | 'processingTime';

export interface OnTimerContext<K> extends KeyedContext<K> {
  timeDomain(): TimeDomain;
}

/**
 * @internal Implemented by the contexts of Sluice's own operators: emits with an explicit timestamp (the interval
 * join stamps each pair with the larger of its two timestamps, as Flink does).
 */
export interface TimestampedEmitter {
  collectWithTimestamp(value: unknown, timestamp: number): void;
}

/**
 * @internal Implemented by the contexts of Sluice's keyed process operators, for runtimes built on them (Stateful
 * Functions delivers a message to another instance of the same subtask inside one call). `setCurrentKey` selects the
 * key that state objects and timer registrations refer to until the next call (or the next record or timer, for
 * which the operator sets the key again); the key must belong to this subtask's key-group range, which the caller
 * checks. `forEachKey` visits the keys holding an entry of the named state in the void namespace.
 */
export interface KeyedStateAccess {
  setCurrentKey(key: Key): void;
  forEachKey(stateName: string, visit: (key: Key) => void): void;
}
