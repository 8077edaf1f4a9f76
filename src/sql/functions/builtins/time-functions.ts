import { dateFormat } from '../../types/date-format.js';
import type { SqlType } from '../../types/sql-type.js';
import {
  addMonths,
  civilFromDays,
  civilFromMillis,
  daysFromCivil,
  isoDayOfWeek,
  MS_PER_DAY,
  parseTimestamp,
} from '../../types/temporal.js';
import {
  isCharacter,
  isInteger,
  isTimestamp,
  SqlTypes,
  withNullable,
  withoutTimeAttribute,
} from '../../types/type-factory.js';
import { FunctionTypeError } from '../function-catalog.js';
import { type BuiltinScalarFunction, defineScalar } from './builtin-function.js';

/**
 * Time functions. Sluice's 'table.local-time-zone' is UTC: TIMESTAMP_LTZ values show, format and extract as UTC
 * wall time, and CURRENT_TIMESTAMP / LOCALTIMESTAMP are the same instant.
 */
const BIGINT = () => SqlTypes.bigint(false);
const DEFAULT_FORMAT = 'yyyy-MM-dd HH:mm:ss';

/** Epoch milliseconds of a DATE, TIME or TIMESTAMP value (a TIME counts from 1970-01-01). */
function toMillis(type: SqlType): (v: number) => number {
  return type.kind === 'DATE' ? (v) => v * MS_PER_DAY : (v) => v;
}

function isoWeek(days: number): number {
  const dow = isoDayOfWeek(days);
  const thursday = days - dow + 4;
  const { year } = civilFromDays(thursday);
  return Math.floor((thursday - daysFromCivil(year, 1, 1)) / 7) + 1;
}

/** The value of a time unit of epoch milliseconds, as EXTRACT gives it. */
export function extractUnit(unit: string, ms: number): number {
  const days = Math.floor(ms / MS_PER_DAY);
  const t = civilFromMillis(ms);
  switch (unit.toUpperCase()) {
    case 'YEAR':
      return t.year;
    case 'QUARTER':
      return Math.floor((t.month - 1) / 3) + 1;
    case 'MONTH':
      return t.month;
    case 'WEEK':
      return isoWeek(days);
    case 'DAY':
    case 'DAYOFMONTH':
      return t.day;
    case 'DOY':
    case 'DAYOFYEAR':
      return days - daysFromCivil(t.year, 1, 1) + 1;
    case 'DOW':
    case 'DAYOFWEEK':
      return (isoDayOfWeek(days) % 7) + 1;
    case 'ISODOW':
      return isoDayOfWeek(days);
    case 'ISOYEAR':
      return civilFromDays(days - isoDayOfWeek(days) + 4).year;
    case 'HOUR':
      return t.hour;
    case 'MINUTE':
      return t.minute;
    case 'SECOND':
      return t.second;
    case 'MILLISECOND':
      return t.second * 1000 + t.millisecond;
    case 'MICROSECOND':
      return (t.second * 1000 + t.millisecond) * 1000;
    case 'EPOCH':
      return Math.floor(ms / 1000);
    case 'DECADE':
      return Math.floor(t.year / 10);
    case 'CENTURY':
      return t.year > 0 ? Math.floor((t.year + 99) / 100) : -Math.floor((-t.year + 99) / 100);
    case 'MILLENNIUM':
      return t.year > 0 ? Math.floor((t.year + 999) / 1000) : -Math.floor((-t.year + 999) / 1000);
    default:
      throw new Error(`Unknown time unit '${unit}'`);
  }
}

const UNIT_MS: Record<string, number> = {
  MILLISECOND: 1,
  SECOND: 1000,
  MINUTE: 60_000,
  HOUR: 3_600_000,
  DAY: MS_PER_DAY,
  WEEK: 7 * MS_PER_DAY,
};
const UNIT_MONTHS: Record<string, number> = { MONTH: 1, QUARTER: 3, YEAR: 12 };

/** Rounds epoch milliseconds down (or up) to a unit: FLOOR(ts TO HOUR), CEIL(ts TO DAY). Weeks start on Monday. */
export function floorTime(ms: number, unit: string, ceil: boolean): number {
  const u = unit.toUpperCase();
  const fixed = UNIT_MS[u];
  if (fixed !== undefined) {
    // Weeks are aligned on Monday (1970-01-05 is a Monday).
    const origin = u === 'WEEK' ? 4 * MS_PER_DAY : 0;
    const floored = Math.floor((ms - origin) / fixed) * fixed + origin;
    return ceil && floored !== ms ? floored + fixed : floored;
  }
  const months = UNIT_MONTHS[u];
  if (months === undefined) throw new Error(`Unknown time unit '${unit}'`);
  const t = civilFromMillis(ms);
  const index = t.year * 12 + t.month - 1;
  const start = Math.floor(index / months) * months;
  const floored = daysFromCivil(Math.floor(start / 12), (start % 12) + 1, 1) * MS_PER_DAY;
  return ceil && floored !== ms ? addMonths(floored, months) : floored;
}

/** ts + n units (TIMESTAMPADD). */
export function addUnits(ms: number, unit: string, n: number): number {
  const u = unit.toUpperCase();
  const fixed = UNIT_MS[u];
  if (fixed !== undefined) return ms + n * fixed;
  const months = UNIT_MONTHS[u];
  if (months === undefined) throw new Error(`Unknown time unit '${unit}'`);
  return addMonths(ms, n * months);
}

/** Whole units from a to b (TIMESTAMPDIFF), truncated toward zero. */
export function diffUnits(unit: string, a: number, b: number): number {
  const u = unit.toUpperCase();
  const fixed = UNIT_MS[u];
  if (fixed !== undefined) return Math.trunc((b - a) / fixed);
  const months = UNIT_MONTHS[u];
  if (months === undefined) throw new Error(`Unknown time unit '${unit}'`);
  const ta = civilFromMillis(a);
  const tb = civilFromMillis(b);
  let diff = tb.year * 12 + tb.month - (ta.year * 12 + ta.month);
  const restA = ta.day * MS_PER_DAY + (((a % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY);
  const restB = tb.day * MS_PER_DAY + (((b % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY);
  if (diff > 0 && restB < restA) diff--;
  if (diff < 0 && restB > restA) diff++;
  return Math.trunc(diff / months);
}

function timeField(name: string, unit: string, description: string, params = ['datetime']): BuiltinScalarFunction {
  return defineScalar({
    name,
    category: 'temporal',
    signatures: [`${name}(${params[0] === 'datetime' ? 'date_or_timestamp' : 'timestamp'})`],
    returnsText: 'BIGINT',
    description,
    params,
    returns: BIGINT,
    implement: ([t]) => {
      const ms = toMillis(t as SqlType);
      return (v: number) => extractUnit(unit, ms(v));
    },
  });
}

function now(
  name: string,
  description: string,
  returns: () => SqlType,
  signature = `${name}()`,
): BuiltinScalarFunction {
  return defineScalar({
    name,
    category: 'temporal',
    signatures: [signature],
    returnsText: 'see description',
    description,
    params: [],
    deterministic: false,
    returns,
    implement: (_args, result) => {
      if (result.kind === 'DATE') return () => Math.floor(Date.now() / MS_PER_DAY);
      if (result.kind === 'TIME') return () => Date.now() % MS_PER_DAY;
      if (result.kind === 'BIGINT') return () => Math.floor(Date.now() / 1000);
      return () => Date.now();
    },
  });
}

function parseWith(text: string, format: string | undefined): number | null {
  if (format === undefined) {
    const ms = parseTimestamp(text);
    return Number.isNaN(ms) ? null : ms;
  }
  return dateFormat(format).parse(text);
}

function ceilFloor(name: 'CEIL' | 'FLOOR' | 'CEILING'): BuiltinScalarFunction {
  const ceil = name !== 'FLOOR';
  return defineScalar({
    name,
    category: 'math',
    signatures: [`${name}(numeric)`, `${name}(datetime TO unit)`],
    returnsText: 'same type',
    description: ceil
      ? 'Smallest integer not below x, or x rounded up to a time unit.'
      : 'Largest integer not above x, or x rounded down to a time unit (WEEK starts Monday).',
    params: ['numeric|datetime', '?string'],
    returns: ([t]) => {
      const type = t as SqlType;
      if (type.kind === 'DECIMAL') return SqlTypes.decimal(Math.min(38, type.precision - type.scale + 1), 0, false);
      return withNullable(withoutTimeAttribute(type), false);
    },
    implement: ([t]) => {
      const type = t as SqlType;
      if (type.kind === 'DATE') {
        return (v: number, unit: string) => Math.floor(floorTime(v * MS_PER_DAY, unit, ceil) / MS_PER_DAY);
      }
      if (isTimestamp(type) || type.kind === 'TIME') return (v: number, unit: string) => floorTime(v, unit, ceil);
      if (isInteger(type)) return (v: number) => v;
      return ceil ? Math.ceil : Math.floor;
    },
  });
}

/** Time functions with Flink's names and semantics (time zone UTC). */
export const TIME_FUNCTIONS: readonly BuiltinScalarFunction[] = [
  now(
    'CURRENT_TIMESTAMP',
    'The current instant (TIMESTAMP_LTZ(3)); evaluated per record.',
    () => SqlTypes.timestampLtz(3, false),
    'CURRENT_TIMESTAMP',
  ),
  now('NOW', 'Same as CURRENT_TIMESTAMP.', () => SqlTypes.timestampLtz(3, false)),
  now('CURRENT_ROW_TIMESTAMP', 'The current instant (TIMESTAMP_LTZ(3)).', () => SqlTypes.timestampLtz(3, false)),
  now(
    'LOCALTIMESTAMP',
    'The current wall time in the session time zone, UTC (TIMESTAMP(3)).',
    () => SqlTypes.timestamp(3, false),
    'LOCALTIMESTAMP',
  ),
  now('CURRENT_DATE', 'The current date (UTC).', () => SqlTypes.date(false), 'CURRENT_DATE'),
  now('CURRENT_TIME', 'The current time of day (UTC).', () => SqlTypes.time(0, false), 'CURRENT_TIME'),
  now('LOCALTIME', 'The current time of day (UTC).', () => SqlTypes.time(0, false), 'LOCALTIME'),
  defineScalar({
    name: 'DATE_FORMAT',
    category: 'temporal',
    signatures: ['DATE_FORMAT(timestamp, format)', 'DATE_FORMAT(string, format)'],
    returnsText: 'STRING',
    description: "Formats with a Java date pattern ('yyyy-MM-dd HH:mm:ss'); a string is parsed as a timestamp first.",
    params: ['timestamp|date|string', 'string'],
    returns: (args) => SqlTypes.string(isCharacter(args[0] as SqlType)),
    implement: ([t]) => {
      const type = t as SqlType;
      if (isCharacter(type)) {
        return (s: string, f: string) => {
          const ms = parseTimestamp(s);
          return Number.isNaN(ms) ? null : dateFormat(f).format(ms);
        };
      }
      const ms = toMillis(type);
      return (v: number, f: string) => dateFormat(f).format(ms(v));
    },
  }),
  defineScalar({
    name: 'TO_TIMESTAMP',
    category: 'temporal',
    signatures: ['TO_TIMESTAMP(string[, format])'],
    returnsText: 'TIMESTAMP(3)',
    description: "Parses 'yyyy-MM-dd HH:mm:ss[.SSS]' (or the Java pattern format); NULL when it does not parse.",
    params: ['string', '?string'],
    returns: () => SqlTypes.timestamp(3, true),
    fn: (s: string, f?: string) => parseWith(s, f),
  }),
  defineScalar({
    name: 'TO_TIMESTAMP_LTZ',
    category: 'temporal',
    signatures: ['TO_TIMESTAMP_LTZ(epoch, precision)', 'TO_TIMESTAMP_LTZ(string[, format])'],
    returnsText: 'TIMESTAMP_LTZ(3)',
    description: 'An instant from epoch seconds (precision 0) or milliseconds (precision 3), or from a string.',
    params: ['numeric|string', '?integer|string'],
    returns: (args) => SqlTypes.timestampLtz(3, isCharacter(args[0] as SqlType)),
    check: (args) => {
      if (!isCharacter(args[0] as SqlType) && args[1] === undefined) {
        throw new FunctionTypeError(
          'TO_TIMESTAMP_LTZ(epoch, precision) needs the precision: 0 (seconds) or 3 (milliseconds)',
        );
      }
    },
    implement: ([t]) => {
      if (isCharacter(t as SqlType)) return (s: string, f?: string) => parseWith(s, f);
      return (n: number, precision: number) => {
        if (precision === 0) return Math.trunc(n * 1000);
        if (precision === 3) return Math.trunc(n);
        throw new Error(`TO_TIMESTAMP_LTZ precision must be 0 or 3, got ${precision}`);
      };
    },
  }),
  defineScalar({
    name: 'TO_DATE',
    category: 'temporal',
    signatures: ['TO_DATE(string[, format])'],
    returnsText: 'DATE',
    description: "Parses 'yyyy-MM-dd' (or the Java pattern format); NULL when it does not parse.",
    params: ['string', '?string'],
    returns: () => SqlTypes.date(true),
    fn: (s: string, f?: string) => {
      const ms = parseWith(s, f);
      return ms === null ? null : Math.floor(ms / MS_PER_DAY);
    },
  }),
  defineScalar({
    name: 'UNIX_TIMESTAMP',
    category: 'temporal',
    signatures: ['UNIX_TIMESTAMP()', "UNIX_TIMESTAMP(string[, format = 'yyyy-MM-dd HH:mm:ss'])"],
    returnsText: 'BIGINT',
    description: 'Epoch seconds now, or of a string parsed with format (NULL when it does not parse).',
    params: ['?string', '?string'],
    deterministic: false,
    returns: (args) => SqlTypes.bigint(args.length > 0),
    implement: (args) => {
      if (args.length === 0) return () => Math.floor(Date.now() / 1000);
      return (s: string, f = DEFAULT_FORMAT) => {
        const ms = dateFormat(f).parse(s);
        return ms === null ? null : Math.floor(ms / 1000);
      };
    },
  }),
  defineScalar({
    name: 'FROM_UNIXTIME',
    category: 'temporal',
    signatures: ["FROM_UNIXTIME(seconds[, format = 'yyyy-MM-dd HH:mm:ss'])"],
    returnsText: 'STRING',
    description: 'Formats epoch seconds with a Java date pattern (UTC).',
    params: ['numeric', '?string'],
    returns: () => SqlTypes.string(false),
    fn: (n: number, f = DEFAULT_FORMAT) => dateFormat(f).format(Math.floor(n) * 1000),
  }),
  defineScalar({
    name: 'EXTRACT',
    category: 'temporal',
    signatures: ['EXTRACT(unit FROM datetime)'],
    returnsText: 'BIGINT',
    description: 'A field (YEAR, QUARTER, MONTH, WEEK, DAY, DOY, DOW, HOUR, MINUTE, SECOND, MILLISECOND, EPOCH, ...).',
    params: ['string', 'datetime|interval'],
    returns: BIGINT,
    implement: ([, t]) => {
      const type = t as SqlType;
      if (type.kind === 'INTERVAL_YEAR_MONTH') {
        return (unit: string, v: number) => (unit.toUpperCase() === 'YEAR' ? Math.trunc(v / 12) : v % 12);
      }
      if (type.kind === 'INTERVAL_DAY_TIME') {
        return (unit: string, v: number) => Math.trunc(v / (UNIT_MS[unit.toUpperCase()] ?? 1));
      }
      const ms = toMillis(type);
      return (unit: string, v: number) => extractUnit(unit, ms(v));
    },
  }),
  timeField('YEAR', 'YEAR', 'The year.'),
  timeField('QUARTER', 'QUARTER', 'The quarter, 1 to 4.'),
  timeField('MONTH', 'MONTH', 'The month, 1 to 12.'),
  timeField('WEEK', 'WEEK', 'The ISO week of the year, 1 to 53.'),
  timeField('DAYOFYEAR', 'DOY', 'The day of the year, 1 to 366.'),
  timeField('DAYOFMONTH', 'DAY', 'The day of the month, 1 to 31.'),
  timeField('DAYOFWEEK', 'DOW', 'The day of the week, 1 (Sunday) to 7 (Saturday).'),
  timeField('HOUR', 'HOUR', 'The hour of the day, 0 to 23.', ['timestamp|time']),
  timeField('MINUTE', 'MINUTE', 'The minute, 0 to 59.', ['timestamp|time']),
  timeField('SECOND', 'SECOND', 'The second, 0 to 59.', ['timestamp|time']),
  ceilFloor('FLOOR'),
  ceilFloor('CEIL'),
  ceilFloor('CEILING'),
  defineScalar({
    name: 'TIMESTAMPADD',
    category: 'temporal',
    signatures: ['TIMESTAMPADD(unit, n, datetime)'],
    returnsText: 'type of datetime',
    description: 'datetime plus n units (SECOND, MINUTE, HOUR, DAY, WEEK, MONTH, QUARTER, YEAR).',
    params: ['string', 'integer', 'datetime'],
    returns: ([, , t]) => withNullable(t as SqlType, false),
    implement: ([, , t]) => {
      if ((t as SqlType).kind === 'DATE') {
        return (u: string, n: number, v: number) => Math.floor(addUnits(v * MS_PER_DAY, u, n) / MS_PER_DAY);
      }
      return (u: string, n: number, v: number) => addUnits(v, u, n);
    },
  }),
  defineScalar({
    name: 'TIMESTAMPDIFF',
    category: 'temporal',
    signatures: ['TIMESTAMPDIFF(unit, datetime1, datetime2)'],
    returnsText: 'INT',
    description: 'Whole units from datetime1 to datetime2 (negative when datetime2 is earlier).',
    params: ['string', 'datetime', 'datetime'],
    returns: () => SqlTypes.int(false),
    implement: ([, a, b]) => {
      const ma = toMillis(a as SqlType);
      const mb = toMillis(b as SqlType);
      return (u: string, x: number, y: number) => diffUnits(u, ma(x), mb(y));
    },
  }),
];
