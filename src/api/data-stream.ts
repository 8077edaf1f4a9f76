import { CollectSink, DiscardSink, PrintSink } from '../connectors/basic/simple-sinks.js';
import { PlanError } from '../core/errors.js';
import type { Key } from '../core/key.js';
import type { OutputTag } from '../core/output-tag.js';
import type { Sink } from '../core/sink.js';
import type { WatermarkStrategy } from '../core/watermark-strategy.js';
import type { Collector, RichFunction } from '../functions/context.js';
import type { AsyncFunction, ProcessFunction } from '../functions/functions.js';
import type { Partitioning, PlanNode } from '../plan/nodes.js';
import type { MapStateDescriptor } from '../state/descriptors.js';
import type { WindowAssigner } from '../windowing/assigners.js';
import type { Window } from '../windowing/windows.js';
import { BroadcastConnectedStream, BroadcastStream } from './broadcast-stream.js';
import { ConnectedStreams } from './connected-streams.js';
import { KeyedStream } from './keyed-stream.js';
import { inputOf, nodeBase, type StreamRef } from './stream-base.js';
import { WindowJoinBuilder } from './window-join.js';
import { AllWindowedStream } from './windowed-stream.js';

/** A map function: a plain function, or an object with `map` and optional open/close hooks. */
export type MapFunction<T, R> = ((value: T) => R) | (RichFunction & { map(value: T): R });
export type FilterFunction<T> = ((value: T) => boolean) | (RichFunction & { filter(value: T): boolean });
/** Returns the outputs as an array/iterable, or emits them through `out`. */
export type FlatMapFunction<T, R> =
  | ((value: T, out: Collector<R>) => Iterable<R> | undefined | void)
  | (RichFunction & { flatMap(value: T, out: Collector<R>): Iterable<R> | undefined | void });

/** Options of async I/O. */
export interface AsyncOptions {
  /** Calls in flight at most; default 100. */
  capacity?: number;
  /** Per call, ms; default 30 000. */
  timeoutMs?: number;
  /** Extra attempts after a failure or timeout; default 0. */
  retries?: number;
  retryDelayMs?: number;
}

/** Collected records of a stream, available after the job has run. */
export interface CollectHandle<T> {
  readonly id: string;
  /** The records (all subtasks; order across subtasks undefined). Throws before the job ran. */
  get(): T[];
}

/**
 * A stream of records of type T. Every transformation adds an operator to the plan and returns the stream it
 * produces; nothing runs until the environment executes.
 */
export class DataStream<T> {
  constructor(protected readonly ref: StreamRef) {}

  /** @internal */
  get env() {
    return this.ref.env;
  }

  /** @internal adds a single-input node reading this stream and returns the stream it produces. */
  protected add<R>(node: Record<string, unknown> & { kind: PlanNode['kind']; name?: string }): DataStream<R> {
    const base = nodeBase(this.env, node.kind, node.name);
    const added = this.env.planBuilder.add({
      ...base,
      ...node,
      name: node.name ?? base.name,
      inputs: [inputOf(this.ref)],
    } as PlanNode);
    return new DataStream<R>({ env: this.env, nodeId: added.id, partitioning: undefined, sideOutput: undefined });
  }

  map<R>(fn: MapFunction<T, R>, name?: string): DataStream<R> {
    const [call, rich] = typeof fn === 'function' ? [fn, undefined] : [fn.map.bind(fn), fn];
    return this.add({ kind: 'map', fn: call as never, rich, name: name ?? 'map' });
  }

  filter(fn: FilterFunction<T>, name?: string): DataStream<T> {
    const [call, rich] = typeof fn === 'function' ? [fn, undefined] : [fn.filter.bind(fn), fn];
    return this.add({ kind: 'filter', fn: call as never, rich, name: name ?? 'filter' });
  }

  flatMap<R = never>(fn: FlatMapFunction<T, R>, name?: string): DataStream<R> {
    const [call, rich] = typeof fn === 'function' ? [fn, undefined] : [fn.flatMap.bind(fn), fn];
    return this.add({ kind: 'flatMap', fn: call as never, rich, name: name ?? 'flatMap' });
  }

  process<R = never>(fn: ProcessFunction<T, R>, name?: string): DataStream<R> {
    return this.add({ kind: 'process', fn, keySelector: undefined, name: name ?? 'process' });
  }

  /** Assigns event timestamps and watermarks (after this point event-time operators work). */
  assignTimestampsAndWatermarks(strategy: WatermarkStrategy<T>, name?: string): DataStream<T> {
    return this.add({
      kind: 'timestamps',
      strategy: strategy as WatermarkStrategy<unknown>,
      name: name ?? 'timestamps',
    });
  }

  /** Partitions by key: records with equal keys go to the same subtask; keyed state and timers become available. */
  keyBy<K extends Key>(keySelector: (value: T) => K): KeyedStream<T, K> {
    return new KeyedStream<T, K>(
      { ...this.ref, partitioning: { kind: 'hash', keySelector: keySelector as never } },
      keySelector,
    );
  }

  private withPartitioning(partitioning: Partitioning): DataStream<T> {
    return new DataStream<T>({ ...this.ref, partitioning });
  }
  /** Round-robin over downstream subtasks. */
  rebalance(): DataStream<T> {
    return this.withPartitioning({ kind: 'rebalance' });
  }
  /** Uniformly random downstream subtask. */
  shuffle(): DataStream<T> {
    return this.withPartitioning({ kind: 'shuffle' });
  }
  /** Subtask i feeds subtask i (equal parallelism); the default, which allows chaining. */
  forward(): DataStream<T> {
    return this.withPartitioning({ kind: 'forward' });
  }
  /** Every record to subtask 0. */
  global(): DataStream<T> {
    return this.withPartitioning({ kind: 'global' });
  }

  /**
   * Without arguments: every record to every downstream subtask. With broadcast-state descriptors: a stream to
   * `connect()` to another stream, whose function keeps those maps as broadcast state.
   */
  broadcast(): DataStream<T>;
  broadcast(...descriptors: MapStateDescriptor<unknown, unknown>[]): BroadcastStream<T>;
  broadcast(...descriptors: MapStateDescriptor<unknown, unknown>[]): DataStream<T> | BroadcastStream<T> {
    const ref: StreamRef = { ...this.ref, partitioning: { kind: 'broadcast' } };
    return descriptors.length === 0 ? new DataStream<T>(ref) : new BroadcastStream<T>(ref, descriptors);
  }

  /** Merges streams of the same type. */
  union(...others: DataStream<T>[]): DataStream<T> {
    for (const o of others)
      if (o.env !== this.env) throw new PlanError('cannot union streams of different environments');
    const base = nodeBase(this.env, 'union', 'union');
    const node = this.env.planBuilder.add({
      ...base,
      kind: 'union',
      inputs: [inputOf(this.ref), ...others.map((o) => inputOf(o.ref))],
    });
    return new DataStream<T>({ env: this.env, nodeId: node.id, partitioning: undefined, sideOutput: undefined });
  }

  /** Two streams processed by one two-input function (CoProcessFunction, CoFlatMapFunction). */
  connect<U>(other: DataStream<U>): ConnectedStreams<T, U>;
  connect<U>(other: BroadcastStream<U>): BroadcastConnectedStream<T, U>;
  connect<U>(other: DataStream<U> | BroadcastStream<U>): unknown {
    if (other instanceof BroadcastStream) return new BroadcastConnectedStream<T, U>(this.ref, other.ref);
    return new ConnectedStreams<T, U>(this.ref, other.ref);
  }

  /** Window join: pairs records of both streams with equal keys in the same window. */
  join<U>(other: DataStream<U>): WindowJoinBuilder<T, U> {
    return new WindowJoinBuilder<T, U>(this, other);
  }

  /** Windows over the whole (non-keyed) stream; runs with parallelism 1. */
  windowAll<W extends Window>(assigner: WindowAssigner<unknown, W>): AllWindowedStream<T, W> {
    return new AllWindowedStream<T, W>(this.ref, assigner);
  }

  /** Calls an async function per record with bounded concurrency; results keep input order. */
  mapAsync<R>(fn: AsyncFunction<T, R>, options: AsyncOptions = {}): DataStream<R> {
    return this.async(fn, true, options);
  }
  /** Like mapAsync, but emits results as they complete (never across a watermark). */
  mapAsyncUnordered<R>(fn: AsyncFunction<T, R>, options: AsyncOptions = {}): DataStream<R> {
    return this.async(fn, false, options);
  }
  private async<R>(fn: AsyncFunction<T, R>, ordered: boolean, o: AsyncOptions): DataStream<R> {
    return this.add({
      kind: 'async',
      fn: fn as never,
      ordered,
      capacity: o.capacity ?? 100,
      timeoutMs: o.timeoutMs ?? 30_000,
      retries: o.retries ?? 0,
      retryDelayMs: o.retryDelayMs ?? 100,
      name: ordered ? 'async' : 'async-unordered',
    });
  }

  /** The records an operator sent to a side output. */
  getSideOutput<X>(tag: OutputTag<X>): DataStream<X> {
    return new DataStream<X>({ env: this.env, nodeId: this.ref.nodeId, partitioning: undefined, sideOutput: tag });
  }

  /** Writes the stream to a sink; `uid`: a stable id for the sink's state (as {@link uid} for other operators). */
  sinkTo(sink: Sink<T>, name?: string, uid?: string): void {
    const added = this.add({ kind: 'sink', sink: sink as Sink<unknown>, name: name ?? sink.name });
    if (uid !== undefined) added.uid(uid);
  }
  print(prefix?: string): void {
    this.sinkTo(new PrintSink<T>(prefix));
  }
  /** Drops every record (for benchmarks). */
  discard(): void {
    this.sinkTo(new DiscardSink<T>());
  }
  /** Gathers the records in memory; read them with `get()` after the job ran. */
  collect(id?: string): CollectHandle<T> {
    const sinkId = id ?? `collect-${this.env.planBuilder.nextId()}`;
    this.sinkTo(new CollectSink<T>(sinkId));
    let values: T[] | undefined;
    this.env.collectHandles.push({ id: sinkId, fill: (v) => (values = v as T[]) });
    return {
      id: sinkId,
      get: () => {
        if (values === undefined) throw new Error(`collect '${sinkId}' has no result: execute the job first`);
        return values;
      },
    };
  }

  // ---- properties of the operator that produces this stream ----
  private update(change: Partial<{ name: string; uid: string; parallelism: number; watermarkDelayMs: number }>): this {
    if (this.ref.partitioning !== undefined || this.ref.sideOutput !== undefined) {
      throw new PlanError('name/uid/parallelism apply to an operator, not to a partitioned view of its output');
    }
    const node = this.env.planBuilder.get(this.ref.nodeId);
    this.env.planBuilder.replace({ ...node, ...change } as PlanNode);
    return this;
  }
  /** Names the operator (shown in errors, progress and the job graph). */
  name(name: string): this {
    return this.update({ name });
  }
  /**
   * A stable id for the operator's state across job versions: checkpoints and savepoints store state by uid. Without
   * it the operator gets a default derived from its kind and inputs (see docs/ARCHITECTURE.md, "Job identity").
   */
  uid(uid: string): this {
    if (typeof uid !== 'string' || uid.trim() === '') throw new PlanError('uid must be a non-empty string');
    return this.update({ uid });
  }
  setParallelism(parallelism: number): this {
    if (!Number.isInteger(parallelism) || parallelism < 1)
      throw new PlanError(`parallelism must be >= 1, got ${parallelism}`);
    return this.update({ parallelism });
  }
  /**
   * For a function that emits records up to `delayMs` behind its input watermark (e.g. a join emitting a pair when
   * its second row arrives, stamped with the first row's time): the watermark of this stream lags the function's
   * input watermark by `delayMs`, so those records are not late for event-time operators downstream (windows,
   * timers). A record emitted with timestamp t is on time downstream when t > input watermark - `delayMs`.
   * The function's own timers and `currentWatermark()` keep following its input watermark; the final watermark at
   * the end of bounded input is forwarded unchanged, so every downstream window still fires. Applies to the stream
   * returned by `process()` or `connect(...).process()` (keyed or not); replaces an earlier delay.
   *
   * @throws PlanError for another kind of operator, or a delay that is not a finite number >= 0.
   */
  holdBackWatermarks(delayMs: number): this {
    if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0) {
      throw new PlanError(`holdBackWatermarks: the delay must be a finite number of ms >= 0, got ${String(delayMs)}`);
    }
    const node = this.env.planBuilder.get(this.ref.nodeId);
    if (node.kind !== 'process' && node.kind !== 'coProcess') {
      throw new PlanError(
        `holdBackWatermarks applies to the output of process() or connect(...).process(), not to '${node.name}' (${node.kind})`,
      );
    }
    return this.update({ watermarkDelayMs: delayMs });
  }
}
