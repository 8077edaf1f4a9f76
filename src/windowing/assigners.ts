import { EventTimeTrigger, ProcessingTimeTrigger, type Trigger } from './triggers.js';
import { GlobalWindow, TimeWindow, type Window, windowStartFor } from './windows.js';

export interface AssignerContext {
  currentProcessingTime(): number;
}

/**
 * Assigns each element to zero or more windows. Merging assigners (sessions) also merge overlapping windows.
 * Assigners must be deterministic: the same element and timestamp always give the same windows.
 */
export interface WindowAssigner<T = unknown, W extends Window = Window> {
  assignWindows(element: T, timestamp: number, ctx: AssignerContext): W[];
  defaultTrigger(): Trigger<T, W>;
  /** True when windows are defined on event time (then late elements are detected against the watermark). */
  readonly isEventTime: boolean;
  /** Present on merging assigners: reports groups of windows that must merge into one. */
  mergeWindows?(windows: readonly W[], merge: (toMerge: W[], merged: W) => void): void;
  /**
   * Set on merging assigners of time windows whose `mergeWindows` merges exactly the windows that intersect or
   * touch ({@link TimeWindow.intersects}), as sessions do: the window operator then finds merges without calling it.
   */
  readonly mergesIntersecting?: boolean;
  /**
   * Present on assigners of aligned overlapping windows (sliding): every window [start, start + size) with
   * start ≡ offset (mod slide). The window operator then keeps one accumulator per slice of gcd(size, slide) and
   * merges slices when a window fires, so each element updates one accumulator however many windows it is in.
   */
  readonly slicing?: WindowSlicing;
  /**
   * Present on assigners of tumbling windows: every window [start, start + size) with start ≡ offset (mod size),
   * as a slicing whose slide is its size. Local aggregation cuts time by it (see `slicing`).
   */
  readonly tumbling?: WindowSlicing;
}

/** The geometry of aligned sliding windows, see {@link WindowAssigner.slicing}. */
export interface WindowSlicing {
  readonly size: number;
  readonly slide: number;
  readonly offset: number;
}

abstract class TimeAssigner implements WindowAssigner<unknown, TimeWindow> {
  abstract readonly isEventTime: boolean;
  abstract assignWindows(element: unknown, timestamp: number, ctx: AssignerContext): TimeWindow[];
  defaultTrigger(): Trigger<unknown, TimeWindow> {
    return this.isEventTime ? EventTimeTrigger.create() : ProcessingTimeTrigger.create();
  }
  protected time(timestamp: number, ctx: AssignerContext): number {
    if (!this.isEventTime) return ctx.currentProcessingTime();
    if (!Number.isFinite(timestamp)) {
      throw new Error(
        'an event-time window got an element without a timestamp: assign timestamps with a WatermarkStrategy first',
      );
    }
    return timestamp;
  }
}

class Tumbling extends TimeAssigner {
  private last: TimeWindow | undefined;
  constructor(
    readonly isEventTime: boolean,
    private readonly size: number,
    private readonly offset: number,
  ) {
    super();
    if (!(size > 0)) throw new RangeError('window size must be positive');
    this.tumbling = { size, slide: size, offset };
  }
  readonly tumbling: WindowSlicing;
  assignWindows(_e: unknown, timestamp: number, ctx: AssignerContext): TimeWindow[] {
    const t = this.time(timestamp, ctx);
    // Consecutive elements usually share a window: reuse the object and its namespace string.
    const last = this.last;
    if (last !== undefined && t >= last.start && t < last.end) return [last];
    const start = windowStartFor(t, this.offset, this.size);
    const w = new TimeWindow(start, start + this.size);
    this.last = w;
    return [w];
  }
}

class Sliding extends TimeAssigner {
  constructor(
    readonly isEventTime: boolean,
    private readonly size: number,
    private readonly slide: number,
    private readonly offset: number,
  ) {
    super();
    if (!(size > 0 && slide > 0)) throw new RangeError('window size and slide must be positive');
    this.slicing = { size, slide, offset };
  }
  readonly slicing: WindowSlicing;
  assignWindows(_e: unknown, timestamp: number, ctx: AssignerContext): TimeWindow[] {
    const t = this.time(timestamp, ctx);
    const windows: TimeWindow[] = [];
    const lastStart = windowStartFor(t, this.offset, this.slide);
    for (let start = lastStart; start > t - this.size; start -= this.slide) {
      windows.push(new TimeWindow(start, start + this.size));
    }
    return windows;
  }
}

class Session extends TimeAssigner {
  readonly mergesIntersecting = true;
  constructor(
    readonly isEventTime: boolean,
    private readonly gap: (element: unknown) => number,
  ) {
    super();
  }
  assignWindows(element: unknown, timestamp: number, ctx: AssignerContext): TimeWindow[] {
    const t = this.time(timestamp, ctx);
    const gap = this.gap(element);
    if (!(gap > 0)) throw new RangeError(`session gap must be positive, got ${gap}`);
    return [new TimeWindow(t, t + gap)];
  }
  mergeWindows(windows: readonly TimeWindow[], merge: (toMerge: TimeWindow[], merged: TimeWindow) => void): void {
    const sorted = [...windows].sort((a, b) => a.start - b.start);
    let group: TimeWindow[] = [];
    let cover: TimeWindow | undefined;
    const flush = () => {
      if (cover !== undefined && group.length > 1) merge(group, cover);
    };
    for (const w of sorted) {
      if (cover?.intersects(w)) {
        group.push(w);
        cover = cover.cover(w);
      } else {
        flush();
        group = [w];
        cover = w;
      }
    }
    flush();
  }
}

class Global implements WindowAssigner<unknown, GlobalWindow> {
  readonly isEventTime = true;
  private readonly windows = [GlobalWindow.INSTANCE];
  assignWindows(): GlobalWindow[] {
    return this.windows;
  }
  defaultTrigger(): Trigger<unknown, GlobalWindow> {
    // Fires once, when the final watermark ends the input; never on unbounded input (as Flink's never-trigger).
    return EventTimeTrigger.create();
  }
}

/** Fixed-size, non-overlapping event-time windows. `offset` shifts window starts (e.g. for time zones). */
export const TumblingEventTimeWindows = {
  of: (sizeMs: number, offsetMs = 0): WindowAssigner<unknown, TimeWindow> => new Tumbling(true, sizeMs, offsetMs),
};
export const TumblingProcessingTimeWindows = {
  of: (sizeMs: number, offsetMs = 0): WindowAssigner<unknown, TimeWindow> => new Tumbling(false, sizeMs, offsetMs),
};
/** Windows of `size` starting every `slide`; an element belongs to size/slide windows. */
export const SlidingEventTimeWindows = {
  of: (sizeMs: number, slideMs: number, offsetMs = 0): WindowAssigner<unknown, TimeWindow> =>
    new Sliding(true, sizeMs, slideMs, offsetMs),
};
export const SlidingProcessingTimeWindows = {
  of: (sizeMs: number, slideMs: number, offsetMs = 0): WindowAssigner<unknown, TimeWindow> =>
    new Sliding(false, sizeMs, slideMs, offsetMs),
};
/** Per-key sessions: windows [t, t + gap) merge while they overlap. A session ends at last element + gap. */
export const EventTimeSessionWindows = {
  withGap: (gapMs: number): WindowAssigner<unknown, TimeWindow> => new Session(true, () => gapMs),
  withDynamicGap: <T>(gap: (element: T) => number): WindowAssigner<T, TimeWindow> =>
    new Session(true, gap as (e: unknown) => number) as WindowAssigner<T, TimeWindow>,
};
export const ProcessingTimeSessionWindows = {
  withGap: (gapMs: number): WindowAssigner<unknown, TimeWindow> => new Session(false, () => gapMs),
  withDynamicGap: <T>(gap: (element: T) => number): WindowAssigner<T, TimeWindow> =>
    new Session(false, gap as (e: unknown) => number) as WindowAssigner<T, TimeWindow>,
};
/** One window per key holding all its elements; by default it fires once, when bounded input ends. */
export const GlobalWindows = {
  create: (): WindowAssigner<unknown, GlobalWindow> => new Global(),
};
