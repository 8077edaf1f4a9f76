import { type Key, keyGroupOf, type NormalizedKey, normalizeKey } from '../core/key.js';
import {
  type CollectionOptions,
  CopyOnWriteSnapshot,
  REMOVED,
  type SnapshotSource,
  type VersionedEntry,
} from './copy-on-write-snapshot.js';
import type { StateDescriptor } from './descriptors.js';
import type { IncrementalKeyedStateSnapshot } from './disk/incremental-snapshot.js';
import { createEntryState, type EntryAccess, type EntryState } from './entry-states.js';
import { StateChangeLog } from './heap-change-log.js';
import {
  type KeyedStateBackend,
  type KeyedStateSnapshot,
  type NamespacedState,
  type SnapshotEntry,
  VOID_NAMESPACE,
} from './keyed-state-backend.js';
import { unpackSnapshot } from './packed-entries.js';

/** One stored entry: the key and namespace are kept so snapshots can be taken without parsing. */
type Entry = VersionedEntry;

/**
 * Entries of one state: per namespace, per normalised key. Namespace strings are few and long-lived (window
 * namespaces are cached on the window object), so a lookup hashes no freshly built string. Key groups are not a level
 * of the table: they are computed from the key when a snapshot is taken, which keeps the per-record path short.
 */
class StateTable {
  readonly namespaces = new Map<string, Map<NormalizedKey, Entry>>();
  /** Changes per epoch, for incremental snapshots (empty until the first one). */
  readonly log = new StateChangeLog();
  constructor(readonly name: string) {}
  namespace(ns: string, create: boolean): Map<NormalizedKey, Entry> | undefined {
    let m = this.namespaces.get(ns);
    if (m === undefined && create) {
      m = new Map();
      this.namespaces.set(ns, m);
    }
    return m;
  }
}

/**
 * The in-memory state backend: JS Maps, values stored by reference. Snapshots list entries per key group (values
 * are serialised later by whoever stores the snapshot).
 */
export class HeapKeyedStateBackend implements KeyedStateBackend, EntryAccess<StateTable, Entry> {
  private readonly tables = new Map<string, StateTable>();
  private readonly states = new Map<string, EntryState<StateTable, Entry>>();
  private key: Key = '';
  private norm: NormalizedKey = '';
  private kg = -1;

  constructor(
    readonly maxParallelism: number,
    private readonly keyGroupStart: number,
    private readonly keyGroupEnd: number,
    readonly clock: () => number = Date.now,
    private readonly options: CollectionOptions = {},
  ) {}

  setCurrentKey(key: Key): void {
    if (key === this.key) return;
    this.key = key;
    this.norm = normalizeKey(key);
    this.kg = -1;
  }
  getCurrentKey(): Key {
    return this.key;
  }
  getCurrentKeyGroup(): number {
    if (this.kg < 0) this.kg = keyGroupOf(this.norm, this.maxParallelism);
    return this.kg;
  }

  /** {@link KeyedStateBackend.approximateEntries}: map sizes summed over states and namespaces. */
  approximateEntries(): number {
    let n = 0;
    for (const table of this.tables.values()) for (const m of table.namespaces.values()) n += m.size;
    return n;
  }

  /** @internal {@link EntryAccess.lookup}. */
  lookup(table: StateTable, ns: string, create: boolean): Entry | undefined {
    const e = this.entry(table, ns, create);
    return create || e?.value !== undefined ? e : undefined;
  }
  /** @internal {@link EntryAccess.clear}. */
  clear(table: StateTable, ns: string): void {
    this.removeEntry(table, ns);
  }
  /** @internal {@link EntryAccess.changing}: copy-on-write for a running snapshot. */
  changing(table: StateTable, e: Entry): void {
    this.beforeChange(table, e);
  }

  /** @internal the entry of the current key in `ns`; created (with value undefined) when `create`. */
  entry(table: StateTable, ns: string, create: boolean): Entry | undefined {
    const m = table.namespace(ns, create);
    if (m === undefined) return undefined;
    let e = m.get(this.norm);
    if (e === undefined && create) {
      // Logged as changed by the `changing` call that sets its value.
      e = { key: this.key, ns, value: undefined, born: this.version, seen: this.version, changed: -1 };
      m.set(this.norm, e);
    }
    return e;
  }
  /** @internal */
  removeEntry(table: StateTable, ns: string): void {
    const m = table.namespaces.get(ns);
    if (m === undefined) return;
    const e = m.get(this.norm);
    if (e !== undefined) {
      this.active?.snapshot.beforeChange(table.name, this.norm, e);
      if (this.logging) {
        const log = table.log.current(this.version);
        log.removedKeys.push(e.key);
        log.removedNs.push(ns);
        log.removedNorms.push(this.norm);
        log.removedBorn.push(e.born);
      }
      // Change logs may still reference the entry: mark it removed for the snapshots that read them.
      e.born = REMOVED;
    }
    m.delete(this.norm);
    // Finished windows leave no empty map behind.
    if (m.size === 0) table.namespaces.delete(ns);
  }

  getState<S>(descriptor: StateDescriptor): S & NamespacedState {
    const existing = this.states.get(descriptor.name);
    if (existing !== undefined) {
      if (existing.descriptor.kind !== descriptor.kind) {
        throw new Error(
          `state '${descriptor.name}' was declared as ${existing.descriptor.kind} state and again as ${descriptor.kind} state`,
        );
      }
      return existing as unknown as S & NamespacedState;
    }
    let table = this.tables.get(descriptor.name);
    if (table === undefined) {
      table = new StateTable(descriptor.name);
      this.tables.set(descriptor.name, table);
    }
    const state = createEntryState(this, table, descriptor);
    this.states.set(descriptor.name, state);
    return state as unknown as S & NamespacedState;
  }

  forEachKey(stateName: string, visit: (key: Key) => void): void {
    const m = this.tables.get(stateName)?.namespaces.get(VOID_NAMESPACE);
    if (m !== undefined) for (const e of [...m.values()]) visit(e.key);
  }

  // ---- copy-on-write snapshots ----
  /** Incremented by every asynchronous snapshot; entries remember the version they were created in. */
  private version = 0;
  /** The newest snapshot being collected (it knows the earlier ones still running), and its result. */
  private active: { snapshot: CopyOnWriteSnapshot; done: Promise<unknown> } | undefined;

  /**
   * @internal Called before an entry's value changes in place or the entry is removed: while an asynchronous
   * snapshot is being collected and has not copied this entry yet, its current value is copied for the snapshot.
   */
  beforeChange(table: StateTable, e: Entry, norm: NormalizedKey = this.norm): void {
    this.active?.snapshot.beforeChange(table.name, norm, e);
    // Once per entry and epoch: an entry changed many times between two checkpoints is logged once.
    if (e.changed !== this.version) {
      e.changed = this.version;
      if (this.logging) {
        const log = table.log.current(this.version);
        log.norms.push(norm);
        log.entries.push(e);
      }
    }
  }

  /**
   * A point-in-time snapshot as of this call, collected in slices while processing goes on: entries changed
   * afterwards are copied just before their first change (copy-on-write). Resolves with the same entries as
   * `snapshot()`, most of them already serialised in `packed` (`unpackSnapshot` gives rows).
   */
  snapshotAsync(): Promise<KeyedStateSnapshot> {
    return this.start(++this.version, this.fullSource()).done;
  }

  /** Starts collecting snapshot `version` (an earlier one still running goes on at its pace, this one after it). */
  private start(
    version: number,
    source: SnapshotSource,
  ): { snapshot: CopyOnWriteSnapshot; done: Promise<KeyedStateSnapshot> } {
    const snapshot = new CopyOnWriteSnapshot(version, source, this.maxParallelism, copyValue, this.active, {
      sliceMs: this.options.sliceMs,
    });
    const done = snapshot.collect().finally(() => {
      if (this.active?.snapshot === snapshot) this.active = undefined;
    });
    const active = { snapshot, done };
    this.active = active;
    return active;
  }

  private fullSource(): SnapshotSource {
    const tables: [string, Map<NormalizedKey, Entry>[]][] = [];
    for (const [name, table] of this.tables) tables.push([name, [...table.namespaces.values()]]);
    return { kind: 'full', tables };
  }

  // ---- incremental snapshots (the link format of runtime/checkpoint/incremental.ts) ----
  /**
   * Links in a chain before a full one: deltas are small and frequent (Stateful Functions answer after the
   * checkpoint), and the chain's size is bounded by the state's anyway ({@link canSnapshotIncrementalSince}).
   */
  readonly maxChainLength = 100;
  /** Changes are logged from the first incremental snapshot on, starting with epoch `loggedFrom`. */
  private logging = false;
  private loggedFrom = Number.POSITIVE_INFINITY;
  /** Per snapshot version that may be a base: changes in the deltas of its chain since the last full link. */
  private readonly chainChanges = new Map<number, number>();

  /**
   * A link of an incremental chain (`IncrementalBackend` in runtime/checkpoint/incremental.ts): a point-in-time
   * snapshot collected as `snapshotAsync` does. With `sinceVersion` (the version of the last completed link), when
   * {@link canSnapshotIncrementalSince} allows, only a delta: the entries changed since, with tombstones of the
   * removed ones; otherwise a full link. Changes are kept until a link after them completes
   * ({@link discardVersionsBefore}), so a delta after abandoned checkpoints still holds their changes.
   */
  snapshotIncremental(sinceVersion?: number): Promise<IncrementalKeyedStateSnapshot> {
    const delta = sinceVersion !== undefined && this.canSnapshotIncrementalSince(sinceVersion);
    const version = ++this.version;
    let source: SnapshotSource;
    if (delta) {
      const logs: [string, ReturnType<StateChangeLog['between']>][] = [];
      for (const [name, table] of this.tables) {
        const l = table.log.between(sinceVersion, version);
        if (l.length > 0) logs.push([name, l]);
      }
      this.chainChanges.set(version, this.chainChanges.get(sinceVersion)! + this.changesSince(sinceVersion));
      source = { kind: 'delta', base: sinceVersion, logs };
    } else {
      // Logs that no delta can use any more (none completed since they began) would only grow: start afresh.
      if (!this.logging || this.changesSince(this.loggedFrom) > this.approximateEntries()) {
        for (const table of this.tables.values()) table.log.discardBefore(Number.POSITIVE_INFINITY);
        this.chainChanges.clear();
        this.logging = true;
        this.loggedFrom = version;
      }
      this.chainChanges.set(version, 0);
      source = this.fullSource();
    }
    const { snapshot, done } = this.start(version, source);
    return done.then((keyed) => ({
      ...keyed,
      version,
      baseVersion: delta ? sinceVersion : null,
      removed: snapshot.removed(),
    }));
  }

  /**
   * True when a delta since `version` can be taken: the changes since are logged, and the chain's deltas with the
   * next one stay within the size of the state (so a restore reads at most about twice the state).
   */
  canSnapshotIncrementalSince(version: number): boolean {
    const chain = this.chainChanges.get(version);
    if (!this.logging || version < this.loggedFrom || chain === undefined) return false;
    return chain + this.changesSince(version) <= this.approximateEntries();
  }

  /** A link of `version` completed: no delta will be taken against an earlier version, so their logs go. */
  discardVersionsBefore(version: number): void {
    for (const table of this.tables.values()) table.log.discardBefore(version);
    for (const v of this.chainChanges.keys()) if (v < version) this.chainChanges.delete(v);
  }

  private changesSince(epoch: number): number {
    let n = 0;
    for (const table of this.tables.values()) n += table.log.sizeSince(epoch);
    return n;
  }

  snapshot(): KeyedStateSnapshot {
    const states: KeyedStateSnapshot['states'] = {};
    for (const [name, table] of this.tables) {
      const perGroup: Record<number, SnapshotEntry[]> = {};
      for (const [ns, m] of table.namespaces) {
        for (const [norm, e] of m) {
          const kg = keyGroupOf(norm, this.maxParallelism);
          const list = (perGroup[kg] ??= []);
          const value = copyValue(name, e.value);
          list.push(e.expires === undefined ? [e.key, ns, value] : [e.key, ns, value, e.expires]);
        }
      }
      states[name] = perGroup;
    }
    return { maxParallelism: this.maxParallelism, states };
  }

  restore(snapshot: KeyedStateSnapshot, adopt = false): void {
    if (snapshot.maxParallelism !== this.maxParallelism) {
      throw new Error(
        `state was written with max parallelism ${snapshot.maxParallelism} and cannot be restored with ${this.maxParallelism}`,
      );
    }
    const rows = unpackSnapshot(snapshot);
    // Values unpacked here are fresh copies already.
    const owned = adopt || rows !== snapshot;
    for (const [name, perGroup] of Object.entries(rows.states)) {
      let table = this.tables.get(name);
      if (table === undefined) {
        table = new StateTable(name);
        this.tables.set(name, table);
      }
      let ns: string | undefined;
      let m: Map<NormalizedKey, Entry> | undefined;
      for (const [kgText, entries] of Object.entries(perGroup)) {
        const kg = Number(kgText);
        if (kg < this.keyGroupStart || kg >= this.keyGroupEnd) continue;
        for (const [key, entryNs, stored, expires] of entries) {
          const value = owned ? stored : copyValue(name, stored);
          // Same shape as entries created by processing (expires only when there is one).
          const entry: Entry = { key, ns: entryNs, value, born: this.version, seen: this.version, changed: -1 };
          if (expires !== undefined) entry.expires = expires;
          if (entryNs !== ns) {
            ns = entryNs;
            m = table.namespace(ns, true)!;
          }
          m!.set(normalizeKey(key), entry);
        }
      }
    }
  }

  dispose(): void {
    this.tables.clear();
    this.states.clear();
  }
}

/**
 * A snapshot must not change when state changes afterwards (values are mutated in place, e.g. list appends), and a
 * restored backend must not share objects with the snapshot: values are deep-copied both ways.
 */
function copyValue(stateName: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  try {
    return structuredClone(value);
  } catch (e) {
    throw new Error(
      `state '${stateName}' holds a value that cannot be copied for a snapshot (${(e as Error).message}); keep plain data in state`,
    );
  }
}
