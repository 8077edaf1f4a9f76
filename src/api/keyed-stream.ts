import type { Key } from '../core/key.js';
import type { Sink } from '../core/sink.js';
import type { KeyedProcessFunction } from '../functions/functions.js';
import type { KeySelector, PlanNode } from '../plan/nodes.js';
import type { AggregateFunction } from '../state/descriptors.js';
import { GlobalWindows, type WindowAssigner } from '../windowing/assigners.js';
import { CountEvictor } from '../windowing/evictors.js';
import { CountTrigger, PurgingTrigger } from '../windowing/triggers.js';
import type { GlobalWindow, Window } from '../windowing/windows.js';
import { type BroadcastStream, KeyedBroadcastConnectedStream } from './broadcast-stream.js';
import { KeyedConnectedStreams } from './connected-streams.js';
import { DataStream, type FilterFunction, type FlatMapFunction, type MapFunction } from './data-stream.js';
import { IntervalJoinBuilder } from './interval-join.js';
import { inputOf, nodeBase, type StreamRef } from './stream-base.js';
import { reduceAsAggregate, WindowedStream } from './windowed-stream.js';

/**
 * A stream partitioned by key. Operators on it have keyed state and timers scoped to the key of the record being
 * processed.
 */
export class KeyedStream<T, K extends Key> {
  constructor(
    /** @internal */ readonly ref: StreamRef,
    /** @internal */ readonly keySelector: (value: T) => K,
  ) {}

  private add<R>(node: Record<string, unknown> & { kind: PlanNode['kind']; name: string }): DataStream<R> {
    const env = this.ref.env;
    const base = nodeBase(env, node.kind, node.name);
    const added = env.planBuilder.add({ ...base, ...node, inputs: [inputOf(this.ref)] } as PlanNode);
    return new DataStream<R>({ env, nodeId: added.id, partitioning: undefined, sideOutput: undefined });
  }

  /** The hash-partitioned stream as a plain DataStream (stateless operators after keyBy, as in Flink). */
  asDataStream(): DataStream<T> {
    return new DataStream<T>(this.ref);
  }
  map<R>(fn: MapFunction<T, R>, name?: string): DataStream<R> {
    return this.asDataStream().map(fn, name);
  }
  filter(fn: FilterFunction<T>, name?: string): DataStream<T> {
    return this.asDataStream().filter(fn, name);
  }
  flatMap<R = never>(fn: FlatMapFunction<T, R>, name?: string): DataStream<R> {
    return this.asDataStream().flatMap(fn, name);
  }
  sinkTo(sink: Sink<T>, name?: string, uid?: string): void {
    this.asDataStream().sinkTo(sink, name, uid);
  }

  /** A KeyedProcessFunction: keyed state, event- and processing-time timers, side outputs. */
  process<R = never>(fn: KeyedProcessFunction<K, T, R>, name = 'keyed-process'): DataStream<R> {
    return this.add({ kind: 'process', fn, keySelector: this.keySelector, name });
  }

  /**
   * Rolling reduce: emits the key's reduced value after every record, or with `emit: 'final'` once per key when the
   * input ends (see {@link RollingOptions}).
   */
  reduce(fn: (a: T, b: T) => T, options: string | RollingOptions = {}): DataStream<T> {
    const { name = 'reduce', emit = 'every' } = typeof options === 'string' ? { name: options } : options;
    if (emit === 'final') return this.aggregate(reduceAsAggregate(fn), { name, emit });
    return this.add({ kind: 'reduce', fn, keySelector: this.keySelector, name });
  }

  /**
   * Rolling aggregate with an accumulator: emits the key's current result after every record, or with
   * `emit: 'final'` once per key when the input ends (see {@link RollingOptions}).
   */
  aggregate<ACC, R>(agg: AggregateFunction<T, ACC, R>, options: string | RollingOptions = {}): DataStream<R> {
    const { name = 'aggregate', emit = 'every' } = typeof options === 'string' ? { name: options } : options;
    return this.add({ kind: 'aggregate', aggregate: agg, keySelector: this.keySelector, emit, name });
  }

  /** Windows per key. */
  window<W extends Window>(assigner: WindowAssigner<unknown, W>): WindowedStream<T, K, W> {
    return new WindowedStream<T, K, W>(this.ref, this.keySelector, assigner);
  }

  /** Count windows: every `size` records of a key (sliding by `slide` when given). */
  countWindow(size: number, slide?: number): WindowedStream<T, K, GlobalWindow> {
    const w = this.window(GlobalWindows.create());
    if (slide === undefined) return w.trigger(PurgingTrigger.of(CountTrigger.of(size)));
    return w.evictor(CountEvictor.of(size)).trigger(CountTrigger.of(slide));
  }

  /** Connects two keyed streams: a KeyedCoProcessFunction sees both with shared keyed state. */
  connect<U>(other: KeyedStream<U, K>): KeyedConnectedStreams<T, U, K>;
  connect<U>(other: BroadcastStream<U>): KeyedBroadcastConnectedStream<T, U, K>;
  connect<U>(other: KeyedStream<U, K> | BroadcastStream<U>): unknown {
    if (other instanceof KeyedStream) {
      return new KeyedConnectedStreams<T, U, K>(this.ref, other.ref, [
        this.keySelector as KeySelector,
        other.keySelector as KeySelector,
      ]);
    }
    return new KeyedBroadcastConnectedStream<T, U, K>(this.ref, other.ref, this.keySelector as KeySelector);
  }

  /** Interval join: pairs a with b of the same key when a.ts + lower <= b.ts <= a.ts + upper. */
  intervalJoin<U>(other: KeyedStream<U, K>): IntervalJoinBuilder<T, U, K> {
    return new IntervalJoinBuilder<T, U, K>(this, other);
  }
}

/** Options of the rolling (non-windowed) reduce and aggregate of a keyed stream. */
export interface RollingOptions {
  name?: string;
  /**
   * 'every' (default): emit the key's new result after every record — an update stream, as Flink's DataStream
   * reduce. 'final': emit each key's result once, when the input ends (the final watermark), as the last row of
   * an updating SQL aggregate; nothing is emitted while an unbounded input runs.
   */
  emit?: 'every' | 'final';
}
