import type { DataStream } from '../../api/data-stream.js';
import type { StreamExecutionEnvironment } from '../../api/environment.js';
import type { ExpressionCompiler, FunctionCatalog } from '../functions/function-catalog.js';
import { materializeChangelog } from '../operators/materialize.js';
import type { InsertStatement, Query, Span } from '../parser/ast.js';
import type { Rex } from '../plan/rex.js';
import type { ChangelogMode, Row } from '../runtime/row.js';
import { nearestName, SqlError } from '../sql-error.js';
import { CastError, castFunction } from '../types/cast.js';
import { formatType, type Schema, type SqlType } from '../types/sql-type.js';
import { extractAsyncCalls } from './async-calls.js';
import { QueryBinder } from './binder-query.js';
import { Catalog } from './catalog.js';
import type { CatalogTable } from './catalog-table.js';
import { modeOf, updateProducer } from './changelog-inference.js';
import { sinkColumns } from './ddl.js';
import { describe, explainTree, modeText } from './explain.js';
import { type LogicalNode, stripTimeAttribute } from './logical-nodes.js';
import { type Lowered, Lowerer, unifyScans } from './lower.js';
import { type ConnectorLookup, LowerContext, runtimeModeOf } from './lower-context.js';
import { makeCalc } from './node-builders.js';
import { mergeCalcs, optimize } from './optimize.js';
import { prune } from './prune.js';
import { validatePlan } from './validate.js';

/** A planned INSERT: the optimised plan of the query shaped to the sink's columns, and the sink. */
export interface PlannedInsert {
  readonly table: CatalogTable;
  readonly plan: LogicalNode;
  readonly mode: ChangelogMode;
}

function sameType(a: SqlType, b: SqlType): boolean {
  const norm = (t: SqlType) => JSON.stringify({ ...stripTimeAttribute(t), nullable: true });
  return norm(a) === norm(b);
}

/** The last rewrites: unused columns pruned, scans of one table unified, calcs merged. */
function finish(node: LogicalNode, functions: FunctionCatalog): LogicalNode {
  const pruned = prune(
    node,
    node.schema.fields.map((_, i) => i),
  ).node;
  return extractAsyncCalls(mergeCalcs(unifyScans([pruned])[0]!), functions);
}

/** Where the query's column `index` is written: its SELECT item, when the query is one SELECT without `*`. */
function queryColumnSpan(query: Query, index: number, width: number): Span | undefined {
  if (query.kind !== 'select' || query.items.length !== width) return undefined;
  if (query.items.some((item) => item.expression.kind === 'star')) return undefined;
  return query.items[index]?.span;
}

/** Binds, optimises and lowers statements onto one StreamExecutionEnvironment. */
export class Planner {
  private statementIndex = 0;

  constructor(
    readonly env: StreamExecutionEnvironment,
    readonly catalog: Catalog,
    readonly compiler: () => ExpressionCompiler,
    readonly connectors: ConnectorLookup,
  ) {}

  /** A query's optimised logical plan and column names. */
  planQuery(query: Query, text: string, source: string): { node: LogicalNode; names: readonly string[] } {
    const bound = new QueryBinder(this.catalog, text, source).bindQuery(query);
    const node = optimize(
      makeCalc(
        bound.node,
        bound.node.schema.fields.map((f, i) => ({ kind: 'input', index: i, type: f.type })),
        bound.names,
      ),
    );
    const problem = validatePlan(node, this.catalog.functions);
    if (problem !== undefined) throw new SqlError(problem, query.span, text, source);
    return { node: finish(node, this.catalog.functions), names: bound.names };
  }

  /** INSERT INTO: the query shaped to the sink (column list, implicit casts) and its changelog checked. */
  planInsert(stmt: InsertStatement, text: string, source: string): PlannedInsert {
    const fail = (reason: string, span: Span | undefined, suggestion?: string): never => {
      throw new SqlError(reason, span, text, source, suggestion);
    };
    const parts = stmt.table.parts.map((p) => p.name);
    const name = Catalog.objectName(parts);
    if (typeof name !== 'string') return fail(name.error, stmt.table.span);
    const table = this.catalog.tables.get(name);
    if (table === undefined) {
      if (this.catalog.views.has(name)) return fail(`'${name}' is a view; INSERT needs a table`, stmt.table.span);
      const near = nearestName(name, this.catalog.tables.keys());
      return fail(
        `Table '${name}' not found`,
        stmt.table.span,
        near === undefined ? undefined : `Did you mean '${near}'?`,
      );
    }
    const bound = new QueryBinder(this.catalog, text, source).bindQuery(stmt.query);
    const cols = sinkColumns(table);
    const qFields = bound.node.schema.fields;
    let positions: number[];
    if (stmt.columns !== undefined) {
      positions = cols.map(() => -1);
      stmt.columns.forEach((c, qi) => {
        const at = cols.findIndex((x) => x.name === c.name);
        if (at < 0) {
          const near = nearestName(
            c.name,
            cols.map((x) => x.name),
          );
          fail(`Unknown target column '${c.name}'`, c.span, near === undefined ? undefined : `Did you mean '${near}'?`);
        }
        positions[at] = qi;
      });
      if (stmt.columns.length !== qFields.length) {
        fail(
          `Column types of query result and sink for '${table.qualifiedName}' do not match.\nCause: Different number of columns.`,
          stmt.span,
        );
      }
    } else {
      if (cols.length !== qFields.length) {
        fail(
          `Column types of query result and sink for '${table.qualifiedName}' do not match.\nCause: Different number of columns.\n\nQuery schema: [${qFields.map((f, i) => `${bound.names[i]}: ${f.type.kind}`).join(', ')}]\nSink schema:  [${cols.map((c) => `${c.name}: ${c.type.kind}`).join(', ')}]`,
          stmt.span,
        );
      }
      positions = cols.map((_, i) => i);
    }
    const projects: Rex[] = cols.map((c, i) => {
      const q = positions[i]!;
      if (q < 0) return { kind: 'literal', value: null, type: { ...c.type, nullable: true } as SqlType };
      const ref: Rex = { kind: 'input', index: q, type: qFields[q]!.type };
      // Like Flink's sinks (type-length-enforcer IGNORE), character and binary lengths are not enforced.
      const chars = (t: SqlType) => t.kind === 'CHAR' || t.kind === 'VARCHAR';
      const bytes = (t: SqlType) => t.kind === 'BINARY' || t.kind === 'VARBINARY';
      if (sameType(ref.type, c.type) || (chars(ref.type) && chars(c.type)) || (bytes(ref.type) && bytes(c.type)))
        return ref;
      const target = { ...stripTimeAttribute(c.type), nullable: ref.type.nullable } as SqlType;
      try {
        castFunction(ref.type, target);
      } catch (e) {
        if (!(e instanceof CastError)) throw e;
        // Found here rather than when the implicit CAST is compiled, so the message can point at the column.
        fail(
          `Column types of query result and sink for '${table.qualifiedName}' do not match.\nCause: Incompatible types for sink column '${c.name}' at position ${i}: ${formatType(ref.type)} cannot be written to ${formatType(c.type)}. ${e.message}`,
          queryColumnSpan(stmt.query, q, qFields.length) ?? stmt.span,
        );
      }
      return { kind: 'call', name: 'CAST', args: [ref], type: target };
    });
    const optimized = optimize(
      makeCalc(
        bound.node,
        projects,
        cols.map((c) => c.name),
      ),
    );
    const plan = finish(optimized, this.catalog.functions);
    const problem = validatePlan(plan, this.catalog.functions);
    if (problem !== undefined) fail(problem, stmt.span);
    const mode = modeOf(plan);
    if (mode !== 'insert-only' && runtimeModeOf(this.env) !== 'batch') {
      const connector = this.connectors(table.resolved.options.get('connector') ?? '');
      const accepted = connector?.sinkModes?.(table.resolved) ?? ['insert-only'];
      const ok =
        accepted.includes(mode) ||
        (mode === 'retract' && accepted.includes('upsert') && table.primaryKey !== undefined);
      if (!ok) {
        fail(
          `Table sink '${table.qualifiedName}' doesn't support consuming update changes which is produced by node ${describe(updateProducer(plan))}`,
          stmt.span,
          "Write to a sink that takes updates ('format' = 'debezium-json', upsert-kafka, print, blackhole), use a window aggregation (final results), or run with --mode batch",
        );
      }
    }
    return { table, plan, mode };
  }

  /** Adds an INSERT's operators and sink to the environment. */
  lowerInsert(planned: PlannedInsert, text: string, source: string, span: Span): string {
    const index = this.statementIndex++;
    const ctx = new LowerContext(this.env, this.compiler(), this.catalog, this.connectors, index, text, source, span);
    const lowered = new Lowerer(ctx).lower(planned.plan, '0');
    const table = planned.table;
    const connectorName = table.resolved.options.get('connector');
    const connector = connectorName === undefined ? undefined : this.connectors(connectorName);
    if (connector === undefined) return ctx.failUnknownConnector(connectorName ?? '', table.resolved.span);
    if (connector.createSink === undefined) {
      ctx.fail(`Connector '${connectorName}' cannot be used as a sink`, table.resolved.span);
    }
    let input = lowered.stream;
    let inputMode = lowered.mode;
    if (ctx.runtimeMode === 'batch' && inputMode !== 'insert-only') {
      const pk = table.resolved.primaryKey;
      input = materializeChangelog(
        input,
        inputMode,
        pk,
        table.resolved.physical.fields.length,
        ctx.options(`Materialize(${table.name})`, 'materialize'),
      );
      inputMode = 'insert-only';
    }
    try {
      connector!.createSink!({
        table: table.resolved,
        input,
        inputMode,
        uid: ctx.uid('sink'),
        runtimeMode: ctx.runtimeMode,
      });
    } catch (e) {
      ctx.failConnector(e, table.resolved.span);
    }
    return table.qualifiedName;
  }

  /** Lowers a query plan to a stream (SELECT results, toDataStream); in batch mode updates are materialised. */
  lowerQuery(node: LogicalNode, text: string, source: string, span: Span | undefined): Lowered {
    const index = this.statementIndex++;
    const ctx = new LowerContext(this.env, this.compiler(), this.catalog, this.connectors, index, text, source, span);
    const lowered = new Lowerer(ctx).lower(node, '0');
    if (ctx.runtimeMode === 'batch' && lowered.mode !== 'insert-only') {
      const stream: DataStream<Row> = materializeChangelog(
        lowered.stream,
        lowered.mode,
        undefined,
        node.schema.fields.length,
        ctx.options('Materialize', 'materialize'),
      );
      return { stream, mode: 'insert-only' };
    }
    return lowered;
  }

  /** EXPLAIN text of an INSERT's plan. */
  explainInsert(planned: PlannedInsert): string {
    const header = `Sink(table=[${planned.table.qualifiedName}], fields=[${planned.plan.schema.fields.map((f) => f.name).join(', ')}], changelogMode=[NONE])`;
    return explainTree(planned.plan, header);
  }

  /** EXPLAIN text of a query's plan. */
  explainQuery(node: LogicalNode): string {
    return explainTree(node);
  }
}

export type { Schema };
export { modeText };
