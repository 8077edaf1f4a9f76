import { COLUMN_OFFSET, type Row } from '../runtime/row.js';
import type { SortKey } from './common.js';

/** SQL ordering of two non-NULL values of one type (numbers, strings, booleans, bigints). */
function compareValues(a: unknown, b: unknown): number {
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

/** A comparator of rows by ORDER BY keys, with each key's direction and NULL placement. */
export function rowComparator(keys: readonly SortKey[]): (a: Row, b: Row) => number {
  const slots = keys.map((k) => ({
    slot: k.index + COLUMN_OFFSET,
    sign: k.descending ? -1 : 1,
    nulls: k.nullsFirst ? -1 : 1,
  }));
  return (a, b) => {
    for (const { slot, sign, nulls } of slots) {
      const x = a[slot];
      const y = b[slot];
      const xNull = x === null || x === undefined;
      const yNull = y === null || y === undefined;
      if (xNull || yNull) {
        if (xNull && yNull) continue;
        return xNull ? nulls : -nulls;
      }
      const c = compareValues(x, y);
      if (c !== 0) return sign * c;
    }
    return 0;
  };
}
