/**
 * The keyed state a user function sees. Every call reads or writes the value of the *current key* — the key of the
 * record (or timer) being processed — so a state object obtained once in `open()` serves every key.
 * Calling these outside of record or timer processing of a keyed operator is an error.
 */

export interface ValueState<T> {
  /** The value for the current key, or the descriptor's default (undefined if none). */
  value(): T | undefined;
  update(value: T): void;
  clear(): void;
}

export interface ListState<T> {
  /** A copy of the elements for the current key (empty when none). */
  get(): T[];
  add(value: T): void;
  addAll(values: readonly T[]): void;
  /** Replaces all elements. */
  update(values: readonly T[]): void;
  clear(): void;
}

export interface MapState<K, V> {
  get(key: K): V | undefined;
  put(key: K, value: V): void;
  putAll(entries: Iterable<[K, V]>): void;
  remove(key: K): void;
  contains(key: K): boolean;
  entries(): [K, V][];
  keys(): K[];
  values(): V[];
  isEmpty(): boolean;
  clear(): void;
}

/** Holds one value folded from everything added. */
export interface ReducingState<T> {
  get(): T | undefined;
  add(value: T): void;
  clear(): void;
}

/** Holds an accumulator folded from everything added; `get()` reads the result. */
export interface AggregatingState<IN, OUT> {
  get(): OUT | undefined;
  add(value: IN): void;
  clear(): void;
}
