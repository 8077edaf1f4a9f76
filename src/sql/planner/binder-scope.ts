import type { Identifier, Span } from '../parser/ast.js';
import type { Rex } from '../plan/rex.js';
import type { SqlType } from '../types/sql-type.js';

/** A column visible in a query block: its table alias (qualifier), name, position in the block's input row, type. */
export interface ScopeField {
  readonly qualifier?: string;
  readonly name: string;
  readonly index: number;
  readonly type: SqlType;
}

/** The columns a query block can name; `parent` is the enclosing block (correlated subqueries). */
export class Scope {
  constructor(
    readonly fields: readonly ScopeField[],
    readonly parent?: Scope,
  ) {}

  /** Fields of the given qualifier, or all fields. */
  star(qualifier?: string): ScopeField[] {
    return qualifier === undefined ? [...this.fields] : this.fields.filter((f) => f.qualifier === qualifier);
  }

  hasQualifier(q: string): boolean {
    return this.fields.some((f) => f.qualifier === q);
  }
}

/** Outcome of resolving a dotted column name in a scope. */
export type Resolution =
  | { readonly kind: 'found'; readonly field: ScopeField; readonly rest: readonly Identifier[]; readonly depth: number }
  | { readonly kind: 'ambiguous'; readonly name: string }
  | { readonly kind: 'missing'; readonly qualifier?: string; readonly name: string; readonly candidates: string[] };

/**
 * Resolves `a`, `t.a`, `a.nested`, `t.a.nested` case-sensitively: a first part naming a table alias that has the
 * second part as a column wins; otherwise the first part is a column (unique among the block's tables).
 */
export function resolveColumn(scope: Scope, parts: readonly Identifier[]): Resolution {
  let current: Scope | undefined = scope;
  let depth = 0;
  let firstMissing: Resolution | undefined;
  while (current !== undefined) {
    const r = resolveIn(current, parts);
    if (r.kind !== 'missing') return r.kind === 'found' ? { ...r, depth } : r;
    firstMissing ??= r;
    current = current.parent;
    depth++;
  }
  return firstMissing!;
}

function resolveIn(scope: Scope, parts: readonly Identifier[]): Resolution {
  const [first, second] = parts;
  if (first === undefined) return { kind: 'missing', name: '', candidates: [] };
  if (second !== undefined && scope.hasQualifier(first.name)) {
    const matches = scope.fields.filter((f) => f.qualifier === first.name && f.name === second.name);
    if (matches.length === 1) return { kind: 'found', field: matches[0]!, rest: parts.slice(2), depth: 0 };
    if (matches.length > 1) return { kind: 'ambiguous', name: `${first.name}.${second.name}` };
    const plain = scope.fields.filter((f) => f.name === first.name);
    if (plain.length === 0) {
      return {
        kind: 'missing',
        qualifier: first.name,
        name: second.name,
        candidates: scope.star(first.name).map((f) => f.name),
      };
    }
  }
  const matches = scope.fields.filter((f) => f.name === first.name);
  if (matches.length === 1) return { kind: 'found', field: matches[0]!, rest: parts.slice(1), depth: 0 };
  if (matches.length > 1) return { kind: 'ambiguous', name: first.name };
  return { kind: 'missing', name: first.name, candidates: scope.fields.map((f) => f.name) };
}

/** Where column references were written, so later checks (GROUP BY) can point at them. */
export const REX_SPANS = new WeakMap<Rex, Span>();
