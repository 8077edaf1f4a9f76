import type { Span } from '../parser/ast.js';
import type { Rex } from '../plan/rex.js';
import type { SqlType } from '../types/sql-type.js';

/**
 * The functions a SQL script can call: Flink's built-ins plus the user functions it registered with CREATE FUNCTION
 * or from TypeScript. The binder asks it for types; the expression compiler and the aggregate operators ask it for
 * implementations. One catalog per planned script; worker threads rebuild it from the same script.
 */
export interface FunctionCatalog {
  /** A scalar function (built-in, case-insensitive; or user, by its registered name), or undefined. */
  scalar(name: string): ScalarFunctionDefinition | undefined;
  /** An aggregate function (COUNT, SUM, ..., or a user aggregate), or undefined. */
  aggregate(name: string): AggregateFunctionDefinition | undefined;
  /** A user table function (generator) for LATERAL TABLE(...), or undefined. */
  table(name: string): TableFunctionDefinition | undefined;
  /** Every name, for SHOW FUNCTIONS and for suggestions on a misspelt name. */
  names(): readonly string[];
}

/** Thrown by `inferType` on wrong argument count or types; the binder adds the span and the source line. */
export class FunctionTypeError extends Error {}

export interface ScalarFunctionDefinition {
  readonly name: string;
  readonly kind: 'builtin' | 'user';
  /** Result type for these argument types (nullability included: NULL in → NULL out unless the function says otherwise). */
  inferType(argTypes: readonly SqlType[], span?: Span): SqlType;
  /** True when the function gives different results for equal arguments (NOW(), RAND()): never constant-folded. */
  readonly deterministic: boolean;
  /** Async user functions run on the async I/O operator, batched, with bounded concurrency and a timeout. */
  readonly async?: boolean;
}

/**
 * An aggregate function in Flink's accumulator shape, so it works in window aggregates (accumulate, merge),
 * updating aggregates (retract) and two-phase aggregation (merge of partial accumulators).
 * Accumulators must survive `v8.serialize` (checkpoints) and msgpack (exchange between threads): plain objects,
 * arrays, numbers, strings, Maps.
 */
export interface AggregateFunctionDefinition {
  readonly name: string;
  inferType(argTypes: readonly SqlType[], span?: Span): SqlType;
  /** Whether `retract` is supported; without it the planner refuses the function over an updating input. */
  readonly retractable: boolean;
  /** Whether `merge` is supported (needed for SESSION windows and local-global aggregation). */
  readonly mergeable: boolean;
  createAccumulator(): unknown;
  /** Adds one row's arguments; returns the accumulator (may be a new object). NULL arguments are ignored as in SQL. */
  accumulate(acc: unknown, args: readonly unknown[]): unknown;
  retract?(acc: unknown, args: readonly unknown[]): unknown;
  merge?(acc: unknown, other: unknown): unknown;
  getValue(acc: unknown): unknown;
  /**
   * The definition to run for a call with these argument types: built-ins need the types for their result (AVG of
   * BIGINT truncates, SUM of DECIMAL rounds to its scale), and with `retraction: false` (insert-only input) they
   * choose a cheaper accumulator (MIN/MAX without a value count map). The planner calls it once per aggregate call
   * and puts the result in {@link AggregateCall.function}. Absent: use the definition as it is.
   */
  specialize?(argTypes: readonly SqlType[], options?: { readonly retraction?: boolean }): AggregateFunctionDefinition;
}

/** A user table function: each call yields zero or more rows (arrays of column values) of `resultType`. */
export interface TableFunctionDefinition {
  readonly name: string;
  inferType(argTypes: readonly SqlType[], span?: Span): SqlType & { kind: 'ROW' };
}

/**
 * An aggregate call as the planner hands it to operators: which function, which input columns are its arguments,
 * DISTINCT, and an optional FILTER column (a BOOLEAN input column; rows where it is not TRUE are skipped).
 */
export interface AggregateCall {
  readonly function: AggregateFunctionDefinition;
  readonly argIndices: readonly number[];
  readonly distinct: boolean;
  readonly filterIndex?: number;
  readonly type: SqlType;
  /** Output column name, for EXPLAIN. */
  readonly name: string;
}

/** Compiles typed expressions to JavaScript functions. Implemented in `sql/expr/`. */
export interface ExpressionCompiler {
  /** One function computing every expression of the list over an input row: returns a new Row of kind `kind`. */
  projection(exprs: readonly Rex[], description: string): (row: unknown[]) => unknown[];
  /** A predicate: true only when the condition is TRUE (NULL and FALSE reject). */
  predicate(condition: Rex, description: string): (row: unknown[]) => boolean;
  /** A predicate over two rows (join conditions): columns of the left row first, then the right row's. */
  joinPredicate(condition: Rex, leftWidth: number, description: string): (left: unknown[], right: unknown[]) => boolean;
  /** One scalar value (keys, timestamps): for a watermark or rowtime expression. */
  scalar(expr: Rex, description: string): (row: unknown[]) => unknown;
}
