import type { SqlType } from '../../types/sql-type.js';
import { formatDate, formatTime, formatTimestamp } from './time-text.js';

/**
 * A value as Flink's SQL client and print connector show it (the text of CAST(value AS STRING)): TRUE/FALSE,
 * DECIMAL at its scale, DOUBLE with a fraction (`1.0`), TIMESTAMP(3) as `2020-01-01 10:00:00.000`, ROW as
 * `(a, b)`, ARRAY as `[a, b]`, MAP as `{k=v}`; NULL as `nullText`.
 */
export function formatValue(value: unknown, type: SqlType, nullText = 'NULL'): string {
  if (value === null || value === undefined) return nullText;
  switch (type.kind) {
    case 'BOOLEAN':
      return value ? 'TRUE' : 'FALSE';
    case 'FLOAT':
    case 'DOUBLE':
      return formatDouble(value as number);
    case 'DECIMAL':
      return typeof value === 'number' ? value.toFixed(type.scale) : String(value);
    case 'DATE':
      return formatDate(value as number);
    case 'TIME':
      return formatTime(value as number, type.precision);
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ':
      return formatTimestamp(value as number, type.precision);
    case 'INTERVAL_DAY_TIME':
      return formatDayTimeInterval(value as number);
    case 'INTERVAL_YEAR_MONTH': {
      const months = value as number;
      const abs = Math.abs(months);
      return `${months < 0 ? '-' : '+'}${Math.floor(abs / 12)}-${String(abs % 12).padStart(2, '0')}`;
    }
    case 'BINARY':
    case 'VARBINARY':
      return `x'${Buffer.from(value as Uint8Array).toString('hex')}'`;
    case 'ROW': {
      const values = value as unknown[];
      return `(${type.fields.map((f, i) => formatValue(values[i], f.type, nullText)).join(', ')})`;
    }
    case 'ARRAY':
      return `[${(value as unknown[]).map((v) => formatValue(v, type.element, nullText)).join(', ')}]`;
    case 'MAP': {
      const parts: string[] = [];
      for (const [k, v] of value as Map<unknown, unknown>)
        parts.push(`${formatValue(k, type.key, nullText)}=${formatValue(v, type.value, nullText)}`);
      return `{${parts.join(', ')}}`;
    }
    case 'MULTISET': {
      const parts: string[] = [];
      for (const [k, n] of value as Map<unknown, number>) parts.push(`${formatValue(k, type.element, nullText)}=${n}`);
      return `{${parts.join(', ')}}`;
    }
    default:
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
}

/** Java's Double.toString shape for the common cases: an integral value keeps `.0`. */
function formatDouble(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  return Number.isInteger(v) && Math.abs(v) < 1e7 ? `${v}.0` : String(v);
}

/** `+1 02:03:04.005` (days, then time of day) of milliseconds. */
function formatDayTimeInterval(ms: number): string {
  const abs = Math.abs(ms);
  const days = Math.floor(abs / 86_400_000);
  return `${ms < 0 ? '-' : '+'}${days} ${formatTime(abs % 86_400_000, 3)}`;
}
