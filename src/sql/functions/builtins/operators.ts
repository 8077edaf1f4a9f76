import { arithmeticType, operatorTypeMessage } from '../../types/arithmetic-type.js';
import { isComparable, leastRestrictive } from '../../types/common-type.js';
import type { SqlType } from '../../types/sql-type.js';
import { isCharacter, SqlTypes, withNullable } from '../../types/type-factory.js';
import { FunctionTypeError } from '../function-catalog.js';
import { type BuiltinScalarFunction, defineScalar } from './builtin-function.js';

/**
 * Operators and special forms. The expression compiler generates their code inline; these definitions give the
 * binder their result types and docs/SQL-FUNCTIONS.md their descriptions.
 */
function arithmetic(name: string, description: string): BuiltinScalarFunction {
  return defineScalar({
    name,
    category: 'arithmetic',
    signatures: [`numeric ${name} numeric`],
    returnsText: 'numeric (Flink rules)',
    description,
    params: name === '+' || name === '-' ? ['any', '?any'] : ['any', 'any'],
    special: true,
    returns: ([a, b]) => {
      if (b === undefined) return withNullable(a as SqlType, false);
      const t = arithmeticType(name, a as SqlType, b as SqlType);
      if (t === undefined) throw new FunctionTypeError(operatorTypeMessage(name, [a as SqlType, b as SqlType]));
      return withNullable(t, false);
    },
  });
}

function comparison(name: string, description: string): BuiltinScalarFunction {
  return defineScalar({
    name,
    category: 'comparison',
    signatures: [`value1 ${name} value2`],
    returnsText: 'BOOLEAN',
    description,
    params: ['comparable', 'comparable'],
    special: true,
    returns: ([a, b]) => {
      if (!isComparable(a as SqlType, b as SqlType)) {
        throw new FunctionTypeError(operatorTypeMessage(name, [a as SqlType, b as SqlType]));
      }
      return SqlTypes.boolean(false);
    },
  });
}

function predicate(name: string, description: string, params = ['any']): BuiltinScalarFunction {
  return defineScalar({
    name,
    category: name.startsWith('IS') ? 'comparison' : 'logical',
    signatures: [params.length === 1 ? `value ${name}` : `value1 ${name} value2`],
    returnsText: 'BOOLEAN NOT NULL',
    description,
    params,
    special: true,
    strict: false,
    returns: () => SqlTypes.boolean(false),
  });
}

const logical = (name: string, description: string, params: string[]) =>
  defineScalar({
    name,
    category: 'logical',
    signatures: [name === 'NOT' ? 'NOT boolean' : `boolean1 ${name} boolean2`],
    returnsText: 'BOOLEAN',
    description,
    params,
    special: true,
    strict: false,
    returns: (args) => SqlTypes.boolean(args.some((t) => t.nullable)),
  });

/** Every operator and special form. */
export const OPERATORS: readonly BuiltinScalarFunction[] = [
  arithmetic('+', 'Addition; also TIMESTAMP/DATE + INTERVAL.'),
  arithmetic('-', 'Subtraction; also TIMESTAMP/DATE - INTERVAL. With one operand: negation.'),
  arithmetic('*', 'Multiplication.'),
  arithmetic('/', 'Division; integer operands give a truncated integer (7 / 2 = 3); division by zero fails.'),
  arithmetic('%', 'Remainder (same as MOD); sign of the dividend.'),
  comparison('=', 'Equal; NULL when an operand is NULL.'),
  comparison('<>', 'Not equal (also !=).'),
  comparison('<', 'Less than.'),
  comparison('<=', 'Less than or equal.'),
  comparison('>', 'Greater than.'),
  comparison('>=', 'Greater than or equal.'),
  predicate('IS DISTINCT FROM', 'Not equal, treating NULLs as equal values; never NULL.', ['any', 'any']),
  predicate('IS NOT DISTINCT FROM', 'Equal, treating NULLs as equal values; never NULL.', ['any', 'any']),
  logical('AND', 'Three-valued AND: FALSE wins over NULL.', ['boolean', '*boolean']),
  logical('OR', 'Three-valued OR: TRUE wins over NULL.', ['boolean', '*boolean']),
  logical('NOT', 'Logical negation; NULL stays NULL.', ['boolean']),
  predicate('IS NULL', 'TRUE when the value is NULL.'),
  predicate('IS NOT NULL', 'TRUE when the value is not NULL.'),
  predicate('IS TRUE', 'TRUE when the value is TRUE.', ['boolean']),
  predicate('IS NOT TRUE', 'TRUE when the value is FALSE or NULL.', ['boolean']),
  predicate('IS FALSE', 'TRUE when the value is FALSE.', ['boolean']),
  predicate('IS NOT FALSE', 'TRUE when the value is TRUE or NULL.', ['boolean']),
  predicate('IS UNKNOWN', 'TRUE when the boolean value is NULL.', ['boolean']),
  predicate('IS NOT UNKNOWN', 'TRUE when the boolean value is not NULL.', ['boolean']),
  defineScalar({
    name: '||',
    category: 'string',
    signatures: ['string1 || string2'],
    returnsText: 'STRING',
    description: 'Concatenation; NULL when an operand is NULL.',
    params: ['string', 'string'],
    special: true,
    returns: ([a, b]) => SqlTypes.varchar(Math.min(2147483647, lengthOf(a as SqlType) + lengthOf(b as SqlType)), false),
  }),
  defineScalar({
    name: 'CASE',
    category: 'conditional',
    signatures: ['CASE WHEN cond THEN value ... ELSE value END', 'CASE x WHEN v THEN value ... END'],
    returnsText: 'common type of the results',
    description: 'The result of the first condition that is TRUE, else the ELSE value (NULL when absent).',
    params: ['*any'],
    special: true,
    strict: false,
    returns: (args) => {
      const results = args.filter((_, i) => i % 2 === 1 || i === args.length - 1);
      const t = leastRestrictive(results);
      if (t === undefined) throw new FunctionTypeError(operatorTypeMessage('CASE', results));
      return t;
    },
  }),
  defineScalar({
    name: 'CAST',
    category: 'type',
    signatures: ['CAST(value AS type)'],
    returnsText: 'type',
    description: 'Converts a value to a type; fails on a value that does not convert.',
    params: ['any'],
    special: true,
    returns: () => SqlTypes.any(),
  }),
  defineScalar({
    name: 'TRY_CAST',
    category: 'type',
    signatures: ['TRY_CAST(value AS type)'],
    returnsText: 'type (nullable)',
    description: 'Like CAST but NULL for a value that does not convert.',
    params: ['any'],
    special: true,
    returns: () => SqlTypes.any(),
  }),
  defineScalar({
    name: 'IN',
    category: 'comparison',
    signatures: ['value IN (value1, value2, ...)'],
    returnsText: 'BOOLEAN',
    description: 'TRUE when equal to an item; NULL when not found and an item or the value is NULL.',
    params: ['comparable', '*comparable'],
    special: true,
    strict: false,
    returns: (args) => SqlTypes.boolean(args.some((t) => t.nullable)),
  }),
  defineScalar({
    name: 'LIKE',
    category: 'comparison',
    signatures: ['string LIKE pattern [ESCAPE char]'],
    returnsText: 'BOOLEAN',
    description: "SQL pattern match: '%' any characters, '_' one character.",
    params: ['string', 'string', '?string'],
    special: true,
    returns: () => SqlTypes.boolean(false),
  }),
  defineScalar({
    name: 'SIMILAR TO',
    category: 'comparison',
    signatures: ['string SIMILAR TO pattern'],
    returnsText: 'BOOLEAN',
    description: 'SQL regular expression match of the whole string.',
    params: ['string', 'string', '?string'],
    special: true,
    returns: () => SqlTypes.boolean(false),
  }),
  defineScalar({
    name: 'ITEM',
    category: 'collection',
    signatures: ['array[index]', 'map[key]'],
    returnsText: 'element / value type',
    description: 'Element of an array (1-based) or value of a map key; NULL when absent.',
    params: ['array|map', 'any'],
    special: true,
    returns: ([c]) => {
      const container = c as SqlType;
      if (container.kind === 'ARRAY') return withNullable(container.element, true);
      if (container.kind === 'MAP') return withNullable(container.value, true);
      return SqlTypes.any();
    },
  }),
  defineScalar({
    name: 'ROW',
    category: 'collection',
    signatures: ['ROW(value1, value2, ...)'],
    returnsText: 'ROW<EXPR$0 ..., ...>',
    description: 'A row of the values.',
    params: ['*any'],
    special: true,
    strict: false,
    returns: (args) =>
      SqlTypes.row(
        args.map((type, i) => ({ name: `EXPR$${i}`, type })),
        false,
      ),
  }),
  defineScalar({
    name: 'ARRAY',
    category: 'collection',
    signatures: ['ARRAY[value1, value2, ...]'],
    returnsText: 'ARRAY<common type>',
    description: 'An array of the values.',
    params: ['any', '*any'],
    special: true,
    strict: false,
    returns: (args) => SqlTypes.array(leastRestrictive(args) ?? SqlTypes.any(), false),
  }),
  defineScalar({
    name: 'MAP',
    category: 'collection',
    signatures: ['MAP[key1, value1, key2, value2, ...]'],
    returnsText: 'MAP<key type, value type>',
    description: 'A map of the key/value pairs.',
    params: ['any', '*any'],
    special: true,
    strict: false,
    check: (args) => {
      if (args.length % 2 !== 0) throw new FunctionTypeError('MAP takes an even number of arguments (key, value, ...)');
    },
    returns: (args) =>
      SqlTypes.map(
        leastRestrictive(args.filter((_, i) => i % 2 === 0)) ?? SqlTypes.any(),
        leastRestrictive(args.filter((_, i) => i % 2 === 1)) ?? SqlTypes.any(),
        false,
      ),
  }),
];

function lengthOf(t: SqlType): number {
  return isCharacter(t) ? (t as { length: number }).length : 2147483647;
}
