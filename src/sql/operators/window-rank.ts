import type { DataStream } from '../../api/data-stream.js';
import type { Row } from '../runtime/row.js';
import type { SortKey, SqlOperatorOptions } from './common.js';

/**
 * Window Top-N and window deduplication: ROW_NUMBER/RANK/DENSE_RANK OVER (PARTITION BY window_start, window_end,
 * keys ORDER BY ...) with rank <= N, over an insert-only input that carries window columns (the output of a window
 * aggregate or of a window TVF). Emits, when the watermark passes a window's end, that window's top rows as INSERTs
 * (with the rank number when asked). `windowEndIndex` is the window_end column (its value - 1 is when to fire).
 */
export function windowRank(
  input: DataStream<Row>,
  windowStartIndex: number,
  windowEndIndex: number,
  partitionIndices: readonly number[],
  sortKeys: readonly SortKey[],
  rankFunction: 'ROW_NUMBER' | 'RANK' | 'DENSE_RANK',
  rankStart: number,
  rankEnd: number,
  outputRankNumber: boolean,
  options: SqlOperatorOptions,
): DataStream<Row> {
  throw new Error(
    `windowRank not implemented (${input}, ${windowStartIndex}, ${windowEndIndex}, ${partitionIndices}, ${sortKeys}, ${rankFunction}, ${rankStart}, ${rankEnd}, ${outputRankNumber}, ${options.name})`,
  );
}
