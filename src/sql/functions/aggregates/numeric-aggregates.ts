import { decimalAvgType, decimalSumType, roundHalfUp } from '../../types/decimal.js';
import type { SqlType } from '../../types/sql-type.js';
import { isInteger, SqlTypes, withNullable } from '../../types/type-factory.js';
import { type BuiltinAggregateFunction, defineAggregate } from './aggregate-function.js';

/** [sum, count of non-NULL values]: retractable, mergeable, survives v8.serialize and msgpack. */
type SumAcc = [number, number];

const sumAcc = (): SumAcc => [0, 0];
function add(acc: SumAcc, args: readonly unknown[]): SumAcc {
  const v = args[0];
  if (v !== null && v !== undefined) {
    acc[0] += v as number;
    acc[1]++;
  }
  return acc;
}
function remove(acc: SumAcc, args: readonly unknown[]): SumAcc {
  const v = args[0];
  if (v !== null && v !== undefined) {
    acc[0] -= v as number;
    acc[1]--;
  }
  return acc;
}
function mergeSum(acc: SumAcc, other: SumAcc): SumAcc {
  acc[0] += other[0];
  acc[1] += other[1];
  return acc;
}

/** The result conversion of a numeric type: Java's integer wrap, FLOAT precision, DECIMAL scale. */
export function numericResult(type: SqlType, truncate: boolean): ((v: unknown) => unknown) | undefined {
  const integer = isInteger(type);
  switch (type.kind) {
    case 'DECIMAL': {
      const scale = type.scale;
      return (v) => (v === null ? null : roundHalfUp(v as number, scale));
    }
    case 'FLOAT':
      return (v) => (v === null ? null : Math.fround(v as number));
    default:
      if (!integer) return undefined;
      if (type.kind === 'BIGINT') return truncate ? (v) => (v === null ? null : Math.trunc(v as number)) : undefined;
      return (v) => {
        if (v === null) return null;
        const n = truncate ? Math.trunc(v as number) : (v as number);
        return type.kind === 'INT' ? n | 0 : type.kind === 'SMALLINT' ? (n << 16) >> 16 : (n << 24) >> 24;
      };
  }
}

/** SUM's result type (Flink): integers keep their type, DECIMAL(p, s) → DECIMAL(38, s), others as they are. */
export function sumType(t: SqlType): SqlType {
  if (t.kind === 'DECIMAL') {
    const shape = decimalSumType(t);
    return SqlTypes.decimal(shape.precision, shape.scale);
  }
  return withNullable(t.kind === 'NULL' ? SqlTypes.int() : t, true);
}

/** AVG's (and STDDEV's, VAR's) result type (Flink): integers keep their type (integer division), DECIMAL widens. */
export function avgType(t: SqlType): SqlType {
  if (t.kind === 'DECIMAL') {
    const shape = decimalAvgType(t);
    return SqlTypes.decimal(shape.precision, shape.scale);
  }
  return withNullable(t.kind === 'NULL' ? SqlTypes.int() : t, true);
}

/** Sample or population variance from count, sum and sum of squares; NULL when undefined. */
function variance(acc: [number, number, number], sample: boolean): number | null {
  const [n, sum, sumSq] = acc;
  if (n === 0 || (sample && n === 1)) return null;
  const v = (sumSq - (sum * sum) / n) / (sample ? n - 1 : n);
  // Cancellation can leave a tiny negative where the true variance is zero.
  return Math.max(0, v);
}

function statistic(name: string, description: string, sample: boolean, root: boolean): BuiltinAggregateFunction {
  return defineAggregate<[number, number, number]>({
    name,
    signatures: [`${name}(numeric)`],
    returnsText: 'type of the argument (integers truncate)',
    description,
    params: ['numeric'],
    returns: ([t]) => avgType(t as SqlType),
    createAccumulator: () => [0, 0, 0],
    accumulate(acc, args) {
      const v = args[0] as number | null;
      if (v !== null && v !== undefined) {
        acc[0]++;
        acc[1] += v;
        acc[2] += v * v;
      }
      return acc;
    },
    retract(acc, args) {
      const v = args[0] as number | null;
      if (v !== null && v !== undefined) {
        acc[0]--;
        acc[1] -= v;
        acc[2] -= v * v;
      }
      return acc;
    },
    merge(acc, other) {
      acc[0] += other[0];
      acc[1] += other[1];
      acc[2] += other[2];
      return acc;
    },
    getValue(acc) {
      const v = variance(acc, sample);
      return v === null ? null : root ? Math.sqrt(v) : v;
    },
    finish: (_args, result) => numericResult(result, true),
  });
}

/** COUNT, SUM, SUM0, AVG and the variance family. */
export const NUMERIC_AGGREGATES: readonly BuiltinAggregateFunction[] = [
  defineAggregate<number>({
    name: 'COUNT',
    signatures: ['COUNT(*)', 'COUNT([DISTINCT] value1[, value2, ...])'],
    returnsText: 'BIGINT NOT NULL',
    description: 'Number of rows, or of rows where every argument is not NULL.',
    params: ['*any'],
    returns: () => SqlTypes.bigint(false),
    createAccumulator: () => 0,
    accumulate(acc, args) {
      for (const a of args) if (a === null || a === undefined) return acc;
      return acc + 1;
    },
    retract(acc, args) {
      for (const a of args) if (a === null || a === undefined) return acc;
      return acc - 1;
    },
    merge: (acc, other) => acc + other,
    getValue: (acc) => acc,
  }),
  defineAggregate<SumAcc>({
    name: 'SUM',
    signatures: ['SUM([DISTINCT] numeric)'],
    returnsText: 'type of the argument; DECIMAL(38, s)',
    description: 'Sum of the non-NULL values; NULL when there are none.',
    params: ['numeric|interval'],
    returns: ([t]) => sumType(t as SqlType),
    createAccumulator: sumAcc,
    accumulate: add,
    retract: remove,
    merge: mergeSum,
    getValue: (acc) => (acc[1] === 0 ? null : acc[0]),
    finish: (_args, result) => numericResult(result, false),
  }),
  defineAggregate<SumAcc>({
    name: 'SUM0',
    signatures: ['SUM0(numeric)'],
    returnsText: 'type of the argument, NOT NULL',
    description: 'Sum of the non-NULL values; 0 when there are none.',
    params: ['numeric'],
    returns: ([t]) => withNullable(sumType(t as SqlType), false),
    createAccumulator: sumAcc,
    accumulate: add,
    retract: remove,
    merge: mergeSum,
    getValue: (acc) => acc[0],
    finish: (_args, result) => numericResult(result, false),
  }),
  defineAggregate<SumAcc>({
    name: 'AVG',
    signatures: ['AVG([DISTINCT] numeric)'],
    returnsText: 'type of the argument (integers truncate); DECIMAL(38, max(6, s))',
    description: 'Average of the non-NULL values; integer types divide as integers (AVG of BIGINT is BIGINT).',
    params: ['numeric'],
    returns: ([t]) => avgType(t as SqlType),
    createAccumulator: sumAcc,
    accumulate: add,
    retract: remove,
    merge: mergeSum,
    getValue: (acc) => (acc[1] === 0 ? null : acc[0] / acc[1]),
    finish: (_args, result) => numericResult(result, true),
  }),
  statistic('STDDEV_POP', 'Population standard deviation.', false, true),
  statistic('STDDEV_SAMP', 'Sample standard deviation; NULL for fewer than two values.', true, true),
  statistic('STDDEV', 'Same as STDDEV_SAMP.', true, true),
  statistic('VAR_POP', 'Population variance.', false, false),
  statistic('VAR_SAMP', 'Sample variance; NULL for fewer than two values.', true, false),
  statistic('VARIANCE', 'Same as VAR_SAMP.', true, false),
];
