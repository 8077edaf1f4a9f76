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
   * Snapshot version current when the entry was created: snapshots with a version <= born exclude it. Infinity once
   * the entry is removed (change logs may still reference it).
   */
  born: number;
  /** Last snapshot version that has this entry's value (copied before a change, or visited): copy once per snapshot. */
  seen: number;
  /** Last epoch (`heap-change-log.ts`) the entry changed in; -1 for restored entries. */
  changed: number;
}

/** What a snapshot visits: every entry of each state's namespace maps, or (a delta) the entries logged as changed. */
export type SnapshotSource =
  | { kind: 'full'; tables: readonly [string, readonly Map<NormalizedKey, VersionedEntry>[]][] }
  | { kind: 'delta'; base: number; logs: readonly [string, readonly EpochLog[]][] };

/** Time one collection slice may take before yielding to the event loop, ms. */
const SLICE_MS = 5;
/** Entries per packed piece: bounds one serialisation call (and one piece in the file). */
const PIECE_ENTRIES = 8192;

/**
 * A point-in-time snapshot of heap keyed state, collected in slices so that processing continues in between.
 *
 * Version `v` is taken when the snapshot starts. Entries created later have `born >= v` and are skipped. An entry
 * about to change (or be removed) before the collector reached it is copied first by the backend (`capture`), and
 * marked `seen = v` so it is copied once; the collector marks what it visits the same way. The result is the state
 * exactly as it was when the snapshot started, while the state keeps changing.
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
  private finishing = false;

  /** Entries that changed in an epoch before this are not part of the snapshot (-1: a full snapshot). */
  readonly base: number;

  constructor(
    readonly version: number,
    private readonly source: SnapshotSource,
    private readonly maxParallelism: number,
    private readonly copy: (stateName: string, value: unknown) => unknown,
  ) {
    this.base = source.kind === 'delta' ? source.base : -1;
  }

  /** True when `e` belongs to this snapshot and has not been copied or visited yet. */
  wants(e: VersionedEntry): boolean {
    return e.born < this.version && e.seen < this.version && e.changed >= this.base;
  }

  /** The backend's copy-before-change hook. */
  capture(stateName: string, norm: NormalizedKey, e: VersionedEntry): void {
    let b = this.captured.get(stateName);
    if (b === undefined) {
      b = new PackedPieceBuilder(stateName);
      this.captured.set(stateName, b);
    }
    b.add(keyGroupOf(norm, this.maxParallelism), e.key, e.ns, this.copy(stateName, e.value), e.expires);
    if (b.size >= PIECE_ENTRIES) this.pieces.push(b.take()!);
  }

  /** Makes the remaining collection synchronous (a newer snapshot needs this one finished). */
  finishNow(): void {
    this.finishing = true;
  }

  async collect(): Promise<KeyedStateSnapshot> {
    const states: KeyedStateSnapshot['states'] = {};
    let sliceStart = performance.now();
    let n = 0;
    const groups =
      this.source.kind === 'full'
        ? this.source.tables.map(([name, maps]) => [name, maps.map((m) => m.entries())] as const)
        : this.source.logs.map(([name, logs]) => [name, logs.map(logEntries)] as const);
    for (const [name, parts] of groups) {
      states[name] = {};
      const b = new PackedPieceBuilder(name);
      for (const part of parts) {
        for (const [norm, e] of part) {
          if (e.born >= this.version || e.seen >= this.version) continue;
          e.seen = this.version;
          b.add(keyGroupOf(norm, this.maxParallelism), e.key, e.ns, e.value, e.expires);
          if (b.size >= PIECE_ENTRIES) this.pieces.push(b.take()!);
          // Check the clock every 256 entries: values differ widely in serialisation cost.
          if ((++n & 255) === 0 && !this.finishing && performance.now() - sliceStart > SLICE_MS) {
            // Live values must not stay referenced while processing may change them: serialise them first.
            const piece = b.take();
            if (piece !== undefined) this.pieces.push(piece);
            await new Promise<void>((resolve) => setImmediate(resolve));
            sliceStart = performance.now();
          }
        }
      }
      const piece = b.take();
      if (piece !== undefined) this.pieces.push(piece);
    }
    for (const [name, b] of this.captured) {
      states[name] ??= {};
      const piece = b.take();
      if (piece !== undefined) this.pieces.push(piece);
    }
    return { maxParallelism: this.maxParallelism, states, packed: this.pieces };
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

/** The logged entries of an epoch as [normalised key, entry] pairs. */
function* logEntries(log: EpochLog): Generator<[NormalizedKey, VersionedEntry]> {
  for (let i = 0; i < log.entries.length; i++) yield [log.norms[i]!, log.entries[i]!];
}
