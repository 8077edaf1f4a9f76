import type { Key } from '../core/key.js';
import type { OutputTag } from '../core/output-tag.js';
import type { KeySelector, PlanNode, WindowSpec } from '../plan/nodes.js';
import type { AggregateFunction } from '../state/descriptors.js';
import type { WindowAssigner } from '../windowing/assigners.js';
import type { Evictor } from '../windowing/evictors.js';
import type { Trigger } from '../windowing/triggers.js';
import type { ProcessWindowFunction, ReducedWindowFunction } from '../windowing/window-function.js';
import type { Window } from '../windowing/windows.js';
import { DataStream } from './data-stream.js';
import { inputOf, nodeBase, type StreamRef } from './stream-base.js';

/** A reduce expressed as an aggregate over an accumulator holding the reduced value. */
export function reduceAsAggregate<T>(fn: (a: T, b: T) => T): AggregateFunction<T, { v: T; set: boolean }, T> {
  return {
    createAccumulator: () => ({ v: undefined as T, set: false }),
    add: (value, acc) => {
      if (acc.set) acc.v = fn(acc.v, value);
      else {
        acc.v = value;
        acc.set = true;
      }
      return acc;
    },
    getResult: (acc) => acc.v,
    merge: (a, b) => {
      if (!b.set) return a;
      // Fold into `a`, never return `b`: sliced windows merge stored slice accumulators into a fresh one.
      if (!a.set) {
        a.v = b.v;
        a.set = true;
      } else a.v = fn(a.v, b.v);
      return a;
    },
  };
}

/**
 * A windowed stream under construction: set trigger, evictor, allowed lateness and late-data output, then finish with
 * reduce, aggregate or process.
 */
class WindowBuilder<T, K extends Key, W extends Window> {
  protected triggerFn: Trigger<unknown, Window> | undefined;
  protected evictorFn: Evictor<unknown, Window> | undefined;
  protected lateness = 0;
  protected lateTag: OutputTag<unknown> | undefined;

  constructor(
    protected readonly ref: StreamRef,
    protected readonly keySelector: KeySelector | undefined,
    protected readonly assigner: WindowAssigner<unknown, W>,
    private readonly forcedParallelism: number | undefined,
  ) {}

  /** Replaces the assigner's default trigger. */
  trigger(trigger: Trigger<T, W>): this {
    this.triggerFn = trigger as unknown as Trigger<unknown, Window>;
    return this;
  }
  /** Removes elements before/after evaluation; the window then keeps all elements. */
  evictor(evictor: Evictor<T, W>): this {
    this.evictorFn = evictor as unknown as Evictor<unknown, Window>;
    return this;
  }
  /** Keeps windows this long after their end; late elements within it re-fire the window. */
  allowedLateness(ms: number): this {
    if (!(ms >= 0)) throw new RangeError('allowed lateness must be >= 0');
    this.lateness = ms;
    return this;
  }
  /** Elements later than the allowed lateness go to this side output instead of being dropped. */
  sideOutputLateData(tag: OutputTag<T>): this {
    this.lateTag = tag as OutputTag<unknown>;
    return this;
  }

  protected build<R>(
    aggregate: AggregateFunction<unknown, unknown, unknown> | undefined,
    windowFunction: ProcessWindowFunction<unknown, unknown, Key, Window> | undefined,
    name: string,
  ): DataStream<R> {
    const env = this.ref.env;
    const spec: WindowSpec = {
      assigner: this.assigner as WindowAssigner<unknown, Window>,
      trigger: this.triggerFn ?? (this.assigner.defaultTrigger() as Trigger<unknown, Window>),
      evictor: this.evictorFn,
      allowedLatenessMs: this.lateness,
      lateDataTag: this.lateTag,
      aggregate,
      windowFunction,
    };
    const base = nodeBase(env, 'window', name);
    const node = env.planBuilder.add({
      ...base,
      parallelism: this.forcedParallelism,
      ...spec,
      kind: 'window',
      keySelector: this.keySelector,
      inputs: [inputOf(this.ref)],
    } as PlanNode);
    return new DataStream<R>({ env, nodeId: node.id, partitioning: undefined, sideOutput: undefined });
  }

  /**
   * Incremental reduce; emits the reduced value (or passes it to `windowFunction`). The output type comes from
   * `windowFunction`'s collector: annotate `out` (`out: Collector<Row>`) or implement the interface with a type.
   */
  reduce(fn: (a: T, b: T) => T): DataStream<T>;
  reduce<R = never>(fn: (a: T, b: T) => T, windowFunction: ReducedWindowFunction<T, R, K, W>): DataStream<R>;
  reduce<R>(fn: (a: T, b: T) => T, windowFunction?: ReducedWindowFunction<T, R, K, W>): DataStream<R | T> {
    return this.build(reduceAsAggregate(fn) as never, windowFunction as never, 'window-reduce');
  }

  /**
   * Incremental aggregation; emits the result (or passes it to `windowFunction`). The accumulator and result types
   * come from `agg`, the output type from `windowFunction`'s collector (annotate `out`, as for `reduce`).
   */
  aggregate<ACC, V>(agg: AggregateFunction<T, ACC, V>): DataStream<V>;
  aggregate<ACC, V, R = never>(
    agg: AggregateFunction<T, ACC, V>,
    windowFunction: ReducedWindowFunction<V, R, K, W>,
  ): DataStream<R>;
  aggregate<ACC, V, R>(
    agg: AggregateFunction<T, ACC, V>,
    windowFunction?: ReducedWindowFunction<V, R, K, W>,
  ): DataStream<V | R> {
    return this.build(agg as never, windowFunction as never, 'window-aggregate');
  }

  /** Evaluates each window with all its elements; the output type comes from `fn`'s collector. */
  process<R = never>(fn: ProcessWindowFunction<T, R, K, W>): DataStream<R> {
    return this.build(undefined, fn as never, 'window-process');
  }
}

/** Windows on a keyed stream. */
export class WindowedStream<T, K extends Key, W extends Window> extends WindowBuilder<T, K, W> {
  constructor(ref: StreamRef, keySelector: (v: T) => K, assigner: WindowAssigner<unknown, W>) {
    super(ref, keySelector as KeySelector, assigner, undefined);
  }
}

/** Windows over a whole non-keyed stream (one subtask). The window function's key is always 0. */
export class AllWindowedStream<T, W extends Window> extends WindowBuilder<T, 0, W> {
  constructor(ref: StreamRef, assigner: WindowAssigner<unknown, W>) {
    super({ ...ref, partitioning: ref.partitioning ?? { kind: 'global' } }, undefined, assigner, 1);
  }
}
