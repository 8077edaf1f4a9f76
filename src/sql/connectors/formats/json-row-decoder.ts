import type { Row } from '../../runtime/row.js';
import type { RowField, SqlType } from '../../types/sql-type.js';
import { parseDate, parseTime, parseTimestamp } from './time-text.js';

/** Options of Flink's json format that decide how values are read. */
export interface JsonDecodeOptions {
  /** 'json.fail-on-missing-field': a missing field is an error instead of NULL. */
  readonly failOnMissingField: boolean;
  /** 'json.ignore-parse-errors': a field that cannot be converted becomes NULL instead of failing. */
  readonly ignoreParseErrors: boolean;
}

/** A value that does not fit its column; `path` names the field (`bid.price`, `tags[]`). */
export class FieldError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`field '${path}': ${reason}`);
  }
}

type Convert = (value: unknown) => unknown;

/**
 * A function from a parsed JSON object to a row `[RowKind.INSERT, ...fields]` of the given columns (only these are
 * looked at: a projection decodes nothing else). Conversions follow Flink's json format, plus what Sluice's own
 * JSON Lines hold: numbers for TIMESTAMP (epoch ms), DATE (days) and TIME (ms of the day). Numeric text is accepted
 * for numeric columns, any scalar for a string column. Throws a {@link FieldError} naming the field for a value that
 * does not fit (unless `ignoreParseErrors`, which makes it NULL) and for a missing field when `failOnMissingField`.
 */
export function jsonRowDecoder(fields: readonly RowField[], options: JsonDecodeOptions): (value: unknown) => Row {
  const read = rowReader(fields, '', options);
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new FieldError('$', `expected a JSON object, got ${describe(value)}`);
    }
    const row: Row = new Array(fields.length + 1);
    row[0] = 0;
    read(value as Record<string, unknown>, row, 1);
    return row;
  };
}

/** A converter of one JSON value to the run-time value of `type` (NULL stays null). */
export function jsonValueConverter(type: SqlType, path: string, options: JsonDecodeOptions): Convert {
  const convert = converter(type, path, options);
  if (!options.ignoreParseErrors) return convert;
  return (v) => {
    try {
      return convert(v);
    } catch (e) {
      if (e instanceof FieldError) return null;
      throw e;
    }
  };
}

/** Writes the fields of `object` into `target` from `offset` on. */
function rowReader(
  fields: readonly RowField[],
  prefix: string,
  options: JsonDecodeOptions,
): (object: Record<string, unknown>, target: unknown[], offset: number) => void {
  const names = fields.map((f) => f.name);
  const paths = names.map((n) => (prefix === '' ? n : `${prefix}.${n}`));
  const converts = fields.map((f, i) => jsonValueConverter(f.type, paths[i]!, options));
  const n = names.length;
  const failOnMissing = options.failOnMissingField;
  // A column named like a property every object inherits ('toString') must not read the inherited one.
  const inherited = names.map((name) => name in Object.prototype);
  // Fields no query reads (nested projection push-down) stay NULL, unchecked, as in Flink's projected json format.
  const unread = fields.map((f) => f.unread === true);
  return (object, target, offset) => {
    for (let i = 0; i < n; i++) {
      if (unread[i]) {
        target[offset + i] = null;
        continue;
      }
      const v = inherited[i] && !Object.hasOwn(object, names[i]!) ? undefined : object[names[i]!];
      if (v === undefined) {
        if (failOnMissing) throw new FieldError(paths[i]!, 'missing (json.fail-on-missing-field is true)');
        target[offset + i] = null;
      } else target[offset + i] = v === null ? null : converts[i]!(v);
    }
  };
}

function converter(type: SqlType, path: string, options: JsonDecodeOptions): Convert {
  const fail = (v: unknown): never => {
    throw new FieldError(path, `expected ${type.kind}, got ${describe(v)}`);
  };
  switch (type.kind) {
    case 'BOOLEAN':
      return (v) => (typeof v === 'boolean' ? v : v === 'true' ? true : v === 'false' ? false : fail(v));
    case 'TINYINT':
    case 'SMALLINT':
    case 'INT':
    case 'BIGINT':
      return (v) => {
        if (typeof v === 'number' && Number.isInteger(v)) return v;
        if (typeof v === 'string' && v.trim() !== '') {
          const n = Number(v);
          if (Number.isInteger(n)) return n;
        }
        return fail(v);
      };
    case 'FLOAT':
    case 'DOUBLE':
    case 'DECIMAL':
      return (v) => {
        if (typeof v === 'number') return v;
        if (typeof v === 'string' && v.trim() !== '') {
          const n = Number(v);
          if (!Number.isNaN(n) || v.trim() === 'NaN') return n;
        }
        return fail(v);
      };
    case 'CHAR':
    case 'VARCHAR':
      return (v) => (typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v));
    case 'BINARY':
    case 'VARBINARY':
      return (v) => (typeof v === 'string' ? new Uint8Array(Buffer.from(v, 'base64')) : fail(v));
    case 'DATE':
      return (v) => (typeof v === 'number' ? v : typeof v === 'string' ? (parseDate(v) ?? fail(v)) : fail(v));
    case 'TIME':
      return (v) => (typeof v === 'number' ? v : typeof v === 'string' ? (parseTime(v) ?? fail(v)) : fail(v));
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ':
      return (v) =>
        typeof v === 'number' && Number.isFinite(v)
          ? v
          : typeof v === 'string'
            ? (parseTimestamp(v) ?? fail(v))
            : fail(v);
    case 'INTERVAL_DAY_TIME':
    case 'INTERVAL_YEAR_MONTH':
      return (v) => (typeof v === 'number' ? v : fail(v));
    case 'ROW': {
      const read = rowReader(type.fields, path, options);
      const n = type.fields.length;
      return (v) => {
        if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(v);
        const out = new Array(n);
        read(v as Record<string, unknown>, out, 0);
        return out;
      };
    }
    case 'ARRAY': {
      const element = jsonValueConverter(type.element, `${path}[]`, options);
      return (v) => (Array.isArray(v) ? v.map((e) => (e === null ? null : element(e))) : fail(v));
    }
    case 'MAP':
    case 'MULTISET': {
      const keyType = type.kind === 'MAP' ? type.key : type.element;
      const key = jsonValueConverter(keyType, `${path}{key}`, options);
      const value = type.kind === 'MAP' ? jsonValueConverter(type.value, `${path}{value}`, options) : (x: unknown) => x;
      return (v) => {
        if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(v);
        const map = new Map<unknown, unknown>();
        for (const [k, x] of Object.entries(v)) map.set(key(k), x === null ? null : value(x));
        return map;
      };
    }
    default:
      return (v) => v;
  }
}

/** A short description of a JSON value for error messages. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  const text = JSON.stringify(v);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
