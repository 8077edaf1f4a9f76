/**
 * State descriptors: a name, a kind and (for reducing/aggregating state) the function that folds values in.
 * The name identifies the state inside its operator; it must be stable across versions of a job so that a
 * snapshot can be restored into a changed job.
 */

/** Time-to-live for keyed state, measured in processing time as in Flink. */
export interface StateTtlConfig {
  /** How long a value lives after it was last written (or read, with `updateType: 'onReadAndWrite'`). */
  readonly ttlMs: number;
  /** Which accesses refresh the expiry. Default `'onCreateAndWrite'`. */
  readonly updateType?: 'onCreateAndWrite' | 'onReadAndWrite';
  /** Whether an expired value that has not been cleaned up yet may be returned. Default `'neverReturnExpired'`. */
  readonly visibility?: 'neverReturnExpired' | 'returnExpiredIfNotCleanedUp';
}

interface DescriptorBase {
  readonly name: string;
  readonly ttl?: StateTtlConfig;
}

export interface ValueStateDescriptor<T> extends DescriptorBase {
  readonly kind: 'value';
  /** Returned by `value()` when the key has no value. */
  readonly defaultValue?: T;
}

export interface ListStateDescriptor<T> extends DescriptorBase {
  readonly kind: 'list';
  /** Phantom field carrying the element type; never set. */
  readonly __element?: T;
}

export interface MapStateDescriptor<K, V> extends DescriptorBase {
  readonly kind: 'map';
  readonly __entry?: [K, V];
}

export interface ReducingStateDescriptor<T> extends DescriptorBase {
  readonly kind: 'reducing';
  readonly reduce: (a: T, b: T) => T;
}

/** Aggregates inputs `IN` into an accumulator `ACC` and reads a result `OUT` from it (Flink's AggregateFunction). */
export interface AggregateFunction<IN, ACC, OUT> {
  createAccumulator(): ACC;
  /** May mutate and return `acc`. */
  add(value: IN, acc: ACC): ACC;
  getResult(acc: ACC): OUT;
  /**
   * Folds `b` into `a`. Needed for merging windows (sessions) and lets sliding windows share work between
   * overlapping windows (stream slicing). May mutate and return `a`; must neither change `b` nor return a result
   * that shares mutable parts with `b` (`b` stays in state and is merged again into later windows).
   */
  merge?(a: ACC, b: ACC): ACC;
}

export interface AggregatingStateDescriptor<IN, ACC, OUT> extends DescriptorBase {
  readonly kind: 'aggregating';
  readonly aggregate: AggregateFunction<IN, ACC, OUT>;
}

// Element types are erased here: backends store values of any type, and a descriptor of a concrete type must be
// accepted where any descriptor is (function parameters make the typed forms otherwise incompatible).
// biome-ignore lint/suspicious/noExplicitAny: see above
type Erased = any;
export type StateDescriptor =
  | ValueStateDescriptor<Erased>
  | ListStateDescriptor<Erased>
  | MapStateDescriptor<Erased, Erased>
  | ReducingStateDescriptor<Erased>
  | AggregatingStateDescriptor<Erased, Erased, Erased>;

type Opts = { ttl?: StateTtlConfig };

/** Describes a ValueState. */
export function valueState<T>(name: string, opts: Opts & { defaultValue?: T } = {}): ValueStateDescriptor<T> {
  return { kind: 'value', name, ...opts };
}
/** Describes a ListState. */
export function listState<T>(name: string, opts: Opts = {}): ListStateDescriptor<T> {
  return { kind: 'list', name, ...opts };
}
/** Describes a MapState. Map keys are compared like JS Map keys (by value for strings and numbers). */
export function mapState<K, V>(name: string, opts: Opts = {}): MapStateDescriptor<K, V> {
  return { kind: 'map', name, ...opts };
}
/** Describes a ReducingState folding added values with `reduce`. */
export function reducingState<T>(name: string, reduce: (a: T, b: T) => T, opts: Opts = {}): ReducingStateDescriptor<T> {
  return { kind: 'reducing', name, reduce, ...opts };
}
/** Describes an AggregatingState folding added values with `aggregate`. */
export function aggregatingState<IN, ACC, OUT>(
  name: string,
  aggregate: AggregateFunction<IN, ACC, OUT>,
  opts: Opts = {},
): AggregatingStateDescriptor<IN, ACC, OUT> {
  return { kind: 'aggregating', name, aggregate, ...opts };
}
