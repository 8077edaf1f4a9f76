import type { WindowSlicing } from '../../windowing/assigners.js';
import { windowStartFor } from '../../windowing/windows.js';

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * Stream slicing for aligned sliding windows: time is cut into slices of gcd(size, slide); a window of `size` is
 * the union of size/unit consecutive slices. Elements update the accumulator of their slice only; a firing window
 * merges its slices. A slice is needed until the last window containing it fires, which is the window starting at
 * the slice's start rounded down to the slide.
 */
export class SliceGeometry {
  readonly size: number;
  readonly slide: number;
  readonly offset: number;
  /** Slice length. */
  readonly unit: number;
  private lastStart = Number.NaN;
  private lastNamespace = '';

  constructor(s: WindowSlicing) {
    this.size = s.size;
    this.slide = s.slide;
    this.offset = s.offset;
    this.unit = gcd(s.size, s.slide);
  }

  /** Usable when every element belongs to at least one window (slide ≤ size) and times are integers. */
  static applies(s: WindowSlicing): boolean {
    return s.slide <= s.size && [s.size, s.slide, s.offset].every(Number.isSafeInteger);
  }

  sliceStart(t: number): number {
    return windowStartFor(t, this.offset, this.unit);
  }

  /** The end of the newest window containing time t (its maximum timestamp is end - 1). */
  lastWindowEnd(t: number): number {
    return windowStartFor(t, this.offset, this.slide) + this.size;
  }

  /** State namespace of the slice starting at `start` (cached for the common case of consecutive elements). */
  namespace(start: number): string {
    if (start !== this.lastStart) {
      this.lastStart = start;
      this.lastNamespace = `slice|${start}`;
    }
    return this.lastNamespace;
  }

  /** Visits the end of every window containing the slice that starts at `sliceStart`, newest first. */
  forEachWindowEnd(sliceStart: number, visit: (end: number) => void): void {
    for (let start = windowStartFor(sliceStart, this.offset, this.slide); start > sliceStart - this.size; ) {
      visit(start + this.size);
      start -= this.slide;
    }
  }
}
