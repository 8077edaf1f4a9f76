import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import { type Key, keyGroupOf, type NormalizedKey, normalizeKey } from '../../core/key.js';
import type { StateDescriptor } from '../descriptors.js';
import { createEntryState, type EntryAccess, type EntryState } from '../entry-states.js';
import type { KeyedStateBackend, KeyedStateSnapshot, NamespacedState, SnapshotEntry } from '../keyed-state-backend.js';
import { VOID_NAMESPACE } from '../keyed-state-backend.js';
import { unpackSnapshot } from '../packed-entries.js';
import { ChangeLog, type RemovedRef } from './change-log.js';
import { type CachedEntry, CacheTable, EntryCache } from './entry-cache.js';
import { type IncrementalKeyedStateSnapshot, type RemovedEntry, validateChain } from './incremental-snapshot.js';
import { RecordCodec, type StoredRecord } from './record-codec.js';
import { keyGroupOfStoreKey, prefixEnd, StoreKeyWriter, stateIdOfStoreKey } from './store-key.js';
import { WriteBehind } from './write-behind.js';

export interface DiskKeyedStateBackendOptions {
  /**
   * Directory of the backend's LMDB environment; created if missing. It is scratch space owned by the backend:
   * LMDB files left there by an earlier run are deleted on open, and `dispose()` removes the directory.
   */
  directory: string;
  /** How many decoded entries the write-back cache holds. Default 100 000. */
  cacheEntries?: number;
  /** How many snapshot versions incremental snapshots can be taken against. Default 16. */
  retainedVersions?: number;
  /**
   * Whether entries evicted from the cache are written to the store by a dedicated thread, so that the processing
   * thread does not wait for LMDB's B-tree updates and commits (default false: they are written on the calling
   * thread, in the eviction that needs the room). Experimental: the conformance suite with a 2-entry cache saw a read
   * miss an entry whose write had just committed in about 1 run of 5 — a race between dropping a parked entry and
   * renewing the read transaction, not yet found.
   */
  writeBehind?: boolean;
}

/** Largest max parallelism: key groups are stored as two bytes and the end of a group's range as the next group. */
const MAX_KEY_GROUPS = 32_768;
/** Writes per LMDB transaction when a restore loads entries. */
const RESTORE_BATCH = 10_000;
/**
 * Entries evicted (and dirty ones written) at a time, as a fraction of the cache. LMDB's cost per written entry grows
 * with the size of the transaction (sorted dirty-page and free-page lists); a 64th was measured ~25 % cheaper per
 * entry than a 16th for a 100 k-entry cache.
 */
const EVICT_FRACTION = 64;
/** Write-behind batches in flight before an eviction waits for the oldest: bounds the parked entries in memory. */
const MAX_IN_FLIGHT = 8;

/**
 * Keyed state on disk, for state larger than memory: an LMDB environment per backend with a write-back cache of
 * decoded entries in front of it.
 *
 * Semantics are those of {@link HeapKeyedStateBackend} (the conformance suite runs against both). What differs:
 * - A value object is the state only while its entry is cached: a change made to an object returned by `value()`
 *   without calling `update()` is lost once the entry has been written out (as with Flink's RocksDB backend). The
 *   state API's own changes (list add, map put, aggregating add, …) are always kept.
 * - Values are stored with msgpackr; see {@link RecordCodec} for the few values that do not round-trip exactly.
 *
 * Performance model: every state access first looks in the cache (two Map lookups, no allocation on a hit). A miss
 * reads the entry from LMDB synchronously (memory-mapped, no I/O when the pages are resident) and decodes it. Dirty
 * entries are written back in batches of a 64th of the cache when it is full, by a writer thread (see
 * {@link WriteBehind}; entries stay readable in the cache until their batch commits), and all of them at a snapshot,
 * which waits for the writer. Every state call stays synchronous; nothing returns a Promise. Measured on a loaded
 * 2-core machine (bench/state-backends.ts, per CPU-second): 1.2 to 2.9 M updates/s when the working set fits the
 * cache; with updates spread uniformly over ten times the cache, 130 to 145 k/s on the processing thread but only
 * 45 to 55 k/s for the process, since each update then reads an entry from LMDB and the writer later writes one back
 * (a random B-tree write costs about 15 µs); 460 to 520 k/s on the processing thread when 90% of the updates go to
 * keys that fit the cache.
 *
 * Store layout: see {@link StoreKeyWriter}; values are {@link StoredRecord}s.
 *
 * Snapshots: {@link snapshot} (the interface's full snapshot), {@link beginSnapshot} (flush now, read later from an
 * LMDB read transaction while processing goes on) and {@link snapshotIncremental} / {@link restoreIncremental}
 * (deltas since an earlier version; format in incremental-snapshot.ts).
 */
export class DiskKeyedStateBackend implements KeyedStateBackend, EntryAccess<CacheTable, CachedEntry> {
  private readonly db: RootDatabase<Buffer, Buffer>;
  private readonly directory: string;
  private readonly cache: EntryCache;
  private readonly evictBatch: number;
  private readonly codec = new RecordCodec();
  private readonly keys = new StoreKeyWriter();
  private readonly log: ChangeLog;
  private readonly tables = new Map<string, CacheTable>();
  private readonly tableById: CacheTable[] = [];
  private readonly states = new Map<string, EntryState<CacheTable, CachedEntry>>();
  private readonly useWriteBehind: boolean;
  /** Started with the first eviction that writes: a backend whose state fits its cache never starts a thread. */
  private writer: WriteBehind | undefined;
  /** Write-behind batches not yet known to be committed, oldest first, with the entries each carries. */
  private readonly inFlight: { batch: number; entries: CachedEntry[] }[] = [];
  /** The last batch known to be committed (entries written in it or before may be dropped from the cache). */
  private committed = 0;
  private key: Key = '';
  private norm: NormalizedKey = '';
  private kg = -1;
  private disposed = false;

  constructor(
    readonly maxParallelism: number,
    private readonly keyGroupStart: number,
    private readonly keyGroupEnd: number,
    readonly clock: () => number = Date.now,
    options: DiskKeyedStateBackendOptions,
  ) {
    if (!Number.isInteger(maxParallelism) || maxParallelism < 1 || maxParallelism > MAX_KEY_GROUPS) {
      throw new RangeError(
        `the disk state backend supports a max parallelism of 1 to ${MAX_KEY_GROUPS}, got ${maxParallelism}`,
      );
    }
    this.directory = options.directory;
    this.cache = new EntryCache(options.cacheEntries ?? 100_000);
    this.evictBatch = Math.max(1, Math.floor(this.cache.capacity / EVICT_FRACTION));
    this.useWriteBehind = options.writeBehind ?? false;
    this.log = new ChangeLog(options.retainedVersions ?? 16);
    mkdirSync(this.directory, { recursive: true });
    // Left over from a run that did not dispose: stale state, never to be read (state comes back from checkpoints).
    for (const f of ['data.mdb', 'lock.mdb']) rmSync(join(this.directory, f), { force: true });
    this.db = open<Buffer, Buffer>({
      path: this.directory,
      keyEncoding: 'binary',
      encoding: 'binary',
      // Scratch space: durability comes from checkpoints, so no fsync. Not `useWritemap`, although measured up to
      // 1.5x faster for writes: with lmdb-js 3.5.6 it aborts the process (assertion in mdb_freelist_save) when
      // deletions empty the database or on close after deletions.
      noSync: true,
      noMetaSync: true,
      overlappingSync: false,
      // Only this backend uses the environment, and only on this thread.
      maxReaders: 8,
    });
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
    const state = createEntryState(this, this.table(descriptor.name), descriptor);
    this.states.set(descriptor.name, state);
    return state as unknown as S & NamespacedState;
  }

  /** @internal {@link EntryAccess.lookup}: the cache (including parked entries) first, then the store. */
  lookup(table: CacheTable, ns: string, create: boolean): CachedEntry | undefined {
    let e = this.cache.get(table, ns, this.norm);
    if (e === undefined) {
      // A write needs no read of the old value: the entry is created blank. Whether the store has a version is
      // then unknown, so `stored` is assumed (a later clear writes a deletion that may find nothing).
      e = create ? this.blankEntry(table, ns, undefined) : this.load(table, ns);
      this.cache.add(e);
    }
    if (this.cache.overfull) this.evict();
    return create || e.value !== undefined ? e : undefined;
  }

  /** @internal {@link EntryAccess.changing}: the entry will differ from the store, so it is written back later. */
  changing(_table: CacheTable, entry: CachedEntry): void {
    entry.dirty = true;
  }

  /** @internal {@link EntryAccess.clear}. */
  clear(table: CacheTable, ns: string): void {
    const e = this.cache.get(table, ns, this.norm);
    if (e === undefined) {
      // Not cached: the store may have it. Record a deletion without reading.
      const tombstone = this.blankEntry(table, ns, undefined);
      tombstone.dirty = true;
      this.cache.add(tombstone);
      if (this.cache.overfull) this.evict();
    } else if (e.stored) {
      e.value = undefined;
      e.expires = undefined;
      e.dirty = true;
    } else if (e.writtenIn <= this.committed) {
      // Not in the store: forgetting it is enough (finished windows do not linger in the cache).
      this.cache.remove(e);
    } else {
      // Its deletion is still on the way to the store: it stays (parked) until then, so that reads do not find the
      // store's older version.
      e.value = undefined;
      e.expires = undefined;
      e.dirty = false;
      this.cache.unlink(e);
    }
  }

  forEachKey(stateName: string, visit: (key: Key) => void): void {
    const table = this.tables.get(stateName);
    if (table === undefined) return;
    this.flush();
    // Keys are collected first so that `visit` may change state (as with the heap backend).
    const keys: Key[] = [];
    for (let kg = this.keyGroupStart; kg < this.keyGroupEnd; kg++) {
      const start = Buffer.from(this.keys.namespacePrefix(kg, table.stateId, VOID_NAMESPACE));
      for (const { value } of this.db.getRange({ start, end: prefixEnd(start) })) {
        keys.push(this.codec.decode(value)[0]);
      }
    }
    for (const key of keys) visit(key);
  }

  /**
   * A full snapshot: every entry, decoded afresh from the store (so it shares no object with the backend), grouped
   * per state and key group.
   */
  snapshot(): KeyedStateSnapshot {
    const pending = this.beginSnapshot();
    try {
      return pending.read();
    } finally {
      pending.release();
    }
  }

  /**
   * Takes a snapshot in two steps: this call writes the cache's dirty entries and opens an LMDB read transaction
   * (cheap: no entry is read or copied); {@link PendingSnapshot.read} later decodes the entries as they were at this
   * call, even if processing has changed state since (LMDB's MVCC). Call {@link PendingSnapshot.release} when done:
   * an open read transaction keeps the store from reusing pages freed after it.
   */
  beginSnapshot(): PendingSnapshot {
    this.flush();
    const txn = this.db.useReadTransaction();
    let released = false;
    return {
      read: () => {
        if (released) throw new Error('the snapshot was released');
        return { maxParallelism: this.maxParallelism, states: this.readAll(txn) };
      },
      release: () => {
        if (!released) txn.done();
        released = true;
      },
    };
  }

  /**
   * An incremental snapshot. Without `sinceVersion`: a full one (the base of a chain). With it: only the entries
   * written and deleted since the snapshot of that version, which must be one of the last `retainedVersions`
   * snapshots of this backend taken with this method (after a restore, only those taken since). Every call returns a
   * new version. Format: {@link IncrementalKeyedStateSnapshot}.
   * @throws Error when no delta since `sinceVersion` is known.
   */
  snapshotIncremental(sinceVersion?: number): IncrementalKeyedStateSnapshot {
    if (sinceVersion !== undefined && !this.log.canDiffFrom(sinceVersion)) {
      throw new Error(
        `no incremental snapshot since version ${sinceVersion}: it is not one of the last versions of this backend; take a full one`,
      );
    }
    this.log.enable();
    this.flush();
    const version = this.log.advance(sinceVersion === undefined);
    const txn = this.db.useReadTransaction();
    try {
      if (sinceVersion === undefined) {
        return {
          maxParallelism: this.maxParallelism,
          version,
          baseVersion: null,
          states: this.readAll(txn),
          removed: {},
        };
      }
      const states: KeyedStateSnapshot['states'] = {};
      const removed: IncrementalKeyedStateSnapshot['removed'] = {};
      for (const [k, ref] of this.log.changesSince(sinceVersion)) {
        const storeKey = Buffer.from(k, 'latin1');
        const name = this.tableById[stateIdOfStoreKey(storeKey)]!.stateName;
        const kg = keyGroupOfStoreKey(storeKey);
        const bytes = this.db.get(storeKey, { transaction: txn });
        if (bytes !== undefined) {
          ((states[name] ??= {})[kg] ??= []).push(this.codec.decode(bytes) as SnapshotEntry);
        } else if (ref !== null) {
          ((removed[name] ??= {})[kg] ??= []).push([ref.key, ref.ns]);
        }
      }
      return { maxParallelism: this.maxParallelism, version, baseVersion: sinceVersion, states, removed };
    } finally {
      txn.done();
    }
  }

  /** Whether {@link snapshotIncremental} can take a delta since `version` (else it throws: take a full one). */
  canSnapshotIncrementalSince(version: number): boolean {
    return this.log.canDiffFrom(version);
  }

  /** Forgets the changes before `version`: incremental snapshots since earlier versions are refused afterwards. */
  discardVersionsBefore(version: number): void {
    this.log.discardBefore(version);
  }

  restore(snapshot: KeyedStateSnapshot): void {
    this.checkMaxParallelism(snapshot.maxParallelism);
    this.prepareRestore();
    this.applyEntries(unpackSnapshot(snapshot).states, {});
  }

  /**
   * Restores a chain of incremental snapshots: a full one followed by deltas, each based on the one before (see
   * {@link IncrementalKeyedStateSnapshot}). Entries of key groups this backend does not own are ignored.
   * @throws Error when the chain is not a full snapshot followed by consecutive deltas.
   */
  restoreIncremental(chain: readonly IncrementalKeyedStateSnapshot[]): void {
    validateChain(chain, this.maxParallelism);
    this.prepareRestore();
    for (const link of chain) this.applyEntries(link.states, link.removed);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.cache.clear(this.tableById);
    this.states.clear();
    this.inFlight.length = 0;
    // The files go now (an open environment keeps its memory map on POSIX systems). The environment is closed a
    // turn later: lmdb-js 3.5's close() blocks forever when called in the same tick as a transactionSync (measured).
    const { db, directory } = this;
    rmSync(directory, { recursive: true, force: true });
    await this.writer?.close();
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      await db.close();
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  }

  // ---- internals ----

  private table(name: string): CacheTable {
    let t = this.tables.get(name);
    if (t === undefined) {
      const id = this.tableById.length;
      if (id > 0xffff) throw new Error('more than 65536 state names in one backend');
      t = new CacheTable(name, id);
      this.tables.set(name, t);
      this.tableById.push(t);
    }
    return t;
  }

  private blankEntry(table: CacheTable, ns: string, value: unknown): CachedEntry {
    return {
      key: this.key,
      norm: this.norm,
      keyGroup: this.getCurrentKeyGroup(),
      ns,
      table,
      value,
      expires: undefined,
      dirty: false,
      stored: true,
      writtenIn: 0,
      listed: false,
      newer: null,
      older: null,
    };
  }

  /** Reads the current key's entry in `ns` from the store; a missing one becomes a cached miss. */
  private load(table: CacheTable, ns: string): CachedEntry {
    const e = this.blankEntry(table, ns, undefined);
    // getBinaryFast: the bytes are valid until the next read; the codec copies what it keeps.
    const bytes = this.db.getBinaryFast(this.keys.entry(e.keyGroup, table.stateId, ns, this.norm));
    if (bytes === undefined) {
      e.stored = false;
      return e;
    }
    const [key, , value, expires] = this.codec.decode(bytes);
    e.key = key;
    e.value = value;
    e.expires = expires;
    return e;
  }

  /**
   * Makes room in the cache: evicts the least recently used entries; dirty ones are written (by the writer thread
   * unless write-behind is off) and stay parked until that write is committed, as do clean ones whose last write is
   * still pending; the others are dropped.
   */
  private evict(): void {
    const evicted = this.cache.evict(this.evictBatch);
    this.reclaim();
    const dirty: CachedEntry[] = [];
    for (const e of evicted) {
      if (e.dirty) dirty.push(e);
      else if (e.writtenIn <= this.committed) this.cache.forget(e);
    }
    if (!this.useWriteBehind) {
      this.writeBack(dirty);
      for (const e of dirty) this.cache.forget(e);
    } else if (dirty.length > 0) {
      this.writeBehind(dirty);
    }
  }

  /** Hands dirty entries (parked, or listed at a flush) to the writer thread as one batch; waits when too many are in flight. */
  private writeBehind(entries: CachedEntry[]): void {
    const encoded = entries.map((e) => (e.value === undefined ? undefined : this.encode(e)));
    this.writer ??= new WriteBehind(this.directory);
    const w = this.writer;
    const batch = w.last + 1;
    const carried: CachedEntry[] = [];
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      const storeKey = this.keys.entry(e.keyGroup, e.table.stateId, e.ns, e.norm);
      const bytes = encoded[i];
      e.dirty = false;
      if (bytes !== undefined) {
        w.put(storeKey, bytes);
        this.log.record(storeKey, null);
        e.stored = true;
      } else if (e.stored) {
        w.remove(storeKey);
        this.log.record(storeKey, { key: e.key, ns: e.ns } satisfies RemovedRef);
        e.stored = false;
      } else {
        // Nothing to write: the store does not have it, or its deletion is already on the way.
        if (!e.listed && e.writtenIn <= this.committed) this.cache.forget(e);
        continue;
      }
      e.writtenIn = batch;
      carried.push(e);
    }
    if (carried.length === 0) return;
    w.submit();
    this.inFlight.push({ batch, entries: carried });
    if (this.inFlight.length > MAX_IN_FLIGHT) {
      w.waitFor(this.inFlight[0]!.batch);
      this.reclaim();
    }
  }

  /**
   * Drops the parked entries of committed batches. Reads of them then go to the store, so the read transaction is
   * renewed first (lmdb-js keeps one open until the event loop turns, which would not show the writer's commits).
   */
  private reclaim(): void {
    if (this.inFlight.length === 0) return;
    const committed = this.writer!.committed;
    if (committed === this.committed) return;
    this.committed = committed;
    this.db.resetReadTxn();
    while (this.inFlight.length > 0 && this.inFlight[0]!.batch <= committed) {
      const { batch, entries } = this.inFlight.shift()!;
      for (const e of entries) if (!e.listed && e.writtenIn === batch) this.cache.forget(e);
    }
  }

  /** Waits until every write-behind batch is committed and drops their parked entries. */
  private drain(): void {
    if (this.inFlight.length === 0) return;
    this.writer!.waitFor(this.writer!.last);
    this.reclaim();
  }

  /** Writes entries (dirty ones, possibly no longer cached) to the store in one transaction on this thread. */
  private writeBack(entries: readonly CachedEntry[]): void {
    if (entries.length === 0) return;
    // Encode before the transaction: a value that cannot be encoded fails here with a useful message.
    const encoded = entries.map((e) => (e.value === undefined ? undefined : this.encode(e)));
    this.db.transactionSync(() => {
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i]!;
        const storeKey = this.keys.entry(e.keyGroup, e.table.stateId, e.ns, e.norm);
        const bytes = encoded[i];
        if (bytes !== undefined) {
          this.db.put(storeKey, bytes);
          this.log.record(storeKey, null);
          e.stored = true;
        } else if (e.stored) {
          this.db.remove(storeKey);
          this.log.record(storeKey, { key: e.key, ns: e.ns } satisfies RemovedRef);
          e.stored = false;
        }
        e.dirty = false;
      }
    });
  }

  private encode(e: CachedEntry): Buffer {
    const record: StoredRecord = e.expires === undefined ? [e.key, e.ns, e.value] : [e.key, e.ns, e.value, e.expires];
    try {
      return this.codec.encode(record);
    } catch (err) {
      throw new Error(
        `state '${e.table.stateName}' holds a value that cannot be stored (${(err as Error).message}); keep plain data in state`,
      );
    }
  }

  /**
   * Makes the store hold the current state: waits for the writer, then writes every dirty cached entry; cached
   * deletions are then dropped from the cache (nothing left to remember).
   */
  private flush(): void {
    const all = this.cache.entries();
    const dirty = all.filter((e) => e.dirty);
    if (this.useWriteBehind && dirty.length > this.evictBatch) {
      // Many entries: in transactions of eviction size on the writer (LMDB's cost per entry grows with the size of a
      // transaction), while this thread waits.
      for (let i = 0; i < dirty.length; i += this.evictBatch) this.writeBehind(dirty.slice(i, i + this.evictBatch));
      this.drain();
    } else {
      this.drain();
      this.writeBack(dirty);
    }
    for (const e of all) if (e.value === undefined) this.cache.remove(e);
  }

  /** Decodes every entry visible in `txn`, per state and key group. */
  private readAll(txn: ReturnType<RootDatabase['useReadTransaction']>): KeyedStateSnapshot['states'] {
    const states: KeyedStateSnapshot['states'] = {};
    for (const t of this.tableById) states[t.stateName] = {};
    for (const { key, value } of this.db.getRange({ transaction: txn })) {
      const name = this.tableById[stateIdOfStoreKey(key)]!.stateName;
      const perGroup = states[name]!;
      (perGroup[keyGroupOfStoreKey(key)] ??= []).push(this.codec.decode(value) as SnapshotEntry);
    }
    return states;
  }

  private checkMaxParallelism(m: number): void {
    if (m !== this.maxParallelism) {
      throw new Error(`state was written with max parallelism ${m} and cannot be restored with ${this.maxParallelism}`);
    }
  }

  /** Restores write to the store directly: cached entries are written out first and then forgotten. */
  private prepareRestore(): void {
    this.flush();
    this.cache.clear(this.tableById);
    this.log.reset();
  }

  /** Writes restored entries and deletions of owned key groups to the store, in batches of transactions. */
  private applyEntries(states: KeyedStateSnapshot['states'], removed: IncrementalKeyedStateSnapshot['removed']): void {
    const ops: [Buffer, Buffer | undefined][] = [];
    const run = () => {
      this.db.transactionSync(() => {
        for (const [k, v] of ops) {
          if (v === undefined) this.db.remove(k);
          else this.db.put(k, v);
        }
      });
      ops.length = 0;
    };
    const add = (name: string, kgText: string, key: Key, ns: string, value: Buffer | undefined) => {
      const kg = Number(kgText);
      if (kg < this.keyGroupStart || kg >= this.keyGroupEnd) return;
      const norm = normalizeKey(key);
      const storeKey = this.keys.entry(keyGroupOf(norm, this.maxParallelism), this.table(name).stateId, ns, norm);
      ops.push([Buffer.from(storeKey), value]);
      if (ops.length >= RESTORE_BATCH) run();
    };
    for (const [name, perGroup] of Object.entries(states)) {
      this.table(name);
      for (const [kgText, entries] of Object.entries(perGroup)) {
        for (const entry of entries) {
          const [key, ns, value, expires] = entry;
          const record: StoredRecord = expires === undefined ? [key, ns, value] : [key, ns, value, expires];
          add(name, kgText, key, ns, this.codec.encode(record));
        }
      }
    }
    for (const [name, perGroup] of Object.entries(removed)) {
      for (const [kgText, entries] of Object.entries(perGroup)) {
        for (const [key, ns] of entries as RemovedEntry[]) add(name, kgText, key, ns, undefined);
      }
    }
    if (ops.length > 0) run();
  }
}

/** A snapshot whose entries are read after the call that took it; see {@link DiskKeyedStateBackend.beginSnapshot}. */
export interface PendingSnapshot {
  /** Decodes the entries as of {@link DiskKeyedStateBackend.beginSnapshot}. */
  read(): KeyedStateSnapshot;
  /** Ends the read transaction. Idempotent. */
  release(): void;
}
