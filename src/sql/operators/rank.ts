import type { DataStream } from '../../api/data-stream.js';
import type { ChangelogMode, Row } from '../runtime/row.js';
import { type SortKey, type SqlOperatorOptions, ttlOptions } from './common.js';
import { DeduplicateFunction, DeduplicateSpec, RowtimeKeepFirstFunction } from './deduplicate-functions.js';
import { sqlKeySelector } from './sql-key.js';
import { TopNFunction, TopNSpec } from './top-n-function.js';

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
 *
 * Rows with equal sort keys keep their arrival order (ROW_NUMBER numbers them so; a retraction removes the earliest
 * equal row). Without the rank number, a row leaving the range is a DELETE and a row entering it an INSERT; with
 * it, the result is keyed by (partition, rank): a rank whose row changes (rows shifting position included) emits
 * UPDATE_BEFORE of the old row and UPDATE_AFTER of the new one, as Flink's RetractableTopNFunction does.
 * No partition columns: parallelism 1.
 */
export function rank(
  input: DataStream<Row>,
  inputMode: ChangelogMode,
  spec: RankSpec,
  options: SqlOperatorOptions,
): DataStream<Row> {
  if (!(Number.isInteger(spec.rankStart) && spec.rankStart >= 1 && spec.rankEnd >= spec.rankStart)) {
    throw new Error(`${options.name}: rank range [${spec.rankStart}, ${spec.rankEnd}] is not a range of ranks >= 1`);
  }
  if (inputMode === 'upsert') {
    throw new Error(`${options.name}: Top-N needs a retract or insert-only input, got an upsert changelog`);
  }
  const topN = new TopNSpec(spec, inputMode === 'insert-only', ttlOptions(options));
  const out = input
    .keyBy(sqlKeySelector(spec.partitionIndices))
    .process(new TopNFunction(topN), options.name)
    .name(options.name)
    .uid(options.uid);
  return withParallelism(out, spec.partitionIndices.length === 0, options);
}

/**
 * Deduplication: ROW_NUMBER() OVER (PARTITION BY k ORDER BY time ASC|DESC) = 1 where time is a time attribute.
 * Keep-first (ASC) emits each partition's first row once, insert-only (in event time: the row with the smallest
 * rowtime, emitted when the watermark passes it). Keep-last (DESC) emits a `retract` changelog of the latest row.
 * `timeIndex` is the ordering column; `rowtime` tells whether it is event time (record timestamps) or proctime
 * (arrival order). Output = input columns (plus rank number 1 when `outputRankNumber`).
 *
 * The input must be insert-only (an error names the operator otherwise). Event-time keep-first differs from Flink's
 * row-at-a-time operator, which emits an update whenever a row with a smaller rowtime arrives: here the choice
 * waits for the watermark, so the output stays insert-only; the final rows are equal for on-time input, and rows
 * behind the watermark for a key already emitted are dropped and counted (`numLateRecordsDropped`).
 * Event-time keep-last emits at once, as Flink does: a row with a rowtime >= the kept one replaces it.
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
  const spec = new DeduplicateSpec(options.name, timeIndex, keepLast, rowtime, outputRankNumber, ttlOptions(options));
  const fn = rowtime && !keepLast ? new RowtimeKeepFirstFunction(spec) : new DeduplicateFunction(spec);
  const out = input
    .keyBy(sqlKeySelector(partitionIndices))
    .process(fn, options.name)
    .name(options.name)
    .uid(options.uid);
  return withParallelism(out, partitionIndices.length === 0, options);
}

function withParallelism(out: DataStream<Row>, single: boolean, options: SqlOperatorOptions): DataStream<Row> {
  if (single) return out.setParallelism(1);
  return options.parallelism === undefined ? out : out.setParallelism(options.parallelism);
}
