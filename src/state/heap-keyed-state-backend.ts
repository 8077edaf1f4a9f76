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

/** Options of the heap backend (tests shorten them). */
export interface HeapBackendOptions extends CollectionOptions {
  /**
   * Links per rewrite pass ({@link HeapKeyedStateBackend.rewritePassLinks}); default {@link REWRITE_PASS_LINKS}. 0:
   * none (deltas hold changes only, and a full link follows when they add up to the chain's bound).
   */
  rewritePassLinks?: number;
}

/** Links per rewrite pass by default: the bytes of a full snapshot every hundred checkpoints, spread over them. */
export const REWRITE_PASS_LINKS = 100;
/**
 * The changes a chain's links hold (rewrites not counted: a chain holds at most two passes of them) stay within this
 * many times the state's entries, else a full link is taken: a restore reads a bounded multiple of the state. The
 * size of a pass's shares keeps the changes of two passes within the state's entries
 * ({@link HeapKeyedStateBackend.rewriteShare}), so only a state changing faster than that reaches the bound.
 */
const CHAIN_SIZE_FACTOR = 2;
/**
 * A delta whose changes exceed 1/this of the entries gets no rewrite share: the state is being rewritten anyway,
 * its chain soon ends in a full link (collected in slices), and a share, visited synchronously before the snapshot's
 * version starts, would only add to the link and to that pause.
 */
const REWRITE_CHURN_DIVISOR = 4;

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
  /**
   * The namespace looked up last and its map: consecutive records mostly fall in the same window, so this saves a
   * hash lookup per state access (window namespaces are cached strings, so the comparison is by reference).
   */
  private lastNs: string | undefined;
  private lastMap: Map<NormalizedKey, Entry> | undefined;
  constructor(readonly name: string) {}
  namespace(ns: string, create: boolean): Map<NormalizedKey, Entry> | undefined {
    if (ns === this.lastNs) return this.lastMap;
    let m = this.namespaces.get(ns);
    if (m === undefined) {
      if (!create) return undefined;
      m = new Map();
      this.namespaces.set(ns, m);
    }
    this.lastNs = ns;
    this.lastMap = m;
    return m;
  }
  /** Removes the (empty) map of `ns`. */
  dropNamespace(ns: string): void {
    this.namespaces.delete(ns);
    if (ns === this.lastNs) {
      this.lastNs = undefined;
      this.lastMap = undefined;
    }
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
    private readonly options: HeapBackendOptions = {},
  ) {
    this.rewritePassLinks = options.rewritePassLinks ?? REWRITE_PASS_LINKS;
  }

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
    const m = table.namespace(ns, false);
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
    if (m.size === 0) table.dropNamespace(ns);
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
   * Links in a chain at most before a full one is taken again. A chain normally holds one to two rewrite passes
   * ({@link rewritePassLinks}) and never gets here; this bounds the files a restore reads if passes cannot finish.
   */
  readonly maxChainLength = 250;
  /**
   * Links over which every entry is rewritten once (a *rewrite pass*): each delta also carries the next
   * 1/`rewritePassLinks` of the entries, unchanged or not, so that once a pass is complete the links before it are
   * no longer needed. The chain then never has to end in a full snapshot of the whole state, whose collection made
   * one checkpoint in a hundred as slow as the state is large (Flink's changelog backend materialises in the
   * background for the same reason). It costs the same bytes over time as a full link every
   * `rewritePassLinks` checkpoints, spread evenly over them.
   */
  readonly rewritePassLinks: number;
  /** Changes are logged from the first incremental snapshot on, starting with epoch `loggedFrom`. */
  private logging = false;
  private loggedFrom = Number.POSITIVE_INFINITY;
  /**
   * Per snapshot version that may be a base: the links of its chain, oldest first, with the changes each holds
   * (rewrites not counted; a full link: 0), so the chain's size is known without reading it.
   */
  private readonly chains = new Map<number, readonly { version: number; changes: number }[]>();
  /** Where the current rewrite pass stands; it began with the touches logged in epoch `startEpoch`. */
  private pass:
    | {
        startEpoch: number;
        tables: Iterator<StateTable>;
        table?: StateTable;
        namespaces?: Iterator<Map<NormalizedKey, Entry>>;
        entries?: Iterator<[NormalizedKey, Entry]>;
      }
    | undefined;
  /**
   * Epoch from which the change logs account for every live entry (a completed rewrite pass began there), or -1.
   * A link whose epochs all lie before it (version <= coveredFrom) is no longer needed by later links.
   */
  private coveredFrom = -1;

  /**
   * A link of an incremental chain (`IncrementalBackend` in runtime/checkpoint/incremental.ts): a point-in-time
   * snapshot collected as `snapshotAsync` does. With `sinceVersion` (the version of the last completed link), when
   * {@link canSnapshotIncrementalSince} allows, only a delta: the entries changed since, the next share of the
   * rewrite pass, and tombstones of the removed entries; otherwise a full link. Changes are kept until a link after
   * them completes ({@link discardVersionsBefore}), so a delta after abandoned checkpoints still holds their changes
   * (and their rewrites).
   */
  snapshotIncremental(sinceVersion?: number): Promise<IncrementalKeyedStateSnapshot> {
    const delta = sinceVersion !== undefined && this.canSnapshotIncrementalSince(sinceVersion);
    let source: SnapshotSource;
    let version: number;
    if (delta) {
      const changes = this.changesSince(sinceVersion);
      if (this.rewritePassLinks > 0) this.rewriteShare(changes);
      version = ++this.version;
      const logs: [string, ReturnType<StateChangeLog['between']>][] = [];
      for (const [name, table] of this.tables) {
        const l = table.log.between(sinceVersion, version);
        if (l.length > 0) logs.push([name, l]);
      }
      const kept = this.chains.get(sinceVersion)!.filter((l) => l.version > this.coveredFrom);
      this.chains.set(version, [...kept, { version, changes }]);
      source = { kind: 'delta', base: sinceVersion, logs };
    } else {
      version = ++this.version;
      // Logs that no delta can use any more (none completed since they began) would only grow: start afresh.
      if (!this.logging || this.changesSince(this.loggedFrom) > this.approximateEntries()) {
        for (const table of this.tables.values()) table.log.discardBefore(Number.POSITIVE_INFINITY);
        this.chains.clear();
        this.logging = true;
        this.loggedFrom = version;
      }
      // A full link covers everything: the next pass starts with the next delta.
      this.pass = undefined;
      this.coveredFrom = -1;
      this.chains.set(version, [{ version, changes: 0 }]);
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
   * Versions of links that the next link's chain no longer needs: every version <= this (-1: none). The tracker
   * drops them from the chain it records, as this backend does from its own.
   */
  linksCoveredUpTo(): number {
    return this.coveredFrom;
  }

  /**
   * Logs the next share of the rewrite pass (1/{@link rewritePassLinks} of the entries, or twice the delta's
   * `changes` if more; none when the delta's changes are a large part of the state) as changed in the current epoch,
   * without changing a value, so the delta about to be taken, or any later one against an earlier base, holds those
   * entries. Maps are iterated live: an entry created after the pass passed its place is logged as created, and one
   * removed is no longer live. When the pass has visited everything, every live entry has been logged since the pass
   * began.
   */
  private rewriteShare(changes: number): void {
    const entries = this.approximateEntries();
    if (changes * REWRITE_CHURN_DIVISOR > entries) return;
    // At least twice the delta's changes: a pass then spans at most entries / (2 × changes) links, so the changes in
    // the two passes a chain holds add up to at most the state's entries.
    let budget = Math.max(Math.ceil(entries / this.rewritePassLinks), 2 * changes);
    let p = (this.pass ??= { startEpoch: this.version, tables: this.tables.values() });
    // The budget is at most the entries there are, so a call completes at most one pass and starts the next (a
    // second completion ends the call all the same).
    let completed = false;
    while (budget > 0) {
      if (p.entries !== undefined) {
        const r = p.entries.next();
        if (!r.done) {
          // Copies the value for a snapshot still collected that wants it, as a change would (an entry changed in
          // this epoch already has).
          if (r.value[1].changed !== this.version) this.beforeChange(p.table!, r.value[1], r.value[0]);
          budget--;
          continue;
        }
        p.entries = undefined;
      }
      if (p.namespaces !== undefined) {
        const r = p.namespaces.next();
        if (!r.done) p.entries = r.value.entries();
        else p.namespaces = undefined;
        continue;
      }
      const r = p.tables.next();
      if (r.done) {
        this.coveredFrom = p.startEpoch;
        p = this.pass = { startEpoch: this.version, tables: this.tables.values() };
        if (completed) return;
        completed = true;
        continue;
      }
      p.table = r.value;
      p.namespaces = r.value.namespaces.values();
    }
  }

  /**
   * True when a delta since `version` can be taken: the changes since are logged, and the changes the kept links
   * hold with the next one's stay within {@link CHAIN_SIZE_FACTOR} times the state's entries (so a restore reads a
   * bounded multiple of the state: these changes and one or two rewrite passes).
   */
  canSnapshotIncrementalSince(version: number): boolean {
    const chain = this.chains.get(version);
    if (!this.logging || version < this.loggedFrom || chain === undefined) return false;
    let size = this.changesSince(version);
    for (const l of chain) if (l.version > this.coveredFrom) size += l.changes;
    return size <= CHAIN_SIZE_FACTOR * this.approximateEntries();
  }

  /** A link of `version` completed: no delta will be taken against an earlier version, so their logs go. */
  discardVersionsBefore(version: number): void {
    for (const table of this.tables.values()) table.log.discardBefore(version);
    for (const v of this.chains.keys()) if (v < version) this.chains.delete(v);
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
