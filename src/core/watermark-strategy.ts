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
  createGenerator(): WatermarkGenerator<T>;
  withTimestampAssigner(assigner: TimestampAssigner<T>): WatermarkStrategy<T>;
  withIdleness(timeoutMs: number): WatermarkStrategy<T>;
}

class Strategy<T> implements WatermarkStrategy<T> {
  constructor(
    private readonly factory: () => WatermarkGenerator<T>,
    readonly timestampAssigner: TimestampAssigner<T> | undefined = undefined,
    readonly idlenessMs: number | undefined = undefined,
  ) {}
  createGenerator(): WatermarkGenerator<T> {
    return this.factory();
  }
  withTimestampAssigner(assigner: TimestampAssigner<T>): WatermarkStrategy<T> {
    return new Strategy(this.factory, assigner, this.idlenessMs);
  }
  withIdleness(timeoutMs: number): WatermarkStrategy<T> {
    if (!(timeoutMs > 0)) throw new RangeError('idleness timeout must be positive');
    return new Strategy(this.factory, this.timestampAssigner, timeoutMs);
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
