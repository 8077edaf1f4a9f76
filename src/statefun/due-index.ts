import { type Keyspace, type NsList, type NsValue, nsClear, nsGet, nsSet } from './keyspace.js';

/** Kinds of sweep: an idempotency entry whose answer may have expired, an instance whose values may have. */
export type SweepKind = 'i' | 'x';

/** A chunk of the sweep index is closed beyond this many characters (so a change rewrites a small value). */
const CHUNK_CHARS = 8192;

/**
 * What is due when, for one dispatcher subtask, in keyed state (so it is in every checkpoint and rescales with key
 * groups) and processing-time timers:
 *
 * - **per key** (delayed messages: they need their own key's state when due): list state under the key, namespace
 *   the bucket time, and one timer per key and bucket;
 * - **sweeps** (idempotency entries and expiring instance values, one item per key): under the subtask's home key,
 *   one timer per bucket for the whole subtask, the keys as text chunks (`kind` + key per line; strings cost nothing
 *   to copy in a snapshot). Registrations of one call are buffered and written by {@link flush} once per bucket,
 *   which the dispatcher calls before each call returns. A per-key timer and list entry per idempotent request would
 *   make every checkpoint copy one timer and one list per request answered within the TTL.
 *
 * After a rescale, a sweep bucket fires on whichever subtask owns the home key it was written under; its items for
 * keys of other subtasks are forwarded there by the dispatcher. Sweep items are checks ("remove if expired"), so
 * firing one more than once is harmless.
 */
export class DueIndex {
  private readonly pending = new Map<number, string[]>();

  constructor(
    private readonly ks: Keyspace,
    private readonly perKey: NsList<string>,
    private readonly sweeps: NsValue,
  ) {}

  /** An item of the current key due at `time` (a bucket boundary), with a timer for the key. */
  scheduleKey(time: number, item: string): void {
    this.perKey.setNamespace(String(time));
    this.perKey.add(item);
    this.ks.ctx.timerService().registerProcessingTimeTimer(time);
  }

  /** A sweep of `key` at `time` (a bucket boundary); written by the next {@link flush}. */
  scheduleSweep(time: number, kind: SweepKind, key: string): void {
    const line = key.includes('\n') ? kind.toUpperCase() + JSON.stringify(key) : kind + key;
    const lines = this.pending.get(time);
    if (lines === undefined) this.pending.set(time, [line]);
    else lines.push(line);
  }

  /** Writes the sweeps scheduled since the last flush into the home key's index. Leaves the home key current. */
  flush(): void {
    if (this.pending.size === 0) return;
    const ks = this.ks;
    ks.use(ks.home);
    const s = this.sweeps;
    for (const [time, lines] of this.pending) {
      const head = `s${time}`;
      const n = Number(nsGet(s, head) ?? 0);
      const last = n > 0 ? nsGet(s, `${head}.${n - 1}`) : undefined;
      const text = lines.join('\n');
      if (last === undefined || last.length > CHUNK_CHARS) {
        nsSet(s, head, String(n + 1));
        nsSet(s, `${head}.${n}`, text);
      } else nsSet(s, `${head}.${n - 1}`, `${last}\n${text}`);
      ks.ctx.timerService().registerProcessingTimeTimer(time);
    }
    this.pending.clear();
  }

  /**
   * Takes (and removes) what is due at `time` under the current key: its own items, and the sweeps of its index
   * if it is a home key (of this run or, after a rescale, an earlier one).
   */
  take(time: number): { items: string[]; sweeps: [SweepKind, string][] } {
    this.perKey.setNamespace(String(time));
    const items = this.perKey.get();
    if (items.length > 0) this.perKey.clear();
    const sweeps: [SweepKind, string][] = [];
    const head = `s${time}`;
    const n = Number(nsGet(this.sweeps, head) ?? 0);
    if (n > 0) {
      nsClear(this.sweeps, head);
      for (let c = 0; c < n; c++) {
        const ns = `${head}.${c}`;
        const text = nsGet(this.sweeps, ns);
        if (text === undefined) continue;
        nsClear(this.sweeps, ns);
        for (const line of text.split('\n')) {
          const k = line[0]!;
          if (k === 'i' || k === 'x') sweeps.push([k, line.slice(1)]);
          else sweeps.push([k.toLowerCase() as SweepKind, JSON.parse(line.slice(1)) as string]);
        }
      }
    }
    return { items, sweeps };
  }
}
