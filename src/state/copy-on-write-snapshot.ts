import { type Key, keyGroupOf, type NormalizedKey } from '../core/key.js';
import type { KeyedStateSnapshot, SnapshotEntry } from './keyed-state-backend.js';

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

/**
 * A point-in-time snapshot of heap keyed state, collected in slices so that processing continues in between.
 *
 * Version `v` is taken when the snapshot starts. Entries created later have `born >= v` and are skipped. An entry
 * about to change (or be removed) before the collector reached it is copied first by the backend (`capture`), and
 * marked `seen = v` so it is copied once; the collector marks what it copies the same way. The result is the state
 * exactly as it was when the snapshot started, while the state keeps changing.
 */
export class CopyOnWriteSnapshot {
  private readonly states: KeyedStateSnapshot['states'] = {};
  private finishing = false;

  constructor(
    readonly version: number,
    private readonly tables: readonly [string, readonly Map<NormalizedKey, VersionedEntry>[]][],
    private readonly maxParallelism: number,
    private readonly copy: (stateName: string, value: unknown) => unknown,
  ) {}

  private add(stateName: string, norm: NormalizedKey, e: VersionedEntry): void {
    const perGroup = (this.states[stateName] ??= {});
    const list = (perGroup[keyGroupOf(norm, this.maxParallelism)] ??= []);
    const value = this.copy(stateName, e.value);
    const entry: SnapshotEntry = e.expires === undefined ? [e.key, e.ns, value] : [e.key, e.ns, value, e.expires];
    list.push(entry);
  }

  /** The backend's copy-before-change hook. */
  capture(stateName: string, norm: NormalizedKey, e: VersionedEntry): void {
    this.add(stateName, norm, e);
  }

  /** Makes the remaining collection synchronous (a newer snapshot needs this one finished). */
  finishNow(): void {
    this.finishing = true;
  }

  async collect(): Promise<KeyedStateSnapshot> {
    let sliceStart = performance.now();
    let n = 0;
    for (const [name, maps] of this.tables) {
      this.states[name] ??= {};
      for (const m of maps) {
        for (const [norm, e] of m) {
          if (e.born >= this.version || e.seen >= this.version) continue;
          e.seen = this.version;
          this.add(name, norm, e);
          // Check the clock every 256 entries: values differ widely in copy cost.
          if ((++n & 255) === 0 && !this.finishing && performance.now() - sliceStart > SLICE_MS) {
            await new Promise<void>((resolve) => setImmediate(resolve));
            sliceStart = performance.now();
          }
        }
      }
    }
    return { maxParallelism: this.maxParallelism, states: this.states };
  }
}
