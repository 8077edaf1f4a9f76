import type { MapStateDescriptor } from '../state/descriptors.js';
import type { MapState } from '../state/state.js';
import type {
  Collector,
  KeyedContext,
  OnTimerContext,
  ProcessContext,
  RichFunction,
  TimestampedCollector,
} from './context.js';

/** A function from one element to any number of elements, on a non-keyed stream. */
export interface ProcessFunction<I, O> extends RichFunction {
  processElement(value: I, ctx: ProcessContext, out: Collector<O>): void;
  /**
   * The operator's event-time watermark advanced to `watermark` (the minimum over its inputs); called before the
   * watermark is forwarded, so what is emitted here reaches downstream operators ahead of it. `out.collect` stamps
   * a record with the watermark, except the final watermark of a bounded input (+Infinity), whose records carry no
   * timestamp; `out.collectWithTimestamp` gives a record its own time (a record held back until the watermark
   * passes it keeps the time it had). For non-keyed functions only (keyed ones use event-time timers): the hook of
   * a keyed function fails the job when it starts.
   */
  onWatermark?(watermark: number, out: TimestampedCollector<O>): void;
  /** Bounded input ended (after the final watermark and the last timers): emit what only the end decides. */
  endInput?(out: Collector<O>): void;
}

/** A function on a keyed stream with keyed state and timers. */
export interface KeyedProcessFunction<K, I, O> extends RichFunction {
  processElement(value: I, ctx: KeyedContext<K>, out: Collector<O>): void;
  onTimer?(timestamp: number, ctx: OnTimerContext<K>, out: Collector<O>): void;
  /**
   * Bounded input ended, after the final watermark and the pending processing-time timers fired. No key is current:
   * keyed state cannot be read here (register a timer per key for per-key work at the end). Records emitted have no
   * timestamp. Used for results that exist even without input (a SQL global aggregate in batch mode).
   */
  endInput?(out: Collector<O>): void;
}

/** Two inputs, one output, on connected non-keyed streams. */
export interface CoProcessFunction<I1, I2, O> extends RichFunction {
  processElement1(value: I1, ctx: ProcessContext, out: Collector<O>): void;
  processElement2(value: I2, ctx: ProcessContext, out: Collector<O>): void;
  /** As {@link ProcessFunction.onWatermark}. */
  onWatermark?(watermark: number, out: TimestampedCollector<O>): void;
}

/** Two inputs sharing keyed state and timers, on connected keyed streams. */
export interface KeyedCoProcessFunction<K, I1, I2, O> extends RichFunction {
  processElement1(value: I1, ctx: KeyedContext<K>, out: Collector<O>): void;
  processElement2(value: I2, ctx: KeyedContext<K>, out: Collector<O>): void;
  onTimer?(timestamp: number, ctx: OnTimerContext<K>, out: Collector<O>): void;
}

/** Flat-map over each of two connected inputs. */
export interface CoFlatMapFunction<I1, I2, O> extends RichFunction {
  flatMap1(value: I1, out: Collector<O>): void;
  flatMap2(value: I2, out: Collector<O>): void;
}

/** Read-only view of broadcast state given to the non-broadcast side. */
export interface ReadOnlyBroadcastState<K, V> {
  get(key: K): V | undefined;
  contains(key: K): boolean;
  entries(): [K, V][];
}

export interface BroadcastReadOnlyContext extends ProcessContext {
  getBroadcastState<K, V>(descriptor: MapStateDescriptor<K, V>): ReadOnlyBroadcastState<K, V>;
}

export interface BroadcastContext extends ProcessContext {
  /** Writable on the broadcast side: every subtask sees the same broadcast elements, so copies stay equal. */
  getBroadcastState<K, V>(descriptor: MapStateDescriptor<K, V>): MapState<K, V>;
}

export interface KeyedBroadcastContext<K> extends BroadcastContext {
  /** Visits every key that has an entry in the given keyed state, with that key made current. */
  applyToKeyedState(stateName: string, visit: (key: K) => void): void;
}

/** Joins a non-broadcast stream with a broadcast stream whose elements update broadcast state. */
export interface BroadcastProcessFunction<I, B, O> extends RichFunction {
  processElement(value: I, ctx: BroadcastReadOnlyContext, out: Collector<O>): void;
  processBroadcastElement(value: B, ctx: BroadcastContext, out: Collector<O>): void;
  /** As {@link ProcessFunction.onWatermark}. */
  onWatermark?(watermark: number, out: TimestampedCollector<O>): void;
  /** As {@link ProcessFunction.endInput}. */
  endInput?(out: Collector<O>): void;
}

export interface KeyedBroadcastProcessFunction<K, I, B, O> extends RichFunction {
  processElement(value: I, ctx: BroadcastReadOnlyContext & KeyedContext<K>, out: Collector<O>): void;
  processBroadcastElement(value: B, ctx: KeyedBroadcastContext<K>, out: Collector<O>): void;
  onTimer?(timestamp: number, ctx: OnTimerContext<K> & BroadcastReadOnlyContext, out: Collector<O>): void;
}

/** Emits results of an asynchronous call for one input: resolve once with the results, or reject. */
export type AsyncFunction<I, O> = (value: I, signal: AbortSignal) => Promise<O[] | O>;
