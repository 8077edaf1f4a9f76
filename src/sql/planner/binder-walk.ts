import type { FunctionCatalog } from '../functions/function-catalog.js';
import type { Expression, FunctionCall } from '../parser/ast.js';
import type { Rex, RexCall } from '../plan/rex.js';
import type { SqlType } from '../types/sql-type.js';

/** A placeholder call carrying an index (`$AGG`, `$OVER`, `$WIN`). */
export function placeholder(name: string, index: number, type: SqlType): RexCall {
  return {
    kind: 'call',
    name,
    args: [{ kind: 'literal', value: index, type: { kind: 'INT', nullable: false } }],
    type,
  };
}

/** The index of a placeholder call, or undefined when `rex` is not one named `name`. */
export function placeholderIndex(rex: Rex, name: string): number | undefined {
  if (rex.kind !== 'call' || rex.name !== name) return undefined;
  const a = rex.args[0];
  return a?.kind === 'literal' ? (a.value as number) : undefined;
}

/** True when the expression (not descending into subqueries) calls an aggregate function without OVER. */
export function containsAggregate(e: Expression | undefined, catalog: FunctionCatalog): boolean {
  if (e === undefined) return false;
  let found = false;
  walk(e, (x) => {
    if (x.kind === 'call' && x.over === undefined && catalog.aggregate(callName(x)) !== undefined) found = true;
  });
  return found;
}

/** Visits an expression tree (not into subqueries, not into aggregate arguments' OVER specs). */
export function walk(e: Expression, visit: (e: Expression) => void): void {
  visit(e);
  const kids: (Expression | undefined)[] = [];
  switch (e.kind) {
    case 'binary':
      kids.push(e.left, e.right);
      break;
    case 'unary':
      kids.push(e.operand);
      break;
    case 'call':
      kids.push(...e.args, e.filter);
      break;
    case 'case':
      kids.push(e.operand, ...e.whens.flatMap((w) => [w.when, w.then]), e.else);
      break;
    case 'cast':
      kids.push(e.expression);
      break;
    case 'between':
      kids.push(e.expression, e.low, e.high);
      break;
    case 'inList':
      kids.push(e.expression, ...e.list);
      break;
    case 'inSubquery':
      kids.push(e.expression);
      break;
    case 'is':
      kids.push(e.expression);
      break;
    case 'like':
      kids.push(e.expression, e.pattern, e.escape);
      break;
    case 'fieldAccess':
      kids.push(e.expression);
      break;
    case 'item':
      kids.push(e.expression, e.index);
      break;
    case 'row':
      kids.push(...e.fields);
      break;
    case 'array':
      kids.push(...e.elements);
      break;
    case 'map':
      kids.push(...e.entries.flatMap((x) => [x.key, x.value]));
      break;
    default:
  }
  for (const k of kids) if (k !== undefined) walk(k, visit);
}

export function callName(c: FunctionCall): string {
  return c.name.parts.map((p) => p.name).join('.');
}
