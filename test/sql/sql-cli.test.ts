// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests are about the ${VAR} placeholders of SQL scripts
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ResultView } from '../../src/cli/sql-client/result-view.js';
import { splitStatements } from '../../src/cli/sql-client/statement-splitter.js';
import { NexmarkGenerator } from '../../src/connectors/nexmark/nexmark-generator.js';
import { Tableau } from '../../src/sql/connectors/formats/tableau.js';
import { formatTextTable, substituteVariables, TableauOrder } from '../../src/sql/sql-job.js';
import type { SqlType } from '../../src/sql/types/sql-type.js';
import { bin, describeExit, root, runSluice } from '../fixtures/ckpt-support.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-sql-cli-'));
const t = (kind: string, extra: Record<string, unknown> = {}): SqlType =>
  ({ kind, nullable: true, ...extra }) as SqlType;

test('${VAR} substitution: values from -D; a missing one names the variable and line', () => {
  assert.equal(substituteVariables("'rate' = '${TPS}', ${TPS}", { TPS: '1000' }, 'q.sql'), "'rate' = '1000', 1000");
  assert.throws(
    () => substituteVariables('a\nb ${EVENTS_NUM}', {}, 'q.sql'),
    /q\.sql:2: no value for \$\{EVENTS_NUM\}: give it with -D EVENTS_NUM=/,
  );
  // A function body is code: its template literals are not variables.
  const body = 'CREATE FUNCTION f AS $$ (s: string) => `${s}!` $$ LANGUAGE TYPESCRIPT; SELECT f(${X});';
  assert.equal(
    substituteVariables(body, { X: "'a'" }, 'q.sql'),
    "CREATE FUNCTION f AS $$ (s: string) => `${s}!` $$ LANGUAGE TYPESCRIPT; SELECT f('a');",
  );
});

test('the SELECTs of a script print one after the other, in script order, whatever order their rows arrive in', async () => {
  let out = '';
  const order = new TableauOrder((text) => {
    out += text;
  });
  // Three SELECTs; the third ends first, the second's output arrives before the first's.
  order.emit(2, 'c1 ');
  await order.end(2);
  order.emit(1, 'b1 ');
  order.emit(0, 'a1 ');
  order.emit(1, 'b2 ');
  assert.equal(out, 'a1 ');
  order.emit(0, 'a2 ');
  await order.end(0);
  assert.equal(out, 'a1 a2 b1 b2 ');
  order.emit(1, 'b3 ');
  await order.end(1);
  assert.equal(out, 'a1 a2 b1 b2 b3 c1 ');
});

test('statements end at a semicolon outside strings and comments', () => {
  assert.deepEqual(splitStatements("SELECT ';' FROM t; -- x;\nSELECT 2;\nSELECT"), {
    statements: ["SELECT ';' FROM t;", '-- x;\nSELECT 2;'],
    rest: '\nSELECT',
  });
  assert.deepEqual(splitStatements('SELECT 1\n'), { statements: [], rest: 'SELECT 1\n' });
});

test('tableau: Flink client layout with changelog column, type widths, <NULL>, truncation', () => {
  const tab = new Tableau(
    [
      { name: 'id', type: t('BIGINT') },
      { name: 'name', type: t('VARCHAR', { length: 2147483647 }) },
    ],
    true,
  );
  assert.equal(
    tab.header(),
    [
      '+----+----------------------+--------------------------------+',
      '| op |                   id |                           name |',
      '+----+----------------------+--------------------------------+',
    ].join('\n'),
  );
  assert.equal(tab.row([1, 5, null], '-U'), '| -U |                    5 |                         <NULL> |');
  assert.equal(tab.row([0, 5, 'x'.repeat(40)], '+I').endsWith(`| ${'x'.repeat(27)}... |`), true);
  assert.equal(Tableau.total(1), 'Received a total of 1 row');
  assert.equal(
    formatTextTable(['table name'], [['bid'], ['person']]),
    '+------------+\n| table name |\n+------------+\n| bid        |\n| person     |\n+------------+\n2 rows in set',
  );
});

test('result view in table mode applies the changelog and prints the final table when not a terminal', () => {
  let text = '';
  const out = {
    write: (s: string) => {
      text += s;
      return true;
    },
    isTTY: false,
  } as unknown as NodeJS.WritableStream;
  const view = new ResultView([{ name: 'n', type: t('INT') }], 'table', out);
  view.start();
  view.add([
    [0, 1],
    [0, 2],
    [1, 1],
    [2, 3],
  ]);
  view.finish(false);
  const rows = text.split('\n').filter((l) => /^\| +\d/.test(l));
  assert.deepEqual(rows, ['|           2 |', '|           3 |']);
  assert.match(text, /Received a total of 4 rows/);
});

test('sluice sql: -f with ${VARS} from -D runs nexmark into a filesystem sink at p=2', async () => {
  const script = join(dir, 'bids.sql');
  writeFileSync(
    script,
    `${readFileSync(new URL('../../bench/nexmark/sql/ddl_gen.sql', import.meta.url), 'utf8')};
CREATE TABLE out_bids (auction BIGINT, price BIGINT) WITH ('connector' = 'filesystem', 'path' = 'bids-out', 'format' = 'json');
INSERT INTO out_bids SELECT bid.auction, bid.price FROM datagen WHERE event_type = 2;
`,
  );
  const exit = await runSluice(
    [
      'sql',
      '-f',
      script,
      '-p',
      '2',
      '-D',
      'TPS=10000',
      '-D',
      'EVENTS_NUM=1000',
      '-D',
      'PERSON_PROPORTION=1',
      '-D',
      'AUCTION_PROPORTION=3',
      '-D',
      'BID_PROPORTION=46',
    ],
    120_000,
  );
  assert.equal(exit.code, 0, describeExit(exit));
  const g = new NexmarkGenerator({ seed: 0, baseTime: 0 });
  const expected: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const e = g.event(i);
    if (e.event_type === 2) expected.push(`{"auction":${e.bid.auction},"price":${e.bid.price}}`);
  }
  const out = join(dir, 'bids-out');
  const lines = readdirSync(out)
    .filter((n) => n.startsWith('part-'))
    .flatMap((n) =>
      readFileSync(join(out, n), 'utf8')
        .split('\n')
        .filter((l) => l !== ''),
    );
  assert.deepEqual(lines.sort(), expected.sort());
});

test('sluice sql: a SELECT prints a tableau; a plan error prints line:column without a stack and exits 1', async () => {
  const ok = await runSluice(['sql', '-e', "SELECT 1 AS one, 'a' AS s;"], 60_000);
  assert.equal(ok.code, 0, describeExit(ok));
  assert.match(ok.stdout, /\| op \| +one \| +s \|/);
  assert.match(ok.stdout, /\| \+I \| +1 \| +a \|/);
  assert.match(ok.stdout, /Received a total of 1 row/);
  const bad = await runSluice(['sql', '-e', 'SELECT nope FROM nowhere;'], 60_000);
  assert.equal(bad.code, 1, describeExit(bad));
  assert.match(bad.stderr, /<inline>:1:\d+: /);
  assert.doesNotMatch(bad.stderr, /\n\s+at /);
});

test('interactive client: statements from stdin, SHOW and SELECT results, QUIT', async () => {
  const child = spawn(process.execPath, [bin, 'sql'], {
    cwd: root,
    env: { ...process.env, SLUICE_SQL_HISTORY: join(dir, 'history') },
  });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stdin.end(
    [
      "CREATE TABLE g (id BIGINT) WITH ('connector' = 'datagen', 'fields.id.kind' = 'sequence',",
      "  'fields.id.start' = '1', 'fields.id.end' = '3');",
      'SHOW TABLES;',
      "SET 'sql-client.execution.result-mode' = 'tableau';",
      'SELECT id FROM g;',
      'QUIT;',
      '',
    ].join('\n'),
  );
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0, stdout);
  assert.match(stdout, /\| g +\|/);
  assert.match(stdout, /\| \+I \| +3 \|/);
  assert.match(stdout, /Received a total of 3 rows/);
  // Statements piped in are not the user's typing: no history is kept for them.
  assert.equal(existsSync(join(dir, 'history')), false);
});
