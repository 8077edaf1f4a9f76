import { type Key, keyGroupOf, type NormalizedKey, normalizeKey } from '../../core/key.js';
import type { KeyedStateSnapshot, SnapshotEntry } from '../../state/keyed-state-backend.js';
import type { OperatorSnapshot, SubtaskSnapshot } from './snapshot.js';

/** One link of an incremental keyed-state chain (the disk backend's format; see state/disk/incremental-snapshot.ts). */
export interface KeyedLink extends KeyedStateSnapshot {
  version: number;
  baseVersion: number | null;
  removed: Record<string, Record<number, [key: Key, namespace: string][]>>;
}

/**
 * A backend that can snapshot only what changed since an earlier snapshot. The link may resolve later (the heap
 * backend collects it copy-on-write while processing goes on); it is a point-in-time snapshot as of the call.
 */
export interface IncrementalBackend {
  snapshotIncremental(sinceVersion?: number): KeyedLink | Promise<KeyedLink>;
  /** False when the backend no longer knows the changes since `version` (then a full link is taken). */
  canSnapshotIncrementalSince?(version: number): boolean;
  discardVersionsBefore?(version: number): void;
  /**
   * Asked right after each link is taken: links of versions up to this one are no longer needed by it or by later
   * links (the backend's changes since then account for every live entry), so they leave the chain.
   */
  linksCoveredUpTo?(): number;
  /** Links in a chain before a full one is taken again; default {@link MAX_CHAIN}. */
  readonly maxChainLength?: number;
}

export function isIncremental(backend: object): backend is IncrementalBackend {
  return typeof (backend as Partial<IncrementalBackend>).snapshotIncremental === 'function';
}

/**
 * Where an earlier link of a chain is stored: the state of this subtask (`name`) in an earlier checkpoint. Its size,
 * checksum and whether it is a file or kept in that checkpoint's metadata are in the metadata's `references`.
 */
export interface LinkRef {
  checkpointId: number;
  name: string;
  /** Written into state files by earlier versions only (the metadata's references hold them now). */
  size?: number;
  sha256?: string;
}

/**
 * A chain of links taken for one checkpoint: where each link is stored, the versions of the links before its own,
 * and its own link's version (once it resolved).
 */
interface TakenChain {
  refs: LinkRef[];
  versions: number[];
  version: number;
}

/** Links in a chain before a full snapshot is taken again (bounds restore work and files kept), by default. */
export const MAX_CHAIN = 10;

/**
 * Per operator: the chain of links of *completed* checkpoints. A delta is always taken against the last completed
 * link, so an abandoned checkpoint never leaves a gap in a chain.
 */
export class IncrementalTracker {
  private completed: TakenChain | undefined;
  /** Links taken for checkpoints not yet complete; `version` is -1 until an asynchronous link resolves. */
  private readonly pending = new Map<number, TakenChain>();

  /** Takes the link for checkpoint `id`, and the earlier links it builds on. `full` forces a self-contained one. */
  take(
    backend: IncrementalBackend,
    id: number,
    fileName: string,
    full: boolean,
  ): { link: KeyedLink | Promise<KeyedLink>; chain: LinkRef[] } {
    const usable =
      this.completed !== undefined &&
      this.completed.refs.length < (backend.maxChainLength ?? MAX_CHAIN) &&
      (backend.canSnapshotIncrementalSince?.(this.completed.version) ?? true);
    const base = full || !usable ? undefined : this.completed;
    const link = backend.snapshotIncremental(base?.version);
    let chain = base?.refs ?? [];
    let versions = base === undefined ? [] : [...base.versions, base.version];
    const covered = backend.linksCoveredUpTo?.() ?? -1;
    const drop = versions.findIndex((v) => v > covered);
    if (drop !== 0) {
      const keep = drop < 0 ? versions.length : drop;
      chain = chain.slice(keep);
      versions = versions.slice(keep);
    }
    const taken: TakenChain = { refs: [...chain, { checkpointId: id, name: fileName }], versions, version: -1 };
    this.pending.set(id, taken);
    if (link instanceof Promise) {
      // A checkpoint completes only after its file was written, so the version is known by then.
      const resolved = link.then((l) => {
        taken.version = l.version;
        return l;
      });
      return { link: resolved, chain };
    }
    taken.version = link.version;
    return { link, chain };
  }

  /**
   * The oldest checkpoint whose state file a later link may still name (Infinity when none): the first link of the
   * completed chain, or of a pending one. Chains only move forward, so files of older checkpoints are not needed.
   */
  oldestReferenced(): number {
    let oldest = this.completed?.refs[0]?.checkpointId ?? Number.POSITIVE_INFINITY;
    for (const p of this.pending.values()) oldest = Math.min(oldest, p.refs[0]!.checkpointId);
    return oldest;
  }

  /** Checkpoint `id` completed: its link becomes the base of the next delta. */
  complete(id: number, backend: IncrementalBackend): void {
    const done = this.pending.get(id);
    if (done === undefined || done.version < 0) return;
    this.completed = done;
    for (const k of [...this.pending.keys()]) if (k <= id) this.pending.delete(k);
    backend.discardVersionsBefore?.(done.version);
  }
}

/**
 * Applies a chain (a full link or, once a backend's changes since it account for every live entry, a delta; then
 * deltas) and returns the resulting full snapshot. The first link's tombstones are ignored: what they remove lies in
 * links no longer in the chain. Only what the deltas touched is
 * indexed (by state, namespace and normalised key); the full link's entries are kept as they are unless a delta
 * replaced or removed them, so flattening a large base with small deltas costs little more than reading the base.
 */
export function flattenChain(links: readonly KeyedLink[]): KeyedStateSnapshot {
  const maxParallelism = links[0]!.maxParallelism;
  // Per state, namespace and key: the latest entry a delta wrote, or null where it was removed.
  const touched = new Map<string, Map<string, Map<NormalizedKey, SnapshotEntry | null>>>();
  const slot = (state: string, ns: string) => {
    let byNs = touched.get(state);
    if (byNs === undefined) touched.set(state, (byNs = new Map()));
    let byKey = byNs.get(ns);
    if (byKey === undefined) byNs.set(ns, (byKey = new Map()));
    return byKey;
  };
  for (let l = 1; l < links.length; l++) {
    const link = links[l]!;
    // Tombstones first: a delta may remove an entry and write it anew.
    for (const [state, perGroup] of Object.entries(link.removed ?? {}))
      for (const entries of Object.values(perGroup))
        for (const [key, ns] of entries) slot(state, ns).set(normalizeKey(key), null);
    for (const [state, perGroup] of Object.entries(link.states))
      for (const entries of Object.values(perGroup))
        for (const e of entries) slot(state, e[1]).set(normalizeKey(e[0]), e);
  }
  const states: KeyedStateSnapshot['states'] = {};
  for (const [state, perGroup] of Object.entries(links[0]!.states)) {
    const byNs = touched.get(state);
    const out: Record<number, SnapshotEntry[]> = (states[state] = {});
    for (const [kg, entries] of Object.entries(perGroup)) {
      out[Number(kg)] =
        byNs === undefined ? entries : entries.filter((e) => byNs.get(e[1])?.has(normalizeKey(e[0])) !== true);
    }
  }
  for (const [state, byNs] of touched) {
    const out = (states[state] ??= {});
    for (const byKey of byNs.values())
      for (const [norm, e] of byKey) if (e !== null) (out[keyGroupOf(norm, maxParallelism)] ??= []).push(e);
  }
  return { maxParallelism, states };
}

/**
 * Makes an operator's keyed state self-contained: when it is an incremental link, reads the earlier links it names
 * (`read` returns the state file of a reference, verified) and replaces `op.keyed` by the flattened chain.
 */
export async function resolveChain(
  uid: string,
  op: OperatorSnapshot,
  read: (ref: LinkRef) => Promise<SubtaskSnapshot>,
): Promise<void> {
  if (op.keyedChain === undefined || op.keyedChain.length === 0 || op.keyed === undefined) return;
  const links: KeyedLink[] = [];
  for (const ref of op.keyedChain) {
    const keyed = (await read(ref)).operators[uid]?.keyed;
    if (keyed === undefined) throw new Error(`state file ${ref.name} of checkpoint ${ref.checkpointId} lacks ${uid}`);
    links.push(keyed as KeyedLink);
  }
  links.push(op.keyed as KeyedLink);
  op.keyed = flattenChain(links);
  op.keyedChain = [];
}
