import type { Batch } from '../../core/batch.js';
import type { Key } from '../../core/key.js';
import type { OutputTag } from '../../core/output-tag.js';
import { NO_TIMESTAMP } from '../../core/time.js';
import type { Collector, TimeDomain } from '../../functions/context.js';
import type { KeyedBroadcastProcessFunction, ReadOnlyBroadcastState } from '../../functions/functions.js';
import type { KeySelector } from '../../plan/nodes.js';
import type { MapStateDescriptor } from '../../state/descriptors.js';
import type { MapState } from '../../state/state.js';
import { AbstractOperator, type OperatorContext } from '../operator.js';
import type { Timer } from '../timer-queue.js';
import { closeFunction, KeyedTimers, nonKeyedTimerService, openFunction, userError } from './support.js';

/** Broadcast state: one map per descriptor name, identical on every subtask. */
class BroadcastMap implements MapState<unknown, unknown>, ReadOnlyBroadcastState<unknown, unknown> {
  readonly map = new Map<unknown, unknown>();
  get(k: unknown) {
    return this.map.get(k);
  }
  put(k: unknown, v: unknown) {
    this.map.set(k, v);
  }
  putAll(entries: Iterable<[unknown, unknown]>) {
    for (const [k, v] of entries) this.map.set(k, v);
  }
  remove(k: unknown) {
    this.map.delete(k);
  }
  contains(k: unknown) {
    return this.map.has(k);
  }
  entries() {
    return [...this.map.entries()];
  }
  keys() {
    return [...this.map.keys()];
  }
  values() {
    return [...this.map.values()];
  }
  isEmpty() {
    return this.map.size === 0;
  }
  clear() {
    this.map.clear();
  }
}

/**
 * Input 0 is the (possibly keyed) main stream, input 1 the broadcast stream. Broadcast elements reach every subtask
 * and may update broadcast state; main elements see it read-only. Keyed variants also get keyed state and timers.
 */
export class BroadcastProcessOperator extends AbstractOperator {
  private readonly states = new Map<string, BroadcastMap>();
  private timers: KeyedTimers | undefined;
  private ts = NO_TIMESTAMP;
  private domain: TimeDomain = 'eventTime';
  private readonly collector: Collector<unknown> = { collect: (v) => this.out.collect(v, this.ts) };
  private writable = false;
  private readonly context = {
    timestamp: () => (this.ts === NO_TIMESTAMP ? undefined : this.ts),
    timerService: () => this.timers?.service ?? nonKeyedTimerService(this.ctx),
    output: <X>(tag: OutputTag<X>, value: X) => this.out.collectSide(tag as OutputTag<unknown>, value, this.ts),
    getCurrentKey: () => this.ctx.keyedState!.getCurrentKey(),
    timeDomain: () => this.domain,
    getBroadcastState: (d: MapStateDescriptor<unknown, unknown>) => {
      let s = this.states.get(d.name);
      if (s === undefined) {
        s = new BroadcastMap();
        this.states.set(d.name, s);
      }
      if (this.writable) return s;
      const ro: ReadOnlyBroadcastState<unknown, unknown> = {
        get: (k) => s.get(k),
        contains: (k) => s.contains(k),
        entries: () => s.entries(),
      };
      return ro;
    },
    applyToKeyedState: (stateName: string, visit: (key: Key) => void) => {
      const backend = this.ctx.keyedState;
      if (backend === undefined) throw new Error('applyToKeyedState needs a keyed main stream');
      backend.forEachKey(stateName, (key) => {
        backend.setCurrentKey(key);
        visit(key);
      });
    },
  };

  constructor(
    private readonly fn: KeyedBroadcastProcessFunction<Key, unknown, unknown, unknown>,
    private readonly keySelector: KeySelector | undefined,
  ) {
    super();
  }

  override async open(ctx: OperatorContext): Promise<void> {
    super.open(ctx);
    if (this.keySelector !== undefined) this.timers = new KeyedTimers(ctx);
    await openFunction(this.fn, ctx);
  }

  processBatch(batch: Batch, input: number): void {
    const { values, timestamps } = batch;
    const select = this.keySelector as ((v: unknown) => Key) | undefined;
    const ctx = this.context as never;
    let i = 0;
    try {
      for (; i < values.length; i++) {
        const v = values[i];
        this.ts = timestamps[i]!;
        if (input === 1) {
          this.writable = true;
          try {
            this.fn.processBroadcastElement(v, ctx, this.collector);
          } finally {
            this.writable = false;
          }
        } else {
          if (select !== undefined) this.ctx.keyedState!.setCurrentKey(select(v));
          this.fn.processElement(v, ctx, this.collector);
        }
      }
    } catch (e) {
      throw userError(this.ctx, values[i], e);
    }
  }

  private fire(timer: Timer, domain: TimeDomain): void {
    this.ctx.keyedState!.setCurrentKey(timer.key);
    this.ts = domain === 'eventTime' ? timer.time : NO_TIMESTAMP;
    this.domain = domain;
    this.fn.onTimer?.(timer.time, this.context as never, this.collector);
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
