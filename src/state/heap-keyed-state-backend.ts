import { type Key, keyGroupOf, type NormalizedKey, normalizeKey } from '../core/key.js';
import type { StateDescriptor, StateTtlConfig } from './descriptors.js';
import {
  type KeyedStateBackend,
  type KeyedStateSnapshot,
  type NamespacedState,
  VOID_NAMESPACE,
} from './keyed-state-backend.js';

/** One stored entry: the original key and namespace are kept so snapshots can be taken without parsing. */
interface Entry {
  key: Key;
  ns: string;
  value: unknown;
  /** Expiry time (processing time, ms) when the state has a TTL. */
  expires?: number;
}

/** Entries of one state, per key group. Map keys combine the normalised key and the namespace. */
class StateTable {
  readonly groups: (Map<NormalizedKey, Entry> | undefined)[];
  constructor(maxParallelism: number) {
    this.groups = new Array(maxParallelism);
  }
  group(kg: number): Map<NormalizedKey, Entry> {
    let g = this.groups[kg];
    if (g === undefined) {
      g = new Map();
      this.groups[kg] = g;
    }
    return g;
  }
}

function slot(norm: NormalizedKey, ns: string): NormalizedKey {
  if (ns === VOID_NAMESPACE) return norm;
  // A string key yields '\0' in the composite; a number key yields '\1' and its digits never contain '\0'.
  return typeof norm === 'number' ? `${norm}\u0001${ns}` : `${norm}\u0000${ns}`;
}

/**
 * The in-memory state backend: JS Maps per key group, values stored by reference.
 * Snapshots copy entry lists (values are structured-cloned later by the checkpoint writer).
 */
export class HeapKeyedStateBackend implements KeyedStateBackend {
  private readonly tables = new Map<string, StateTable>();
  private readonly states = new Map<string, HeapState>();
  private key: Key = '';
  private norm: NormalizedKey = '';
  private kg = 0;

  constructor(
    readonly maxParallelism: number,
    private readonly keyGroupStart: number,
    private readonly keyGroupEnd: number,
    readonly clock: () => number = Date.now,
  ) {}

  setCurrentKey(key: Key): void {
    if (key === this.key) return;
    const norm = normalizeKey(key);
    this.key = key;
    this.norm = norm;
    this.kg = keyGroupOf(norm, this.maxParallelism);
  }
  getCurrentKey(): Key {
    return this.key;
  }
  getCurrentKeyGroup(): number {
    return this.kg;
  }

  /** @internal used by state objects */
  lookup(table: StateTable): Map<NormalizedKey, Entry> {
    return table.group(this.kg);
  }
  /** @internal */
  slotOf(ns: string): NormalizedKey {
    return slot(this.norm, ns);
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
      table = new StateTable(this.maxParallelism);
      this.tables.set(descriptor.name, table);
    }
    const state = createHeapState(this, table, descriptor);
    this.states.set(descriptor.name, state);
    return state as unknown as S & NamespacedState;
  }

  forEachKey(stateName: string, visit: (key: Key) => void): void {
    const table = this.tables.get(stateName);
    if (table === undefined) return;
    for (let kg = this.keyGroupStart; kg < this.keyGroupEnd; kg++) {
      const g = table.groups[kg];
      if (g === undefined) continue;
      for (const e of [...g.values()]) if (e.ns === VOID_NAMESPACE) visit(e.key);
    }
  }

  snapshot(): KeyedStateSnapshot {
    const states: KeyedStateSnapshot['states'] = {};
    for (const [name, table] of this.tables) {
      const perGroup: Record<number, [Key, string, unknown][]> = {};
      table.groups.forEach((g, kg) => {
        if (g === undefined || g.size === 0) return;
        const list: [Key, string, unknown][] = [];
        for (const e of g.values()) list.push([e.key, e.ns, e.expires === undefined ? e.value : [e.value, e.expires]]);
        perGroup[kg] = list;
      });
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
        table = new StateTable(this.maxParallelism);
        this.tables.set(name, table);
      }
      for (const [kgText, entries] of Object.entries(perGroup)) {
        const kg = Number(kgText);
        if (kg < this.keyGroupStart || kg >= this.keyGroupEnd) continue;
        const g = table.group(kg);
        for (const [key, ns, stored] of entries) {
          const ttl = this.states.get(name)?.descriptor.ttl;
          const [value, expires] = ttl ? (stored as [unknown, number]) : [stored, undefined];
          g.set(slot(normalizeKey(key), ns), { key, ns, value, expires });
        }
      }
    }
  }

  dispose(): void {
    this.tables.clear();
    this.states.clear();
  }
}

/** Reads and writes one entry slot of the current key, honouring TTL. Shared by all state kinds. */
abstract class HeapState implements NamespacedState {
  protected ns = VOID_NAMESPACE;
  private readonly ttl: StateTtlConfig | undefined;
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
  protected read(ns = this.ns): unknown {
    const g = this.backend.lookup(this.table);
    const s = this.backend.slotOf(ns);
    const e = g.get(s);
    if (e === undefined) return undefined;
    if (this.ttl !== undefined && e.expires !== undefined) {
      const now = this.backend.clock();
      if (e.expires <= now) {
        if (this.ttl.visibility === 'returnExpiredIfNotCleanedUp') return e.value;
        g.delete(s);
        return undefined;
      }
      if (this.ttl.updateType === 'onReadAndWrite') e.expires = now + this.ttl.ttlMs;
    }
    return e.value;
  }
  protected write(value: unknown, ns = this.ns): void {
    const g = this.backend.lookup(this.table);
    const s = this.backend.slotOf(ns);
    const e = g.get(s);
    const expires = this.ttl === undefined ? undefined : this.backend.clock() + this.ttl.ttlMs;
    if (e === undefined) g.set(s, { key: this.backend.getCurrentKey(), ns, value, expires });
    else {
      e.value = value;
      e.expires = expires;
    }
  }
  protected removeEntry(ns = this.ns): void {
    this.backend.lookup(this.table).delete(this.backend.slotOf(ns));
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
  get(): unknown[] {
    const v = this.read() as unknown[] | undefined;
    return v === undefined ? [] : v.slice();
  }
  add(value: unknown): void {
    const v = this.read() as unknown[] | undefined;
    if (v === undefined) this.write([value]);
    else {
      v.push(value);
      this.write(v);
    }
  }
  addAll(values: readonly unknown[]): void {
    if (values.length === 0) return;
    const v = this.read() as unknown[] | undefined;
    this.write(v === undefined ? values.slice() : v.concat(values));
  }
  update(values: readonly unknown[]): void {
    if (values.length === 0) this.removeEntry();
    else this.write(values.slice());
  }
  protected override mergeValues(a: unknown, b: unknown): unknown {
    return (a as unknown[]).concat(b as unknown[]);
  }
}

class HeapMapState extends HeapState {
  private map(create: boolean): Map<unknown, unknown> | undefined {
    let m = this.read() as Map<unknown, unknown> | undefined;
    if (m === undefined && create) {
      m = new Map();
      this.write(m);
    }
    return m;
  }
  get(key: unknown): unknown {
    return this.map(false)?.get(key);
  }
  put(key: unknown, value: unknown): void {
    this.map(true)?.set(key, value);
    this.touch();
  }
  putAll(entries: Iterable<[unknown, unknown]>): void {
    const m = this.map(true) as Map<unknown, unknown>;
    for (const [k, v] of entries) m.set(k, v);
    this.touch();
  }
  remove(key: unknown): void {
    const m = this.map(false);
    if (m === undefined) return;
    m.delete(key);
    if (m.size === 0) this.removeEntry();
  }
  contains(key: unknown): boolean {
    return this.map(false)?.has(key) ?? false;
  }
  entries(): [unknown, unknown][] {
    return [...(this.map(false)?.entries() ?? [])];
  }
  keys(): unknown[] {
    return [...(this.map(false)?.keys() ?? [])];
  }
  values(): unknown[] {
    return [...(this.map(false)?.values() ?? [])];
  }
  override isEmpty(): boolean {
    return (this.map(false)?.size ?? 0) === 0;
  }
  private touch(): void {
    const m = this.read();
    if (m !== undefined) this.write(m);
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
    const d = this.descriptor;
    if (d.kind !== 'reducing') return;
    const v = this.read();
    this.write(v === undefined ? value : d.reduce(v, value));
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
    const d = this.descriptor;
    if (d.kind !== 'aggregating') return;
    const acc = this.read();
    this.write(d.aggregate.add(value, acc === undefined ? d.aggregate.createAccumulator() : acc));
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
