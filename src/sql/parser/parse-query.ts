import type {
  Expression,
  GroupBy,
  GroupingItem,
  Identifier,
  OrderItem,
  Query,
  Select,
  SelectItem,
  Span,
  TableRef,
  WindowSpec,
  WithQuery,
} from './ast.js';
import type { Token } from './lexer.js';
import { parseExpr, parseExpressionList } from './parse-expression.js';
import { parseFrom } from './parse-table-ref.js';
import { parseOrderItems, parseWindowSpec } from './parse-window-spec.js';
import type { TokenCursor } from './token-cursor.js';

/** Whether a query starts `k` tokens ahead: SELECT, WITH or VALUES, possibly behind opening parentheses. */
export function isQueryStart(c: TokenCursor, k = 0): boolean {
  while (c.atSymbol('(', k)) k++;
  if (k === 0) {
    // Record the alternatives for the error message without consuming anything.
    return c.isWord('SELECT') || c.isWord('WITH') || c.isWord('VALUES');
  }
  return c.atWord('SELECT', k) || c.atWord('WITH', k) || c.atWord('VALUES', k);
}

/**
 * A query: `[WITH ...] select | values | (query)` combined by UNION / EXCEPT (left to right) and INTERSECT (binding
 * tighter), then ORDER BY, LIMIT / OFFSET / FETCH FIRST n ROWS ONLY for the whole.
 */
export function parseQuery(c: TokenCursor): Query {
  const start = c.peek();
  if (c.acceptWord('WITH')) {
    const ctes: { name: Identifier; columns?: Identifier[]; query: Query }[] = [];
    do {
      const name = c.identifier();
      const columns = c.atSymbol('(') ? c.identifierList() : undefined;
      c.expectWord('AS');
      c.expectSymbol('(');
      const query = parseQuery(c);
      c.expectSymbol(')');
      ctes.push({ name, ...(columns === undefined ? {} : { columns }), query });
    } while (c.acceptSymbol(','));
    const body = parseQuery(c);
    const withQuery: WithQuery = { kind: 'with', ctes, body, span: c.spanFrom(start) };
    return withQuery;
  }
  let query = parseUnion(c);
  const orderBy = c.atWord('ORDER') && c.next() && c.expectWord('BY') ? parseOrderItems(c) : undefined;
  if (orderBy === undefined) c.expect('ORDER BY');
  let limit: Expression | undefined;
  let offset: Expression | undefined;
  for (;;) {
    if (limit === undefined && c.acceptWord('LIMIT')) {
      limit = parseExpr(c);
      if (c.acceptSymbol(',')) {
        // MySQL's LIMIT offset, count.
        offset = limit;
        limit = parseExpr(c);
      }
    } else if (offset === undefined && c.acceptWord('OFFSET')) {
      offset = parseExpr(c);
      if (!c.acceptWord('ROWS')) c.acceptWord('ROW');
    } else if (limit === undefined && c.acceptWord('FETCH')) {
      if (!c.acceptWord('FIRST')) c.expectWord('NEXT');
      limit = parseExpr(c);
      if (!c.acceptWord('ROWS')) c.expectWord('ROW');
      c.expectWord('ONLY');
    } else {
      break;
    }
  }
  if (orderBy !== undefined || limit !== undefined || offset !== undefined) {
    query = withTail(query, orderBy, limit, offset, c.spanFrom(start));
  }
  return query;
}

/** Puts ORDER BY / LIMIT / OFFSET on the query, or on `SELECT * FROM (query)` when it already has its own. */
function withTail(
  query: Query,
  orderBy: OrderItem[] | undefined,
  limit: Expression | undefined,
  offset: Expression | undefined,
  span: Span,
): Query {
  const tail = {
    ...(orderBy === undefined ? {} : { orderBy }),
    ...(limit === undefined ? {} : { limit }),
    ...(offset === undefined ? {} : { offset }),
  };
  if (
    query.kind === 'select' &&
    query.orderBy === undefined &&
    query.limit === undefined &&
    query.offset === undefined
  ) {
    return { ...query, ...tail, span };
  }
  if (
    query.kind === 'setOperation' &&
    query.orderBy === undefined &&
    query.limit === undefined &&
    offset === undefined
  ) {
    return { ...query, ...tail, span };
  }
  const star: Expression = { kind: 'star', span: query.span };
  const from: TableRef = { kind: 'subquery', query, span: query.span };
  return { kind: 'select', distinct: false, items: [{ expression: star, span: query.span }], from, ...tail, span };
}

function parseUnion(c: TokenCursor): Query {
  const start = c.peek();
  let left = parseIntersect(c);
  for (;;) {
    const word = c.isWord('UNION') ? 'UNION' : c.isWord('EXCEPT') || c.atWord('MINUS') ? 'EXCEPT' : undefined;
    if (word === undefined) return left;
    c.next();
    const all = c.acceptWord('ALL');
    if (!all) c.acceptWord('DISTINCT');
    const right = parseIntersect(c);
    left = { kind: 'setOperation', operator: word, all, left, right, span: c.spanFrom(start) };
  }
}

function parseIntersect(c: TokenCursor): Query {
  const start = c.peek();
  let left = parseQueryPrimary(c);
  while (c.acceptWord('INTERSECT')) {
    const all = c.acceptWord('ALL');
    if (!all) c.acceptWord('DISTINCT');
    const right = parseQueryPrimary(c);
    left = { kind: 'setOperation', operator: 'INTERSECT', all, left, right, span: c.spanFrom(start) };
  }
  return left;
}

function parseQueryPrimary(c: TokenCursor): Query {
  const start = c.peek();
  if (c.isWord('SELECT')) return parseSelect(c, start);
  if (c.acceptWord('VALUES')) {
    const rows: Expression[][] = [];
    do {
      if (c.acceptSymbol('(')) {
        rows.push(parseExpressionList(c));
        c.expectSymbol(')');
      } else {
        rows.push([parseExpr(c)]);
      }
    } while (c.acceptSymbol(','));
    return { kind: 'values', rows, span: c.spanFrom(start) };
  }
  if (c.acceptSymbol('(')) {
    const query = parseQuery(c);
    c.expectSymbol(')');
    return query;
  }
  c.isWord('WITH');
  return c.fail();
}

function parseSelect(c: TokenCursor, start: Token): Select {
  c.expectWord('SELECT');
  const distinct = c.acceptWord('DISTINCT');
  if (!distinct) c.acceptWord('ALL');
  const items: SelectItem[] = [];
  do items.push(parseSelectItem(c));
  while (c.acceptSymbol(','));
  const from = c.acceptWord('FROM') ? parseFrom(c) : undefined;
  const where = c.acceptWord('WHERE') ? parseExpr(c) : undefined;
  const groupBy = c.atWord('GROUP') ? parseGroupBy(c) : undefined;
  if (groupBy === undefined) c.expect('GROUP BY');
  const having = c.acceptWord('HAVING') ? parseExpr(c) : undefined;
  let windows: { name: Identifier; spec: WindowSpec }[] | undefined;
  if (c.acceptWord('WINDOW')) {
    windows = [];
    do {
      const name = c.identifier();
      c.expectWord('AS');
      windows.push({ name, spec: parseWindowSpec(c) });
    } while (c.acceptSymbol(','));
  }
  return {
    kind: 'select',
    distinct,
    items,
    ...(from === undefined ? {} : { from }),
    ...(where === undefined ? {} : { where }),
    ...(groupBy === undefined ? {} : { groupBy }),
    ...(having === undefined ? {} : { having }),
    ...(windows === undefined ? {} : { windows }),
    span: c.spanFrom(start),
  };
}

function parseSelectItem(c: TokenCursor): SelectItem {
  const start = c.peek();
  const expression = parseExpr(c);
  let alias: Identifier | undefined;
  if (expression.kind !== 'star') {
    if (c.acceptWord('AS')) {
      alias = c.identifier();
    } else if (c.isIdentifier()) {
      c.noteImplicitAlias(c.peek());
      alias = c.identifier();
    } else {
      c.expect('AS');
      c.expect('an alias');
    }
  }
  return { expression, ...(alias === undefined ? {} : { alias }), span: c.spanFrom(start) };
}

function parseGroupBy(c: TokenCursor): GroupBy {
  const start = c.expectWord('GROUP');
  c.expectWord('BY');
  const items: GroupingItem[] = [];
  do {
    if (c.atWord('GROUPING') && c.atWord('SETS', 1)) {
      c.next();
      c.next();
      c.expectSymbol('(');
      const sets: Expression[][] = [];
      do sets.push(parseGroupingSet(c));
      while (c.acceptSymbol(','));
      c.expectSymbol(')');
      items.push({ kind: 'groupingSets', sets });
    } else if ((c.atWord('ROLLUP') || c.atWord('CUBE')) && c.atSymbol('(', 1)) {
      const kind = c.next().value === 'ROLLUP' ? 'rollup' : 'cube';
      c.next();
      const expressions = parseExpressionList(c);
      c.expectSymbol(')');
      items.push({ kind, expressions });
    } else {
      items.push({ kind: 'expression', expression: parseExpr(c) });
    }
  } while (c.acceptSymbol(','));
  return { items, span: c.spanFrom(start) };
}

/** One set of GROUPING SETS: `(a, b)`, `()` or `a`. */
function parseGroupingSet(c: TokenCursor): Expression[] {
  if (c.atSymbol('(')) {
    c.next();
    if (c.acceptSymbol(')')) return [];
    const list = parseExpressionList(c);
    c.expectSymbol(')');
    return list;
  }
  return [parseExpr(c)];
}
