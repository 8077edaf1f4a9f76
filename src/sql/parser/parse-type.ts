import { nearestName } from '../sql-error.js';
import type { IntervalUnit, RowTypeField, SimpleTypeName, TypeName } from './ast.js';
import type { Token } from './lexer.js';
import type { TokenCursor } from './token-cursor.js';

/** Type words and the SimpleTypeName they mean (synonyms normalised). */
const SIMPLE_TYPES: Readonly<Record<string, SimpleTypeName>> = {
  BOOLEAN: 'BOOLEAN',
  BOOL: 'BOOLEAN',
  TINYINT: 'TINYINT',
  SMALLINT: 'SMALLINT',
  INT: 'INT',
  INTEGER: 'INT',
  BIGINT: 'BIGINT',
  FLOAT: 'FLOAT',
  REAL: 'FLOAT',
  DOUBLE: 'DOUBLE',
  DECIMAL: 'DECIMAL',
  DEC: 'DECIMAL',
  NUMERIC: 'DECIMAL',
  CHAR: 'CHAR',
  CHARACTER: 'CHAR',
  VARCHAR: 'VARCHAR',
  STRING: 'STRING',
  BINARY: 'BINARY',
  VARBINARY: 'VARBINARY',
  BYTES: 'BYTES',
  DATE: 'DATE',
  TIME: 'TIME',
  TIMESTAMP: 'TIMESTAMP',
  TIMESTAMP_LTZ: 'TIMESTAMP_LTZ',
  NULL: 'NULL',
};

/** Interval units, with the plural forms Flink also accepts. */
export const INTERVAL_UNITS: Readonly<Record<string, IntervalUnit>> = {
  YEAR: 'YEAR',
  YEARS: 'YEAR',
  MONTH: 'MONTH',
  MONTHS: 'MONTH',
  DAY: 'DAY',
  DAYS: 'DAY',
  HOUR: 'HOUR',
  HOURS: 'HOUR',
  MINUTE: 'MINUTE',
  MINUTES: 'MINUTE',
  SECOND: 'SECOND',
  SECONDS: 'SECOND',
  MILLISECOND: 'MILLISECOND',
  MILLISECONDS: 'MILLISECOND',
};

/** Parses an interval unit word if one is next (`SECOND`, `SECONDS`, …); a `(precision)` after it is skipped. */
export function acceptIntervalUnit(c: TokenCursor): IntervalUnit | undefined {
  const token = c.peek();
  const unit = token.kind === 'word' ? INTERVAL_UNITS[token.value] : undefined;
  if (unit === undefined) {
    c.expect('an interval unit (SECOND, MINUTE, HOUR, DAY, MONTH, YEAR)');
    return undefined;
  }
  c.next();
  if (c.isSymbol('(') && c.peek(1).kind === 'integer') {
    c.next();
    c.next();
    if (c.acceptSymbol(',') && c.next().kind !== 'integer') c.error('Expected a precision', c.previous().span);
    c.expectSymbol(')');
  }
  return unit;
}

/**
 * Parses a data type as written in DDL, CAST and function signatures: simple types with their length / precision
 * / scale, `ROW<a INT, b STRING>` and `ROW(a INT)`, `ARRAY<T>` and `T ARRAY`, `MAP<K, V>`, `MULTISET<T>`,
 * `INTERVAL unit [TO unit]`, and `NOT NULL` / `NULL` after any of them.
 */
export function parseType(c: TokenCursor): TypeName {
  const start = c.peek();
  let type = parseBaseType(c, start);
  for (;;) {
    if (c.acceptWord('ARRAY')) {
      type = { kind: 'arrayType', element: type, nullable: true, span: c.spanFrom(start) };
    } else if (c.acceptWord('MULTISET')) {
      type = { kind: 'multisetType', element: type, nullable: true, span: c.spanFrom(start) };
    } else {
      break;
    }
  }
  if (c.acceptWords('NOT', 'NULL')) return { ...type, nullable: false, span: c.spanFrom(start) };
  c.acceptWord('NULL');
  return type;
}

function parseBaseType(c: TokenCursor, start: Token): TypeName {
  if (start.kind !== 'word') {
    c.expect('a type');
    return c.fail();
  }
  const word = start.value;
  if (word === 'ROW') return parseRowType(c, start);
  if (word === 'ARRAY' || word === 'MULTISET') {
    c.next();
    const element = angled(c, () => parseType(c));
    const kind = word === 'ARRAY' ? 'arrayType' : 'multisetType';
    return { kind, element, nullable: true, span: c.spanFrom(start) };
  }
  if (word === 'MAP') {
    c.next();
    c.expectSymbol('<');
    const key = parseType(c);
    c.expectSymbol(',');
    const value = parseType(c);
    closeAngle(c);
    return { kind: 'mapType', key, value, nullable: true, span: c.spanFrom(start) };
  }
  if (word === 'INTERVAL') {
    c.next();
    const from = acceptIntervalUnit(c) ?? c.fail();
    const to = c.acceptWord('TO') ? (acceptIntervalUnit(c) ?? c.fail()) : undefined;
    return { kind: 'intervalType', from, ...(to === undefined ? {} : { to }), nullable: true, span: c.spanFrom(start) };
  }
  let name = SIMPLE_TYPES[word];
  if (name === undefined) {
    c.expect('a type');
    return c.error(`Unknown type '${start.text}'`, start.span, typeSuggestion(word));
  }
  c.next();
  if (name === 'DOUBLE') c.acceptWord('PRECISION');
  if (name === 'CHAR' && c.acceptWord('VARYING')) name = 'VARCHAR';
  const args: number[] = [];
  if (c.acceptSymbol('(')) {
    do {
      const arg = c.peek();
      if (arg.kind !== 'integer') {
        c.expect('an integer');
        c.fail();
      }
      c.next();
      args.push(Number(arg.value));
    } while (c.acceptSymbol(','));
    c.expectSymbol(')');
  }
  if (name === 'TIMESTAMP' || name === 'TIME') {
    if (c.acceptWords('WITH', 'LOCAL', 'TIME', 'ZONE')) {
      if (name === 'TIME') c.error('TIME WITH LOCAL TIME ZONE is not supported', c.spanFrom(start));
      name = 'TIMESTAMP_LTZ';
    } else if (c.acceptWords('WITHOUT', 'TIME', 'ZONE')) {
      // the default
    } else if (c.isWord('WITH') && c.isWord('TIME', 1)) {
      c.error(
        'TIMESTAMP WITH TIME ZONE is not supported',
        c.peek().span,
        'Use TIMESTAMP_LTZ or TIMESTAMP(p) WITH LOCAL TIME ZONE',
      );
    }
  }
  return { kind: 'simpleType', name, args, nullable: true, span: c.spanFrom(start) };
}

function parseRowType(c: TokenCursor, start: Token): TypeName {
  c.next();
  const fields: RowTypeField[] = [];
  const field = (): void => {
    const name = c.identifier();
    const type = parseType(c);
    const comment = c.acceptWord('COMMENT') ? c.string() : undefined;
    fields.push({ name, type, ...(comment === undefined ? {} : { comment }) });
  };
  if (c.acceptSymbol('<>')) return { kind: 'rowType', fields, nullable: true, span: c.spanFrom(start) };
  if (c.acceptSymbol('(')) {
    if (!c.acceptSymbol(')')) {
      do field();
      while (c.acceptSymbol(','));
      c.expectSymbol(')');
    }
  } else {
    c.expectSymbol('<');
    if (!acceptCloseAngle(c)) {
      do field();
      while (c.acceptSymbol(','));
      closeAngle(c);
    }
  }
  return { kind: 'rowType', fields, nullable: true, span: c.spanFrom(start) };
}

function angled<T>(c: TokenCursor, inner: () => T): T {
  c.expectSymbol('<');
  const value = inner();
  closeAngle(c);
  return value;
}

/** A `>` closing a type; `>=` never closes one, and `>>` is two tokens already. */
function acceptCloseAngle(c: TokenCursor): boolean {
  return c.acceptSymbol('>');
}

function closeAngle(c: TokenCursor): void {
  if (!acceptCloseAngle(c)) c.fail();
}

function typeSuggestion(word: string): string | undefined {
  const near = nearestName(word, Object.keys(SIMPLE_TYPES).concat(['ROW', 'ARRAY', 'MAP', 'MULTISET', 'INTERVAL']));
  return near === undefined ? undefined : `Did you mean ${near}?`;
}
