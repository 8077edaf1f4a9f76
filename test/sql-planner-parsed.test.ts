// Planner tests over real SQL text: they need the parser, the function registry and the connectors, and skip (with
// the reason) while any of those modules is still a placeholder on this branch.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { StreamExecutionEnvironment } from '../src/index.js';
import { connectorFor } from '../src/sql/connectors/registry.js';
import { FunctionRegistry } from '../src/sql/functions/function-registry.js';
import * as parserModule from '../src/sql/parser/parse-script.js';
import { TableEnvironment } from '../src/sql/table-environment.js';

function missingModules(): string | undefined {
  const missing: string[] = [];
  if ('PARSER_PLACEHOLDER' in parserModule) missing.push('parser');
  if (new FunctionRegistry().names().length === 0) missing.push('function registry');
  try {
    connectorFor('blackhole');
  } catch {
    missing.push('connectors');
  }
  return missing.length === 0 ? undefined : `needs the merged ${missing.join(', ')}`;
}
const skip = missingModules();

const NEXMARK = new URL('file:///work/shared/nexmark-sql/');
const read = (f: string) => readFileSync(new URL(f, NEXMARK), 'utf8');
const VARS: Record<string, string> = {
  TPS: '10000',
  EVENTS_NUM: '1000',
  PERSON_PROPORTION: '1',
  AUCTION_PROPORTION: '3',
  BID_PROPORTION: '46',
  NEXMARK_TABLE: 'datagen',
};
const substitute = (s: string) => s.replace(/\$\{([A-Z_]+)\}/g, (_, k: string) => VARS[k] ?? '');

/** EXPLAIN of a Nexmark query over the generator DDL and the views. */
function explainNexmark(q: string): string {
  const env = StreamExecutionEnvironment.create();
  const tEnv = TableEnvironment.create(env);
  tEnv.executeSql(substitute(read('ddl_gen.sql')), 'ddl_gen.sql');
  tEnv.executeSql(substitute(read('ddl_views.sql')), 'ddl_views.sql');
  const text = read(`${q}.sql`).replace(/INSERT INTO/g, 'EXPLAIN INSERT INTO');
  const results = tEnv.executeSql(text, `${q}.sql`);
  const last = results[results.length - 1]!;
  assert.equal(last.kind, 'table');
  return last.kind === 'table' ? last.rows[0]![0]! : '';
}

const SHAPES: Record<string, { has: RegExp[]; not?: RegExp[] }> = {
  q0: { has: [/Calc/], not: [/Join|Aggregate/] },
  q1: { has: [/Calc/], not: [/Join|Aggregate/] },
  q2: { has: [/where=/], not: [/Join|Aggregate/] },
  q3: { has: [/\+- Join\(joinType=\[INNERJoin\]/, /changelogMode=\[NONE\]\)\n\+- [^\n]*changelogMode=\[I\]\)/] },
  q4: { has: [/Join\(joinType=\[INNERJoin\]/, /GroupAggregate\(groupBy=\[category\]/] },
  q5: { has: [/WindowJoin/, /WindowAggregate[^\n]*reusing input windows/] },
  q7: { has: [/- Join\(joinType=\[INNERJoin\]/, /WindowAggregate/] },
  q8: { has: [/WindowJoin/] },
  q9: { has: [/Rank\(rankType=\[ROW_NUMBER\], rankRange=\[rankStart=1, rankEnd=1\]/, /- Join/] },
  q11: { has: [/WindowAggregate\(groupBy=\[bidder\], window=\[SESSION\(gap=\[10000 ms\]\)/] },
  q12: { has: [/WindowAggregate\(groupBy=\[bidder\], window=\[TUMBLE\(size=\[10000 ms\]\)/] },
  q14: { has: [/count_char/], not: [/Join|Aggregate/] },
  q15: { has: [/GroupAggregate/] },
  q16: { has: [/GroupAggregate/] },
  q17: { has: [/GroupAggregate/] },
  q18: { has: [/Deduplicate\(keep=\[LastRow\], key=\[bidder, auction\], order=\[ROWTIME\]/] },
  q19: { has: [/Rank\(rankType=\[ROW_NUMBER\], rankRange=\[rankStart=1, rankEnd=10\], partitionBy=\[auction\]/] },
  q20: { has: [/- Join\(joinType=\[INNERJoin\]/] },
  q21: { has: [/Calc/], not: [/Join|Aggregate/] },
  q22: { has: [/SPLIT_INDEX/], not: [/Join|Aggregate/] },
};

describe('SQL planner over the Nexmark queries', { skip }, () => {
  for (const [q, shape] of Object.entries(SHAPES)) {
    test(`${q} plans as Flink plans it`, () => {
      const plan = explainNexmark(q);
      for (const re of shape.has) assert.match(plan, re, plan);
      for (const re of shape.not ?? []) assert.doesNotMatch(plan, re, plan);
    });
  }
});

describe('SQL planner errors over parsed text', { skip }, () => {
  test('an unknown column points at it and suggests the nearest', () => {
    const env = StreamExecutionEnvironment.create();
    const tEnv = TableEnvironment.create(env);
    tEnv.executeSql(substitute(read('ddl_gen.sql')), 'ddl_gen.sql');
    tEnv.executeSql(substitute(read('ddl_views.sql')), 'ddl_views.sql');
    assert.throws(() => tEnv.executeSql('SELECT prise FROM bid', 'q.sql'), {
      message:
        "q.sql:1:8: Column 'prise' not found in any table\n  SELECT prise FROM bid\n         ^^^^^\nDid you mean 'price'?",
    });
  });

  test('an updating query into an append-only sink names the node that updates', () => {
    const env = StreamExecutionEnvironment.create();
    const tEnv = TableEnvironment.create(env);
    tEnv.executeSql(substitute(read('ddl_gen.sql')), 'ddl_gen.sql');
    tEnv.executeSql(substitute(read('ddl_views.sql')), 'ddl_views.sql');
    tEnv.executeSql(
      "CREATE TABLE out (a BIGINT, c BIGINT) WITH ('connector' = 'filesystem', 'path' = '/tmp/sql-planner-out', 'format' = 'json')",
    );
    assert.throws(
      () => tEnv.executeSql('INSERT INTO out SELECT auction, COUNT(*) AS c FROM bid GROUP BY auction', 'q.sql'),
      {
        message:
          /Table sink 'default_catalog\.default_database\.out' doesn't support consuming update changes which is produced by node GroupAggregate\(groupBy=\[auction\], select=\[auction, COUNT\(\*\) AS c\]\)/,
      },
    );
  });
});

describe('TableEnvironment with DataStream code', { skip }, () => {
  test('fromDataStream → view → sqlQuery with a function from code → toDataStream', async () => {
    const env = StreamExecutionEnvironment.create();
    const tEnv = TableEnvironment.create(env);
    const input = env.fromCollection([
      { a: 1, b: 'x' },
      { a: 2, b: 'y' },
      { a: 3, b: 'x' },
    ]);
    const schema = {
      fields: [
        { name: 'a', type: { kind: 'BIGINT', nullable: true } as const },
        { name: 'b', type: { kind: 'VARCHAR', length: 2147483647, nullable: true } as const },
      ],
    };
    tEnv.createTemporaryView('t', tEnv.fromDataStream(input, schema));
    tEnv.createFunction('twice', (x: number) => x * 2, { params: ['BIGINT'], returns: 'BIGINT' });
    const out = tEnv.toDataStream(tEnv.sqlQuery('SELECT twice(a) AS d, b FROM t WHERE a > 1')).collect('sql-ds');
    const changes = tEnv
      .toChangelogStream(tEnv.sqlQuery('SELECT b, COUNT(*) AS n FROM t GROUP BY b'))
      .collect('sql-changelog');
    await env.execute();
    assert.deepEqual(
      out.get().sort((x, y) => (x.d as number) - (y.d as number)),
      [
        { d: 4, b: 'y' },
        { d: 6, b: 'x' },
      ],
    );
    const final = new Map<string, unknown>();
    for (const c of changes.get()) {
      if (c.kind === '+I' || c.kind === '+U') final.set(c.row.b as string, c.row.n);
    }
    assert.deepEqual(Object.fromEntries(final), { x: 2, y: 1 });
    assert.throws(
      () => tEnv.toDataStream(tEnv.sqlQuery('SELECT b, COUNT(*) FROM t GROUP BY b')),
      /not an append-only table/,
    );
  });
});
