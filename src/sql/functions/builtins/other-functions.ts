import { formatType, type SqlType } from '../../types/sql-type.js';
import { SqlTypes, withNullable } from '../../types/type-factory.js';
import { valuesEqual } from '../../types/value-compare.js';
import { type BuiltinScalarFunction, defineScalar } from './builtin-function.js';

/** Type and collection functions. */
export const OTHER_FUNCTIONS: readonly BuiltinScalarFunction[] = [
  defineScalar({
    name: 'TYPEOF',
    category: 'type',
    signatures: ['TYPEOF(value[, force_serializable])'],
    returnsText: 'STRING NOT NULL',
    description: "The SQL type of the argument as Flink spells it ('BIGINT NOT NULL').",
    params: ['any', '?boolean'],
    strict: false,
    returns: () => SqlTypes.string(false),
    implement: ([t]) => {
      const text = formatType(t as SqlType);
      return () => text;
    },
  }),
  defineScalar({
    name: 'CARDINALITY',
    category: 'collection',
    signatures: ['CARDINALITY(array_or_map)'],
    returnsText: 'INT',
    description: 'Number of elements of an array or entries of a map.',
    params: ['array|map'],
    returns: () => SqlTypes.int(false),
    fn: (c: unknown[] | Map<unknown, unknown>) => (Array.isArray(c) ? c.length : c.size),
  }),
  defineScalar({
    name: 'ELEMENT',
    category: 'collection',
    signatures: ['ELEMENT(array)'],
    returnsText: 'element type',
    description: 'The only element of an array; NULL when empty; fails with more than one.',
    params: ['array'],
    returns: ([t]) => withNullable((t as SqlType & { element: SqlType }).element ?? SqlTypes.any(), true),
    fn: (a: unknown[]) => {
      if (a.length > 1) throw new Error(`ELEMENT: array has ${a.length} elements, expected at most one`);
      return a[0] ?? null;
    },
  }),
  defineScalar({
    name: 'ARRAY_CONTAINS',
    category: 'collection',
    signatures: ['ARRAY_CONTAINS(array, value)'],
    returnsText: 'BOOLEAN',
    description: 'TRUE when the array has an element equal to value.',
    params: ['array', 'any'],
    returns: () => SqlTypes.boolean(false),
    fn: (a: unknown[], v: unknown) => a.some((x) => x !== null && valuesEqual(x, v)),
  }),
  defineScalar({
    name: 'MAP_KEYS',
    category: 'collection',
    signatures: ['MAP_KEYS(map)'],
    returnsText: 'ARRAY<key type>',
    description: 'The keys of a map.',
    params: ['map'],
    returns: ([t]) => SqlTypes.array((t as SqlType & { key: SqlType }).key ?? SqlTypes.any(), false),
    fn: (m: Map<unknown, unknown>) => [...m.keys()],
  }),
  defineScalar({
    name: 'MAP_VALUES',
    category: 'collection',
    signatures: ['MAP_VALUES(map)'],
    returnsText: 'ARRAY<value type>',
    description: 'The values of a map.',
    params: ['map'],
    returns: ([t]) => SqlTypes.array((t as SqlType & { value: SqlType }).value ?? SqlTypes.any(), false),
    fn: (m: Map<unknown, unknown>) => [...m.values()],
  }),
];
