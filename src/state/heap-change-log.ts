import type { Key, NormalizedKey } from '../core/key.js';
import type { VersionedEntry } from './copy-on-write-snapshot.js';

/**
 * What changed in one state during one *epoch* of the heap backend (the time between two snapshot versions: epoch
 * `k` runs from the start of snapshot `k` to the start of snapshot `k + 1`), for incremental snapshots.
 *
 * An entry is logged once per epoch, when it first changes (or is created) in it; it then carries `changed = k`.
 * Removals are logged as tombstones with the epoch the removed entry was created in, so a delta can leave out
 * tombstones of entries its base never had. Logs hold the entry objects themselves: a delta reads each logged
 * entry's value when it is collected (removed entries are marked `born = REMOVED` and skipped).
 */
export class EpochLog {
  readonly norms: NormalizedKey[] = [];
  readonly entries: VersionedEntry[] = [];
  readonly removedKeys: Key[] = [];
  readonly removedNs: string[] = [];
  readonly removedNorms: NormalizedKey[] = [];
  /** Epoch each removed entry was created in. */
  readonly removedBorn: number[] = [];

  constructor(readonly epoch: number) {}

  get size(): number {
    return this.entries.length + this.removedKeys.length;
  }
}

/**
 * The epoch logs of one state, oldest first. Only epochs from the first incremental snapshot on are logged, and
 * logs are dropped once a completed checkpoint makes them unnecessary (`discardBefore`).
 */
export class StateChangeLog {
  private logs: EpochLog[] = [];

  /** The log of `epoch` (the current one: epochs only grow). */
  current(epoch: number): EpochLog {
    const last = this.logs[this.logs.length - 1];
    if (last !== undefined && last.epoch === epoch) return last;
    const log = new EpochLog(epoch);
    this.logs.push(log);
    return log;
  }

  /** Logs of epochs in [from, to). */
  between(from: number, to: number): EpochLog[] {
    return this.logs.filter((l) => l.epoch >= from && l.epoch < to);
  }

  /** Logged changes in epochs >= `from`. */
  sizeSince(from: number): number {
    let n = 0;
    for (const l of this.logs) if (l.epoch >= from) n += l.size;
    return n;
  }

  /** Drops logs of epochs before `epoch`; returns how many changes were dropped. */
  discardBefore(epoch: number): number {
    let n = 0;
    let i = 0;
    while (i < this.logs.length && this.logs[i]!.epoch < epoch) n += this.logs[i++]!.size;
    if (i > 0) this.logs = this.logs.slice(i);
    return n;
  }
}
