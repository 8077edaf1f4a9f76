import type {
  AggregatingStateDescriptor,
  ReducingStateDescriptor,
  StateDescriptor,
  StateTtlConfig,
} from '../descriptors.js';
import { ElementTtl, EXPIRED, type Wrapped } from '../element-ttl.js';

import { type NamespacedState, VOID_NAMESPACE } from '../keyed-state-backend.js';
import type { CachedEntry, CacheTable } from './entry-cache.js';

/**
 * The state objects of the disk backend. They follow the heap backend's state classes line by line (same TTL,
 * append, merge and copy semantics) with one addition: every change of an entry, including the in-place ones (a
 * list append, an accumulator mutated by `add`, an expiry refreshed by a read), marks the cached entry dirty so that
 * it is written back to the store.
 *
 * Contract with the backend: an entry returned by {@link EntryAccess.lookup} stays cached until the next call of
 * `lookup` or `clear`, so it may be changed in between without being lost; code here never holds an entry across
 * another lookup.
 */
export interface EntryAccess {
  readonly clock: () => number;
  /**
   * The entry of the current key in `ns`. With `create` false: undefined when there is no entry. With `create`
   * true: always an entry, whose value is undefined when it is new; the caller then sets the value (and marks the
   * entry dirty) before it calls `lookup` again.
   */
  lookup(table: CacheTable, ns: string, create: boolean): CachedEntry | undefined;
  /** Removes the entry of the current key in `ns`. */
  clear(table: CacheTable, ns: string): void;
}

/** Reads and writes one entry slot of the current key, honouring TTL. Shared by all state kinds. */
export abstract class DiskState implements NamespacedState {
  protected ns = VOID_NAMESPACE;
  protected readonly ttl: StateTtlConfig | undefined;
  constructor(
    protected readonly backend: EntryAccess,
    protected readonly table: CacheTable,
    readonly descriptor: StateDescriptor,
  ) {
    this.ttl = descriptor.ttl;
  }
  setNamespace(namespace: string): void {
    this.ns = namespace;
  }
  /** The live entry of the current key, or undefined (expired entries are dropped unless visibility allows). */
  protected live(ns = this.ns): CachedEntry | undefined {
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
        e.expires = now + ttl.ttlMs;
        e.dirty = true;
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
    e.value = value;
    const ttl = this.entryTtl();
    if (ttl !== undefined) e.expires = this.backend.clock() + ttl.ttlMs;
    e.dirty = true;
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

class DiskValueState extends DiskState {
  value(): unknown {
    const v = this.read();
    return v === undefined && this.descriptor.kind === 'value' ? this.descriptor.defaultValue : v;
  }
  update(value: unknown): void {
    if (value === undefined) this.removeEntry();
    else this.write(value);
  }
}

class DiskListState extends DiskState {
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
    for (const w of list) {
      const v = t.read(w as Wrapped);
      if (v !== EXPIRED) out.push(v);
    }
    if (t.readWrites) e.dirty = true;
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
    (e.value as unknown[]).push(stored);
    e.dirty = true;
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

class DiskMapState extends DiskState {
  private readonly elementTtl = this.ttl && new ElementTtl(this.ttl, this.backend.clock);
  protected override entryTtl(): StateTtlConfig | undefined {
    return undefined;
  }
  /** The entry holding the current key's map, or undefined. */
  private mapEntry(): CachedEntry | undefined {
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
    (e.value as Map<unknown, unknown>).set(key, stored);
    e.dirty = true;
  }
  putAll(entries: Iterable<[unknown, unknown]>): void {
    for (const [k, v] of entries) this.put(k, v);
  }
  remove(key: unknown): void {
    const e = this.mapEntry();
    if (e === undefined) return;
    const m = e.value as Map<unknown, unknown>;
    if (!m.delete(key)) return;
    e.dirty = true;
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
  private visible(e: CachedEntry, m: Map<unknown, unknown>, key: unknown, stored: unknown): unknown {
    const t = this.elementTtl;
    if (t === undefined) return stored;
    const v = t.read(stored as Wrapped);
    if (t.isExpired(stored as Wrapped)) {
      m.delete(key);
      e.dirty = true;
    } else if (t.readWrites) {
      e.dirty = true;
    }
    return v;
  }
  private pruneIfEmpty(m: Map<unknown, unknown>): void {
    if (m.size === 0) this.removeEntry();
  }
  protected override mergeValues(a: unknown, b: unknown): unknown {
    return new Map([...(a as Map<unknown, unknown>), ...(b as Map<unknown, unknown>)]);
  }
}

class DiskReducingState extends DiskState {
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
    if (this.ttl === undefined) {
      // Hit path without a TTL: fold into the cached entry, no second lookup.
      e.value = d.reduce(e.value, value);
      e.dirty = true;
    } else {
      this.write(d.reduce(e.value, value));
    }
    return false;
  }
  protected override mergeValues(a: unknown, b: unknown): unknown {
    const d = this.descriptor;
    return d.kind === 'reducing' ? d.reduce(a, b) : super.mergeValues(a, b);
  }
}

class DiskAggregatingState extends DiskState {
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
    if (this.ttl === undefined) {
      e.value = agg.add(value, e.value);
      e.dirty = true;
    } else {
      this.write(agg.add(value, e.value));
    }
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

export function createDiskState(backend: EntryAccess, table: CacheTable, d: StateDescriptor): DiskState {
  switch (d.kind) {
    case 'value':
      return new DiskValueState(backend, table, d);
    case 'list':
      return new DiskListState(backend, table, d);
    case 'map':
      return new DiskMapState(backend, table, d);
    case 'reducing':
      return new DiskReducingState(backend, table, d);
    case 'aggregating':
      return new DiskAggregatingState(backend, table, d);
  }
}
