import { roundHalfUp } from '../types/decimal.js';
import { addMonths, MS_PER_DAY } from '../types/temporal.js';
import { compareValues, valuesEqual } from '../types/value-compare.js';

/**
 * Functions generated expression code calls by name (`H.idiv(a, b)`). They are the parts of SQL semantics too long
 * to write inline: checked integer division, DECIMAL rounding, month arithmetic, LIKE / SIMILAR TO patterns, and
 * equality and order of nested values.
 */
export const RUNTIME_HELPERS = {
  round: roundHalfUp,
  eq: valuesEqual,
  cmp: compareValues,
  /** Integer division truncating toward zero; fails on zero like Java. */
  idiv(a: number, b: number): number {
    if (b === 0) throw new Error('Division by zero');
    return Math.trunc(a / b);
  },
  /** Integer remainder; fails on zero like Java. */
  imod(a: number, b: number): number {
    if (b === 0) throw new Error('Division by zero');
    return a % b;
  },
  /** DECIMAL division: fails on zero (Flink's ArithmeticException), rounds to the result scale. */
  ddiv(a: number, b: number, scale: number): number {
    if (b === 0) throw new Error('Division by zero');
    return roundHalfUp(a / b, scale);
  },
  addMonths,
  addMonthsToDate(days: number, months: number): number {
    return Math.floor(addMonths(days * MS_PER_DAY, months) / MS_PER_DAY);
  },
  addToTime(ofDay: number, ms: number): number {
    return (((ofDay + ms) % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY;
  },
  like,
  similar,
};

const likeCache = new Map<string, RegExp>();

/** A SQL LIKE pattern ('%' any run, '_' one character, `escapeChar` makes the next character literal) as a RegExp. */
export function like(pattern: string, escapeChar?: string | null): RegExp {
  const key = `${escapeChar ?? ''}\u0000${pattern}`;
  let re = likeCache.get(key);
  if (re === undefined) {
    if (escapeChar !== undefined && escapeChar !== null && escapeChar.length !== 1) {
      throw new Error(`LIKE escapeChar must be one character, got '${escapeChar}'`);
    }
    let source = '';
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i] as string;
      if (escapeChar !== undefined && escapeChar !== null && c === escapeChar) {
        const next = pattern[++i];
        if (next === undefined) throw new Error(`LIKE pattern '${pattern}' ends with the escapeChar character`);
        source += next.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      } else if (c === '%') source += '[\\s\\S]*';
      else if (c === '_') source += '[\\s\\S]';
      else source += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
    re = new RegExp(`^${source}$`);
    if (likeCache.size > 1000) likeCache.clear();
    likeCache.set(key, re);
  }
  return re;
}

const similarCache = new Map<string, RegExp>();

/** A SQL SIMILAR TO pattern (regex syntax with '%' and '_' as in LIKE), matching the whole string. */
export function similar(pattern: string, escapeChar?: string | null): RegExp {
  const key = `${escapeChar ?? ''}\u0000${pattern}`;
  let re = similarCache.get(key);
  if (re === undefined) {
    let source = '';
    let inClass = false;
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i] as string;
      if (escapeChar !== undefined && escapeChar !== null && c === escapeChar) {
        source += `\\${pattern[++i] ?? ''}`;
      } else if (c === '[') {
        inClass = true;
        source += c;
      } else if (c === ']') {
        inClass = false;
        source += c;
      } else if (!inClass && c === '%') source += '[\\s\\S]*';
      else if (!inClass && c === '_') source += '[\\s\\S]';
      else if (!inClass && c === '.') source += '\\.';
      else source += c;
    }
    re = new RegExp(`^(?:${source})$`);
    if (similarCache.size > 1000) similarCache.clear();
    similarCache.set(key, re);
  }
  return re;
}
