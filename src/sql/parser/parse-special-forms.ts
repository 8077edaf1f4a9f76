import type { Expression, FunctionCall, Literal, QualifiedName } from './ast.js';
import type { Token } from './lexer.js';
import { parseAdditiveExpr, parseExpr, parseExpressionList } from './parse-expression.js';
import { parseQuery } from './parse-query.js';
import { parseType } from './parse-type.js';
import type { TokenCursor } from './token-cursor.js';

/** Time units accepted by EXTRACT, CEIL/FLOOR … TO, TIMESTAMPADD and TIMESTAMPDIFF. */
const TIME_UNITS = new Set([
  'MILLENNIUM',
  'CENTURY',
  'DECADE',
  'YEAR',
  'ISOYEAR',
  'QUARTER',
  'MONTH',
  'WEEK',
  'DAY',
  'DOW',
  'ISODOW',
  'DOY',
  'HOUR',
  'MINUTE',
  'SECOND',
  'MILLISECOND',
  'MICROSECOND',
  'NANOSECOND',
  'EPOCH',
]);

/**
 * The expressions with their own syntax: CASE, CAST / TRY_CAST, EXTRACT, POSITION, TRIM, SUBSTRING, OVERLAY,
 * CEIL / FLOOR … TO, TIMESTAMPADD / TIMESTAMPDIFF, EXISTS, ROW(...), ARRAY[...], MAP[...]. Returns undefined (and
 * consumes nothing) when `token` does not start one. Calls are desugared as ast.ts describes.
 */
export function parseSpecialForm(c: TokenCursor, token: Token): Expression | undefined {
  const word = token.value;
  const paren = c.atSymbol('(', 1);
  if (word === 'CASE') return parseCase(c, token);
  if (word === 'ARRAY' && c.atSymbol('[', 1)) return parseBracketed(c, token, 'array');
  if (word === 'MAP' && c.atSymbol('[', 1)) return parseBracketed(c, token, 'map');
  if (!paren) return undefined;
  switch (word) {
    case 'CAST':
    case 'TRY_CAST': {
      c.next();
      c.next();
      const expression = parseExpr(c);
      c.expectWord('AS');
      const type = parseType(c);
      c.expectSymbol(')');
      return { kind: 'cast', expression, type, try: word === 'TRY_CAST', span: c.spanFrom(token) };
    }
    case 'EXISTS': {
      c.next();
      c.next();
      const query = parseQuery(c);
      c.expectSymbol(')');
      return { kind: 'exists', query, negated: false, span: c.spanFrom(token) };
    }
    case 'ROW': {
      c.next();
      c.next();
      const fields = c.atSymbol(')') ? [] : parseExpressionList(c);
      c.expectSymbol(')');
      return { kind: 'row', fields, span: c.spanFrom(token) };
    }
    case 'EXTRACT': {
      c.next();
      c.next();
      const unit = timeUnit(c);
      c.expectWord('FROM');
      const from = parseExpr(c);
      return finish(c, token, [unit, from]);
    }
    case 'POSITION': {
      c.next();
      c.next();
      const needle = parseAdditiveExpr(c);
      c.expectWord('IN');
      const args = [needle, parseAdditiveExpr(c)];
      if (c.acceptWord('FROM')) args.push(parseExpr(c));
      return finish(c, token, args);
    }
    case 'TRIM':
      return parseTrim(c, token);
    case 'SUBSTRING':
    case 'SUBSTR':
    case 'OVERLAY':
      return parseFromFor(c, token);
    case 'CEIL':
    case 'CEILING':
    case 'FLOOR':
      return parseCeilFloor(c, token);
    case 'TIMESTAMPADD':
    case 'TIMESTAMPDIFF': {
      c.next();
      c.next();
      const args: Expression[] = [timeUnit(c)];
      while (c.acceptSymbol(',')) args.push(parseExpr(c));
      return finish(c, token, args);
    }
  }
  return undefined;
}

function parseCase(c: TokenCursor, start: Token): Expression {
  c.next();
  const operand = c.isWord('WHEN') ? undefined : parseExpr(c);
  const whens: { when: Expression; then: Expression }[] = [];
  while (c.acceptWord('WHEN')) {
    const when = parseExpr(c);
    c.expectWord('THEN');
    // biome-ignore lint/suspicious/noThenProperty: the AST's field name (ast.ts), never awaited
    whens.push({ when, then: parseExpr(c) });
  }
  if (whens.length === 0) c.fail();
  const otherwise = c.acceptWord('ELSE') ? parseExpr(c) : undefined;
  c.expectWord('END');
  return {
    kind: 'case',
    ...(operand === undefined ? {} : { operand }),
    whens,
    ...(otherwise === undefined ? {} : { else: otherwise }),
    span: c.spanFrom(start),
  };
}

function parseBracketed(c: TokenCursor, start: Token, kind: 'array' | 'map'): Expression {
  c.next();
  c.next();
  const elements = c.atSymbol(']') ? [] : parseExpressionList(c);
  c.expectSymbol(']');
  if (kind === 'array') return { kind, elements, span: c.spanFrom(start) };
  if (elements.length % 2 !== 0) c.error('MAP[...] needs key, value pairs', c.spanFrom(start));
  const entries: { key: Expression; value: Expression }[] = [];
  for (let i = 0; i < elements.length; i += 2) {
    entries.push({ key: elements[i] as Expression, value: elements[i + 1] as Expression });
  }
  return { kind, entries, span: c.spanFrom(start) };
}

/** `TRIM([BOTH|LEADING|TRAILING] [chars] FROM s)` or `TRIM(s)` → TRIM(mode, chars, s), chars ' ' by default. */
function parseTrim(c: TokenCursor, start: Token): Expression {
  c.next();
  c.next();
  let mode = 'BOTH';
  let modeToken: Token | undefined;
  if (c.isWord('BOTH') || c.isWord('LEADING') || c.isWord('TRAILING')) {
    modeToken = c.next();
    mode = modeToken.value;
  }
  let chars: Expression | undefined;
  let target: Expression;
  if (c.acceptWord('FROM')) {
    target = parseExpr(c);
  } else {
    const first = parseExpr(c);
    if (c.acceptWord('FROM')) {
      chars = first;
      target = parseExpr(c);
    } else {
      if (modeToken !== undefined) c.expectWord('FROM');
      target = first;
    }
  }
  const span = (modeToken ?? start).span;
  const modeLiteral: Literal = { kind: 'literal', type: 'string', value: mode, span };
  chars ??= { kind: 'literal', type: 'string', value: ' ', span };
  return finish(c, start, [modeLiteral, chars, target]);
}

/** `SUBSTRING(s FROM a [FOR b])`, `OVERLAY(s PLACING r FROM a [FOR b])`, or their comma forms. */
function parseFromFor(c: TokenCursor, start: Token): Expression {
  c.next();
  c.next();
  const args = [parseExpr(c)];
  if (start.value === 'OVERLAY' && c.acceptWord('PLACING')) {
    args.push(parseExpr(c));
    c.expectWord('FROM');
    args.push(parseExpr(c));
  } else if (start.value !== 'OVERLAY' && c.acceptWord('FROM')) {
    args.push(parseExpr(c));
  } else {
    while (c.acceptSymbol(',')) args.push(parseExpr(c));
    return finish(c, start, args);
  }
  if (c.acceptWord('FOR')) args.push(parseExpr(c));
  return finish(c, start, args);
}

/** `CEIL(x TO DAY)` → CEIL(x, 'DAY'); `CEIL(x)` stays an ordinary call. */
function parseCeilFloor(c: TokenCursor, start: Token): Expression {
  c.next();
  c.next();
  const args = [parseExpr(c)];
  if (c.acceptWord('TO')) args.push(timeUnit(c));
  else while (c.acceptSymbol(',')) args.push(parseExpr(c));
  return finish(c, start, args);
}

function timeUnit(c: TokenCursor): Literal {
  const token = c.peek();
  if (token.kind !== 'word' || !TIME_UNITS.has(token.value.replace(/^SQL_TSI_/, '').replace(/S$/, ''))) {
    c.expect('a time unit (SECOND, MINUTE, HOUR, DAY, ...)');
    c.fail();
  }
  c.next();
  let unit = token.value.replace(/^SQL_TSI_/, '');
  if (!TIME_UNITS.has(unit)) unit = unit.slice(0, -1);
  return { kind: 'literal', type: 'string', value: unit, span: token.span };
}

/** Closes the call and names it by its upper-cased keyword. */
function finish(c: TokenCursor, start: Token, args: Expression[]): FunctionCall {
  c.expectSymbol(')');
  const name: QualifiedName = {
    kind: 'qualifiedName',
    parts: [{ kind: 'identifier', name: start.value, quoted: false, span: start.span }],
    span: start.span,
  };
  return { kind: 'call', name, args, distinct: false, span: c.spanFrom(start) };
}
