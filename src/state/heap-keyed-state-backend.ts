import { type Key, keyGroupOf, type NormalizedKey, normalizeKey } from '../core/key.js';
import { CopyOnWriteSnapshot } from './copy-on-write-snapshot.js';
import type {
  AggregatingStateDescriptor,
  ReducingStateDescriptor,
  StateDescriptor,
  StateTtlConfig,
} from './descriptors.js';
import { ElementTtl, EXPIRED, type Wrapped } from './element-ttl.js';
import {
  type KeyedStateBackend,
  type KeyedStateSnapshot,
  type NamespacedState,
  type SnapshotEntry,
  VOID_NAMESPACE,
} from './keyed-state-backend.js';

/** One stored entry: the original key and namespace are kept so snapshots can be taken without parsing. */
interface Entry {
  key: Key;
  ns: string;
  value: unknown;
  /** Expiry time (processing time, ms) when the state has a TTL. */
  expires?: number;
  /** Snapshot version current when the entry was created: snapshots with a version <= born exclude it. */
  born: number;
  /** Last snapshot version that has this entry's value (copied before a change, or visited): copy once per snapshot. */
  seen: number;
}

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
export class HeapKeyedStateBackend implements KeyedStateBackend {
  private readonly tables = new Map<string, StateTable>();
  private readonly states = new Map<string, HeapState>();
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
    const state = createHeapState(this, table, descriptor);
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
   * afterwards are copied just before their first change (copy-on-write). Resolves with the same structure as
   * `snapshot()`.
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

  restore(snapshot: KeyedStateSnapshot): void {
    if (snapshot.maxParallelism !== this.maxParallelism) {
      throw new Error(
        `state was written with max parallelism ${snapshot.maxParallelism} and cannot be restored with ${this.maxParallelism}`,
      );
    }
    for (const [name, perGroup] of Object.entries(snapshot.states)) {
      let table = this.tables.get(name);
      if (table === undefined) {
        table = new StateTable(name);
        this.tables.set(name, table);
      }
      for (const [kgText, entries] of Object.entries(perGroup)) {
        const kg = Number(kgText);
        if (kg < this.keyGroupStart || kg >= this.keyGroupEnd) continue;
        for (const [key, ns, value, expires] of entries) {
          const entry = { key, ns, value: copyValue(name, value), expires, born: this.version, seen: this.version };
          table.namespace(ns, true)!.set(normalizeKey(key), entry);
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

/** Reads and writes one entry slot of the current key, honouring TTL. Shared by all state kinds. */
abstract class HeapState implements NamespacedState {
  protected ns = VOID_NAMESPACE;
  protected readonly ttl: StateTtlConfig | undefined;
  constructor(
    protected readonly backend: HeapKeyedStateBackend,
    protected readonly table: StateTable,
    readonly descriptor: StateDescriptor,
  ) {
    this.ttl = descriptor.ttl;
  }
  setNamespace(namespace: string): void {
    this.ns = namespace;
  }
  /** The live entry of the current key, or undefined (expired entries are dropped unless visibility allows). */
  protected live(ns = this.ns): Entry | undefined {
    const e = this.backend.entry(this.table, ns, false);
    if (e === undefined || e.value === undefined) return undefined;
    const ttl = this.entryTtl();
    if (ttl !== undefined && e.expires !== undefined) {
      const now = this.backend.clock();
      if (e.expires <= now) {
        if (ttl.visibility === 'returnExpiredIfNotCleanedUp') return e;
        this.backend.removeEntry(this.table, ns);
        return undefined;
      }
      if (ttl.updateType === 'onReadAndWrite') e.expires = now + ttl.ttlMs;
    }
    return e;
  }
  /** TTL applied to the whole entry; list and map states apply it per element instead. */
  protected entryTtl(): StateTtlConfig | undefined {
    return this.ttl;
  }
  protected read(ns = this.ns): unknown {
    return this.live(ns)?.value;
  }
  /** The live entry, announced as about to change (copy-on-write for a running snapshot). */
  protected mutable(ns = this.ns): Entry | undefined {
    const e = this.live(ns);
    if (e !== undefined) this.backend.beforeChange(this.table, e);
    return e;
  }
  protected write(value: unknown, ns = this.ns): void {
    const e = this.backend.entry(this.table, ns, true)!;
    this.backend.beforeChange(this.table, e);
    e.value = value;
    const ttl = this.entryTtl();
    if (ttl !== undefined) e.expires = this.backend.clock() + ttl.ttlMs;
  }
  protected removeEntry(ns = this.ns): void {
    this.backend.removeEntry(this.table, ns);
  }
  clear(): void {
    this.removeEntry();
  }
  isEmpty(): boolean {
    return this.read() === undefined;
  }
  mergeNamespaces(target: string, sources: readonly string[]): void {
    let merged = this.read(target);
    for (const source of sources) {
      if (source === target) continue;
      const v = this.read(source);
      if (v === undefined) continue;
      merged = merged === undefined ? v : this.mergeValues(merged, v);
      this.removeEntry(source);
    }
    if (merged !== undefined) this.write(merged, target);
  }
  append(_value: unknown): boolean {
    throw new Error(`state '${this.descriptor.name}' (${this.descriptor.kind}) is not an appending state`);
  }
  protected mergeValues(_a: unknown, _b: unknown): unknown {
    throw new Error(`state '${this.descriptor.name}' (${this.descriptor.kind}) cannot be merged`);
  }
}

class HeapValueState extends HeapState {
  value(): unknown {
    const v = this.read();
    return v === undefined && this.descriptor.kind === 'value' ? this.descriptor.defaultValue : v;
  }
  update(value: unknown): void {
    if (value === undefined) this.removeEntry();
    else this.write(value);
  }
}

class HeapListState extends HeapState {
  private readonly elementTtl = this.ttl && new ElementTtl(this.ttl, this.backend.clock);
  protected override entryTtl(): StateTtlConfig | undefined {
    return undefined;
  }
  private stored(): unknown[] | undefined {
    return this.read() as unknown[] | undefined;
  }
  get(): unknown[] {
    const list = this.stored();
    if (list === undefined) return [];
    const t = this.elementTtl;
    if (t === undefined) return list.slice();
    const out: unknown[] = [];
    const kept = list.filter((w) => !t.isExpired(w as Wrapped));
    for (const w of list) {
      const v = t.read(w as Wrapped);
      if (v !== EXPIRED) out.push(v);
    }
    // Expired elements are cleaned up on read; the visibility setting decided whether this read still saw them.
    if (kept.length === 0) this.removeEntry();
    else if (kept.length < list.length) this.write(kept);
    return out;
  }
  add(value: unknown): void {
    this.append(value);
  }
  override append(value: unknown): boolean {
    const stored = this.elementTtl ? this.elementTtl.wrap(value) : value;
    const e = this.mutable();
    if (e === undefined) {
      this.write([stored]);
      return true;
    }
    (e.value as unknown[]).push(stored);
    return false;
  }
  addAll(values: readonly unknown[]): void {
    for (const v of values) this.append(v);
  }
  update(values: readonly unknown[]): void {
    if (values.length === 0) this.removeEntry();
    else this.write(this.elementTtl ? values.map((v) => this.elementTtl!.wrap(v)) : values.slice());
  }
  protected override mergeValues(a: unknown, b: unknown): unknown {
    return (a as unknown[]).concat(b as unknown[]);
  }
}

class HeapMapState extends HeapState {
  private readonly elementTtl = this.ttl && new ElementTtl(this.ttl, this.backend.clock);
  protected override entryTtl(): StateTtlConfig | undefined {
    return undefined;
  }
  /** The key's map; announced as changing, since callers may modify it (or TTL reads may prune it). */
  private map(create: boolean): Map<unknown, unknown> | undefined {
    let m = this.mutable()?.value as Map<unknown, unknown> | undefined;
    if (m === undefined && create) {
      m = new Map();
      this.write(m);
    }
    return m;
  }
  /** The visible value of one stored entry, or EXPIRED (an expired entry is removed). */
  private visible(m: Map<unknown, unknown>, key: unknown, stored: unknown): unknown {
    const t = this.elementTtl;
    if (t === undefined) return stored;
    const v = t.read(stored as Wrapped);
    if (t.isExpired(stored as Wrapped)) m.delete(key);
    return v;
  }
  get(key: unknown): unknown {
    const m = this.map(false);
    if (m === undefined || !m.has(key)) return undefined;
    const v = this.visible(m, key, m.get(key));
    this.pruneIfEmpty(m);
    return v === EXPIRED ? undefined : v;
  }
  put(key: unknown, value: unknown): void {
    this.map(true)!.set(key, this.elementTtl ? this.elementTtl.wrap(value) : value);
  }
  putAll(entries: Iterable<[unknown, unknown]>): void {
    for (const [k, v] of entries) this.put(k, v);
  }
  remove(key: unknown): void {
    const m = this.map(false);
    if (m === undefined) return;
    m.delete(key);
    this.pruneIfEmpty(m);
  }
  contains(key: unknown): boolean {
    return this.get(key) !== undefined || (this.elementTtl === undefined && (this.map(false)?.has(key) ?? false));
  }
  entries(): [unknown, unknown][] {
    const m = this.map(false);
    if (m === undefined) return [];
    const out: [unknown, unknown][] = [];
    for (const [k, stored] of [...m]) {
      const v = this.visible(m, k, stored);
      if (v !== EXPIRED) out.push([k, v]);
    }
    this.pruneIfEmpty(m);
    return out;
  }
  keys(): unknown[] {
    return this.entries().map(([k]) => k);
  }
  values(): unknown[] {
    return this.entries().map(([, v]) => v);
  }
  override isEmpty(): boolean {
    return this.entries().length === 0;
  }
  private pruneIfEmpty(m: Map<unknown, unknown>): void {
    if (m.size === 0) this.removeEntry();
  }
  protected override mergeValues(a: unknown, b: unknown): unknown {
    return new Map([...(a as Map<unknown, unknown>), ...(b as Map<unknown, unknown>)]);
  }
}

class HeapReducingState extends HeapState {
  get(): unknown {
    return this.read();
  }
  add(value: unknown): void {
    this.append(value);
  }
  override append(value: unknown): boolean {
    const d = this.descriptor as ReducingStateDescriptor<unknown>;
    const v = this.mutable()?.value;
    this.write(v === undefined ? value : d.reduce(v, value));
    return v === undefined;
  }
  protected override mergeValues(a: unknown, b: unknown): unknown {
    const d = this.descriptor;
    return d.kind === 'reducing' ? d.reduce(a, b) : super.mergeValues(a, b);
  }
}

class HeapAggregatingState extends HeapState {
  get(): unknown {
    const d = this.descriptor;
    const acc = this.read();
    return acc === undefined || d.kind !== 'aggregating' ? undefined : d.aggregate.getResult(acc);
  }
  /** The raw accumulator (windows with a process function need it). */
  getAccumulator(): unknown {
    return this.read();
  }
  add(value: unknown): void {
    this.append(value);
  }
  override append(value: unknown): boolean {
    const agg = (this.descriptor as AggregatingStateDescriptor<unknown, unknown, unknown>).aggregate;
    const e = this.mutable();
    if (e === undefined) {
      this.write(agg.add(value, agg.createAccumulator()));
      return true;
    }
    if (this.ttl === undefined) e.value = agg.add(value, e.value);
    else this.write(agg.add(value, e.value));
    return false;
  }
  protected override mergeValues(a: unknown, b: unknown): unknown {
    const d = this.descriptor;
    if (d.kind !== 'aggregating' || d.aggregate.merge === undefined) {
      throw new Error(`aggregate function of state '${this.descriptor.name}' needs merge() for merging windows`);
    }
    return d.aggregate.merge(a, b);
  }
}

function createHeapState(backend: HeapKeyedStateBackend, table: StateTable, d: StateDescriptor): HeapState {
  switch (d.kind) {
    case 'value':
      return new HeapValueState(backend, table, d);
    case 'list':
      return new HeapListState(backend, table, d);
    case 'map':
      return new HeapMapState(backend, table, d);
    case 'reducing':
      return new HeapReducingState(backend, table, d);
    case 'aggregating':
      return new HeapAggregatingState(backend, table, d);
  }
}
