import type { SqlType } from './sql-type.js';
import { formatDate, formatTime, formatTimestamp } from './temporal.js';

/**
 * Flink's text of a value: what CAST(x AS STRING) gives and what the print connector and the SQL client show.
 * BOOLEAN → TRUE/FALSE, DOUBLE as Java prints it (1.0, 1.0E10), DECIMAL with all its scale digits (1.50),
 * TIMESTAMP(p) 'yyyy-MM-dd HH:mm:ss' with p fraction digits, DATE 'yyyy-MM-dd', TIME 'HH:mm:ss', ROW '(a, b)',
 * ARRAY '[a, b]', MAP '{k=v}', BYTES decoded as UTF-8 (as Flink's CAST does).
 * A NULL (also nested) prints as `nullText` (default 'NULL'). `printing` (the print connector, the SQL client's
 * tables) differs from CAST only in BYTES, shown as the literal `x'0a1b'`, as Flink prints them.
 */
export function formatValue(value: unknown, type: SqlType, nullText = 'NULL', printing = false): string {
  if (value === null || value === undefined) return nullText;
  switch (type.kind) {
    case 'BOOLEAN':
      return value ? 'TRUE' : 'FALSE';
    case 'TINYINT':
    case 'SMALLINT':
    case 'INT':
    case 'BIGINT':
      return String(value);
    case 'FLOAT':
      return javaFloatToString(value as number);
    case 'DOUBLE':
      return javaDoubleToString(value as number);
    case 'DECIMAL':
      return decimalToString(value as number, type.scale);
    case 'CHAR':
    case 'VARCHAR':
      return String(value);
    case 'BINARY':
    case 'VARBINARY':
      return printing
        ? `x'${Buffer.from(value as Uint8Array).toString('hex')}'`
        : new TextDecoder().decode(value as Uint8Array);
    case 'DATE':
      return formatDate(value as number);
    case 'TIME':
      return formatTime(value as number, type.precision);
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ':
      return formatTimestamp(value as number, type.precision);
    case 'INTERVAL_DAY_TIME':
      return formatDayTimeInterval(value as number);
    case 'INTERVAL_YEAR_MONTH':
      return formatYearMonthInterval(value as number);
    case 'ROW':
      return `(${(value as unknown[]).map((v, i) => formatValue(v, type.fields[i]?.type ?? ANY, nullText, printing)).join(', ')})`;
    case 'ARRAY':
      return `[${(value as unknown[]).map((v) => formatValue(v, type.element, nullText, printing)).join(', ')}]`;
    case 'MAP':
      return `{${[...(value as Map<unknown, unknown>)].map(([k, v]) => `${formatValue(k, type.key, nullText, printing)}=${formatValue(v, type.value, nullText, printing)}`).join(', ')}}`;
    case 'MULTISET':
      return `{${[...(value as Map<unknown, number>)].map(([k, n]) => `${formatValue(k, type.element, nullText, printing)}=${n}`).join(', ')}}`;
    default:
      return formatAny(value, nullText);
  }
}

const ANY: SqlType = { kind: 'ANY', nullable: true };

function formatAny(value: unknown, nullText: string): string {
  if (value === null || value === undefined) return nullText;
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : javaDoubleToString(value);
  if (Array.isArray(value)) return `[${value.map((v) => formatAny(v, nullText)).join(', ')}]`;
  if (value instanceof Map)
    return `{${[...value].map(([k, v]) => `${formatAny(k, nullText)}=${formatAny(v, nullText)}`).join(', ')}}`;
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  if (value instanceof Date) return formatTimestamp(value.getTime(), 3);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Java's Double.toString: '1.0', '0.001', '1.0E7', '1.0E-4', 'NaN', 'Infinity'. */
export function javaDoubleToString(d: number): string {
  if (Number.isNaN(d)) return 'NaN';
  if (!Number.isFinite(d)) return d > 0 ? 'Infinity' : '-Infinity';
  if (d === 0) return Object.is(d, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(d);
  if (abs >= 1e-3 && abs < 1e7) {
    const s = String(d);
    return s.includes('.') ? s : `${s}.0`;
  }
  const [mantissa, exponent] = d.toExponential().split('e') as [string, string];
  const m = mantissa.includes('.') ? mantissa : `${mantissa}.0`;
  return `${m}E${exponent.startsWith('+') ? exponent.slice(1) : exponent}`;
}

/** Java's Float.toString of a value stored as a double: the shortest digits that round to the same float. */
export function javaFloatToString(f: number): string {
  if (!Number.isFinite(f) || f === 0) return javaDoubleToString(f);
  for (let p = 1; p <= 9; p++) {
    const candidate = Number(f.toPrecision(p));
    if (Math.fround(candidate) === Math.fround(f)) return javaDoubleToString(candidate);
  }
  return javaDoubleToString(f);
}

/** A DECIMAL with exactly `scale` fraction digits, never in exponent form. */
export function decimalToString(value: number, scale: number): string {
  if (!Number.isFinite(value)) return String(value);
  return value.toFixed(Math.min(100, scale));
}

function formatDayTimeInterval(ms: number): string {
  const sign = ms < 0 ? '-' : '+';
  const abs = Math.abs(ms);
  const days = Math.floor(abs / 86_400_000);
  return `${sign}${days} ${formatTime(abs - days * 86_400_000, 3)}`;
}

function formatYearMonthInterval(months: number): string {
  const sign = months < 0 ? '-' : '+';
  const abs = Math.abs(months);
  return `${sign}${Math.floor(abs / 12)}-${String(abs % 12).padStart(2, '0')}`;
}
