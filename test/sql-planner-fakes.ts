// Test-only fakes for the SQL planner: a tiny function catalog, an interpreting expression compiler, a 'values'
// connector and AST builders. The real parser, compiler, catalog and connectors replace them once merged.
import type { CollectHandle, DataStream } from '../src/api/data-stream.js';
import type { TableConnector } from '../src/sql/connectors/table-connector.js';
import type {
  AggregateFunctionDefinition,
  ExpressionCompiler,
  FunctionCatalog,
  ScalarFunctionDefinition,
} from '../src/sql/functions/function-catalog.js';
import type * as A from '../src/sql/parser/ast.js';
import type { Rex } from '../src/sql/plan/rex.js';
import type { Row } from '../src/sql/runtime/row.js';
import type { SqlType } from '../src/sql/types/sql-type.js';

const BIGINT: SqlType = { kind: 'BIGINT', nullable: true };

function agg(
  name: string,
  retractable: boolean,
  type: (args: readonly SqlType[]) => SqlType,
): AggregateFunctionDefinition {
  return {
    name,
    retractable,
    mergeable: true,
    inferType: type,
    createAccumulator: () => ({ v: null as number | null, n: 0 }),
    accumulate: (acc) => acc,
    getValue: (acc) => acc,
  };
}

function scalar(name: string, type: (args: readonly SqlType[]) => SqlType): ScalarFunctionDefinition {
  return { name, kind: 'builtin', deterministic: true, inferType: type };
}

/** COUNT, SUM, MAX (not retractable, to test the refusal), AVG; MOD, UPPER, HOUR. */
export class FakeCatalog implements FunctionCatalog {
  private readonly aggs = new Map<string, AggregateFunctionDefinition>([
    ['COUNT', agg('COUNT', true, () => ({ kind: 'BIGINT', nullable: false }))],
    ['SUM', agg('SUM', true, (a) => a[0] ?? BIGINT)],
    ['MAX', agg('MAX', false, (a) => a[0] ?? BIGINT)],
    ['AVG', agg('AVG', true, (a) => a[0] ?? BIGINT)],
  ]);
  private readonly scalars = new Map<string, ScalarFunctionDefinition>([
    ['MOD', scalar('MOD', (a) => a[1] ?? BIGINT)],
    ['UPPER', scalar('UPPER', (a) => a[0] ?? BIGINT)],
    ['HOUR', scalar('HOUR', () => BIGINT)],
  ]);
  scalar(name: string) {
    return this.scalars.get(name.toUpperCase());
  }
  aggregate(name: string) {
    return this.aggs.get(name.toUpperCase());
  }
  table() {
    return undefined;
  }
  names() {
    return [...this.aggs.keys(), ...this.scalars.keys()];
  }
  userFunctionNames(): readonly string[] {
    return [];
  }
  register(): void {}
  createFunction(): void {}
  async prepare(): Promise<void> {}
  drop(): boolean {
    return false;
  }
}

type Fn = (row: unknown[]) => unknown;

function compile(rex: Rex): Fn {
  switch (rex.kind) {
    case 'input': {
      const i = rex.index + 1;
      return (row) => row[i];
    }
    case 'literal': {
      const v = rex.value;
      return () => v;
    }
    case 'field': {
      const e = compile(rex.expression);
      const i = rex.index;
      return (row) => (e(row) as unknown[] | null)?.[i] ?? null;
    }
    case 'correlated':
      throw new Error('correlated');
    case 'call': {
      const a = rex.args.map(compile);
      const n =
        (f: (...v: number[]) => unknown): Fn =>
        (row) => {
          const v = a.map((x) => x(row));
          return v.some((x) => x === null) ? null : f(...(v as number[]));
        };
      switch (rex.name) {
        case '+':
          return n((x, y) => x + y);
        case '-':
          return n((x, y) => x - y);
        case '*':
          return n((x, y) => x * y);
        case '/':
          return n((x, y) => Math.trunc(x / y));
        case 'MOD':
        case '%':
          return n((x, y) => x % y);
        case '=':
          return n((x, y) => x === y);
        case '<>':
          return n((x, y) => x !== y);
        case '<':
          return n((x, y) => x < y);
        case '<=':
          return n((x, y) => x <= y);
        case '>':
          return n((x, y) => x > y);
        case '>=':
          return n((x, y) => x >= y);
        case 'AND':
          return (row) => a.every((x) => x(row) === true);
        case 'OR':
          return (row) => a.some((x) => x(row) === true);
        case 'NOT':
          return (row) => {
            const v = a[0]!(row);
            return v === null ? null : !v;
          };
        case 'IS NULL':
          return (row) => a[0]!(row) === null;
        case 'IS NOT NULL':
          return (row) => a[0]!(row) !== null;
        case 'CAST':
          return a[0]!;
        case 'UPPER':
          return (row) => String(a[0]!(row)).toUpperCase();
        case 'CASE':
          return (row) => {
            for (let i = 0; i + 1 < a.length; i += 2) if (a[i]!(row) === true) return a[i + 1]!(row);
            return a[a.length - 1]!(row);
          };
        default:
          throw new Error(`fake compiler: no ${rex.name}`);
      }
    }
  }
}

/** An interpreting ExpressionCompiler (closures over Rex) for tests. */
export const fakeCompiler: ExpressionCompiler = {
  projection(exprs) {
    const fns = exprs.map(compile);
    return (row) => {
      const out: unknown[] = [row[0]];
      for (const f of fns) out.push(f(row));
      return out;
    };
  },
  predicate(c) {
    const f = compile(c);
    return (row) => f(row) === true;
  },
  joinPredicate(c) {
    const f = compile(c);
    return (l, r) => f([l[0], ...l.slice(1), ...r.slice(1)]) === true;
  },
  scalar(e) {
    return compile(e);
  },
};

/** Collected sink outputs by table name. */
export const collected = new Map<string, CollectHandle<Row>>();

/**
 * 'values' connector: option 'rows' is a JSON array of arrays of physical column values; option 'updating' makes
 * the sink accept updates.
 */
export const valuesConnector: TableConnector = {
  name: 'values',
  createSource(req) {
    const rows = JSON.parse(req.table.options.get('rows') ?? '[]') as unknown[][];
    const proj = req.projection;
    const stream = req.env
      .fromCollection(rows.map((r) => [0, ...(proj === undefined ? r : proj.map((i) => r[i]))]))
      .uid(`${req.uid}-values`) as DataStream<Row>;
    return { stream, changelogMode: 'insert-only', bounded: true };
  },
  sinkModes(t) {
    return t.options.get('updating') === 'true' ? ['insert-only', 'retract'] : ['insert-only'];
  },
  createSink(req) {
    collected.set(req.table.name, req.input.collect(req.uid));
  },
};

// ---- AST builders -----------------------------------------------------------------------------------------------

/** A span at line 1; `at` and `len` place it in the text for caret tests. */
export function sp(at = 0, len = 1, line = 1, column = at + 1): A.Span {
  return { start: at, end: at + len, line, column };
}
export function id(name: string, span = sp()): A.Identifier {
  return { kind: 'identifier', name, quoted: false, span };
}
export function qn(...parts: string[]): A.QualifiedName {
  return { kind: 'qualifiedName', parts: parts.map((p) => id(p)), span: sp() };
}
export function col(...parts: string[]): A.ColumnRef {
  return { kind: 'columnRef', name: qn(...parts), span: sp() };
}
export function colAt(name: string, at: number): A.ColumnRef {
  return {
    kind: 'columnRef',
    name: { kind: 'qualifiedName', parts: [id(name, sp(at, name.length))], span: sp(at, name.length) },
    span: sp(at, name.length),
  };
}
export function num(n: number): A.Literal {
  return { kind: 'literal', type: 'integer', value: String(n), span: sp() };
}
export function str(s: string): A.Literal {
  return { kind: 'literal', type: 'string', value: s, span: sp() };
}
export function interval(value: string, unit: A.IntervalUnit): A.IntervalLiteral {
  return { kind: 'interval', value, negative: false, from: unit, span: sp() };
}
export function bin(operator: A.BinaryOperator, left: A.Expression, right: A.Expression): A.BinaryExpression {
  return { kind: 'binary', operator, left, right, span: sp() };
}
export function star(): A.Star {
  return { kind: 'star', span: sp() };
}
export function fn(name: string, args: A.Expression[], extra: Partial<A.FunctionCall> = {}): A.FunctionCall {
  return { kind: 'call', name: qn(name), args, distinct: false, span: sp(), ...extra };
}
export function over(partitionBy: A.Expression[], orderBy: [A.Expression, boolean][]): A.WindowSpec {
  return {
    kind: 'windowSpec',
    partitionBy,
    orderBy: orderBy.map(([expression, descending]) => ({ expression, descending, span: sp() })),
    span: sp(),
  };
}
export function between(e: A.Expression, low: A.Expression, high: A.Expression): A.BetweenExpression {
  return { kind: 'between', expression: e, low, high, negated: false, symmetric: false, span: sp() };
}
export function table(name: string, alias?: string): A.NamedTableRef {
  return { kind: 'table', name: qn(name), ...(alias === undefined ? {} : { alias: id(alias) }), span: sp() };
}
export function sub(query: A.Query, alias?: string): A.SubqueryTableRef {
  return { kind: 'subquery', query, ...(alias === undefined ? {} : { alias: id(alias) }), span: sp() };
}
export function join(
  joinType: A.JoinTableRef['joinType'],
  left: A.TableRef,
  right: A.TableRef,
  on?: A.Expression,
): A.JoinTableRef {
  return { kind: 'join', joinType, left, right, ...(on === undefined ? {} : { on }), span: sp() };
}
export function tvf(name: string, data: A.TableRef, timeCol: string, ...intervals: A.Expression[]): A.TableFunctionRef {
  return {
    kind: 'tableFunction',
    name,
    args: [
      { kind: 'tableArg', table: data },
      { kind: 'descriptorArg', columns: [id(timeCol)] },
      ...intervals.map((expression) => ({ kind: 'expressionArg' as const, expression })),
    ],
    span: sp(),
  };
}
export function select(
  items: (A.Expression | [A.Expression, string])[],
  from?: A.TableRef,
  extra: Partial<A.Select> & { group?: A.Expression[] } = {},
): A.Select {
  const { group, ...rest } = extra;
  return {
    kind: 'select',
    distinct: false,
    items: items.map((i) =>
      Array.isArray(i) ? { expression: i[0], alias: id(i[1]), span: sp() } : { expression: i, span: sp() },
    ),
    ...(from === undefined ? {} : { from }),
    ...(group === undefined
      ? {}
      : { groupBy: { items: group.map((expression) => ({ kind: 'expression' as const, expression })), span: sp() } }),
    span: sp(),
    ...rest,
  };
}
export function type(name: A.SimpleTypeName, ...args: number[]): A.TypeName {
  return { kind: 'simpleType', name, args, nullable: true, span: sp() };
}
export function createTable(
  name: string,
  columns: [string, A.TypeName | A.Expression][],
  options: Record<string, string>,
  watermark?: [string, A.Expression],
  primaryKey?: string[],
): A.CreateTable {
  return {
    kind: 'createTable',
    name: qn(name),
    temporary: false,
    ifNotExists: false,
    columns: columns.map(([n, t]) =>
      'name' in t && t.kind === 'simpleType'
        ? { kind: 'physical' as const, name: id(n), type: t, primaryKey: false, span: sp() }
        : (t as A.TypeName).kind === 'rowType' || (t as A.TypeName).kind === 'simpleType'
          ? { kind: 'physical' as const, name: id(n), type: t as A.TypeName, primaryKey: false, span: sp() }
          : { kind: 'computed' as const, name: id(n), expression: t as A.Expression, span: sp() },
    ),
    ...(watermark === undefined
      ? {}
      : { watermark: { column: qn(watermark[0]), expression: watermark[1], span: sp() } }),
    ...(primaryKey === undefined
      ? {}
      : { primaryKey: { columns: primaryKey.map((p) => id(p)), enforced: false, span: sp() } }),
    options: Object.entries(options).map(([key, value]) => ({ key, value, span: sp() })),
    span: sp(),
  };
}
export function insert(tableName: string, query: A.Query, span = sp()): A.InsertStatement {
  return { kind: 'insert', table: qn(tableName), overwrite: false, query, span };
}
