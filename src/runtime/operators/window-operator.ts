import type { Batch } from '../../core/batch.js';
import type { Key } from '../../core/key.js';
import type { OutputTag } from '../../core/output-tag.js';
import { NO_TIMESTAMP } from '../../core/time.js';
import type { Collector, Counter } from '../../functions/context.js';
import type { KeySelector, WindowSpec } from '../../plan/nodes.js';
import {
  type AggregateFunction,
  aggregatingState,
  listState,
  type StateDescriptor,
  valueState,
} from '../../state/descriptors.js';
import type { NamespacedState } from '../../state/keyed-state-backend.js';
import type { AggregatingState, ListState, ValueState } from '../../state/state.js';
import type { WindowAssigner } from '../../windowing/assigners.js';
import type { TimestampedValue } from '../../windowing/evictors.js';
import { EventTimeTrigger, type OnMergeContext, type TriggerResult } from '../../windowing/triggers.js';
import type { ProcessWindowContext } from '../../windowing/window-function.js';
import { GlobalWindow, TimeWindow, type Window } from '../../windowing/windows.js';
import { preAggregationSlicing } from '../local-aggregation.js';
import { AbstractOperator, type OperatorContext } from '../operator.js';
import { NUM_LATE_RECORDS_DROPPED } from '../operator-metrics.js';
import type { Timer, TimerQueue } from '../timer-queue.js';
import { type MergedWindowEntry, MergingWindowSet } from './merging-window-set.js';
import { closeFunction, openFunction, runtimeContextFor, userError } from './support.js';
import { SliceGeometry } from './window-slices.js';

/** The aggregate of a window fed by local aggregation: its inputs are partial accumulators, merged into a slice's. */
function mergingPartials(
  agg: AggregateFunction<unknown, unknown, unknown>,
): AggregateFunction<unknown, unknown, unknown> {
  return {
    createAccumulator: () => agg.createAccumulator(),
    add: (partial, acc) => agg.merge!(acc, partial),
    getResult: (acc) => agg.getResult(acc),
    merge: (a, b) => agg.merge!(a, b),
  };
}

type Contents = (AggregatingState<unknown, unknown> | ListState<unknown>) & NamespacedState;
type Accumulators = AggregatingState<unknown, unknown> & NamespacedState & { getAccumulator(): unknown };

/** Timer namespace of a sliced window: the timer's time is the window's maximum timestamp. */
const SLICED_WINDOW = 'sliced';

/**
 * The window operator: assigns elements to windows, keeps per-(key, window) contents in keyed state (an accumulator
 * when the window pre-aggregates, else the element list), asks the trigger what to do on elements and timers, and
 * clears a window's state at its cleanup time (end + allowed lateness). Merging assigners (sessions) merge windows
 * and their state as elements arrive. Elements later than the allowed lateness go to the late-data side output when
 * one is set, else they are counted as dropped late records.
 *
 * Aligned sliding event-time windows with an incremental aggregate that can merge, the default trigger, no evictor
 * and no allowed lateness are sliced (see {@link SliceGeometry}): per element one accumulator update instead of one
 * per overlapping window.
 */
export class WindowOperator extends AbstractOperator implements OnMergeContext {
  private contents!: Contents;
  private sessions: MergingWindowSet | undefined;
  private eventTimers!: TimerQueue;
  private processingTimers!: TimerQueue;
  private window: Window = GlobalWindow.INSTANCE;
  private mergedNamespaces: string[] = [];
  private outTs = NO_TIMESTAMP;
  private readonly collector: Collector<unknown> = { collect: (v) => this.out.collect(v, this.outTs) };
  private windowCtx!: ProcessWindowContext<Window>;
  /** Late records dropped because no late-data side output was set (`numLateRecordsDropped`). */
  private droppedLate!: Counter;
  /** The default event-time trigger on non-merging windows: per-element trigger work is done inline. */
  private eventTimeFastPath = false;
  /**
   * Sessions with the default event-time trigger and no allowed lateness: the one timer of a session is kept under
   * its state namespace, which does not change as the session grows, so extending a session allocates nothing.
   */
  private sessionFastPath = false;
  /** Set when windows are evaluated from slices. */
  private slices: SliceGeometry | undefined;

  constructor(
    private readonly spec: WindowSpec,
    private readonly keySelector: KeySelector | undefined,
  ) {
    super();
  }

  override async open(ctx: OperatorContext): Promise<void> {
    super.open(ctx);
    this.droppedLate = ctx.metrics.counter(NUM_LATE_RECORDS_DROPPED);
    this.eventTimers = ctx.createTimerQueue('eventTime');
    this.processingTimers = ctx.createTimerQueue('processingTime');
    const backend = ctx.keyedState!;
    const keepsElements = this.spec.aggregate === undefined || this.spec.evictor !== undefined;
    const d: StateDescriptor = keepsElements
      ? listState('window-contents')
      : aggregatingState(
          'window-contents',
          this.spec.partials ? mergingPartials(this.spec.aggregate!) : this.spec.aggregate!,
        );
    this.contents = backend.getState<Contents>(d);
    this.eventTimeFastPath =
      this.spec.trigger instanceof EventTimeTrigger && this.spec.assigner.mergeWindows === undefined;
    const slicing = this.spec.assigner.slicing;
    if (
      slicing !== undefined &&
      SliceGeometry.applies(slicing) &&
      this.spec.assigner.isEventTime &&
      this.eventTimeFastPath &&
      !keepsElements &&
      this.spec.aggregate?.merge !== undefined &&
      this.spec.allowedLatenessMs === 0
    ) {
      this.slices = new SliceGeometry(slicing);
    }
    if (this.spec.partials) {
      // The local aggregation sliced the records by this geometry (tumbling windows: one slice per window).
      this.slices = new SliceGeometry(preAggregationSlicing(this.spec)!);
    }
    if (this.spec.assigner.mergeWindows !== undefined) {
      this.sessions = new MergingWindowSet(
        backend.getState<ValueState<MergedWindowEntry[]>>(valueState('merged-windows')),
        this.spec.assigner as WindowAssigner<unknown, TimeWindow>,
      );
      this.sessionFastPath =
        this.spec.trigger instanceof EventTimeTrigger &&
        this.spec.assigner.mergesIntersecting === true &&
        this.spec.allowedLatenessMs === 0;
    }
    const rc = runtimeContextFor(ctx);
    const scoped = <T extends (d: never) => unknown>(get: T): T =>
      ((desc: never) => {
        const s = get(desc) as NamespacedState;
        s.setNamespace(this.window.namespace);
        return s;
      }) as unknown as T;
    const self = this;
    this.windowCtx = {
      get window() {
        return self.window;
      },
      currentWatermark: () => ctx.currentWatermark(),
      currentProcessingTime: () => ctx.currentProcessingTime(),
      output: <X>(tag: OutputTag<X>, value: X) => this.out.collectSide(tag as OutputTag<unknown>, value, this.outTs),
      windowState: {
        getState: scoped(rc.getState),
        getListState: scoped(rc.getListState),
        getMapState: scoped(rc.getMapState),
      },
      globalState: rc,
    } as ProcessWindowContext<Window>;
    await openFunction(this.spec.windowFunction, ctx);
  }

  // ---- TriggerContext (scoped to the current key and this.window) ----
  currentWatermark(): number {
    return this.ctx.currentWatermark();
  }
  currentProcessingTime(): number {
    return this.ctx.currentProcessingTime();
  }
  private key(): Key {
    return this.ctx.keyedState!.getCurrentKey();
  }
  registerEventTimeTimer(time: number): void {
    this.eventTimers.register(this.key(), this.window.namespace, time);
  }
  registerProcessingTimeTimer(time: number): void {
    this.processingTimers.register(this.key(), this.window.namespace, time);
    this.ctx.wakeup();
  }
  deleteEventTimeTimer(time: number): void {
    this.eventTimers.delete(this.key(), this.window.namespace, time);
  }
  deleteProcessingTimeTimer(time: number): void {
    this.processingTimers.delete(this.key(), this.window.namespace, time);
  }
  getPartitionedState<S>(descriptor: StateDescriptor): S {
    const s = this.ctx.keyedState!.getState<S>(descriptor);
    s.setNamespace(this.window.namespace);
    return s;
  }
  mergePartitionedState(descriptor: StateDescriptor): void {
    const s = this.ctx.keyedState!.getState<NamespacedState>(descriptor);
    s.mergeNamespaces(this.window.namespace, this.mergedNamespaces);
  }

  // ---- elements ----
  private cleanupTime(w: Window): number {
    return this.spec.assigner.isEventTime ? w.maxTimestamp() + this.spec.allowedLatenessMs : w.maxTimestamp();
  }
  private isWindowLate(w: Window): boolean {
    return this.spec.assigner.isEventTime && this.cleanupTime(w) <= this.ctx.currentWatermark();
  }

  processBatch(batch: Batch): void {
    if (this.spec.partials) {
      this.processPartials(batch);
      return;
    }
    const { values, timestamps } = batch;
    const select = this.keySelector as ((v: unknown) => Key) | undefined;
    const backend = this.ctx.keyedState!;
    let i = 0;
    try {
      for (; i < values.length; i++) {
        const v = values[i];
        const ts = timestamps[i]!;
        backend.setCurrentKey(select === undefined ? 0 : select(v));
        this.processElement(v, ts);
      }
    } catch (e) {
      throw userError(this.ctx, values[i], e);
    }
  }

  private processElement(v: unknown, ts: number): void {
    if (this.slices !== undefined) {
      this.processSliced(v, ts);
      return;
    }
    const spec = this.spec;
    const windows = spec.assigner.assignWindows(v, ts, this.ctx);
    if (this.sessionFastPath) {
      for (const w of windows) this.addToSessionFast(v, ts, w as TimeWindow);
      return;
    }
    let skipped = true;
    const element = spec.evictor === undefined ? v : ({ value: v, timestamp: ts } satisfies TimestampedValue<unknown>);
    for (const assigned of windows) {
      const w = this.sessions === undefined ? assigned : this.addToSessions(assigned as TimeWindow);
      if (w === undefined || this.isWindowLate(w)) continue;
      skipped = false;
      this.window = w;
      this.contents.setNamespace(this.contentsNamespace(w));
      const created = this.contents.append(element);
      if (this.eventTimeFastPath) {
        // What EventTimeTrigger.onElement does, minus re-registering timers that exist since the window was created.
        if (w.maxTimestamp() <= this.ctx.currentWatermark()) this.apply('FIRE', w);
        else if (created) this.registerEventTimeTimer(w.maxTimestamp());
        if (created) this.registerCleanupTimer(w);
        continue;
      }
      this.apply(spec.trigger.onElement(v, ts, w, this), w);
      this.registerCleanupTimer(w);
    }
    if (skipped && spec.assigner.isEventTime && ts + spec.allowedLatenessMs <= this.ctx.currentWatermark()) {
      if (spec.lateDataTag !== undefined) this.out.collectSide(spec.lateDataTag, v, ts);
      else this.droppedLate.inc();
    }
  }

  private processSliced(v: unknown, ts: number): void {
    const g = this.slices!;
    const watermark = this.ctx.currentWatermark();
    if (!Number.isFinite(ts)) this.spec.assigner.assignWindows(v, ts, this.ctx); // throws the assigner's error
    if (g.lastWindowEnd(ts) - 1 <= watermark) {
      if (this.spec.lateDataTag !== undefined) this.out.collectSide(this.spec.lateDataTag, v, ts);
      else this.droppedLate.inc();
      return;
    }
    const start = g.sliceStart(ts);
    this.contents.setNamespace(g.namespace(start));
    if (!this.contents.append(v)) return;
    // A new slice for this key: every window containing it must fire (registering an existing timer is cheap).
    const key = this.key();
    g.forEachWindowEnd(start, (end) => {
      if (end - 1 > watermark) this.eventTimers.register(key, SLICED_WINDOW, end - 1);
    });
  }

  /**
   * Merges `[key, acc, sliceStart, records]` partials of a local aggregation into their slices. Lateness is the
   * slice's: every record of a slice has the same newest window, so all of them are late or none is.
   */
  private processPartials(batch: Batch): void {
    const values = batch.values as [Key, unknown, number, number][];
    const backend = this.ctx.keyedState!;
    const g = this.slices!;
    let i = 0;
    try {
      for (; i < values.length; i++) {
        const [key, acc, start, records] = values[i]!;
        const watermark = this.ctx.currentWatermark();
        if (g.lastWindowEnd(start) - 1 <= watermark) {
          this.droppedLate.inc(records);
          continue;
        }
        backend.setCurrentKey(key);
        this.contents.setNamespace(g.namespace(start));
        if (!this.contents.append(acc)) continue;
        g.forEachWindowEnd(start, (end) => {
          if (end - 1 > watermark) this.eventTimers.register(key, SLICED_WINDOW, end - 1);
        });
      }
    } catch (e) {
      throw userError(this.ctx, values[i], e);
    }
  }

  /** Fires the sliced window whose maximum timestamp is `time`, then drops slices no later window contains. */
  private fireSliced(time: number): void {
    const g = this.slices!;
    const agg = this.spec.aggregate!;
    const contents = this.contents as Accumulators;
    const end = time + 1;
    const start = end - g.size;
    let acc: unknown;
    let any = false;
    for (let s = start; s < end; s += g.unit) {
      contents.setNamespace(g.namespace(s));
      const sliceAcc = contents.getAccumulator();
      if (sliceAcc === undefined) continue;
      // A window of one slice (tumbling) is cleared after firing: its accumulator needs no copy.
      acc = g.unit === g.size ? sliceAcc : agg.merge!(any ? acc : agg.createAccumulator(), sliceAcc);
      any = true;
    }
    this.window = new TimeWindow(start, end);
    if (any) {
      this.outTs = time;
      this.callWindowFunction(this.key(), [agg.getResult(acc)]);
    }
    this.spec.windowFunction?.clear?.(this.windowCtx);
    for (let s = start; s < start + g.slide; s += g.unit) {
      contents.setNamespace(g.namespace(s));
      contents.clear();
    }
  }

  private addToSessionFast(v: unknown, ts: number, w: TimeWindow): void {
    const sessions = this.sessions!;
    const key = this.key();
    const merged = sessions.add(w, (_merged, previous, stateNamespace, previousStates) => {
      if (previousStates.length > 0) this.contents.mergeNamespaces(stateNamespace, previousStates);
      for (const [, end, ns] of previous) this.eventTimers.delete(key, ns, end - 1);
    });
    const stateNamespace = sessions.stateNamespace;
    if (merged.maxTimestamp() <= this.ctx.currentWatermark()) {
      // Only a new session can be late (a live one ends after the watermark): it never opens.
      sessions.remove(merged);
      if (this.spec.lateDataTag !== undefined) this.out.collectSide(this.spec.lateDataTag, v, ts);
      else this.droppedLate.inc();
      return;
    }
    this.contents.setNamespace(stateNamespace);
    this.contents.append(
      this.spec.evictor === undefined ? v : ({ value: v, timestamp: ts } satisfies TimestampedValue<unknown>),
    );
    this.eventTimers.register(key, stateNamespace, merged.maxTimestamp());
  }

  /** Fires and cleans up the session whose timer (under its state namespace) is due, unless the timer is stale. */
  private fireSessionFast(timer: Timer): void {
    const sessions = this.sessions!;
    const entry = sessions.entryOf(timer.namespace);
    if (entry === undefined || entry[1] - 1 !== timer.time) return;
    sessions.stateNamespace = entry[2];
    const w = new TimeWindow(entry[0], entry[1]);
    this.window = w;
    this.emit(w);
    this.clearAllState(w);
  }

  /** Adds a new window to the merged windows of the current key; returns the window the element belongs to. */
  private addToSessions(w: TimeWindow): TimeWindow {
    return this.sessions!.add(w, (merged, previous, stateNamespace, previousStates) => {
      const previousWindows = previous.map(([s, e]) => new TimeWindow(s, e));
      this.window = merged;
      this.mergedNamespaces = previousWindows.map((x) => x.namespace);
      if (previousStates.length > 0) this.contents.mergeNamespaces(stateNamespace, previousStates);
      this.spec.trigger.onMerge?.(merged, this);
      for (const old of previousWindows) {
        this.window = old;
        this.spec.trigger.clear(old, this);
        this.deleteCleanupTimer(old);
      }
    });
  }

  /** Where the contents of window `w` live: its own namespace, or for merging windows its state window's. */
  private contentsNamespace(w: Window): string {
    return this.sessions === undefined ? w.namespace : this.sessions.stateNamespace;
  }

  private registerCleanupTimer(w: Window): void {
    const t = this.cleanupTime(w);
    if (t === Number.POSITIVE_INFINITY && !(w instanceof GlobalWindow)) return;
    this.window = w;
    if (this.spec.assigner.isEventTime) this.registerEventTimeTimer(t);
    else this.registerProcessingTimeTimer(t);
  }
  private deleteCleanupTimer(w: Window): void {
    const t = this.cleanupTime(w);
    this.window = w;
    if (this.spec.assigner.isEventTime) this.deleteEventTimeTimer(t);
    else this.deleteProcessingTimeTimer(t);
  }

  private apply(result: TriggerResult, w: Window): void {
    if (result === 'CONTINUE') return;
    if (result === 'FIRE' || result === 'FIRE_AND_PURGE') this.emit(w);
    if (result === 'PURGE' || result === 'FIRE_AND_PURGE') {
      this.contents.setNamespace(this.contentsNamespace(w));
      this.contents.clear();
    }
  }

  private emit(w: Window): void {
    this.contents.setNamespace(this.contentsNamespace(w));
    const spec = this.spec;
    this.window = w;
    this.outTs = w.maxTimestamp();
    const key = this.key();
    let elements: unknown[];
    if (spec.evictor !== undefined) {
      const list = (this.contents as ListState<TimestampedValue<unknown>>).get();
      if (list.length === 0) return;
      spec.evictor.evictBefore(list, w, this);
      let input: unknown[] = list.map((e) => e.value);
      if (spec.aggregate !== undefined) {
        let acc = spec.aggregate.createAccumulator();
        for (const x of input) acc = spec.aggregate.add(x, acc);
        input = [spec.aggregate.getResult(acc)];
      }
      this.callWindowFunction(key, input);
      spec.evictor.evictAfter(list, w, this);
      (this.contents as ListState<TimestampedValue<unknown>>).update(list);
      return;
    }
    if (spec.aggregate !== undefined) {
      if (this.contents.isEmpty()) return;
      elements = [(this.contents as AggregatingState<unknown, unknown>).get()];
    } else {
      elements = (this.contents as ListState<unknown>).get();
      if (elements.length === 0) return;
    }
    this.callWindowFunction(key, elements);
  }

  private callWindowFunction(key: Key, elements: unknown[]): void {
    const fn = this.spec.windowFunction;
    if (fn === undefined) {
      for (const e of elements) this.collector.collect(e);
      return;
    }
    // A window function emits through the collector or returns its results (which lets TypeScript infer them).
    const returned = fn.process(key, this.windowCtx, elements, this.collector);
    if (returned !== undefined) for (const r of returned) this.collector.collect(r);
  }

  private clearAllState(w: Window): void {
    this.window = w;
    this.contents.setNamespace(this.contentsNamespace(w));
    this.contents.clear();
    this.spec.trigger.clear(w, this);
    this.spec.windowFunction?.clear?.(this.windowCtx);
    if (this.sessions !== undefined && w instanceof TimeWindow) this.sessions.remove(w);
  }

  /** The window of a timer's namespace; the last one is kept, as the timers of one time mostly share a window. */
  private windowOf(namespace: string): Window {
    if (namespace === this.lastTimerWindow?.namespace) return this.lastTimerWindow;
    const w =
      namespace === GlobalWindow.INSTANCE.namespace ? GlobalWindow.INSTANCE : TimeWindow.fromNamespace(namespace);
    this.lastTimerWindow = w;
    return w;
  }
  private lastTimerWindow: Window | undefined;

  private onTimer(timer: Timer, eventTime: boolean): void {
    this.ctx.keyedState!.setCurrentKey(timer.key);
    if (timer.namespace === SLICED_WINDOW) {
      this.fireSliced(timer.time);
      return;
    }
    if (this.sessionFastPath && eventTime) {
      this.fireSessionFast(timer);
      return;
    }
    const w = this.windowOf(timer.namespace);
    // A timer of a window that has since merged into a larger one is stale.
    if (this.sessions !== undefined && this.sessions.stateNamespaceOf(w as TimeWindow) === undefined) return;
    this.window = w;
    this.contents.setNamespace(this.contentsNamespace(w));
    const trigger = this.spec.trigger;
    const result = eventTime ? trigger.onEventTime(timer.time, w, this) : trigger.onProcessingTime(timer.time, w, this);
    this.apply(result, w);
    if (this.spec.assigner.isEventTime === eventTime && timer.time === this.cleanupTime(w)) this.clearAllState(w);
  }

  override processWatermark(watermark: number): void {
    try {
      this.eventTimers.fireUpTo(watermark, (t) => this.onTimer(t, true));
    } catch (e) {
      throw userError(this.ctx, { window: this.window.toString(), key: this.key() }, e);
    }
    this.out.emitWatermark(watermark);
  }

  nextProcessingTime(): number | undefined {
    return this.processingTimers.peekTime();
  }

  onProcessingTime(now: number): void {
    this.processingTimers.fireUpTo(now, (t) => this.onTimer(t, false));
  }

  override endInput(): void {
    // Bounded input: fire every processing-time timer pending now, once.
    const pending = this.processingTimers.all().sort((a, b) => a.time - b.time);
    for (const t of pending) this.processingTimers.delete(t.key, t.namespace, t.time);
    for (const t of pending) this.onTimer(t, false);
  }

  override async close(): Promise<void> {
    await closeFunction(this.spec.windowFunction);
  }
}
