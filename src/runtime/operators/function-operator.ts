import { PlanError } from '../../core/errors.js';
import type { Key } from '../../core/key.js';
import type { OutputTag } from '../../core/output-tag.js';
import { MAX_WATERMARK, NO_TIMESTAMP } from '../../core/time.js';
import type {
  Collector,
  KeyedStateAccess,
  OnTimerContext,
  TimeDomain,
  TimerService,
  TimestampedCollector,
  TimestampedEmitter,
} from '../../functions/context.js';
import { AbstractOperator, type FunctionListSnapshot, type OperatorContext } from '../operator.js';
import type { Timer } from '../timer-queue.js';
import {
  closeFunction,
  KeyedTimers,
  nonKeyedTimerService,
  openFunction,
  restoreFunctionList,
  snapshotFunctionList,
  userError,
} from './support.js';

/** A non-keyed function's optional watermark callback (`ProcessFunction.onWatermark`). */
interface WatermarkHook {
  onWatermark?(watermark: number, out: TimestampedCollector<unknown>): void;
}

/**
 * What the process-function operators share: the user function's lifecycle, the context object handed to it (the
 * operator itself: timestamp, timers, side outputs, current key), keyed timers and their firing.
 *
 * Output records carry the timestamp of the input record; from an event-time timer, the timer's time.
 * A non-keyed function's `onWatermark` runs after the event-time timers, before the watermark is forwarded.
 * On bounded input, processing-time timers pending at the end fire once (timers they register are dropped).
 * With `watermarkDelayMs` > 0 the forwarded watermark lags the input watermark by that much (timers fire on the
 * input watermark); the final watermark is forwarded as is.
 */
export abstract class FunctionOperator<F extends object>
  extends AbstractOperator
  implements OnTimerContext<Key>, TimestampedEmitter, KeyedStateAccess
{
  protected timers: KeyedTimers | undefined;
  protected ts = NO_TIMESTAMP;
  private domain: TimeDomain = 'eventTime';
  private watermarkHook: WatermarkHook['onWatermark'];
  protected readonly collector: TimestampedCollector<unknown> = {
    collect: (v) => this.out.collect(v, this.ts),
    collectWithTimestamp: (v, timestamp) => this.out.collect(v, timestamp),
  };

  constructor(
    protected readonly fn: F,
    private readonly keyed: boolean,
    private readonly watermarkDelayMs = 0,
  ) {
    super();
  }

  override async open(ctx: OperatorContext): Promise<void> {
    super.open(ctx);
    if (this.keyed) this.timers = new KeyedTimers(ctx);
    this.watermarkHook = (this.fn as WatermarkHook).onWatermark;
    if (this.keyed && this.watermarkHook !== undefined) {
      // No key is current when a watermark arrives: keyed state read there would be some record's, silently.
      throw new PlanError(
        `operator '${ctx.name}': onWatermark is for non-keyed functions; a keyed function registers event-time timers`,
      );
    }
    await openFunction(this.fn, ctx, true);
  }

  snapshotList(checkpointId: number): FunctionListSnapshot | undefined {
    return snapshotFunctionList(this.fn, this.ctx, checkpointId);
  }

  restoreList(lists: readonly (FunctionListSnapshot | undefined)[]): void {
    restoreFunctionList(this.fn, this.ctx, lists);
  }

  // ---- the context given to the user function ----
  timestamp(): number | undefined {
    return this.ts === NO_TIMESTAMP ? undefined : this.ts;
  }
  timerService(): TimerService {
    return this.timers?.service ?? nonKeyedTimerService(this.ctx);
  }
  output<X>(tag: OutputTag<X>, value: X): void {
    this.out.collectSide(tag as OutputTag<unknown>, value, this.ts);
  }
  getCurrentKey(): Key {
    return this.ctx.keyedState!.getCurrentKey();
  }
  setCurrentKey(key: Key): void {
    this.ctx.keyedState!.setCurrentKey(key);
  }
  forEachKey(stateName: string, visit: (key: Key) => void): void {
    this.ctx.keyedState!.forEachKey(stateName, visit);
  }
  timeDomain(): TimeDomain {
    return this.domain;
  }
  collectWithTimestamp(value: unknown, timestamp: number): void {
    this.out.collect(value, timestamp);
  }

  // ---- timers ----
  /** Calls the user function's timer callback. */
  protected abstract onTimer(time: number): void;

  private fire(timer: Timer, domain: TimeDomain): void {
    this.ctx.keyedState!.setCurrentKey(timer.key);
    this.ts = domain === 'eventTime' ? timer.time : NO_TIMESTAMP;
    this.domain = domain;
    try {
      this.onTimer(timer.time);
    } catch (e) {
      throw userError(this.ctx, { timer: timer.time, key: timer.key }, e);
    }
  }

  override processWatermark(watermark: number): void {
    this.timers?.eventTimers.fireUpTo(watermark, (t) => this.fire(t, 'eventTime'));
    if (this.watermarkHook !== undefined) this.callWatermarkHook(this.watermarkHook, watermark);
    // MAX_WATERMARK - d is still MAX_WATERMARK (infinity); the explicit case keeps that obvious.
    const delay = this.watermarkDelayMs;
    this.out.emitWatermark(delay === 0 || watermark === MAX_WATERMARK ? watermark : watermark - delay);
  }

  private callWatermarkHook(hook: NonNullable<WatermarkHook['onWatermark']>, watermark: number): void {
    this.ts = watermark === MAX_WATERMARK ? NO_TIMESTAMP : watermark;
    try {
      hook.call(this.fn, watermark, this.collector);
    } catch (e) {
      throw userError(this.ctx, { watermark }, e);
    }
  }

  nextProcessingTime(): number | undefined {
    return this.timers?.nextProcessingTime();
  }

  onProcessingTime(now: number): void {
    this.timers?.processingTimers.fireUpTo(now, (t) => this.fire(t, 'processingTime'));
  }

  override endInput(): void {
    const timers = this.timers?.processingTimers;
    if (timers !== undefined) {
      const pending = timers.all().sort((a, b) => a.time - b.time);
      for (const t of pending) timers.delete(t.key, t.namespace, t.time);
      for (const t of pending) this.fire(t, 'processingTime');
    }
    const end = (this.fn as { endInput?: (out: Collector<unknown>) => void }).endInput;
    if (end !== undefined) {
      this.ts = NO_TIMESTAMP;
      try {
        end.call(this.fn, this.collector);
      } catch (e) {
        throw userError(this.ctx, { endInput: true }, e);
      }
    }
  }

  override async close(): Promise<void> {
    await closeFunction(this.fn);
  }
}
