import { SqlError } from '../sql-error.js';
import type { Span } from './ast.js';

/**
 * What a token is. `word` is an unquoted identifier or keyword (the parser decides which by position), `quoted` a
 * backquoted identifier, `dollar` the body of a `$$ … $$` block, `symbol` an operator or punctuation.
 */
export type TokenKind =
  | 'word'
  | 'quoted'
  | 'string'
  | 'binary'
  | 'integer'
  | 'decimal'
  | 'double'
  | 'dollar'
  | 'symbol'
  | 'eof';

/** One token of SQL text. */
export interface Token {
  readonly kind: TokenKind;
  /** The source text of the token, exactly as written. */
  readonly text: string;
  /**
   * words: upper-cased (keywords compare on it); quoted identifiers and strings: unescaped; binary: the hex digits;
   * numbers: as written; dollar: the body between the `$$`; symbols: the operator text.
   */
  readonly value: string;
  readonly span: Span;
}

/** Maps offsets to 1-based line and column. Lookups are cheapest when offsets mostly increase. */
export class LineIndex {
  private readonly starts: number[] = [0];
  private hint = 0;

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }

  /** The span of `[start, end)`, its line and column those of `start`. */
  span(start: number, end: number): Span {
    let i = this.hint;
    if ((this.starts[i] ?? 0) > start) i = 0;
    while (i + 1 < this.starts.length && (this.starts[i + 1] ?? 0) <= start) i++;
    this.hint = i;
    return { start, end, line: i + 1, column: start - (this.starts[i] ?? 0) + 1 };
  }
}

const TWO_CHAR_SYMBOLS = new Set(['<>', '!=', '<=', '>=', '||', '=>']);
const ONE_CHAR_SYMBOLS = new Set(['(', ')', ',', ';', '.', '*', '/', '%', '+', '-', '=', '<', '>', '[', ']', '?', ':']);

function isWordStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || (c > '\u007f' && /\p{L}/u.test(c));
}

function isWordPart(c: string): boolean {
  return isWordStart(c) || (c >= '0' && c <= '9') || (c > '\u007f' && /\p{N}/u.test(c));
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/**
 * Splits SQL text into tokens, ending with one `eof` token. Skips whitespace and comments (`-- …`, `/* … *\/`,
 * including `/*+ hints *\/`, which Sluice ignores). Throws SqlError for an unterminated string, identifier, comment
 * or `$$` body (pointing at where it started), an unknown character, or a `${VAR}` placeholder left in the text
 * (placeholders are substituted before parsing). Runs in time linear in the text.
 */
export function tokenize(text: string, source: string): Token[] {
  const lines = new LineIndex(text);
  const tokens: Token[] = [];
  const fail = (reason: string, start: number, end: number, suggestion?: string): never => {
    throw new SqlError(reason, lines.span(start, end), text, source, suggestion);
  };
  const push = (kind: TokenKind, start: number, end: number, value: string): void => {
    tokens.push({ kind, text: text.slice(start, end), value, span: lines.span(start, end) });
  };
  /** Scans a quoted run from the opening quote at `start`; a doubled quote stands for one. Returns [end, value]. */
  const quoted = (start: number, quote: string, what: string): [number, string] => {
    let value = '';
    let i = start + 1;
    for (;;) {
      const close = text.indexOf(quote, i);
      if (close < 0) return fail(`Unterminated ${what}`, start, start + 1, `Close it with ${quote}`);
      value += text.slice(i, close);
      if (text[close + 1] === quote) {
        value += quote;
        i = close + 2;
      } else {
        return [close + 1, value];
      }
    }
  };

  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i] as string;
    const next = text[i + 1];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') {
      i++;
    } else if (c === '-' && next === '-') {
      const eol = text.indexOf('\n', i);
      i = eol < 0 ? n : eol + 1;
    } else if (c === '/' && next === '*') {
      const close = text.indexOf('*/', i + 2);
      if (close < 0) fail('Unterminated comment', i, i + 2, 'Close it with */');
      i = close + 2;
    } else if (c === "'") {
      const [end, value] = quoted(i, "'", 'string literal');
      push('string', i, end, value);
      i = end;
    } else if ((c === 'N' || c === 'n') && next === "'") {
      const [end, value] = quoted(i + 1, "'", 'string literal');
      push('string', i, end, value);
      i = end;
    } else if ((c === 'X' || c === 'x') && next === "'") {
      const [end, value] = quoted(i + 1, "'", 'binary literal');
      if (!/^[0-9a-fA-F]*$/.test(value) || value.length % 2 !== 0) {
        fail('A binary literal needs an even number of hex digits', i, end);
      }
      push('binary', i, end, value);
      i = end;
    } else if (c === '`') {
      const [end, value] = quoted(i, '`', 'quoted identifier');
      if (value.length === 0) fail('Empty quoted identifier', i, end);
      push('quoted', i, end, value);
      i = end;
    } else if (c === '$' && next === '$') {
      const close = text.indexOf('$$', i + 2);
      if (close < 0) fail('Unterminated $$ body', i, i + 2, 'Close the function body with $$');
      push('dollar', i, close + 2, text.slice(i + 2, close));
      i = close + 2;
    } else if (c === '$' && next === '{') {
      const close = text.indexOf('}', i);
      const end = close < 0 ? i + 2 : close + 1;
      fail(
        `Unsubstituted variable ${text.slice(i, end)}`,
        i,
        end,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the message quotes the placeholder syntax
        'Placeholders like ${NAME} must be replaced by their values before the script is parsed',
      );
    } else if (isDigit(c) || (c === '.' && isDigit(next))) {
      let j = i;
      let kind: TokenKind = 'integer';
      while (isDigit(text[j])) j++;
      if (text[j] === '.') {
        kind = 'decimal';
        j++;
        while (isDigit(text[j])) j++;
      }
      if ((text[j] === 'e' || text[j] === 'E') && (isDigit(text[j + 1]) || /[+-]/.test(text[j + 1] ?? ''))) {
        const k = isDigit(text[j + 1]) ? j + 1 : j + 2;
        if (isDigit(text[k])) {
          kind = 'double';
          j = k;
          while (isDigit(text[j])) j++;
        }
      }
      if (text[j] !== undefined && isWordStart(text[j] as string)) {
        fail(`Malformed number '${text.slice(i, j + 1)}'`, i, j + 1);
      }
      push(kind, i, j, text.slice(i, j));
      i = j;
    } else if (isWordStart(c)) {
      let j = i + 1;
      while (j < n && isWordPart(text[j] as string)) j++;
      push('word', i, j, text.slice(i, j).toUpperCase());
      i = j;
    } else if (next !== undefined && TWO_CHAR_SYMBOLS.has(c + next)) {
      push('symbol', i, i + 2, c + next);
      i += 2;
    } else if (ONE_CHAR_SYMBOLS.has(c)) {
      push('symbol', i, i + 1, c);
      i++;
    } else if (c === '"') {
      fail(
        "Unexpected character '\"'",
        i,
        i + 1,
        'Quote identifiers with backquotes (`name`) and strings with single quotes',
      );
    } else {
      fail(`Unexpected character '${c}'`, i, i + 1);
    }
  }
  push('eof', n, n, '');
  return tokens;
}
