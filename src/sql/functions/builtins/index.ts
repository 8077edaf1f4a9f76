import type { BuiltinScalarFunction } from './builtin-function.js';
import { CONDITIONAL_FUNCTIONS } from './conditional-functions.js';
import { MATH_FUNCTIONS } from './math-functions.js';
import { OPERATORS } from './operators.js';
import { OTHER_FUNCTIONS } from './other-functions.js';
import { STRING_FUNCTIONS } from './string-functions.js';
import { TIME_FUNCTIONS } from './time-functions.js';

/** Every built-in scalar function and operator, in documentation order. */
export const BUILTIN_SCALAR_FUNCTIONS: readonly BuiltinScalarFunction[] = [
  ...OPERATORS,
  ...CONDITIONAL_FUNCTIONS,
  ...STRING_FUNCTIONS,
  ...MATH_FUNCTIONS,
  ...TIME_FUNCTIONS,
  ...OTHER_FUNCTIONS,
];

export type { BuiltinScalarFunction, CallableScalarFunction, ScalarImplementation } from './builtin-function.js';
