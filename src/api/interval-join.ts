import type { Key } from '../core/key.js';
import type { OutputTag } from '../core/output-tag.js';
import type {
  Collector,
  Counter,
  KeyedContext,
  OnTimerContext,
  RuntimeContext,
  TimestampedEmitter,
} from '../functions/context.js';
import type { KeyedCoProcessFunction } from '../functions/functions.js';
import { NUM_LATE_RECORDS_DROPPED } from '../runtime/operator-metrics.js';
import { mapState } from '../state/descriptors.js';
import type { MapState } from '../state/state.js';
import type { DataStream } from './data-stream.js';
import type { KeyedStream } from './keyed-stream.js';

/** Timestamps of a joined pair; the output record carries the larger one. */
export interface IntervalJoinContext {
  leftTimestamp: number;
  rightTimestamp: number;
}

/**
 * Interval join of two keyed streams (event time): `a` and `b` with equal keys join when
 * `a.ts + lower <= b.ts <= a.ts + upper` (bounds inclusive unless made exclusive). Elements are buffered in keyed
 * state until the watermark passes the last time they could still match. Elements already behind the watermark when
 * they arrive are late: they go to the side output set with `sideOutputLeftLateData` / `sideOutputRightLateData`,
 * else they are dropped and counted (`numLateRecordsDropped`), as in Flink. Each output record carries the larger of
 * the pair's two timestamps.
 */
export class IntervalJoinBuilder<A, B, K extends Key> {
  private lowerInclusive = true;
  private upperInclusive = true;
  private leftLate: OutputTag<A> | undefined;
  private rightLate: OutputTag<B> | undefined;
  constructor(
    private readonly left: KeyedStream<A, K>,
    private readonly right: KeyedStream<B, K>,
  ) {}
  between(lowerMs: number, upperMs: number) {
    if (lowerMs > upperMs) throw new RangeError('interval join: lower bound must be <= upper bound');
    const self = this;
    const api = {
      lowerBoundExclusive() {
        self.lowerInclusive = false;
        return api;
      },
      upperBoundExclusive() {
        self.upperInclusive = false;
        return api;
      },
      /** Late elements of the left stream go to this side output of the joined stream instead of being dropped. */
      sideOutputLeftLateData(tag: OutputTag<A>) {
        self.leftLate = tag;
        return api;
      },
      /** Late elements of the right stream go to this side output of the joined stream instead of being dropped. */
      sideOutputRightLateData(tag: OutputTag<B>) {
        self.rightLate = tag;
        return api;
      },
      process<R = never>(fn: (a: A, b: B, ctx: IntervalJoinContext, out: Collector<R>) => void): DataStream<R> {
        const lower = lowerMs + (self.lowerInclusive ? 0 : 1);
        const upper = upperMs - (self.upperInclusive ? 0 : 1);
        return self.left
          .connect(self.right)
          .process<R>(
            new IntervalJoinFunction<K, A, B, R>(lower, upper, fn, self.leftLate, self.rightLate),
            'interval-join',
          );
      },
    };
    return api;
  }
}

type Buffered<T> = [value: T, ts: number][];

class IntervalJoinFunction<K extends Key, A, B, R> implements KeyedCoProcessFunction<K, A, B, R> {
  private lefts!: MapState<number, Buffered<A>>;
  private rights!: MapState<number, Buffered<B>>;
  private readonly pair: IntervalJoinContext = { leftTimestamp: 0, rightTimestamp: 0 };
  constructor(
    private readonly lower: number,
    private readonly upper: number,
    private readonly join: (a: A, b: B, ctx: IntervalJoinContext, out: Collector<R>) => void,
    private readonly leftLate: OutputTag<A> | undefined,
    private readonly rightLate: OutputTag<B> | undefined,
  ) {}
  private droppedLate!: Counter;
  open(ctx: RuntimeContext): void {
    this.droppedLate = ctx.getMetricGroup().counter(NUM_LATE_RECORDS_DROPPED);
    this.lefts = ctx.getMapState(mapState<number, Buffered<A>>('interval-join-left'));
    this.rights = ctx.getMapState(mapState<number, Buffered<B>>('interval-join-right'));
    this.stamped = { collect: (r) => this.emitter.collectWithTimestamp(r, this.outTs) };
  }

  private timestamp(ctx: KeyedContext<K>): number {
    const ts = ctx.timestamp();
    if (ts === undefined) throw new Error('interval join needs event timestamps: assign a WatermarkStrategy');
    return ts;
  }

  private emitter!: TimestampedEmitter;
  private outTs = 0;
  /** Stamps each result with the larger timestamp of the pair (made in open(): per-subtask copies need their own). */
  private stamped!: Collector<R>;

  private emit(a: A, aTs: number, b: B, bTs: number, ctx: KeyedContext<K>): void {
    this.pair.leftTimestamp = aTs;
    this.pair.rightTimestamp = bTs;
    this.emitter = ctx as unknown as TimestampedEmitter;
    this.outTs = Math.max(aTs, bTs);
    this.join(a, b, this.pair, this.stamped);
  }

  private static add<T>(state: MapState<number, Buffered<T>>, value: T, ts: number): void {
    const list = state.get(ts) ?? [];
    list.push([value, ts]);
    state.put(ts, list);
  }

  processElement1(a: A, ctx: KeyedContext<K>, _out: Collector<R>): void {
    const ts = this.timestamp(ctx);
    const wm = ctx.timerService().currentWatermark();
    if (ts <= wm) {
      if (this.leftLate !== undefined) ctx.output(this.leftLate, a);
      else this.droppedLate.inc();
      return;
    }
    IntervalJoinFunction.add(this.lefts, a, ts);
    for (const [bTs, list] of this.rights.entries()) {
      if (bTs < ts + this.lower || bTs > ts + this.upper) continue;
      for (const [b] of list) this.emit(a, ts, b, bTs, ctx);
    }
    ctx.timerService().registerEventTimeTimer(ts + this.upper);
  }

  processElement2(b: B, ctx: KeyedContext<K>, _out: Collector<R>): void {
    const ts = this.timestamp(ctx);
    const wm = ctx.timerService().currentWatermark();
    if (ts <= wm) {
      if (this.rightLate !== undefined) ctx.output(this.rightLate, b);
      else this.droppedLate.inc();
      return;
    }
    IntervalJoinFunction.add(this.rights, b, ts);
    for (const [aTs, list] of this.lefts.entries()) {
      if (ts < aTs + this.lower || ts > aTs + this.upper) continue;
      for (const [a] of list) this.emit(a, aTs, b, ts, ctx);
    }
    ctx.timerService().registerEventTimeTimer(ts - this.lower);
  }

  onTimer(time: number, _ctx: OnTimerContext<K>): void {
    // A left element at t can match right elements up to t + upper; a right one at t left elements down to t - lower.
    for (const ts of this.lefts.keys()) if (ts + this.upper <= time) this.lefts.remove(ts);
    for (const ts of this.rights.keys()) if (ts - this.lower <= time) this.rights.remove(ts);
  }
}
