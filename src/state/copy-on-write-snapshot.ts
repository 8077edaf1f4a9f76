import { type Key, keyGroupOf, type NormalizedKey } from '../core/key.js';
import type { EpochLog } from './heap-change-log.js';
import type { KeyedStateSnapshot } from './keyed-state-backend.js';
import { PackedPieceBuilder } from './packed-entries.js';

/** An entry of the heap backend, with the versions copy-on-write snapshots need. */
export interface VersionedEntry {
  key: Key;
  ns: string;
  value: unknown;
  /** Expiry time (processing time, ms) when the state has a TTL. */
  expires?: number;
  /**
   * Snapshot version current when the entry was created: snapshots with a version <= born exclude it.
   * {@link REMOVED} once the entry is removed (change logs may still reference it).
   */
  born: number;
  /** Last snapshot version that has this entry's value (copied before a change, or visited): copy once per snapshot. */
  seen: number;
  /** Last epoch (`heap-change-log.ts`) the entry changed in; -1 for restored entries. */
  changed: number;
}

/**
 * `born` of a removed entry. A small integer rather than Infinity: V8 keeps `born` as a small-integer field only
 * while every value written to it is one, and one Infinity changed the field's representation for all entries, so
 * optimised snapshot code was thrown away on entries of the old shape (seen with `--trace-deopt`).
 */
export const REMOVED = -1;

/** What a snapshot visits: every entry of each state's namespace maps, or (a delta) the entries logged as changed. */
export type SnapshotSource =
  | { kind: 'full'; tables: readonly [string, readonly Map<NormalizedKey, VersionedEntry>[]][] }
  | { kind: 'delta'; base: number; logs: readonly [string, readonly EpochLog[]][] };

/** Time one collection slice may take before yielding to the event loop, ms. */
const SLICE_MS = 5;
/** Options of a snapshot's collection. */
export interface CollectionOptions {
  /** Time one slice may take before yielding, ms (default 5; tests use 0 to interleave changes with collection). */
  sliceMs?: number;
}
/** Entries per packed piece at most (one piece in the file). */
const PIECE_ENTRIES = 8192;
/**
 * How long serialising one piece should take, ms. Pieces are serialised synchronously — the captured ones in the
 * middle of a record's processing — so a piece of 8,192 one-kilobyte values (8 MB, tens of milliseconds) would stop
 * processing that long: the entries per piece follow the measured cost instead.
 */
const PIECE_MS = 4;

/**
 * A point-in-time snapshot of heap keyed state, collected in slices so that processing continues in between.
 *
 * Version `v` is taken when the snapshot starts. Entries created later have `born >= v` and are skipped. An entry
 * about to change (or be removed) before the collector reached it is copied first (`beforeChange`); its change then
 * moves its `changed` epoch to `v` or later, so it is copied once and the collector skips it. The collector marks
 * what it visits `seen = v` (a delta meets an entry in several epochs' logs). The result is the state exactly as it
 * was when the snapshot started, while the state keeps changing.
 *
 * A snapshot started while an earlier one is still collected does not hurry it (finishing it in one go would stop
 * processing for as long as the rest takes): both copy what is about to change, sharing one copy, and the newer one
 * starts visiting once the earlier one is done.
 *
 * A *delta* against base version `b` (an incremental snapshot) holds only the entries that changed in epochs `b` to
 * `v - 1` (`changed >= b` when it starts), found through the change logs of those epochs; copy-on-write applies to
 * exactly those entries, so an unchanged entry is never copied.
 *
 * The collector serialises what it visits (packed pieces, `packed-entries.ts`) before it yields: the bytes are the
 * copy, so a visited value is neither cloned nor kept referenced while processing runs. Captured values are
 * structured-cloned (they are about to change) and packed at the end.
 */
export class CopyOnWriteSnapshot {
  private readonly pieces: Uint8Array[] = [];
  private readonly captured = new Map<string, PackedPieceBuilder>();
  private done = false;
  /** An earlier snapshot still being collected (this one visits entries only after it is done). */
  private previous: CopyOnWriteSnapshot | undefined;
  private previousDone: Promise<unknown> | undefined;
  private readonly sliceMs: number;
  /** Entries per piece, learned from the time serialising the last one took (see {@link PIECE_MS}). */
  private pieceEntries = 1024;

  /** Entries that changed in an epoch before this are not part of the snapshot (-1: a full snapshot). */
  readonly base: number;
  /**
   * What to visit, per state: its live maps (full) or its change logs since the base (delta). Taken out of `source`
   * once: the two kinds of source are objects of different shapes, and reading them in the collection loop made
   * V8 throw its optimised code away whenever a full snapshot followed a delta or the other way round.
   */
  private readonly parts: readonly (readonly [string, readonly (Map<NormalizedKey, VersionedEntry> | EpochLog)[]])[];

  constructor(
    readonly version: number,
    private readonly source: SnapshotSource,
    private readonly maxParallelism: number,
    private readonly copy: (stateName: string, value: unknown) => unknown,
    previous?: { snapshot: CopyOnWriteSnapshot; done: Promise<unknown> },
    options: CollectionOptions = {},
  ) {
    this.base = source.kind === 'delta' ? source.base : -1;
    this.parts = source.kind === 'full' ? source.tables : source.logs;
    this.sliceMs = options.sliceMs ?? SLICE_MS;
    if (previous !== undefined && !previous.snapshot.done) {
      this.previous = previous.snapshot;
      this.previousDone = previous.done.catch(() => undefined);
    }
  }

  /**
   * True when `e` belongs to this snapshot and has not been copied or visited yet: it existed at the start, was not
   * visited, has not changed since the start, and (a delta) changed since the base.
   */
  private wants(e: VersionedEntry): boolean {
    return (
      !this.done &&
      e.born !== REMOVED &&
      e.born < this.version &&
      e.seen < this.version &&
      e.changed >= this.base &&
      e.changed < this.version
    );
  }

  /**
   * The backend's hook, called before `e` changes or is removed (and before its `changed` epoch moves on): copies
   * the value for this snapshot and running earlier ones that still need it, cloning it once.
   */
  beforeChange(stateName: string, norm: NormalizedKey, e: VersionedEntry): void {
    let copy: unknown;
    let copied = false;
    for (let s: CopyOnWriteSnapshot | undefined = this; s !== undefined; s = s.previous) {
      if (!s.wants(e)) continue;
      if (!copied) {
        copy = this.copy(stateName, e.value);
        copied = true;
      }
      s.capture(stateName, norm, e, copy);
    }
  }

  private capture(stateName: string, norm: NormalizedKey, e: VersionedEntry, value: unknown): void {
    let b = this.captured.get(stateName);
    if (b === undefined) {
      b = new PackedPieceBuilder(stateName);
      this.captured.set(stateName, b);
    }
    b.add(keyGroupOf(norm, this.maxParallelism), e.key, e.ns, value, e.expires);
    if (b.size >= this.pieceEntries) this.takePiece(b);
  }

  /** Serialises what `b` holds into a piece, and sizes the next pieces by how long this one took. */
  private takePiece(b: PackedPieceBuilder): void {
    const entries = b.size;
    const started = performance.now();
    const piece = b.take();
    if (piece === undefined) return;
    this.pieces.push(piece);
    const ms = performance.now() - started;
    // Only full pieces say what a piece costs (a slice's end takes whatever it has).
    if (entries < this.pieceEntries) return;
    const fit = ms > 0 ? Math.floor((entries * PIECE_MS) / ms) : PIECE_ENTRIES;
    this.pieceEntries = Math.max(16, Math.min(PIECE_ENTRIES, fit));
  }

  async collect(): Promise<KeyedStateSnapshot> {
    if (this.previousDone !== undefined) await this.previousDone;
    this.previous = undefined;
    // The loop over entries is a plain method called once per slice rather than a loop in this async function, which
    // runs only once per checkpoint: a thread's first checkpoints visit entries at several times the steady cost
    // while V8 has not optimised that code yet, and a plain method gets optimised sooner.
    while (!this.visitSlice()) await new Promise<void>((resolve) => setImmediate(resolve));
    this.done = true;
    for (const [name, b] of this.captured) {
      this.states[name] ??= {};
      const piece = b.take();
      if (piece !== undefined) this.pieces.push(piece);
    }
    return { maxParallelism: this.maxParallelism, states: this.states, packed: this.pieces };
  }

  private readonly states: KeyedStateSnapshot['states'] = {};
  /** Where collection stands: state (table) index, part index within it, and the position within that part. */
  private table = 0;
  private part = 0;
  private builder: PackedPieceBuilder | undefined;
  private entries: Iterator<[NormalizedKey, VersionedEntry]> | undefined;
  private logIndex = 0;
  private visited = 0;

  /**
   * Visits entries for one slice ({@link SLICE_MS}), serialising what it took before it returns; true when every
   * entry has been visited.
   */
  private visitSlice(): boolean {
    const started = performance.now();
    const tables = this.parts;
    for (; this.table < tables.length; this.table++) {
      const [name, parts] = tables[this.table]!;
      if (this.builder === undefined) {
        this.builder = new PackedPieceBuilder(name);
        this.states[name] = {};
      }
      const b = this.builder;
      for (; this.part < parts.length; this.part++) {
        const part = parts[this.part]!;
        if (part instanceof Map) {
          this.entries ??= part.entries();
          for (let r = this.entries.next(); !r.done; r = this.entries.next()) {
            this.visit(b, r.value[0], r.value[1]);
            if (this.sliceOver(started)) return this.endSlice(b);
          }
          this.entries = undefined;
        } else {
          while (this.logIndex < part.entries.length) {
            const i = this.logIndex++;
            this.visit(b, part.norms[i]!, part.entries[i]!);
            if (this.sliceOver(started)) return this.endSlice(b);
          }
          this.logIndex = 0;
        }
      }
      const piece = b.take();
      if (piece !== undefined) this.pieces.push(piece);
      this.builder = undefined;
      this.part = 0;
    }
    return true;
  }

  private visit(b: PackedPieceBuilder, norm: NormalizedKey, e: VersionedEntry): void {
    // Removed, created or changed since the start (then copied if it belonged here), or met before. (A delta visits
    // entries its logs list, which changed since its base.)
    if (!this.wants(e)) return;
    e.seen = this.version;
    b.add(keyGroupOf(norm, this.maxParallelism), e.key, e.ns, e.value, e.expires);
    if (b.size >= this.pieceEntries) this.takePiece(b);
  }

  /** Checks the clock every 256 entries: values differ widely in serialisation cost. */
  private sliceOver(started: number): boolean {
    return (++this.visited & 255) === 0 && performance.now() - started > this.sliceMs;
  }

  /** Live values must not stay referenced while processing may change them: serialises them before yielding. */
  private endSlice(b: PackedPieceBuilder): false {
    this.takePiece(b);
    return false;
  }

  /**
   * Tombstones of a delta: entries removed in its epochs that its base had (created before the base). Logs of
   * finished epochs do not change, so this can run when collection ends.
   */
  removed(): Record<string, Record<number, [key: Key, namespace: string][]>> {
    const out: Record<string, Record<number, [Key, string][]>> = {};
    if (this.source.kind !== 'delta') return out;
    for (const [name, logs] of this.source.logs) {
      for (const log of logs) {
        for (let i = 0; i < log.removedKeys.length; i++) {
          if (log.removedBorn[i]! >= this.base) continue;
          const kg = keyGroupOf(log.removedNorms[i]!, this.maxParallelism);
          ((out[name] ??= {})[kg] ??= []).push([log.removedKeys[i]!, log.removedNs[i]!]);
        }
      }
    }
    return out;
  }
}
