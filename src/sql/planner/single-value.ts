import type { AggregateFunctionDefinition } from '../functions/function-catalog.js';
import type { SqlType } from '../types/sql-type.js';

/** Accumulator: [rows counted, the value of the last row]. */
type Acc = [number, unknown];

/**
 * Flink's SINGLE_VALUE for a scalar subquery: the value of its one row, NULL without rows, and a run-time error
 * naming the subquery's position (`where`, e.g. `q.sql:3:15`) when a second row arrives.
 */
export function singleValue(type: SqlType, where: string): AggregateFunctionDefinition {
  return {
    name: 'SINGLE_VALUE',
    inferType: () => type,
    retractable: true,
    mergeable: false,
    createAccumulator: (): Acc => [0, null],
    accumulate(acc, args) {
      const a = acc as Acc;
      if (a[0] >= 1) throw new Error(`Scalar subquery at ${where} returned more than one row`);
      return [a[0] + 1, args[0] ?? null] as Acc;
    },
    retract(acc) {
      const a = acc as Acc;
      return (a[0] <= 1 ? [0, null] : [a[0] - 1, a[1]]) as Acc;
    },
    getValue: (acc) => ((acc as Acc)[0] === 0 ? null : (acc as Acc)[1]),
  };
}
