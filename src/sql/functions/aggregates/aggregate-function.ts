import type { Span } from '../../parser/ast.js';
import type { SqlType } from '../../types/sql-type.js';
import { checkArguments, type FunctionCategory } from '../builtins/builtin-function.js';
import type { AggregateFunctionDefinition } from '../function-catalog.js';

/** A built-in aggregate with the text docs/SQL-FUNCTIONS.md shows for it. */
export interface BuiltinAggregateFunction extends AggregateFunctionDefinition {
  readonly category: FunctionCategory;
  readonly signatures: readonly string[];
  readonly returnsText: string;
  readonly description: string;
}

export interface AggregateSpec<A> {
  readonly name: string;
  readonly signatures: readonly string[];
  readonly returnsText: string;
  readonly description: string;
  readonly params: readonly string[];
  readonly returns: (argTypes: readonly SqlType[]) => SqlType;
  readonly createAccumulator: () => A;
  readonly accumulate: (acc: A, args: readonly unknown[]) => A;
  readonly retract?: (acc: A, args: readonly unknown[]) => A;
  readonly merge?: (acc: A, other: A) => A;
  readonly getValue: (acc: A) => unknown;
  /** A result conversion chosen by the argument types (integer AVG truncates, DECIMAL rounds). */
  readonly finish?: (argTypes: readonly SqlType[], result: SqlType) => ((value: unknown) => unknown) | undefined;
  /** A cheaper accumulator for insert-only input (no retract), chosen by `specialize(types, { retraction: false })`. */
  readonly appendOnly?: Omit<
    AggregateSpec<unknown>,
    'name' | 'signatures' | 'returnsText' | 'description' | 'params' | 'returns' | 'finish' | 'appendOnly'
  >;
}

/**
 * Builds an aggregate definition. Its own `getValue` does not know the argument types; `specialize(argTypes)`
 * returns the definition with the type-dependent result conversion (`finish`) and, for insert-only input, the
 * `appendOnly` accumulator.
 */
export function defineAggregate<A>(spec: AggregateSpec<A>): BuiltinAggregateFunction {
  const base = {
    name: spec.name,
    category: 'aggregate' as const,
    signatures: spec.signatures,
    returnsText: spec.returnsText,
    description: spec.description,
    retractable: spec.retract !== undefined,
    mergeable: spec.merge !== undefined,
    inferType(argTypes: readonly SqlType[], _span?: Span): SqlType {
      checkArguments(spec.name, spec.params, argTypes, spec.signatures);
      return spec.returns(argTypes);
    },
    createAccumulator: spec.createAccumulator,
    accumulate: spec.accumulate as (acc: unknown, args: readonly unknown[]) => unknown,
    retract: spec.retract as ((acc: unknown, args: readonly unknown[]) => unknown) | undefined,
    merge: spec.merge as ((acc: unknown, other: unknown) => unknown) | undefined,
    getValue: spec.getValue as (acc: unknown) => unknown,
  };
  const definition: BuiltinAggregateFunction = {
    ...base,
    specialize(argTypes, options): AggregateFunctionDefinition {
      const finish = spec.finish?.(argTypes, spec.returns(argTypes));
      const cheap = options?.retraction === false ? spec.appendOnly : undefined;
      if (finish === undefined && cheap === undefined) return definition;
      const variant: BuiltinAggregateFunction =
        cheap === undefined
          ? { ...definition }
          : {
              ...definition,
              retractable: cheap.retract !== undefined,
              mergeable: cheap.merge !== undefined,
              createAccumulator: cheap.createAccumulator,
              accumulate: cheap.accumulate,
              retract: cheap.retract,
              merge: cheap.merge as ((acc: unknown, other: unknown) => unknown) | undefined,
              getValue: cheap.getValue,
            };
      const getValue = variant.getValue;
      const result = finish === undefined ? variant : { ...variant, getValue: (acc: unknown) => finish(getValue(acc)) };
      return { ...result, specialize: () => result };
    },
  };
  return definition;
}
