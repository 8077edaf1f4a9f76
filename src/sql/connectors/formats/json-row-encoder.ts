import type { RowField, SqlType } from '../../types/sql-type.js';
import { formatDate, formatTime, formatTimestamp } from './time-text.js';

/** 'json.timestamp-format.standard': `SQL` writes `2020-01-01 10:00:00.000`, `ISO-8601` writes `2020-01-01T10:00:00.000`. */
export type TimestampStandard = 'SQL' | 'ISO-8601';

type Encode = (value: unknown) => string;

/**
 * A function from the column values of a row (`values[offset + i]` is column i) to one JSON object text, as Flink's
 * json format writes it: field names are the column names, in column order; NULL is `null`; TIMESTAMP(p) is a
 * string with p fraction digits (`"2020-01-01 10:00:00.000"`), TIMESTAMP_LTZ the same with `Z`; DATE
 * `"2020-01-01"`; TIME `"10:00:00"`; DECIMAL a number written at its scale (`12.50`); BINARY base64; ROW an object;
 * ARRAY an array; MAP an object.
 */
export function jsonRowEncoder(
  fields: readonly RowField[],
  standard: TimestampStandard = 'SQL',
): (values: readonly unknown[], offset: number) => string {
  const keys = fields.map((f, i) => `${i === 0 ? '{' : ','}${JSON.stringify(f.name)}:`);
  const encoders = fields.map((f) => encoder(f.type, standard));
  const n = fields.length;
  return (values, offset) => {
    if (n === 0) return '{}';
    let out = '';
    for (let i = 0; i < n; i++) {
      const v = values[offset + i];
      out += keys[i]! + (v === null || v === undefined ? 'null' : encoders[i]!(v));
    }
    return `${out}}`;
  };
}

function encoder(type: SqlType, standard: TimestampStandard): Encode {
  const separator = standard === 'SQL' ? ' ' : 'T';
  switch (type.kind) {
    case 'BOOLEAN':
      return (v) => (v ? 'true' : 'false');
    case 'TINYINT':
    case 'SMALLINT':
    case 'INT':
    case 'BIGINT':
    case 'FLOAT':
    case 'DOUBLE':
    case 'INTERVAL_DAY_TIME':
    case 'INTERVAL_YEAR_MONTH':
      return (v) => (typeof v === 'number' && Number.isFinite(v) ? String(v) : JSON.stringify(String(v)));
    case 'DECIMAL': {
      const scale = type.scale;
      return (v) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(scale) : JSON.stringify(String(v)));
    }
    case 'CHAR':
    case 'VARCHAR':
      return (v) => JSON.stringify(typeof v === 'string' ? v : String(v));
    case 'BINARY':
    case 'VARBINARY':
      return (v) => `"${Buffer.from(v as Uint8Array).toString('base64')}"`;
    case 'DATE':
      return (v) => `"${formatDate(v as number)}"`;
    case 'TIME': {
      const precision = type.precision;
      return (v) => `"${formatTime(v as number, precision)}"`;
    }
    case 'TIMESTAMP': {
      const precision = type.precision;
      return (v) => `"${formatTimestamp(v as number, precision, separator)}"`;
    }
    case 'TIMESTAMP_LTZ': {
      const precision = type.precision;
      return (v) => `"${formatTimestamp(v as number, precision, separator)}Z"`;
    }
    case 'ROW': {
      const row = jsonRowEncoder(type.fields, standard);
      return (v) => row(v as unknown[], 0);
    }
    case 'ARRAY': {
      const element = encoder(type.element, standard);
      return (v) => `[${(v as unknown[]).map((e) => (e === null || e === undefined ? 'null' : element(e))).join(',')}]`;
    }
    case 'MAP':
    case 'MULTISET': {
      const value = type.kind === 'MAP' ? encoder(type.value, standard) : (x: unknown) => String(x);
      return (v) => {
        const parts: string[] = [];
        for (const [k, x] of v as Map<unknown, unknown>) {
          parts.push(`${JSON.stringify(String(k))}:${x === null || x === undefined ? 'null' : value(x)}`);
        }
        return `{${parts.join(',')}}`;
      };
    }
    default:
      return (v) => JSON.stringify(v) ?? 'null';
  }
}
