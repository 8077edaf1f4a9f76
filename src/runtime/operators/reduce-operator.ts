import type { Batch } from '../../core/batch.js';
import type { Key } from '../../core/key.js';
import type { KeySelector } from '../../plan/nodes.js';
import { valueState } from '../../state/descriptors.js';
import type { ValueState } from '../../state/state.js';
import { AbstractOperator, type OperatorContext } from '../operator.js';
import { userError } from './support.js';

/** Rolling reduce on a keyed stream: emits the new reduced value of the key after every record. */
export class ReduceOperator extends AbstractOperator {
  private state!: ValueState<unknown>;
  constructor(
    private readonly fn: (a: unknown, b: unknown) => unknown,
    private readonly keySelector: KeySelector,
  ) {
    super();
  }
  override open(ctx: OperatorContext): void {
    super.open(ctx);
    this.state = ctx.keyedState!.getState(valueState('reduce'));
  }
  processBatch(batch: Batch): void {
    const { values, timestamps } = batch;
    const select = this.keySelector as (v: unknown) => Key;
    const backend = this.ctx.keyedState!;
    const state = this.state;
    let i = 0;
    try {
      for (; i < values.length; i++) {
        const v = values[i];
        backend.setCurrentKey(select(v));
        const prev = state.value();
        const next = prev === undefined ? v : this.fn(prev, v);
        state.update(next);
        this.out.collect(next, timestamps[i]!);
      }
    } catch (e) {
      throw userError(this.ctx, values[i], e);
    }
  }
}
