import type { Expression, FrameBound, OrderItem, WindowFrame, WindowSpec } from './ast.js';
import { parseExpr, parseExpressionList } from './parse-expression.js';
import type { TokenCursor } from './token-cursor.js';

/**
 * `(PARTITION BY a, b ORDER BY c DESC ROWS BETWEEN 10 PRECEDING AND CURRENT ROW)`, the current token being `(`.
 * Every part is optional.
 */
export function parseWindowSpec(c: TokenCursor): WindowSpec {
  const start = c.expectSymbol('(');
  let partitionBy: Expression[] = [];
  let orderBy: OrderItem[] = [];
  let frame: WindowFrame | undefined;
  if (c.acceptWords('PARTITION', 'BY')) partitionBy = parseExpressionList(c);
  if (c.acceptWords('ORDER', 'BY')) orderBy = parseOrderItems(c);
  if (c.isWord('ROWS') || c.isWord('RANGE')) {
    const unit = c.next().value as 'ROWS' | 'RANGE';
    if (c.acceptWord('BETWEEN')) {
      const startBound = parseFrameBound(c);
      c.expectWord('AND');
      frame = { unit, start: startBound, end: parseFrameBound(c) };
    } else {
      frame = { unit, start: parseFrameBound(c) };
    }
  }
  c.expectSymbol(')');
  return {
    kind: 'windowSpec',
    partitionBy,
    orderBy,
    ...(frame === undefined ? {} : { frame }),
    span: c.spanFrom(start),
  };
}

function parseFrameBound(c: TokenCursor): FrameBound {
  if (c.acceptWord('UNBOUNDED')) {
    if (c.acceptWord('PRECEDING')) return { kind: 'unboundedPreceding' };
    c.expectWord('FOLLOWING');
    return { kind: 'unboundedFollowing' };
  }
  if (c.acceptWords('CURRENT', 'ROW')) return { kind: 'currentRow' };
  const offset = parseExpr(c);
  if (c.acceptWord('PRECEDING')) return { kind: 'preceding', offset };
  c.expectWord('FOLLOWING');
  return { kind: 'following', offset };
}

/** `a [ASC|DESC] [NULLS FIRST|LAST], ...`. */
export function parseOrderItems(c: TokenCursor): OrderItem[] {
  const items: OrderItem[] = [];
  do {
    const start = c.peek();
    const expression = parseExpr(c);
    let descending = false;
    if (c.acceptWord('DESC')) descending = true;
    else c.acceptWord('ASC');
    let nullsFirst: boolean | undefined;
    if (c.acceptWords('NULLS', 'FIRST')) nullsFirst = true;
    else if (c.acceptWords('NULLS', 'LAST')) nullsFirst = false;
    items.push({
      expression,
      descending,
      ...(nullsFirst === undefined ? {} : { nullsFirst }),
      span: c.spanFrom(start),
    });
  } while (c.acceptSymbol(','));
  return items;
}
