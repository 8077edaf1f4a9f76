import type { DataStream } from '../../api/data-stream.js';
import type { StreamExecutionEnvironment } from '../../api/environment.js';
import type { WatermarkStrategy } from '../../core/watermark-strategy.js';
import type { Span } from '../parser/ast.js';
import type { ChangelogMode, Row } from '../runtime/row.js';
import type { Schema } from '../types/sql-type.js';

/**
 * A table as CREATE TABLE declared it, resolved by the binder: what a connector needs to read or write it.
 * `physical` are the columns the format reads or writes, in declaration order (computed and virtual metadata
 * columns are the planner's business: it appends them after the source). `options` are the WITH options with
 * keys as written (Flink's option names).
 */
export interface ResolvedTable {
  readonly name: string;
  readonly physical: Schema;
  /** Indices into `physical` of the PRIMARY KEY, when declared. */
  readonly primaryKey?: readonly number[];
  readonly options: ReadonlyMap<string, string>;
  /** Metadata columns the source or sink must provide / accept (`key` = the name after METADATA FROM, or the column name). */
  readonly metadata: readonly { readonly key: string; readonly name: string }[];
  /** Where the CREATE TABLE was written: errors about options point here. */
  readonly span: Span;
  /** Directory relative paths in options are resolved against (the SQL file's directory, or the working directory). */
  readonly baseDir: string;
}

export interface SourceRequest {
  readonly env: StreamExecutionEnvironment;
  readonly table: ResolvedTable;
  /**
   * Physical columns the query reads, in this order, or undefined for all. A source that can skip decoding other
   * fields should (JSON and the nexmark generator can); output rows then hold exactly these columns.
   */
  readonly projection?: readonly number[];
  /** A stable prefix for the uids of the nodes the source adds (state identity across runs of the same script). */
  readonly uid: string;
  readonly runtimeMode: 'streaming' | 'batch';
  /**
   * The table's WATERMARK as a strategy over the rows this source emits (timestamp = the rowtime column), when the
   * table has one. A source whose splits are read interleaved (Kafka partitions) should apply it per split, inside
   * `fromSource`, as Flink pushes watermarks into its Kafka source, and answer `watermarked: true`; otherwise the
   * planner applies it right after the source.
   */
  readonly watermarks?: WatermarkStrategy<Row>;
}

export interface ScanSource {
  /** Rows of the projected physical columns (plus requested metadata columns at the end, in `metadata` order). */
  readonly stream: DataStream<Row>;
  readonly changelogMode: ChangelogMode;
  /** Whether the source ends on its own (files, a generator with a count); batch mode needs every source bounded. */
  readonly bounded: boolean;
  /** Whether the source applied `SourceRequest.watermarks` itself (timestamps and watermarks are set on `stream`). */
  readonly watermarked?: boolean;
}

export interface SinkRequest {
  readonly table: ResolvedTable;
  /** Rows of exactly the table's physical columns (plus metadata columns written, in `metadata` order). */
  readonly input: DataStream<Row>;
  readonly inputMode: ChangelogMode;
  readonly uid: string;
  readonly runtimeMode: 'streaming' | 'batch';
}

/**
 * A connector from SQL (`'connector' = 'filesystem'`). Validation errors (missing or unknown options, a format it
 * cannot handle, a path that does not exist) throw a `SqlError`-compatible `Error` naming the option; the planner
 * adds the CREATE TABLE's position.
 */
export interface TableConnector {
  /** The value of the 'connector' option. */
  readonly name: string;
  /** Reads the table; absent when the connector cannot be a source. */
  createSource?(request: SourceRequest): ScanSource;
  /**
   * Which changelogs the sink accepts for this table (by its options: format, primary key). The planner refuses an
   * INSERT whose query produces a mode not listed here, with Flink's message, before anything runs.
   */
  sinkModes?(table: ResolvedTable): readonly ChangelogMode[];
  /** Writes the table; absent when the connector cannot be a sink. */
  createSink?(request: SinkRequest): void;
}
