import type {
  AggregatingStateDescriptor,
  ReducingStateDescriptor,
  StateDescriptor,
  StateTtlConfig,
} from './descriptors.js';
import { ElementTtl, EXPIRED, type Wrapped } from './element-ttl.js';

import { type NamespacedState, VOID_NAMESPACE } from './keyed-state-backend.js';

/** What a state object keeps per key and namespace: the value and, with a TTL, its expiry time. */
export interface StoredEntry {
  value: unknown;
  expires?: number;
}

/**
 * The state objects of every keyed state backend: value, list, map, reducing and aggregating state with the same
 * TTL, append, merge and copy semantics whatever the storage. A backend provides entry access; before any change of
 * an entry — a new value, an in-place change (list append, map put, an accumulator mutated by `add`, an expiry
 * refreshed by a read) — the state calls `changing`, which is where the heap backend copies the old value for a
 * running snapshot (copy-on-write) and the disk backend marks its cached entry dirty for write-back.
 *
 * Contract with the backend: an entry returned by {@link EntryAccess.lookup} stays valid until the next call of
 * `lookup` or `clear`, so it may be changed in between; code here never holds an entry across another lookup.
 */
export interface EntryAccess<T, E extends StoredEntry> {
  readonly clock: () => number;
  /**
   * The entry of the current key in `ns`. With `create` false: undefined when there is no entry. With `create`
   * true: always an entry, whose value is undefined when it is new; the caller sets the value before it calls
   * `lookup` again.
   */
  lookup(table: T, ns: string, create: boolean): E | undefined;
  /** Removes the entry of the current key in `ns`. */
  clear(table: T, ns: string): void;
  /** Called before `entry` (value or expiry) changes in any way. */
  changing(table: T, entry: E): void;
}

/** Reads and writes one entry slot of the current key, honouring TTL. Shared by all state kinds. */
export abstract class EntryState<T = unknown, E extends StoredEntry = StoredEntry> implements NamespacedState {
  protected ns = VOID_NAMESPACE;
  protected readonly ttl: StateTtlConfig | undefined;
  constructor(
    protected readonly backend: EntryAccess<T, E>,
    protected readonly table: T,
    readonly descriptor: StateDescriptor,
  ) {
    this.ttl = descriptor.ttl;
  }
  setNamespace(namespace: string): void {
    this.ns = namespace;
  }
  /** The live entry of the current key, or undefined (expired entries are dropped unless visibility allows). */
  protected live(ns = this.ns): E | undefined {
    const e = this.backend.lookup(this.table, ns, false);
    if (e === undefined) return undefined;
    const ttl = this.entryTtl();
    if (ttl !== undefined && e.expires !== undefined) {
      const now = this.backend.clock();
      if (e.expires <= now) {
        if (ttl.visibility === 'returnExpiredIfNotCleanedUp') return e;
        this.backend.clear(this.table, ns);
        return undefined;
      }
      if (ttl.updateType === 'onReadAndWrite') {
        this.changing(e);
        e.expires = now + ttl.ttlMs;
      }
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
  protected write(value: unknown, ns = this.ns): void {
    const e = this.backend.lookup(this.table, ns, true)!;
    this.changing(e);
    e.value = value;
    const ttl = this.entryTtl();
    if (ttl !== undefined) e.expires = this.backend.clock() + ttl.ttlMs;
  }
  protected changing(e: E): void {
    this.backend.changing(this.table, e);
  }
  protected removeEntry(ns = this.ns): void {
    this.backend.clear(this.table, ns);
  }
  clear(): void {
    this.removeEntry();
  }
  isEmpty(): boolean {
    return this.read() === undefined;
  }
  mergeNamespaces(target: string, sources: readonly string[]): void {
    // Merging may change the target's value in place (an accumulator's merge): announce the change first.
    const existing = this.live(target);
    if (existing !== undefined) this.changing(existing);
    let merged = existing?.value;
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

class ValueEntryState<T, E extends StoredEntry> extends EntryState<T, E> {
  value(): unknown {
    const v = this.read();
    return v === undefined && this.descriptor.kind === 'value' ? this.descriptor.defaultValue : v;
  }
  update(value: unknown): void {
    if (value === undefined) this.removeEntry();
    else this.write(value);
  }
}

class ListEntryState<T, E extends StoredEntry> extends EntryState<T, E> {
  private readonly elementTtl = this.ttl && new ElementTtl(this.ttl, this.backend.clock);
  protected override entryTtl(): StateTtlConfig | undefined {
    return undefined;
  }
  get(): unknown[] {
    const e = this.live();
    if (e === undefined) return [];
    const list = e.value as unknown[];
    const t = this.elementTtl;
    if (t === undefined) return list.slice();
    const out: unknown[] = [];
    const kept = list.filter((w) => !t.isExpired(w as Wrapped));
    if (t.readWrites) this.changing(e);
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
    const e = this.live();
    if (e === undefined) {
      this.write([stored]);
      return true;
    }
    this.changing(e);
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

class MapEntryState<T, E extends StoredEntry> extends EntryState<T, E> {
  private readonly elementTtl = this.ttl && new ElementTtl(this.ttl, this.backend.clock);
  protected override entryTtl(): StateTtlConfig | undefined {
    return undefined;
  }
  /** The entry holding the current key's map, or undefined. */
  private mapEntry(): E | undefined {
    return this.live();
  }
  get(key: unknown): unknown {
    const e = this.mapEntry();
    if (e === undefined) return undefined;
    const m = e.value as Map<unknown, unknown>;
    if (!m.has(key)) return undefined;
    const v = this.visible(e, m, key, m.get(key));
    this.pruneIfEmpty(m);
    return v === EXPIRED ? undefined : v;
  }
  put(key: unknown, value: unknown): void {
    const stored = this.elementTtl ? this.elementTtl.wrap(value) : value;
    const e = this.mapEntry();
    if (e === undefined) {
      this.write(new Map([[key, stored]]));
      return;
    }
    this.changing(e);
    (e.value as Map<unknown, unknown>).set(key, stored);
  }
  putAll(entries: Iterable<[unknown, unknown]>): void {
    for (const [k, v] of entries) this.put(k, v);
  }
  remove(key: unknown): void {
    const e = this.mapEntry();
    if (e === undefined) return;
    const m = e.value as Map<unknown, unknown>;
    if (!m.has(key)) return;
    this.changing(e);
    m.delete(key);
    this.pruneIfEmpty(m);
  }
  contains(key: unknown): boolean {
    if (this.elementTtl !== undefined) return this.get(key) !== undefined;
    const m = this.mapEntry()?.value as Map<unknown, unknown> | undefined;
    return m?.has(key) ?? false;
  }
  entries(): [unknown, unknown][] {
    const e = this.mapEntry();
    if (e === undefined) return [];
    const m = e.value as Map<unknown, unknown>;
    const out: [unknown, unknown][] = [];
    for (const [k, stored] of [...m]) {
      const v = this.visible(e, m, k, stored);
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
  /** The visible value of one stored map entry, or EXPIRED (an expired map entry is removed). */
  private visible(e: E, m: Map<unknown, unknown>, key: unknown, stored: unknown): unknown {
    const t = this.elementTtl;
    if (t === undefined) return stored;
    const expired = t.isExpired(stored as Wrapped);
    if (expired || t.readWrites) this.changing(e);
    const v = t.read(stored as Wrapped);
    if (expired) m.delete(key);
    return v;
  }
  private pruneIfEmpty(m: Map<unknown, unknown>): void {
    if (m.size === 0) this.removeEntry();
  }
  protected override mergeValues(a: unknown, b: unknown): unknown {
    return new Map([...(a as Map<unknown, unknown>), ...(b as Map<unknown, unknown>)]);
  }
}

class ReducingEntryState<T, E extends StoredEntry> extends EntryState<T, E> {
  get(): unknown {
    return this.read();
  }
  add(value: unknown): void {
    this.append(value);
  }
  override append(value: unknown): boolean {
    const d = this.descriptor as ReducingStateDescriptor<unknown>;
    const e = this.live();
    if (e === undefined) {
      this.write(value);
      return true;
    }
    // The reduce function may change the stored value in place: announce the change first.
    this.changing(e);
    if (this.ttl === undefined) e.value = d.reduce(e.value, value);
    else this.write(d.reduce(e.value, value));
    return false;
  }
  protected override mergeValues(a: unknown, b: unknown): unknown {
    const d = this.descriptor;
    return d.kind === 'reducing' ? d.reduce(a, b) : super.mergeValues(a, b);
  }
}

class AggregatingEntryState<T, E extends StoredEntry> extends EntryState<T, E> {
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
    const e = this.live();
    if (e === undefined) {
      this.write(agg.add(value, agg.createAccumulator()));
      return true;
    }
    // `add` usually changes the accumulator in place: announce the change first.
    this.changing(e);
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

export function createEntryState<T, E extends StoredEntry>(
  backend: EntryAccess<T, E>,
  table: T,
  d: StateDescriptor,
): EntryState<T, E> {
  switch (d.kind) {
    case 'value':
      return new ValueEntryState(backend, table, d);
    case 'list':
      return new ListEntryState(backend, table, d);
    case 'map':
      return new MapEntryState(backend, table, d);
    case 'reducing':
      return new ReducingEntryState(backend, table, d);
    case 'aggregating':
      return new AggregatingEntryState(backend, table, d);
  }
}
