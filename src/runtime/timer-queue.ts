import { type Key, type NormalizedKey, normalizeKey } from '../core/key.js';

/** A registered timer: fires for `key` in `namespace` at `time`. */
export interface Timer {
  readonly key: Key;
  readonly namespace: string;
  readonly time: number;
  /**
   * The key's key group once a snapshot has computed it (-1 before): a timer usually outlives many checkpoints, and
   * hashing every timer's key at each one was most of a timer snapshot.
   */
  keyGroup: number;
}

/**
 * Timers of one operator in one time domain, deduplicated per (key, namespace, time).
 *
 * Many timers share a time (every key's window ends at the same instant), so timers are bucketed by time and only the
 * distinct times sit in a binary heap: registering a timer at an existing time is one Map lookup.
 */
export class TimerQueue {
  private readonly buckets = new Map<number, Bucket>();
  private readonly heap: number[] = [];
  /** The bucket being fired, so that deleting one of its timers during firing still takes effect. */
  private firing: Bucket | undefined;
  private firingTime = Number.NaN;

  get size(): number {
    let n = 0;
    for (const b of this.buckets.values()) n += b.size;
    return n;
  }

  /** Registers a timer (once per key, namespace and time); `keyGroup` when known (a restore), else -1. */
  register(key: Key, namespace: string, time: number, keyGroup = -1): void {
    let bucket = this.buckets.get(time);
    if (bucket === undefined) {
      bucket = new Bucket();
      this.buckets.set(time, bucket);
      this.push(time);
    }
    bucket.add(key, namespace, time, keyGroup);
  }

  delete(key: Key, namespace: string, time: number): void {
    this.buckets.get(time)?.remove(key, namespace);
    if (this.firingTime === time) this.firing?.remove(key, namespace);
    // The time stays in the heap; an empty bucket is skipped when it comes up.
  }

  /** The earliest time with a pending timer. */
  peekTime(): number | undefined {
    while (this.heap.length > 0) {
      const t = this.heap[0]!;
      const b = this.buckets.get(t);
      if (b !== undefined && b.size > 0) return t;
      this.buckets.delete(t);
      this.pop();
    }
    return undefined;
  }

  /**
   * Removes and visits every timer with time <= `upTo`, earliest first. Timers registered while visiting are
   * visited too when they are due.
   */
  fireUpTo(upTo: number, visit: (timer: Timer) => void): void {
    for (;;) {
      const t = this.peekTime();
      if (t === undefined || t > upTo) return;
      // Take the whole bucket: timers registered at time t while firing land in a new bucket, fired next round;
      // deletions of timers in the taken bucket still apply (Map iteration skips removed entries).
      const bucket = this.buckets.get(t)!;
      this.buckets.delete(t);
      this.firing = bucket;
      this.firingTime = t;
      try {
        bucket.drain(visit);
      } finally {
        this.firing = undefined;
        this.firingTime = Number.NaN;
      }
    }
  }

  /** Every pending timer, for snapshots. */
  all(): Timer[] {
    const out: Timer[] = [];
    for (const b of this.buckets.values()) b.collectInto(out);
    return out;
  }

  private push(time: number): void {
    const h = this.heap;
    h.push(time);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]! <= time) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = time;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && h[r]! < h[l]! ? r : l;
      if (h[c]! >= last) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
}

/** Timers of one time, by namespace and normalised key (two levels, so no composite string is built per call). */
class Bucket {
  private readonly byNamespace = new Map<string, Map<NormalizedKey, Timer>>();
  size = 0;
  add(key: Key, namespace: string, time: number, keyGroup: number): void {
    let m = this.byNamespace.get(namespace);
    if (m === undefined) {
      m = new Map();
      this.byNamespace.set(namespace, m);
    }
    const norm = normalizeKey(key);
    if (m.has(norm)) return;
    m.set(norm, { key, namespace, time, keyGroup });
    this.size++;
  }
  remove(key: Key, namespace: string): void {
    const m = this.byNamespace.get(namespace);
    if (m?.delete(normalizeKey(key))) this.size--;
  }
  /** Appends every timer to `out` (plain loops: a generator here cost more than the rest of a timer snapshot). */
  collectInto(out: Timer[]): void {
    for (const m of this.byNamespace.values()) for (const t of m.values()) out.push(t);
  }
  /** Removes and visits every timer; timers removed meanwhile are skipped (Map iteration skips deleted entries). */
  drain(visit: (t: Timer) => void): void {
    for (const m of this.byNamespace.values()) {
      for (const t of m.values()) {
        m.delete(normalizeKey(t.key));
        this.size--;
        visit(t);
      }
    }
  }
}
