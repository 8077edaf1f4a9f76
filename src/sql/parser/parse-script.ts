import type { Expression, Script, Statement } from './ast.js';
import { tokenize } from './lexer.js';
import { parseExpr } from './parse-expression.js';
import { parseStatement } from './parse-statement.js';
import { TokenCursor } from './token-cursor.js';

/**
 * Parses a SQL script: statements separated by `;` (the last one may omit it; empty statements are skipped).
 * `source` names the script in errors (a file path or `<inline>`). `${VAR}` placeholders must already be
 * substituted. Throws SqlError, with line:column, the quoted line and a caret, at the first syntax error.
 * Time is linear in the length of the text.
 */
export function parseScript(text: string, source: string): Script {
  const c = new TokenCursor(tokenize(text, source), text, source);
  const statements: Statement[] = [];
  for (;;) {
    while (c.acceptSymbol(';')) {
      // empty statement
    }
    if (c.atEnd()) break;
    statements.push(parseStatement(c));
    if (c.atEnd()) break;
    c.expectSymbol(';');
  }
  return { statements, text, source };
}

/** Parses one expression, the whole of `text` (for tests and tools). Throws SqlError like {@link parseScript}. */
export function parseExpression(text: string, source: string): Expression {
  const c = new TokenCursor(tokenize(text, source), text, source);
  const expression = parseExpr(c);
  if (!c.atEnd()) {
    c.expect('end of input');
    c.fail();
  }
  return expression;
}
