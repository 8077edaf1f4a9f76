/**
 * SQL logical types as the binder and planner see them, and how their values look at run time.
 *
 * Values in rows are plain JavaScript values, chosen for speed over exactness (deliberate differences from Flink,
 * written down in docs/SQL.md):
 * - BOOLEAN → boolean; TINYINT, SMALLINT, INT, BIGINT → number (integers; BIGINT is exact up to 2^53);
 *   FLOAT, DOUBLE → number; DECIMAL(p, s) → number, rounded to scale s where a value is produced (cast, arithmetic
 *   result, sink), so `0.908 * price` prints as Flink prints it.
 * - CHAR, VARCHAR, STRING → string; BINARY, VARBINARY, BYTES → Uint8Array.
 * - DATE → days since 1970-01-01 (number); TIME → milliseconds of the day (number);
 *   TIMESTAMP(p) and TIMESTAMP_LTZ(p) → milliseconds since the epoch (number; TIMESTAMP is read as UTC wall time;
 *   precision beyond milliseconds is dropped).
 * - INTERVAL DAY TO SECOND (and its sub-ranges) → milliseconds; INTERVAL YEAR TO MONTH → months (number).
 * - ROW<...> → an array of its field values in order; ARRAY<T> → array; MAP<K, V> → Map; MULTISET<T> → Map of
 *   element to count.
 * - NULL of any type → `null` (never `undefined`).
 */
export type SqlType =
  | { readonly kind: 'BOOLEAN'; readonly nullable: boolean }
  | { readonly kind: 'TINYINT' | 'SMALLINT' | 'INT' | 'BIGINT'; readonly nullable: boolean }
  | { readonly kind: 'FLOAT' | 'DOUBLE'; readonly nullable: boolean }
  | { readonly kind: 'DECIMAL'; readonly precision: number; readonly scale: number; readonly nullable: boolean }
  | { readonly kind: 'CHAR' | 'VARCHAR'; readonly length: number; readonly nullable: boolean }
  | { readonly kind: 'BINARY' | 'VARBINARY'; readonly length: number; readonly nullable: boolean }
  | { readonly kind: 'DATE'; readonly nullable: boolean }
  | { readonly kind: 'TIME'; readonly precision: number; readonly nullable: boolean }
  | {
      readonly kind: 'TIMESTAMP' | 'TIMESTAMP_LTZ';
      readonly precision: number;
      readonly nullable: boolean;
      /** Set on a column that is a time attribute of its relation (see `TimeAttribute`). */
      readonly timeAttribute?: TimeAttribute;
    }
  | { readonly kind: 'INTERVAL_DAY_TIME' | 'INTERVAL_YEAR_MONTH'; readonly nullable: boolean }
  | { readonly kind: 'ROW'; readonly fields: readonly RowField[]; readonly nullable: boolean }
  | { readonly kind: 'ARRAY' | 'MULTISET'; readonly element: SqlType; readonly nullable: boolean }
  | { readonly kind: 'MAP'; readonly key: SqlType; readonly value: SqlType; readonly nullable: boolean }
  /** The type of the literal NULL before it is given one by context. */
  | { readonly kind: 'NULL'; readonly nullable: true }
  /** Values a user function returns without a declared type: passed through as they are. */
  | { readonly kind: 'ANY'; readonly nullable: boolean };

/**
 * A rowtime column drives event time: its value is each record's timestamp in the engine and watermarks are defined
 * on it. A proctime column reads the wall clock. A time attribute stops being one where Flink says so: after a
 * regular join, an unwindowed aggregate, or any expression over it other than a plain reference.
 */
export type TimeAttribute = 'rowtime' | 'proctime';

export interface RowField {
  readonly name: string;
  readonly type: SqlType;
  /**
   * Set only on the fields of a ROW column in a source request (nested projection push-down): no query reads this
   * field, so a source may leave it NULL instead of decoding it.
   */
  readonly unread?: true;
}

/** The columns of a relation, in order. `STRING` is VARCHAR of the largest length, as in Flink. */
export interface Schema {
  readonly fields: readonly RowField[];
}

export const MAX_VARCHAR_LENGTH = 2147483647;

/** Flink's spelling of a type, for DESCRIBE, EXPLAIN and error messages: `BIGINT NOT NULL`, `ROW<\`a\` INT>`. */
export function formatType(type: SqlType): string {
  const notNull = type.nullable ? '' : ' NOT NULL';
  switch (type.kind) {
    case 'DECIMAL':
      return `DECIMAL(${type.precision}, ${type.scale})${notNull}`;
    case 'CHAR':
    case 'VARCHAR':
      return type.kind === 'VARCHAR' && type.length === MAX_VARCHAR_LENGTH
        ? `STRING${notNull}`
        : `${type.kind}(${type.length})${notNull}`;
    case 'BINARY':
    case 'VARBINARY':
      return type.kind === 'VARBINARY' && type.length === MAX_VARCHAR_LENGTH
        ? `BYTES${notNull}`
        : `${type.kind}(${type.length})${notNull}`;
    case 'TIME':
      return `TIME(${type.precision})${notNull}`;
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ': {
      const attribute = type.timeAttribute === undefined ? '' : ` *${type.timeAttribute.toUpperCase()}*`;
      return `${type.kind}(${type.precision})${attribute}${notNull}`;
    }
    case 'INTERVAL_DAY_TIME':
      return `INTERVAL SECOND(3)${notNull}`;
    case 'INTERVAL_YEAR_MONTH':
      return `INTERVAL MONTH${notNull}`;
    case 'ROW':
      return `ROW<${type.fields.map((f) => `\`${f.name}\` ${formatType(f.type)}`).join(', ')}>${notNull}`;
    case 'ARRAY':
    case 'MULTISET':
      return `${type.kind}<${formatType(type.element)}>${notNull}`;
    case 'MAP':
      return `MAP<${formatType(type.key)}, ${formatType(type.value)}>${notNull}`;
    default:
      return `${type.kind}${notNull}`;
  }
}
