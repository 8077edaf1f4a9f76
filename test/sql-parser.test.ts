import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type {
  CreateFunction,
  CreateTable,
  CreateView,
  Expression,
  InsertStatement,
  Select,
  Statement,
} from '../src/sql/parser/ast.js';
import { formatExpression } from '../src/sql/parser/format-expression.js';
import { parseExpression, parseScript } from '../src/sql/parser/parse-script.js';
import { SqlError } from '../src/sql/sql-error.js';

/** The reference Nexmark SQL of the benchmark, copied from the reference suite. */
const NEXMARK_DIR = join(import.meta.dirname, 'fixtures', 'nexmark-sql');

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
  const ddl = `CREATE TABLE nexmark_events (
    event_type INT,
    person ROW<id BIGINT, name VARCHAR, emailAddress VARCHAR, creditCard VARCHAR, city VARCHAR,
        state VARCHAR, \`dateTime\` BIGINT, extra VARCHAR>,
    auction ROW<id BIGINT, itemName VARCHAR, description VARCHAR, initialBid BIGINT, reserve BIGINT,
        \`dateTime\` BIGINT, expires BIGINT, seller BIGINT, category BIGINT, extra VARCHAR>,
    bid ROW<auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
        \`dateTime\` BIGINT, extra VARCHAR>,
    \`dateTime\` AS CAST(TO_TIMESTAMP_LTZ(
        CASE
            WHEN event_type = 0 THEN person.\`dateTime\`
            WHEN event_type = 1 THEN auction.\`dateTime\`
            ELSE bid.\`dateTime\`
        END, 3) AS TIMESTAMP(3)),
    WATERMARK FOR \`dateTime\` AS \`dateTime\` - INTERVAL '4' SECOND
) WITH (
    'connector' = 'filesystem',
    'path' = '/tmp/it''s/events.jsonl',
    'format' = 'json',
    'json.fail-on-missing-field' = 'false',
    'json.ignore-parse-errors' = 'false'
)`;
  const [table] = parseScript(ddl, 'peer.sql').statements as [CreateTable];
  const computed = table.columns[4];
  assert.ok(computed?.kind === 'computed');
  assert.ok(computed.expression.kind === 'cast');
  assert.equal(formatExpression(computed.expression).slice(0, 30), 'CAST(TO_TIMESTAMP_LTZ(CASE WHE');
  assert.equal(table.options[1]?.value, "/tmp/it's/events.jsonl");
});
