import type { SourceOutput } from '../core/source.js';
import { MIN_WATERMARK } from '../core/time.js';
import type { WatermarkGenerator, WatermarkStrategy } from '../core/watermark-strategy.js';

interface Split {
  readonly generator: WatermarkGenerator;
  readonly output: SourceOutput<unknown>;
  lastRecordAt: number;
  /** The largest watermark the reader gave for this split (`SourceOutput.emitWatermark`). */
  given: number;
  /** Declared idle by the reader (`SourceOutput.markIdle`), until its next record. */
  declaredIdle: boolean;
}

/** Where split watermarks go: the head of the source subtask's chain. */
export interface WatermarkSink {
  collect(value: unknown, timestamp: number): void;
  emitWatermark(watermark: number): void;
  emitIdle(idle: boolean): void;
}

/**
 * Watermarks per source split (e.g. per Kafka partition), as Flink's per-split watermark generation: each split has
 * its own watermark generator fed by the records the reader emits through `output(split)`; the subtask's watermark
 * is the minimum over the splits that are not idle, so one slow split holds it back and a silent one (after the
 * strategy's idleness timeout) does not. A split that has produced nothing yet holds the watermark at its minimum
 * until it is idle. When every split is idle, the subtask is idle. In batch mode no watermark is emitted before the
 * input ends.
 */
export class SplitWatermarks {
  private readonly splits = new Map<string, Split>();
  private emitted = MIN_WATERMARK;
  private idle = false;

  constructor(
    private readonly strategy: WatermarkStrategy<unknown>,
    private readonly sink: WatermarkSink,
    private readonly now: () => number,
    private readonly batchMode: boolean,
  ) {}

  /** The output through which the reader emits the records of `split` (created on first use). */
  output(split: string): SourceOutput<unknown> {
    let s = this.splits.get(split);
    if (s === undefined) {
      const generator = this.strategy.createGenerator();
      const assign = this.strategy.timestampAssigner;
      const sink = this.sink;
      const entry: Split = {
        generator,
        lastRecordAt: this.now(),
        given: MIN_WATERMARK,
        declaredIdle: false,
        output: {
          // Watermarks and idleness given by the reader take effect at once, in order with the records, as control
          // messages do on an input channel: several of them in one poll must not collapse into the last state.
          markIdle: (idle) => {
            entry.declaredIdle = idle;
            entry.lastRecordAt = -1;
            this.afterPoll();
          },
          emitWatermark: (watermark) => {
            if (watermark > entry.given) entry.given = watermark;
            entry.lastRecordAt = -1;
            this.afterPoll();
          },
          collect: (value, timestamp) => {
            const ts = assign === undefined ? (timestamp ?? Number.NaN) : assign(value, timestamp ?? Number.NaN);
            if (typeof ts !== 'number' || Number.isNaN(ts)) {
              throw new TypeError(`split '${split}': record without a timestamp (timestamp assigner returned ${ts})`);
            }
            generator.onEvent(value, ts);
            entry.declaredIdle = false;
            entry.lastRecordAt = -1; // stamped once per poll in afterPoll
            sink.collect(value, ts);
          },
        },
      };
      s = entry;
      this.splits.set(split, s);
    }
    return s.output;
  }

  /** The reader no longer reads `split` (e.g. a partition was revoked): it stops holding the watermark. */
  release(split: string): void {
    this.splits.delete(split);
  }

  /** After each poll of the reader (and each watermark or idleness it gives): advance the watermark, update idleness. */
  afterPoll(): void {
    const now = this.now();
    this.evaluatedAt = now;
    const idleness = this.strategy.idlenessMs;
    let min = Number.POSITIVE_INFINITY;
    let active = 0;
    for (const s of this.splits.values()) {
      if (s.lastRecordAt < 0) s.lastRecordAt = now;
      if (s.declaredIdle || (idleness !== undefined && now - s.lastRecordAt >= idleness)) continue;
      active++;
      const wm = Math.max(s.generator.currentWatermark(), s.given);
      if (wm < min) min = wm;
    }
    const idle = this.splits.size > 0 && active === 0;
    if (idle !== this.idle) {
      this.idle = idle;
      this.sink.emitIdle(idle);
    }
    if (this.batchMode || active === 0) return;
    if (min > this.emitted) {
      this.emitted = min;
      this.sink.emitWatermark(min);
    }
  }

  /** When afterPoll last looked at the splits. */
  private evaluatedAt = Number.NEGATIVE_INFINITY;

  /**
   * When the next split may become idle (to re-check without new records), or undefined. A deadline that passed
   * after the last evaluation counts too (the check is then due at once): skipping it would leave a silent split
   * holding the watermark until some record arrives.
   */
  nextIdleCheck(): number | undefined {
    const idleness = this.strategy.idlenessMs;
    if (idleness === undefined || this.idle) return undefined;
    let next = Number.POSITIVE_INFINITY;
    for (const s of this.splits.values()) {
      const at = s.lastRecordAt + idleness;
      if (s.lastRecordAt >= 0 && at > this.evaluatedAt && at < next) next = at;
    }
    return Number.isFinite(next) ? next : undefined;
  }
}
