import type { Batch } from '../../core/batch.js';
import { AbstractOperator, type FunctionListSnapshot, type OperatorContext } from '../operator.js';
import { closeFunction, openFunction, restoreFunctionList, snapshotFunctionList, userError } from './support.js';

/**
 * map, filter and flatMap: one tight loop per batch, a plain call per record.
 * `rich` is the user's function object when it has open/close hooks.
 */
abstract class FunctionOperator extends AbstractOperator {
  constructor(protected readonly rich: object | undefined) {
    super();
  }
  override async open(ctx: OperatorContext): Promise<void> {
    super.open(ctx);
    await openFunction(this.rich, ctx, true);
  }
  snapshotList(checkpointId: number): FunctionListSnapshot | undefined {
    return snapshotFunctionList(this.rich, this.ctx, checkpointId);
  }
  restoreList(lists: readonly (FunctionListSnapshot | undefined)[]): void {
    restoreFunctionList(this.rich, this.ctx, lists);
  }
  override async close(): Promise<void> {
    await closeFunction(this.rich);
  }
}

export class MapOperator extends FunctionOperator {
  constructor(
    private readonly fn: (v: unknown) => unknown,
    rich?: object,
  ) {
    super(rich);
  }
  processBatch(batch: Batch): void {
    const { values, timestamps } = batch;
    const fn = this.fn;
    const out = this.out;
    let i = 0;
    try {
      for (; i < values.length; i++) out.collect(fn(values[i]), timestamps[i]!);
    } catch (e) {
      throw userError(this.ctx, values[i], e);
    }
  }
}

export class FilterOperator extends FunctionOperator {
  constructor(
    private readonly fn: (v: unknown) => boolean,
    rich?: object,
  ) {
    super(rich);
  }
  processBatch(batch: Batch): void {
    const { values, timestamps } = batch;
    const fn = this.fn;
    const out = this.out;
    let i = 0;
    try {
      for (; i < values.length; i++) {
        const v = values[i];
        if (fn(v)) out.collect(v, timestamps[i]!);
      }
    } catch (e) {
      throw userError(this.ctx, values[i], e);
    }
  }
}

/** flatMap: the function returns an iterable (array) of results, or calls the collector it is given. */
export class FlatMapOperator extends FunctionOperator {
  private ts = 0;
  private readonly collector = { collect: (v: unknown) => this.out.collect(v, this.ts) };
  constructor(
    private readonly fn: (v: unknown, out: { collect(v: unknown): void }) => Iterable<unknown> | undefined | void,
    rich?: object,
  ) {
    super(rich);
  }
  processBatch(batch: Batch): void {
    const { values, timestamps } = batch;
    const fn = this.fn;
    const out = this.out;
    let i = 0;
    try {
      for (; i < values.length; i++) {
        const ts = timestamps[i]!;
        this.ts = ts;
        const r = fn(values[i], this.collector);
        if (r !== undefined) {
          if (Array.isArray(r)) for (let k = 0; k < r.length; k++) out.collect(r[k], ts);
          else for (const x of r as Iterable<unknown>) out.collect(x, ts);
        }
      }
    } catch (e) {
      throw userError(this.ctx, values[i], e);
    }
  }
}
