import type { DataStream } from '../api/data-stream.js';
import type { StreamExecutionEnvironment } from '../api/environment.js';
import type { ChangelogMode, Row } from './runtime/row.js';
import type { Schema } from './types/sql-type.js';

/** Options of a table environment. */
export interface TableEnvironmentOptions {
  /** Relative paths in table options and module function references resolve against this (default: process.cwd()). */
  readonly baseDir?: string;
  /** Initial `SET` values ('table.exec.state.ttl', 'table.local-time-zone', ...). */
  readonly settings?: Readonly<Record<string, string>>;
}

/** The outcome of one statement of `executeSql`. */
export type StatementResult =
  /** CREATE / DROP / SET / RESET / USE: applied to the catalog at once. `message` as Flink's client prints it ("[INFO] ..."). */
  | { readonly kind: 'ok'; readonly statement: string; readonly message: string }
  /** INSERT or a statement set: its sinks were added to the environment's plan; they run when the job runs. */
  | { readonly kind: 'insert'; readonly statement: string; readonly sinks: readonly string[] }
  /** A SELECT: its rows as a stream (row kinds per `changelogMode`), not yet consumed; the caller adds a sink. */
  | {
      readonly kind: 'query';
      readonly statement: string;
      readonly schema: Schema;
      readonly changelogMode: ChangelogMode;
      readonly stream: DataStream<Row>;
    }
  /** SHOW / DESCRIBE / EXPLAIN: a small table of text (EXPLAIN: one column, the plan). */
  | {
      readonly kind: 'table';
      readonly statement: string;
      readonly columns: readonly string[];
      readonly rows: readonly (readonly string[])[];
    };

/** A relation built from SQL or from a DataStream, usable in SQL by name and convertible back to a DataStream. */
export interface Table {
  readonly schema: Schema;
  readonly changelogMode: ChangelogMode;
}

/**
 * SQL on a StreamExecutionEnvironment: the catalog (tables, views, functions, settings) and the planner. Every SQL
 * statement of a script goes through `executeSql`; INSERTs and SELECTs add nodes to the environment's plan, so SQL
 * and DataStream code share one job, one checkpoint and one run. Deterministic: the same statements on a fresh
 * environment build the same plan (worker threads rebuild it).
 */
export class TableEnvironment {
  static create(env: StreamExecutionEnvironment, options: TableEnvironmentOptions = {}): TableEnvironment {
    throw new Error(`TableEnvironment not implemented (${env}, ${options})`);
  }

  /** Parses and runs every statement of `text` in order. `source` names the script in errors (a path or `<inline>`). */
  executeSql(text: string, source = '<inline>'): StatementResult[] {
    throw new Error(`not implemented (${text}, ${source})`);
  }

  /** A SELECT as a Table (for conversion to a DataStream or registration as a view). */
  sqlQuery(query: string): Table {
    throw new Error(`not implemented (${query})`);
  }

  /**
   * A DataStream of plain objects (or arrays) as a table. The schema names the fields and their SQL types; the
   * record timestamps become a rowtime column when `rowtime` names one (watermarks are the stream's own).
   */
  fromDataStream<T>(stream: DataStream<T>, schema: Schema, options: { rowtime?: string } = {}): Table {
    throw new Error(`not implemented (${stream}, ${schema}, ${options})`);
  }

  createTemporaryView(name: string, table: Table): void {
    throw new Error(`not implemented (${name}, ${table})`);
  }

  /** An insert-only table as a stream of plain objects keyed by column name (refused for updating tables). */
  toDataStream(table: Table): DataStream<Record<string, unknown>> {
    throw new Error(`not implemented (${table})`);
  }

  /** Any table as a stream of `{ kind: '+I' | '-U' | '+U' | '-D', row: {column: value} }`. */
  toChangelogStream(table: Table): DataStream<{ kind: string; row: Record<string, unknown> }> {
    throw new Error(`not implemented (${table})`);
  }

  /**
   * Registers a user function from code: a scalar function (a plain function), an aggregate (an object with
   * createAccumulator / accumulate / getValue and optional retract / merge) or a table function (a generator).
   * The signature in SQL types, e.g. `{ params: ['BIGINT', 'STRING'], returns: 'STRING' }`; without one,
   * argument types are taken as given and the result type is ANY... unless `returns` says otherwise.
   */
  createFunction(
    name: string,
    implementation: unknown,
    signature?: { params?: readonly string[]; returns?: string; kind?: 'scalar' | 'aggregate' | 'table' | 'async' },
  ): void {
    throw new Error(`not implemented (${name}, ${implementation}, ${signature})`);
  }
}
