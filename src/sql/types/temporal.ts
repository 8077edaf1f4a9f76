/**
 * Calendar arithmetic and Flink's text forms of DATE, TIME and TIMESTAMP values (sql-type.ts: days, milliseconds
 * of the day, epoch milliseconds). All in UTC: 'table.local-time-zone' is UTC in Sluice, so TIMESTAMP and
 * TIMESTAMP_LTZ values with the same epoch milliseconds show the same wall time.
 */

export const MS_PER_DAY = 86_400_000;

/** Fields of a point in time (UTC): month 1-12, dayOfWeek 1 = Monday … 7 = Sunday. */
export interface CivilTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

/** Year, month (1-12) and day of the month of a day number (days since 1970-01-01). */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  // Howard Hinnant's days-to-civil: exact for every day number, no Date allocation.
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** Day number of a calendar date (month 1-12; out-of-range days and months roll over). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const m = month > 2 ? month - 3 : month + 9;
  const doy = Math.floor((153 * m + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Splits epoch milliseconds into calendar fields. */
export function civilFromMillis(ms: number): CivilTime {
  const days = Math.floor(ms / MS_PER_DAY);
  const ofDay = ms - days * MS_PER_DAY;
  const { year, month, day } = civilFromDays(days);
  return {
    year,
    month,
    day,
    hour: Math.floor(ofDay / 3_600_000),
    minute: Math.floor(ofDay / 60_000) % 60,
    second: Math.floor(ofDay / 1000) % 60,
    millisecond: ofDay % 1000,
  };
}

/** Epoch milliseconds of calendar fields. */
export function millisFromCivil(t: CivilTime): number {
  return (
    daysFromCivil(t.year, t.month, t.day) * MS_PER_DAY +
    t.hour * 3_600_000 +
    t.minute * 60_000 +
    t.second * 1000 +
    t.millisecond
  );
}

/** ISO day of the week of a day number: 1 = Monday … 7 = Sunday. */
export function isoDayOfWeek(days: number): number {
  return ((((days + 3) % 7) + 7) % 7) + 1;
}

/** Adds months keeping the day of the month where it exists (Jan 31 + 1 month = Feb 28/29), as Flink does. */
export function addMonths(ms: number, months: number): number {
  const t = civilFromMillis(ms);
  const total = t.year * 12 + (t.month - 1) + months;
  const year = Math.floor(total / 12);
  const month = total - year * 12 + 1;
  const last = daysInMonth(year, month);
  return millisFromCivil({ ...t, year, month, day: Math.min(t.day, last) });
}

export function daysInMonth(year: number, month: number): number {
  return daysFromCivil(month === 12 ? year + 1 : year, month === 12 ? 1 : month + 1, 1) - daysFromCivil(year, month, 1);
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

function pad3(n: number): string {
  return n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`;
}

function padYear(y: number): string {
  if (y >= 1000 && y <= 9999) return `${y}`;
  const s = `${Math.abs(y)}`.padStart(4, '0');
  return y < 0 ? `-${s}` : s;
}

/** 'yyyy-MM-dd' of a day number. */
export function formatDate(days: number): string {
  const { year, month, day } = civilFromDays(days);
  return `${padYear(year)}-${pad2(month)}-${pad2(day)}`;
}

/** 'HH:mm:ss[.fff]' of milliseconds of the day, with `precision` fraction digits (zeros past milliseconds). */
export function formatTime(ofDay: number, precision: number): string {
  const text = `${pad2(Math.floor(ofDay / 3_600_000))}:${pad2(Math.floor(ofDay / 60_000) % 60)}:${pad2(Math.floor(ofDay / 1000) % 60)}`;
  return precision > 0 ? `${text}.${fraction(ofDay % 1000, precision)}` : text;
}

function fraction(ms: number, precision: number): string {
  const digits = pad3(ms);
  return precision <= 3 ? digits.slice(0, precision) : digits + '0'.repeat(precision - 3);
}

/** 'yyyy-MM-dd HH:mm:ss[.fff]' of epoch milliseconds, as Flink casts TIMESTAMP(precision) to STRING. */
export function formatTimestamp(ms: number, precision: number): string {
  const days = Math.floor(ms / MS_PER_DAY);
  return `${formatDate(days)} ${formatTime(ms - days * MS_PER_DAY, precision)}`;
}

const DATE_RE = /^\s*([+-]?\d{1,9})-(\d{1,2})-(\d{1,2})/;
const TIME_RE = /^(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,9}))?)?/;

/**
 * Parses Flink's timestamp strings: 'yyyy-MM-dd', 'yyyy-MM-dd HH:mm[:ss[.S…]]', the same with 'T', with an optional
 * trailing 'Z' (also '+00:00'-style offsets, applied). Digits past milliseconds are dropped. NaN when not a timestamp.
 */
export function parseTimestamp(text: string): number {
  const date = DATE_RE.exec(text);
  if (date === null) return Number.NaN;
  const year = Number(date[1]);
  const month = Number(date[2]);
  const day = Number(date[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return Number.NaN;
  let rest = text.slice(date[0].length);
  let ofDay = 0;
  if (rest.length > 0 && (rest[0] === ' ' || rest[0] === 'T')) {
    const time = TIME_RE.exec(rest.slice(1));
    if (time === null) return Number.NaN;
    const h = Number(time[1]);
    const m = Number(time[2]);
    const s = time[3] === undefined ? 0 : Number(time[3]);
    if (h > 23 || m > 59 || s > 59) return Number.NaN;
    const ms = time[4] === undefined ? 0 : Number(time[4].slice(0, 3).padEnd(3, '0'));
    ofDay = h * 3_600_000 + m * 60_000 + s * 1000 + ms;
    rest = rest.slice(1 + time[0].length);
  }
  let offset = 0;
  rest = rest.trim();
  if (rest === 'Z' || rest === 'z') rest = '';
  const zone = /^([+-])(\d{2}):?(\d{2})$/.exec(rest);
  if (zone !== null) {
    offset = (zone[1] === '-' ? -1 : 1) * (Number(zone[2]) * 3_600_000 + Number(zone[3]) * 60_000);
    rest = '';
  }
  if (rest !== '') return Number.NaN;
  return daysFromCivil(year, month, day) * MS_PER_DAY + ofDay - offset;
}

/** Parses 'yyyy-MM-dd' (a trailing time part is accepted and dropped) to a day number; NaN when not a date. */
export function parseDate(text: string): number {
  const ms = parseTimestamp(text);
  return Number.isNaN(ms) ? ms : Math.floor(ms / MS_PER_DAY);
}

/** Parses 'HH:mm[:ss[.S…]]' to milliseconds of the day; NaN when not a time. */
export function parseTime(text: string): number {
  const time = TIME_RE.exec(text.trim());
  if (time === null || time[0].length !== text.trim().length) return Number.NaN;
  const h = Number(time[1]);
  const m = Number(time[2]);
  const s = time[3] === undefined ? 0 : Number(time[3]);
  if (h > 23 || m > 59 || s > 59) return Number.NaN;
  const ms = time[4] === undefined ? 0 : Number(time[4].slice(0, 3).padEnd(3, '0'));
  return h * 3_600_000 + m * 60_000 + s * 1000 + ms;
}

/** Truncates epoch milliseconds to a TIMESTAMP precision below 3 (TIMESTAMP(0) keeps whole seconds). */
export function truncateToPrecision(ms: number, precision: number): number {
  if (precision >= 3) return ms;
  const unit = precision === 2 ? 10 : precision === 1 ? 100 : 1000;
  return Math.floor(ms / unit) * unit;
}
