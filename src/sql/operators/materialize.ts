import type { DataStream } from '../../api/data-stream.js';
import type { Key } from '../../core/key.js';
import type { Collector, KeyedContext, OnTimerContext, RuntimeContext } from '../../functions/context.js';
import type { KeyedProcessFunction } from '../../functions/functions.js';
import { valueState } from '../../state/descriptors.js';
import type { ValueState } from '../../state/state.js';
import { type ChangelogMode, isAccumulate, type Row, RowKind, withKind } from '../runtime/row.js';
import type { SqlOperatorOptions } from './common.js';
import { sqlKeySelector } from './sql-key.js';
import { encodeRow } from './value-encoding.js';

/**
 * Batch mode's final result of an updating query: applies the changelog (by `keyIndices` when the sink has a
 * primary key, else by the whole row with counts) and, at the end of input, emits the rows that remain as INSERTs.
 * Used before sinks in `--mode batch`, where results are final rows.
 *
 * With a key, an accumulating row (INSERT, UPDATE_AFTER) becomes the key's row and a retracting one (UPDATE_BEFORE,
 * DELETE) removes it. Without a key every row is counted (INSERT/UPDATE_AFTER +1, UPDATE_BEFORE/DELETE -1) and
 * emitted as many times as its count (rows whose count is not positive are not emitted). The end of input is
 * reached through a processing-time timer at +Infinity per key, which fires only when bounded input ends; on
 * unbounded input nothing is ever emitted. Emitted rows carry no timestamp.
 */
export function materializeChangelog(
  input: DataStream<Row>,
  inputMode: ChangelogMode,
  keyIndices: readonly number[] | undefined,
  width: number,
  options: SqlOperatorOptions,
): DataStream<Row> {
  const byKey = keyIndices !== undefined && keyIndices.length > 0;
  const keyOf = byKey ? sqlKeySelector(keyIndices) : (row: Row) => encodeRow(row.slice(0, 1 + width));
  const out = input
    .keyBy(keyOf)
    .process(new MaterializeFunction(new MaterializeSpec(byKey, inputMode, width)), options.name)
    .name(options.name)
    .uid(options.uid);
  return options.parallelism === undefined ? out : out.setParallelism(options.parallelism);
}

/** Shared by the parallel copies of the function (a class instance is not copied). */
class MaterializeSpec {
  constructor(
    readonly byKey: boolean,
    readonly inputMode: ChangelogMode,
    readonly width: number,
  ) {}
}

/** [row, count]: the key's row and, without a primary key, how many times the row is in the result. */
type Held = [row: Row, count: number];

class MaterializeFunction implements KeyedProcessFunction<Key, Row, Row> {
  private state!: ValueState<Held>;

  constructor(private readonly spec: MaterializeSpec) {}

  open(ctx: RuntimeContext): void {
    this.state = ctx.getState(valueState<Held>('materialize'));
  }

  processElement(row: Row, ctx: KeyedContext<Key>, _out: Collector<Row>): void {
    const accumulate = isAccumulate(row[0] as number);
    const held = this.state.value();
    if (this.spec.byKey) {
      if (accumulate) this.state.update([withKind(row, RowKind.INSERT), 1]);
      else this.state.clear();
    } else {
      const count = (held?.[1] ?? 0) + (accumulate ? 1 : -1);
      if (count === 0) this.state.clear();
      else this.state.update([held?.[0] ?? withKind(row, RowKind.INSERT), count]);
    }
    if (held === undefined) ctx.timerService().registerProcessingTimeTimer(Number.POSITIVE_INFINITY);
  }

  onTimer(_timestamp: number, _ctx: OnTimerContext<Key>, out: Collector<Row>): void {
    const held = this.state.value();
    if (held === undefined) return;
    for (let n = 0; n < held[1]; n++) out.collect(n === 0 ? held[0] : held[0].slice());
    this.state.clear();
  }
}
