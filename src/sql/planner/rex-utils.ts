import type { InputRef, Rex, RexCall } from '../plan/rex.js';
import type { SqlType } from '../types/sql-type.js';

const BOOLEAN: SqlType = { kind: 'BOOLEAN', nullable: true };

/** A structural key of an expression: equal digests = the same computation (GROUP BY matching, dedup). */
export function digest(rex: Rex): string {
  switch (rex.kind) {
    case 'input':
      return `$${rex.index}`;
    case 'literal':
      return `lit(${typeof rex.value === 'object' && rex.value !== null ? JSON.stringify([...(rex.value as Iterable<unknown>)]) : String(rex.value)}:${rex.type.kind})`;
    case 'field':
      return `${digest(rex.expression)}.${rex.index}`;
    case 'correlated':
      return `$cor${rex.scope}.${rex.index}`;
    case 'call':
      return `${rex.name}${rex.kind === 'call' && rex.name === 'CAST' ? `<${JSON.stringify(rex.type)}>` : ''}(${rex.args.map(digest).join(', ')})`;
  }
}

/** The input columns an expression reads. */
export function inputRefs(rex: Rex, into: Set<number> = new Set()): Set<number> {
  switch (rex.kind) {
    case 'input':
      into.add(rex.index);
      break;
    case 'field':
      inputRefs(rex.expression, into);
      break;
    case 'call':
      for (const a of rex.args) inputRefs(a, into);
      break;
    default:
  }
  return into;
}

/** Rewrites every node bottom-up with `fn` (which returns the node itself or a replacement). */
export function mapRex(rex: Rex, fn: (r: Rex) => Rex): Rex {
  switch (rex.kind) {
    case 'call': {
      const args = rex.args.map((a) => mapRex(a, fn));
      const changed = args.some((a, i) => a !== rex.args[i]);
      return fn(changed ? { ...rex, args } : rex);
    }
    case 'field': {
      const e = mapRex(rex.expression, fn);
      return fn(e === rex.expression ? rex : { ...rex, expression: e });
    }
    default:
      return fn(rex);
  }
}

/** Replaces each input reference `i` by `exprs[i]` (composing a projection over another). */
export function substitute(rex: Rex, exprs: readonly Rex[]): Rex {
  return mapRex(rex, (r) => (r.kind === 'input' ? (exprs[r.index] ?? r) : r));
}

/** Renumbers input references through `mapping` (old index → new index). */
export function remap(rex: Rex, mapping: (index: number) => number): Rex {
  return mapRex(rex, (r) => (r.kind === 'input' ? { ...r, index: mapping(r.index) } : r));
}

/** The conjuncts of an AND tree. */
export function conjuncts(rex: Rex | undefined): Rex[] {
  if (rex === undefined) return [];
  if (rex.kind === 'call' && rex.name === 'AND') return rex.args.flatMap((a) => conjuncts(a));
  if (rex.kind === 'literal' && rex.value === true) return [];
  return [rex];
}

/** AND of conditions, or undefined for none. */
export function and(conditions: readonly Rex[]): Rex | undefined {
  if (conditions.length === 0) return undefined;
  if (conditions.length === 1) return conditions[0];
  return { kind: 'call', name: 'AND', args: conditions, type: BOOLEAN };
}

export function inputRef(index: number, type: SqlType): InputRef {
  return { kind: 'input', index, type };
}

export function call(name: string, args: readonly Rex[], type: SqlType): RexCall {
  return { kind: 'call', name, args, type };
}

/** Identity projection of a schema's fields. */
export function identity(types: readonly SqlType[]): Rex[] {
  return types.map((t, i) => inputRef(i, t));
}

/** True when the projection is exactly $0, $1, ... of an input of `width` columns. */
export function isIdentity(projects: readonly Rex[], width: number): boolean {
  return projects.length === width && projects.every((p, i) => p.kind === 'input' && p.index === i);
}

/** A short readable form for EXPLAIN: `$1`, `+($2, 1)`, or by names when given. */
export function explainRex(rex: Rex, names?: readonly string[]): string {
  switch (rex.kind) {
    case 'input':
      return names?.[rex.index] ?? `$${rex.index}`;
    case 'literal':
      return rex.value === null ? 'null' : typeof rex.value === 'string' ? `'${rex.value}'` : String(rex.value);
    case 'field':
      return `${explainRex(rex.expression, names)}.${rex.index}`;
    case 'correlated':
      return `$cor${rex.scope}.${rex.index}`;
    case 'call': {
      const args = rex.args.map((a) => explainRex(a, names));
      if (/^[^A-Z]/.test(rex.name) && args.length === 2) return `(${args[0]} ${rex.name} ${args[1]})`;
      if ((rex.name === 'AND' || rex.name === 'OR') && args.length >= 2) return `(${args.join(` ${rex.name} `)})`;
      return `${rex.name}(${args.join(', ')})`;
    }
  }
}
