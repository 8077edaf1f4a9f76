import type { Expression, FunctionCall, Identifier, QualifiedName, WindowSpec } from './ast.js';
import type { Token } from './lexer.js';
import { parseExpr } from './parse-expression.js';
import { parseWindowSpec } from './parse-window-spec.js';
import type { TokenCursor } from './token-cursor.js';

/**
 * The rest of a call after its name: `(args)` or `(*)` or `(DISTINCT a)`, then `FILTER (WHERE cond)` and
 * `OVER w` / `OVER (window spec)`. The current token is the `(`.
 */
export function parseFunctionCall(c: TokenCursor, name: QualifiedName, start: Token): FunctionCall {
  c.expectSymbol('(');
  let distinct = false;
  const args: Expression[] = [];
  if (c.acceptWord('DISTINCT')) distinct = true;
  else c.acceptWord('ALL');
  if (c.atSymbol('*') && c.atSymbol(')', 1)) {
    const star = c.next();
    args.push({ kind: 'star', span: star.span });
  } else if (!c.atSymbol(')')) {
    do {
      if (c.peek(1).kind === 'symbol' && c.peek(1).value === '=>' && c.isIdentifier()) {
        c.error('Named arguments are only supported in window table functions', c.peek().span);
      }
      args.push(parseExpr(c));
    } while (c.acceptSymbol(','));
  }
  c.expectSymbol(')');
  let filter: Expression | undefined;
  if (c.atWord('FILTER') && c.atSymbol('(', 1)) {
    c.next();
    c.next();
    c.expectWord('WHERE');
    filter = parseExpr(c);
    c.expectSymbol(')');
  }
  if (c.atWord('WITHIN') && c.atWord('GROUP', 1)) c.error('WITHIN GROUP is not supported', c.peek().span);
  let over: WindowSpec | Identifier | undefined;
  if (c.takeWord('OVER')) over = c.isSymbol('(') ? parseWindowSpec(c) : c.identifier();
  return {
    kind: 'call',
    name,
    args,
    distinct,
    ...(filter === undefined ? {} : { filter }),
    ...(over === undefined ? {} : { over }),
    span: c.spanFrom(start),
  };
}
