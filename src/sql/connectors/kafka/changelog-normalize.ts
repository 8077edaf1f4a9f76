import type { DataStream } from '../../../api/data-stream.js';
import type { Key } from '../../../core/key.js';
import type { Collector, KeyedContext, RuntimeContext } from '../../../functions/context.js';
import type { KeyedProcessFunction } from '../../../functions/functions.js';
import { valueState } from '../../../state/descriptors.js';
import type { ValueState } from '../../../state/state.js';
import { sqlKeySelector } from '../../operators/sql-key.js';
import { valueListsEqual } from '../../operators/value-encoding.js';
import { type Row, RowKind, withKind } from '../../runtime/row.js';

/**
 * Flink's ChangelogNormalize for an upsert source: turns an upsert changelog (each value an insert-or-update of its
 * key, DELETE rows that may carry only the key's columns) into a retract changelog the SQL operators can consume.
 * Keyed by the primary key, it keeps the key's last row: a first value is +I; a new value is -U (the previous row)
 * then +U; a value equal to the previous one emits nothing; a DELETE is -D of the previous full row (nothing when
 * the key has none). The state is keyed state, so it is checkpointed and restored with the job.
 *
 * `keyIndices` are positions of the key's columns in the rows (after the kind slot: column i at row[i + 1]).
 */
export function normalizeUpserts(
  input: DataStream<Row>,
  keyIndices: readonly number[],
  name: string,
  uid: string,
): DataStream<Row> {
  return input.keyBy(sqlKeySelector(keyIndices)).process(new ChangelogNormalizeFunction(), name).name(name).uid(uid);
}

class ChangelogNormalizeFunction implements KeyedProcessFunction<Key, Row, Row> {
  private last!: ValueState<Row>;

  open(ctx: RuntimeContext): void {
    this.last = ctx.getState(valueState<Row>('last-row'));
  }

  processElement(row: Row, _ctx: KeyedContext<Key>, out: Collector<Row>): void {
    const previous = this.last.value();
    if (row[0] === RowKind.DELETE || row[0] === RowKind.UPDATE_BEFORE) {
      if (previous === undefined) return;
      this.last.clear();
      out.collect(withKind(previous, RowKind.DELETE));
      return;
    }
    if (previous === undefined) {
      const inserted = withKind(row, RowKind.INSERT);
      this.last.update(inserted);
      out.collect(inserted);
      return;
    }
    if (valueListsEqual(previous.slice(1), row.slice(1))) return;
    const after = withKind(row, RowKind.UPDATE_AFTER);
    this.last.update(withKind(row, RowKind.INSERT));
    out.collect(withKind(previous, RowKind.UPDATE_BEFORE));
    out.collect(after);
  }
}
