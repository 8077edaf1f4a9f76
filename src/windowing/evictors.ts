import type { Window } from './windows.js';

/** An element held by an evicting window, with its timestamp. */
export interface TimestampedValue<T> {
  value: T;
  timestamp: number;
}

export interface EvictorContext {
  currentWatermark(): number;
  currentProcessingTime(): number;
}

/**
 * Removes elements from a window before and/or after the window function runs. Windows with an evictor keep all
 * their elements (no incremental aggregation), as in Flink. Implementations mutate `elements` in place.
 */
export interface Evictor<T = unknown, W extends Window = Window> {
  evictBefore(elements: TimestampedValue<T>[], window: W, ctx: EvictorContext): void;
  evictAfter(elements: TimestampedValue<T>[], window: W, ctx: EvictorContext): void;
}

/** Keeps the last `max` elements. */
export class CountEvictor implements Evictor {
  private constructor(
    private readonly max: number,
    private readonly after: boolean,
  ) {}
  static of(max: number, doEvictAfter = false): CountEvictor {
    return new CountEvictor(max, doEvictAfter);
  }
  private evict(elements: TimestampedValue<unknown>[]): void {
    if (elements.length > this.max) elements.splice(0, elements.length - this.max);
  }
  evictBefore(elements: TimestampedValue<unknown>[]): void {
    if (!this.after) this.evict(elements);
  }
  evictAfter(elements: TimestampedValue<unknown>[]): void {
    if (this.after) this.evict(elements);
  }
}

/** Keeps elements whose timestamp is within `keepMs` of the newest element in the window. */
export class TimeEvictor implements Evictor {
  private constructor(
    private readonly keepMs: number,
    private readonly after: boolean,
  ) {}
  static of(keepMs: number, doEvictAfter = false): TimeEvictor {
    return new TimeEvictor(keepMs, doEvictAfter);
  }
  private evict(elements: TimestampedValue<unknown>[]): void {
    let maxTs = Number.NEGATIVE_INFINITY;
    for (const e of elements) maxTs = Math.max(maxTs, e.timestamp);
    const cutoff = maxTs - this.keepMs;
    let w = 0;
    for (const e of elements) if (e.timestamp > cutoff) elements[w++] = e;
    elements.length = w;
  }
  evictBefore(elements: TimestampedValue<unknown>[]): void {
    if (!this.after) this.evict(elements);
  }
  evictAfter(elements: TimestampedValue<unknown>[]): void {
    if (this.after) this.evict(elements);
  }
}

/** Keeps elements whose delta to the newest element is below `threshold`. */
export class DeltaEvictor<T> implements Evictor<T> {
  private constructor(
    private readonly threshold: number,
    private readonly delta: (a: T, b: T) => number,
    private readonly after: boolean,
  ) {}
  static of<T>(threshold: number, delta: (a: T, b: T) => number, doEvictAfter = false): DeltaEvictor<T> {
    return new DeltaEvictor(threshold, delta, doEvictAfter);
  }
  private evict(elements: TimestampedValue<T>[]): void {
    const last = elements[elements.length - 1];
    if (last === undefined) return;
    let w = 0;
    for (const e of elements) if (this.delta(e.value, last.value) < this.threshold) elements[w++] = e;
    elements.length = w;
  }
  evictBefore(elements: TimestampedValue<T>[]): void {
    if (!this.after) this.evict(elements);
  }
  evictAfter(elements: TimestampedValue<T>[]): void {
    if (this.after) this.evict(elements);
  }
}
