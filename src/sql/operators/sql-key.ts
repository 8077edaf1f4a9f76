import type { Key } from '../../core/key.js';
import { COLUMN_OFFSET, type Row } from '../runtime/row.js';
import { encodeValue } from './value-encoding.js';

/** The key of SQL NULL: the one-character string NUL (no other value's key is that string). */
const NULL_KEY = '\u0000';

/**
 * The engine's {@link Key} for a SQL column value; every SQL operator keys its input through this function, so
 * equal SQL values land in one key group everywhere. Numbers, booleans, bigints and strings stay themselves (no
 * allocation on the hot path; -0 becomes 0, one SQL value); a string starting with NUL gets one more NUL; NULL
 * becomes {@link NULL_KEY} (NULLs form one group, as in SQL's GROUP BY); any other value (ROW, ARRAY, MAP, bytes)
 * becomes NUL followed by its {@link encodeValue} encoding, which never starts with NUL. So the mapping is
 * injective, and a composite key of such values stays a flat array of primitives.
 */
export function sqlKeyValue(v: unknown): Key {
  switch (typeof v) {
    case 'number':
      return v === 0 ? 0 : v;
    case 'boolean':
    case 'bigint':
      return v;
    case 'string':
      return v.charCodeAt(0) === 0 ? `\u0000${v}` : v;
    default:
      return v === null || v === undefined ? NULL_KEY : `\u0000${encodeValue(v)}`;
  }
}

/**
 * A key selector over columns `indices` (0-based, as the planner counts) of a {@link Row}: the column's key value
 * for one column, an array of them for several, and the constant 0 for none (one group: global aggregates, joins
 * without equi-keys).
 */
export function sqlKeySelector(indices: readonly number[]): (row: Row) => Key {
  if (indices.length === 0) return () => 0;
  if (indices.length === 1) {
    const slot = indices[0]! + COLUMN_OFFSET;
    return (row) => sqlKeyValue(row[slot]);
  }
  const slots = indices.map((i) => i + COLUMN_OFFSET);
  return (row) => slots.map((s) => sqlKeyValue(row[s]));
}

/** Whether any of the columns is SQL NULL: a NULL join key equals nothing (SQL's `=`). */
export function hasNullKey(row: Row, indices: readonly number[]): boolean {
  for (const i of indices) if (row[i + COLUMN_OFFSET] === null || row[i + COLUMN_OFFSET] === undefined) return true;
  return false;
}
