import type { Expression, Identifier, JoinTableRef, TableFunctionArg, TableRef } from './ast.js';
import type { Token } from './lexer.js';
import { parseExpr, parseExpressionList } from './parse-expression.js';
import { isQueryStart, parseQuery } from './parse-query.js';
import type { TokenCursor } from './token-cursor.js';

/** The FROM clause: table references joined by JOIN, and comma-separated ones as a chain of cross joins. */
export function parseFrom(c: TokenCursor): TableRef {
  const start = c.peek();
  let left = parseJoined(c);
  while (c.acceptSymbol(',')) {
    const right = parseJoined(c);
    left = { kind: 'join', joinType: 'CROSS', left, right, span: c.spanFrom(start) };
  }
  return left;
}

function parseJoined(c: TokenCursor): TableRef {
  const start = c.peek();
  let left = parseTablePrimary(c);
  for (;;) {
    let joinType: JoinTableRef['joinType'];
    if (c.acceptWords('CROSS', 'JOIN')) {
      joinType = 'CROSS';
    } else if (c.acceptWord('JOIN') || c.acceptWords('INNER', 'JOIN')) {
      joinType = 'INNER';
    } else if (c.isWord('LEFT') || c.isWord('RIGHT') || c.isWord('FULL')) {
      joinType = c.next().value as 'LEFT' | 'RIGHT' | 'FULL';
      c.acceptWord('OUTER');
      c.expectWord('JOIN');
    } else if (c.atWord('NATURAL')) {
      return c.error('NATURAL JOIN is not supported', c.peek().span, 'Write the join condition with ON or USING');
    } else if (c.atWord('CROSS') && c.atWord('APPLY', 1)) {
      return c.error('CROSS APPLY is not supported', c.peek().span, 'Use CROSS JOIN LATERAL TABLE(...)');
    } else {
      return left;
    }
    const right = parseTablePrimary(c);
    let on: Expression | undefined;
    let using: Identifier[] | undefined;
    if (joinType !== 'CROSS') {
      if (c.acceptWord('ON')) on = parseExpr(c);
      else if (c.acceptWord('USING')) using = c.identifierList();
      else c.fail();
    }
    left = {
      kind: 'join',
      joinType,
      left,
      right,
      ...(on === undefined ? {} : { on }),
      ...(using === undefined ? {} : { using }),
      span: c.spanFrom(start),
    };
  }
}

function parseTablePrimary(c: TokenCursor): TableRef {
  const start = c.peek();
  if (c.atWord('TABLE') && c.atSymbol('(', 1)) {
    c.next();
    c.next();
    const ref = parseTableFunction(c, start);
    c.expectSymbol(')');
    return { ...ref, ...parseAlias(c), span: c.spanFrom(start) };
  }
  if (c.acceptWord('LATERAL')) {
    if (!c.isWord('TABLE')) c.error('Only LATERAL TABLE(function(...)) is supported', c.peek().span);
    c.next();
    c.expectSymbol('(');
    const callStart = c.peek();
    const call = parseExpr(c);
    if (call.kind !== 'call') c.error('LATERAL TABLE needs a table function call', c.spanFrom(callStart));
    c.expectSymbol(')');
    return { kind: 'lateral', call, ...parseAlias(c), span: c.spanFrom(start) };
  }
  if (c.atWord('UNNEST') && c.atSymbol('(', 1)) {
    c.next();
    c.next();
    const expressions = parseExpressionList(c);
    c.expectSymbol(')');
    const withOrdinality = c.acceptWords('WITH', 'ORDINALITY');
    return { kind: 'unnest', expressions, withOrdinality, ...parseAlias(c), span: c.spanFrom(start) };
  }
  if (c.atSymbol('(')) {
    if (isQueryStart(c, 1)) {
      c.next();
      const query = parseQuery(c);
      c.expectSymbol(')');
      return { kind: 'subquery', query, ...parseAlias(c), span: c.spanFrom(start) };
    }
    c.next();
    const inner = parseFrom(c);
    c.expectSymbol(')');
    return inner;
  }
  if (!c.isIdentifier()) {
    c.expect('a table name');
    c.fail();
  }
  const name = c.qualifiedName();
  let systemTimeAsOf: Expression | undefined;
  if (c.acceptWord('FOR')) {
    c.expectWords('SYSTEM_TIME', 'AS', 'OF');
    systemTimeAsOf = parseExpr(c);
  }
  if (c.atWord('MATCH_RECOGNIZE')) c.error('MATCH_RECOGNIZE is not supported', c.peek().span);
  return {
    kind: 'table',
    name,
    ...(systemTimeAsOf === undefined ? {} : { systemTimeAsOf }),
    ...parseAlias(c),
    span: c.spanFrom(start),
  };
}

/** `[AS] alias [(c1, c2)]`, or nothing. */
function parseAlias(c: TokenCursor): { alias?: Identifier; columnAliases?: Identifier[] } {
  let alias: Identifier | undefined;
  if (c.acceptWord('AS')) {
    alias = c.identifier();
  } else if (c.isIdentifier()) {
    c.noteImplicitAlias(c.peek());
    alias = c.identifier();
  } else {
    return {};
  }
  const columnAliases = c.atSymbol('(') ? c.identifierList() : undefined;
  return { alias, ...(columnAliases === undefined ? {} : { columnAliases }) };
}

/** Inside `TABLE(`: `TUMBLE(TABLE bid, DESCRIPTOR(ts), INTERVAL '10' SECOND)`, arguments optionally named. */
function parseTableFunction(c: TokenCursor, start: Token): TableRef & { kind: 'tableFunction' } {
  const name = c.qualifiedName();
  c.expectSymbol('(');
  const args: TableFunctionArg[] = [];
  if (!c.atSymbol(')')) {
    do args.push(parseTableFunctionArg(c));
    while (c.acceptSymbol(','));
  }
  c.expectSymbol(')');
  return {
    kind: 'tableFunction',
    name: name.parts.map((p) => p.name.toUpperCase()).join('.'),
    args,
    span: c.spanFrom(start),
  };
}

function parseTableFunctionArg(c: TokenCursor): TableFunctionArg {
  let name: string | undefined;
  if (c.atSymbol('=>', 1) && (c.peek().kind === 'word' || c.peek().kind === 'quoted')) {
    name = c.next().value.toUpperCase();
    c.next();
  }
  const named = name === undefined ? {} : { name };
  if (c.atWord('DESCRIPTOR') && c.atSymbol('(', 1)) {
    c.next();
    return { kind: 'descriptorArg', ...named, columns: c.identifierList() };
  }
  const tableStart = c.peek();
  let table: TableRef | undefined;
  if (c.acceptWord('TABLE')) {
    if (c.atSymbol('(') && isQueryStart(c, 1)) {
      c.next();
      const query = parseQuery(c);
      c.expectSymbol(')');
      table = { kind: 'subquery', query, span: c.spanFrom(tableStart) };
    } else {
      const tableName = c.qualifiedName();
      table = { kind: 'table', name: tableName, span: tableName.span };
    }
  } else if (c.atSymbol('(') && isQueryStart(c, 1)) {
    c.next();
    const query = parseQuery(c);
    c.expectSymbol(')');
    table = { kind: 'subquery', query, span: c.spanFrom(tableStart) };
  }
  if (table !== undefined) {
    const partitionBy = c.acceptWords('PARTITION', 'BY') ? parsePartitionKeys(c) : undefined;
    return { kind: 'tableArg', ...named, table, ...(partitionBy === undefined ? {} : { partitionBy }) };
  }
  return { kind: 'expressionArg', ...named, expression: parseExpr(c) };
}

/** `PARTITION BY k` or `PARTITION BY (k1, k2)`; a comma after a bare key starts the next argument. */
function parsePartitionKeys(c: TokenCursor): Expression[] {
  if (c.atSymbol('(') && !isQueryStart(c, 1)) {
    c.next();
    const keys = parseExpressionList(c);
    c.expectSymbol(')');
    return keys;
  }
  return [parseExpr(c)];
}
