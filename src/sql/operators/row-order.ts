import { COLUMN_OFFSET, type Row } from '../runtime/row.js';
import type { SortKey } from './common.js';
import { encodeValue } from './value-encoding.js';

/** Orders two non-null values of the same SQL type: numbers, strings, booleans, bigints; others by encoding. */
export function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  const x = encodeValue(a);
  const y = encodeValue(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A row comparator for ORDER BY keys: direction per key, NULLs first or last as each key says. */
export function rowComparator(keys: readonly SortKey[]): (a: Row, b: Row) => number {
  const spec = keys.map((k) => ({
    at: k.index + COLUMN_OFFSET,
    sign: k.descending ? -1 : 1,
    nullsFirst: k.nullsFirst,
  }));
  return (a, b) => {
    for (const k of spec) {
      const x = a[k.at];
      const y = b[k.at];
      const xNull = x === null || x === undefined;
      const yNull = y === null || y === undefined;
      if (xNull || yNull) {
        if (xNull && yNull) continue;
        // NULLS FIRST/LAST is about the output order, independent of the direction.
        return xNull === k.nullsFirst ? -1 : 1;
      }
      const c = compareValues(x, y);
      if (c !== 0) return c * k.sign;
    }
    return 0;
  };
}
