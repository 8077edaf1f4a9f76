import { MAX_WATERMARK } from '../core/time.js';

/** A window: a finite bucket of elements. Its `namespace` identifies its state and timers. */
export interface Window {
  /** The largest timestamp that still belongs to the window; the default event-time trigger fires at it. */
  maxTimestamp(): number;
  readonly namespace: string;
}

/** A time interval [start, end). */
export class TimeWindow implements Window {
  private ns: string | undefined;
  constructor(
    readonly start: number,
    readonly end: number,
  ) {}
  maxTimestamp(): number {
    return this.end - 1;
  }
  get namespace(): string {
    if (this.ns === undefined) this.ns = `${this.start}|${this.end}`;
    return this.ns;
  }
  intersects(other: TimeWindow): boolean {
    return this.start <= other.end && this.end >= other.start;
  }
  cover(other: TimeWindow): TimeWindow {
    return new TimeWindow(Math.min(this.start, other.start), Math.max(this.end, other.end));
  }
  equals(other: TimeWindow): boolean {
    return this.start === other.start && this.end === other.end;
  }
  static fromNamespace(ns: string): TimeWindow {
    const bar = ns.indexOf('|');
    const w = new TimeWindow(Number(ns.slice(0, bar)), Number(ns.slice(bar + 1)));
    // The same string, not an equal one built again: its hash is computed already, and state lookups by it are
    // comparisons by reference.
    w.ns = ns;
    return w;
  }
  toString(): string {
    return `TimeWindow[${this.start}, ${this.end})`;
  }
}

/** The single window of GlobalWindows: holds every element of a key; ends only when the input ends. */
export class GlobalWindow implements Window {
  static readonly INSTANCE = new GlobalWindow();
  readonly namespace = 'global';
  private constructor() {}
  maxTimestamp(): number {
    return MAX_WATERMARK;
  }
  toString(): string {
    return 'GlobalWindow';
  }
}

/** Start of the window of length `size` (shifted by `offset`) that contains `timestamp`. */
export function windowStartFor(timestamp: number, offset: number, size: number): number {
  const remainder = (timestamp - offset) % size;
  return remainder < 0 ? timestamp - (remainder + size) : timestamp - remainder;
}
