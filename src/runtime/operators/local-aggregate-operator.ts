import type { Batch } from '../../core/batch.js';
import { type Key, type NormalizedKey, normalizeKey } from '../../core/key.js';
import type { KeySelector } from '../../plan/nodes.js';
import type { AggregateFunction } from '../../state/descriptors.js';
import type { WindowSlicing } from '../../windowing/assigners.js';
import { AbstractOperator } from '../operator.js';
import { userError } from './support.js';
import { SliceGeometry } from './window-slices.js';

/** One key's partial accumulator of a batch: `[key, acc, sliceStart, records, latest timestamp]`. */
type Partial = [Key, unknown, number, number, number];

/**
 * The local half of local-global aggregation (see `runtime/local-aggregation.ts`): folds each input batch into one
 * accumulator per key — per key and slice when `slicing` is set — and emits them at the end of the batch: rolling
 * aggregates get `[key, acc]`, window aggregates `[key, acc, sliceStart, records]`, each stamped with the latest
 * timestamp of its records. Stateless: nothing is kept from one batch to the next, so there is nothing to
 * checkpoint and a watermark or barrier after the batch follows its partials.
 */
export class LocalAggregateOperator extends AbstractOperator {
  private readonly slices: SliceGeometry | undefined;

  constructor(
    private readonly agg: AggregateFunction<unknown, unknown, unknown>,
    private readonly keySelector: KeySelector,
    slicing: WindowSlicing | undefined,
  ) {
    super();
    this.slices = slicing === undefined ? undefined : new SliceGeometry(slicing);
  }

  processBatch(batch: Batch): void {
    const { values, timestamps } = batch;
    const select = this.keySelector as (v: unknown) => Key;
    const { agg, slices } = this;
    // Per slice start (0 for rolling aggregates), per normalised key; maps keep first-appearance order.
    const groups = new Map<number, Map<NormalizedKey, Partial>>();
    let lastStart = Number.NaN;
    let group: Map<NormalizedKey, Partial> | undefined;
    let i = 0;
    try {
      for (; i < values.length; i++) {
        const v = values[i];
        const ts = timestamps[i]!;
        let start = 0;
        if (slices !== undefined) {
          if (!Number.isFinite(ts)) {
            throw new Error(
              'an event-time window got an element without a timestamp: assign timestamps with a WatermarkStrategy first',
            );
          }
          start = slices.sliceStart(ts);
        }
        if (start !== lastStart || group === undefined) {
          lastStart = start;
          group = groups.get(start);
          if (group === undefined) {
            group = new Map();
            groups.set(start, group);
          }
        }
        const key = select(v);
        const nk = normalizeKey(key);
        const p = group.get(nk);
        if (p === undefined) {
          group.set(nk, [key, agg.add(v, agg.createAccumulator()), start, 1, ts]);
        } else {
          p[1] = agg.add(v, p[1]);
          p[3]++;
          if (ts > p[4]) p[4] = ts;
        }
      }
    } catch (e) {
      throw userError(this.ctx, values[i], e);
    }
    const out = this.out;
    for (const g of groups.values()) {
      for (const p of g.values()) {
        if (slices === undefined) out.collect([p[0], p[1]], p[4]);
        else out.collect([p[0], p[1], p[2], p[3]], p[4]);
      }
    }
  }
}
