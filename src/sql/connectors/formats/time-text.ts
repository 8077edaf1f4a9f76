/**
 * Text forms of SQL date and time values as Flink's formats read and write them. Values are the run-time
 * representation of `types/sql-type.ts` (epoch milliseconds, days, milliseconds of the day), read as UTC wall time.
 */

import {
  formatDate as formatSqlDate,
  formatTime as formatSqlTime,
  formatTimestamp as formatSqlTimestamp,
  MS_PER_DAY,
} from '../../types/temporal.js';

/** `yyyy-MM-dd` of days since 1970-01-01. */
export const formatDate: (days: number) => string = formatSqlDate;

/** `HH:mm:ss` (with `.SSS` cut to `precision` digits when precision > 0) of milliseconds of the day. */
export function formatTime(ms: number, precision = 0): string {
  return formatSqlTime(ms, precision);
}

/**
 * `yyyy-MM-dd HH:mm:ss.SSS` of epoch milliseconds (UTC wall time), the fraction written with exactly `precision`
 * digits (TIMESTAMP(3): `2020-01-01 10:00:00.000`); `separator` 'T' gives the ISO-8601 form. The text of CAST to
 * STRING (`types/temporal.ts`); a value that is no finite number is written as it is.
 */
export function formatTimestamp(ms: number, precision = 3, separator = ' '): string {
  if (!Number.isFinite(ms)) return String(ms);
  const text = formatSqlTimestamp(ms, precision);
  return separator === ' ' ? text : text.replace(' ', separator);
}

const TIMESTAMP_RE =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Epoch milliseconds of a timestamp text: `yyyy-MM-dd[ HH:mm[:ss[.fraction]]]` with ' ' or 'T' between date and time
 * and an optional zone (`Z`, `+01:00`); digits beyond milliseconds are dropped. Undefined for anything else.
 */
export function parseTimestamp(text: string): number | undefined {
  const m = TIMESTAMP_RE.exec(text.trim());
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  let ms = Date.UTC(Number(y), month - 1, day, Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0));
  if (frac !== undefined) ms += Number(frac.slice(0, 3).padEnd(3, '0'));
  if (zone !== undefined && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return Number.isFinite(ms) ? ms : undefined;
}

/** Days since 1970-01-01 of `yyyy-MM-dd`; undefined for anything else. */
export function parseDate(text: string): number | undefined {
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(text.trim());
  if (m === null) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isFinite(ms) ? Math.round(ms / MS_PER_DAY) : undefined;
}

/** Milliseconds of the day of `HH:mm[:ss[.fraction]]`; undefined for anything else. */
export function parseTime(text: string): number | undefined {
  const m = /^(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,9}))?)?$/.exec(text.trim());
  if (m === null) return undefined;
  const ms =
    Number(m[1]) * 3_600_000 +
    Number(m[2]) * 60_000 +
    Number(m[3] ?? 0) * 1000 +
    (m[4] === undefined ? 0 : Number(m[4].slice(0, 3).padEnd(3, '0')));
  return ms < MS_PER_DAY ? ms : undefined;
}
