import type { FunctionCatalog } from '../functions/function-catalog.js';
import type {
  WindowSpec as AstWindowSpec,
  Expression,
  NamedTableRef,
  OrderItem,
  Query,
  Select,
  Span,
  TableRef,
} from '../parser/ast.js';
import type { Rex } from '../plan/rex.js';
import { nearestName, SqlError } from '../sql-error.js';
import type { RowField, SqlType } from '../types/sql-type.js';
import { bindAggregation } from './binder-aggregate.js';
import { type CollectedOver, ExprBinder, type ExprContext, type Fail } from './binder-expr.js';
import { bindFrom, type RelationResolver } from './binder-from.js';
import { Scope } from './binder-scope.js';
import { bindSemiJoin } from './binder-subquery.js';
import { containsAggregate, placeholderIndex } from './binder-walk.js';
import { Catalog, type CatalogView } from './catalog.js';
import { tableSchema } from './catalog-table.js';
import { type LogicalNode, type OverCall, type OverNode, stripFields, stripTimeAttribute } from './logical-nodes.js';
import { makeCalc, makeFilter, makeJoin } from './node-builders.js';
import { and, digest, mapRex } from './rex-utils.js';
import { singleValue } from './single-value.js';
import { commonType } from './types.js';

/** A bound query: its plan and its column names. */
export interface BoundQuery {
  readonly node: LogicalNode;
  readonly names: readonly string[];
}

type Cte = { readonly query: Query; readonly columns?: readonly string[] };

/**
 * Binds queries of one script: resolves relations (CTEs, views expanded from their AST, tables), columns and
 * functions, and builds the logical plan of each query block.
 */
export class QueryBinder implements RelationResolver {
  readonly binder: ExprBinder;
  readonly fail: Fail;
  private readonly ctes: Map<string, Cte>[] = [];
  private readonly expanding: string[] = [];

  constructor(
    readonly catalog: Catalog,
    readonly text: string,
    readonly source: string,
  ) {
    this.fail = (reason, span, suggestion) => {
      throw new SqlError(reason, span, this.text, this.source, suggestion);
    };
    this.binder = new ExprBinder(catalog.functions, this.fail);
  }

  bindQuery(q: Query, outer?: Scope): BoundQuery {
    switch (q.kind) {
      case 'with': {
        const frame = new Map<string, Cte>();
        this.ctes.push(frame);
        try {
          for (const c of q.ctes) frame.set(c.name.name, { query: c.query, columns: c.columns?.map((x) => x.name) });
          return this.bindQuery(q.body, outer);
        } finally {
          this.ctes.pop();
        }
      }
      case 'select':
        return this.bindSelect(q, outer);
      case 'values':
        return this.bindValues(q.rows, q.span);
      case 'setOperation': {
        const left = this.bindQuery(q.left, outer);
        const right = this.bindQuery(q.right, outer);
        const lf = left.node.schema.fields;
        const rf = right.node.schema.fields;
        if (lf.length !== rf.length) return this.fail(`Column count mismatch in ${q.operator}`, q.span);
        const types = lf.map(
          (f, i) =>
            commonType([f.type, rf[i]!.type]) ??
            this.fail(`Type mismatch in ${q.operator} for column '${f.name}'`, q.span),
        );
        const l = this.castTo(left.node, types, left.names);
        const r = this.castTo(right.node, types, left.names);
        let node: LogicalNode;
        if (q.operator === 'UNION') {
          node = { kind: 'union', inputs: [l, r], schema: l.schema };
        } else if (q.all) {
          node = this.multisetOperation(l, r, q.operator, left.names, q.span);
        } else {
          const keys = types.map((_, i) => i);
          node = {
            kind: 'join',
            left: l,
            right: r,
            joinType: q.operator === 'INTERSECT' ? 'SEMI' : 'ANTI',
            condition: and(
              types.map((t, i) =>
                this.binder.binary(
                  'IS NOT DISTINCT FROM',
                  { kind: 'input', index: i, type: t },
                  { kind: 'input', index: i + types.length, type: t },
                  q.span,
                ),
              ),
            ),
            leftKeys: keys,
            rightKeys: keys,
            strategy: { kind: 'regular' },
            schema: l.schema,
          };
        }
        if (!q.all) node = distinct(node);
        if (q.orderBy !== undefined || q.limit !== undefined)
          node = this.orderLimit(node, left.names, q.orderBy, q.limit, undefined);
        return { node, names: left.names };
      }
    }
  }

  /**
   * INTERSECT ALL / EXCEPT ALL (multiset semantics), as Flink plans them: both sides tagged with a count column each,
   * unioned, counted per distinct row, and each row replicated min(left, right) or (left - right) times.
   */
  private multisetOperation(
    l: LogicalNode,
    r: LogicalNode,
    operator: 'INTERSECT' | 'EXCEPT',
    names: readonly string[],
    span: Span,
  ): LogicalNode {
    const width = l.schema.fields.length;
    const bigint: SqlType = { kind: 'BIGINT', nullable: false };
    const lit = (value: number): Rex => ({ kind: 'literal', value, type: bigint });
    const tag = (node: LogicalNode, left: boolean): LogicalNode =>
      makeCalc(
        node,
        [
          ...node.schema.fields.map((f, i): Rex => ({ kind: 'input', index: i, type: f.type })),
          lit(left ? 1 : 0),
          lit(left ? 0 : 1),
        ],
        [...names, 'vcol_left_marker', 'vcol_right_marker'],
      );
    const tl = tag(l, true);
    const tr = tag(r, false);
    const union: LogicalNode = { kind: 'union', inputs: [tl, tr], schema: tl.schema };
    const keys = names.map((_, i) => i);
    const sum = (arg: number, name: string) => ({ function: 'SUM', args: [arg], distinct: false, type: bigint, name });
    const agg: LogicalNode = {
      kind: 'aggregate',
      input: union,
      groupKeys: keys,
      calls: [sum(width, 'vcol_left_cnt'), sum(width + 1, 'vcol_right_cnt')],
      schema: {
        fields: [
          ...stripFields(tl.schema.fields.slice(0, width)),
          { name: 'vcol_left_cnt', type: bigint },
          { name: 'vcol_right_cnt', type: bigint },
        ],
      },
    };
    const cl: Rex = { kind: 'input', index: width, type: bigint };
    const cr: Rex = { kind: 'input', index: width + 1, type: bigint };
    const count: Rex =
      operator === 'INTERSECT'
        ? { kind: 'call', name: 'CASE', args: [this.binder.binary('<', cl, cr, span), cl, cr], type: bigint }
        : this.binder.binary('-', cl, cr, span);
    const cols = agg.schema.fields.slice(0, width).map((f, i): Rex => ({ kind: 'input', index: i, type: f.type }));
    const counted = makeCalc(agg, [...cols, count], [...names, 'vcol_count']);
    const replicated: LogicalNode = {
      kind: 'correlate',
      input: counted,
      generator: { kind: 'replicate', count: width },
      joinType: 'INNER',
      span,
      schema: counted.schema,
    };
    return makeCalc(
      replicated,
      replicated.schema.fields.slice(0, width).map((f, i): Rex => ({ kind: 'input', index: i, type: f.type })),
      names,
    );
  }

  /**
   * A scalar subquery's relation as at most one row: as it is when it cannot have more (a global aggregate, one
   * VALUES row), else under Flink's SINGLE_VALUE aggregate, which fails the job naming the subquery when a second
   * row arrives.
   */
  private singleRow(node: LogicalNode, span: Span): LogicalNode {
    let n = node;
    while (n.kind === 'calc') n = n.input;
    if ((n.kind === 'aggregate' && n.groupKeys.length === 0) || (n.kind === 'values' && n.rows.length <= 1))
      return node;
    const f = node.schema.fields[0]!;
    const type = { ...stripTimeAttribute(f.type), nullable: true } as SqlType;
    return {
      kind: 'aggregate',
      input: node,
      groupKeys: [],
      calls: [
        {
          function: 'SINGLE_VALUE',
          args: [0],
          distinct: false,
          type,
          name: f.name,
          definition: singleValue(type, `${this.source}:${span.line}:${span.column}`),
        },
      ],
      schema: { fields: [{ name: f.name, type }] },
    };
  }

  private castTo(node: LogicalNode, types: readonly SqlType[], names: readonly string[]): LogicalNode {
    const fields = node.schema.fields;
    if (fields.every((f, i) => sameType(f.type, types[i]!))) return node;
    const projects: Rex[] = fields.map((f, i) => {
      const ref: Rex = { kind: 'input', index: i, type: f.type };
      return sameType(f.type, types[i]!) ? ref : { kind: 'call', name: 'CAST', args: [ref], type: types[i]! };
    });
    return makeCalc(node, projects, names);
  }

  private bindValues(rows: readonly (readonly Expression[])[], span: Span): BoundQuery {
    const scope = new Scope([]);
    const bound = rows.map((r) => r.map((e) => this.binder.bind(e, { scope })));
    const width = bound[0]?.length ?? 0;
    if (bound.some((r) => r.length !== width))
      return this.fail('VALUES rows must have the same number of columns', span);
    const types = Array.from(
      { length: width },
      (_, i) =>
        commonType(bound.map((r) => r[i]!.type)) ?? this.fail(`Incompatible types in VALUES column ${i + 1}`, span),
    );
    const castRows = bound.map((r) =>
      r.map(
        (x, i): Rex => (sameType(x.type, types[i]!) ? x : { kind: 'call', name: 'CAST', args: [x], type: types[i]! }),
      ),
    );
    const names = types.map((_, i) => `EXPR$${i}`);
    return {
      node: { kind: 'values', rows: castRows, schema: { fields: types.map((type, i) => ({ name: names[i]!, type })) } },
      names,
    };
  }

  /** RelationResolver: a CTE, view or table by name. */
  named(ref: NamedTableRef): BoundQuery {
    const parts = ref.name.parts.map((p) => p.name);
    if (parts.length === 1) {
      for (let i = this.ctes.length - 1; i >= 0; i--) {
        const cte = this.ctes[i]!.get(parts[0]!);
        if (cte !== undefined) {
          const b = this.bindQuery(cte.query);
          return { node: b.node, names: cte.columns ?? b.names };
        }
      }
    }
    const name = Catalog.objectName(parts);
    if (typeof name !== 'string') return this.fail(name.error, ref.name.span);
    const table = this.catalog.tables.get(name);
    if (table !== undefined) {
      const schema = tableSchema(table);
      return { node: { kind: 'scan', table, schema }, names: schema.fields.map((f) => f.name) };
    }
    const view = this.catalog.views.get(name);
    if (view !== undefined) return this.expandView(name, view, ref.span);
    const near = nearestName(name, this.catalog.relationNames());
    return this.fail(
      `Object '${name}' not found within 'default_catalog.default_database'`,
      ref.name.span,
      near === undefined ? undefined : `Did you mean '${near}'?`,
    );
  }

  private expandView(name: string, view: CatalogView, span: Span): BoundQuery {
    if (view.node !== undefined) return { node: view.node, names: view.node.schema.fields.map((f) => f.name) };
    if (this.expanding.includes(name)) return this.fail(`View '${name}' refers to itself`, span);
    this.expanding.push(name);
    try {
      const inner = new QueryBinder(this.catalog, view.text, view.source);
      inner.expanding.push(...this.expanding);
      const b = inner.bindQuery(view.query!);
      return { node: b.node, names: view.columns ?? b.names };
    } finally {
      this.expanding.pop();
    }
  }

  /** RelationResolver: the script's functions. */
  get functions(): FunctionCatalog {
    return this.catalog.functions;
  }

  /** RelationResolver: a subquery in FROM. */
  query(ref: TableRef & { kind: 'subquery' }): BoundQuery {
    return this.bindQuery(ref.query);
  }

  private bindSelect(select: Select, outer?: Scope): BoundQuery {
    let node: LogicalNode;
    let fields: Scope['fields'];
    if (select.from === undefined) {
      node = { kind: 'values', rows: [[]], schema: { fields: [] } };
      fields = [] as Scope['fields'];
    } else {
      const rel = bindFrom(select.from, this);
      node = rel.node;
      fields = rel.fields;
    }
    const scope = new Scope(fields, outer);
    const namedWindows = new Map<string, AstWindowSpec>((select.windows ?? []).map((w) => [w.name.name, w.spec]));
    // WHERE: IN / EXISTS conjuncts become SEMI / ANTI joins; scalar subqueries join a single-row relation.
    const subquery = (e: Expression): Rex => {
      if (e.kind !== 'scalarSubquery')
        return this.fail('IN / EXISTS subqueries are only supported as AND terms of WHERE', e.span);
      const sub = this.bindQuery(e.query);
      if (sub.node.schema.fields.length !== 1)
        return this.fail('A scalar subquery must return exactly one column', e.span);
      const width = node.schema.fields.length;
      const f = sub.node.schema.fields[0]!;
      const single = this.singleRow(sub.node, e.span);
      node = makeJoin(node, single, 'LEFT', undefined, {
        fields: [...node.schema.fields, { name: f.name, type: { ...f.type, nullable: true } as SqlType }],
      });
      return { kind: 'input', index: width, type: { ...f.type, nullable: true } as SqlType };
    };
    if (select.where !== undefined) {
      const conditions: Rex[] = [];
      for (const c of astConjuncts(select.where)) {
        const negated = c.kind === 'unary' && c.operator === 'NOT';
        const inner = negated ? (c as { operand: Expression }).operand : c;
        if (inner.kind === 'inSubquery' || inner.kind === 'exists') {
          node = bindSemiJoin(this, node, scope, inner, negated !== (inner.negated ?? false));
          continue;
        }
        conditions.push(this.binder.bind(c, { scope, subquery, namedWindows }));
      }
      const cond = and(conditions);
      if (cond !== undefined) node = makeFilter(node, cond);
    }
    const aggregating =
      select.groupBy !== undefined ||
      select.items.some((i) => containsAggregate(i.expression, this.catalog.functions)) ||
      containsAggregate(select.having, this.catalog.functions);
    const overs: CollectedOver[] = [];
    let items: Rex[] = [];
    const names: string[] = [];
    const bindItems = (ctx: ExprContext) => {
      for (const item of select.items) {
        const e = item.expression;
        if (e.kind === 'star') {
          const q = e.qualifier?.parts.map((p) => p.name).join('.');
          const cols = scope.star(q);
          if (cols.length === 0 && q !== undefined) this.fail(`Unknown table alias '${q}'`, e.span);
          for (const f of cols) {
            items.push({ kind: 'input', index: f.index, type: f.type });
            names.push(f.name);
          }
          continue;
        }
        items.push(this.binder.bind(e, ctx));
        names.push(item.alias?.name ?? defaultName(e, names.length));
      }
    };
    let having: Rex | undefined;
    if (aggregating) {
      if (select.items.some((i) => i.expression.kind === 'star')) {
        // `SELECT *` with GROUP BY: every column must be grouped; the rewrite below reports the first that is not.
      }
      const agg = bindAggregation(select, node, scope, this.binder, this.fail, { overs, namedWindows });
      agg.collect(() => {
        bindItems({ ...agg.context, overs });
        if (select.having !== undefined) having = this.binder.bind(select.having, agg.context);
      });
      items = items.map(agg.rewrite);
      if (having !== undefined) having = agg.rewrite(having);
      node = agg.node;
      // Name the aggregate's columns after the select items that show them (plans and messages read like Flink's).
      const fields = [...node.schema.fields];
      const renamed = new Set<number>();
      items.forEach((r, i) => {
        if (r.kind === 'input' && !renamed.has(r.index)) {
          renamed.add(r.index);
          fields[r.index] = { name: names[i]!, type: fields[r.index]!.type };
        }
      });
      node = { ...node, schema: { fields } } as LogicalNode;
      for (let i = 0; i < overs.length; i++) {
        const o = overs[i]!;
        overs[i] = {
          ...o,
          args: o.args.map(agg.rewrite),
          partition: o.partition.map(agg.rewrite),
          order: o.order.map((x) => ({ ...x, rex: agg.rewrite(x.rex) })),
        };
      }
      if (having !== undefined) node = makeFilter(node, having);
    } else {
      bindItems({ scope, overs, subquery, namedWindows });
    }
    if (overs.length > 0) {
      const { node: withOver, columns } = this.buildOver(node, overs);
      node = withOver;
      items = items.map((r) =>
        mapRex(r, (x) => {
          const k = placeholderIndex(x, '$OVER');
          return k === undefined ? x : { kind: 'input', index: columns[k]!, type: x.type };
        }),
      );
    }
    node = makeCalc(node, items, names);
    if (select.distinct) node = distinct(node);
    if (select.orderBy !== undefined || select.limit !== undefined)
      node = this.orderLimit(node, names, select.orderBy, select.limit, select.offset);
    return { node, names };
  }

  /** OVER calls: one Over node per distinct window (chained), preceded by a Calc when keys are expressions. */
  private buildOver(input: LogicalNode, overs: readonly CollectedOver[]): { node: LogicalNode; columns: number[] } {
    let node = input;
    const columns: number[] = [];
    const groups = new Map<string, number[]>();
    overs.forEach((o, i) => {
      const key = `${o.partition.map(digest).join(',')}|${o.order.map((x) => `${digest(x.rex)}${x.descending}${x.nullsFirst}`).join(',')}|${JSON.stringify(o.frame ?? null)}`;
      const g = groups.get(key) ?? [];
      g.push(i);
      groups.set(key, g);
    });
    for (const members of groups.values()) {
      const first = overs[members[0]!]!;
      const extra: Rex[] = [];
      const width = node.schema.fields.length;
      const col = (r: Rex): number => {
        if (r.kind === 'input') return r.index;
        const d = digest(r);
        const at = extra.findIndex((x) => digest(x) === d);
        if (at >= 0) return width + at;
        extra.push(r);
        return width + extra.length - 1;
      };
      const partition = first.partition.map(col);
      const orderBy = first.order.map((o) => ({
        index: col(o.rex),
        descending: o.descending,
        nullsFirst: o.nullsFirst,
      }));
      const calls: OverCall[] = members.map((m, j) => ({
        function: overs[m]!.function,
        args: overs[m]!.args.map(col),
        type: overs[m]!.type,
        name: `w${columns.length + j}$o`,
      }));
      if (extra.length > 0) {
        const pass: Rex[] = node.schema.fields.map((f, i) => ({ kind: 'input', index: i, type: f.type }));
        node = makeCalc(
          node,
          [...pass, ...extra],
          [...node.schema.fields.map((f) => f.name), ...extra.map((_, i) => `$o${i}`)],
        );
      }
      const frame = this.frame(first);
      const base = node.schema.fields.length;
      const over: OverNode = {
        kind: 'over',
        input: node,
        partition,
        orderBy,
        frame,
        calls,
        span: first.span,
        schema: { fields: [...node.schema.fields, ...calls.map((c) => ({ name: c.name, type: c.type }))] },
      };
      node = over;
      members.forEach((m, j) => {
        columns[m] = base + j;
      });
    }
    return { node, columns };
  }

  private frame(o: CollectedOver): OverNode['frame'] {
    const f = o.frame;
    if (f === undefined) return { unit: 'RANGE' };
    const start = f.start;
    if (start.kind === 'unboundedPreceding') return { unit: f.unit };
    if (start.kind !== 'preceding')
      return this.fail('OVER frames must start at UNBOUNDED PRECEDING or N PRECEDING and end at CURRENT ROW', o.span);
    const v = this.binder.bind(start.offset, { scope: new Scope([]) });
    if (v.kind !== 'literal' || typeof v.value !== 'number')
      return this.fail('The frame offset must be a constant', o.span);
    return f.unit === 'ROWS' ? { unit: 'ROWS', precedingRows: v.value } : { unit: 'RANGE', precedingMs: v.value };
  }

  /**
   * ORDER BY / LIMIT of a query block. With LIMIT: a Top-N over the whole relation (updating in streaming). Without
   * LIMIT: a Sort, which streaming runs only on a time attribute ascending (Flink's temporal sort) and batch on any
   * keys; lowering refuses other sorts in streaming with Flink's message.
   */
  private orderLimit(
    node: LogicalNode,
    names: readonly string[],
    orderBy: readonly OrderItem[] | undefined,
    limit: Expression | undefined,
    offsetExpr: Expression | undefined,
  ): LogicalNode {
    const outScope = new Scope(node.schema.fields.map((f, i) => ({ name: names[i]!, index: i, type: f.type })));
    const sortKeys = (orderBy ?? []).map((o) => {
      let r = this.binder.bind(o.expression, { scope: outScope });
      // ORDER BY 2: the second output column.
      if (r.kind === 'literal' && typeof r.value === 'number' && Number.isInteger(r.value)) {
        const at = r.value - 1;
        const f = node.schema.fields[at];
        if (f === undefined) return this.fail(`Ordinal out of range: ${r.value}`, o.span);
        r = { kind: 'input', index: at, type: f.type };
      }
      if (r.kind !== 'input') return this.fail('ORDER BY supports output columns only', o.span);
      return { index: r.index, descending: o.descending, nullsFirst: o.nullsFirst ?? !o.descending };
    });
    if (limit === undefined) {
      if (sortKeys.length === 0) return node;
      const first = node.schema.fields[sortKeys[0]!.index]!.type;
      const temporal =
        !sortKeys[0]!.descending &&
        (first.kind === 'TIMESTAMP' || first.kind === 'TIMESTAMP_LTZ') &&
        first.timeAttribute !== undefined;
      return { kind: 'sort', input: node, sortKeys, temporal, schema: node.schema };
    }
    const lim = this.binder.bind(limit, { scope: new Scope([]) });
    if (lim.kind !== 'literal' || typeof lim.value !== 'number')
      return this.fail('LIMIT must be a constant', limit.span);
    const offset =
      offsetExpr === undefined
        ? 0
        : Number((this.binder.bind(offsetExpr, { scope: new Scope([]) }) as { value: number }).value);
    return {
      kind: 'rank',
      input: node,
      function: 'ROW_NUMBER',
      partition: [],
      sortKeys,
      rankStart: offset + 1,
      rankEnd: offset + lim.value,
      outputRankNumber: false,
      schema: node.schema,
    };
  }
}

function astConjuncts(e: Expression): Expression[] {
  if (e.kind === 'binary' && e.operator === 'AND') return [...astConjuncts(e.left), ...astConjuncts(e.right)];
  return [e];
}

function defaultName(e: Expression, i: number): string {
  if (e.kind === 'columnRef') return e.name.parts[e.name.parts.length - 1]!.name;
  if (e.kind === 'fieldAccess') return e.field.name;
  return `EXPR$${i}`;
}

/** SELECT DISTINCT / UNION: an aggregate grouping by every column. */
export function distinct(node: LogicalNode): LogicalNode {
  const fields: RowField[] = node.schema.fields.map((f) => ({ name: f.name, type: f.type }));
  return { kind: 'aggregate', input: node, groupKeys: fields.map((_, i) => i), calls: [], schema: { fields } };
}

function sameType(a: SqlType, b: SqlType): boolean {
  return (
    JSON.stringify({ ...a, nullable: true, timeAttribute: undefined }) ===
    JSON.stringify({ ...b, nullable: true, timeAttribute: undefined })
  );
}
