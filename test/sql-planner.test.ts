import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StreamExecutionEnvironment } from '../src/index.js';
import type { FunctionRegistry } from '../src/sql/functions/function-registry.js';
import type * as A from '../src/sql/parser/ast.js';
import { Catalog } from '../src/sql/planner/catalog.js';
import { inputsOf, type LogicalNode } from '../src/sql/planner/logical-nodes.js';
import { SqlWatermarkGenerator } from '../src/sql/planner/lower-source.js';
import { Planner } from '../src/sql/planner/planner.js';
import { parseDuration } from '../src/sql/planner/settings.js';
import { runStatement } from '../src/sql/planner/statements.js';
import type { Row } from '../src/sql/runtime/row.js';
import { SqlError } from '../src/sql/sql-error.js';
import {
  between,
  bin,
  col,
  colAt,
  collected,
  createTable,
  FakeCatalog,
  fakeCompiler,
  fn,
  insert,
  interval,
  join,
  num,
  over,
  select,
  star,
  sub,
  table,
  tvf,
  type,
  valuesConnector,
} from './sql-planner-fakes.js';

const BIDS = [
  [1, 10, 5, 1000],
  [1, 11, 50, 2000],
  [2, 10, 20, 3000],
  [2, 12, 7, 12000],
];

function setup(mode: 'streaming' | 'batch' = 'streaming') {
  const env = StreamExecutionEnvironment.create();
  env.setRuntimeMode(mode);
  const catalog = new Catalog(new FakeCatalog() as unknown as FunctionRegistry);
  const planner = new Planner(
    env,
    catalog,
    () => fakeCompiler,
    (n) => (n === 'values' ? valuesConnector : undefined),
  );
  const run = (stmt: A.Statement, text = '') => runStatement(stmt, planner, text, 'test.sql', process.cwd());
  run(
    createTable(
      'bid',
      [
        ['auction', type('BIGINT')],
        ['bidder', type('BIGINT')],
        ['price', type('BIGINT')],
        ['ts', type('TIMESTAMP', 3)],
      ],
      { connector: 'values', rows: JSON.stringify(BIDS) },
      ['ts', bin('-', col('ts'), interval('4', 'SECOND'))],
    ),
  );
  const plan = (q: A.Query) => planner.planQuery(q, '', 'test.sql').node;
  return { env, catalog, planner, run, plan };
}

/** Node kinds of a plan, depth first. */
function kinds(node: LogicalNode): string[] {
  return [node.kind, ...inputsOf(node).flatMap(kinds)];
}
function find<K extends LogicalNode['kind']>(node: LogicalNode, kind: K): (LogicalNode & { kind: K })[] {
  const here = node.kind === kind ? [node as LogicalNode & { kind: K }] : [];
  return [...here, ...inputsOf(node).flatMap((n) => find(n, kind))];
}

const tumble = () => tvf('TUMBLE', table('bid'), 'ts', interval('10', 'SECOND'));

describe('SQL planner: binder', () => {
  test('an unknown column is reported with its position, a caret and the nearest name', () => {
    const { plan } = setup();
    const text = 'SELECT prise FROM bid';
    const s = setup();
    assert.throws(
      () => s.planner.planQuery(select([colAt('prise', 7)], table('bid')), text, 'q.sql'),
      (e: unknown) => {
        assert.ok(e instanceof SqlError);
        assert.equal(
          e.message,
          "q.sql:1:8: Column 'prise' not found in any table\n  SELECT prise FROM bid\n         ^^^^^\nDid you mean 'price'?",
        );
        return true;
      },
    );
    assert.ok(plan(select([col('price')], table('bid'))));
  });

  test('a column neither grouped nor aggregated is refused', () => {
    const { plan } = setup();
    assert.throws(
      () => plan(select([col('bidder'), fn('COUNT', [star()])], table('bid'), { group: [col('auction')] })),
      /Expression 'bidder' is not being grouped/,
    );
  });

  test('the rowtime keeps its attribute through a plain reference and loses it in an unwindowed aggregate', () => {
    const { plan } = setup();
    const p = plan(select([col('ts'), [bin('+', col('price'), num(1)), 'p']], table('bid')));
    assert.deepEqual(p.schema.fields[0]!.type, {
      kind: 'TIMESTAMP',
      precision: 3,
      nullable: true,
      timeAttribute: 'rowtime',
    });
    const a = plan(select([col('ts'), fn('COUNT', [star()])], table('bid'), { group: [col('ts')] }));
    assert.equal((a.schema.fields[0]!.type as { timeAttribute?: string }).timeAttribute, undefined);
  });

  test('nested fields, qualified names and * expansion', () => {
    const { run, plan } = setup();
    run(
      createTable(
        'ev',
        [
          [
            'e',
            {
              kind: 'rowType',
              nullable: true,
              span: { start: 0, end: 0, line: 1, column: 1 },
              fields: [
                {
                  name: {
                    kind: 'identifier',
                    name: 'id',
                    quoted: false,
                    span: { start: 0, end: 0, line: 1, column: 1 },
                  },
                  type: type('BIGINT'),
                },
              ],
            },
          ],
        ],
        { connector: 'values' },
      ),
    );
    const p = plan(select([col('E', 'e', 'id'), star()], table('ev', 'E')));
    assert.deepEqual(
      p.schema.fields.map((f) => f.name),
      ['id', 'e'],
    );
  });
});

describe('SQL planner: plan shapes', () => {
  test('GROUP BY window_start, window_end over a window TVF is a window aggregate', () => {
    const { plan } = setup();
    const p = plan(
      select([col('auction'), [fn('COUNT', [star()]), 'n'], col('window_start'), col('window_end')], tumble(), {
        group: [col('auction'), col('window_start'), col('window_end')],
      }),
    );
    assert.ok(kinds(p).includes('windowAggregate'));
    assert.ok(!kinds(p).includes('windowTvf') && !kinds(p).includes('aggregate'));
    const w = find(p, 'windowAggregate')[0]!;
    assert.deepEqual(w.window, { type: 'TUMBLE', size: 10000 });
    assert.deepEqual(
      p.schema.fields.map((f) => f.name),
      ['auction', 'n', 'window_start', 'window_end'],
    );
  });

  test('a window aggregate over a window aggregate reuses its windows, and equal windows join as a window join (q5)', () => {
    const { plan } = setup();
    const hop = () => tvf('HOP', table('bid'), 'ts', interval('2', 'SECOND'), interval('10', 'SECOND'));
    const counts = () =>
      select(
        [
          col('auction'),
          [fn('COUNT', [star()]), 'num'],
          [col('window_start'), 'starttime'],
          [col('window_end'), 'endtime'],
        ],
        hop(),
        {
          group: [col('auction'), col('window_start'), col('window_end')],
        },
      );
    const maxes = select([[fn('MAX', [col('num')]), 'maxn'], col('starttime'), col('endtime')], sub(counts(), 'C'), {
      group: [col('starttime'), col('endtime')],
    });
    const q = select(
      [col('A', 'auction'), col('A', 'num')],
      join(
        'INNER',
        sub(counts(), 'A'),
        sub(maxes, 'M'),
        bin(
          'AND',
          bin(
            'AND',
            bin('=', col('A', 'starttime'), col('M', 'starttime')),
            bin('=', col('A', 'endtime'), col('M', 'endtime')),
          ),
          bin('>=', col('A', 'num'), col('M', 'maxn')),
        ),
      ),
    );
    const p = plan(q);
    const wins = find(p, 'windowAggregate');
    assert.equal(wins.length, 3);
    assert.ok(wins.some((w) => w.cascaded !== undefined && w.window.type === 'TUMBLE' && w.window.size === 2000));
    const j = find(p, 'join')[0]!;
    assert.equal(j.strategy.kind, 'window');
    assert.ok(j.residual !== undefined);
  });

  test('ROW_NUMBER with rn <= N is a Top-N; ordered by the rowtime and = 1 a deduplication', () => {
    const { plan } = setup();
    const ranked = (order: A.Expression, desc: boolean) =>
      select([star(), [fn('ROW_NUMBER', [], { over: over([col('auction')], [[order, desc]]) }), 'rn']], table('bid'));
    const top = plan(select([star()], sub(ranked(col('price'), true)), { where: bin('<=', col('rn'), num(10)) }));
    const r = find(top, 'rank')[0]!;
    assert.equal(r.rankEnd, 10);
    assert.equal(r.outputRankNumber, true);
    const dedup = plan(
      select([col('auction'), col('price')], sub(ranked(col('ts'), true)), { where: bin('<=', col('rn'), num(1)) }),
    );
    const d = find(dedup, 'deduplicate')[0]!;
    assert.equal(d.keepLast, true);
    assert.equal(d.rowtime, true);
    assert.equal(d.outputRankNumber, false);
  });

  test('ROW_NUMBER partitioned by window_start, window_end over a window aggregate is a window Top-N', () => {
    const { plan } = setup();
    const agg = select(
      [col('auction'), [fn('COUNT', [star()]), 'n'], col('window_start'), col('window_end')],
      tumble(),
      { group: [col('auction'), col('window_start'), col('window_end')] },
    );
    const ranked = select(
      [
        star(),
        [fn('ROW_NUMBER', [], { over: over([col('window_start'), col('window_end')], [[col('n'), true]]) }), 'rn'],
      ],
      sub(agg),
    );
    const p = plan(select([star()], sub(ranked), { where: bin('<=', col('rn'), num(3)) }));
    const w = find(p, 'windowRank')[0]!;
    assert.equal(w.rankEnd, 3);
    assert.deepEqual(w.partition, []);
  });

  test('time bounds on both rowtimes make an interval join; a bound on a plain timestamp stays a regular join (q7)', () => {
    const { plan } = setup();
    const cond = bin(
      'AND',
      bin('=', col('A', 'auction'), col('B', 'auction')),
      between(col('B', 'ts'), bin('-', col('A', 'ts'), interval('10', 'SECOND')), col('A', 'ts')),
    );
    const p = plan(
      select([col('A', 'price'), col('B', 'price')], join('INNER', table('bid', 'A'), table('bid', 'B'), cond)),
    );
    const j = find(p, 'join')[0]!;
    assert.equal(j.strategy.kind, 'interval');
    if (j.strategy.kind === 'interval') {
      assert.deepEqual([j.strategy.lower, j.strategy.upper], [-10000, 0]);
      assert.equal(j.left.schema.fields[j.strategy.leftTime]!.name, 'ts');
      assert.equal(j.right.schema.fields[j.strategy.rightTime]!.name, 'ts');
    }
    const b1 = select(
      [
        [fn('MAX', [col('price')]), 'maxprice'],
        [col('window_end'), 'ts'],
      ],
      tumble(),
      { group: [col('window_start'), col('window_end')] },
    );
    const q7 = select(
      [col('B', 'auction')],
      join('INNER', table('bid', 'B'), sub(b1, 'B1'), bin('=', col('B', 'price'), col('B1', 'maxprice'))),
      {
        where: between(col('B', 'ts'), bin('-', col('B1', 'ts'), interval('10', 'SECOND')), col('B1', 'ts')),
      },
    );
    const p7 = plan(q7);
    const j7 = find(p7, 'join')[0]!;
    assert.equal(j7.strategy.kind, 'regular');
    assert.deepEqual(
      [j7.left.schema.fields[j7.leftKeys[0]!]!.name, j7.right.schema.fields[j7.rightKeys[0]!]!.name],
      ['price', 'maxprice'],
    );
    assert.ok(j7.residual !== undefined, 'the time bounds stay as the residual condition');
  });

  test('GROUP BY SESSION(ts, gap) is a session window aggregate with SESSION_START / SESSION_END', () => {
    const { plan } = setup();
    const p = plan(
      select(
        [
          col('bidder'),
          fn('COUNT', [star()]),
          fn('SESSION_START', [col('ts'), interval('10', 'SECOND')]),
          fn('SESSION_END', [col('ts'), interval('10', 'SECOND')]),
        ],
        table('bid'),
        {
          group: [col('bidder'), fn('SESSION', [col('ts'), interval('10', 'SECOND')])],
        },
      ),
    );
    const w = find(p, 'windowAggregate')[0]!;
    assert.deepEqual(w.window, { type: 'SESSION', gap: 10000 });
    assert.deepEqual(
      p.schema.fields.map((f) => f.type.kind),
      ['BIGINT', 'BIGINT', 'TIMESTAMP', 'TIMESTAMP'],
    );
  });

  test('filters are pushed below a join and into the scans; the scan reads only the columns used', () => {
    const { plan } = setup();
    const p = plan(
      select(
        [col('A', 'price')],
        join('INNER', table('bid', 'A'), table('bid', 'B'), bin('=', col('A', 'auction'), col('B', 'auction'))),
        { where: bin('>', col('B', 'price'), num(10)) },
      ),
    );
    const j = find(p, 'join')[0]!;
    assert.equal(j.residual, undefined);
    assert.ok(find(j.right, 'calc').some((c) => c.condition !== undefined));
  });
});

describe('SQL planner: subqueries', () => {
  const exists = (q: A.Query, negated = false): A.ExistsExpression => ({
    kind: 'exists',
    query: q,
    negated,
    span: { start: 0, end: 0, line: 1, column: 1 },
  });
  test('a correlated EXISTS becomes a SEMI join on the correlation; NOT EXISTS an ANTI join', () => {
    const { plan } = setup();
    const inner = select([star()], table('bid', 'C'), {
      where: bin('AND', bin('=', col('C', 'bidder'), col('B', 'bidder')), bin('>', col('C', 'price'), num(10))),
    });
    const p = plan(select([col('B', 'auction')], table('bid', 'B'), { where: exists(inner) }));
    const j = find(p, 'join')[0]!;
    assert.equal(j.joinType, 'SEMI');
    assert.deepEqual(
      [j.left.schema.fields[j.leftKeys[0]!]!.name, j.right.schema.fields[j.rightKeys[0]!]!.name],
      ['bidder', 'bidder'],
    );
    assert.equal(j.residual, undefined);
    assert.ok(
      find(j.right, 'calc').some((c) => c.condition !== undefined),
      'the inner condition stays in the subquery',
    );
    const q = select([col('B', 'auction')], table('bid', 'B'), {
      where: { kind: 'unary', operator: 'NOT', operand: exists(inner), span: { start: 0, end: 0, line: 1, column: 1 } },
    });
    assert.equal(find(plan(q), 'join')[0]!.joinType, 'ANTI');
  });

  test('IN (subquery) is a SEMI join on the value; a scalar subquery joins a single-row aggregate', () => {
    const { plan } = setup();
    const inq: A.InSubqueryExpression = {
      kind: 'inSubquery',
      expression: col('auction'),
      query: select([col('auction')], table('bid'), { where: bin('>', col('price'), num(40)) }),
      negated: false,
      span: { start: 0, end: 0, line: 1, column: 1 },
    };
    const p = plan(select([col('bidder')], table('bid'), { where: inq }));
    const j = find(p, 'join')[0]!;
    assert.equal(j.joinType, 'SEMI');
    assert.equal(j.leftKeys.length, 1);
    const scalar: A.ScalarSubquery = {
      kind: 'scalarSubquery',
      query: select([fn('MAX', [col('price')])], table('bid')),
      span: { start: 0, end: 0, line: 1, column: 1 },
    };
    const s2 = plan(select([col('auction')], table('bid'), { where: bin('=', col('price'), scalar) }));
    const j2 = find(s2, 'join')[0]!;
    assert.equal(j2.joinType, 'LEFT');
    assert.ok(find(j2.right, 'aggregate').length === 1);
  });
});

describe('SQL planner: changelogs and sinks', () => {
  test("an updating query into an insert-only sink is refused with Flink's message at the INSERT", () => {
    const { run } = setup();
    run(
      createTable(
        'out',
        [
          ['auction', type('BIGINT')],
          ['c', type('BIGINT')],
        ],
        { connector: 'values' },
      ),
    );
    const text = 'INSERT INTO out SELECT auction, COUNT(*) AS c FROM bid GROUP BY auction';
    const stmt = insert(
      'out',
      select([col('auction'), [fn('COUNT', [star()]), 'c']], table('bid'), { group: [col('auction')] }),
      { start: 0, end: 6, line: 1, column: 1 },
    );
    assert.throws(
      () => run(stmt, text),
      (e: unknown) => {
        assert.ok(e instanceof SqlError);
        assert.match(
          e.message,
          /^test\.sql:1:1: Table sink 'default_catalog\.default_database\.out' doesn't support consuming update changes which is produced by node GroupAggregate\(groupBy=\[auction\], select=\[auction, COUNT\(\*\) AS c\]\)/,
        );
        return true;
      },
    );
  });

  test('a non-retractable aggregate over an updating input is refused', () => {
    const { plan } = setup();
    const inner = select([col('auction'), [fn('COUNT', [star()]), 'c']], table('bid'), { group: [col('auction')] });
    assert.throws(
      () => plan(select([fn('MAX', [col('c')])], sub(inner))),
      /Aggregate function 'MAX' cannot consume update changes/,
    );
    const tvfOverUpdates = select(
      [fn('COUNT', [star()])],
      tvf(
        'TUMBLE',
        sub(
          select(
            [col('auction'), col('ts')],
            sub(select([col('auction'), col('ts')], table('bid'), { group: [col('auction'), col('ts')] })),
          ),
        ),
        'ts',
        interval('1', 'SECOND'),
      ),
    );
    assert.throws(() => plan(tvfOverUpdates), /time attribute/);
  });

  test('EXPLAIN shows every node with its changelog mode', () => {
    const { run } = setup();
    run(
      createTable(
        'out2',
        [
          ['auction', type('BIGINT')],
          ['c', type('BIGINT')],
        ],
        { connector: 'values', updating: 'true' },
      ),
    );
    const stmt: A.ExplainStatement = {
      kind: 'explain',
      details: ['CHANGELOG_MODE'],
      statement: insert(
        'out2',
        select([col('auction'), [fn('COUNT', [star()]), 'c']], table('bid'), { group: [col('auction')] }),
      ),
      span: { start: 0, end: 0, line: 1, column: 1 },
    };
    const r = run(stmt);
    assert.equal(r.kind, 'table');
    const text = r.kind === 'table' ? r.rows[0]![0]! : '';
    assert.match(text, /Sink\(table=\[default_catalog\.default_database\.out2\]/);
    assert.match(
      text,
      /GroupAggregate\(groupBy=\[auction\], select=\[auction, COUNT\(\*\) AS c\], changelogMode=\[I,UB,UA,D\]\)/,
    );
    assert.match(
      text,
      /TableSourceScan\(table=\[\[default_catalog, default_database, bid\]\], fields=\[auction\], changelogMode=\[I\]\)/,
    );
  });

  test('INSERT with a column list reorders and fills NULLs; rows reach the sink through one calc', async () => {
    const { run, env } = setup();
    run(
      createTable(
        'sink',
        [
          ['a', type('BIGINT')],
          ['b', type('BIGINT')],
          ['c', type('BIGINT')],
        ],
        { connector: 'values' },
      ),
    );
    const stmt: A.InsertStatement = {
      ...insert(
        'sink',
        select([bin('*', col('price'), num(2)), col('auction')], table('bid'), {
          where: bin('>', col('price'), num(6)),
        }),
      ),
      columns: [
        { kind: 'identifier', name: 'c', quoted: false, span: { start: 0, end: 0, line: 1, column: 1 } },
        { kind: 'identifier', name: 'a', quoted: false, span: { start: 0, end: 0, line: 1, column: 1 } },
      ],
    };
    run(stmt);
    await env.execute();
    const rows = collected.get('default_catalog.default_database.sink')!.get();
    const expected = BIDS.filter((b) => b[2]! > 6).map((b) => [0, b[0], null, b[2]! * 2]);
    assert.deepEqual(rows.sort(), expected.sort());
  });

  test('query results carry the rowtime as record timestamp', async () => {
    const { planner, plan, env } = setup();
    const p = plan(select([col('auction'), col('ts')], table('bid')));
    const lowered = planner.lowerQuery(p, '', 'test.sql', undefined);
    const h = lowered.stream
      .process<[number | undefined, Row]>({
        processElement(row, ctx, out) {
          out.collect([ctx.timestamp(), row]);
        },
      })
      .collect('ts');
    await env.execute();
    for (const [ts, row] of h.get()) assert.equal(ts, row[2]);
    assert.equal(h.get().length, BIDS.length);
  });
});

describe('SQL planner: catalog statements', () => {
  const sp0 = { start: 0, end: 0, line: 1, column: 1 };
  test('SET validates and records settings; RESET removes them; DESCRIBE shows the rowtime and watermark', () => {
    const { run, catalog } = setup();
    assert.deepEqual(run({ kind: 'set', key: 'table.exec.state.ttl', value: '1 h', span: sp0 }), {
      kind: 'ok',
      statement: '',
      message: '[INFO] Session property has been set.',
    });
    assert.equal(catalog.stateTtlMs(), 3600000);
    assert.throws(
      () => run({ kind: 'set', key: 'table.exec.state.ttl', value: 'soon', span: sp0 }),
      /Could not parse duration/,
    );
    run({ kind: 'reset', key: 'table.exec.state.ttl', span: sp0 });
    assert.equal(catalog.stateTtlMs(), 0);
    const d = run({
      kind: 'describe',
      name: {
        kind: 'qualifiedName',
        parts: [{ kind: 'identifier', name: 'bid', quoted: false, span: sp0 }],
        span: sp0,
      },
      span: sp0,
    });
    assert.equal(d.kind, 'table');
    if (d.kind === 'table') {
      assert.deepEqual(d.columns, ['name', 'type', 'null', 'key', 'extras', 'watermark']);
      assert.deepEqual(d.rows[3]!.slice(0, 3), ['ts', 'TIMESTAMP(3) *ROWTIME*', 'TRUE']);
    }
    const tables = run({ kind: 'show', what: 'TABLES', span: sp0 });
    assert.deepEqual(tables.kind === 'table' ? tables.rows : [], [['bid']]);
  });

  test('the same statements build the same plan: node uids are sql-<statement>-<path>', () => {
    const uids = () => {
      const { run, env } = setup();
      run(createTable('o', [['a', type('BIGINT')]], { connector: 'values' }));
      run(insert('o', select([col('auction')], table('bid'), { where: bin('>', col('price'), num(6)) })));
      return env.buildPlan().nodes.map((n) => n.uid);
    };
    const first = uids();
    assert.deepEqual(first, uids());
    assert.ok(first.some((u) => u?.startsWith('sql-0-')));
  });
});

describe('SQL planner: settings and watermarks', () => {
  test("durations in Flink's forms", () => {
    assert.equal(parseDuration('1 h'), 3600000);
    assert.equal(parseDuration('3600000 ms'), 3600000);
    assert.equal(parseDuration('10 s'), 10000);
    assert.equal(parseDuration('250'), 250);
    assert.throws(() => parseDuration('ten s'), /Could not parse duration/);
  });

  test('the SQL watermark is the maximum of the expression, emitted as is', () => {
    const g = new SqlWatermarkGenerator((row) => (row[1] as number) - 4000);
    for (const t of [10000, 8000, 15000, 12000]) g.onEvent([0, t]);
    assert.equal(g.currentWatermark(), 11000);
  });
});
