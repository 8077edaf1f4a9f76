import { dirname, resolve } from 'node:path';
import type { DataStream } from '../api/data-stream.js';
import type { StreamExecutionEnvironment } from '../api/environment.js';
import type { ProcessContext } from '../functions/context.js';
import { connectorFor } from './connectors/registry.js';
import { createExpressionCompiler } from './expr/expression-compiler.js';
import type { ExpressionCompiler } from './functions/function-catalog.js';
import { FunctionRegistry } from './functions/function-registry.js';
import { parseScript } from './parser/parse-script.js';
import { Catalog } from './planner/catalog.js';
import { modeOf } from './planner/changelog-inference.js';
import { zoneAwareCompiler } from './planner/local-time-zone.js';
import type { LogicalNode } from './planner/logical-nodes.js';
import { Planner } from './planner/planner.js';
import { runStatement } from './planner/statements.js';
import { typeFromString } from './planner/types.js';
import { type ChangelogMode, COLUMN_OFFSET, ROW_KIND_SHORT, type Row } from './runtime/row.js';
import { SqlError } from './sql-error.js';
import type { Schema, SqlType } from './types/sql-type.js';

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

/** The Table this environment hands out: a logical plan not yet lowered. */
class PlannedTable implements Table {
  constructor(
    readonly node: LogicalNode,
    readonly text: string,
  ) {}
  get schema(): Schema {
    return this.node.schema;
  }
  get changelogMode(): ChangelogMode {
    return modeOf(this.node);
  }
}

/**
 * SQL on a StreamExecutionEnvironment: the catalog (tables, views, functions, settings) and the planner. Every SQL
 * statement of a script goes through `executeSql`; INSERTs and SELECTs add nodes to the environment's plan, so SQL
 * and DataStream code share one job, one checkpoint and one run. Deterministic: the same statements on a fresh
 * environment build the same plan (worker threads rebuild it).
 */
export class TableEnvironment {
  private readonly catalog: Catalog;
  private readonly planner: Planner;
  private compiler: ExpressionCompiler | undefined;
  private compilerZone: string | undefined;
  private dataStreamCount = 0;

  private constructor(
    readonly env: StreamExecutionEnvironment,
    private readonly options: TableEnvironmentOptions,
  ) {
    this.catalog = new Catalog(new FunctionRegistry({ baseDir: options.baseDir }), options.settings ?? {});
    this.planner = new Planner(
      env,
      this.catalog,
      () => {
        // 'table.local-time-zone' decides how TIMESTAMP_LTZ values read as wall time; a SET changes it between
        // statements, so the compiler is made again when the zone changes.
        const zone = this.catalog.settings.get('table.local-time-zone') ?? 'UTC';
        if (this.compiler === undefined || this.compilerZone !== zone) {
          this.compiler = zoneAwareCompiler(this.catalog.functions, zone, createExpressionCompiler);
          this.compilerZone = zone;
        }
        return this.compiler;
      },
      connectorFor,
    );
    const p = this.catalog.parallelism();
    if (p !== undefined) env.setParallelism(p);
  }

  static create(env: StreamExecutionEnvironment, options: TableEnvironmentOptions = {}): TableEnvironment {
    return new TableEnvironment(env, options);
  }

  /**
   * Loads the modules that the script's CREATE FUNCTION statements refer to (module imports are asynchronous);
   * call before `executeSql` for scripts with module functions. Parsing errors surface here as in `executeSql`.
   */
  async prepareSql(text: string, source = '<inline>'): Promise<void> {
    try {
      await this.catalog.functions.prepare(parseScript(text, source).statements);
    } catch (e) {
      // The registry does not hold the script text: quote the line of the script the error is in.
      if (e instanceof SqlError && e.source === '<sql>') {
        throw new SqlError(e.reason, e.span, text, source, e.suggestion);
      }
      throw e;
    }
  }

  /** Parses and runs every statement of `text` in order. `source` names the script in errors (a path or `<inline>`). */
  executeSql(text: string, source = '<inline>'): StatementResult[] {
    const script = parseScript(text, source);
    const baseDir = this.options.baseDir ?? (source.startsWith('<') ? process.cwd() : dirname(resolve(source)));
    return script.statements.map((s) => runStatement(s, this.planner, text, source, baseDir));
  }

  /** A SELECT as a Table (for conversion to a DataStream or registration as a view). */
  sqlQuery(query: string): Table {
    const script = parseScript(query, '<query>');
    const [stmt] = script.statements;
    if (stmt?.kind !== 'query' || script.statements.length !== 1) {
      throw new SqlError('sqlQuery takes exactly one SELECT', stmt?.span, query, '<query>');
    }
    return new PlannedTable(this.planner.planQuery(stmt.query, query, '<query>').node, query);
  }

  /**
   * A DataStream of plain objects (or arrays) as a table. The schema names the fields and their SQL types; the
   * record timestamps become a rowtime column when `rowtime` names one (watermarks are the stream's own).
   */
  fromDataStream<T>(stream: DataStream<T>, schema: Schema, options: { rowtime?: string } = {}): Table {
    const names = schema.fields.map((f) => f.name);
    const rowtime = options.rowtime;
    const rowtimeAt = rowtime === undefined ? -1 : names.indexOf(rowtime);
    const fields = schema.fields.map((f, i) =>
      i === rowtimeAt
        ? {
            name: f.name,
            type: { kind: 'TIMESTAMP', precision: 3, nullable: false, timeAttribute: 'rowtime' } as SqlType,
          }
        : f,
    );
    if (rowtime !== undefined && rowtimeAt < 0) {
      fields.push({
        name: rowtime,
        type: { kind: 'TIMESTAMP', precision: 3, nullable: false, timeAttribute: 'rowtime' },
      });
    }
    const width = fields.length;
    const toRow = (value: T, ts: number | undefined): Row => {
      const row: Row = new Array(width + COLUMN_OFFSET);
      row[0] = 0;
      const asArray = Array.isArray(value) ? (value as unknown[]) : undefined;
      for (let i = 0; i < names.length; i++) {
        const v = asArray !== undefined ? asArray[i] : (value as Record<string, unknown>)[names[i]!];
        row[i + COLUMN_OFFSET] = v === undefined ? null : v;
      }
      if (rowtime !== undefined) row[(rowtimeAt < 0 ? width - 1 : rowtimeAt) + COLUMN_OFFSET] = ts ?? null;
      return row;
    };
    const name = `datastream_${this.dataStreamCount++}`;
    const rows: DataStream<Row> =
      rowtime === undefined
        ? stream.map((v: T) => toRow(v, undefined), `FromDataStream(${name})`)
        : stream.process<Row>(
            {
              processElement(v: T, ctx: ProcessContext, out) {
                out.collect(toRow(v, ctx.timestamp()));
              },
            },
            `FromDataStream(${name})`,
          );
    const node: LogicalNode = { kind: 'datastream', stream: rows, mode: 'insert-only', name, schema: { fields } };
    return new PlannedTable(node, '');
  }

  createTemporaryView(name: string, table: Table): void {
    if (!(table instanceof PlannedTable)) throw new Error('createTemporaryView takes a Table of this environment');
    this.catalog.views.set(name, { name, text: table.text, source: '<table>', node: table.node });
  }

  /** An insert-only table as a stream of plain objects keyed by column name (refused for updating tables). */
  toDataStream(table: Table): DataStream<Record<string, unknown>> {
    if (!(table instanceof PlannedTable)) throw new Error('toDataStream takes a Table of this environment');
    const lowered = this.planner.lowerQuery(table.node, table.text, '<table>', undefined);
    if (lowered.mode !== 'insert-only') {
      throw new SqlError(
        'Table is not an append-only table. Use the toChangelogStream() to convert a table with update changes',
        undefined,
        table.text,
        '<table>',
      );
    }
    const names = table.schema.fields.map((f) => f.name);
    return lowered.stream.map((row: Row) => toObject(names, row), 'ToDataStream');
  }

  /** Any table as a stream of `{ kind: '+I' | '-U' | '+U' | '-D', row: {column: value} }`. */
  toChangelogStream(table: Table): DataStream<{ kind: string; row: Record<string, unknown> }> {
    if (!(table instanceof PlannedTable)) throw new Error('toChangelogStream takes a Table of this environment');
    const lowered = this.planner.lowerQuery(table.node, table.text, '<table>', undefined);
    const names = table.schema.fields.map((f) => f.name);
    return lowered.stream.map(
      (row: Row) => ({ kind: ROW_KIND_SHORT[row[0] as number] ?? '+I', row: toObject(names, row) }),
      'ToChangelogStream',
    );
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
    const type = (t: string | undefined) => (t === undefined ? undefined : typeFromString(t));
    this.catalog.functions.register(name, implementation, {
      ...(signature?.returns === undefined ? {} : { returns: type(signature.returns) }),
      ...(signature?.params === undefined ? {} : { params: signature.params.map((p) => type(p)!) }),
      ...(signature?.kind === 'async' ? { async: true } : {}),
    });
  }
}

function toObject(names: readonly string[], row: Row): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let i = 0; i < names.length; i++) o[names[i]!] = row[i + COLUMN_OFFSET];
  return o;
}
