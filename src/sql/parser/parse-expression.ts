import type { BinaryOperator, Expression, Identifier, QualifiedName, Span } from './ast.js';
import { RESERVED, RESERVED_FUNCTION_NAMES } from './keywords.js';
import type { Token } from './lexer.js';
import { parseFunctionCall } from './parse-function-call.js';
import { isQueryStart, parseQuery } from './parse-query.js';
import { parseSpecialForm } from './parse-special-forms.js';
import { acceptIntervalUnit } from './parse-type.js';
import type { TokenCursor } from './token-cursor.js';

/**
 * Parses an expression. Precedence, loosest first: OR; AND; NOT; comparisons, IS, BETWEEN, IN, LIKE and SIMILAR TO
 * (one level, left to right); `+`, `-` and `||`; `*`, `/` and `%`; unary `-` and `+`; postfix `[index]` and
 * `.field`. Stops at the first token that cannot continue the expression, leaving it for the caller.
 */
export function parseExpr(c: TokenCursor): Expression {
  let left = parseAnd(c);
  while (c.takeWord('OR')) left = binary('OR', left, parseAnd(c));
  return left;
}

function parseAnd(c: TokenCursor): Expression {
  let left = parseNot(c);
  while (c.takeWord('AND')) left = binary('AND', left, parseNot(c));
  return left;
}

function parseNot(c: TokenCursor): Expression {
  const start = c.peek();
  if (c.takeWord('NOT')) {
    const operand = parseNot(c);
    if (operand.kind === 'exists' && !operand.negated) return { ...operand, negated: true, span: c.spanFrom(start) };
    return { kind: 'unary', operator: 'NOT', operand, span: c.spanFrom(start) };
  }
  return parsePredicate(c);
}

const COMPARISONS: Readonly<Record<string, BinaryOperator>> = {
  '=': '=',
  '<>': '<>',
  '!=': '<>',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
};

/** Comparisons and the SQL predicates, left-associative at one level: `a = b IS TRUE` is `(a = b) IS TRUE`. */
function parsePredicate(c: TokenCursor): Expression {
  const start = c.peek();
  let left = parseAdditive(c);
  for (;;) {
    const token = c.peek();
    const comparison = token.kind === 'symbol' ? COMPARISONS[token.value] : undefined;
    if (comparison !== undefined) {
      c.next();
      left = binary(comparison, left, parseAdditive(c));
      continue;
    }
    if (c.atWord('IS')) {
      c.next();
      const negated = c.acceptWord('NOT');
      if (c.acceptWords('DISTINCT', 'FROM')) {
        left = binary(negated ? 'IS NOT DISTINCT FROM' : 'IS DISTINCT FROM', left, parseAdditive(c));
        continue;
      }
      const test = c.peek();
      if (test.kind !== 'word' || !['NULL', 'TRUE', 'FALSE', 'UNKNOWN'].includes(test.value)) {
        for (const w of ['NULL', 'TRUE', 'FALSE', 'UNKNOWN', 'DISTINCT FROM']) c.expect(w);
        c.fail();
      }
      c.next();
      const is = test.value as 'NULL' | 'TRUE' | 'FALSE' | 'UNKNOWN';
      left = { kind: 'is', expression: left, test: is, negated, span: c.spanFrom(start) };
      continue;
    }
    const mark = c.position;
    const negated = c.takeWord('NOT');
    if (!negated && !['BETWEEN', 'IN', 'LIKE', 'SIMILAR'].some((w) => c.atWord(w))) return left;
    if (c.acceptWord('BETWEEN')) {
      const symmetric = c.acceptWord('SYMMETRIC');
      if (!symmetric) c.acceptWord('ASYMMETRIC');
      const low = parseAdditive(c);
      c.expectWord('AND');
      const high = parseAdditive(c);
      left = { kind: 'between', expression: left, low, high, negated, symmetric, span: c.spanFrom(start) };
    } else if (c.acceptWord('IN')) {
      c.expectSymbol('(');
      if (isQueryStart(c)) {
        const query = parseQuery(c);
        c.expectSymbol(')');
        left = { kind: 'inSubquery', expression: left, query, negated, span: c.spanFrom(start) };
      } else {
        const list = parseExpressionList(c);
        c.expectSymbol(')');
        left = { kind: 'inList', expression: left, list, negated, span: c.spanFrom(start) };
      }
    } else if (c.acceptWord('LIKE') || c.acceptWords('SIMILAR', 'TO')) {
      const operator = c.previous().value === 'LIKE' ? 'LIKE' : 'SIMILAR TO';
      const pattern = parseAdditive(c);
      const escapeChar = c.acceptWord('ESCAPE') ? parseAdditive(c) : undefined;
      left = {
        kind: 'like',
        operator,
        expression: left,
        pattern,
        ...(escapeChar === undefined ? {} : { escape: escapeChar }),
        negated,
        span: c.spanFrom(start),
      };
    } else {
      if (negated) {
        // `a NOT` followed by something else: leave NOT for the caller, which will report it.
        c.reset(mark);
      }
      return left;
    }
  }
}

/** An expression at the `+` / `-` / `||` level: no comparisons or predicates unless parenthesised. */
export function parseAdditiveExpr(c: TokenCursor): Expression {
  return parseAdditive(c);
}

function parseAdditive(c: TokenCursor): Expression {
  let left = parseMultiplicative(c);
  for (;;) {
    const token = c.peek();
    if (token.kind === 'symbol' && (token.value === '+' || token.value === '-' || token.value === '||')) {
      c.next();
      left = binary(token.value, left, parseMultiplicative(c));
    } else {
      return left;
    }
  }
}

function parseMultiplicative(c: TokenCursor): Expression {
  let left = parseUnary(c);
  for (;;) {
    const token = c.peek();
    if (token.kind === 'symbol' && (token.value === '*' || token.value === '/' || token.value === '%')) {
      c.next();
      left = binary(token.value, left, parseUnary(c));
    } else {
      return left;
    }
  }
}

function parseUnary(c: TokenCursor): Expression {
  const start = c.peek();
  if (start.kind === 'symbol' && (start.value === '-' || start.value === '+')) {
    c.next();
    const operand = parseUnary(c);
    return { kind: 'unary', operator: start.value, operand, span: c.spanFrom(start) };
  }
  return parsePostfix(c);
}

function parsePostfix(c: TokenCursor): Expression {
  const start = c.peek();
  let expression = parsePrimary(c);
  for (;;) {
    if (c.atSymbol('[')) {
      c.next();
      const index = parseExpr(c);
      c.expectSymbol(']');
      expression = { kind: 'item', expression, index, span: c.spanFrom(start) };
    } else if (c.atSymbol('.') && (c.peek(1).kind === 'word' || c.peek(1).kind === 'quoted')) {
      c.next();
      const field = c.nameAfterDot();
      expression = { kind: 'fieldAccess', expression, field, span: c.spanFrom(start) };
    } else {
      return expression;
    }
  }
}

const TIME_FUNCTIONS = new Set(['CURRENT_TIMESTAMP', 'CURRENT_DATE', 'CURRENT_TIME', 'LOCALTIME', 'LOCALTIMESTAMP']);

function parsePrimary(c: TokenCursor): Expression {
  const token = c.peek();
  switch (token.kind) {
    case 'string':
      c.next();
      return { kind: 'literal', type: 'string', value: token.value, span: token.span };
    case 'integer':
    case 'decimal':
    case 'double':
      c.next();
      return { kind: 'literal', type: token.kind, value: token.value, span: token.span };
    case 'binary':
      c.next();
      return { kind: 'literal', type: 'binary', value: token.value, span: token.span };
    case 'quoted':
      return parseNameOrCall(c);
    case 'symbol':
      if (token.value === '(') return parseParenthesised(c);
      if (token.value === '*') {
        c.next();
        return { kind: 'star', span: token.span };
      }
      if (token.value === '?') c.error('Parameters (?) are not supported', token.span);
      break;
    case 'word':
      return parseWord(c, token);
    case 'dollar':
      c.error('A $$ body is only allowed in CREATE FUNCTION', token.span);
      break;
    case 'eof':
      break;
  }
  c.expect('an expression');
  return c.fail();
}

function parseWord(c: TokenCursor, token: Token): Expression {
  const word = token.value;
  const next = c.peek(1);
  switch (word) {
    case 'TRUE':
    case 'FALSE':
    case 'NULL':
      c.next();
      return { kind: 'literal', type: word === 'NULL' ? 'null' : 'boolean', value: word, span: token.span };
    case 'DATE':
    case 'TIME':
    case 'TIMESTAMP':
      if (next.kind === 'string') {
        c.next();
        c.next();
        const type = word === 'DATE' ? 'date' : word === 'TIME' ? 'time' : 'timestamp';
        return { kind: 'literal', type, value: next.value, span: c.spanFrom(token) };
      }
      break;
    case 'INTERVAL':
      return parseInterval(c, token);
  }
  if (TIME_FUNCTIONS.has(word) && !(next.kind === 'symbol' && next.value === '(')) {
    c.next();
    return { kind: 'timeFunction', name: word as 'CURRENT_TIMESTAMP', span: token.span };
  }
  const special = parseSpecialForm(c, token);
  if (special !== undefined) return special;
  if (RESERVED.has(word) && !(RESERVED_FUNCTION_NAMES.has(word) && next.kind === 'symbol' && next.value === '(')) {
    c.expect('an expression');
    return c.fail();
  }
  return parseNameOrCall(c);
}

/** `INTERVAL [-] 'value' unit [TO unit]`. */
function parseInterval(c: TokenCursor, start: Token): Expression {
  c.next();
  let negative = false;
  if (c.acceptSymbol('-')) negative = true;
  else c.acceptSymbol('+');
  const value = c.peek();
  if (value.kind !== 'string' && value.kind !== 'integer' && value.kind !== 'decimal') {
    c.expect("an interval value ('10')");
    c.fail();
  }
  c.next();
  const from = acceptIntervalUnit(c) ?? c.fail();
  const to = c.acceptWord('TO') ? (acceptIntervalUnit(c) ?? c.fail()) : undefined;
  return {
    kind: 'interval',
    value: value.value,
    negative,
    from,
    ...(to === undefined ? {} : { to }),
    span: c.spanFrom(start),
  };
}

/** A column reference `a.b.c`, a qualified star `t.*`, or a function call `f(...)` / `db.f(...)`. */
function parseNameOrCall(c: TokenCursor): Expression {
  const start = c.peek();
  const first = nameToken(c);
  const parts: Identifier[] = [first];
  for (;;) {
    if (!c.atSymbol('.')) break;
    const after = c.peek(1);
    if (after.kind === 'symbol' && after.value === '*') {
      c.next();
      c.next();
      const qualifier: QualifiedName = { kind: 'qualifiedName', parts, span: spanOf(parts) };
      return { kind: 'star', qualifier, span: c.spanFrom(start) };
    }
    if (after.kind !== 'word' && after.kind !== 'quoted') break;
    c.next();
    parts.push(c.nameAfterDot());
  }
  const name: QualifiedName = { kind: 'qualifiedName', parts, span: spanOf(parts) };
  if (c.isSymbol('(')) return parseFunctionCall(c, name, start);
  return { kind: 'columnRef', name, span: name.span };
}

function nameToken(c: TokenCursor): Identifier {
  const token = c.next();
  return {
    kind: 'identifier',
    name: token.kind === 'quoted' ? token.value : token.text,
    quoted: token.kind === 'quoted',
    span: token.span,
  };
}

/** `(expr)`, a row `(a, b)`, or a scalar subquery `(SELECT ...)`. */
function parseParenthesised(c: TokenCursor): Expression {
  const start = c.expectSymbol('(');
  if (isQueryStart(c)) {
    const query = parseQuery(c);
    c.expectSymbol(')');
    return { kind: 'scalarSubquery', query, span: c.spanFrom(start) };
  }
  const list = parseExpressionList(c);
  c.expectSymbol(')');
  if (list.length === 1) return list[0] as Expression;
  return { kind: 'row', fields: list, span: c.spanFrom(start) };
}

/** One or more comma-separated expressions. */
export function parseExpressionList(c: TokenCursor): Expression[] {
  const list = [parseExpr(c)];
  while (c.acceptSymbol(',')) list.push(parseExpr(c));
  return list;
}

function binary(operator: BinaryOperator, left: Expression, right: Expression): Expression {
  const span: Span = {
    start: left.span.start,
    end: right.span.end,
    line: left.span.line,
    column: left.span.column,
  };
  return { kind: 'binary', operator, left, right, span };
}

function spanOf(parts: readonly Identifier[]): Span {
  const first = (parts[0] as Identifier).span;
  const last = (parts[parts.length - 1] as Identifier).span;
  return { start: first.start, end: last.end, line: first.line, column: first.column };
}
