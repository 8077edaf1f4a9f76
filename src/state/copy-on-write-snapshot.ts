import { type Key, keyGroupOf, type NormalizedKey } from '../core/key.js';
import type { KeyedStateSnapshot } from './keyed-state-backend.js';
import { PackedPieceBuilder } from './packed-entries.js';

/** An entry of the heap backend, with the versions copy-on-write snapshots need. */
export interface VersionedEntry {
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
 * The collector serialises what it visits (packed pieces, `packed-entries.ts`) before it yields: the bytes are the
 * copy, so a visited value is neither cloned nor kept referenced while processing runs. Captured values are
 * structured-cloned (they are about to change) and packed at the end.
 */
export class CopyOnWriteSnapshot {
  private readonly pieces: Uint8Array[] = [];
  private readonly captured = new Map<string, PackedPieceBuilder>();
  private finishing = false;

  constructor(
    readonly version: number,
    private readonly tables: readonly [string, readonly Map<NormalizedKey, VersionedEntry>[]][],
    private readonly maxParallelism: number,
    private readonly copy: (stateName: string, value: unknown) => unknown,
  ) {}

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
    for (const [name, maps] of this.tables) {
      states[name] = {};
      const b = new PackedPieceBuilder(name);
      for (const m of maps) {
        for (const [norm, e] of m) {
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
}
