import type { Key } from '../../core/key.js';
import { COLUMN_OFFSET, type Row } from '../runtime/row.js';

/**
 * The engine's {@link Key} for a SQL column value. Keys accept strings, numbers, booleans, bigints and arrays, but
 * not `null`, bytes or maps, so those get tagged strings starting with NUL; a real string starting with NUL gets one
 * more NUL, so no value's key can equal another's. SQL NULL maps to the one-character string "\0": for grouping
 * and windowing, NULLs form one group, as in SQL's GROUP BY.
 */
export function sqlKeyValue(v: unknown): Key {
  switch (typeof v) {
    case 'number':
    case 'boolean':
    case 'bigint':
      return v;
    case 'string':
      return v.charCodeAt(0) === 0 ? `\u0000${v}` : v;
    default:
      if (v === null || v === undefined) return '\u0000';
      if (Array.isArray(v)) return v.map(sqlKeyValue);
      if (v instanceof Uint8Array) return `\u0000b${Buffer.from(v).toString('hex')}`;
      if (v instanceof Map) return ['\u0000m', ...[...v].map(([k, x]) => [sqlKeyValue(k), sqlKeyValue(x)])];
      throw new TypeError(`a SQL key column holds a value of unsupported type: ${String(v)}`);
  }
}

/**
 * A key selector over columns `indices` (0-based, as the planner counts) of a {@link Row}: the column's key value
 * for one column, an array of them for several, and the constant 0 for none (one group).
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
