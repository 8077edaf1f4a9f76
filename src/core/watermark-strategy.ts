import { MIN_WATERMARK } from './time.js';

/**
 * Produces watermarks from the timestamps it observes. `onEvent` sees every record; `currentWatermark` is asked after
 * each batch of a source (the emission period) and must never decrease.
 */
export interface WatermarkGenerator<T = unknown> {
  onEvent(event: T, timestamp: number): void;
  currentWatermark(): number;
}

/** Extracts the event timestamp (epoch ms) of a record. */
export type TimestampAssigner<T> = (element: T, previousTimestamp: number) => number;

/**
 * How a stream gets event time: a timestamp assigner, a watermark generator and an optional idleness timeout after
 * which a silent source subtask stops holding back the watermark of downstream operators.
 */
export interface WatermarkStrategy<T = unknown> {
  readonly timestampAssigner: TimestampAssigner<T> | undefined;
  readonly idlenessMs: number | undefined;
  readonly alignment: WatermarkAlignmentSpec | undefined;
  createGenerator(): WatermarkGenerator<T>;
  withTimestampAssigner(assigner: TimestampAssigner<T>): WatermarkStrategy<T>;
  withIdleness(timeoutMs: number): WatermarkStrategy<T>;
  /**
   * Watermark alignment (Flink's `withWatermarkAlignment`): a source subtask whose watermark is more than
   * `maxDriftMs` ahead of the slowest subtask of any source in `group` stops reading until that one catches up. Joins
   * and other operators that wait for the slowest input then buffer at most about `maxDriftMs` of the faster inputs'
   * records instead of everything a fast source read ahead. Applies to the subtasks of one run of the job (its
   * threads); a subtask without a watermark yet, one that is idle and one whose input ended do not hold the others.
   */
  withWatermarkAlignment(group: string, maxDriftMs: number): WatermarkStrategy<T>;
}

/** The alignment group of a strategy and how far ahead of the group's slowest subtask a subtask may read. */
export interface WatermarkAlignmentSpec {
  readonly group: string;
  readonly maxDriftMs: number;
}

class Strategy<T> implements WatermarkStrategy<T> {
  constructor(
    private readonly factory: () => WatermarkGenerator<T>,
    readonly timestampAssigner: TimestampAssigner<T> | undefined = undefined,
    readonly idlenessMs: number | undefined = undefined,
    readonly alignment: WatermarkAlignmentSpec | undefined = undefined,
  ) {}
  createGenerator(): WatermarkGenerator<T> {
    return this.factory();
  }
  withTimestampAssigner(assigner: TimestampAssigner<T>): WatermarkStrategy<T> {
    return new Strategy(this.factory, assigner, this.idlenessMs, this.alignment);
  }
  withIdleness(timeoutMs: number): WatermarkStrategy<T> {
    if (!(timeoutMs > 0)) throw new RangeError('idleness timeout must be positive');
    return new Strategy(this.factory, this.timestampAssigner, timeoutMs, this.alignment);
  }
  withWatermarkAlignment(group: string, maxDriftMs: number): WatermarkStrategy<T> {
    if (group === '') throw new RangeError('watermark alignment group must not be empty');
    if (!(maxDriftMs >= 0) || !Number.isFinite(maxDriftMs)) {
      throw new RangeError(`watermark alignment: maxDriftMs must be a finite number >= 0, got ${maxDriftMs}`);
    }
    return new Strategy(this.factory, this.timestampAssigner, this.idlenessMs, { group, maxDriftMs });
  }
}

class BoundedOutOfOrderness implements WatermarkGenerator {
  private maxTimestamp: number;
  constructor(private readonly bound: number) {
    this.maxTimestamp = MIN_WATERMARK;
  }
  onEvent(_e: unknown, timestamp: number): void {
    if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp;
  }
  currentWatermark(): number {
    // As in Flink: records up to `bound` ms older than the newest one seen are still on time.
    return this.maxTimestamp - this.bound - 1;
  }
}

/** Factories of watermark strategies, named as in Flink. */
export const WatermarkStrategies = {
  /** Records may arrive up to `maxOutOfOrdernessMs` later than a newer record. */
  forBoundedOutOfOrderness<T>(maxOutOfOrdernessMs: number): WatermarkStrategy<T> {
    if (!(maxOutOfOrdernessMs >= 0)) throw new RangeError('out-of-orderness bound must be >= 0');
    return new Strategy<T>(() => new BoundedOutOfOrderness(maxOutOfOrdernessMs));
  },
  /** Timestamps never decrease. */
  forMonotonousTimestamps<T>(): WatermarkStrategy<T> {
    return new Strategy<T>(() => new BoundedOutOfOrderness(0));
  },
  /** A custom generator. */
  forGenerator<T>(factory: () => WatermarkGenerator<T>): WatermarkStrategy<T> {
    return new Strategy<T>(factory);
  },
  /** Timestamps only; no watermark until the input ends. */
  noWatermarks<T>(): WatermarkStrategy<T> {
    return new Strategy<T>(() => ({ onEvent() {}, currentWatermark: () => MIN_WATERMARK }));
  },
};
