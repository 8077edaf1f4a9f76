import type { DataStream } from '../../api/data-stream.js';
import type { Row } from '../runtime/row.js';
import type { AggregateCall, SqlOperatorOptions } from './common.js';

/** A window table-valued function (or legacy group window) in milliseconds. `offset` shifts TUMBLE/HOP/CUMULATE. */
export type WindowSpec =
  | { readonly type: 'TUMBLE'; readonly size: number; readonly offset?: number }
  | { readonly type: 'HOP'; readonly slide: number; readonly size: number; readonly offset?: number }
  | { readonly type: 'CUMULATE'; readonly step: number; readonly size: number; readonly offset?: number }
  | { readonly type: 'SESSION'; readonly gap: number };

/**
 * Window aggregation on event time (the input's record timestamps = its rowtime column) or processing time:
 * GROUP BY window_start, window_end, keys. Emits, when the watermark passes a window's end, one INSERT per key and
 * window: [keyColumns..., window_start, window_end, window_time, aggregateValues...] (window_time = end - 1 ms, a
 * rowtime attribute; the output record timestamp is window_time). Late rows (window already fired) are dropped and
 * counted as the DataStream window operator does. Input must be insert-only.
 * SESSION windows: `sessionPartitionIndices` (SESSION(TABLE t PARTITION BY k ...)) must be among the key columns.
 */
export function windowAggregate(
  input: DataStream<Row>,
  keyIndices: readonly number[],
  window: WindowSpec,
  calls: readonly AggregateCall[],
  eventTime: boolean,
  options: SqlOperatorOptions,
): DataStream<Row> {
  throw new Error(
    `windowAggregate not implemented (${input}, ${keyIndices}, ${window.type}, ${calls}, ${eventTime}, ${options.name})`,
  );
}

/**
 * The window TVF without aggregation (`SELECT * FROM TABLE(TUMBLE(...))`): each input row once per window it falls
 * in, with window_start, window_end, window_time appended. Insert-only. SESSION is only allowed under aggregation.
 */
export function windowAssign(
  input: DataStream<Row>,
  timeIndex: number,
  window: WindowSpec,
  options: SqlOperatorOptions,
): DataStream<Row> {
  throw new Error(`windowAssign not implemented (${input}, ${timeIndex}, ${window.type}, ${options.name})`);
}
