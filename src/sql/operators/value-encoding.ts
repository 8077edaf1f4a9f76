import { COLUMN_OFFSET, type Row } from '../runtime/row.js';

/**
 * Stable string encodings and deep equality of SQL values (JavaScript values as `types/sql-type.ts` describes:
 * numbers, strings, booleans, bigints, null, Uint8Array, arrays for ROW/ARRAY, Maps for MAP/MULTISET).
 */

/**
 * A stable string encoding of a value: equal SQL values (deep, MAP entries in any order) give equal strings and
 * different values different strings; never the empty string. Used as map-state keys (multisets of rows, DISTINCT
 * values) and inside engine keys, so it must stay the same for as long as checkpoints are to be restored.
 */
export function encodeValue(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      // Number formatting is exact and round-trips; -0 is the same SQL value as 0.
      return v === 0 ? '0' : String(v);
    case 'boolean':
      return v ? 't' : 'f';
    case 'bigint':
      return `${v}n`;
    case 'undefined':
      return 'N';
    default:
      if (v === null) return 'N';
      if (Array.isArray(v)) return `[${v.map(encodeValue).join(',')}]`;
      if (v instanceof Uint8Array) return `b${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}`;
      if (v instanceof Map) {
        const entries = [...v.entries()].map(([k, x]) => `${encodeValue(k)}:${encodeValue(x)}`).sort();
        return `m{${entries.join(',')}}`;
      }
      if (v instanceof Date) return `d${v.getTime()}`;
      return `o${JSON.stringify(v)}`;
  }
}

/** The encoding of a row's columns (slot 0, the kind, left out): equal for rows of equal content. */
export function encodeRow(row: Row): string {
  let s = '';
  for (let i = COLUMN_OFFSET; i < row.length; i++) s += `${encodeValue(row[i])},`;
  return s;
}

/** The encoding of a list of values (DISTINCT arguments): equal for lists of equal values. */
export function encodeValues(values: readonly unknown[]): string {
  let s = '';
  for (const v of values) s += `${encodeValue(v)},`;
  return s;
}

/** Deep equality of SQL values (as their encodings compare; primitives without encoding). */
export function valuesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    // NaN equals NaN here: an unchanged aggregate result must not be emitted as a change.
    return typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b);
  }
  return encodeValue(a) === encodeValue(b);
}

/** Deep equality of two value lists of the same length. */
export function valueListsEqual(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!valuesEqual(a[i], b[i])) return false;
  return true;
}
