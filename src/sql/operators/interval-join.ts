import type { DataStream } from '../../api/data-stream.js';
import type { Row } from '../runtime/row.js';
import type { SqlOperatorOptions } from './common.js';
import type { JoinType } from './regular-join.js';

/**
 * Interval join of two insert-only inputs on equal keys where the right row's time lies within
 * [left time + lowerBound, left time + upperBound] (ms, bounds inclusive; Flink's rules for deriving them from
 * BETWEEN / >= / <= / < / > conditions live in the planner). `leftTimeIndex` / `rightTimeIndex` are the rowtime
 * columns (event time) or proctime columns. Emits [left..., right...] INSERTs as matches appear; outer joins emit
 * the NULL-padded row once the watermark proves no match can come. Rows are dropped from state when the
 * watermark passes their last possible match.
 */
export function intervalJoin(
  left: DataStream<Row>,
  right: DataStream<Row>,
  joinType: Exclude<JoinType, 'SEMI' | 'ANTI'>,
  leftKeys: readonly number[],
  rightKeys: readonly number[],
  leftTimeIndex: number,
  rightTimeIndex: number,
  lowerBound: number,
  upperBound: number,
  leftWidth: number,
  rightWidth: number,
  condition: ((left: Row, right: Row) => boolean) | undefined,
  options: SqlOperatorOptions,
): DataStream<Row> {
  throw new Error(
    `intervalJoin not implemented (${left}, ${right}, ${joinType}, ${leftKeys}, ${rightKeys}, ${leftTimeIndex}, ${rightTimeIndex}, ${lowerBound}, ${upperBound}, ${leftWidth}, ${rightWidth}, ${condition}, ${options.name})`,
  );
}
