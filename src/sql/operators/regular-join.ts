import type { DataStream } from '../../api/data-stream.js';
import type { ChangelogMode, Row } from '../runtime/row.js';
import type { SqlOperatorOptions } from './common.js';

export type JoinType = 'INNER' | 'LEFT' | 'RIGHT' | 'FULL' | 'SEMI' | 'ANTI';

/**
 * A regular (unbounded) join of two changelogs on equal keys (`leftKeys[i]` = `rightKeys[i]`; SQL equality, so a
 * NULL key joins nothing) plus an optional residual condition over [left columns..., right columns...].
 * Keeps both sides in keyed state (with the state TTL when set) and emits a `retract` changelog of
 * [left columns..., right columns...] (outer joins pad the missing side with NULLs and retract the padded row when a
 * match arrives; SEMI/ANTI emit left columns only, for IN / EXISTS / NOT IN / NOT EXISTS after decorrelation).
 * With no equi-keys it runs at parallelism 1 (a cross join with a condition).
 */
export function regularJoin(
  left: DataStream<Row>,
  leftMode: ChangelogMode,
  right: DataStream<Row>,
  rightMode: ChangelogMode,
  joinType: JoinType,
  leftKeys: readonly number[],
  rightKeys: readonly number[],
  leftWidth: number,
  rightWidth: number,
  condition: ((left: Row, right: Row) => boolean) | undefined,
  options: SqlOperatorOptions,
): DataStream<Row> {
  throw new Error(
    `regularJoin not implemented (${left}, ${leftMode}, ${right}, ${rightMode}, ${joinType}, ${leftKeys}, ${rightKeys}, ${leftWidth}, ${rightWidth}, ${condition}, ${options.name})`,
  );
}
