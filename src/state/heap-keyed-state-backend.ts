import { type Key, keyGroupOf, type NormalizedKey, normalizeKey } from '../core/key.js';
import { CopyOnWriteSnapshot, type VersionedEntry } from './copy-on-write-snapshot.js';
import type { StateDescriptor } from './descriptors.js';
import { createEntryState, type EntryAccess, type EntryState } from './entry-states.js';
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
      e = { key: this.key, ns, value: undefined, born: this.version, seen: this.version };
      m.set(this.norm, e);
    }
    return e;
  }
  /** @internal */
  removeEntry(table: StateTable, ns: string): void {
    const m = table.namespaces.get(ns);
    if (m === undefined) return;
    const e = m.get(this.norm);
    if (e !== undefined) this.beforeChange(table, e, this.norm);
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
  private active: CopyOnWriteSnapshot | undefined;

  /**
   * @internal Called before an entry's value changes in place or the entry is removed: while an asynchronous
   * snapshot is being collected and has not copied this entry yet, its current value is copied for the snapshot.
   */
  beforeChange(table: StateTable, e: Entry, norm: NormalizedKey = this.norm): void {
    const s = this.active;
    if (s !== undefined && e.born < s.version && e.seen < s.version) {
      e.seen = s.version;
      s.capture(table.name, norm, e);
    }
  }

  /**
   * A point-in-time snapshot as of this call, collected in slices while processing goes on: entries changed
   * afterwards are copied just before their first change (copy-on-write). Resolves with the same entries as
   * `snapshot()`, most of them already serialised in `packed` (`unpackSnapshot` gives rows).
   */
  snapshotAsync(): Promise<KeyedStateSnapshot> {
    // One snapshot at a time: an unfinished earlier one is completed first.
    const previous = this.active;
    if (previous !== undefined) previous.finishNow();
    const version = ++this.version;
    const tables: [string, Map<NormalizedKey, Entry>[]][] = [];
    for (const [name, table] of this.tables) tables.push([name, [...table.namespaces.values()]]);
    const snapshot = new CopyOnWriteSnapshot(version, tables, this.maxParallelism, copyValue);
    this.active = snapshot;
    return snapshot.collect().finally(() => {
      if (this.active === snapshot) this.active = undefined;
    });
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
          const entry: Entry = { key, ns: entryNs, value, born: this.version, seen: this.version };
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
