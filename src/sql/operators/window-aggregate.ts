import type { DataStream } from '../../api/data-stream.js';
import type { Key } from '../../core/key.js';
import type { Collector, ProcessContext } from '../../functions/context.js';
import type { AggregateFunction } from '../../state/descriptors.js';
import type { ProcessWindowContext } from '../../windowing/window-function.js';
import type { TimeWindow } from '../../windowing/windows.js';
import { COLUMN_OFFSET, type Row, RowKind } from '../runtime/row.js';
import { AggregateCalls } from './aggregate-calls.js';
import type { AggregateCall, SqlOperatorOptions } from './common.js';
import { sqlKeySelector } from './sql-key.js';
import { sqlWindowAssigner, windowsContaining } from './sql-window-assigner.js';

/** A window table-valued function (or legacy group window) in milliseconds. `offset` shifts TUMBLE/HOP/CUMULATE. */
export type WindowSpec =
  | { readonly type: 'TUMBLE'; readonly size: number; readonly offset?: number }
  | { readonly type: 'HOP'; readonly slide: number; readonly size: number; readonly offset?: number }
  | { readonly type: 'CUMULATE'; readonly step: number; readonly size: number; readonly offset?: number }
  | { readonly type: 'SESSION'; readonly gap: number };

/** Slot 0 holds the group's key column values (taken from its first row), then one accumulator per call. */
type WindowAccumulator = unknown[];

/**
 * Window aggregation on event time (the input's record timestamps = its rowtime column) or processing time:
 * GROUP BY window_start, window_end, keys. Emits, when the watermark passes a window's end, one INSERT per key and
 * window: [keyColumns..., window_start, window_end, window_time, aggregateValues...] (window_time = end - 1 ms, a
 * rowtime attribute; the output record timestamp is window_time). Late rows (window already fired) are dropped and
 * counted as the DataStream window operator does. Input must be insert-only.
 * SESSION windows: `sessionPartitionIndices` (SESSION(TABLE t PARTITION BY k ...)) must be among the key columns.
 *
 * Runs on the engine's window operator (keyBy(keys).window(assigner).aggregate(...)): a row is in the windows of
 * Flink's window TVFs (HOP: every window [s, s + size) with s ≡ offset mod slide containing it; CUMULATE: every
 * [start, start + k·step) of its period ending after it), and a row arriving when some of its windows have fired
 * still counts in the others (Flink's slicing operators do the same). SESSION needs mergeable functions.
 */
export function windowAggregate(
  input: DataStream<Row>,
  keyIndices: readonly number[],
  window: WindowSpec,
  calls: readonly AggregateCall[],
  eventTime: boolean,
  options: SqlOperatorOptions,
): DataStream<Row> {
  const aggregates = new AggregateCalls(calls, 1, true);
  if (window.type === 'SESSION' && !aggregates.mergeable) {
    const names = calls.filter((c) => !c.function.mergeable).map((c) => c.function.name);
    throw new Error(
      `${options.name}: a SESSION window needs aggregate functions that can merge; ${names.join(', ')} cannot`,
    );
  }
  const keySlots = keyIndices.map((i) => i + COLUMN_OFFSET);
  const agg: AggregateFunction<Row, WindowAccumulator, WindowAccumulator> = {
    createAccumulator: () => aggregates.create(),
    add: (row, acc) => {
      if (acc[0] === undefined) acc[0] = keySlots.map((s) => row[s]);
      return aggregates.add(acc, row);
    },
    getResult: (acc) => acc,
    merge: aggregates.mergeable
      ? (a, b) => {
          if (a[0] === undefined) a[0] = b[0];
          return aggregates.merge(a, b);
        }
      : undefined,
  };
  const emit = {
    process(
      _key: Key,
      ctx: ProcessWindowContext<TimeWindow>,
      [acc]: readonly [WindowAccumulator],
      out: Collector<Row>,
    ) {
      const w = ctx.window;
      const keys = acc[0] as unknown[];
      out.collect([RowKind.INSERT, ...keys, w.start, w.end, w.end - 1, ...aggregates.values(acc)]);
    },
  };
  const out = input
    .keyBy(sqlKeySelector(keyIndices))
    .window(sqlWindowAssigner(window, eventTime))
    .aggregate(agg, emit)
    .name(options.name)
    .uid(options.uid);
  if (options.parallelism !== undefined) out.setParallelism(options.parallelism);
  return out;
}

/**
 * The window TVF without aggregation (`SELECT * FROM TABLE(TUMBLE(...))`): each input row once per window it falls
 * in, with window_start, window_end, window_time appended. Insert-only. SESSION is only allowed under aggregation.
 * The output record timestamp is window_time (end - 1), the relation's new time attribute; the time column
 * `timeIndex` (a rowtime, or a materialised proctime) decides the windows. A NULL time is an error.
 */
export function windowAssign(
  input: DataStream<Row>,
  timeIndex: number,
  window: WindowSpec,
  options: SqlOperatorOptions,
): DataStream<Row> {
  if (window.type === 'SESSION') windowsContaining(window, 0); // throws the explanation
  const slot = timeIndex + COLUMN_OFFSET;
  const name = options.name;
  const fn = {
    processElement(row: Row, ctx: ProcessContext, _out: Collector<Row>) {
      const t = row[slot];
      if (typeof t !== 'number') {
        throw new TypeError(`${name}: the window time column (column ${timeIndex}) is ${String(t)}, not a timestamp`);
      }
      const emitter = ctx as unknown as { collectWithTimestamp(v: unknown, ts: number): void };
      for (const [start, end] of windowsContaining(window, t)) {
        const r = row.slice();
        r[0] = RowKind.INSERT;
        r.push(start, end, end - 1);
        emitter.collectWithTimestamp(r, end - 1);
      }
    },
  };
  const out = input.process<Row>(fn, options.name).uid(options.uid);
  if (options.parallelism !== undefined) out.setParallelism(options.parallelism);
  return out;
}
