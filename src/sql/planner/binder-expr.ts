import { type FunctionCatalog, FunctionTypeError } from '../functions/function-catalog.js';
import type { WindowSpec as AstWindowSpec, Expression, FunctionCall, Span } from '../parser/ast.js';
import type { Rex, RexCall } from '../plan/rex.js';
import { nearestName } from '../sql-error.js';
import { CastError, castFunction } from '../types/cast.js';
import { formatType, MAX_VARCHAR_LENGTH, type SqlType } from '../types/sql-type.js';
import { REX_SPANS, resolveColumn, type Scope } from './binder-scope.js';
import { callName, placeholder } from './binder-walk.js';
import { stripTimeAttribute } from './logical-nodes.js';
import { and } from './rex-utils.js';
import { arithmeticType, commonType, intervalValue, literalValue, typeFromAst } from './types.js';

/** Raises a positioned SQL error (the binder's error reporter). */
export type Fail = (reason: string, span: Span | undefined, suggestion?: string) => never;

/** An aggregate call met while binding a select list / HAVING: arguments as bound over the block's input. */
export interface CollectedAggregate {
  readonly function: string;
  readonly args: readonly Rex[];
  readonly distinct: boolean;
  readonly filter?: Rex;
  readonly type: SqlType;
  readonly text: string;
}

/** An OVER call met while binding a select list. */
export interface CollectedOver {
  readonly function: string;
  readonly args: readonly Rex[];
  readonly partition: readonly Rex[];
  readonly order: readonly { readonly rex: Rex; readonly descending: boolean; readonly nullsFirst: boolean }[];
  readonly frame: AstWindowSpec['frame'];
  readonly type: SqlType;
  readonly span: Span;
}

/** What an expression may contain where it is bound. */
export interface ExprContext {
  readonly scope: Scope;
  /** Present where aggregates are allowed: calls are collected and replaced by `$AGG(k)` placeholders. */
  readonly aggregates?: CollectedAggregate[];
  /** Legacy group window present: TUMBLE_START & co. become `$WIN(0|1|2)` placeholders. */
  readonly groupWindow?: boolean;
  /** Present where OVER is allowed: calls are collected and replaced by `$OVER(k)` placeholders. */
  readonly overs?: CollectedOver[];
  /** Binds IN / EXISTS / scalar subqueries; absent where they are not supported. */
  readonly subquery?: (e: Expression) => Rex;
  readonly namedWindows?: ReadonlyMap<string, AstWindowSpec>;
}

const BOOL: SqlType = { kind: 'BOOLEAN', nullable: true };
const bool = (nullable: boolean): SqlType => ({ kind: 'BOOLEAN', nullable });
const BOOL_NN: SqlType = { kind: 'BOOLEAN', nullable: false };
const RANKING = new Set(['ROW_NUMBER', 'RANK', 'DENSE_RANK']);
const WINDOW_PROPS = /^(TUMBLE|HOP|SESSION|CUMULATE)_(START|END|ROWTIME|PROCTIME)$/;
const GROUP_WINDOWS = new Set(['TUMBLE', 'HOP', 'SESSION', 'CUMULATE']);

/** Turns AST expressions into typed Rex over a scope, resolving names and functions through the catalog. */
export class ExprBinder {
  constructor(
    private readonly catalog: FunctionCatalog,
    private readonly fail: Fail,
  ) {}

  bind(e: Expression, ctx: ExprContext): Rex {
    switch (e.kind) {
      case 'columnRef':
        return this.column(e.name.parts, e.span, ctx);
      case 'literal': {
        const { value, type } = this.guard(() => literalValue(e), e.span);
        return { kind: 'literal', value, type };
      }
      case 'interval': {
        const { value, type } = this.guard(() => intervalValue(e.value, e.from, e.to, e.negative), e.span);
        return { kind: 'literal', value, type };
      }
      case 'binary':
        return this.binary(e.operator, this.bind(e.left, ctx), this.bind(e.right, ctx), e.span);
      case 'unary': {
        const x = this.bind(e.operand, ctx);
        if (e.operator === 'NOT') return this.call('NOT', [x], bool(x.type.nullable), e.span);
        if (e.operator === '+') return x;
        if (x.kind === 'literal' && typeof x.value === 'number') return { ...x, value: -x.value };
        return this.call(
          '-',
          [{ kind: 'literal', value: 0, type: { ...x.type, nullable: false } as SqlType }, x],
          stripTimeAttribute(x.type),
          e.span,
        );
      }
      case 'call':
        return this.functionCall(e, ctx);
      case 'case': {
        const args: Rex[] = [];
        const operand = e.operand === undefined ? undefined : this.bind(e.operand, ctx);
        for (const w of e.whens) {
          const when = this.bind(w.when, ctx);
          args.push(operand === undefined ? when : this.binary('=', operand, when, w.when.span));
          args.push(this.bind(w.then, ctx));
        }
        const elseRex: Rex =
          e.else === undefined
            ? { kind: 'literal', value: null, type: { kind: 'NULL', nullable: true } }
            : this.bind(e.else, ctx);
        const thens = [...args.filter((_, i) => i % 2 === 1), elseRex];
        const type = commonType(thens.map((t) => t.type));
        if (type === undefined)
          this.fail(`Incompatible types in CASE: ${thens.map((t) => formatType(t.type)).join(', ')}`, e.span);
        const resultType = { ...type, nullable: type.nullable || e.else === undefined } as SqlType;
        return this.call('CASE', [...args, elseRex], resultType, e.span);
      }
      case 'cast': {
        const x = this.bind(e.expression, ctx);
        const target = typeFromAst(e.type);
        try {
          castFunction(x.type, target);
        } catch (error) {
          // Checked here, where the CAST's position is known, rather than when the plan is compiled.
          if (!(error instanceof CastError)) throw error;
          this.fail(`${error.message}: CAST(${formatType(x.type)} AS ${formatType(target)}) is not supported`, e.span);
        }
        const type = {
          ...target,
          nullable: e.try || x.type.nullable || (target.nullable && e.type.nullable && x.type.nullable),
        } as SqlType;
        return this.call(
          e.try ? 'TRY_CAST' : 'CAST',
          [x],
          e.try ? ({ ...target, nullable: true } as SqlType) : ({ ...type, nullable: x.type.nullable } as SqlType),
          e.span,
        );
      }
      case 'between': {
        const x = this.bind(e.expression, ctx);
        const lo = this.bind(e.low, ctx);
        const hi = this.bind(e.high, ctx);
        let r: Rex = and([this.binary('>=', x, lo, e.span), this.binary('<=', x, hi, e.span)])!;
        if (e.symmetric)
          r = this.call(
            'OR',
            [r, and([this.binary('>=', x, hi, e.span), this.binary('<=', x, lo, e.span)])!],
            BOOL,
            e.span,
          );
        return e.negated ? this.call('NOT', [r], r.type, e.span) : r;
      }
      case 'inList': {
        const x = this.bind(e.expression, ctx);
        const items = e.list.map((i) => this.bind(i, ctx));
        const r = this.call('IN', [x, ...items], bool(x.type.nullable || items.some((i) => i.type.nullable)), e.span);
        return e.negated ? this.call('NOT', [r], r.type, e.span) : r;
      }
      case 'inSubquery':
      case 'exists':
      case 'scalarSubquery':
        if (ctx.subquery === undefined)
          return this.fail('Subqueries are only supported in WHERE conditions here', e.span);
        return ctx.subquery(e);
      case 'is': {
        const x = this.bind(e.expression, ctx);
        const test = e.test === 'UNKNOWN' ? 'NULL' : e.test;
        return this.call(`IS ${e.negated ? 'NOT ' : ''}${test}`, [x], BOOL_NN, e.span);
      }
      case 'like': {
        const args = [this.bind(e.expression, ctx), this.bind(e.pattern, ctx)];
        if (e.escape !== undefined) args.push(this.bind(e.escape, ctx));
        const r = this.call(e.operator, args, bool(args.some((a) => a.type.nullable)), e.span);
        return e.negated ? this.call('NOT', [r], r.type, e.span) : r;
      }
      case 'fieldAccess':
        return this.field(this.bind(e.expression, ctx), e.field.name, e.field.span);
      case 'item': {
        const c = this.bind(e.expression, ctx);
        const i = this.bind(e.index, ctx);
        const t = c.type;
        const type: SqlType =
          t.kind === 'ARRAY'
            ? ({ ...t.element, nullable: true } as SqlType)
            : t.kind === 'MAP'
              ? ({ ...t.value, nullable: true } as SqlType)
              : { kind: 'ANY', nullable: true };
        return this.call('ITEM', [c, i], type, e.span);
      }
      case 'row': {
        const fields = e.fields.map((f) => this.bind(f, ctx));
        return this.call(
          'ROW',
          fields,
          { kind: 'ROW', fields: fields.map((f, i) => ({ name: `EXPR$${i}`, type: f.type })), nullable: false },
          e.span,
        );
      }
      case 'array': {
        const els = e.elements.map((f) => this.bind(f, ctx));
        const element = commonType(els.map((x) => x.type)) ?? { kind: 'ANY', nullable: true };
        return this.call('ARRAY', els, { kind: 'ARRAY', element, nullable: false }, e.span);
      }
      case 'map': {
        const keys = e.entries.map((x) => this.bind(x.key, ctx));
        const values = e.entries.map((x) => this.bind(x.value, ctx));
        const type: SqlType = {
          kind: 'MAP',
          key: commonType(keys.map((k) => k.type)) ?? { kind: 'ANY', nullable: true },
          value: commonType(values.map((k) => k.type)) ?? { kind: 'ANY', nullable: true },
          nullable: false,
        };
        return this.call(
          'MAP',
          keys.flatMap((k, i) => [k, values[i]!]),
          type,
          e.span,
        );
      }
      case 'star':
        return this.fail("'*' is only allowed in a select list or COUNT(*)", e.span);
      case 'timeFunction': {
        const def = this.catalog.scalar(e.name);
        const fallback: SqlType =
          e.name === 'CURRENT_TIMESTAMP'
            ? { kind: 'TIMESTAMP_LTZ', precision: 3, nullable: false }
            : e.name === 'LOCALTIMESTAMP'
              ? { kind: 'TIMESTAMP', precision: 3, nullable: false }
              : e.name === 'CURRENT_DATE'
                ? { kind: 'DATE', nullable: false }
                : { kind: 'TIME', precision: 0, nullable: false };
        return this.call(
          e.name,
          [],
          def === undefined ? fallback : this.infer(() => def.inferType([], e.span), e.span),
          e.span,
        );
      }
    }
  }

  /** A column reference: scope lookup, then nested ROW fields. */
  private column(parts: FunctionCall['name']['parts'], span: Span, ctx: ExprContext): Rex {
    const r = resolveColumn(ctx.scope, parts);
    if (r.kind === 'ambiguous') return this.fail(`Column '${r.name}' is ambiguous`, span);
    if (r.kind === 'missing') {
      const where = r.qualifier === undefined ? 'any table' : `table '${r.qualifier}'`;
      const near = nearestName(r.name, r.candidates);
      return this.fail(
        `Column '${r.name}' not found in ${where}`,
        span,
        near === undefined ? undefined : `Did you mean '${near}'?`,
      );
    }
    let rex: Rex =
      r.depth === 0
        ? { kind: 'input', index: r.field.index, type: r.field.type }
        : { kind: 'correlated', scope: r.depth, index: r.field.index, type: r.field.type };
    REX_SPANS.set(rex, span);
    for (const f of r.rest) rex = this.field(rex, f.name, f.span);
    return rex;
  }

  private field(rex: Rex, name: string, span: Span): Rex {
    const t = rex.type;
    if (t.kind !== 'ROW') return this.fail(`Cannot access field '${name}' of a value of type ${formatType(t)}`, span);
    const index = t.fields.findIndex((f) => f.name === name);
    if (index < 0) {
      const near = nearestName(
        name,
        t.fields.map((f) => f.name),
      );
      return this.fail(
        `Field '${name}' not found in ${formatType(t)}`,
        span,
        near === undefined ? undefined : `Did you mean '${near}'?`,
      );
    }
    const ft = t.fields[index]!.type;
    return {
      kind: 'field',
      expression: rex,
      index,
      type: t.nullable && !ft.nullable ? ({ ...ft, nullable: true } as SqlType) : ft,
    };
  }

  /** A binary operator: arithmetic typed by Flink's rules, comparisons and logic BOOLEAN. */
  binary(op: string, l: Rex, r: Rex, span: Span): Rex {
    const nullable = l.type.nullable || r.type.nullable;
    switch (op) {
      case 'AND':
      case 'OR': {
        const flat = [l, r].flatMap((x) => (x.kind === 'call' && x.name === op ? x.args : [x]));
        return this.call(op, flat, bool(nullable), span);
      }
      case '=':
      case '<>':
      case '<':
      case '<=':
      case '>':
      case '>=':
        return this.call(op, [l, r], bool(nullable), span);
      case 'IS DISTINCT FROM':
      case 'IS NOT DISTINCT FROM':
        return this.call(op, [l, r], BOOL_NN, span);
      case '||':
        return this.call('||', [l, r], { kind: 'VARCHAR', length: MAX_VARCHAR_LENGTH, nullable }, span);
      default: {
        const def = this.catalog.scalar(op);
        let type: SqlType | undefined;
        if (def !== undefined) {
          try {
            type = def.inferType([l.type, r.type], span);
          } catch {
            type = undefined;
          }
        }
        type ??= arithmeticType(op, l.type, r.type);
        if (type === undefined) {
          return this.fail(
            `Cannot apply '${op}' to arguments of type '${formatType(l.type)}' and '${formatType(r.type)}'`,
            span,
          );
        }
        return this.call(op, [l, r], stripTimeAttribute(type), span);
      }
    }
  }

  private functionCall(e: FunctionCall, ctx: ExprContext): Rex {
    const name = callName(e);
    const upper = name.toUpperCase();
    if (e.over !== undefined) return this.overCall(e, name, ctx);
    if (upper === 'PROCTIME' && e.args.length === 0) {
      return this.call(
        'PROCTIME',
        [],
        { kind: 'TIMESTAMP_LTZ', precision: 3, nullable: false, timeAttribute: 'proctime' },
        e.span,
      );
    }
    const m = WINDOW_PROPS.exec(upper);
    if (m !== null) {
      if (!ctx.groupWindow) return this.fail(`${upper} is only allowed with GROUP BY ${m[1]}(...)`, e.span);
      const which = m[2] === 'START' ? 0 : m[2] === 'END' ? 1 : 2;
      const type: SqlType =
        which < 2
          ? { kind: 'TIMESTAMP', precision: 3, nullable: false }
          : {
              kind: m[2] === 'PROCTIME' ? 'TIMESTAMP_LTZ' : 'TIMESTAMP',
              precision: 3,
              nullable: false,
              timeAttribute: m[2] === 'PROCTIME' ? 'proctime' : 'rowtime',
            };
      return placeholder('$WIN', which, type);
    }
    if (GROUP_WINDOWS.has(upper) && ctx.groupWindow)
      return placeholder('$WINGROUP', 0, { kind: 'NULL', nullable: true });
    if ((upper === 'GROUPING' || upper === 'GROUPING_ID') && this.catalog.scalar(name) === undefined) {
      // Resolved by the aggregation binder from the grouping set each row belongs to.
      if (ctx.aggregates === undefined) return this.fail(`${upper} is only allowed in a query with GROUP BY`, e.span);
      if (e.args.length === 0) return this.fail(`${upper} needs at least one grouped expression`, e.span);
      const inner: ExprContext = { scope: ctx.scope, namedWindows: ctx.namedWindows };
      const args = e.args.map((a) => this.bind(a, inner));
      const rex: Rex = { kind: 'call', name: '$GROUPING', args, type: { kind: 'BIGINT', nullable: false } };
      REX_SPANS.set(rex, e.span);
      return rex;
    }
    const agg = this.catalog.aggregate(name);
    if (agg !== undefined) {
      if (ctx.aggregates === undefined) return this.fail(`Aggregate function '${name}' is not allowed here`, e.span);
      const star = e.args.length === 1 && e.args[0]!.kind === 'star';
      const inner: ExprContext = { scope: ctx.scope, namedWindows: ctx.namedWindows };
      const args = star ? [] : e.args.map((a) => this.bind(a, inner));
      const filter = e.filter === undefined ? undefined : this.bind(e.filter, inner);
      const type = this.infer(
        () =>
          agg.inferType(
            args.map((a) => a.type),
            e.span,
          ),
        e.span,
      );
      const text = `${upper}(${e.distinct ? 'DISTINCT ' : ''}${star ? '*' : args.map((_, i) => `$${i}`).join(', ')})`;
      ctx.aggregates.push({ function: agg.name, args, distinct: e.distinct, filter, type, text });
      return placeholder('$AGG', ctx.aggregates.length - 1, type);
    }
    const args = e.args.map((a) => this.bind(a, ctx));
    const def = this.catalog.scalar(name);
    if (def === undefined) {
      const near = nearestName(name, this.catalog.names());
      return this.fail(
        `No match found for function signature ${name}(${args.map((a) => `<${formatType(a.type)}>`).join(', ')})`,
        e.span,
        near === undefined ? undefined : `Did you mean '${near}'?`,
      );
    }
    const type = this.infer(
      () =>
        def.inferType(
          args.map((a) => a.type),
          e.span,
        ),
      e.span,
    );
    const rex: RexCall =
      def.kind === 'user'
        ? { kind: 'call', name: def.name, args, type: stripTimeAttribute(type), udf: true, span: e.span }
        : { kind: 'call', name: upper, args, type: stripTimeAttribute(type), span: e.span };
    return rex;
  }

  private overCall(e: FunctionCall, name: string, ctx: ExprContext): Rex {
    if (ctx.overs === undefined) return this.fail(`OVER is only allowed in a select list`, e.span);
    let spec = e.over!;
    if (spec.kind === 'identifier') {
      const named = ctx.namedWindows?.get(spec.name);
      if (named === undefined) return this.fail(`Window '${spec.name}' not found`, spec.span);
      spec = named;
    }
    const upper = name.toUpperCase();
    const inner: ExprContext = { ...ctx, overs: undefined };
    const partition = spec.partitionBy.map((p) => this.bind(p, inner));
    const order = spec.orderBy.map((o) => ({
      rex: this.bind(o.expression, inner),
      descending: o.descending,
      nullsFirst: o.nullsFirst ?? !o.descending,
    }));
    let type: SqlType;
    let args: Rex[] = [];
    let fn = upper;
    if (RANKING.has(upper)) {
      type = { kind: 'BIGINT', nullable: false };
    } else {
      const agg = this.catalog.aggregate(name);
      if (agg === undefined) return this.fail(`'${name}' is not an aggregate or ranking function`, e.span);
      fn = agg.name;
      const star = e.args.length === 1 && e.args[0]!.kind === 'star';
      args = star ? [] : e.args.map((a) => this.bind(a, inner));
      type = this.infer(
        () =>
          agg.inferType(
            args.map((a) => a.type),
            e.span,
          ),
        e.span,
      );
    }
    ctx.overs.push({ function: fn, args, partition, order, frame: spec.frame, type, span: e.span });
    return placeholder('$OVER', ctx.overs.length - 1, type);
  }

  call(name: string, args: readonly Rex[], type: SqlType, span?: Span): RexCall {
    return span === undefined ? { kind: 'call', name, args, type } : { kind: 'call', name, args, type, span };
  }

  private infer(f: () => SqlType, span: Span): SqlType {
    try {
      return f();
    } catch (e) {
      if (e instanceof FunctionTypeError || e instanceof Error) return this.fail(e.message, span);
      throw e;
    }
  }

  private guard<T>(f: () => T, span: Span): T {
    try {
      return f();
    } catch (e) {
      return this.fail((e as Error).message, span);
    }
  }
}
