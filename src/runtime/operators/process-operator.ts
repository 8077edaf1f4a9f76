import type { Batch } from '../../core/batch.js';
import type { Key } from '../../core/key.js';
import type { OutputTag } from '../../core/output-tag.js';
import { NO_TIMESTAMP } from '../../core/time.js';
import type { Collector, OnTimerContext, TimeDomain } from '../../functions/context.js';
import type { KeyedProcessFunction } from '../../functions/functions.js';
import type { KeySelector } from '../../plan/nodes.js';
import { AbstractOperator, type OperatorContext } from '../operator.js';
import type { Timer } from '../timer-queue.js';
import { closeFunction, KeyedTimers, nonKeyedTimerService, openFunction, userError } from './support.js';

/**
 * Runs a ProcessFunction (non-keyed) or KeyedProcessFunction (when `keySelector` is set: keyed state and timers).
 * Output records carry the input record's timestamp; records emitted from an event-time timer carry the timer's time.
 */
export class ProcessOperator extends AbstractOperator implements OnTimerContext<Key> {
  private timers: KeyedTimers | undefined;
  private ts = NO_TIMESTAMP;
  private domain: TimeDomain = 'eventTime';
  private readonly collector: Collector<unknown> = { collect: (v) => this.out.collect(v, this.ts) };

  constructor(
    private readonly fn: KeyedProcessFunction<Key, unknown, unknown>,
    private readonly keySelector: KeySelector | undefined,
  ) {
    super();
  }

  override async open(ctx: OperatorContext): Promise<void> {
    super.open(ctx);
    if (this.keySelector !== undefined) this.timers = new KeyedTimers(ctx);
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

  processBatch(batch: Batch): void {
    const { values, timestamps } = batch;
    const fn = this.fn;
    const select = this.keySelector as ((v: unknown) => Key) | undefined;
    const state = this.ctx.keyedState;
    let i = 0;
    try {
      for (; i < values.length; i++) {
        const v = values[i];
        this.ts = timestamps[i]!;
        if (select !== undefined) state!.setCurrentKey(select(v));
        fn.processElement(v, this, this.collector);
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

  override endInput(): void {
    // Bounded input: processing-time timers pending now fire once; ones they register are dropped.
    const timers = this.timers?.processingTimers;
    if (timers === undefined) return;
    const pending = timers.all();
    for (const t of pending) timers.delete(t.key, t.namespace, t.time);
    pending.sort((a, b) => a.time - b.time);
    for (const t of pending) this.fire(t, 'processingTime');
  }

  override async close(): Promise<void> {
    await closeFunction(this.fn);
  }
}
