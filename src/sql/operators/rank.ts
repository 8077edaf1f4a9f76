import type { DataStream } from '../../api/data-stream.js';
import type { ChangelogMode, Row } from '../runtime/row.js';
import type { SortKey, SqlOperatorOptions } from './common.js';

/** ROW_NUMBER, RANK or DENSE_RANK over a partition, with rank bounds [rankStart, rankEnd] (1-based, inclusive). */
export interface RankSpec {
  readonly function: 'ROW_NUMBER' | 'RANK' | 'DENSE_RANK';
  readonly partitionIndices: readonly number[];
  readonly sortKeys: readonly SortKey[];
  readonly rankStart: number;
  readonly rankEnd: number;
  /** Whether the output row ends with the rank number column (BIGINT). */
  readonly outputRankNumber: boolean;
}

/**
 * Unwindowed Top-N (Flink's RetractRank/AppendRank semantics): keeps the rows of each partition that can be in the
 * top `rankEnd` and emits a `retract` changelog of the rows inside [rankStart, rankEnd] (with their rank number
 * when asked). Input may be insert-only or a changelog.
 */
export function rank(
  input: DataStream<Row>,
  inputMode: ChangelogMode,
  spec: RankSpec,
  options: SqlOperatorOptions,
): DataStream<Row> {
  throw new Error(`rank not implemented (${input}, ${inputMode}, ${spec.function}, ${options.name})`);
}

/**
 * Deduplication: ROW_NUMBER() OVER (PARTITION BY k ORDER BY time ASC|DESC) = 1 where time is a time attribute.
 * Keep-first (ASC) emits each partition's first row once, insert-only (in event time: the row with the smallest
 * rowtime, emitted when the watermark passes it). Keep-last (DESC) emits a `retract` changelog of the latest row.
 * `timeIndex` is the ordering column; `rowtime` tells whether it is event time (record timestamps) or proctime
 * (arrival order). Output = input columns (plus rank number 1 when `outputRankNumber`).
 */
export function deduplicate(
  input: DataStream<Row>,
  partitionIndices: readonly number[],
  timeIndex: number,
  keepLast: boolean,
  rowtime: boolean,
  outputRankNumber: boolean,
  options: SqlOperatorOptions,
): DataStream<Row> {
  throw new Error(
    `deduplicate not implemented (${input}, ${partitionIndices}, ${timeIndex}, ${keepLast}, ${rowtime}, ${outputRankNumber}, ${options.name})`,
  );
}
