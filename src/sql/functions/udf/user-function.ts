import type { Span } from '../../parser/ast.js';
import { leastRestrictive } from '../../types/common-type.js';
import { formatType, type SqlType } from '../../types/sql-type.js';
import { SqlTypes, withNullable } from '../../types/type-factory.js';
import type { CallableScalarFunction, ScalarImplementation } from '../builtins/builtin-function.js';
import {
  type AggregateFunctionDefinition,
  FunctionTypeError,
  type TableFunctionDefinition,
} from '../function-catalog.js';

/**
 * How a user function is called. Options can also be set as properties of the function object itself
 * (`export function f() {}; f.callOnNull = true`), which is how a module or inline body sets them.
 */
export interface UserFunctionOptions {
  /** Declared result type (SQL `RETURNS`); without it the result type is ANY: values pass through as they are. */
  readonly returns?: SqlType;
  /** Declared parameter types (SQL `f(a BIGINT, b STRING)`): checked for count and compatibility at plan time. */
  readonly params?: readonly SqlType[];
  /** Returns a Promise: evaluated on the async I/O operator. Detected for `async function`s. */
  readonly async?: boolean;
  /** Call the function with NULL arguments too (default: a NULL argument gives NULL without calling it). */
  readonly callOnNull?: boolean;
  /** Default true; false keeps the planner from folding or deduplicating calls. */
  readonly deterministic?: boolean;
  /** Async functions: time allowed per call (default 10 000 ms). */
  readonly timeoutMs?: number;
  /** Async functions: calls in flight at once per subtask (default 16). */
  readonly concurrency?: number;
}

/** A user scalar function as the catalog holds it. */
export interface UserScalarFunction extends CallableScalarFunction {
  readonly kind: 'user';
  readonly options: UserFunctionOptions;
  /** The function as registered, called with argument values. */
  readonly call: (...args: unknown[]) => unknown;
}

/** A user table function: each call yields rows (arrays of column values) of its ROW result type. */
export interface UserTableFunction extends TableFunctionDefinition {
  readonly options: UserFunctionOptions;
  /** Rows for one call; yielded arrays are rows, objects are read by field name, other values are one column. */
  rows(args: readonly unknown[]): unknown[][];
}

export type UserFunction =
  | { readonly kind: 'scalar'; readonly definition: UserScalarFunction }
  | { readonly kind: 'aggregate'; readonly definition: AggregateFunctionDefinition }
  | { readonly kind: 'table'; readonly definition: UserTableFunction };

/** A user function threw: names it (the compiler adds the SQL position and the row). */
export class UserFunctionCallError extends Error {
  override name = 'UserFunctionCallError';
}

function optionsFrom(value: unknown, given: UserFunctionOptions): UserFunctionOptions {
  const own = (typeof value === 'function' || (typeof value === 'object' && value !== null) ? value : {}) as Record<
    string,
    unknown
  >;
  const pick = <K extends keyof UserFunctionOptions>(key: K): UserFunctionOptions[K] =>
    given[key] ?? (own[key] as UserFunctionOptions[K]);
  return {
    returns: given.returns,
    params: given.params,
    async: pick('async') ?? (typeof value === 'function' && value.constructor?.name === 'AsyncFunction'),
    callOnNull: pick('callOnNull'),
    deterministic: pick('deterministic'),
    timeoutMs: pick('timeoutMs'),
    concurrency: pick('concurrency'),
  };
}

function checkParams(name: string, params: readonly SqlType[] | undefined, argTypes: readonly SqlType[]): void {
  if (params === undefined) return;
  if (params.length !== argTypes.length) {
    throw new FunctionTypeError(
      `Function ${name} takes ${params.length} argument${params.length === 1 ? '' : 's'} (${params.map((p) => formatType(p)).join(', ')}), got ${argTypes.length}`,
    );
  }
  argTypes.forEach((t, i) => {
    const p = params[i] as SqlType;
    if (leastRestrictive([withNullable(p, true), t]) === undefined) {
      throw new FunctionTypeError(`Function ${name}: argument ${i + 1} must be ${formatType(p)}, got ${formatType(t)}`);
    }
  });
}

function describeError(name: string, e: unknown): UserFunctionCallError {
  const reason = e instanceof Error ? e.message : String(e);
  const error = new UserFunctionCallError(`user function '${name}' threw: ${reason}`);
  (error as { cause?: unknown }).cause = e;
  return error;
}

/**
 * A user function from a JavaScript value, its kind decided by shape: a generator function is a table function;
 * an object (or class) with createAccumulator, accumulate and getValue is an aggregate; an object with `eval` or a
 * plain function is scalar (async when it is an `async function` or says `async: true`). Throws a TypeError
 * describing the accepted shapes for anything else.
 */
export function createUserFunction(name: string, value: unknown, given: UserFunctionOptions = {}): UserFunction {
  let target = value;
  if (typeof target === 'function' && isAggregateShape(target.prototype)) target = new (target as new () => unknown)();
  const options = optionsFrom(target, given);
  const kind = typeof target === 'function' ? target.constructor?.name : undefined;
  if (kind === 'GeneratorFunction')
    return {
      kind: 'table',
      definition: tableFunction(name, target as (...a: unknown[]) => Iterable<unknown>, options),
    };
  if (kind === 'AsyncGeneratorFunction')
    throw new TypeError(`Function ${name}: async generators are not supported as table functions`);
  if (isAggregateShape(target))
    return { kind: 'aggregate', definition: aggregateFunction(name, target as AggregateShape, options) };
  if (typeof target === 'object' && target !== null && typeof (target as { eval?: unknown }).eval === 'function') {
    const object = target as { eval: (...a: unknown[]) => unknown };
    return {
      kind: 'scalar',
      definition: scalarFunction(name, (...a) => object.eval(...a), optionsFrom(object.eval, options)),
    };
  }
  if (typeof target === 'function')
    return { kind: 'scalar', definition: scalarFunction(name, target as (...a: unknown[]) => unknown, options) };
  throw new TypeError(
    `Function ${name} is ${target === null ? 'null' : typeof target}: expected a function (scalar), a generator function (table function) or an object with createAccumulator, accumulate and getValue (aggregate)`,
  );
}

function scalarFunction(
  name: string,
  f: (...a: unknown[]) => unknown,
  options: UserFunctionOptions,
): UserScalarFunction {
  const wrapped: ScalarImplementation = (...args: unknown[]) => {
    let result: unknown;
    try {
      result = f(...args);
    } catch (e) {
      throw describeError(name, e);
    }
    return result === undefined ? null : result;
  };
  return {
    name,
    kind: 'user',
    options,
    call: f,
    strict: options.callOnNull !== true,
    deterministic: options.deterministic ?? true,
    async: options.async === true,
    inferType(argTypes: readonly SqlType[], _span?: Span): SqlType {
      checkParams(name, options.params, argTypes);
      return withNullable(options.returns ?? SqlTypes.any(), true);
    },
    implement: () => wrapped,
  };
}

interface AggregateShape {
  createAccumulator(): unknown;
  accumulate(acc: unknown, ...args: unknown[]): unknown;
  retract?(acc: unknown, ...args: unknown[]): unknown;
  merge?(acc: unknown, other: unknown): unknown;
  getValue(acc: unknown): unknown;
}

function isAggregateShape(v: unknown): v is AggregateShape {
  if (v === null || v === undefined || (typeof v !== 'object' && typeof v !== 'function')) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.createAccumulator === 'function' && typeof o.accumulate === 'function' && typeof o.getValue === 'function'
  );
}

function aggregateFunction(
  name: string,
  impl: AggregateShape,
  options: UserFunctionOptions,
): AggregateFunctionDefinition {
  const skipNull = options.callOnNull !== true;
  const guard = <T>(what: string, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      throw describeError(`${name}.${what}`, e);
    }
  };
  const step = (method: 'accumulate' | 'retract') => (acc: unknown, args: readonly unknown[]) => {
    if (skipNull && args.some((a) => a === null || a === undefined)) return acc;
    const result = guard(method, () =>
      (impl[method] as (acc: unknown, ...a: unknown[]) => unknown).call(impl, acc, ...args),
    );
    return result === undefined ? acc : result;
  };
  return {
    name,
    retractable: typeof impl.retract === 'function',
    mergeable: typeof impl.merge === 'function',
    inferType(argTypes) {
      checkParams(name, options.params, argTypes);
      return withNullable(options.returns ?? SqlTypes.any(), true);
    },
    createAccumulator: () => guard('createAccumulator', () => impl.createAccumulator()),
    accumulate: step('accumulate'),
    retract: typeof impl.retract === 'function' ? step('retract') : undefined,
    merge:
      typeof impl.merge === 'function'
        ? (acc, other) => {
            const result = guard('merge', () => impl.merge?.call(impl, acc, other));
            return result === undefined ? acc : result;
          }
        : undefined,
    getValue: (acc) => {
      const v = guard('getValue', () => impl.getValue(acc));
      return v === undefined ? null : v;
    },
  };
}

function tableFunction(
  name: string,
  f: (...a: unknown[]) => Iterable<unknown>,
  options: UserFunctionOptions,
): UserTableFunction {
  const declared = options.returns;
  const resultType = (
    declared?.kind === 'ROW' ? declared : SqlTypes.row([{ name: 'f0', type: declared ?? SqlTypes.any() }])
  ) as SqlType & { kind: 'ROW' };
  const fields = resultType.fields.map((field) => field.name);
  const toRow = (v: unknown): unknown[] => {
    if (Array.isArray(v))
      return fields.length === 1 && declared?.kind !== 'ROW' ? [v] : fields.map((_, i) => v[i] ?? null);
    if (v !== null && typeof v === 'object' && !(v instanceof Map) && !(v instanceof Uint8Array)) {
      const record = v as Record<string, unknown>;
      return fields.map((field) => record[field] ?? null);
    }
    return [v ?? null];
  };
  return {
    name,
    options,
    inferType(argTypes) {
      checkParams(name, options.params, argTypes);
      return resultType;
    },
    rows(args) {
      if (options.callOnNull !== true && args.some((a) => a === null || a === undefined)) return [];
      const out: unknown[][] = [];
      try {
        for (const v of f(...args)) out.push(toRow(v));
      } catch (e) {
        throw describeError(name, e);
      }
      return out;
    },
  };
}
