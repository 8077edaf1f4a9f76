import type { Key } from '../../core/key.js';
import type { KeyedStateSnapshot } from '../keyed-state-backend.js';

/**
 * Incremental snapshots of the disk backend.
 *
 * Format (one link of a chain):
 * - `version`: the version this snapshot brings the state to; versions of one backend increase by one per snapshot.
 * - `baseVersion`: `null` for a full snapshot (the first link of every chain); otherwise the version of the previous
 *   link, whose state this one changes.
 * - `states`: per state name, per key group, the entries written since `baseVersion` with their full current value,
 *   in the same form as {@link KeyedStateSnapshot.states} (for a full snapshot: every entry). A full link is therefore
 *   also a valid `KeyedStateSnapshot` and can be passed to `restore()` of any backend.
 * - `removed`: per state name, per key group, the `[key, namespace]` of entries deleted since `baseVersion`
 *   (tombstones); always empty in a full link. A key may be listed although the base never had it (it was written
 *   and deleted in between); applying such a tombstone changes nothing.
 *
 * Restoring a chain `[full, delta1, delta2, …]` applies the full link, then each delta in order: entries in `states`
 * replace the entry of the same state, key and namespace, tombstones delete it. Like every snapshot, the result is
 * filtered to the key groups of the restoring backend, so a chain can be restored with another parallelism.
 *
 * All values are plain decoded data (no shared references with the backend), so a link can be serialised by the
 * checkpoint code like any `KeyedStateSnapshot`.
 */
export interface IncrementalKeyedStateSnapshot extends KeyedStateSnapshot {
  version: number;
  baseVersion: number | null;
  removed: Record<string, Record<number, RemovedEntry[]>>;
}

/** A tombstone: the entry of `key` in `namespace` of the state was deleted. */
export type RemovedEntry = [key: Key, namespace: string];

/**
 * Checks that `chain` is a full snapshot followed by deltas each based on the one before, all of one max parallelism.
 * @throws Error describing the first problem.
 */
export function validateChain(chain: readonly IncrementalKeyedStateSnapshot[], maxParallelism: number): void {
  if (chain.length === 0) throw new Error('an incremental snapshot chain needs at least a full snapshot');
  chain.forEach((link, i) => {
    if (link.maxParallelism !== maxParallelism) {
      throw new Error(
        `state was written with max parallelism ${link.maxParallelism} and cannot be restored with ${maxParallelism}`,
      );
    }
    if (i === 0) {
      if (link.baseVersion !== null) {
        throw new Error(
          `an incremental snapshot chain must start with a full snapshot, not a delta on ${link.baseVersion}`,
        );
      }
    } else if (link.baseVersion !== chain[i - 1]!.version) {
      throw new Error(
        `incremental snapshot ${link.version} is based on version ${link.baseVersion}, but follows version ${chain[i - 1]!.version}`,
      );
    }
  });
}
