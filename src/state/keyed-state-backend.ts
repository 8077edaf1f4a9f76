import type { Key } from '../core/key.js';
import type { StateDescriptor } from './descriptors.js';

/** The namespace of state that is not scoped to a window. */
export const VOID_NAMESPACE = '';

/**
 * Keyed state of one operator subtask, organised in key groups.
 *
 * Contract: the runtime calls {@link setCurrentKey} before it hands a record or timer to user code; every state
 * object created by {@link getState} then reads and writes the entry of that key (and of the state's current
 * namespace, which windowing operators set). A backend owns a contiguous key-group range and snapshots and
 * restores per key group, so that state can be redistributed when the parallelism changes.
 */
export interface KeyedStateBackend {
  readonly maxParallelism: number;
  setCurrentKey(key: Key): void;
  getCurrentKey(): Key;
  /** The key group of the current key. */
  getCurrentKeyGroup(): number;
  /** Returns the state object for a descriptor; the same object for the same name. */
  getState<S>(descriptor: StateDescriptor): S & NamespacedState;
  /** Visits every key that has an entry in the named state (in the void namespace). */
  forEachKey(stateName: string, visit: (key: Key) => void): void;
  /** A deep-enough copy of all entries, grouped by key group, for checkpoints and savepoints. */
  snapshot(): KeyedStateSnapshot;
  /**
   * The same snapshot, as of this call, collected without stopping processing for long (e.g. copy-on-write);
   * backends without it are snapshotted with `snapshot()`.
   */
  snapshotAsync?(): Promise<KeyedStateSnapshot>;
  /**
   * Entries held (key × namespace × state), for the state-size metric; read about once a second, so it must be cheap
   * (no scan of the entries). Backends that cannot tell cheaply leave it out.
   */
  approximateEntries?(): number;
  /**
   * Loads entries of the key groups this backend owns; entries of other groups are ignored. With `adopt` the caller
   * hands over the snapshot's values (it was just decoded and is not used again), so they need not be copied.
   */
  restore(snapshot: KeyedStateSnapshot, adopt?: boolean): void;
  /**
   * Releases memory, files and native handles. The returned promise (if any) settles once native resources are
   * closed; the runtime awaits it before a worker thread reports it finished, because terminating a thread while a
   * native close is still running aborts the process.
   */
  dispose(): void | Promise<void>;
}

/** Internal view of a state object used by the runtime (windows): select the namespace, merge namespaces. */
export interface NamespacedState {
  setNamespace(namespace: string): void;
  /** Folds the entries of `sources` into `target` and removes the sources (for merging session windows). */
  mergeNamespaces(target: string, sources: readonly string[]): void;
  /** True when the current key has an entry in the current namespace. */
  isEmpty(): boolean;
  /**
   * Appending states (list, reducing, aggregating): adds `value` and returns true when this created the entry of the
   * current key and namespace. Lets the window operator skip work it did when the window was created.
   */
  append(value: unknown): boolean;
}

/** Per state name, per key group: entries [key, namespace, value, expiry time when the state has a TTL]. */
export interface KeyedStateSnapshot {
  maxParallelism: number;
  states: Record<string, Record<number, SnapshotEntry[]>>;
  /**
   * More entries, already serialised in columns (`state/packed-entries.ts`); only asynchronous snapshots of the heap
   * backend have them. `unpackSnapshot` turns them into rows; the checkpoint writer stores them as they are.
   */
  packed?: Uint8Array[];
}

export type SnapshotEntry = [key: Key, namespace: string, value: unknown, expires?: number];
