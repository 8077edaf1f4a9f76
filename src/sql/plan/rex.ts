import type { Span } from '../parser/ast.js';
import type { SqlType } from '../types/sql-type.js';

/**
 * A bound, typed scalar expression: what the binder makes of an AST expression once names and types are resolved.
 * The expression compiler turns a list of them into one JavaScript function over rows (never interpreted per row).
 *
 * Every node has its result type. Calls name their operator or function upper-cased (`+`, `=`, `AND`, `CASE`,
 * `CAST`, `UPPER`, `DATE_FORMAT`, ...) except user functions, which carry their registered name as written and
 * `udf: true`. Special forms are calls with fixed argument layouts:
 * - `CASE`: [when1, then1, when2, then2, ..., else] (else always present; the binder adds a NULL literal);
 * - `CAST` / `TRY_CAST`: [operand], target type = node type;
 * - `IS NULL`, `IS NOT NULL`, `IS TRUE`, ..., `NOT`, `IN` ([value, item1, item2, ...]), `LIKE` ([s, pattern, escape?]),
 *   `BETWEEN` is desugared by the binder to `>=`/`<=` with AND.
 * - `ROW`, `ARRAY`, `MAP` constructors; `ITEM` ([container, index]).
 * Built-in function names and their semantics are Flink's (docs/SQL-FUNCTIONS.md lists them).
 */
export type Rex = InputRef | RexLiteral | RexCall | FieldRef | CorrelatedRef;

/** Column `index` (0-based) of the input relation; at run time `row[index + COLUMN_OFFSET]`. */
export interface InputRef {
  readonly kind: 'input';
  readonly index: number;
  readonly type: SqlType;
}

/** A constant, already in its run-time representation (see sql-type.ts): numbers, strings, booleans, null, arrays. */
export interface RexLiteral {
  readonly kind: 'literal';
  readonly value: unknown;
  readonly type: SqlType;
}

export interface RexCall {
  readonly kind: 'call';
  readonly name: string;
  readonly args: readonly Rex[];
  readonly type: SqlType;
  /** A user-defined function: `name` is its catalog name. */
  readonly udf?: boolean;
  /** Where the call was written, for run-time error messages (function name, row, SQL line). */
  readonly span?: Span;
}

/** Field `index` of a ROW-typed expression (nested fields such as `bid.price`). */
export interface FieldRef {
  readonly kind: 'field';
  readonly expression: Rex;
  readonly index: number;
  readonly type: SqlType;
}

/**
 * A column of an outer query referred to from a subquery. The planner removes these when it decorrelates
 * IN / EXISTS / scalar subqueries into joins; none reaches the compiler.
 */
export interface CorrelatedRef {
  readonly kind: 'correlated';
  readonly scope: number;
  readonly index: number;
  readonly type: SqlType;
}
