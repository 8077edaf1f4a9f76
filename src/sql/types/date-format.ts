import { type CivilTime, civilFromMillis, daysFromCivil, isoDayOfWeek, MS_PER_DAY } from './temporal.js';

/**
 * Java date patterns ('yyyy-MM-dd HH:mm:ss.SSS', SimpleDateFormat / DateTimeFormatter letters) as used by Flink's
 * DATE_FORMAT, TO_TIMESTAMP, UNIX_TIMESTAMP and FROM_UNIXTIME. Patterns compile once into a formatter and a parser
 * (cached by pattern text); times are UTC. Supported letters: G y Y M L d D E u a H k K h m s S w z Z X, 'quoted'
 * text and '' for a quote; any other ASCII letter is an error naming the letter.
 */
export interface DateFormat {
  readonly pattern: string;
  /** Formats epoch milliseconds. */
  format(ms: number): string;
  /** Parses text that matches the whole pattern to epoch milliseconds, or null. */
  parse(text: string): number | null;
}

type Token = { letter: string; count: number } | { literal: string };

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const LETTERS = 'GyYMLdDEuaHkKhmsSwzZX';
const NUMERIC = 'yYMLdDuHkKhmsSw';

const cache = new Map<string, DateFormat>();

/** The compiled pattern; throws an Error naming the bad letter for an unsupported pattern. */
export function dateFormat(pattern: string): DateFormat {
  let compiled = cache.get(pattern);
  if (compiled === undefined) {
    compiled = compile(pattern);
    if (cache.size > 1000) cache.clear();
    cache.set(pattern, compiled);
  }
  return compiled;
}

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i] as string;
    if (c === "'") {
      const close = pattern.indexOf("'", i + 1);
      if (close === i + 1) {
        tokens.push({ literal: "'" });
        i += 2;
        continue;
      }
      if (close < 0) throw new Error(`Unterminated quote in date pattern '${pattern}'`);
      tokens.push({ literal: pattern.slice(i + 1, close) });
      i = close + 1;
    } else if (/[A-Za-z]/.test(c)) {
      if (!LETTERS.includes(c)) throw new Error(`Illegal pattern character '${c}' in date pattern '${pattern}'`);
      let j = i;
      while (pattern[j] === c) j++;
      tokens.push({ letter: c, count: j - i });
      i = j;
    } else {
      tokens.push({ literal: c });
      i++;
    }
  }
  return tokens;
}

function pad(n: number, width: number): string {
  const s = `${Math.abs(n)}`;
  const padded = s.length >= width ? s : '0'.repeat(width - s.length) + s;
  return n < 0 ? `-${padded}` : padded;
}

function weekOfYear(ms: number): number {
  // Java's default (US) week rule: weeks start on Sunday, week 1 contains January 1st.
  const t = civilFromMillis(ms);
  const jan1 = daysFromCivil(t.year, 1, 1);
  const day = Math.floor(ms / MS_PER_DAY);
  const jan1Weekday = isoDayOfWeek(jan1) % 7; // Sunday = 0
  return Math.floor((day - jan1 + jan1Weekday) / 7) + 1;
}

function formatField(letter: string, count: number, ms: number, t: CivilTime): string {
  switch (letter) {
    case 'G':
      return t.year > 0 ? 'AD' : 'BC';
    case 'y':
    case 'Y':
      return count === 2 ? pad(t.year % 100, 2) : pad(t.year, count);
    case 'M':
    case 'L':
      if (count >= 4) return MONTHS[t.month - 1] as string;
      if (count === 3) return (MONTHS[t.month - 1] as string).slice(0, 3);
      return pad(t.month, count);
    case 'd':
      return pad(t.day, count);
    case 'D':
      return pad(Math.floor(ms / MS_PER_DAY) - daysFromCivil(t.year, 1, 1) + 1, count);
    case 'E': {
      const name = DAYS[isoDayOfWeek(Math.floor(ms / MS_PER_DAY)) - 1] as string;
      return count >= 4 ? name : name.slice(0, 3);
    }
    case 'u':
      return pad(isoDayOfWeek(Math.floor(ms / MS_PER_DAY)), count);
    case 'a':
      return t.hour < 12 ? 'AM' : 'PM';
    case 'H':
      return pad(t.hour, count);
    case 'k':
      return pad(t.hour === 0 ? 24 : t.hour, count);
    case 'K':
      return pad(t.hour % 12, count);
    case 'h':
      return pad(t.hour % 12 === 0 ? 12 : t.hour % 12, count);
    case 'm':
      return pad(t.minute, count);
    case 's':
      return pad(t.second, count);
    case 'S':
      return pad(t.millisecond, count);
    case 'w':
      return pad(weekOfYear(ms), count);
    case 'z':
      return count >= 4 ? 'Coordinated Universal Time' : 'UTC';
    case 'Z':
      return '+0000';
    default:
      return 'Z';
  }
}

function compile(pattern: string): DateFormat {
  const tokens = tokenize(pattern);
  const parts: ((ms: number, t: CivilTime) => string)[] = tokens.map((token) => {
    if ('literal' in token) {
      const text = token.literal;
      return () => text;
    }
    const { letter, count } = token;
    return (ms, t) => formatField(letter, count, ms, t);
  });
  let parser: ((text: string) => number | null) | undefined;
  return {
    pattern,
    format(ms) {
      const t = civilFromMillis(ms);
      let out = '';
      for (const part of parts) out += part(ms, t);
      return out;
    },
    parse(text) {
      parser ??= compileParser(tokens);
      return parser(text);
    },
  };
}

function compileParser(tokens: Token[]): (text: string) => number | null {
  let source = '^';
  const fields: string[] = [];
  tokens.forEach((token, i) => {
    if ('literal' in token) {
      source += token.literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      return;
    }
    const next = tokens[i + 1];
    const adjacentNumber = next !== undefined && 'letter' in next && NUMERIC.includes(next.letter);
    fields.push(token.letter);
    if ((token.letter === 'M' || token.letter === 'L') && token.count >= 3) {
      source += `(${MONTHS.map((m) => (token.count === 3 ? m.slice(0, 3) : m)).join('|')})`;
    } else if (token.letter === 'E') {
      source += `(${DAYS.map((d) => (token.count >= 4 ? d : d.slice(0, 3))).join('|')})`;
    } else if (token.letter === 'a') {
      source += '(AM|PM|am|pm)';
    } else if (token.letter === 'G') {
      source += '(AD|BC)';
    } else if ('zZX'.includes(token.letter)) {
      source += '(Z|UTC|GMT|[+-]\\d{2}:?\\d{2})';
    } else {
      source += adjacentNumber ? `(\\d{${token.count}})` : token.letter === 'S' ? '(\\d{1,9})' : '(\\d{1,9})';
    }
  });
  const re = new RegExp(`${source}$`);
  return (text) => {
    const m = re.exec(text.trim());
    if (m === null) return null;
    let year = 1970;
    let month = 1;
    let day = 1;
    let dayOfYear = -1;
    let hour = 0;
    let minute = 0;
    let second = 0;
    let millisecond = 0;
    let pm = -1;
    let twelveHour = false;
    let offset = 0;
    for (let i = 0; i < fields.length; i++) {
      const value = m[i + 1] as string;
      const n = Number(value);
      switch (fields[i]) {
        case 'y':
        case 'Y':
          year = value.length <= 2 ? 2000 + n : n;
          break;
        case 'M':
        case 'L':
          month = Number.isNaN(n) ? MONTHS.findIndex((x) => x.startsWith(value)) + 1 : n;
          break;
        case 'd':
          day = n;
          break;
        case 'D':
          dayOfYear = n;
          break;
        case 'H':
        case 'k':
          hour = n % 24;
          break;
        case 'K':
        case 'h':
          hour = n % 12;
          twelveHour = true;
          break;
        case 'a':
          pm = value.toUpperCase() === 'PM' ? 1 : 0;
          break;
        case 'm':
          minute = n;
          break;
        case 's':
          second = n;
          break;
        case 'S':
          millisecond = value.length > 3 ? Number(value.slice(0, 3)) : n;
          break;
        case 'z':
        case 'Z':
        case 'X': {
          const zone = /^([+-])(\d{2}):?(\d{2})$/.exec(value);
          if (zone !== null) {
            offset = (zone[1] === '-' ? -1 : 1) * (Number(zone[2]) * 3_600_000 + Number(zone[3]) * 60_000);
          }
          break;
        }
      }
    }
    if (twelveHour && pm === 1) hour += 12;
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return null;
    const days = dayOfYear > 0 ? daysFromCivil(year, 1, 1) + dayOfYear - 1 : daysFromCivil(year, month, day);
    return days * MS_PER_DAY + hour * 3_600_000 + minute * 60_000 + second * 1000 + millisecond - offset;
  };
}
