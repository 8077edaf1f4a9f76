import type { DataStream } from '../../api/data-stream.js';
import type { Row } from '../runtime/row.js';
import type { AggregateCall, SqlOperatorOptions } from './common.js';

/**
 * OVER aggregation (Flink's restrictions: ORDER BY one time attribute ascending; frame ROWS or RANGE from
 * UNBOUNDED or N PRECEDING to CURRENT ROW). Event time: rows are buffered until the watermark passes them, then
 * processed in timestamp order; rows with equal time form one RANGE peer group. Emits each input row with its
 * aggregate values appended, as an INSERT. `precedingRows` / `precedingMs` absent = UNBOUNDED PRECEDING.
 */
export function overAggregate(
  input: DataStream<Row>,
  partitionIndices: readonly number[],
  timeIndex: number,
  eventTime: boolean,
  frame:
    | { readonly unit: 'ROWS'; readonly precedingRows?: number }
    | { readonly unit: 'RANGE'; readonly precedingMs?: number },
  calls: readonly AggregateCall[],
  options: SqlOperatorOptions,
): DataStream<Row> {
  throw new Error(
    `overAggregate not implemented (${input}, ${partitionIndices}, ${timeIndex}, ${eventTime}, ${frame.unit}, ${calls}, ${options.name})`,
  );
}
