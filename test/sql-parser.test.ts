// biome-ignore-all lint/suspicious/noTemplateCurlyInString: SQL text with ${VAR} placeholders and JavaScript bodies
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { fileSourceDdl } from '../bench/nexmark/sql-script.js';
import type {
  BinaryOperator,
  CreateFunction,
  CreateTable,
  CreateView,
  Expression,
  InsertStatement,
  Select,
  Statement,
  TypeName,
} from '../src/sql/parser/ast.js';
import { formatExpression } from '../src/sql/parser/format-expression.js';
import { parseExpression, parseScript } from '../src/sql/parser/parse-script.js';
import { SqlError } from '../src/sql/sql-error.js';

/** The reference Nexmark SQL of the benchmark, copied from the reference suite. */
const NEXMARK_DIR = join(import.meta.dirname, '..', 'bench', 'nexmark', 'sql');

/** Fills `${VAR}` placeholders as the CLI does before parsing. */
function substitute(text: string): string {
  return text.replaceAll('${NEXMARK_TABLE}', 'datagen').replace(/\$\{[A-Z_]+\}/g, '1000');
}

function nexmark(file: string): readonly Statement[] {
  return parseScript(substitute(readFileSync(join(NEXMARK_DIR, file), 'utf8')), file).statements;
}

/** The tree without spans, to compare shapes. */
function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => k !== 'span' && k !== 'bodySpan')
        .map(([k, v]) => [k, strip(v)]),
    );
  }
  return value;
}

function fmt(sql: string): string {
  return formatExpression(parseExpression(sql, 'e'));
}

function insertSelect(statement: Statement | undefined): Select {
  assert.equal(statement?.kind, 'insert');
  const query = (statement as InsertStatement).query;
  assert.equal(query.kind, 'select');
  return query as Select;
}

test('every Nexmark query and DDL file parses', () => {
  const files = readdirSync(NEXMARK_DIR).filter((f) => f.endsWith('.sql'));
  assert.ok(files.length >= 20);
  for (const file of files) {
    const statements = nexmark(file);
    assert.ok(statements.length >= 1, file);
    if (file.startsWith('q')) assert.equal(statements.at(-1)?.kind, 'insert', file);
  }
});

test('the nexmark source DDL: nested ROW columns, a computed rowtime, a watermark, options', () => {
  const [table] = nexmark('ddl_gen.sql') as [CreateTable];
  assert.equal(table.kind, 'createTable');
  assert.deepEqual(
    table.columns.map((c) => [c.kind, c.name.name]),
    [
      ['physical', 'event_type'],
      ['physical', 'person'],
      ['physical', 'auction'],
      ['physical', 'bid'],
      ['computed', 'dateTime'],
    ],
  );
  const person = table.columns[1];
  assert.ok(person?.kind === 'physical' && person.type.kind === 'rowType');
  assert.equal(person.type.fields.length, 8);
  assert.deepEqual(strip(person.type.fields[6]), {
    name: { kind: 'identifier', name: 'dateTime', quoted: true },
    type: { kind: 'simpleType', name: 'TIMESTAMP', args: [3], nullable: true },
  });
  assert.deepEqual(strip(table.columns[0]), {
    kind: 'physical',
    name: { kind: 'identifier', name: 'event_type', quoted: false },
    type: { kind: 'simpleType', name: 'INT', args: [], nullable: true },
    primaryKey: false,
  });
  const computed = table.columns[4];
  assert.ok(computed?.kind === 'computed');
  assert.equal(
    formatExpression(computed.expression),
    'CASE WHEN (event_type = 0) THEN person.`dateTime` WHEN (event_type = 1) THEN auction.`dateTime` ELSE bid.`dateTime` END',
  );
  assert.equal(table.watermark?.column.parts[0]?.name, 'dateTime');
  assert.equal(table.watermark && formatExpression(table.watermark.expression), "(`dateTime` - INTERVAL '4' SECOND)");
  assert.deepEqual(table.options[0] && { key: table.options[0].key, value: table.options[0].value }, {
    key: 'connector',
    value: 'nexmark',
  });
  assert.equal(table.options.length, 7);
});

test('views over the source, and q12 view with * and PROCTIME()', () => {
  const views = nexmark('ddl_views.sql') as CreateView[];
  assert.deepEqual(
    views.map((v) => v.name.parts[0]?.name),
    ['person', 'auction', 'bid'],
  );
  const bid = views[2]?.query as Select;
  assert.equal(bid.items.length, 7);
  assert.deepEqual(strip(bid.items[0]?.expression), {
    kind: 'columnRef',
    name: {
      kind: 'qualifiedName',
      parts: [
        { kind: 'identifier', name: 'bid', quoted: false },
        { kind: 'identifier', name: 'auction', quoted: false },
      ],
    },
  });
  assert.equal(bid.where && formatExpression(bid.where), '(event_type = 2)');
  const view = nexmark('q12.sql')[1] as CreateView;
  const select = view.query as Select;
  assert.equal(select.items[0]?.expression.kind, 'star');
  assert.equal(select.items[1]?.alias?.name, 'p_time');
});

test('q5: HOP window TVF in subqueries joined with ON', () => {
  const select = insertSelect(nexmark('q5.sql')[1]);
  const from = select.from;
  assert.ok(from?.kind === 'join' && from.joinType === 'INNER');
  assert.equal(
    from.on && formatExpression(from.on),
    '(((AuctionBids.starttime = MaxBids.starttime) AND (AuctionBids.endtime = MaxBids.endtime)) AND (AuctionBids.num >= MaxBids.maxn))',
  );
  assert.ok(from.left.kind === 'subquery' && from.left.alias?.name === 'AuctionBids');
  const inner = from.left.query as Select;
  const hop = inner.from;
  assert.ok(hop?.kind === 'tableFunction');
  assert.equal(hop.name, 'HOP');
  assert.deepEqual(
    hop.args.map((a) => a.kind),
    ['tableArg', 'descriptorArg', 'expressionArg', 'expressionArg'],
  );
  const [table, descriptor] = hop.args;
  assert.ok(table?.kind === 'tableArg' && table.table.kind === 'table' && table.table.name.parts[0]?.name === 'bid');
  assert.ok(descriptor?.kind === 'descriptorArg' && descriptor.columns[0]?.name === 'dateTime');
  assert.deepEqual(
    inner.groupBy?.items.map((i) => i.kind === 'expression' && formatExpression(i.expression)),
    ['auction', 'window_start', 'window_end'],
  );
});

test('q4 comma join and BETWEEN; q9 A.* and ROW_NUMBER OVER; q11 legacy group window; q15 FILTER and DISTINCT', () => {
  const q4 = insertSelect(nexmark('q4.sql')[1]);
  assert.ok(q4.from?.kind === 'subquery' && q4.from.alias?.name === 'Q');
  const inner = q4.from.query as Select;
  assert.ok(inner.from?.kind === 'join' && inner.from.joinType === 'CROSS' && inner.from.on === undefined);
  assert.equal(
    inner.where && formatExpression(inner.where),
    '((A.id = B.auction) AND (B.`dateTime` BETWEEN A.`dateTime` AND A.expires))',
  );
  const q9 = insertSelect(nexmark('q9.sql')[1]);
  assert.ok(q9.from?.kind === 'subquery' && q9.from.alias === undefined);
  const ranked = q9.from.query as Select;
  assert.equal(
    ranked.items[0]?.expression.kind === 'star' && ranked.items[0].expression.qualifier?.parts[0]?.name,
    'A',
  );
  assert.equal(
    formatExpression((ranked.items[6] as { expression: Expression }).expression),
    'ROW_NUMBER() OVER (PARTITION BY A.id ORDER BY B.price DESC, B.`dateTime`)',
  );
  const q11 = insertSelect(nexmark('q11.sql')[1]);
  const session = q11.groupBy?.items[1];
  assert.equal(
    session?.kind === 'expression' && formatExpression(session.expression),
    "SESSION(B.`dateTime`, INTERVAL '10' SECOND)",
  );
  const q15 = insertSelect(nexmark('q15.sql')[1]);
  assert.equal(
    formatExpression(q15.items[6]?.expression as Expression),
    'count(DISTINCT bidder) FILTER (WHERE (price < 10000))',
  );
  assert.equal(formatExpression(q15.items[1]?.expression as Expression), 'count(*)');
  const q14 = nexmark('q14.sql')[0] as CreateFunction;
  assert.deepEqual(strip(q14), {
    kind: 'createFunction',
    name: { kind: 'qualifiedName', parts: [{ kind: 'identifier', name: 'count_char', quoted: false }] },
    temporary: false,
    ifNotExists: false,
    body: 'com.github.nexmark.flink.udf.CountChar',
    bodyKind: 'reference',
  });
});

test('the issue example: filesystem table, inline JavaScript function, HOP aggregation', () => {
  const text = `CREATE TABLE bids (auction BIGINT, bidder BIGINT, price BIGINT, dateTime TIMESTAMP(3),
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH ('connector' = 'filesystem', 'path' = 'bids.jsonl', 'format' = 'json');
CREATE FUNCTION cents AS $$ (price) => price % 100 $$ LANGUAGE JAVASCRIPT;
INSERT INTO out SELECT auction, window_end, COUNT(*) FROM TABLE(HOP(TABLE bids, DESCRIPTOR(dateTime), INTERVAL '2' SECOND, INTERVAL '10' SECOND)) WHERE cents(price) <> 13 GROUP BY auction, window_start, window_end;
`;
  const [table, fn, insert] = parseScript(text, 'issue.sql').statements as [
    CreateTable,
    CreateFunction,
    InsertStatement,
  ];
  assert.equal(table.columns.length, 4);
  assert.deepEqual(
    table.options.map((o) => `${o.key}=${o.value}`),
    ['connector=filesystem', 'path=bids.jsonl', 'format=json'],
  );
  assert.equal(fn.body, ' (price) => price % 100 ');
  assert.equal(fn.bodyKind, 'inline');
  assert.equal(fn.language, 'JAVASCRIPT');
  assert.equal(text.slice(fn.bodySpan.start, fn.bodySpan.end), fn.body);
  assert.deepEqual([fn.bodySpan.line, fn.bodySpan.column], [4, 28]);
  assert.equal(insert.table.parts[0]?.name, 'out');
  const select = insert.query as Select;
  assert.equal(select.where && formatExpression(select.where), '(cents(price) <> 13)');
  assert.equal(select.from?.kind, 'tableFunction');
});

test("the peer's filesystem DDL for Nexmark events", () => {
  const ddl = fileSourceDdl('nexmark_events', "/tmp/it's/events.jsonl");
  const [table] = parseScript(ddl, 'peer.sql').statements as [CreateTable];
  const computed = table.columns[4];
  assert.ok(computed?.kind === 'computed');
  assert.ok(computed.expression.kind === 'cast');
  assert.equal(formatExpression(computed.expression).slice(0, 30), 'CAST(TO_TIMESTAMP_LTZ(CASE WHE');
  assert.equal(table.options[1]?.value, "/tmp/it's/events.jsonl");
});

test('operator precedence', () => {
  const cases: [string, string][] = [
    ['a OR b AND c', '(a OR (b AND c))'],
    ['NOT a AND b', '((NOT a) AND b)'],
    ['NOT a = b', '(NOT (a = b))'],
    ['a = b OR c <> d AND e != f', '((a = b) OR ((c <> d) AND (e <> f)))'],
    ['a + b * c - d / e % f', '((a + (b * c)) - ((d / e) % f))'],
    ["a || 'x' || b + 1", "(((a || 'x') || b) + 1)"],
    ['-a * b', '((-a) * b)'],
    ['- a[1].f', '(-((a)[1]).f)'],
    ['a + 1 > b * 2', '((a + 1) > (b * 2))'],
    ['a BETWEEN 1 + 1 AND 2 AND b', '((a BETWEEN (1 + 1) AND 2) AND b)'],
    ['x NOT BETWEEN SYMMETRIC 2 AND 1', '(x NOT BETWEEN SYMMETRIC 2 AND 1)'],
    ['a IS NOT NULL AND b IS TRUE OR c IS NOT UNKNOWN', '(((a IS NOT NULL) AND (b IS TRUE)) OR (c IS NOT UNKNOWN))'],
    ['a IS NOT DISTINCT FROM b + 1', '(a IS NOT DISTINCT FROM (b + 1))'],
    ['a NOT IN (1, 2) OR b IN (3)', '((a NOT IN (1, 2)) OR (b IN (3)))'],
    ["a NOT LIKE 'x%' ESCAPE '!' AND b SIMILAR TO 'y'", "((a NOT LIKE 'x%' ESCAPE '!') AND (b SIMILAR TO 'y'))"],
    ['(a + b) * c', '((a + b) * c)'],
    ['(a, b)', 'ROW(a, b)'],
    ['f(x).y', '(f(x)).y'],
    ['a.b.c', 'a.b.c'],
    ['`a``b`.c', '`a``b`.c'],
    ['arr[1][2]', '((arr)[1])[2]'],
  ];
  for (const [input, expected] of cases) assert.equal(fmt(input), expected, input);
});

test('special syntaxes desugar into calls', () => {
  const cases: [string, string][] = [
    ['EXTRACT(hour FROM ts)', 'EXTRACT(HOUR FROM ts)'],
    ['POSITION(a IN b)', 'POSITION(a IN b)'],
    ["TRIM(BOTH 'x' FROM s)", "TRIM(BOTH 'x' FROM s)"],
    ['trim(s)', "TRIM(BOTH ' ' FROM s)"],
    ['TRIM(LEADING FROM s)', "TRIM(LEADING ' ' FROM s)"],
    ['SUBSTRING(s FROM 2 FOR 3)', 'SUBSTRING(s, 2, 3)'],
    ['SUBSTRING(s, 2)', 'SUBSTRING(s, 2)'],
    ["OVERLAY(s PLACING 'ab' FROM 2 FOR 1)", "OVERLAY(s PLACING 'ab' FROM 2 FOR 1)"],
    ['CEIL(ts TO HOUR)', 'CEIL(ts TO HOUR)'],
    ['FLOOR(x)', 'FLOOR(x)'],
    ['TIMESTAMPDIFF(SECOND, a, b)', 'TIMESTAMPDIFF(SECOND, a, b)'],
    ['TIMESTAMPADD(MINUTES, 1, ts)', 'TIMESTAMPADD(MINUTE, 1, ts)'],
    ['CAST(a AS DECIMAL(10, 2))', 'CAST(a AS DECIMAL(10, 2))'],
    ['TRY_CAST(a AS INTEGER NOT NULL)', 'TRY_CAST(a AS INT NOT NULL)'],
    ['CAST(a AS TIMESTAMP(3) WITH LOCAL TIME ZONE)', 'CAST(a AS TIMESTAMP_LTZ(3))'],
    ['CAST(a AS ROW(x INT, y MAP<STRING, ARRAY<BIGINT>>))', 'CAST(a AS ROW<x INT, y MAP<STRING, ARRAY<BIGINT>>>)'],
    ['CAST(a AS DOUBLE PRECISION)', 'CAST(a AS DOUBLE)'],
    ['CAST(a AS CHARACTER VARYING(3))', 'CAST(a AS VARCHAR(3))'],
    ['CAST(a AS INT ARRAY)', 'CAST(a AS ARRAY<INT>)'],
    ['CASE a WHEN 1 THEN x WHEN 2 THEN y END', 'CASE a WHEN 1 THEN x WHEN 2 THEN y END'],
    ['CASE WHEN a > 1 THEN x ELSE y END', 'CASE WHEN (a > 1) THEN x ELSE y END'],
    ["INTERVAL '10' SECONDS", "INTERVAL '10' SECOND"],
    ["INTERVAL '1:30' MINUTE TO SECOND", "INTERVAL '1:30' MINUTE TO SECOND"],
    ["INTERVAL -'1' DAY", "INTERVAL -'1' DAY"],
    ["-INTERVAL '1' DAY", "(-INTERVAL '1' DAY)"],
    [
      "DATE '2020-01-01' + TIME '10:00:00' + TIMESTAMP '2020-01-01 00:00:00'",
      "((DATE '2020-01-01' + TIME '10:00:00') + TIMESTAMP '2020-01-01 00:00:00')",
    ],
    ['CURRENT_TIMESTAMP + LOCALTIMESTAMP', '(CURRENT_TIMESTAMP + LOCALTIMESTAMP)'],
    ['CURRENT_ROW_TIMESTAMP()', 'CURRENT_ROW_TIMESTAMP()'],
    ["ROW(1, 'a')", "ROW(1, 'a')"],
    ['ARRAY[1, 2][1]', '(ARRAY[1, 2])[1]'],
    ["MAP['k', 1]", "MAP['k', 1]"],
    ['LEFT(s, 2) || RIGHT(s, 1) || IF(a, b, c)', '((LEFT(s, 2) || RIGHT(s, 1)) || IF(a, b, c))'],
    ['HOUR(ts) + MOD(a, 2)', '(HOUR(ts) + MOD(a, 2))'],
    ["1 + 1.5 + 1.5E3 + .5 + X'0aff' + N'x'", "(((((1 + 1.5) + 1.5E3) + .5) + X'0aff') + 'x')"],
    ["'it''s'", "'it''s'"],
    ['TRUE AND NOT FALSE OR NULL', '((TRUE AND (NOT FALSE)) OR NULL)'],
    ['COUNT(*) FILTER (WHERE a > 1)', 'COUNT(*) FILTER (WHERE (a > 1))'],
    ['SUM(DISTINCT a) OVER w', 'SUM(DISTINCT a) OVER w'],
    [
      "SUM(a) OVER (PARTITION BY k ORDER BY ts RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW)",
      "SUM(a) OVER (PARTITION BY k ORDER BY ts RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW)",
    ],
    ['MAX(a) OVER (ORDER BY ts ROWS 5 PRECEDING)', 'MAX(a) OVER (ORDER BY ts ROWS 5 PRECEDING)'],
    [
      'AVG(a) OVER (ORDER BY ts ASC NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)',
      'AVG(a) OVER (ORDER BY ts NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)',
    ],
    ['NOT EXISTS (SELECT 1)', '(NOT EXISTS (<subquery>))'],
    ['a IN (SELECT b FROM t)', '(a IN (<subquery>))'],
    ['(SELECT MAX(b) FROM t) + 1', '((<subquery>) + 1)'],
  ];
  for (const [input, expected] of cases) assert.equal(fmt(input), expected, input);
  const extract = parseExpression('EXTRACT(DAY FROM ts)', 'e');
  assert.deepEqual(strip(extract), {
    kind: 'call',
    name: { kind: 'qualifiedName', parts: [{ kind: 'identifier', name: 'EXTRACT', quoted: false }] },
    args: [
      { kind: 'literal', type: 'string', value: 'DAY' },
      {
        kind: 'columnRef',
        name: { kind: 'qualifiedName', parts: [{ kind: 'identifier', name: 'ts', quoted: false }] },
      },
    ],
    distinct: false,
  });
  const exists = parseExpression('NOT EXISTS (SELECT 1)', 'e');
  assert.ok(exists.kind === 'exists' && exists.negated);
});

function only(sql: string): Statement {
  const { statements } = parseScript(sql, 'q.sql');
  assert.equal(statements.length, 1, sql);
  return statements[0] as Statement;
}

test('queries: set operations, ORDER BY / LIMIT, VALUES, WITH, joins and table references', () => {
  const union = only('SELECT a FROM t UNION ALL SELECT a FROM u INTERSECT SELECT a FROM v EXCEPT SELECT 1');
  assert.ok(union.kind === 'query' && union.query.kind === 'setOperation');
  assert.equal(union.query.operator, 'EXCEPT');
  const left = union.query.left;
  assert.ok(left.kind === 'setOperation' && left.operator === 'UNION' && left.all);
  assert.ok(left.right.kind === 'setOperation' && left.right.operator === 'INTERSECT' && !left.right.all);

  const ordered = only('SELECT a FROM t UNION SELECT b FROM u ORDER BY 1 DESC LIMIT 10');
  assert.ok(ordered.kind === 'query' && ordered.query.kind === 'setOperation');
  assert.equal(ordered.query.orderBy?.[0]?.descending, true);
  assert.equal(ordered.query.limit && formatExpression(ordered.query.limit), '10');

  const fetch = only('SELECT a FROM t ORDER BY a NULLS LAST OFFSET 5 ROWS FETCH FIRST 3 ROWS ONLY');
  assert.ok(fetch.kind === 'query' && fetch.query.kind === 'select');
  assert.equal(fetch.query.orderBy?.[0]?.nullsFirst, false);
  assert.deepEqual(
    [fetch.query.offset, fetch.query.limit].map((e) => e && formatExpression(e)),
    ['5', '3'],
  );

  const values = only("VALUES (1, 'a'), (2, 'b')");
  assert.ok(values.kind === 'query' && values.query.kind === 'values' && values.query.rows.length === 2);

  const withQuery = only('WITH x (c) AS (SELECT 1), y AS (SELECT c FROM x) SELECT * FROM y');
  assert.ok(withQuery.kind === 'query' && withQuery.query.kind === 'with');
  assert.deepEqual(
    withQuery.query.ctes.map((c) => [c.name.name, c.columns?.map((i) => i.name)]),
    [
      ['x', ['c']],
      ['y', undefined],
    ],
  );

  const joins = only(
    'SELECT * FROM a LEFT OUTER JOIN b ON a.k = b.k RIGHT JOIN c USING (k) FULL JOIN d ON TRUE CROSS JOIN e, f',
  );
  assert.ok(joins.kind === 'query' && joins.query.kind === 'select');
  const chain: string[] = [];
  for (let ref = joins.query.from; ref?.kind === 'join'; ref = ref.left) chain.push(ref.joinType);
  assert.deepEqual(chain, ['CROSS', 'CROSS', 'FULL', 'RIGHT', 'LEFT']);

  const temporal = only(
    'SELECT * FROM orders AS o JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.c = r.c, ' +
      'LATERAL TABLE(split(o.s)) AS t (w, n) CROSS JOIN UNNEST(o.arr) WITH ORDINALITY AS u (x, i) ' +
      'LEFT JOIN LATERAL TABLE(f(1)) ON TRUE',
  );
  assert.ok(temporal.kind === 'query' && temporal.query.kind === 'select');
  // The comma binds loosest: (orders JOIN rates), ((LATERAL CROSS JOIN UNNEST) LEFT JOIN LATERAL).
  const from = temporal.query.from;
  assert.ok(from?.kind === 'join' && from.joinType === 'CROSS' && from.on === undefined);
  const versioned = from.left;
  assert.ok(versioned.kind === 'join' && versioned.joinType === 'INNER' && versioned.right.kind === 'table');
  assert.equal(versioned.right.systemTimeAsOf && formatExpression(versioned.right.systemTimeAsOf), 'o.ts');
  assert.equal(versioned.right.alias?.name, 'r');
  const right = from.right;
  assert.ok(right.kind === 'join' && right.joinType === 'LEFT' && right.right.kind === 'lateral');
  const cross = right.left;
  assert.ok(cross.kind === 'join' && cross.joinType === 'CROSS' && cross.left.kind === 'lateral');
  assert.deepEqual(
    cross.left.columnAliases?.map((a) => a.name),
    ['w', 'n'],
  );
  assert.ok(cross.right.kind === 'unnest' && cross.right.withOrdinality);
  assert.deepEqual(
    cross.right.columnAliases?.map((a) => a.name),
    ['x', 'i'],
  );

  const tvf = only(
    "SELECT * FROM TABLE(SESSION(DATA => TABLE bid PARTITION BY bidder, TIMECOL => DESCRIPTOR(ts), GAP => INTERVAL '5' MINUTES)) /*+ hint */",
  );
  assert.ok(tvf.kind === 'query' && tvf.query.kind === 'select' && tvf.query.from?.kind === 'tableFunction');
  assert.deepEqual(
    tvf.query.from.args.map((a) => [a.kind, a.name]),
    [
      ['tableArg', 'DATA'],
      ['descriptorArg', 'TIMECOL'],
      ['expressionArg', 'GAP'],
    ],
  );
  const data = tvf.query.from.args[0];
  assert.ok(data?.kind === 'tableArg' && data.partitionBy?.length === 1);

  const grouped = only(
    'SELECT a, b, COUNT(*) FROM t GROUP BY GROUPING SETS ((a, b), (a), ()), ROLLUP (a, b), CUBE (b) HAVING COUNT(*) > 1 WINDOW w AS (PARTITION BY a)',
  );
  assert.ok(grouped.kind === 'query' && grouped.query.kind === 'select');
  assert.deepEqual(
    grouped.query.groupBy?.items.map((i) => i.kind),
    ['groupingSets', 'rollup', 'cube'],
  );
  const sets = grouped.query.groupBy?.items[0];
  assert.ok(sets?.kind === 'groupingSets');
  assert.deepEqual(
    sets.sets.map((s) => s.length),
    [2, 1, 0],
  );
  assert.equal(grouped.query.windows?.[0]?.name.name, 'w');

  const distinct = only('SELECT DISTINCT a AS x, b y, `c` FROM t');
  assert.ok(distinct.kind === 'query' && distinct.query.kind === 'select' && distinct.query.distinct);
  assert.deepEqual(
    distinct.query.items.map((i) => i.alias?.name),
    ['x', 'y', undefined],
  );
});

test('statements: DDL variants, SET / RESET, statement sets, EXPLAIN, SHOW, DESCRIBE, USE, DROP', () => {
  const table = only(`CREATE TEMPORARY TABLE IF NOT EXISTS db.t (
    id BIGINT NOT NULL PRIMARY KEY NOT ENFORCED COMMENT 'the key',
    tags ARRAY<STRING>, m MAP<STRING, INT>, s MULTISET<INT>, d DECIMAL(10, 2), v VARCHAR(20),
    t TIME(3), ts TIMESTAMP(3) WITHOUT TIME ZONE, ltz TIMESTAMP_LTZ(3), r ROW(a INT, b ROW<c STRING>),
    k TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL,
    p AS PROCTIME()
  ) COMMENT 'a table' PARTITIONED BY (d, v) WITH ('connector' = 'datagen') LIKE base (EXCLUDING ALL)`);
  assert.ok(table.kind === 'createTable' && table.temporary && table.ifNotExists);
  assert.deepEqual(
    table.name.parts.map((p) => p.name),
    ['db', 't'],
  );
  assert.deepEqual(strip(table.primaryKey), {
    columns: [{ kind: 'identifier', name: 'id', quoted: false }],
    enforced: false,
  });
  const id = table.columns[0];
  assert.ok(id?.kind === 'physical' && id.primaryKey && !id.type.nullable && id.comment === 'the key');
  const metadata = table.columns[10];
  assert.ok(metadata?.kind === 'metadata' && metadata.from === 'timestamp' && metadata.virtual);
  assert.equal(table.columns[11]?.kind, 'computed');
  assert.deepEqual(
    table.partitionedBy?.map((p) => p.name),
    ['d', 'v'],
  );
  assert.equal(table.comment, 'a table');
  assert.equal(table.like?.parts[0]?.name, 'base');
  const ltz = table.columns[8];
  assert.ok(ltz?.kind === 'physical' && ltz.type.kind === 'simpleType' && ltz.type.name === 'TIMESTAMP_LTZ');

  const keyed = only(
    "CREATE TABLE t (a INT, b INT, CONSTRAINT pk PRIMARY KEY (a, b) NOT ENFORCED) WITH ('connector' = 'print')",
  );
  assert.ok(keyed.kind === 'createTable');
  assert.deepEqual(
    keyed.primaryKey?.columns.map((c) => c.name),
    ['a', 'b'],
  );

  const view = only('CREATE TEMPORARY VIEW IF NOT EXISTS v (x, y) AS SELECT a, b FROM t');
  assert.ok(view.kind === 'createView' && view.temporary && view.ifNotExists);
  assert.deepEqual(
    view.columns?.map((c) => c.name),
    ['x', 'y'],
  );

  const fn = only(
    "CREATE TEMPORARY SYSTEM FUNCTION IF NOT EXISTS f(a BIGINT, b STRING) RETURNS STRING AS $$\n  return `${a};${b}` + 'x';\n$$ LANGUAGE typescript",
  );
  assert.ok(fn.kind === 'createFunction' && fn.temporary && fn.system && fn.ifNotExists);
  assert.deepEqual(
    fn.parameters?.map((p) => p.name.name),
    ['a', 'b'],
  );
  assert.equal(fn.returns?.kind === 'simpleType' && fn.returns.name, 'STRING');
  assert.equal(fn.body, "\n  return `${a};${b}` + 'x';\n");
  assert.equal(fn.language, 'TYPESCRIPT');

  const script = parseScript(
    `SET 'parallelism.default' = '4';
     SET execution.runtime-mode = batch;
     SET;
     RESET 'parallelism.default';
     RESET;
     DROP TEMPORARY TABLE IF EXISTS t; DROP VIEW v; DROP FUNCTION f;
     EXECUTE STATEMENT SET BEGIN
       INSERT INTO a SELECT * FROM t;
       INSERT OVERWRITE b (x, y) SELECT 1, 2;
     END;
     BEGIN STATEMENT SET;
       INSERT INTO a (SELECT * FROM t);
     END;
     EXPLAIN PLAN FOR SELECT 1;
     EXPLAIN CHANGELOG_MODE, ESTIMATED_COST INSERT INTO a SELECT 1;
     EXPLAIN STATEMENT SET BEGIN INSERT INTO a SELECT 1; END;
     SHOW TABLES; SHOW USER FUNCTIONS; SHOW CREATE TABLE t; SHOW JOBS;
     DESCRIBE t; DESC db.t;
     USE CATALOG c; USE db;;
     SELECT 1`,
    'statements.sql',
  );
  const summary = script.statements.map((s) => {
    switch (s.kind) {
      case 'set':
        return `set ${s.key}=${s.value}`;
      case 'reset':
        return `reset ${s.key}`;
      case 'drop':
        return `drop ${s.object} ${s.name.parts[0]?.name} ${s.ifExists}`;
      case 'statementSet':
        return `set of ${s.inserts.map((i) => `${i.table.parts[0]?.name}${i.overwrite ? '!' : ''}${i.columns?.length ?? ''}`)}`;
      case 'explain':
        return `explain ${s.details.join('+')} ${s.statement.kind}`;
      case 'show':
        return `show ${s.what}${s.name === undefined ? '' : ` ${s.name.parts[0]?.name}`}`;
      case 'describe':
        return `describe ${s.name.parts.map((p) => p.name).join('.')}`;
      case 'use':
        return `use ${s.catalog} ${s.name.parts[0]?.name}`;
      default:
        return s.kind;
    }
  });
  assert.deepEqual(summary, [
    'set parallelism.default=4',
    'set execution.runtime-mode=batch',
    'set undefined=undefined',
    'reset parallelism.default',
    'reset undefined',
    'drop TABLE t true',
    'drop VIEW v false',
    'drop FUNCTION f false',
    'set of a,b!2',
    'set of a',
    'explain  query',
    'explain CHANGELOG_MODE+ESTIMATED_COST insert',
    'explain  statementSet',
    'show TABLES',
    'show USER FUNCTIONS',
    'show CREATE TABLE t',
    'show JOBS',
    'describe t',
    'describe db.t',
    'use true c',
    'use false db',
    'query',
  ]);
});

/** The error's message for `text`, which must fail to parse. */
function errorOf(text: string, parse: (t: string) => unknown = (t) => parseScript(t, 'q.sql')): SqlError {
  try {
    parse(text);
  } catch (e) {
    assert.ok(e instanceof SqlError, String(e));
    return e;
  }
  assert.fail(`parsed: ${text}`);
}

test('syntax errors name line:column, quote the line with a caret, and suggest the keyword meant', () => {
  assert.equal(
    errorOf('SELECT a\nFROM bid\nWHERE price > 1 GROUP auction').message,
    [
      "q.sql:3:23: Unexpected 'auction'; expected BY",
      '  WHERE price > 1 GROUP auction',
      '                        ^^^^^^^',
    ].join('\n'),
  );
  const form = errorOf('SELECT * FORM bid');
  assert.match(form.message, /^q\.sql:1:10: Unexpected 'FORM'; expected one of ',', FROM, WHERE/);
  assert.ok(form.message.endsWith('\n  SELECT * FORM bid\n           ^^^^\nDid you mean FROM?'), form.message);
  assert.equal(
    errorOf('SELECT price FORM bid').message,
    "q.sql:1:14: Unexpected 'FORM'\n  SELECT price FORM bid\n               ^^^^\nDid you mean FROM?",
  );
  assert.equal(
    errorOf('SELEC 1').message,
    "q.sql:1:1: Unexpected 'SELEC'; expected a statement\n  SELEC 1\n  ^^^^^\nDid you mean SELECT?",
  );
  assert.equal(errorOf('SELECT a FROM t WHERE').reason, 'Unexpected end of input; expected an expression');
  assert.equal(errorOf('SELECT (a + 1 FROM t').reason, "Unexpected 'FROM'; expected one of ',', ')'");
  assert.equal(errorOf("CREATE TABLE t (a INTT) WITH ('connector' = 'x')").suggestion, 'Did you mean INT?');
  assert.equal(
    errorOf('SELECT 1; SELECT 2 3').reason,
    "Unexpected '3'; expected one of AS, an alias, ',', FROM, WHERE, GROUP BY, HAVING, WINDOW, INTERSECT, UNION, EXCEPT, ORDER BY, …",
  );
});

test('lexical errors point at where the string, body or comment started', () => {
  const text = "SELECT a,\n  'unterminated, b\nFROM t";
  const string = errorOf(text);
  assert.equal(string.reason, 'Unterminated string literal');
  assert.deepEqual([string.span?.line, string.span?.column], [2, 3]);
  assert.equal(string.message.split('\n')[2], '    ^');
  const body = errorOf('CREATE FUNCTION f AS $$ x => x;\nSELECT 1;');
  assert.equal(body.reason, 'Unterminated $$ body');
  assert.deepEqual([body.span?.line, body.span?.column], [1, 22]);
  const comment = errorOf('SELECT 1 /* no end\n\n');
  assert.equal(comment.reason, 'Unterminated comment');
  assert.deepEqual([comment.span?.line, comment.span?.column], [1, 10]);
  const variable = errorOf('SELECT * FROM ${NEXMARK_TABLE}');
  assert.equal(variable.reason, 'Unsubstituted variable ${NEXMARK_TABLE}');
  assert.deepEqual([variable.span?.column, variable.span && variable.span.end - variable.span.start], [15, 16]);
  assert.equal(errorOf('SELECT "a" FROM t').reason, "Unexpected character '\"'");
  assert.equal(errorOf('SELECT `a FROM t').reason, 'Unterminated quoted identifier');
  assert.equal(
    errorOf('1 +', (t) => parseExpression(t, 'e')).message,
    'e:1:4: Unexpected end of input; expected an expression\n  1 +\n     ^',
  );
});

const sp = { start: 0, end: 0, line: 1, column: 1 };

/** Random expression trees over every expression kind the printer round-trips (subqueries aside). */
function expressionArbitrary(): fc.Arbitrary<Expression> {
  const plainName = fc.stringMatching(/^[a-z]{1,3}[0-9]$/);
  const identifier = fc.oneof(
    plainName.map((name) => ({ kind: 'identifier' as const, name, quoted: false, span: sp })),
    fc
      .string({ minLength: 1, maxLength: 4 })
      .map((name) => ({ kind: 'identifier' as const, name, quoted: true, span: sp })),
  );
  const qualified = fc
    .array(identifier, { minLength: 1, maxLength: 3 })
    .map((parts) => ({ kind: 'qualifiedName' as const, parts, span: sp }));
  const digits = fc.nat({ max: 100000 }).map(String);
  const literal: fc.Arbitrary<Expression> = fc.oneof(
    fc.string().map((value) => ({ kind: 'literal' as const, type: 'string' as const, value, span: sp })),
    digits.map((value) => ({ kind: 'literal' as const, type: 'integer' as const, value, span: sp })),
    fc
      .tuple(digits, digits)
      .map(([a, b]) => ({ kind: 'literal' as const, type: 'decimal' as const, value: `${a}.${b}`, span: sp })),
    fc.tuple(digits, fc.constantFrom('E', 'e-', 'E+'), digits).map(([a, e, b]) => ({
      kind: 'literal' as const,
      type: 'double' as const,
      value: `${a}${e}${b}`,
      span: sp,
    })),
    fc
      .constantFrom('TRUE', 'FALSE')
      .map((value) => ({ kind: 'literal' as const, type: 'boolean' as const, value, span: sp })),
    fc.constant({ kind: 'literal' as const, type: 'null' as const, value: 'NULL', span: sp }),
    fc
      .constantFrom('date', 'time', 'timestamp')
      .map((type) => ({ kind: 'literal' as const, type, value: '2020-01-01', span: sp })),
    fc
      .constantFrom('0aff', '')
      .map((value) => ({ kind: 'literal' as const, type: 'binary' as const, value, span: sp })),
    fc
      .record({ value: digits, negative: fc.boolean(), from: fc.constantFrom('DAY', 'HOUR', 'SECOND' as const) })
      .chain((r) =>
        fc.option(fc.constantFrom('MINUTE', 'SECOND' as const), { nil: undefined }).map((to) => ({
          kind: 'interval' as const,
          ...r,
          ...(to === undefined ? {} : { to }),
          span: sp,
        })),
      ),
    fc
      .constantFrom('CURRENT_TIMESTAMP', 'CURRENT_DATE', 'LOCALTIMESTAMP' as const)
      .map((name) => ({ kind: 'timeFunction' as const, name, span: sp })),
    qualified.map((name) => ({ kind: 'columnRef' as const, name, span: sp })),
  );
  const type = fc.letrec<{ type: TypeName }>((t) => ({
    type: fc.oneof(
      { depthSize: 'small' },
      fc
        .record({
          name: fc.constantFrom('INT', 'BIGINT', 'STRING', 'BOOLEAN', 'DOUBLE' as const),
          nullable: fc.boolean(),
        })
        .map((r) => ({ kind: 'simpleType' as const, ...r, args: [], span: sp })),
      fc
        .record({
          name: fc.constantFrom('DECIMAL', 'VARCHAR', 'TIMESTAMP', 'TIMESTAMP_LTZ' as const),
          nullable: fc.boolean(),
        })
        .map((r) => ({ kind: 'simpleType' as const, ...r, args: r.name === 'DECIMAL' ? [10, 2] : [3], span: sp })),
      fc
        .record({ element: t('type'), nullable: fc.boolean() })
        .map((r) => ({ kind: 'arrayType' as const, ...r, span: sp })),
      fc
        .record({ key: t('type'), value: t('type'), nullable: fc.boolean() })
        .map((r) => ({ kind: 'mapType' as const, ...r, span: sp })),
      fc
        .record({
          fields: fc.array(fc.record({ name: identifier, type: t('type') }), { minLength: 1, maxLength: 3 }),
          nullable: fc.boolean(),
        })
        .map((r) => ({ kind: 'rowType' as const, ...r, span: sp })),
    ),
  })).type;
  const { expr } = fc.letrec<{ expr: Expression }>((tie) => {
    const e = tie('expr');
    const list = fc.array(e, { minLength: 1, maxLength: 3 });
    const call = fc
      .record({
        name: plainName,
        args: fc.array(e, { maxLength: 3 }),
        distinct: fc.boolean(),
        filter: fc.option(e, { nil: undefined }),
        over: fc.option(
          fc.record({
            partitionBy: fc.array(e, { maxLength: 2 }),
            orderBy: fc.array(fc.record({ expression: e, descending: fc.boolean() }), { maxLength: 2 }),
          }),
          { nil: undefined },
        ),
      })
      .map(
        ({ name, args, distinct, filter, over }): Expression => ({
          kind: 'call',
          name: { kind: 'qualifiedName', parts: [{ kind: 'identifier', name, quoted: false, span: sp }], span: sp },
          args,
          distinct,
          ...(filter === undefined ? {} : { filter }),
          ...(over === undefined
            ? {}
            : {
                over: {
                  kind: 'windowSpec' as const,
                  partitionBy: over.partitionBy,
                  orderBy: over.orderBy.map((o) => ({ ...o, span: sp })),
                  span: sp,
                },
              }),
          span: sp,
        }),
      );
    return {
      expr: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        literal,
        fc
          .record({
            operator: fc.constantFrom<BinaryOperator>(
              '+',
              '-',
              '*',
              '/',
              '%',
              '=',
              '<>',
              '<',
              '<=',
              '>',
              '>=',
              'AND',
              'OR',
              '||',
              'IS DISTINCT FROM',
              'IS NOT DISTINCT FROM',
            ),
            left: e,
            right: e,
          })
          .map((r) => ({ kind: 'binary' as const, ...r, span: sp })),
        fc
          .record({ operator: fc.constantFrom('NOT', '-', '+' as const), operand: e })
          .map((r) => ({ kind: 'unary' as const, ...r, span: sp })),
        call,
        fc
          .record({
            operand: fc.option(e, { nil: undefined }),
            // biome-ignore lint/suspicious/noThenProperty: the AST's field name, never awaited
            whens: fc.array(fc.record({ when: e, then: e }), { minLength: 1, maxLength: 2 }),
            otherwise: fc.option(e, { nil: undefined }),
          })
          .map(({ operand, whens, otherwise }) => ({
            kind: 'case' as const,
            ...(operand === undefined ? {} : { operand }),
            whens,
            ...(otherwise === undefined ? {} : { else: otherwise }),
            span: sp,
          })),
        fc.record({ expression: e, type, try: fc.boolean() }).map((r) => ({ kind: 'cast' as const, ...r, span: sp })),
        fc
          .record({ expression: e, low: e, high: e, negated: fc.boolean(), symmetric: fc.boolean() })
          .map((r) => ({ kind: 'between' as const, ...r, span: sp })),
        fc
          .record({ expression: e, list, negated: fc.boolean() })
          .map((r) => ({ kind: 'inList' as const, ...r, span: sp })),
        fc
          .record({
            expression: e,
            test: fc.constantFrom('NULL', 'TRUE', 'FALSE', 'UNKNOWN' as const),
            negated: fc.boolean(),
          })
          .map((r) => ({ kind: 'is' as const, ...r, span: sp })),
        fc
          .record({
            operator: fc.constantFrom('LIKE', 'SIMILAR TO' as const),
            expression: e,
            pattern: e,
            escapeChar: fc.option(e, { nil: undefined }),
            negated: fc.boolean(),
          })
          .map(({ escapeChar, ...r }) => ({
            kind: 'like' as const,
            ...r,
            ...(escapeChar === undefined ? {} : { escape: escapeChar }),
            span: sp,
          })),
        fc.record({ expression: e, field: identifier }).map((r) => ({ kind: 'fieldAccess' as const, ...r, span: sp })),
        fc.record({ expression: e, index: e }).map((r) => ({ kind: 'item' as const, ...r, span: sp })),
        fc.array(e, { maxLength: 3 }).map((fields) => ({ kind: 'row' as const, fields, span: sp })),
        fc.array(e, { maxLength: 3 }).map((elements) => ({ kind: 'array' as const, elements, span: sp })),
        fc
          .array(fc.record({ key: e, value: e }), { maxLength: 2 })
          .map((entries) => ({ kind: 'map' as const, entries, span: sp })),
      ),
    };
  });
  return expr;
}

test('property: printing a random expression tree and parsing it back gives the same tree', () => {
  fc.assert(
    fc.property(expressionArbitrary(), (tree) => {
      const text = formatExpression(tree);
      assert.deepEqual(strip(parseExpression(text, 'generated')), strip(tree), text);
    }),
    { numRuns: 400 },
  );
});
