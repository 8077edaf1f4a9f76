import type { WindowSpec } from '../operators/window-aggregate.js';
import type { Expression, Select, Span } from '../parser/ast.js';
import type { Rex } from '../plan/rex.js';
import type { SqlType } from '../types/sql-type.js';
import type { CollectedAggregate, ExprBinder, ExprContext, Fail } from './binder-expr.js';
import { REX_SPANS, type Scope } from './binder-scope.js';
import { placeholderIndex } from './binder-walk.js';
import { type AggSpec, type LogicalNode, nullableType, stripTimeAttribute } from './logical-nodes.js';
import { makeCalc } from './node-builders.js';
import { digest } from './rex-utils.js';

/** What aggregation of a select block produced: the aggregate node and a rewriter of expressions onto its output. */
export interface BoundAggregation {
  readonly node: LogicalNode;
  /** Rewrites an expression bound in the aggregate context onto the aggregate's output columns. */
  rewrite(rex: Rex): Rex;
  readonly context: ExprContext;
}

/** Milliseconds of a constant interval expression (window sizes). */
export function constantMs(rex: Rex, span: Span, fail: Fail): number {
  if (rex.kind === 'literal' && typeof rex.value === 'number') return rex.value;
  return fail('Expected a constant interval', span);
}

/**
 * GROUP BY and aggregates of a select block: a pre-projection (group expressions, aggregate arguments, FILTER
 * conditions), the Aggregate (or, for GROUP BY TUMBLE/HOP/SESSION(...), a WindowAggregate) node, and a rewriter
 * that maps select items and HAVING onto its output, refusing columns that are neither grouped nor aggregated.
 */
export function bindAggregation(
  select: Select,
  input: LogicalNode,
  scope: Scope,
  binder: ExprBinder,
  fail: Fail,
  base: Omit<ExprContext, 'scope'>,
): BoundAggregation & { collect(items: () => void): void } {
  const plain: ExprContext = { ...base, scope };
  const groupRex: Rex[] = [];
  const groupNames: string[] = [];
  let window: { spec: WindowSpec; time: Rex; eventTime: boolean } | undefined;
  // Each GROUP BY item as its grouping sets (lists of group expression positions); the query's sets are their
  // cross product (GROUP BY a, ROLLUP(b, c) = (a, b, c), (a, b), (a)).
  const itemSets: number[][][] = [];
  const groupSlot = (e: Expression): number => {
    const rex = binder.bind(e, plain);
    const d = digest(rex);
    const at = groupRex.findIndex((r) => digest(r) === d);
    if (at >= 0) return at;
    groupRex.push(rex);
    groupNames.push(e.kind === 'columnRef' ? e.name.parts[e.name.parts.length - 1]!.name : `EXPR$${groupNames.length}`);
    return groupRex.length - 1;
  };
  for (const item of select.groupBy?.items ?? []) {
    if (item.kind === 'groupingSets') {
      itemSets.push(item.sets.map((set) => set.map(groupSlot)));
      continue;
    }
    if (item.kind === 'rollup') {
      const cols = item.expressions.map(groupSlot);
      itemSets.push(Array.from({ length: cols.length + 1 }, (_, i) => cols.slice(0, cols.length - i)));
      continue;
    }
    if (item.kind === 'cube') {
      const cols = item.expressions.map(groupSlot);
      const n = cols.length;
      // Largest set first, as Flink lists them.
      itemSets.push(
        Array.from({ length: 1 << n }, (_, mask) => cols.filter((_, i) => ((mask >> (n - 1 - i)) & 1) === 0)),
      );
      continue;
    }
    const e = item.expression;
    const legacy =
      e.kind === 'call'
        ? e.name.parts
            .map((p) => p.name)
            .join('.')
            .toUpperCase()
        : '';
    if (e.kind === 'call' && (legacy === 'TUMBLE' || legacy === 'HOP' || legacy === 'SESSION')) {
      if (window !== undefined) return fail('Only one group window is allowed', e.span);
      window = legacyWindow(legacy, e.args, binder, plain, fail, e.span);
      continue;
    }
    itemSets.push([[groupSlot(e)]]);
  }
  let sets: number[][] = [[]];
  for (const options of itemSets) sets = sets.flatMap((s) => options.map((o) => [...new Set([...s, ...o])]));
  // Equal sets once (each set is told apart by its grouping id).
  const seenSets = new Set<string>();
  sets = sets.filter((s) => {
    const k = [...s].sort((a, b) => a - b).join(',');
    if (seenSets.has(k)) return false;
    seenSets.add(k);
    return true;
  });
  const groupingSets = sets.length === 1 && sets[0]!.length === groupRex.length ? undefined : sets;
  if (groupingSets !== undefined && window !== undefined)
    return fail('GROUPING SETS, ROLLUP and CUBE are not supported with group windows', select.groupBy!.span);
  let groupingId: { index: number; ids: number[] } | undefined;
  const aggregates: CollectedAggregate[] = [];
  const context: ExprContext = { ...base, scope, aggregates, groupWindow: window !== undefined };
  const result = {
    context,
    node: input,
    rewrite: (_: Rex): Rex => _,
    collect(items: () => void) {
      items();
      // Pre-projection: group expressions, then arguments and filters of every aggregate call (shared when equal).
      const pre: Rex[] = [...groupRex];
      const slot = (r: Rex): number => {
        const d = digest(r);
        const at = pre.findIndex((p) => digest(p) === d);
        if (at >= 0) return at;
        pre.push(r);
        return pre.length - 1;
      };
      const timeSlot = window === undefined ? -1 : slot(window.time);
      const calls: AggSpec[] = aggregates.map((a, i) => ({
        function: a.function,
        args: a.args.map(slot),
        distinct: a.distinct,
        filter: a.filter === undefined ? undefined : slot(a.filter),
        type: a.type,
        name: `EXPR$${i}`,
      }));
      const names = pre.map((_, i) => groupNames[i] ?? `$f${i}`);
      const preNode = makeCalc(input, pre, names);
      const g = groupRex.length;
      const keys = groupRex.map((_, i) => i);
      const keyFields = groupRex.map((r, i) => ({ name: groupNames[i]!, type: stripTimeAttribute(r.type) }));
      const aggFields = calls.map((c) => ({ name: c.name, type: c.type }));
      if (window !== undefined) {
        const wt: SqlType = window.eventTime
          ? { kind: 'TIMESTAMP', precision: 3, nullable: false, timeAttribute: 'rowtime' }
          : { kind: 'TIMESTAMP_LTZ', precision: 3, nullable: false, timeAttribute: 'proctime' };
        const ts: SqlType = { kind: 'TIMESTAMP', precision: 3, nullable: false };
        result.node = {
          kind: 'windowAggregate',
          input: preNode,
          keys,
          window: window.spec,
          eventTime: window.eventTime,
          calls,
          timeIndex: timeSlot,
          schema: {
            fields: [
              ...keyFields,
              { name: 'window_start', type: ts },
              { name: 'window_end', type: ts },
              { name: 'window_time', type: wt },
              ...aggFields,
            ],
          },
        } as LogicalNode;
      } else if (groupingSets !== undefined) {
        // Flink's Expand: one copy of each row per grouping set, absent keys NULL, and the set's grouping id ($e:
        // a bit per group expression, set when the expression is absent, the first expression the highest bit).
        const ids = groupingSets.map((set) =>
          groupRex.reduce((id, _, i) => (set.includes(i) ? id : id | (1 << (g - 1 - i))), 0),
        );
        const absent = new Set(groupRex.map((_, i) => i).filter((i) => groupingSets.some((set) => !set.includes(i))));
        const bigint: SqlType = { kind: 'BIGINT', nullable: false };
        const expandFields = [
          ...preNode.schema.fields.map((f, i) => (absent.has(i) ? { name: f.name, type: nullableType(f.type) } : f)),
          { name: '$e', type: bigint },
        ];
        const projects = groupingSets.map((set, s): Rex[] => [
          ...preNode.schema.fields.map(
            (_, i): Rex =>
              i < g && !set.includes(i)
                ? { kind: 'literal', value: null, type: expandFields[i]!.type }
                : { kind: 'input', index: i, type: expandFields[i]!.type },
          ),
          { kind: 'literal', value: ids[s]!, type: bigint },
        ]);
        const expand: LogicalNode = { kind: 'expand', input: preNode, projects, schema: { fields: expandFields } };
        result.node = {
          kind: 'aggregate',
          input: expand,
          groupKeys: [...keys, pre.length],
          calls,
          schema: {
            fields: [
              ...keyFields.map((f, i) => (absent.has(i) ? { name: f.name, type: nullableType(f.type) } : f)),
              { name: '$e', type: bigint },
              ...aggFields,
            ],
          },
        };
        groupingId = { index: g, ids };
      } else {
        result.node = {
          kind: 'aggregate',
          input: preNode,
          groupKeys: keys,
          calls,
          schema: { fields: [...keyFields, ...aggFields] },
        };
      }
      const groupDigests = new Map(groupRex.map((r, i) => [digest(r), i]));
      const aggBase = g + (window === undefined ? 0 : 3) + (groupingId === undefined ? 0 : 1);
      const outFields = result.node.schema.fields;
      const rewrite = (rex: Rex): Rex => {
        if (rex.kind === 'call' && rex.name === '$GROUPING') return groupingValue(rex);
        const k = groupDigests.get(digest(rex));
        if (k !== undefined) return { kind: 'input', index: k, type: outFields[k]!.type };
        const a = placeholderIndex(rex, '$AGG');
        if (a !== undefined) return { kind: 'input', index: aggBase + a, type: outFields[aggBase + a]!.type };
        const w = placeholderIndex(rex, '$WIN');
        if (w !== undefined) return { kind: 'input', index: g + w, type: outFields[g + w]!.type };
        switch (rex.kind) {
          case 'input': {
            const span = REX_SPANS.get(rex);
            const name = scope.fields.find((f) => f.index === rex.index)?.name ?? `$${rex.index}`;
            return fail(`Expression '${name}' is not being grouped`, span);
          }
          case 'call':
            return { ...rex, args: rex.args.map(rewrite) };
          case 'field':
            return { ...rex, expression: rewrite(rex.expression) };
          default:
            return rex;
        }
      };
      /** GROUPING(a, b): per grouping set a constant (bit k set when argument k is absent), chosen by $e. */
      const groupingValue = (rex: Rex & { kind: 'call' }): Rex => {
        const positions = rex.args.map((a) => {
          const k = groupDigests.get(digest(a));
          if (k === undefined) return fail('Arguments of GROUPING must be grouped expressions', REX_SPANS.get(rex));
          return k;
        });
        const bigint: SqlType = { kind: 'BIGINT', nullable: false };
        const valueFor = (id: number) =>
          positions.reduce((v, p, j) => v | (((id >> (g - 1 - p)) & 1) << (positions.length - 1 - j)), 0);
        if (groupingId === undefined) return { kind: 'literal', value: 0, type: bigint };
        const e: Rex = { kind: 'input', index: groupingId.index, type: bigint };
        const args: Rex[] = [];
        for (const id of groupingId.ids) {
          args.push(
            binder.binary('=', e, { kind: 'literal', value: id, type: bigint }, REX_SPANS.get(rex) ?? select.span),
          );
          args.push({ kind: 'literal', value: valueFor(id), type: bigint });
        }
        args.push({ kind: 'literal', value: 0, type: bigint });
        return { kind: 'call', name: 'CASE', args, type: bigint };
      };
      result.rewrite = rewrite;
    },
  };
  return result;
}

function legacyWindow(
  name: string,
  args: readonly Expression[],
  binder: ExprBinder,
  ctx: ExprContext,
  fail: Fail,
  span: Span,
): { spec: WindowSpec; time: Rex; eventTime: boolean } {
  const [timeArg, ...rest] = args;
  if (timeArg === undefined) return fail(`${name} needs a time attribute argument`, span);
  const time = binder.bind(timeArg, ctx);
  const attr =
    time.type.kind === 'TIMESTAMP' || time.type.kind === 'TIMESTAMP_LTZ' ? time.type.timeAttribute : undefined;
  if (attr === undefined)
    return fail(
      `Window can only be defined over a time attribute column, but is of type ${time.type.kind}`,
      timeArg.span,
    );
  const ms = rest.map((r) => constantMs(binder.bind(r, ctx), r.span, fail));
  let spec: WindowSpec;
  if (name === 'TUMBLE') {
    if (ms.length < 1) return fail('TUMBLE(time, size) needs a size', span);
    spec = { type: 'TUMBLE', size: ms[0]!, ...(ms[1] === undefined ? {} : { offset: ms[1] }) };
  } else if (name === 'HOP') {
    if (ms.length < 2) return fail('HOP(time, slide, size) needs a slide and a size', span);
    spec = { type: 'HOP', slide: ms[0]!, size: ms[1]!, ...(ms[2] === undefined ? {} : { offset: ms[2] }) };
  } else {
    if (ms.length < 1) return fail('SESSION(time, gap) needs a gap', span);
    spec = { type: 'SESSION', gap: ms[0]! };
  }
  return { spec, time, eventTime: attr === 'rowtime' };
}
