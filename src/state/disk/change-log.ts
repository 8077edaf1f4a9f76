import type { Key } from '../../core/key.js';

/** What a tombstone needs: the original key and namespace (the store key cannot be turned back into them). */
export interface RemovedRef {
  key: Key;
  ns: string;
}

/** Store keys (as latin1 strings, a lossless form of bytes) changed in one period, with deletion info if deleted. */
type Changes = Map<string, RemovedRef | null>;

/**
 * The store keys written or deleted between snapshot versions, for incremental snapshots.
 *
 * Keys are recorded when the cache writes them to the store (eviction or the flush at a snapshot), not on every
 * state access: a snapshot flushes first, so the keys written since the previous snapshot are exactly the entries
 * that changed, and the hot path pays nothing. Recording starts with the first incremental snapshot (which is a full
 * one), so a backend that only takes full snapshots keeps no log.
 *
 * Memory: one string of the store key (about 25 bytes plus the key and namespace) per changed entry and retained
 * version; versions older than `retained` snapshots are dropped (deltas since them are then refused: take a full
 * snapshot).
 */
export class ChangeLog {
  private enabled = false;
  private current: Changes = new Map();
  /** `epochs[i]` holds the changes between version `epochs[i].version - 1` and `epochs[i].version`. */
  private epochs: { version: number; changes: Changes }[] = [];
  private lastVersion = 0;
  /** Deltas can be computed since any version from this one to the last; undefined: since none. */
  private oldestBase: number | undefined;

  constructor(private readonly retained: number) {
    if (!Number.isInteger(retained) || retained < 1)
      throw new RangeError(`retained versions must be ≥ 1, got ${retained}`);
  }

  get recording(): boolean {
    return this.enabled;
  }
  get version(): number {
    return this.lastVersion;
  }

  /** Starts recording (a full snapshot must follow, since earlier changes are not known). */
  enable(): void {
    this.enabled = true;
  }

  record(storeKey: Buffer, removed: RemovedRef | null): void {
    if (!this.enabled) return;
    const k = storeKey.toString('latin1');
    // A key deleted and written again keeps the deletion info: if it is deleted once more, any info will do.
    this.current.set(k, removed ?? this.current.get(k) ?? null);
  }

  /** Whether a delta since `version` can be computed. */
  canDiffFrom(version: number): boolean {
    return (
      this.oldestBase !== undefined &&
      Number.isInteger(version) &&
      version >= this.oldestBase &&
      version <= this.lastVersion
    );
  }

  /** Ends the current period: its changes lead to the returned new version. */
  advance(full: boolean): number {
    const version = ++this.lastVersion;
    this.epochs.push({ version, changes: this.current });
    this.current = new Map();
    if (full && this.oldestBase === undefined) this.oldestBase = version;
    this.discardBefore(version - this.retained);
    return version;
  }

  /** The keys changed between `version` (see {@link canDiffFrom}) and the last version. */
  changesSince(version: number): Changes {
    if (!this.canDiffFrom(version)) throw new Error(`no incremental snapshot can be taken since version ${version}`);
    const union: Changes = new Map();
    for (const { version: v, changes } of this.epochs) {
      if (v <= version) continue;
      for (const [k, removed] of changes) union.set(k, removed ?? union.get(k) ?? null);
    }
    return union;
  }

  /** Forgets the changes up to `version`: deltas since earlier versions are refused from now on. */
  discardBefore(version: number): void {
    if (this.oldestBase === undefined || version <= this.oldestBase) return;
    this.oldestBase = Math.min(version, this.lastVersion);
    this.epochs = this.epochs.filter((e) => e.version > this.oldestBase!);
  }

  /** After a restore the store holds other state: no earlier version is a valid base any more. */
  reset(): void {
    this.current = new Map();
    this.epochs = [];
    this.oldestBase = undefined;
  }
}
