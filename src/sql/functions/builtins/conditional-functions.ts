import { leastRestrictive } from '../../types/common-type.js';
import type { SqlType } from '../../types/sql-type.js';
import { formatType } from '../../types/sql-type.js';
import { withNullable } from '../../types/type-factory.js';
import { compareValues, valuesEqual } from '../../types/value-compare.js';
import { FunctionTypeError } from '../function-catalog.js';
import { type BuiltinScalarFunction, defineScalar } from './builtin-function.js';

function common(name: string, types: readonly SqlType[]): SqlType {
  const t = leastRestrictive(types);
  if (t === undefined) {
    throw new FunctionTypeError(
      `${name}: arguments have no common type: ${types.map((x) => formatType(x)).join(', ')}`,
    );
  }
  return t;
}

/** Conditional functions; COALESCE and IF are generated inline (lazy) by the compiler. */
export const CONDITIONAL_FUNCTIONS: readonly BuiltinScalarFunction[] = [
  defineScalar({
    name: 'COALESCE',
    category: 'conditional',
    signatures: ['COALESCE(value1, value2, ...)'],
    returnsText: 'common type',
    description: 'The first argument that is not NULL (later arguments are not evaluated).',
    params: ['any', '*any'],
    strict: false,
    special: true,
    returns: (args) =>
      withNullable(
        common('COALESCE', args),
        args.every((t) => t.nullable),
      ),
  }),
  defineScalar({
    name: 'IF',
    category: 'conditional',
    signatures: ['IF(condition, then, else)'],
    returnsText: 'common type',
    description: 'then when condition is TRUE, else otherwise (also when NULL).',
    params: ['boolean', 'any', 'any'],
    strict: false,
    special: true,
    returns: ([, a, b]) => common('IF', [a as SqlType, b as SqlType]),
  }),
  defineScalar({
    name: 'IFNULL',
    category: 'conditional',
    signatures: ['IFNULL(value, replacement)'],
    returnsText: 'common type',
    description: 'replacement when value is NULL.',
    params: ['any', 'any'],
    strict: false,
    special: true,
    returns: ([a, b]) =>
      withNullable(common('IFNULL', [a as SqlType, b as SqlType]), (b as SqlType).nullable && (a as SqlType).nullable),
  }),
  defineScalar({
    name: 'NULLIF',
    category: 'conditional',
    signatures: ['NULLIF(value1, value2)'],
    returnsText: 'type of value1',
    description: 'NULL when value1 equals value2, else value1.',
    params: ['any', 'any'],
    strict: false,
    returns: ([a]) => withNullable(a as SqlType, true),
    fn: (a: unknown, b: unknown) => (a !== null && b !== null && valuesEqual(a, b) ? null : a),
  }),
  defineScalar({
    name: 'GREATEST',
    category: 'conditional',
    signatures: ['GREATEST(value1, value2, ...)'],
    returnsText: 'common type',
    description: 'The greatest argument; NULL when any argument is NULL.',
    params: ['comparable', '*comparable'],
    returns: (args) => withNullable(common('GREATEST', args), false),
    fn: (...a: unknown[]) => a.reduce((x, y) => (compareValues(y, x) > 0 ? y : x)),
  }),
  defineScalar({
    name: 'LEAST',
    category: 'conditional',
    signatures: ['LEAST(value1, value2, ...)'],
    returnsText: 'common type',
    description: 'The least argument; NULL when any argument is NULL.',
    params: ['comparable', '*comparable'],
    returns: (args) => withNullable(common('LEAST', args), false),
    fn: (...a: unknown[]) => a.reduce((x, y) => (compareValues(y, x) < 0 ? y : x)),
  }),
];
