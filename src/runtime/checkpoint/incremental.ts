import { type Key, keyGroupOf, normalizeKey } from '../../core/key.js';
import type { KeyedStateSnapshot, SnapshotEntry } from '../../state/keyed-state-backend.js';

/** One link of an incremental keyed-state chain (the disk backend's format; see state/disk/incremental-snapshot.ts). */
export interface KeyedLink extends KeyedStateSnapshot {
  version: number;
  baseVersion: number | null;
  removed: Record<string, Record<number, [key: Key, namespace: string][]>>;
}

/** A backend that can snapshot only what changed since an earlier snapshot. */
export interface IncrementalBackend {
  snapshotIncremental(sinceVersion?: number): KeyedLink;
  /** False when the backend no longer knows the changes since `version` (then a full link is taken). */
  canSnapshotIncrementalSince?(version: number): boolean;
  discardVersionsBefore?(version: number): void;
}

export function isIncremental(backend: object): backend is IncrementalBackend {
  return typeof (backend as Partial<IncrementalBackend>).snapshotIncremental === 'function';
}

/** Where an earlier link of a chain is stored: the state file of this subtask in an earlier checkpoint. */
export interface LinkRef {
  checkpointId: number;
  name: string;
  /** Filled by the executor from the files it wrote (the subtask does not know them). */
  size?: number;
  sha256?: string;
}

/** Links in a chain before a full snapshot is taken again (bounds restore work and files kept). */
export const MAX_CHAIN = 10;

/**
 * Per operator: the chain of links of *completed* checkpoints. A delta is always taken against the last completed
 * link, so an abandoned checkpoint never leaves a gap in a chain.
 */
export class IncrementalTracker {
  private completed: { refs: LinkRef[]; version: number } | undefined;
  private readonly pending = new Map<number, { refs: LinkRef[]; version: number }>();

  /** Takes the link for checkpoint `id`, and the earlier links it builds on. `full` forces a self-contained one. */
  take(
    backend: IncrementalBackend,
    id: number,
    fileName: string,
    full: boolean,
  ): { link: KeyedLink; chain: LinkRef[] } {
    const usable =
      this.completed !== undefined &&
      this.completed.refs.length < MAX_CHAIN &&
      (backend.canSnapshotIncrementalSince?.(this.completed.version) ?? true);
    const base = full || !usable ? undefined : this.completed;
    const link = backend.snapshotIncremental(base?.version);
    const chain = base?.refs ?? [];
    this.pending.set(id, { refs: [...chain, { checkpointId: id, name: fileName }], version: link.version });
    return { link, chain };
  }

  /** Checkpoint `id` completed: its link becomes the base of the next delta. */
  complete(id: number, backend: IncrementalBackend): void {
    const done = this.pending.get(id);
    if (done === undefined) return;
    this.completed = done;
    for (const k of [...this.pending.keys()]) if (k <= id) this.pending.delete(k);
    backend.discardVersionsBefore?.(done.version);
  }
}

/** Applies a chain (a full link, then deltas) and returns the resulting full snapshot. */
export function flattenChain(links: readonly KeyedLink[]): KeyedStateSnapshot {
  const maxParallelism = links[0]!.maxParallelism;
  const byState = new Map<string, Map<string, SnapshotEntry>>();
  const id = (key: Key, ns: string) => `${typeof normalizeKey(key)}:${String(normalizeKey(key))}\u0000${ns}`;
  for (const link of links) {
    for (const [state, perGroup] of Object.entries(link.removed ?? {})) {
      const m = byState.get(state);
      if (m === undefined) continue;
      for (const entries of Object.values(perGroup)) for (const [key, ns] of entries) m.delete(id(key, ns));
    }
    for (const [state, perGroup] of Object.entries(link.states)) {
      let m = byState.get(state);
      if (m === undefined) {
        m = new Map();
        byState.set(state, m);
      }
      for (const entries of Object.values(perGroup)) for (const e of entries) m.set(id(e[0], e[1]), e);
    }
  }
  const states: KeyedStateSnapshot['states'] = {};
  for (const [state, m] of byState) {
    const perGroup: Record<number, SnapshotEntry[]> = {};
    for (const e of m.values()) (perGroup[keyGroupOf(normalizeKey(e[0]), maxParallelism)] ??= []).push(e);
    states[state] = perGroup;
  }
  return { maxParallelism, states };
}
