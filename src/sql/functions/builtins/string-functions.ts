import { createHash, randomUUID } from 'node:crypto';
import type { SqlType } from '../../types/sql-type.js';
import { SqlTypes } from '../../types/type-factory.js';
import { type BuiltinScalarFunction, defineScalar, type ScalarSpec } from './builtin-function.js';
import { javaRegex, javaReplacement } from './regex.js';

const STRING = () => SqlTypes.string(false);
const NULLABLE_STRING = () => SqlTypes.string(true);
const INT = () => SqlTypes.int(false);

function fn(
  name: string,
  signature: string,
  description: string,
  params: string[],
  impl: NonNullable<ScalarSpec['fn']>,
  returns: (args: readonly SqlType[]) => SqlType = STRING,
  returnsText = 'STRING',
): BuiltinScalarFunction {
  return defineScalar({
    name,
    category: 'string',
    signatures: [signature],
    returnsText,
    description,
    params,
    returns,
    fn: impl,
  });
}

function lpad(s: string, len: number, pad: string, left: boolean): string | null {
  if (len < 0 || pad === '') return null;
  if (len <= s.length) return s.slice(0, len);
  let fill = '';
  while (fill.length < len - s.length) fill += pad;
  fill = fill.slice(0, len - s.length);
  return left ? fill + s : s + fill;
}

function trimChars(s: string, chars: string, leading: boolean, trailing: boolean): string {
  let start = 0;
  let end = s.length;
  if (leading) while (start < end && chars.includes(s[start] as string)) start++;
  if (trailing) while (end > start && chars.includes(s[end - 1] as string)) end--;
  return s.slice(start, end);
}

/** Flink's SUBSTRING: 1-based; 0 acts as 1; a negative start counts from the end. */
export function substringSql(s: string, pos: number, length?: number): string {
  const len = s.length;
  const start = pos > 0 ? pos - 1 : pos < 0 ? Math.max(0, len + pos) : 0;
  const end = length === undefined ? len : start + Math.max(0, length);
  return s.slice(start, Math.min(end, len));
}

/** Flink's SPLIT_INDEX: split on a whole separator keeping empty tokens; 0-based; NULL when out of range. */
export function splitIndex(s: string, separator: string | number, index: number): string | null {
  if (index < 0 || s === '') return null;
  const sep = typeof separator === 'number' ? String.fromCharCode(separator) : separator;
  const parts = sep === '' ? s.split(/\s+/) : s.split(sep);
  return parts[index] ?? null;
}

/** Flink's REGEXP_EXTRACT: group `index` (default 0) of the first match, or NULL. */
export function regexpExtract(s: string, regex: string, index = 0): string | null {
  const m = javaRegex(regex).exec(s);
  if (m === null || index < 0 || index >= m.length) return null;
  return m[index] ?? null;
}

function initcap(s: string): string {
  let out = '';
  let start = true;
  for (const ch of s) {
    out += start ? ch.toUpperCase() : ch.toLowerCase();
    start = /\s/.test(ch);
  }
  return out;
}

function jsonValue(json: string, path: string): string | null {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  const steps = /^(?:lax\s+|strict\s+)?\$(.*)$/.exec(path.trim());
  if (steps === null) return null;
  const re = /\.(\w+)|\.["']?([^"'.[\]]+)["']?|\[(\d+)\]|\[["']([^"']+)["']\]/y;
  const rest = steps[1] as string;
  let at = 0;
  while (at < rest.length) {
    re.lastIndex = at;
    const m = re.exec(rest);
    if (m === null) return null;
    at = re.lastIndex;
    const key = m[1] ?? m[2] ?? m[4];
    if (value === null || typeof value !== 'object') return null;
    value = key !== undefined ? (value as Record<string, unknown>)[key] : (value as unknown[])[Number(m[3])];
  }
  if (value === null || value === undefined || typeof value === 'object') return null;
  return String(value);
}

const hash = (algorithm: string) => (s: string) => createHash(algorithm).update(s, 'utf8').digest('hex');

/** String functions with Flink's names and semantics. */
export const STRING_FUNCTIONS: readonly BuiltinScalarFunction[] = [
  fn('UPPER', 'UPPER(string)', 'The string in upper case.', ['string'], (s: string) => s.toUpperCase()),
  fn('LOWER', 'LOWER(string)', 'The string in lower case.', ['string'], (s: string) => s.toLowerCase()),
  fn('CHAR_LENGTH', 'CHAR_LENGTH(string)', 'Number of characters.', ['string'], (s: string) => s.length, INT, 'INT'),
  fn(
    'CHARACTER_LENGTH',
    'CHARACTER_LENGTH(string)',
    'Number of characters.',
    ['string'],
    (s: string) => s.length,
    INT,
    'INT',
  ),
  fn('INITCAP', 'INITCAP(string)', 'First letter of each word upper case, the rest lower case.', ['string'], initcap),
  fn('REVERSE', 'REVERSE(string)', 'The characters in reverse order.', ['string'], (s: string) =>
    [...s].reverse().join(''),
  ),
  fn(
    'ASCII',
    'ASCII(string)',
    'Code of the first character; 0 for an empty string.',
    ['string'],
    (s: string) => (s.length === 0 ? 0 : s.charCodeAt(0)),
    INT,
    'INT',
  ),
  fn(
    'CHR',
    'CHR(integer)',
    'The character with this code (modulo 255 above 255).',
    ['integer'],
    (n: number) => (n < 0 ? null : String.fromCharCode(n > 255 ? n % 255 : n)),
    NULLABLE_STRING,
  ),
  fn(
    'TRIM',
    'TRIM([BOTH|LEADING|TRAILING] [chars] FROM string)',
    'Removes leading and/or trailing characters (spaces by default).',
    ['string', '?string', '?string'],
    (...a: string[]) => {
      if (a.length === 1) return trimChars(a[0] as string, ' ', true, true);
      const mode = (a[0] as string).toUpperCase();
      const chars = a.length === 3 ? (a[1] as string) : ' ';
      return trimChars(a[a.length - 1] as string, chars, mode !== 'TRAILING', mode !== 'LEADING');
    },
  ),
  fn(
    'LTRIM',
    'LTRIM(string[, chars])',
    'Removes leading characters (spaces by default).',
    ['string', '?string'],
    (s: string, c = ' ') => trimChars(s, c, true, false),
  ),
  fn(
    'RTRIM',
    'RTRIM(string[, chars])',
    'Removes trailing characters (spaces by default).',
    ['string', '?string'],
    (s: string, c = ' ') => trimChars(s, c, false, true),
  ),
  fn(
    'BTRIM',
    'BTRIM(string[, chars])',
    'Removes leading and trailing characters (spaces by default).',
    ['string', '?string'],
    (s: string, c = ' ') => trimChars(s, c, true, true),
  ),
  fn(
    'REPLACE',
    'REPLACE(string, search, replacement)',
    'Replaces every occurrence of search.',
    ['string', 'string', 'string'],
    (s: string, a: string, b: string) => s.replaceAll(a, b),
  ),
  fn(
    'SUBSTRING',
    'SUBSTRING(string, start[, length])',
    'Characters from a 1-based start (negative counts from the end).',
    ['string', 'integer', '?integer'],
    substringSql,
  ),
  fn(
    'SUBSTR',
    'SUBSTR(string, start[, length])',
    'Same as SUBSTRING.',
    ['string', 'integer', '?integer'],
    substringSql,
  ),
  fn(
    'OVERLAY',
    'OVERLAY(string PLACING replacement FROM start [FOR length])',
    'Replaces length characters from start.',
    ['string', 'string', 'integer', '?integer'],
    (s: string, r: string, pos: number, len?: number) => s.slice(0, pos - 1) + r + s.slice(pos - 1 + (len ?? r.length)),
  ),
  fn(
    'LEFT',
    'LEFT(string, n)',
    'The leftmost n characters; empty for n <= 0.',
    ['string', 'integer'],
    (s: string, n: number) => (n <= 0 ? '' : s.slice(0, n)),
  ),
  fn(
    'RIGHT',
    'RIGHT(string, n)',
    'The rightmost n characters; empty for n <= 0.',
    ['string', 'integer'],
    (s: string, n: number) => (n <= 0 ? '' : s.slice(Math.max(0, s.length - n))),
  ),
  fn(
    'REPEAT',
    'REPEAT(string, n)',
    'The string repeated n times; empty for n <= 0.',
    ['string', 'integer'],
    (s: string, n: number) => (n <= 0 ? '' : s.repeat(n)),
  ),
  fn(
    'LPAD',
    'LPAD(string, length, pad)',
    'Left-pads (or truncates) to length; NULL for a negative length or empty pad.',
    ['string', 'integer', 'string'],
    (s: string, n: number, p: string) => lpad(s, n, p, true),
    NULLABLE_STRING,
  ),
  fn(
    'RPAD',
    'RPAD(string, length, pad)',
    'Right-pads (or truncates) to length; NULL for a negative length or empty pad.',
    ['string', 'integer', 'string'],
    (s: string, n: number, p: string) => lpad(s, n, p, false),
    NULLABLE_STRING,
  ),
  fn(
    'POSITION',
    'POSITION(search IN string)',
    '1-based position of the first occurrence; 0 when absent.',
    ['string', 'string'],
    (a: string, s: string) => s.indexOf(a) + 1,
    INT,
    'INT',
  ),
  fn(
    'LOCATE',
    'LOCATE(search, string[, start])',
    '1-based position of the first occurrence at or after start; 0 when absent.',
    ['string', 'string', '?integer'],
    (a: string, s: string, from = 1) => (from < 1 ? 0 : s.indexOf(a, from - 1) + 1),
    INT,
    'INT',
  ),
  fn(
    'INSTR',
    'INSTR(string, search)',
    '1-based position of the first occurrence of search; 0 when absent.',
    ['string', 'string'],
    (s: string, a: string) => s.indexOf(a) + 1,
    INT,
    'INT',
  ),
  fn(
    'SPLIT_INDEX',
    'SPLIT_INDEX(string, separator, index)',
    'Token index (0-based) of the string split on separator; NULL when out of range.',
    ['string', 'string|integer', 'integer'],
    splitIndex,
    NULLABLE_STRING,
  ),
  fn(
    'REGEXP_EXTRACT',
    'REGEXP_EXTRACT(string, regex[, group])',
    'Group (default 0) of the first match of a Java regex; NULL when no match.',
    ['string', 'string', '?integer'],
    regexpExtract,
    NULLABLE_STRING,
  ),
  fn(
    'REGEXP_REPLACE',
    'REGEXP_REPLACE(string, regex, replacement)',
    'Replaces every match of a Java regex ($1 refers to a group).',
    ['string', 'string', 'string'],
    (s: string, r: string, by: string) => s.replace(javaRegex(r, true), javaReplacement(by)),
  ),
  fn(
    'REGEXP',
    'REGEXP(string, regex)',
    'TRUE when some substring matches the Java regex.',
    ['string', 'string'],
    (s: string, r: string) => javaRegex(r).test(s),
    () => SqlTypes.boolean(false),
    'BOOLEAN',
  ),
  fn(
    'CONCAT',
    'CONCAT(string1, string2, ...)',
    'Concatenation; NULL when any argument is NULL.',
    ['string', '*string'],
    (...a: string[]) => a.join(''),
  ),
  defineScalar({
    name: 'CONCAT_WS',
    category: 'string',
    signatures: ['CONCAT_WS(separator, string1, string2, ...)'],
    returnsText: 'STRING',
    description: 'Joins the non-NULL strings with separator; NULL when separator is NULL.',
    params: ['string', '*string'],
    strict: false,
    returns: ([sep]) => SqlTypes.string(sep?.nullable ?? true),
    fn: (sep: string | null, ...a: (string | null)[]) => (sep === null ? null : a.filter((x) => x !== null).join(sep)),
  }),
  fn('TO_BASE64', 'TO_BASE64(string)', 'Base64 of the UTF-8 bytes.', ['string|binary'], (s: string | Uint8Array) =>
    Buffer.from(s as string).toString('base64'),
  ),
  fn('FROM_BASE64', 'FROM_BASE64(string)', 'Decodes base64 to a UTF-8 string.', ['string'], (s: string) =>
    Buffer.from(s, 'base64').toString('utf8'),
  ),
  fn('MD5', 'MD5(string)', 'MD5 digest as 32 hex digits.', ['string'], hash('md5')),
  fn('SHA1', 'SHA1(string)', 'SHA-1 digest as hex.', ['string'], hash('sha1')),
  fn('SHA256', 'SHA256(string)', 'SHA-256 digest as hex.', ['string'], hash('sha256')),
  fn('SHA512', 'SHA512(string)', 'SHA-512 digest as hex.', ['string'], hash('sha512')),
  defineScalar({
    name: 'UUID',
    category: 'string',
    signatures: ['UUID()'],
    returnsText: 'STRING NOT NULL',
    description: 'A random (version 4) UUID.',
    params: [],
    deterministic: false,
    returns: STRING,
    fn: () => randomUUID(),
  }),
  fn(
    'JSON_VALUE',
    "JSON_VALUE(json, '$.path')",
    'The scalar at a JSON path as a string; NULL when absent, not scalar or invalid JSON.',
    ['string', 'string'],
    jsonValue,
    NULLABLE_STRING,
  ),
  fn(
    'IS_ALPHA',
    'IS_ALPHA(string)',
    'TRUE when every character is a letter (and there is one).',
    ['string'],
    (s: string) => /^\p{L}+$/u.test(s),
    () => SqlTypes.boolean(false),
    'BOOLEAN',
  ),
  fn(
    'IS_DIGIT',
    'IS_DIGIT(string)',
    'TRUE when every character is a digit (and there is one).',
    ['string'],
    (s: string) => /^\d+$/.test(s),
    () => SqlTypes.boolean(false),
    'BOOLEAN',
  ),
  fn(
    'IS_DECIMAL',
    'IS_DECIMAL(string)',
    'TRUE when the string parses as a decimal number.',
    ['string'],
    (s: string) => /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(s),
    () => SqlTypes.boolean(false),
    'BOOLEAN',
  ),
];
