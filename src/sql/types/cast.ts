import { toDecimal } from './decimal.js';
import { formatValue } from './format-value.js';
import type { SqlType } from './sql-type.js';
import { MS_PER_DAY, parseDate, parseTime, parseTimestamp, truncateToPrecision } from './temporal.js';
import { isCharacter, isInteger, isNumeric, isTimestamp } from './type-factory.js';

/** A value that cannot be converted (CAST fails, TRY_CAST gives NULL). */
export class CastError extends Error {
  override name = 'CastError';
}

/** A conversion of non-NULL values of one type to another; throws {@link CastError} when a value does not convert. */
export type CastFunction = (value: unknown) => unknown;

const identity: CastFunction = (v) => v;

/**
 * The conversion CAST(x AS to) performs for x of type `from`, following Flink (without legacy cast behaviour):
 * string → number parses trimmed text (a fraction is dropped for integer types; bad text fails), number → integer
 * truncates toward zero and wraps like Java, DECIMAL rounds half-up to its scale (NULL on overflow), string ↔
 * DATE/TIME/TIMESTAMP in 'yyyy-MM-dd HH:mm:ss[.SSS]', TIMESTAMP ↔ TIMESTAMP_LTZ in UTC (the same milliseconds),
 * TIMESTAMP → BIGINT epoch seconds, anything → STRING as {@link formatValue} (VARCHAR(n) truncates, CHAR(n) pads),
 * ROW/ARRAY/MAP element by element. Throws CastError at once (not per row) when the cast is not supported.
 */
export function castFunction(from: SqlType, to: SqlType): CastFunction {
  if (from.kind === 'NULL') return () => null;
  if (to.kind === 'ANY') return identity;
  if (from.kind === 'ANY') return dynamicCast(to);
  if (to.kind === 'CHAR' || to.kind === 'VARCHAR') return toStringCast(from, to);
  if (isCharacter(from)) return fromStringCast(to);
  switch (to.kind) {
    case 'BOOLEAN':
      if (isNumeric(from)) return (v) => v !== 0;
      break;
    case 'TINYINT':
    case 'SMALLINT':
    case 'INT':
    case 'BIGINT': {
      const wrap = integerWrap(to.kind);
      if (from.kind === 'BOOLEAN') return (v) => (v ? 1 : 0);
      if (isInteger(from)) return to.kind === 'BIGINT' || rankOf(from.kind) <= rankOf(to.kind) ? identity : wrap;
      if (isNumeric(from)) return (v) => wrap(saturate(Math.trunc(v as number)));
      if (isTimestamp(from)) return (v) => wrap(Math.floor((v as number) / 1000));
      if (from.kind === 'INTERVAL_DAY_TIME' || from.kind === 'INTERVAL_YEAR_MONTH') return identity;
      break;
    }
    case 'FLOAT':
      if (from.kind === 'BOOLEAN') return (v) => (v ? 1 : 0);
      if (isNumeric(from)) return (v) => Math.fround(v as number);
      break;
    case 'DOUBLE':
      if (from.kind === 'BOOLEAN') return (v) => (v ? 1 : 0);
      if (isNumeric(from) || from.kind === 'INTERVAL_DAY_TIME' || from.kind === 'INTERVAL_YEAR_MONTH') return identity;
      break;
    case 'DECIMAL': {
      const { precision, scale } = to;
      if (from.kind === 'BOOLEAN') return (v) => (v ? 1 : 0);
      if (isNumeric(from)) return (v) => toDecimal(v as number, precision, scale);
      break;
    }
    case 'DATE':
      if (from.kind === 'DATE') return identity;
      if (isTimestamp(from)) return (v) => Math.floor((v as number) / MS_PER_DAY);
      break;
    case 'TIME':
      if (from.kind === 'TIME') return identity;
      if (isTimestamp(from)) {
        return (v) => truncateToPrecision((((v as number) % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY, to.precision);
      }
      break;
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ': {
      const precision = to.precision;
      if (isTimestamp(from)) return precision >= 3 ? identity : (v) => truncateToPrecision(v as number, precision);
      if (from.kind === 'DATE') return (v) => (v as number) * MS_PER_DAY;
      if (isNumeric(from)) {
        throw new CastError(
          `Cannot cast ${from.kind} to ${to.kind}: use TO_TIMESTAMP_LTZ(epoch, 3) for epoch milliseconds or TO_TIMESTAMP_LTZ(epoch, 0) for seconds`,
        );
      }
      break;
    }
    case 'INTERVAL_DAY_TIME':
    case 'INTERVAL_YEAR_MONTH':
      if (from.kind === to.kind || isInteger(from)) return identity;
      break;
    case 'BINARY':
    case 'VARBINARY':
      if (from.kind === 'BINARY' || from.kind === 'VARBINARY') return identity;
      break;
    case 'ROW':
      if (from.kind === 'ROW' && from.fields.length === to.fields.length) {
        const casts = to.fields.map((f, i) =>
          nullSafe(castFunction((from.fields[i] as { type: SqlType }).type, f.type)),
        );
        return (v) => (v as unknown[]).map((x, i) => (casts[i] as CastFunction)(x));
      }
      break;
    case 'ARRAY':
    case 'MULTISET':
      if (from.kind === to.kind) {
        const cast = nullSafe(castFunction(from.element, to.element));
        return to.kind === 'ARRAY'
          ? (v) => (v as unknown[]).map(cast)
          : (v) => new Map([...(v as Map<unknown, number>)].map(([k, n]) => [cast(k), n]));
      }
      break;
    case 'MAP':
      if (from.kind === 'MAP') {
        const key = nullSafe(castFunction(from.key, to.key));
        const value = nullSafe(castFunction(from.value, to.value));
        return (v) => new Map([...(v as Map<unknown, unknown>)].map(([k, x]) => [key(k), value(x)]));
      }
      break;
  }
  if (from.kind === to.kind) return identity;
  throw new CastError(`Cannot cast ${from.kind} to ${to.kind}`);
}

function nullSafe(cast: CastFunction): CastFunction {
  return (v) => (v === null || v === undefined ? null : cast(v));
}

const RANKS: Record<string, number> = { TINYINT: 1, SMALLINT: 2, INT: 3, BIGINT: 4 };
function rankOf(kind: string): number {
  return RANKS[kind] ?? 0;
}

function saturate(n: number): number {
  if (n > Number.MAX_SAFE_INTEGER) return Number.MAX_SAFE_INTEGER;
  if (n < -Number.MAX_SAFE_INTEGER) return -Number.MAX_SAFE_INTEGER;
  return n;
}

/** Java's narrowing of an integer to a smaller integer type (two's complement wrap). */
export function integerWrap(kind: string): (v: unknown) => number {
  switch (kind) {
    case 'TINYINT':
      return (v) => ((v as number) << 24) >> 24;
    case 'SMALLINT':
      return (v) => ((v as number) << 16) >> 16;
    case 'INT':
      return (v) => (v as number) | 0;
    default:
      return (v) => v as number;
  }
}

const TRUE_TEXT = new Set(['t', 'true', 'y', 'yes', '1']);
const FALSE_TEXT = new Set(['f', 'false', 'n', 'no', '0']);
const INTEGER_RANGE: Record<string, [number, number]> = {
  TINYINT: [-128, 127],
  SMALLINT: [-32768, 32767],
  INT: [-2147483648, 2147483647],
  BIGINT: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

function fail(text: unknown, type: string): never {
  throw new CastError(`Cannot cast '${String(text)}' to ${type}`);
}

function fromStringCast(to: SqlType): CastFunction {
  switch (to.kind) {
    case 'BOOLEAN':
      return (v) => {
        const t = (v as string).trim().toLowerCase();
        if (TRUE_TEXT.has(t)) return true;
        if (FALSE_TEXT.has(t)) return false;
        return fail(v, 'BOOLEAN');
      };
    case 'TINYINT':
    case 'SMALLINT':
    case 'INT':
    case 'BIGINT': {
      const [min, max] = INTEGER_RANGE[to.kind] as [number, number];
      const kind = to.kind;
      return (v) => {
        const t = (v as string).trim();
        if (!/^[+-]?\d+(\.\d*)?$/.test(t)) return fail(v, kind);
        const n = Math.trunc(Number(t));
        if (n < min || n > max) return fail(v, kind);
        return n;
      };
    }
    case 'FLOAT':
    case 'DOUBLE': {
      const kind = to.kind;
      return (v) => {
        const t = (v as string).trim();
        const n = t === 'NaN' ? Number.NaN : t === '' ? Number.NaN : Number(t);
        if (Number.isNaN(n) && t !== 'NaN') return fail(v, kind);
        return kind === 'FLOAT' ? Math.fround(n) : n;
      };
    }
    case 'DECIMAL': {
      const { precision, scale } = to;
      return (v) => {
        const t = (v as string).trim();
        const n = t === '' ? Number.NaN : Number(t);
        if (!Number.isFinite(n)) return fail(v, `DECIMAL(${precision}, ${scale})`);
        return toDecimal(n, precision, scale);
      };
    }
    case 'DATE':
      return (v) => {
        const d = parseDate(v as string);
        return Number.isNaN(d) ? fail(v, 'DATE') : d;
      };
    case 'TIME': {
      const precision = to.precision;
      return (v) => {
        const t = parseTime(v as string);
        return Number.isNaN(t) ? fail(v, 'TIME') : truncateToPrecision(t, precision);
      };
    }
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ': {
      const { kind, precision } = to;
      return (v) => {
        const t = parseTimestamp(v as string);
        return Number.isNaN(t) ? fail(v, kind) : truncateToPrecision(t, precision);
      };
    }
    case 'BINARY':
    case 'VARBINARY':
      return (v) => new TextEncoder().encode(v as string);
    default:
      throw new CastError(`Cannot cast a string to ${to.kind}`);
  }
}

function toStringCast(from: SqlType, to: SqlType & { length: number }): CastFunction {
  const length = to.length;
  const base: CastFunction = isCharacter(from) ? identity : (v) => formatValue(v, from);
  if (to.kind === 'CHAR') {
    return (v) => {
      const s = base(v) as string;
      return s.length >= length ? s.slice(0, length) : s.padEnd(length, ' ');
    };
  }
  if (length >= 2147483647) return base;
  return (v) => {
    const s = base(v) as string;
    return s.length > length ? s.slice(0, length) : s;
  };
}

/** A cast from a value of unknown type (a user function without a declared result type) decided per value. */
function dynamicCast(to: SqlType): CastFunction {
  const fromString = isCharacter(to) ? identity : fromStringCast(to);
  return (v) => {
    if (typeof v === 'string') return fromString(v);
    if (typeof v === 'number') {
      if (isCharacter(to)) return formatValue(v, Number.isInteger(v) ? { kind: 'BIGINT', nullable: true } : DOUBLE);
      if (isNumeric(to) || to.kind === 'BOOLEAN') return castFunction(DOUBLE, to)(v);
      return v;
    }
    if (typeof v === 'boolean') return castFunction({ kind: 'BOOLEAN', nullable: true }, to)(v);
    if (v instanceof Date) return isCharacter(to) ? formatValue(v.getTime(), TS) : v.getTime();
    if (isCharacter(to)) return formatValue(v, { kind: 'ANY', nullable: true });
    return v;
  };
}

const DOUBLE: SqlType = { kind: 'DOUBLE', nullable: true };
const TS: SqlType = { kind: 'TIMESTAMP', precision: 3, nullable: true };
