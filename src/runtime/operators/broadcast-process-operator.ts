import type { Batch } from '../../core/batch.js';
import type { Key } from '../../core/key.js';
import type { KeyedBroadcastProcessFunction, ReadOnlyBroadcastState } from '../../functions/functions.js';
import type { KeySelector } from '../../plan/nodes.js';
import type { MapStateDescriptor } from '../../state/descriptors.js';
import type { MapState } from '../../state/state.js';
import { FunctionOperator } from './function-operator.js';
import { userError } from './support.js';

/** Broadcast state: one map per descriptor name, identical on every subtask. */
class BroadcastMap implements MapState<unknown, unknown>, ReadOnlyBroadcastState<unknown, unknown> {
  readonly map = new Map<unknown, unknown>();
  /** The view the non-broadcast side gets, made once: it is asked for per record. */
  readonly readOnly: ReadOnlyBroadcastState<unknown, unknown> = {
    get: (k) => this.map.get(k),
    contains: (k) => this.map.has(k),
    entries: () => this.entries(),
  };
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
export class BroadcastProcessOperator extends FunctionOperator<
  KeyedBroadcastProcessFunction<Key, unknown, unknown, unknown>
> {
  private readonly states = new Map<string, BroadcastMap>();
  private writable = false;

  constructor(
    fn: KeyedBroadcastProcessFunction<Key, unknown, unknown, unknown>,
    private readonly keySelector: KeySelector | undefined,
  ) {
    super(fn, keySelector !== undefined);
  }

  getBroadcastState(
    d: MapStateDescriptor<unknown, unknown>,
  ): MapState<unknown, unknown> | ReadOnlyBroadcastState<unknown, unknown> {
    let s = this.states.get(d.name);
    if (s === undefined) {
      s = new BroadcastMap();
      this.states.set(d.name, s);
    }
    return this.writable ? s : s.readOnly;
  }

  applyToKeyedState(stateName: string, visit: (key: Key) => void): void {
    const backend = this.ctx.keyedState;
    if (backend === undefined) throw new Error('applyToKeyedState needs a keyed main stream');
    backend.forEachKey(stateName, (key) => {
      backend.setCurrentKey(key);
      visit(key);
    });
  }

  /** Broadcast state is the same on every subtask; each stores its copy, a restored subtask takes the first. */
  snapshotState(): Record<string, [unknown, unknown][]> {
    const out: Record<string, [unknown, unknown][]> = {};
    for (const [name, s] of this.states) out[name] = s.entries();
    return out;
  }

  restoreState(states: readonly unknown[]): void {
    const first = states.find((s) => s !== undefined) as Record<string, [unknown, unknown][]> | undefined;
    if (first === undefined) return;
    for (const [name, entries] of Object.entries(first)) {
      const s = new BroadcastMap();
      s.putAll(entries);
      this.states.set(name, s);
    }
  }

  processBatch(batch: Batch, input: number): void {
    const { values, timestamps } = batch;
    const select = this.keySelector as ((v: unknown) => Key) | undefined;
    const ctx = this as never;
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

  protected onTimer(time: number): void {
    this.fn.onTimer?.(time, this as never, this.collector);
  }
}
