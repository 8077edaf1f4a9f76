import type { Span } from '../../parser/ast.js';
import { formatType, type SqlType } from '../../types/sql-type.js';
import {
  isBinary,
  isCharacter,
  isDatetime,
  isInteger,
  isInterval,
  isNumeric,
  isTimestamp,
  withNullable,
} from '../../types/type-factory.js';
import { FunctionTypeError, type ScalarFunctionDefinition } from '../function-catalog.js';

/** A run-time implementation: called with the argument values (never NULL ones when the function is strict). */
// biome-ignore lint/suspicious/noExplicitAny: implementations receive run-time values of many types
export type ScalarImplementation = (...args: any[]) => unknown;

/**
 * A scalar function the expression compiler can call from generated code. Built-ins and user functions both have
 * this shape; the compiler asks `implement` once per call site, with the call's argument and result types.
 */
export interface CallableScalarFunction extends ScalarFunctionDefinition {
  /** NULL in → NULL out: the compiler does not call the implementation when an argument is NULL. */
  readonly strict: boolean;
  /** The implementation for a call with these types (specialised per call site, e.g. by argument type). */
  implement(argTypes: readonly SqlType[], resultType: SqlType): ScalarImplementation;
  /**
   * Special forms the compiler generates inline (COALESCE, IF, ...): it needs no implementation, only the name.
   * Absent for ordinary functions.
   */
  readonly special?: boolean;
}

/** Where the function belongs in docs/SQL-FUNCTIONS.md. */
export type FunctionCategory =
  | 'comparison'
  | 'logical'
  | 'arithmetic'
  | 'string'
  | 'math'
  | 'conditional'
  | 'temporal'
  | 'collection'
  | 'type'
  | 'json'
  | 'hash'
  | 'aggregate';

/** A built-in scalar function with the text docs/SQL-FUNCTIONS.md shows for it. */
export interface BuiltinScalarFunction extends CallableScalarFunction {
  readonly kind: 'builtin';
  readonly category: FunctionCategory;
  /** Signatures as documented: `SPLIT_INDEX(string, separator, index)`. */
  readonly signatures: readonly string[];
  /** Result type as documented: `STRING`. */
  readonly returnsText: string;
  /** One line. */
  readonly description: string;
}

/**
 * Parameter families: `string`, `numeric`, `integer`, `boolean`, `timestamp`, `datetime`, `date`, `time`, `binary`,
 * `interval`, `array`, `map`, `row`, `any`, `comparable`. Prefix `?` for an optional parameter, `*` for any number
 * of trailing ones. NULL and ANY arguments fit every family.
 */
export type ParamSpec = string;

export interface ScalarSpec {
  readonly name: string;
  readonly category: FunctionCategory;
  readonly signatures: readonly string[];
  readonly returnsText: string;
  readonly description: string;
  readonly params: readonly ParamSpec[];
  /** Result type for these (checked) argument types; its `nullable` says whether the function itself can give NULL. */
  readonly returns: (argTypes: readonly SqlType[]) => SqlType;
  /** Implementation, or a factory of one per call site. */
  readonly fn?: ScalarImplementation;
  readonly implement?: (argTypes: readonly SqlType[], resultType: SqlType) => ScalarImplementation;
  /** Default true: NULL in → NULL out. */
  readonly strict?: boolean;
  /** Default true. */
  readonly deterministic?: boolean;
  readonly special?: boolean;
  /** Extra argument checks beyond families (throw FunctionTypeError). */
  readonly check?: (argTypes: readonly SqlType[]) => void;
}

const FAMILIES: Record<string, (t: SqlType) => boolean> = {
  string: isCharacter,
  numeric: isNumeric,
  integer: isInteger,
  boolean: (t) => t.kind === 'BOOLEAN',
  timestamp: isTimestamp,
  datetime: isDatetime,
  date: (t) => t.kind === 'DATE',
  time: (t) => t.kind === 'TIME',
  binary: isBinary,
  interval: isInterval,
  array: (t) => t.kind === 'ARRAY',
  map: (t) => t.kind === 'MAP',
  row: (t) => t.kind === 'ROW',
  any: () => true,
  comparable: (t) => t.kind !== 'MAP' && t.kind !== 'MULTISET',
};

/** Checks `argTypes` against `params`; throws FunctionTypeError with the expected signature. */
export function checkArguments(
  name: string,
  params: readonly ParamSpec[],
  argTypes: readonly SqlType[],
  signatures: readonly string[],
): void {
  const required = params.filter((p) => !p.startsWith('?') && !p.startsWith('*')).length;
  const variadic = params.some((p) => p.startsWith('*'));
  const expected = signatures.join(' or ');
  if (argTypes.length < required || (!variadic && argTypes.length > params.length)) {
    throw new FunctionTypeError(
      `Function ${name} takes ${describeCount(params)}, got ${argTypes.length}. Expected: ${expected}`,
    );
  }
  argTypes.forEach((type, i) => {
    const spec = params[Math.min(i, params.length - 1)] as string;
    const family = spec.replace(/^[?*]/, '');
    const ok =
      type.kind === 'NULL' || type.kind === 'ANY' || family.split('|').some((f) => FAMILIES[f]?.(type) ?? false);
    if (!ok) {
      throw new FunctionTypeError(
        `Function ${name}: argument ${i + 1} must be ${family.replace('|', ' or ')}, got ${formatType(type)}. Expected: ${expected}`,
      );
    }
  });
}

function describeCount(params: readonly ParamSpec[]): string {
  const required = params.filter((p) => !p.startsWith('?') && !p.startsWith('*')).length;
  if (params.some((p) => p.startsWith('*'))) return `at least ${required} argument${required === 1 ? '' : 's'}`;
  if (required === params.length) return `${required} argument${required === 1 ? '' : 's'}`;
  return `${required} to ${params.length} arguments`;
}

/** Builds a {@link BuiltinScalarFunction} from its spec: argument checks, result nullability, implementation. */
export function defineScalar(spec: ScalarSpec): BuiltinScalarFunction {
  const strict = spec.strict ?? true;
  const fn = spec.fn;
  return {
    name: spec.name,
    kind: 'builtin',
    category: spec.category,
    signatures: spec.signatures,
    returnsText: spec.returnsText,
    description: spec.description,
    deterministic: spec.deterministic ?? true,
    strict,
    special: spec.special,
    inferType(argTypes: readonly SqlType[], _span?: Span): SqlType {
      checkArguments(spec.name, spec.params, argTypes, spec.signatures);
      spec.check?.(argTypes);
      const result = spec.returns(argTypes);
      const nullable = result.nullable || (strict && argTypes.some((t) => t.nullable));
      return withNullable(result, nullable);
    },
    implement(argTypes, resultType) {
      if (spec.implement !== undefined) return spec.implement(argTypes, resultType);
      if (fn === undefined) throw new Error(`Function ${spec.name} is generated inline by the expression compiler`);
      return fn;
    },
  };
}

/** A result type that is nullable only through its arguments. */
export const notNull = <T extends SqlType>(t: T): SqlType => withNullable(t, false);
