import { SluiceError } from '../../core/errors.js';
import { castFunction } from './cast.js';
import { roundHalfUp } from './decimal.js';
import type { SqlType } from './sql-type.js';
import {
  formatDate,
  formatTime,
  formatTimestamp,
  MS_PER_DAY,
  parseDate,
  parseTime,
  parseTimestamp,
} from './temporal.js';

/** A JSON (or CSV) value that does not fit its column's type; `path` names the field ('bid.price', 'tags[2]'). */
export class SqlValueError extends SluiceError {
  override name = 'SqlValueError';
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`field '${path}': ${reason}`);
  }
}

/**
 * The JSON form of a run-time value, as Flink's json format writes it: numbers as numbers (DECIMAL at its scale),
 * TIMESTAMP 'yyyy-MM-dd HH:mm:ss.SSS' (fraction digits = precision), TIMESTAMP_LTZ the same with a trailing 'Z',
 * DATE 'yyyy-MM-dd', TIME 'HH:mm:ss', ROW an object with its field names, ARRAY an array, MAP an object,
 * BYTES base64, NaN/Infinity as strings. ANY values pass through (Maps become objects, bytes base64).
 */
export function toJsonValue(value: unknown, type: SqlType): unknown {
  if (value === null || value === undefined) return null;
  switch (type.kind) {
    case 'FLOAT':
    case 'DOUBLE':
      return Number.isFinite(value) ? value : String(value);
    case 'DECIMAL':
      return roundHalfUp(value as number, type.scale);
    case 'DATE':
      return formatDate(value as number);
    case 'TIME':
      return formatTime(value as number, type.precision);
    case 'TIMESTAMP':
      return formatTimestamp(value as number, type.precision);
    case 'TIMESTAMP_LTZ':
      return `${formatTimestamp(value as number, type.precision)}Z`;
    case 'BINARY':
    case 'VARBINARY':
      return Buffer.from(value as Uint8Array).toString('base64');
    case 'ROW': {
      const out: Record<string, unknown> = {};
      const values = value as unknown[];
      type.fields.forEach((f, i) => {
        out[f.name] = toJsonValue(values[i], f.type);
      });
      return out;
    }
    case 'ARRAY':
      return (value as unknown[]).map((v) => toJsonValue(v, type.element));
    case 'MAP': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of value as Map<unknown, unknown>) out[String(k)] = toJsonValue(v, type.value);
      return out;
    }
    case 'MULTISET': {
      const out: Record<string, unknown> = {};
      for (const [k, n] of value as Map<unknown, unknown>) out[String(k)] = n;
      return out;
    }
    case 'ANY':
      return anyToJson(value);
    default:
      return value;
  }
}

function anyToJson(value: unknown): unknown {
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), anyToJson(v)]));
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(anyToJson);
  if (typeof value === 'bigint') return Number(value);
  return value;
}

function describe(json: unknown): string {
  const text = JSON.stringify(json);
  return text === undefined ? String(json) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * The run-time value of a parsed JSON value for a column of `type`, as Flink's json format reads it: numbers from
 * numbers or numeric strings, BOOLEAN from true/false or 'true'/'false', STRING from a string (other JSON values as
 * their JSON text), TIMESTAMP/TIMESTAMP_LTZ from epoch-millisecond numbers or Flink's strings
 * ('yyyy-MM-dd HH:mm:ss[.SSS]', ISO 'T', optional 'Z'), DATE from 'yyyy-MM-dd' or a day number, ROW from an object
 * by field name (missing fields NULL), ARRAY from an array, MAP from an object. Throws {@link SqlValueError} naming
 * `path` for a value that does not fit.
 */
export function fromJsonValue(json: unknown, type: SqlType, path: string): unknown {
  if (json === null || json === undefined) return null;
  const bad = (): never => {
    throw new SqlValueError(path, `expected ${type.kind}, got ${describe(json)}`);
  };
  switch (type.kind) {
    case 'BOOLEAN':
      if (typeof json === 'boolean') return json;
      if (json === 'true' || json === 'false') return json === 'true';
      return bad();
    case 'TINYINT':
    case 'SMALLINT':
    case 'INT':
    case 'BIGINT': {
      const n =
        typeof json === 'number' ? json : typeof json === 'string' && json.trim() !== '' ? Number(json) : Number.NaN;
      if (!Number.isFinite(n)) return bad();
      return Math.trunc(n);
    }
    case 'FLOAT':
    case 'DOUBLE':
    case 'DECIMAL': {
      const n =
        typeof json === 'number' ? json : typeof json === 'string' && json.trim() !== '' ? Number(json) : Number.NaN;
      if (Number.isNaN(n) && json !== 'NaN') return bad();
      return type.kind === 'DECIMAL' ? roundHalfUp(n, type.scale) : type.kind === 'FLOAT' ? Math.fround(n) : n;
    }
    case 'CHAR':
    case 'VARCHAR':
      return typeof json === 'string' ? json : JSON.stringify(json);
    case 'BINARY':
    case 'VARBINARY':
      if (typeof json !== 'string') return bad();
      return new Uint8Array(Buffer.from(json, 'base64'));
    case 'DATE': {
      if (typeof json === 'number') return Math.floor(json);
      const d = typeof json === 'string' ? parseDate(json) : Number.NaN;
      return Number.isNaN(d) ? bad() : d;
    }
    case 'TIME': {
      if (typeof json === 'number') return json % MS_PER_DAY;
      const t = typeof json === 'string' ? parseTime(json) : Number.NaN;
      return Number.isNaN(t) ? bad() : t;
    }
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ': {
      if (typeof json === 'number') return json;
      const t = typeof json === 'string' ? parseTimestamp(json) : Number.NaN;
      return Number.isNaN(t) ? bad() : t;
    }
    case 'INTERVAL_DAY_TIME':
    case 'INTERVAL_YEAR_MONTH':
      return typeof json === 'number' ? json : bad();
    case 'ROW': {
      if (typeof json !== 'object' || Array.isArray(json)) return bad();
      const record = json as Record<string, unknown>;
      return type.fields.map((f) => fromJsonValue(record[f.name], f.type, `${path}.${f.name}`));
    }
    case 'ARRAY':
      if (!Array.isArray(json)) return bad();
      return json.map((v, i) => fromJsonValue(v, type.element, `${path}[${i + 1}]`));
    case 'MULTISET': {
      if (typeof json !== 'object' || Array.isArray(json)) return bad();
      const keyCast = castFunction({ kind: 'VARCHAR', length: 2147483647, nullable: true }, type.element);
      return new Map(Object.entries(json as object).map(([k, n]) => [keyCast(k), Number(n)]));
    }
    case 'MAP': {
      if (typeof json !== 'object' || Array.isArray(json)) return bad();
      const keyCast = castFunction({ kind: 'VARCHAR', length: 2147483647, nullable: true }, type.key);
      return new Map(
        Object.entries(json as object).map(([k, v]) => [keyCast(k), fromJsonValue(v, type.value, `${path}.${k}`)]),
      );
    }
    default:
      return json;
  }
}
