import type { Batch } from '../../core/batch.js';
import type { Key } from '../../core/key.js';
import type { KeyedProcessFunction } from '../../functions/functions.js';
import type { KeySelector } from '../../plan/nodes.js';
import { FunctionOperator } from './function-operator.js';
import { userError } from './support.js';

/** Runs a ProcessFunction, or a KeyedProcessFunction (keyed state and timers) when `keySelector` is set. */
export class ProcessOperator extends FunctionOperator<KeyedProcessFunction<Key, unknown, unknown>> {
  constructor(
    fn: KeyedProcessFunction<Key, unknown, unknown>,
    private readonly keySelector: KeySelector | undefined,
    watermarkDelayMs = 0,
  ) {
    super(fn, keySelector !== undefined, watermarkDelayMs);
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

  protected onTimer(time: number): void {
    this.fn.onTimer?.(time, this, this.collector);
  }
}
