import type { Key, NormalizedKey } from '../../core/key.js';

/**
 * A decoded entry held in memory by the disk backend's write-back cache.
 *
 * `value === undefined` means the entry does not exist: either it was read from the store and found missing (a
 * cached miss, so that repeated reads of an absent entry do not go to disk) or it was cleared and the deletion is
 * still to be written (`dirty`).
 */
export interface CachedEntry {
  /** The original key (normalised keys cannot be turned back into keys, snapshots need the original). */
  key: Key;
  readonly norm: NormalizedKey;
  readonly keyGroup: number;
  readonly ns: string;
  readonly table: CacheTable;
  value: unknown;
  /** Expiry time (processing time, ms) of the whole entry when the state has a TTL on entries. */
  expires: number | undefined;
  /** Changed in memory since it was read from or written to the store. */
  dirty: boolean;
  /** The store holds (or a pending write will give it) a version of this entry, so clearing it must write a deletion. */
  stored: boolean;
  /**
   * The write-behind batch that carries this entry's current value to the store (0: none). Until that batch is
   * committed the store still holds an older version, so the entry must stay findable in its table even when it is
   * no longer in the LRU list ("parked").
   */
  writtenIn: number;
  /** In the LRU list (counted against the capacity); false while parked. */
  listed: boolean;
  /** LRU list links; the head is the most recently used entry. */
  newer: CachedEntry | null;
  older: CachedEntry | null;
}

/**
 * The cached entries of one state: per namespace, per normalised key, as in the heap backend, so that a cache hit is
 * two Map lookups without building a composite key string.
 */
export class CacheTable {
  readonly namespaces = new Map<string, Map<NormalizedKey, CachedEntry>>();
  constructor(
    readonly stateName: string,
    readonly stateId: number,
  ) {}
}

/**
 * A bounded set of cached entries across all states of a backend, in least-recently-used order. The LRU list is
 * intrusive (links live in the entries), so a hit costs a few pointer writes and allocates nothing.
 *
 * An entry is in its table's map while it is listed (in the LRU list, counted against the capacity) and also while it
 * is parked: evicted from the list but with a write to the store still pending (see {@link CachedEntry.writtenIn}).
 * A lookup that finds a parked entry lists it again.
 */
export class EntryCache {
  private head: CachedEntry | null = null;
  private tail: CachedEntry | null = null;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`cache capacity must be ≥ 1, got ${capacity}`);
  }

  get size(): number {
    return this.count;
  }

  /** The entry, listed again as the most recently used one if it was parked. The caller evicts when {@link overfull}. */
  get(table: CacheTable, ns: string, norm: NormalizedKey): CachedEntry | undefined {
    const e = table.namespaces.get(ns)?.get(norm);
    if (e !== undefined && e !== this.head) {
      if (e.listed) this.moveToHead(e);
      else this.link(e);
    }
    return e;
  }

  /** Adds a new entry as the most recently used one. The caller evicts when {@link overfull}. */
  add(e: CachedEntry): void {
    let m = e.table.namespaces.get(e.ns);
    if (m === undefined) {
      m = new Map();
      e.table.namespaces.set(e.ns, m);
    }
    m.set(e.norm, e);
    this.link(e);
  }

  private link(e: CachedEntry): void {
    e.listed = true;
    e.older = this.head;
    e.newer = null;
    if (this.head !== null) this.head.newer = e;
    this.head = e;
    if (this.tail === null) this.tail = e;
    this.count++;
  }

  get overfull(): boolean {
    return this.count > this.capacity;
  }

  /** Removes an entry, listed or parked, from the cache. */
  remove(e: CachedEntry): void {
    if (e.listed) this.unlink(e);
    this.forget(e);
  }

  /** Removes an entry that is not listed (parked, or just unlinked) from its table. */
  forget(e: CachedEntry): void {
    const m = e.table.namespaces.get(e.ns);
    if (m !== undefined) {
      m.delete(e.norm);
      // Finished windows leave no empty map behind.
      if (m.size === 0) e.table.namespaces.delete(e.ns);
    }
  }

  /** Takes a listed entry out of the LRU list but leaves it in its table (parks it). */
  unlink(e: CachedEntry): void {
    e.listed = false;
    if (e.newer !== null) e.newer.older = e.older;
    else this.head = e.older;
    if (e.older !== null) e.older.newer = e.newer;
    else this.tail = e.newer;
    e.newer = e.older = null;
    this.count--;
  }

  /**
   * Unlinks up to `n` least recently used entries and returns them: they are parked, and the caller writes or
   * {@link forget}s each. The most recently used entry is never evicted, so an entry just added or read survives the
   * eviction it triggers.
   */
  evict(n: number): CachedEntry[] {
    const out: CachedEntry[] = [];
    for (let i = 0; i < n && this.tail !== null && this.tail !== this.head; i++) {
      const e = this.tail;
      this.unlink(e);
      out.push(e);
    }
    return out;
  }

  /** Every listed entry, least recently used first (a copy: the cache may be changed while it is used). */
  entries(): CachedEntry[] {
    const out: CachedEntry[] = [];
    for (let e = this.tail; e !== null; e = e.newer) out.push(e);
    return out;
  }

  /** Forgets every entry of `tables`, listed or parked. */
  clear(tables: Iterable<CacheTable>): void {
    for (let e = this.tail; e !== null; ) {
      const next = e.newer;
      e.newer = e.older = null;
      e.listed = false;
      e = next;
    }
    for (const t of tables) t.namespaces.clear();
    this.head = this.tail = null;
    this.count = 0;
  }

  private moveToHead(e: CachedEntry): void {
    // Unlink (e is not the head, so e.newer is set).
    e.newer!.older = e.older;
    if (e.older !== null) e.older.newer = e.newer;
    else this.tail = e.newer;
    // Link at the head.
    e.older = this.head;
    e.newer = null;
    this.head!.newer = e;
    this.head = e;
  }
}
