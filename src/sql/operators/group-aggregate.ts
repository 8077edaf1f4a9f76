import type { DataStream } from '../../api/data-stream.js';
import type { ChangelogMode, Row } from '../runtime/row.js';
import type { AggregateCall, SqlOperatorOptions } from './common.js';

/**
 * An unwindowed GROUP BY aggregate over a changelog: keyed by `groupIndices`, one accumulator per aggregate call
 * per group. Input may be any changelog mode (retractions use `retract`; the planner refuses non-retractable
 * functions over updating input). Output rows are [groupColumns..., aggregateValues...] as a `retract` changelog:
 * the first row of a group is INSERT, a change emits UPDATE_BEFORE (old) + UPDATE_AFTER (new), a group whose row
 * count falls to zero emits DELETE and drops its state. No output when the values did not change.
 * With no group columns (global aggregate) it runs at parallelism 1 and, in streaming mode, emits its first row on
 * the first input (Flink's behaviour); in batch mode a global aggregate over empty input emits one row of initial
 * values (COUNT 0, SUM NULL).
 * DISTINCT calls keep a per-group count of each distinct argument value; FILTER skips rows whose filter column is
 * not TRUE.
 */
export function groupAggregate(
  input: DataStream<Row>,
  inputMode: ChangelogMode,
  groupIndices: readonly number[],
  calls: readonly AggregateCall[],
  options: SqlOperatorOptions,
): DataStream<Row> {
  throw new Error(
    `groupAggregate not implemented (${input}, ${inputMode}, ${groupIndices}, ${calls}, ${options.name})`,
  );
}
