import type { Batch } from '../../core/batch.js';
import type { Key } from '../../core/key.js';
import type { OutputTag } from '../../core/output-tag.js';
import { NO_TIMESTAMP } from '../../core/time.js';
import type { Collector, OnTimerContext, TimeDomain, TimestampedEmitter } from '../../functions/context.js';
import type { CoFlatMapFunction, KeyedCoProcessFunction } from '../../functions/functions.js';
import type { KeySelector } from '../../plan/nodes.js';
import { AbstractOperator, type OperatorContext } from '../operator.js';
import type { Timer } from '../timer-queue.js';
import { closeFunction, KeyedTimers, nonKeyedTimerService, openFunction, userError } from './support.js';

type AnyCoFunction = Partial<KeyedCoProcessFunction<Key, unknown, unknown, unknown>> &
  Partial<CoFlatMapFunction<unknown, unknown, unknown>>;

/**
 * Two inputs, one function: CoProcessFunction, KeyedCoProcessFunction (keyed state and timers shared by both inputs,
 * when `keySelectors` is set) or CoFlatMapFunction. The operator's watermark is the minimum of both inputs'.
 */
export class CoProcessOperator extends AbstractOperator implements OnTimerContext<Key>, TimestampedEmitter {
  private timers: KeyedTimers | undefined;
  private ts = NO_TIMESTAMP;
  private domain: TimeDomain = 'eventTime';
  private readonly collector: Collector<unknown> = { collect: (v) => this.out.collect(v, this.ts) };

  constructor(
    private readonly fn: AnyCoFunction,
    private readonly keySelectors: [KeySelector, KeySelector] | undefined,
  ) {
    super();
  }

  override async open(ctx: OperatorContext): Promise<void> {
    super.open(ctx);
    if (this.keySelectors !== undefined) this.timers = new KeyedTimers(ctx);
    await openFunction(this.fn, ctx);
  }

  timestamp(): number | undefined {
    return this.ts === NO_TIMESTAMP ? undefined : this.ts;
  }
  timerService() {
    return this.timers?.service ?? nonKeyedTimerService(this.ctx);
  }
  output<X>(tag: OutputTag<X>, value: X): void {
    this.out.collectSide(tag as OutputTag<unknown>, value, this.ts);
  }
  getCurrentKey(): Key {
    return this.ctx.keyedState!.getCurrentKey();
  }
  timeDomain(): TimeDomain {
    return this.domain;
  }
  collectWithTimestamp(value: unknown, timestamp: number): void {
    this.out.collect(value, timestamp);
  }

  processBatch(batch: Batch, input: number): void {
    const { values, timestamps } = batch;
    const fn = this.fn;
    const select = this.keySelectors?.[input] as ((v: unknown) => Key) | undefined;
    const state = this.ctx.keyedState;
    const isFlatMap = fn.flatMap1 !== undefined;
    let i = 0;
    try {
      for (; i < values.length; i++) {
        const v = values[i];
        this.ts = timestamps[i]!;
        if (select !== undefined) state!.setCurrentKey(select(v));
        if (isFlatMap) {
          if (input === 0) fn.flatMap1!(v, this.collector);
          else fn.flatMap2!(v, this.collector);
        } else if (input === 0) fn.processElement1!(v, this, this.collector);
        else fn.processElement2!(v, this, this.collector);
      }
    } catch (e) {
      throw userError(this.ctx, values[i], e);
    }
  }

  private fire(timer: Timer, domain: TimeDomain): void {
    this.ctx.keyedState!.setCurrentKey(timer.key);
    this.ts = domain === 'eventTime' ? timer.time : NO_TIMESTAMP;
    this.domain = domain;
    try {
      this.fn.onTimer?.(timer.time, this, this.collector);
    } catch (e) {
      throw userError(this.ctx, { timer: timer.time, key: timer.key }, e);
    }
  }

  override processWatermark(watermark: number): void {
    this.timers?.eventTimers.fireUpTo(watermark, (t) => this.fire(t, 'eventTime'));
    this.out.emitWatermark(watermark);
  }
  nextProcessingTime(): number | undefined {
    return this.timers?.nextProcessingTime();
  }
  onProcessingTime(now: number): void {
    this.timers?.processingTimers.fireUpTo(now, (t) => this.fire(t, 'processingTime'));
  }
  override async close(): Promise<void> {
    await closeFunction(this.fn);
  }
}
