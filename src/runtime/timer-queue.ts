import { type Key, type NormalizedKey, normalizeKey } from '../core/key.js';

/** A registered timer: fires for `key` in `namespace` at `time`. */
export interface Timer {
  readonly key: Key;
  readonly namespace: string;
  readonly time: number;
}

/**
 * Timers of one operator in one time domain, deduplicated per (key, namespace, time).
 *
 * Many timers share a time (every key's window ends at the same instant), so timers are bucketed by time and only the
 * distinct times sit in a binary heap: registering a timer at an existing time is one Map lookup.
 */
export class TimerQueue {
  private readonly buckets = new Map<number, Map<NormalizedKey, Timer>>();
  private readonly heap: number[] = [];

  get size(): number {
    let n = 0;
    for (const b of this.buckets.values()) n += b.size;
    return n;
  }

  register(key: Key, namespace: string, time: number): void {
    let bucket = this.buckets.get(time);
    if (bucket === undefined) {
      bucket = new Map();
      this.buckets.set(time, bucket);
      this.push(time);
    }
    const id = timerId(key, namespace);
    if (!bucket.has(id)) bucket.set(id, { key, namespace, time });
  }

  delete(key: Key, namespace: string, time: number): void {
    const bucket = this.buckets.get(time);
    if (bucket === undefined) return;
    bucket.delete(timerId(key, namespace));
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
      const bucket = this.buckets.get(t)!;
      // Take one timer at a time: the visitor may register or delete timers in this very bucket.
      const first = bucket.entries().next().value!;
      bucket.delete(first[0]);
      visit(first[1]);
    }
  }

  /** Every pending timer, for snapshots. */
  all(): Timer[] {
    const out: Timer[] = [];
    for (const b of this.buckets.values()) for (const t of b.values()) out.push(t);
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

function timerId(key: Key, namespace: string): NormalizedKey {
  const norm = normalizeKey(key);
  if (namespace === '') return norm;
  return typeof norm === 'number' ? `${norm}\u0001${namespace}` : `${norm}\u0000${namespace}`;
}
