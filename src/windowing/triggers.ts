import type { StateDescriptor } from '../state/descriptors.js';
import { reducingState } from '../state/descriptors.js';
import type { ReducingState } from '../state/state.js';
import type { Window } from './windows.js';

/** What a trigger decides for a window. FIRE evaluates the window; PURGE drops its contents. */
export type TriggerResult = 'CONTINUE' | 'FIRE' | 'PURGE' | 'FIRE_AND_PURGE';

/** What a trigger may use: timers and state, both scoped to the current key and window. */
export interface TriggerContext {
  currentWatermark(): number;
  currentProcessingTime(): number;
  registerEventTimeTimer(time: number): void;
  registerProcessingTimeTimer(time: number): void;
  deleteEventTimeTimer(time: number): void;
  deleteProcessingTimeTimer(time: number): void;
  getPartitionedState<S>(descriptor: StateDescriptor): S;
}

export interface OnMergeContext extends TriggerContext {
  /** Folds the named state of the merged windows into the current (merged) window. */
  mergePartitionedState(descriptor: StateDescriptor): void;
}

/**
 * Decides when a window is evaluated. Called by the window operator for each element, each timer that the trigger
 * registered, when windows merge, and when a window is cleared (it must delete its timers and state there).
 */
export interface Trigger<T = unknown, W extends Window = Window> {
  onElement(element: T, timestamp: number, window: W, ctx: TriggerContext): TriggerResult;
  onEventTime(time: number, window: W, ctx: TriggerContext): TriggerResult;
  onProcessingTime(time: number, window: W, ctx: TriggerContext): TriggerResult;
  canMerge?(): boolean;
  onMerge?(window: W, ctx: OnMergeContext): void;
  clear(window: W, ctx: TriggerContext): void;
}

/** Fires once the watermark passes the end of the window; the default for event-time assigners. */
export class EventTimeTrigger implements Trigger {
  static create(): EventTimeTrigger {
    return new EventTimeTrigger();
  }
  onElement(_e: unknown, _ts: number, window: Window, ctx: TriggerContext): TriggerResult {
    if (window.maxTimestamp() <= ctx.currentWatermark()) return 'FIRE';
    ctx.registerEventTimeTimer(window.maxTimestamp());
    return 'CONTINUE';
  }
  onEventTime(time: number, window: Window): TriggerResult {
    return time === window.maxTimestamp() ? 'FIRE' : 'CONTINUE';
  }
  onProcessingTime(): TriggerResult {
    return 'CONTINUE';
  }
  canMerge(): boolean {
    return true;
  }
  onMerge(window: Window, ctx: OnMergeContext): void {
    if (window.maxTimestamp() > ctx.currentWatermark()) ctx.registerEventTimeTimer(window.maxTimestamp());
  }
  clear(window: Window, ctx: TriggerContext): void {
    ctx.deleteEventTimeTimer(window.maxTimestamp());
  }
}

/** Fires once the wall clock passes the end of the window; the default for processing-time assigners. */
export class ProcessingTimeTrigger implements Trigger {
  static create(): ProcessingTimeTrigger {
    return new ProcessingTimeTrigger();
  }
  onElement(_e: unknown, _ts: number, window: Window, ctx: TriggerContext): TriggerResult {
    ctx.registerProcessingTimeTimer(window.maxTimestamp());
    return 'CONTINUE';
  }
  onEventTime(): TriggerResult {
    return 'CONTINUE';
  }
  onProcessingTime(time: number, window: Window): TriggerResult {
    return time === window.maxTimestamp() ? 'FIRE' : 'CONTINUE';
  }
  canMerge(): boolean {
    return true;
  }
  onMerge(window: Window, ctx: OnMergeContext): void {
    ctx.registerProcessingTimeTimer(window.maxTimestamp());
  }
  clear(window: Window, ctx: TriggerContext): void {
    ctx.deleteProcessingTimeTimer(window.maxTimestamp());
  }
}

const sum = (a: number, b: number) => a + b;

/** Fires each time the window holds `count` more elements. */
export class CountTrigger implements Trigger {
  private readonly state = reducingState<number>('count-trigger', sum);
  private constructor(private readonly count: number) {}
  static of(count: number): CountTrigger {
    if (!(count > 0)) throw new RangeError('CountTrigger count must be positive');
    return new CountTrigger(count);
  }
  onElement(_e: unknown, _ts: number, _w: Window, ctx: TriggerContext): TriggerResult {
    const counter = ctx.getPartitionedState<ReducingState<number>>(this.state);
    counter.add(1);
    if ((counter.get() ?? 0) >= this.count) {
      counter.clear();
      return 'FIRE';
    }
    return 'CONTINUE';
  }
  onEventTime(): TriggerResult {
    return 'CONTINUE';
  }
  onProcessingTime(): TriggerResult {
    return 'CONTINUE';
  }
  canMerge(): boolean {
    return true;
  }
  onMerge(_w: Window, ctx: OnMergeContext): void {
    ctx.mergePartitionedState(this.state);
  }
  clear(_w: Window, ctx: TriggerContext): void {
    ctx.getPartitionedState<ReducingState<number>>(this.state).clear();
  }
}

/** Turns every FIRE of the wrapped trigger into FIRE_AND_PURGE. */
export class PurgingTrigger<T, W extends Window> implements Trigger<T, W> {
  private constructor(private readonly inner: Trigger<T, W>) {}
  static of<T, W extends Window>(inner: Trigger<T, W>): PurgingTrigger<T, W> {
    return new PurgingTrigger(inner);
  }
  private purge(r: TriggerResult): TriggerResult {
    return r === 'FIRE' ? 'FIRE_AND_PURGE' : r;
  }
  onElement(e: T, ts: number, w: W, ctx: TriggerContext): TriggerResult {
    return this.purge(this.inner.onElement(e, ts, w, ctx));
  }
  onEventTime(time: number, w: W, ctx: TriggerContext): TriggerResult {
    return this.purge(this.inner.onEventTime(time, w, ctx));
  }
  onProcessingTime(time: number, w: W, ctx: TriggerContext): TriggerResult {
    return this.purge(this.inner.onProcessingTime(time, w, ctx));
  }
  canMerge(): boolean {
    return this.inner.canMerge?.() ?? false;
  }
  onMerge(w: W, ctx: OnMergeContext): void {
    this.inner.onMerge?.(w, ctx);
  }
  clear(w: W, ctx: TriggerContext): void {
    this.inner.clear(w, ctx);
  }
}

const min = (a: number, b: number) => Math.min(a, b);

/**
 * Fires every `interval` of event time while the window is open (early results), and at the window's end.
 * Like Flink's ContinuousEventTimeTrigger.
 */
export class ContinuousEventTimeTrigger implements Trigger {
  private readonly next = reducingState<number>('continuous-event-fire', min);
  private constructor(private readonly interval: number) {}
  static of(intervalMs: number): ContinuousEventTimeTrigger {
    return new ContinuousEventTimeTrigger(intervalMs);
  }
  private schedule(from: number, ctx: TriggerContext): void {
    const fire = ctx.getPartitionedState<ReducingState<number>>(this.next);
    if (fire.get() === undefined) {
      const start = from - (((from % this.interval) + this.interval) % this.interval);
      const at = start + this.interval - 1;
      ctx.registerEventTimeTimer(at);
      fire.add(at);
    }
  }
  onElement(_e: unknown, ts: number, window: Window, ctx: TriggerContext): TriggerResult {
    if (window.maxTimestamp() <= ctx.currentWatermark()) return 'FIRE';
    ctx.registerEventTimeTimer(window.maxTimestamp());
    this.schedule(ts, ctx);
    return 'CONTINUE';
  }
  onEventTime(time: number, window: Window, ctx: TriggerContext): TriggerResult {
    if (time === window.maxTimestamp()) return 'FIRE';
    const fire = ctx.getPartitionedState<ReducingState<number>>(this.next);
    if (fire.get() === time) {
      fire.clear();
      ctx.registerEventTimeTimer(time + this.interval);
      fire.add(time + this.interval);
      return 'FIRE';
    }
    return 'CONTINUE';
  }
  onProcessingTime(): TriggerResult {
    return 'CONTINUE';
  }
  canMerge(): boolean {
    return true;
  }
  onMerge(window: Window, ctx: OnMergeContext): void {
    ctx.mergePartitionedState(this.next);
    const at = ctx.getPartitionedState<ReducingState<number>>(this.next).get();
    if (at !== undefined) ctx.registerEventTimeTimer(at);
    if (window.maxTimestamp() > ctx.currentWatermark()) ctx.registerEventTimeTimer(window.maxTimestamp());
  }
  clear(window: Window, ctx: TriggerContext): void {
    const fire = ctx.getPartitionedState<ReducingState<number>>(this.next);
    const at = fire.get();
    if (at !== undefined) ctx.deleteEventTimeTimer(at);
    fire.clear();
    ctx.deleteEventTimeTimer(window.maxTimestamp());
  }
}

/** Fires every `interval` of processing time while the window holds elements. */
export class ContinuousProcessingTimeTrigger implements Trigger {
  private readonly next = reducingState<number>('continuous-processing-fire', min);
  private constructor(private readonly interval: number) {}
  static of(intervalMs: number): ContinuousProcessingTimeTrigger {
    return new ContinuousProcessingTimeTrigger(intervalMs);
  }
  onElement(_e: unknown, _ts: number, _w: Window, ctx: TriggerContext): TriggerResult {
    const fire = ctx.getPartitionedState<ReducingState<number>>(this.next);
    if (fire.get() === undefined) {
      const now = ctx.currentProcessingTime();
      const at = now - (now % this.interval) + this.interval;
      ctx.registerProcessingTimeTimer(at);
      fire.add(at);
    }
    return 'CONTINUE';
  }
  onEventTime(): TriggerResult {
    return 'CONTINUE';
  }
  onProcessingTime(time: number, _w: Window, ctx: TriggerContext): TriggerResult {
    const fire = ctx.getPartitionedState<ReducingState<number>>(this.next);
    if (fire.get() === time) {
      fire.clear();
      ctx.registerProcessingTimeTimer(time + this.interval);
      fire.add(time + this.interval);
      return 'FIRE';
    }
    return 'CONTINUE';
  }
  canMerge(): boolean {
    return true;
  }
  onMerge(_w: Window, ctx: OnMergeContext): void {
    ctx.mergePartitionedState(this.next);
  }
  clear(_w: Window, ctx: TriggerContext): void {
    const fire = ctx.getPartitionedState<ReducingState<number>>(this.next);
    const at = fire.get();
    if (at !== undefined) ctx.deleteProcessingTimeTimer(at);
    fire.clear();
  }
}
