import type { BuiltinAggregateFunction } from './aggregate-function.js';
import { NUMERIC_AGGREGATES } from './numeric-aggregates.js';
import { VALUE_AGGREGATES } from './value-aggregates.js';

/** Every built-in aggregate function, in documentation order. */
export const BUILTIN_AGGREGATE_FUNCTIONS: readonly BuiltinAggregateFunction[] = [
  ...NUMERIC_AGGREGATES,
  ...VALUE_AGGREGATES,
];

export type { BuiltinAggregateFunction } from './aggregate-function.js';
