import { nearestName } from '../sql-error.js';
import type {
  ExplainStatement,
  InsertStatement,
  QueryStatement,
  ShowStatement,
  Statement,
  StatementSet,
} from './ast.js';
import { STATEMENT_KEYWORDS } from './keywords.js';
import type { Token } from './lexer.js';
import { parseCreate } from './parse-ddl.js';
import { isQueryStart, parseQuery } from './parse-query.js';
import type { TokenCursor } from './token-cursor.js';

/** One statement, without its terminating `;`. */
export function parseStatement(c: TokenCursor): Statement {
  const start = c.peek();
  if (isQueryStart(c) || c.atSymbol('(')) return parseQueryStatement(c);
  const word = start.kind === 'word' ? start.value : '';
  switch (word) {
    case 'CREATE':
      return parseCreate(c);
    case 'DROP':
      return parseDrop(c, start);
    case 'SET':
      return parseSet(c, start);
    case 'RESET': {
      c.next();
      const key = c.atEnd() || c.atSymbol(';') ? undefined : rawValue(c);
      return { kind: 'reset', ...(key === undefined ? {} : { key }), span: c.spanFrom(start) };
    }
    case 'INSERT':
      return parseInsert(c);
    case 'EXECUTE':
    case 'BEGIN':
      return parseExecute(c, start);
    case 'EXPLAIN':
      return parseExplain(c, start);
    case 'SHOW':
      return parseShow(c, start);
    case 'DESCRIBE':
    case 'DESC':
      c.next();
      return { kind: 'describe', name: c.qualifiedName(), span: c.spanFrom(start) };
    case 'USE': {
      c.next();
      if (c.atWord('MODULES')) c.error('USE MODULES is not supported', c.peek().span);
      const catalog = c.acceptWord('CATALOG');
      return { kind: 'use', catalog, name: c.qualifiedName(), span: c.spanFrom(start) };
    }
    case 'ALTER':
    case 'ANALYZE':
    case 'LOAD':
    case 'UNLOAD':
    case 'ADD':
    case 'REMOVE':
    case 'STOP':
    case 'TRUNCATE':
    case 'DELETE':
    case 'UPDATE':
      return c.error(`${word} statements are not supported`, start.span);
  }
  for (const keyword of STATEMENT_KEYWORDS) c.expect(keyword);
  const near = start.kind === 'word' ? nearestName(start.value, STATEMENT_KEYWORDS) : undefined;
  if (near !== undefined && start.value.length >= 3) {
    c.error(`Unexpected '${start.text}'; expected a statement`, start.span, `Did you mean ${near}?`);
  }
  return c.fail();
}

function parseQueryStatement(c: TokenCursor): QueryStatement {
  const start = c.peek();
  const query = parseQuery(c);
  return { kind: 'query', query, span: c.spanFrom(start) };
}

function parseDrop(c: TokenCursor, start: Token): Statement {
  c.next();
  c.acceptWord('TEMPORARY');
  c.acceptWord('SYSTEM');
  let object: 'TABLE' | 'VIEW' | 'FUNCTION';
  if (c.acceptWord('TABLE')) object = 'TABLE';
  else if (c.acceptWord('VIEW')) object = 'VIEW';
  else if (c.acceptWord('FUNCTION')) object = 'FUNCTION';
  else return c.fail();
  const ifExists = c.acceptWords('IF', 'EXISTS');
  return { kind: 'drop', object, name: c.qualifiedName(), ifExists, span: c.spanFrom(start) };
}

/** `SET`, `SET 'k' = 'v'`, or `SET k = v` with the key and value as written up to `=` and the statement end. */
function parseSet(c: TokenCursor, start: Token): Statement {
  c.next();
  if (c.atEnd() || c.atSymbol(';')) return { kind: 'set', span: c.spanFrom(start) };
  const keyStart = c.peek();
  let key: string;
  if (keyStart.kind === 'string') {
    key = c.next().value;
  } else {
    while (!c.atSymbol('=') && !c.atSymbol(';') && !c.atEnd()) c.next();
    if (c.position === 0 || c.previous() === start) c.fail();
    key = c.text.slice(keyStart.span.start, c.previous().span.end).trim();
  }
  c.expectSymbol('=');
  const value = rawValue(c);
  return { kind: 'set', key, value, span: c.spanFrom(start) };
}

/** A quoted string's value, or the text up to the statement end as written. */
function rawValue(c: TokenCursor): string {
  const first = c.peek();
  if (first.kind === 'string' && (c.atSymbol(';', 1) || c.peek(1).kind === 'eof')) return c.next().value;
  while (!c.atSymbol(';') && !c.atEnd()) c.next();
  if (c.previous().span.end <= first.span.start) {
    c.expect('a value');
    c.fail();
  }
  return c.text.slice(first.span.start, c.previous().span.end).trim();
}

/** `INSERT INTO|OVERWRITE [TABLE] t [(cols)] query`. */
export function parseInsert(c: TokenCursor): InsertStatement {
  const start = c.expectWord('INSERT');
  let overwrite = false;
  if (c.acceptWord('OVERWRITE')) overwrite = true;
  else c.expectWord('INTO');
  c.acceptWord('TABLE');
  const table = c.qualifiedName();
  if (c.atWord('PARTITION')) c.error('INSERT ... PARTITION is not supported', c.peek().span);
  const columns = c.atSymbol('(') && !isQueryStart(c, 1) ? c.identifierList() : undefined;
  const query = parseQuery(c);
  return {
    kind: 'insert',
    table,
    overwrite,
    ...(columns === undefined ? {} : { columns }),
    query,
    span: c.spanFrom(start),
  };
}

/** `EXECUTE STATEMENT SET BEGIN ... END`, `BEGIN STATEMENT SET; ... END`, `EXECUTE INSERT ...`, `EXECUTE query`. */
function parseExecute(c: TokenCursor, start: Token): Statement {
  if (c.acceptWord('EXECUTE')) {
    if (c.atWord('INSERT')) return parseInsert(c);
    if (isQueryStart(c)) return parseQueryStatement(c);
    c.expectWords('STATEMENT', 'SET');
    c.expectWord('BEGIN');
  } else {
    c.expectWords('BEGIN', 'STATEMENT', 'SET');
    c.acceptSymbol(';');
  }
  return parseStatementSetBody(c, start);
}

function parseStatementSetBody(c: TokenCursor, start: Token): StatementSet {
  const inserts: InsertStatement[] = [];
  while (!c.acceptWord('END')) {
    if (!c.isWord('INSERT')) c.fail();
    inserts.push(parseInsert(c));
    if (!c.acceptSymbol(';')) {
      c.expectWord('END');
      break;
    }
  }
  return { kind: 'statementSet', inserts, span: c.spanFrom(start) };
}

const EXPLAIN_DETAILS = ['ESTIMATED_COST', 'CHANGELOG_MODE', 'JSON_EXECUTION_PLAN', 'PLAN_ADVICE'];

function parseExplain(c: TokenCursor, start: Token): ExplainStatement {
  c.next();
  const details: string[] = [];
  if (c.acceptWords('PLAN', 'FOR')) {
    // the default
  } else {
    while (EXPLAIN_DETAILS.some((d) => c.atWord(d))) {
      details.push(c.next().value);
      if (!c.acceptSymbol(',')) break;
    }
  }
  const stmtStart = c.peek();
  let statement: ExplainStatement['statement'];
  if (c.isWord('INSERT')) statement = parseInsert(c);
  else if (c.isWord('EXECUTE') || c.isWord('BEGIN')) {
    const inner = parseExecute(c, stmtStart);
    if (inner.kind !== 'insert' && inner.kind !== 'query' && inner.kind !== 'statementSet') return c.fail();
    statement = inner;
  } else if (c.atWord('STATEMENT')) {
    c.expectWords('STATEMENT', 'SET', 'BEGIN');
    statement = parseStatementSetBody(c, stmtStart);
  } else if (isQueryStart(c) || c.atSymbol('(')) statement = parseQueryStatement(c);
  else {
    for (const d of EXPLAIN_DETAILS) c.expect(d);
    c.expect('PLAN FOR');
    return c.fail();
  }
  return { kind: 'explain', details, statement, span: c.spanFrom(start) };
}

const SHOWABLE: readonly ShowStatement['what'][] = ['TABLES', 'VIEWS', 'FUNCTIONS', 'CATALOGS', 'DATABASES', 'JOBS'];

function parseShow(c: TokenCursor, start: Token): ShowStatement {
  c.next();
  for (const what of SHOWABLE) {
    if (c.acceptWord(what)) return { kind: 'show', what, span: c.spanFrom(start) };
  }
  if (c.acceptWords('USER', 'FUNCTIONS')) return { kind: 'show', what: 'USER FUNCTIONS', span: c.spanFrom(start) };
  if (c.acceptWord('CREATE')) {
    let what: ShowStatement['what'];
    if (c.acceptWord('TABLE')) what = 'CREATE TABLE';
    else if (c.acceptWord('VIEW')) what = 'CREATE VIEW';
    else return c.fail();
    return { kind: 'show', what, name: c.qualifiedName(), span: c.spanFrom(start) };
  }
  c.expect('USER FUNCTIONS');
  c.expect('CREATE TABLE');
  c.expect('CREATE VIEW');
  return c.fail();
}
