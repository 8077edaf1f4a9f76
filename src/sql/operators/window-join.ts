import type { DataStream } from '../../api/data-stream.js';
import type { Row } from '../runtime/row.js';
import type { SqlOperatorOptions } from './common.js';
import type { JoinType } from './regular-join.js';

/**
 * Window join: two insert-only inputs with window columns, joined on equal window_start/window_end plus equal keys
 * and an optional residual condition. Emits each window's joined rows (outer joins pad with NULLs) as INSERTs when
 * the watermark passes the window's end. Output = [left columns..., right columns...].
 */
export function windowJoin(
  left: DataStream<Row>,
  right: DataStream<Row>,
  joinType: Exclude<JoinType, 'SEMI' | 'ANTI'> | 'SEMI' | 'ANTI',
  leftWindow: { readonly start: number; readonly end: number },
  rightWindow: { readonly start: number; readonly end: number },
  leftKeys: readonly number[],
  rightKeys: readonly number[],
  leftWidth: number,
  rightWidth: number,
  condition: ((left: Row, right: Row) => boolean) | undefined,
  options: SqlOperatorOptions,
): DataStream<Row> {
  throw new Error(
    `windowJoin not implemented (${left}, ${right}, ${joinType}, ${leftWindow}, ${rightWindow}, ${leftKeys}, ${rightKeys}, ${leftWidth}, ${rightWidth}, ${condition}, ${options.name})`,
  );
}
