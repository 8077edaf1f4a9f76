import type {
  CreateFunction,
  CreateTable,
  CreateView,
  Identifier,
  QualifiedName,
  Statement,
  TableColumn,
  TypeName,
} from './ast.js';
import type { Token } from './lexer.js';
import { parseExpr } from './parse-expression.js';
import { parseQuery } from './parse-query.js';
import { parseType } from './parse-type.js';
import type { TokenCursor } from './token-cursor.js';

/** `CREATE [TEMPORARY] [SYSTEM] TABLE | VIEW | FUNCTION ...`, the current token being CREATE. */
export function parseCreate(c: TokenCursor): Statement {
  const start = c.expectWord('CREATE');
  if (c.atWord('OR') && c.atWord('REPLACE', 1)) c.error('CREATE OR REPLACE is not supported', c.peek().span);
  const temporary = c.acceptWord('TEMPORARY');
  const system = c.acceptWord('SYSTEM');
  if (system) {
    c.expectWord('FUNCTION');
    return parseCreateFunction(c, start, temporary, true);
  }
  if (c.acceptWord('TABLE')) return parseCreateTable(c, start, temporary);
  if (c.acceptWord('VIEW')) return parseCreateView(c, start, temporary);
  if (c.acceptWord('FUNCTION')) return parseCreateFunction(c, start, temporary, false);
  if (c.atWord('CATALOG') || c.atWord('DATABASE')) {
    c.error(`CREATE ${c.peek().value} is not supported`, c.peek().span, 'Sluice has one catalog and one database');
  }
  return c.fail();
}

function ifNotExists(c: TokenCursor): boolean {
  return c.acceptWords('IF', 'NOT', 'EXISTS');
}

function parseCreateTable(c: TokenCursor, start: Token, temporary: boolean): CreateTable {
  const exists = ifNotExists(c);
  const name = c.qualifiedName();
  const columns: TableColumn[] = [];
  let watermark: CreateTable['watermark'];
  let primaryKey: CreateTable['primaryKey'];
  const setPrimaryKey = (key: NonNullable<CreateTable['primaryKey']>): void => {
    if (primaryKey !== undefined) c.error('Duplicate primary key definition', key.span);
    primaryKey = key;
  };
  if (c.acceptSymbol('(')) {
    do {
      const elementStart = c.peek();
      if (c.atWord('WATERMARK') && c.atWord('FOR', 1)) {
        c.next();
        c.next();
        if (watermark !== undefined) c.error('A table has at most one WATERMARK', c.spanFrom(elementStart));
        const column = c.qualifiedName();
        c.expectWord('AS');
        const expression = parseExpr(c);
        watermark = { column, expression, span: c.spanFrom(elementStart) };
      } else if (c.atWord('PRIMARY') || c.atWord('CONSTRAINT')) {
        if (c.acceptWord('CONSTRAINT')) c.identifier();
        c.expectWords('PRIMARY', 'KEY');
        const keyColumns = c.identifierList();
        const enforced = !c.acceptWords('NOT', 'ENFORCED');
        setPrimaryKey({ columns: keyColumns, enforced, span: c.spanFrom(elementStart) });
      } else {
        const [column, keyEnforced] = parseColumn(c, elementStart);
        columns.push(column);
        if (keyEnforced !== undefined)
          setPrimaryKey({ columns: [column.name], enforced: keyEnforced, span: column.span });
      }
    } while (c.acceptSymbol(','));
    c.expectSymbol(')');
  }
  const comment = c.acceptWord('COMMENT') ? c.string() : undefined;
  let partitionedBy: Identifier[] | undefined;
  if (c.acceptWords('PARTITIONED', 'BY')) partitionedBy = c.identifierList();
  const options: { key: string; value: string; span: CreateTable['span'] }[] = [];
  if (c.acceptWord('WITH')) {
    c.expectSymbol('(');
    if (!c.atSymbol(')')) {
      do {
        const optionStart = c.peek();
        const key = optionKey(c);
        c.expectSymbol('=');
        const value = optionValue(c);
        options.push({ key, value, span: c.spanFrom(optionStart) });
      } while (c.acceptSymbol(','));
    }
    c.expectSymbol(')');
  }
  let like: QualifiedName | undefined;
  if (c.acceptWord('LIKE')) {
    like = c.qualifiedName();
    if (c.acceptSymbol('(')) {
      // Like options (INCLUDING ALL, EXCLUDING OPTIONS, ...): accepted and kept only in the text.
      while (!c.atSymbol(')') && !c.atEnd()) c.next();
      c.expectSymbol(')');
    }
  }
  if (c.atWord('AS'))
    c.error('CREATE TABLE ... AS SELECT is not supported', c.peek().span, 'Create the table, then INSERT INTO it');
  if (columns.length === 0 && like === undefined) c.error('A table needs at least one column', c.spanFrom(start));
  return {
    kind: 'createTable',
    name,
    temporary,
    ifNotExists: exists,
    columns,
    ...(watermark === undefined ? {} : { watermark }),
    ...(primaryKey === undefined ? {} : { primaryKey }),
    ...(comment === undefined ? {} : { comment }),
    ...(partitionedBy === undefined ? {} : { partitionedBy }),
    ...(like === undefined ? {} : { like }),
    options,
    span: c.spanFrom(start),
  };
}

/**
 * A physical, computed (`x AS expr`) or metadata (`x TYPE METADATA [FROM 'k'] [VIRTUAL]`) column, and for a
 * column declared `PRIMARY KEY` whether the key is enforced.
 */
function parseColumn(c: TokenCursor, start: Token): [TableColumn, boolean | undefined] {
  const name = c.identifier();
  if (c.acceptWord('AS')) {
    const expression = parseExpr(c);
    const comment = c.acceptWord('COMMENT') ? c.string() : undefined;
    const column: TableColumn = {
      kind: 'computed',
      name,
      expression,
      ...(comment === undefined ? {} : { comment }),
      span: c.spanFrom(start),
    };
    return [column, undefined];
  }
  const type = parseType(c);
  if (c.acceptWord('METADATA')) {
    const from = c.acceptWord('FROM') ? c.string() : undefined;
    const virtual = c.acceptWord('VIRTUAL');
    const column: TableColumn = {
      kind: 'metadata',
      name,
      type,
      ...(from === undefined ? {} : { from }),
      virtual,
      span: c.spanFrom(start),
    };
    return [column, undefined];
  }
  if (c.acceptWord('CONSTRAINT')) {
    c.identifier();
    c.expectWord('PRIMARY');
  }
  let keyEnforced: boolean | undefined;
  if (c.acceptWords('PRIMARY', 'KEY')) keyEnforced = !c.acceptWords('NOT', 'ENFORCED');
  const comment = c.acceptWord('COMMENT') ? c.string() : undefined;
  const column: TableColumn = {
    kind: 'physical',
    name,
    type,
    primaryKey: keyEnforced !== undefined,
    ...(comment === undefined ? {} : { comment }),
    span: c.spanFrom(start),
  };
  return [column, keyEnforced];
}

/** An option key: a string, or (leniently) a dotted name. */
function optionKey(c: TokenCursor): string {
  if (c.peek().kind === 'string') return c.next().value;
  if (c.isIdentifier())
    return c
      .qualifiedName()
      .parts.map((p) => p.name)
      .join('.');
  c.expect("an option key ('connector')");
  return c.fail();
}

/** An option value: a string, or (leniently) a number or boolean as written. */
function optionValue(c: TokenCursor): string {
  const token = c.peek();
  if (token.kind === 'string') return c.next().value;
  if (token.kind === 'integer' || token.kind === 'decimal' || token.kind === 'double') return c.next().text;
  if (token.kind === 'word' && (token.value === 'TRUE' || token.value === 'FALSE')) return c.next().value.toLowerCase();
  c.expect("an option value ('json')");
  return c.fail();
}

function parseCreateView(c: TokenCursor, start: Token, temporary: boolean): CreateView {
  const exists = ifNotExists(c);
  const name = c.qualifiedName();
  const columns = c.atSymbol('(') ? c.identifierList() : undefined;
  if (c.acceptWord('COMMENT')) c.string();
  c.expectWord('AS');
  const query = parseQuery(c);
  return {
    kind: 'createView',
    name,
    temporary,
    ifNotExists: exists,
    ...(columns === undefined ? {} : { columns }),
    query,
    span: c.spanFrom(start),
  };
}

function parseCreateFunction(c: TokenCursor, start: Token, temporary: boolean, system: boolean): CreateFunction {
  const exists = ifNotExists(c);
  const name = c.qualifiedName();
  let parameters: { name: Identifier; type: TypeName }[] | undefined;
  if (c.acceptSymbol('(')) {
    parameters = [];
    if (!c.atSymbol(')')) {
      do parameters.push({ name: c.identifier(), type: parseType(c) });
      while (c.acceptSymbol(','));
    }
    c.expectSymbol(')');
  }
  const returns = c.acceptWord('RETURNS') ? parseType(c) : undefined;
  c.expectWord('AS');
  const bodyToken = c.peek();
  if (bodyToken.kind !== 'string' && bodyToken.kind !== 'dollar') {
    c.expect("a class or module name ('...')");
    c.expect('a $$ body $$');
    c.fail();
  }
  c.next();
  const offset = bodyToken.kind === 'dollar' ? 2 : 1;
  const bodySpan = {
    start: bodyToken.span.start + offset,
    end: bodyToken.span.end - offset,
    line: bodyToken.span.line,
    column: bodyToken.span.column + offset,
  };
  let language: string | undefined;
  if (c.acceptWord('LANGUAGE')) {
    const token = c.peek();
    if (token.kind !== 'word') {
      c.expect('a language (JAVASCRIPT, TYPESCRIPT, JAVA, SCALA, PYTHON)');
      c.fail();
    }
    language = c.next().value;
  }
  if (c.atWord('USING')) c.error('USING JAR is not supported', c.peek().span);
  return {
    kind: 'createFunction',
    name,
    temporary,
    ...(system ? { system } : {}),
    ifNotExists: exists,
    ...(parameters === undefined ? {} : { parameters }),
    ...(returns === undefined ? {} : { returns }),
    body: bodyToken.value,
    bodyKind: bodyToken.kind === 'dollar' ? 'inline' : 'reference',
    ...(language === undefined ? {} : { language }),
    bodySpan,
    span: c.spanFrom(start),
  };
}
