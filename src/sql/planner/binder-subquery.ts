import type { Expression, Span } from '../parser/ast.js';
import type { Rex } from '../plan/rex.js';
import type { QueryBinder } from './binder-query.js';
import type { Scope } from './binder-scope.js';
import type { LogicalNode } from './logical-nodes.js';
import { makeCalc, makeJoin } from './node-builders.js';
import { and, conjuncts, mapRex, substitute } from './rex-utils.js';

/** IN / EXISTS (uncorrelated) as a SEMI or ANTI join of the block's relation with the subquery. */
export function bindSemiJoin(
  qb: QueryBinder,
  node: LogicalNode,
  scope: Scope,
  e: Expression & { kind: 'inSubquery' | 'exists' },
  anti: boolean,
): LogicalNode {
  const sub = qb.bindQuery(e.query, scope);
  let left = node;
  const width = left.schema.fields.length;
  let x: Rex | undefined;
  if (e.kind === 'inSubquery') {
    if (sub.node.schema.fields.length !== 1) {
      return qb.fail('The subquery of IN must return exactly one column', e.query.span);
    }
    x = qb.binder.bind(e.expression, { scope });
    if (x.kind !== 'input') {
      const projects: Rex[] = left.schema.fields.map((f, i) => ({ kind: 'input', index: i, type: f.type }));
      left = makeCalc(left, [...projects, x], [...left.schema.fields.map((f) => f.name), '$in']);
      x = { kind: 'input', index: width, type: x.type };
    }
  }
  const w = left.schema.fields.length;
  const { right, valueIndex, correlated } = decorrelate(qb, sub.node, w, e.query.span);
  const conditions = [...correlated];
  if (x !== undefined) {
    const y: Rex = { kind: 'input', index: w + valueIndex, type: right.schema.fields[valueIndex]!.type };
    conditions.unshift(qb.binder.binary('=', x, y, e.span));
  }
  const join = makeJoin(left, right, anti ? 'ANTI' : 'SEMI', and(conditions), {
    fields: left.schema.fields.map((f) => ({ name: f.name, type: f.type })),
  });
  if (left === node) return join;
  const keep: Rex[] = node.schema.fields.map((f, i) => ({ kind: 'input', index: i, type: f.type }));
  return makeCalc(
    join,
    keep,
    node.schema.fields.map((f) => f.name),
  );
}

/**
 * A subquery of EXISTS / IN that refers to the outer query: supported when the references are in its WHERE
 * (Flink decorrelates those too). Its WHERE terms with outer columns become the SEMI / ANTI join's condition over
 * [outer columns..., subquery FROM columns..., select items...]; the rest stay in the subquery.
 */
function decorrelate(
  qb: QueryBinder,
  sub: LogicalNode,
  leftWidth: number,
  span: Span,
): { right: LogicalNode; valueIndex: number; correlated: Rex[] } {
  if (!hasCorrelated(sub)) return { right: sub, valueIndex: 0, correlated: [] };
  const unsupported = () =>
    qb.fail(
      'Correlated subqueries are supported in EXISTS / IN when the outer columns appear in their WHERE only',
      span,
    );
  if (sub.kind !== 'calc' || sub.condition !== undefined || sub.projects.some(rexHasCorrelated)) return unsupported();
  const filter = sub.input;
  if (filter.kind !== 'calc' || filter.condition === undefined || filter.projects.some(rexHasCorrelated))
    return unsupported();
  if (hasCorrelated(filter.input)) return unsupported();
  const from = filter.input;
  const rw = from.schema.fields.length;
  const inner: Rex[] = [];
  const outer: Rex[] = [];
  for (const c of conjuncts(filter.condition)) (rexHasCorrelated(c) ? outer : inner).push(c);
  const pass: Rex[] = from.schema.fields.map((f, i) => ({ kind: 'input', index: i, type: f.type }));
  const items = sub.projects.map((p) => substitute(p, filter.projects));
  const right = makeCalc(
    from,
    [...pass, ...items],
    [...from.schema.fields.map((f) => f.name), ...sub.schema.fields.map((f) => f.name)],
    and(inner),
  );
  const correlated = outer.map((c) =>
    mapRex(c, (r) => {
      if (r.kind === 'correlated') {
        return r.scope === 1 ? { kind: 'input', index: r.index, type: r.type } : unsupported();
      }
      return r.kind === 'input' ? { ...r, index: leftWidth + r.index } : r;
    }),
  );
  return { right, valueIndex: rw, correlated };
}

function rexHasCorrelated(rex: Rex): boolean {
  let found = false;
  mapRex(rex, (r) => {
    if (r.kind === 'correlated') found = true;
    return r;
  });
  return found;
}

/** Whether any expression of the plan refers to an outer query. */
function hasCorrelated(node: LogicalNode): boolean {
  switch (node.kind) {
    case 'calc':
      if (node.projects.some(rexHasCorrelated) || (node.condition !== undefined && rexHasCorrelated(node.condition)))
        return true;
      return hasCorrelated(node.input);
    case 'join':
      if (node.condition !== undefined && rexHasCorrelated(node.condition)) return true;
      return hasCorrelated(node.left) || hasCorrelated(node.right);
    case 'values':
      return node.rows.some((r) => r.some(rexHasCorrelated));
    case 'union':
      return node.inputs.some(hasCorrelated);
    case 'scan':
    case 'datastream':
      return false;
    default:
      return hasCorrelated((node as { input: LogicalNode }).input);
  }
}
