import type { Batch } from '../../core/batch.js';
import type { Key } from '../../core/key.js';
import { MAX_WATERMARK } from '../../core/time.js';
import type { KeySelector } from '../../plan/nodes.js';
import { type AggregateFunction, valueState } from '../../state/descriptors.js';
import type { ValueState } from '../../state/state.js';
import { AbstractOperator, type OperatorContext } from '../operator.js';
import { userError } from './support.js';

const STATE = 'rolling-aggregate';

/**
 * Rolling (non-windowed) aggregate of a keyed stream: one accumulator per key. With `final` false it emits the key's
 * result after every record (an update stream); with `final` true it emits every key's result once, when the final
 * watermark arrives (end of input), before forwarding that watermark — the last rows of an updating aggregate
 * without a timer per key. Behind a local aggregation (`partials`) it merges partial accumulators instead.
 */
export class RollingAggregateOperator extends AbstractOperator {
  private state!: ValueState<unknown>;
  constructor(
    private readonly agg: AggregateFunction<unknown, unknown, unknown>,
    private readonly keySelector: KeySelector,
    private readonly final: boolean,
    /** The input carries `[key, acc]` partials of a local aggregation (only with `final`): merge them. */
    private readonly partials = false,
  ) {
    super();
  }

  override open(ctx: OperatorContext): void {
    super.open(ctx);
    this.state = ctx.keyedState!.getState(valueState(STATE));
  }

  processBatch(batch: Batch): void {
    if (this.partials) {
      this.mergePartials(batch);
      return;
    }
    const { values, timestamps } = batch;
    const select = this.keySelector as (v: unknown) => Key;
    const backend = this.ctx.keyedState!;
    const { state, agg, final } = this;
    let i = 0;
    try {
      for (; i < values.length; i++) {
        const v = values[i];
        backend.setCurrentKey(select(v));
        const prev = state.value();
        const next = agg.add(v, prev === undefined ? agg.createAccumulator() : prev);
        // `add` may change the accumulator in place: update() tells the backend (copy-on-write, write-back).
        state.update(next);
        if (!final) this.out.collect(agg.getResult(next), timestamps[i]!);
      }
    } catch (e) {
      throw userError(this.ctx, values[i], e);
    }
  }

  private mergePartials(batch: Batch): void {
    const values = batch.values as [Key, unknown][];
    const backend = this.ctx.keyedState!;
    const { state, agg } = this;
    let i = 0;
    try {
      for (; i < values.length; i++) {
        const [key, partial] = values[i]!;
        backend.setCurrentKey(key);
        const prev = state.value();
        // A partial belongs to no one else once it arrived: the first one of a key becomes its accumulator.
        state.update(prev === undefined ? partial : agg.merge!(prev, partial));
      }
    } catch (e) {
      throw userError(this.ctx, values[i], e);
    }
  }

  override processWatermark(watermark: number): void {
    if (this.final && watermark === MAX_WATERMARK) {
      const backend = this.ctx.keyedState!;
      const keys: Key[] = [];
      backend.forEachKey(STATE, (k) => keys.push(k));
      for (const k of keys) {
        backend.setCurrentKey(k);
        const acc = this.state.value();
        if (acc === undefined) continue;
        try {
          this.out.collect(this.agg.getResult(acc), MAX_WATERMARK);
        } catch (e) {
          throw userError(this.ctx, { key: k }, e);
        }
        this.state.clear();
      }
    }
    this.out.emitWatermark(watermark);
  }
}
