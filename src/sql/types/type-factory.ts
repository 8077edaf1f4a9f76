import { MAX_VARCHAR_LENGTH, type SqlType } from './sql-type.js';

/**
 * Constructors and family tests for {@link SqlType}, shared by the binder, the expression compiler, the functions
 * and the connectors. Every constructor takes the nullability (default: nullable, as SQL columns are).
 */
export const SqlTypes = {
  boolean: (nullable = true): SqlType => ({ kind: 'BOOLEAN', nullable }),
  tinyint: (nullable = true): SqlType => ({ kind: 'TINYINT', nullable }),
  smallint: (nullable = true): SqlType => ({ kind: 'SMALLINT', nullable }),
  int: (nullable = true): SqlType => ({ kind: 'INT', nullable }),
  bigint: (nullable = true): SqlType => ({ kind: 'BIGINT', nullable }),
  float: (nullable = true): SqlType => ({ kind: 'FLOAT', nullable }),
  double: (nullable = true): SqlType => ({ kind: 'DOUBLE', nullable }),
  decimal: (precision: number, scale: number, nullable = true): SqlType => ({
    kind: 'DECIMAL',
    precision,
    scale,
    nullable,
  }),
  char: (length: number, nullable = true): SqlType => ({ kind: 'CHAR', length, nullable }),
  varchar: (length: number, nullable = true): SqlType => ({ kind: 'VARCHAR', length, nullable }),
  string: (nullable = true): SqlType => ({ kind: 'VARCHAR', length: MAX_VARCHAR_LENGTH, nullable }),
  bytes: (nullable = true): SqlType => ({ kind: 'VARBINARY', length: MAX_VARCHAR_LENGTH, nullable }),
  date: (nullable = true): SqlType => ({ kind: 'DATE', nullable }),
  time: (precision = 0, nullable = true): SqlType => ({ kind: 'TIME', precision, nullable }),
  timestamp: (precision = 3, nullable = true): SqlType => ({ kind: 'TIMESTAMP', precision, nullable }),
  timestampLtz: (precision = 3, nullable = true): SqlType => ({ kind: 'TIMESTAMP_LTZ', precision, nullable }),
  intervalDayTime: (nullable = true): SqlType => ({ kind: 'INTERVAL_DAY_TIME', nullable }),
  intervalYearMonth: (nullable = true): SqlType => ({ kind: 'INTERVAL_YEAR_MONTH', nullable }),
  row: (fields: readonly { name: string; type: SqlType }[], nullable = true): SqlType => ({
    kind: 'ROW',
    fields,
    nullable,
  }),
  array: (element: SqlType, nullable = true): SqlType => ({ kind: 'ARRAY', element, nullable }),
  multiset: (element: SqlType, nullable = true): SqlType => ({ kind: 'MULTISET', element, nullable }),
  map: (key: SqlType, value: SqlType, nullable = true): SqlType => ({ kind: 'MAP', key, value, nullable }),
  null: (): SqlType => ({ kind: 'NULL', nullable: true }),
  any: (nullable = true): SqlType => ({ kind: 'ANY', nullable }),
} as const;

/** The same type with the given nullability (a time attribute marker is dropped when nullability changes). */
export function withNullable(type: SqlType, nullable: boolean): SqlType {
  if (type.nullable === nullable || type.kind === 'NULL') return type;
  return { ...type, nullable } as SqlType;
}

/** The same type without its time attribute marker (an expression over a rowtime column is no longer one). */
export function withoutTimeAttribute(type: SqlType): SqlType {
  if ((type.kind === 'TIMESTAMP' || type.kind === 'TIMESTAMP_LTZ') && type.timeAttribute !== undefined) {
    return { kind: type.kind, precision: type.precision, nullable: type.nullable };
  }
  return type;
}

const INTEGER_RANK: Readonly<Record<string, number>> = { TINYINT: 1, SMALLINT: 2, INT: 3, BIGINT: 4 };

/** TINYINT, SMALLINT, INT, BIGINT. */
export function isInteger(type: SqlType): boolean {
  return INTEGER_RANK[type.kind] !== undefined;
}

/** Rank of an integer type (TINYINT 1 … BIGINT 4), 0 for others. */
export function integerRank(type: SqlType): number {
  return INTEGER_RANK[type.kind] ?? 0;
}

/** Decimal digits an integer type needs when it meets a DECIMAL (TINYINT 3, SMALLINT 5, INT 10, BIGINT 19). */
export function integerDigits(type: SqlType): number {
  return [0, 3, 5, 10, 19][integerRank(type)] ?? 19;
}

/** FLOAT, DOUBLE. */
export function isApproximate(type: SqlType): boolean {
  return type.kind === 'FLOAT' || type.kind === 'DOUBLE';
}

/** Every number type: integers, DECIMAL, FLOAT, DOUBLE. */
export function isNumeric(type: SqlType): boolean {
  return isInteger(type) || isApproximate(type) || type.kind === 'DECIMAL';
}

/** CHAR, VARCHAR (STRING). */
export function isCharacter(type: SqlType): boolean {
  return type.kind === 'CHAR' || type.kind === 'VARCHAR';
}

/** BINARY, VARBINARY (BYTES). */
export function isBinary(type: SqlType): boolean {
  return type.kind === 'BINARY' || type.kind === 'VARBINARY';
}

/** TIMESTAMP, TIMESTAMP_LTZ. */
export function isTimestamp(type: SqlType): boolean {
  return type.kind === 'TIMESTAMP' || type.kind === 'TIMESTAMP_LTZ';
}

/** DATE, TIME, TIMESTAMP, TIMESTAMP_LTZ. */
export function isDatetime(type: SqlType): boolean {
  return type.kind === 'DATE' || type.kind === 'TIME' || isTimestamp(type);
}

/** INTERVAL_DAY_TIME, INTERVAL_YEAR_MONTH. */
export function isInterval(type: SqlType): boolean {
  return type.kind === 'INTERVAL_DAY_TIME' || type.kind === 'INTERVAL_YEAR_MONTH';
}

/** NULL or ANY: types that fit any parameter. */
export function isWildcard(type: SqlType): boolean {
  return type.kind === 'NULL' || type.kind === 'ANY';
}

/** A DECIMAL's precision and scale, or the exact decimal an integer type widens to; undefined for others. */
export function decimalShape(type: SqlType): { precision: number; scale: number } | undefined {
  if (type.kind === 'DECIMAL') return { precision: type.precision, scale: type.scale };
  if (isInteger(type)) return { precision: integerDigits(type), scale: 0 };
  return undefined;
}
