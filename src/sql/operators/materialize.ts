import type { DataStream } from '../../api/data-stream.js';
import type { ChangelogMode, Row } from '../runtime/row.js';
import type { SqlOperatorOptions } from './common.js';

/**
 * Batch mode's final result of an updating query: applies the changelog (by `keyIndices` when the sink has a
 * primary key, else by the whole row with counts) and, at the end of input, emits the rows that remain as INSERTs.
 * Used before sinks in `--mode batch`, where results are final rows.
 */
export function materializeChangelog(
  input: DataStream<Row>,
  inputMode: ChangelogMode,
  keyIndices: readonly number[] | undefined,
  width: number,
  options: SqlOperatorOptions,
): DataStream<Row> {
  throw new Error(
    `materializeChangelog not implemented (${input}, ${inputMode}, ${keyIndices}, ${width}, ${options.name})`,
  );
}
