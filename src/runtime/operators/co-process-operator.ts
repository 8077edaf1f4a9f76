import type { Batch } from '../../core/batch.js';
import type { Key } from '../../core/key.js';
import type { CoFlatMapFunction, KeyedCoProcessFunction } from '../../functions/functions.js';
import type { KeySelector } from '../../plan/nodes.js';
import { FunctionOperator } from './function-operator.js';
import { userError } from './support.js';

type AnyCoFunction = Partial<KeyedCoProcessFunction<Key, unknown, unknown, unknown>> &
  Partial<CoFlatMapFunction<unknown, unknown, unknown>>;

/**
 * Two inputs, one function: CoProcessFunction, KeyedCoProcessFunction (keyed state and timers shared by both inputs,
 * when `keySelectors` is set) or CoFlatMapFunction. The operator's watermark is the minimum of both inputs'.
 */
export class CoProcessOperator extends FunctionOperator<AnyCoFunction> {
  constructor(
    fn: AnyCoFunction,
    private readonly keySelectors: [KeySelector, KeySelector] | undefined,
    watermarkDelayMs = 0,
  ) {
    super(fn, keySelectors !== undefined, watermarkDelayMs);
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

  protected onTimer(time: number): void {
    this.fn.onTimer?.(time, this, this.collector);
  }
}
