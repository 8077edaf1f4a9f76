import type { Key } from '../../core/key.js';
import type { StateTtlConfig } from '../../state/descriptors.js';
import { COLUMN_OFFSET, type Row } from '../runtime/row.js';
import type { SortKey, SqlOperatorOptions } from './common.js';

/**
 * Keys, row encodings, equality and ordering of SQL values for the unwindowed changelog operators.
 *
 * A SQL value is a JavaScript value as `types/sql-type.ts` describes (numbers, strings, booleans, null, Uint8Array,
 * arrays for ROW/ARRAY, Maps for MAP/MULTISET). An engine {@link Key} holds only strings, numbers, booleans, bigints
 * and arrays of those, so values are mapped: primitives stay themselves (no allocation on the hot path), NULL becomes
 * the empty array and every other value a one-element array holding its encoding. A primitive is never an array, and
 * no ROW has zero fields, so the mapping is injective: GROUP BY and PARTITION BY put NULLs together, as SQL says.
 */

const NULL_KEY: Key = [];

/** The key component of one SQL value (see the module comment). */
export function keyOfValue(v: unknown): Key {
  switch (typeof v) {
    case 'number':
      return v === 0 ? 0 : v; // -0 and 0 are one SQL value
    case 'string':
    case 'boolean':
    case 'bigint':
      return v;
    default:
      return v === null || v === undefined ? NULL_KEY : [encodeValue(v)];
  }
}

/**
 * A key selector over the given columns: one column → that column's key component; several → an array of them;
 * none → the constant 0 (every row in one group, for global aggregates and joins without equi-keys).
 */
export function rowKeySelector(indices: readonly number[]): (row: Row) => Key {
  if (indices.length === 0) return () => 0;
  if (indices.length === 1) {
    const at = indices[0]! + COLUMN_OFFSET;
    return (row) => keyOfValue(row[at]);
  }
  const at = indices.map((i) => i + COLUMN_OFFSET);
  return (row) => at.map((j) => keyOfValue(row[j]));
}

/** True when any of the columns is NULL (an equi-join key that can match nothing). */
export function hasNullIn(row: Row, indices: readonly number[]): boolean {
  for (const i of indices) if (row[i + COLUMN_OFFSET] === null || row[i + COLUMN_OFFSET] === undefined) return true;
  return false;
}

/**
 * A stable string encoding of a value: equal SQL values (deep, MAP entries in any order) give equal strings and
 * different values different strings. Used as map-state keys (multisets of rows, DISTINCT values).
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

/** The encoding of the values at `indices` (DISTINCT arguments). */
export function encodeColumns(row: Row, indices: readonly number[]): string {
  let s = '';
  for (const i of indices) s += `${encodeValue(row[i + COLUMN_OFFSET])},`;
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

/** The columns of a row with kind `kind` in slot 0 (a new array; `row` is left as it is). */
export function withKind(row: Row, kind: number): Row {
  const copy = row.slice();
  copy[0] = kind;
  return copy;
}

/** The state TTL of 'table.exec.state.ttl' as descriptor options (none when 0 or absent). */
export function ttlOptions(options: SqlOperatorOptions): { ttl?: StateTtlConfig } {
  const ms = options.stateTtlMs;
  if (ms === undefined || ms <= 0) return {};
  return { ttl: { ttlMs: ms, updateType: 'onCreateAndWrite', visibility: 'neverReturnExpired' } };
}

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
