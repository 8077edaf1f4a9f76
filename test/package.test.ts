import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';

/**
 * The package as users get it: `npm pack`, the tarball installed into fresh projects outside the repository, jobs
 * written there run by its `sluice` command. Nothing here uses the repository's sources.
 */

const repo = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'sluice-package-'));
const project = join(work, 'project');
let tarball = '';

/** The environment of a user's shell: none of the repository's test settings (its export condition, the runner's). */
const userEnv: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' };
delete userEnv.NODE_TEST_CONTEXT;

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, env: userEnv, encoding: 'utf8', timeout: 300_000 });
  if (r.error) throw r.error;
  return r;
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.status, 0, `${what} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Warnings in npm's output, except its notice that dependency install scripts were skipped (see docs/GUIDE.md). */
function npmWarnings(output: string): string[] {
  return output.split('\n').filter((l) => /^npm warn/i.test(l) && !/^npm warn install-scripts/i.test(l));
}

before(() => {
  const packed = ok(run('npm', ['pack', '--json', '--pack-destination', work], repo), 'npm pack');
  const [info] = JSON.parse(packed.slice(packed.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, info!.filename);
  const files = info!.files.map((f) => f.path);
  assert.ok(files.includes('dist/index.js') && files.includes('dist/index.d.ts'), 'compiled entry and types packed');
  assert.ok(files.includes('dist/web-ui/index.html'), 'the built dashboard packed (nothing is built at install)');
  assert.ok(!files.some((f) => f.startsWith('src/') || f.startsWith('test/')), 'no sources or tests packed');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), '{ "name": "user-project", "version": "1.0.0" }\n');
  const install = run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], project);
  ok(install, 'npm install of the tarball');
  assert.deepEqual(npmWarnings(install.stdout + install.stderr), [], 'npm install warns');
});

const words = ['alpha', 'beta', 'gamma', 'delta', 'alpha', 'beta', 'alpha', 'epsilon', 'gamma', 'alpha'];

/** What every word-count job below prints, in sorted order: a brute-force count. */
function expectedCounts(): string[] {
  const counts = new Map<string, number>();
  for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
  return [...counts].map(([w, n]) => `${w}=${n}`).sort();
}

const esmJob = (helper: string, typed = true) => `import { defineJob } from 'sluice';
import { label } from '${helper}';
export default defineJob((env) => {
  env.fromCollection(${JSON.stringify(words)})
    .map((w${typed ? ': string' : ''}) => ({ w, n: 1 }))
    .keyBy((r) => r.w)
    .reduce((a, b) => ({ w: a.w, n: a.n + b.n }))
    .process({ processElement(r, _ctx, out) { out.collect(label(r.w, r.n)); } })
    .print();
});
`;
const cjsJob = (helper: string) => `const { defineJob } = require('sluice');
const { label } = require('${helper}');
module.exports = defineJob((env) => {
  env.fromCollection(${JSON.stringify(words)})
    .map((w) => ({ w, n: 1 }))
    .keyBy((r) => r.w)
    .reduce((a, b) => ({ w: a.w, n: a.n + b.n }))
    .process({ processElement(r, _ctx, out) { out.collect(label(r.w, r.n)); } })
    .print();
});
`;
const tsHelper = "export const label = (w: string, n: number): string => w + '=' + n;\n";
const esmHelper = "export const label = (w, n) => w + '=' + n;\n";
const cjsHelper = "exports.label = (w, n) => w + '=' + n;\n";

/** Job files per module kind of the project: TypeScript and JavaScript, each importing a helper of its own. */
function writeProject(dir: string, type: string | undefined): string[] {
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify(type === undefined ? {} : { type }));
  const esmJs = type === 'module';
  const files: Record<string, string> = {
    'helper.ts': tsHelper,
    'job.ts': esmJob('./helper.js'),
    'helper-m.mts': tsHelper,
    'job.mts': esmJob('./helper-m.mjs'),
    'helper-c.cts': tsHelper,
    'job.cts': esmJob('./helper-c.cjs'),
    'helper.mjs': esmHelper,
    'job.mjs': esmJob('./helper.mjs', false),
    'helper.cjs': cjsHelper,
    'job.cjs': cjsJob('./helper.cjs'),
    'job.js': esmJs ? esmJob('./helper.mjs', false) : cjsJob('./helper.cjs'),
  };
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  return Object.keys(files).filter((f) => f.startsWith('job.'));
}

/** Running totals of a keyed sum (lines `word=n`, prefixed `i> ` by subtask at p > 1): the largest per word. */
function finalCounts(stdout: string): string[] {
  const most = new Map<string, number>();
  for (const line of stdout.split('\n').filter((l) => l !== '')) {
    const [word, n] = line.replace(/^\d+> /, '').split('=');
    most.set(word!, Math.max(most.get(word!) ?? 0, Number(n)));
  }
  return [...most].map(([w, n]) => `${w}=${n}`).sort();
}

for (const type of ['module', 'commonjs', undefined]) {
  test(`job files of every kind run in a project of type ${type ?? '(none)'} at parallelism 1 and 2`, () => {
    const dir = join(project, `type-${type ?? 'none'}`);
    for (const job of writeProject(dir, type)) {
      for (const p of ['1', '2']) {
        const out = ok(run(join(project, 'node_modules/.bin/sluice'), ['run', job, '-p', p], dir), `${job} at p=${p}`);
        assert.deepEqual(finalCounts(out), expectedCounts(), `${job} at p=${p}`);
      }
    }
  });
}

test('a job file outside any project runs with the engine that runs it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-loose-'));
  writeFileSync(join(dir, 'helper.ts'), tsHelper);
  writeFileSync(join(dir, 'job.ts'), esmJob('./helper.js'));
  const out = ok(
    run(join(project, 'node_modules/.bin/sluice'), ['run', join(dir, 'job.ts'), '-p', '2'], project),
    'job',
  );
  assert.deepEqual(finalCounts(out), expectedCounts());
});

test('plain node imports and requires the package without a TypeScript loader', () => {
  const esm = run(process.execPath, ['--input-type=module', '-e', IMPORT_ALL], project);
  assert.equal(ok(esm, 'import').trim(), 'function function function function function');
  const cjs = run(process.execPath, ['-e', REQUIRE_CORE_AND_SQL], project);
  assert.equal(ok(cjs, 'require').trim(), 'function function');
});

const IMPORT_ALL = `
const [core, testing, kafka, statefun, sql] = await Promise.all(
  ['sluice', 'sluice/testing', 'sluice/kafka', 'sluice/statefun', 'sluice/sql'].map((m) => import(m)));
console.log(typeof core.defineJob, typeof testing.OperatorTestHarness, typeof kafka.KafkaSource, typeof statefun.serveFunctions, typeof sql.TableEnvironment);
`;

const REQUIRE_CORE_AND_SQL =
  "console.log(typeof require('sluice').defineJob, typeof require('sluice/sql').TableEnvironment)";

test('the type declarations type user code: a right program compiles, a wrong one is rejected', () => {
  const dir = join(project, 'types');
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        // A TypeScript project on Node has Node's types; this one borrows the repository's copy.
        typeRoots: [join(repo, 'node_modules/@types')],
        types: ['node'],
      },
      include: ['*.ts'],
    }),
  );
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
  writeFileSync(
    join(dir, 'job.ts'),
    `import { defineJob, TumblingEventTimeWindows } from 'sluice';
import { schemaOf, TableEnvironment } from 'sluice/sql';
import { OperatorTestHarness } from 'sluice/testing';
export default defineJob((env) => {
  const clicks = env.fromCollection([{ user: 'a', n: 1 }]);
  clicks
    .keyBy((e) => e.user)
    .window(TumblingEventTimeWindows.of(1000))
    .aggregate({ createAccumulator: () => 0, add: (e, acc: number) => acc + e.n, getResult: (acc) => acc })
    .map((total) => total.toFixed(1))
    .print();
  const tableEnv = TableEnvironment.create(env);
  const table = tableEnv.fromDataStream(clicks, schemaOf({ user: 'STRING', n: 'BIGINT' }));
  tableEnv.toDataStream(table).map((row) => String(row.user)).print();
});
export const harness = OperatorTestHarness;
`,
  );
  const tsc = join(repo, 'node_modules/typescript/bin/tsc');
  ok(run(process.execPath, [tsc, '-p', dir], dir), 'tsc on a right program');
  writeFileSync(
    join(dir, 'wrong.ts'),
    `import { defineJob } from 'sluice';
export default defineJob((env) => { env.fromCollection([1, 2]).map((n) => n.toUpperCase()).print(); });
`,
  );
  const wrong = run(process.execPath, [tsc, '-p', dir], dir);
  assert.notEqual(wrong.status, 0);
  assert.match(wrong.stdout, /wrong\.ts.*toUpperCase/);
});

test('sluice init creates a project whose tests pass and whose job runs', () => {
  const sluice = join(project, 'node_modules/.bin/sluice');
  ok(run(sluice, ['init', 'my-app'], project), 'sluice init');
  const app = join(project, 'my-app');
  const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as { dependencies: { sluice: string } };
  assert.equal(manifest.dependencies.sluice, `file:${tarball}`, 'the project depends on the sluice that created it');
  const install = run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], app);
  ok(install, 'npm install in the new project');
  assert.deepEqual(
    (install.stdout + install.stderr).split('\n').filter((l) => /^npm warn/i.test(l)),
    [],
    'a new project installs without warnings',
  );
  const testRun = ok(run('npm', ['test'], app), 'npm test in the new project');
  assert.match(testRun, /# pass [1-9]/);
  const start = ok(run('npm', ['start', '--silent'], app), 'npm start in the new project');
  const printed = start
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .sort();
  assert.deepEqual(printed, clicksPerMinute(readFileSync(join(app, 'data/clicks.jsonl'), 'utf8')));
  const again = run(sluice, ['init', 'my-app'], project);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /my-app is not empty/);
});

/** Brute force over the sample data of `sluice init`: clicks per user and minute, as the job prints them. */
function clicksPerMinute(jsonLines: string): string[] {
  const counts = new Map<string, number>();
  for (const line of jsonLines.split('\n').filter((l) => l !== '')) {
    const { user, ts } = JSON.parse(line) as { user: string; ts: number };
    const key = JSON.stringify([user, ts - (ts % 60_000)]);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts]
    .map(([key, clicks]) => {
      const [user, windowStart] = JSON.parse(key) as [string, number];
      return JSON.stringify({ user, windowStart, clicks });
    })
    .sort();
}

/** Bids of the SQL cases: a fixed pseudo-random sequence (an LCG), so the brute-force answer is computed here. */
function sqlBids(): { auction: number; price: number }[] {
  let x = 7;
  const next = () => (x = (x * 1103515245 + 12345) % 2147483648);
  return Array.from({ length: 300 }, () => ({ auction: next() % 7, price: next() % 1000 }));
}

const SQL_SCRIPT = `-- bids in two files, read in parallel
CREATE TABLE bids (auction BIGINT, price BIGINT)
WITH ('connector' = 'filesystem', 'path' = 'data', 'format' = 'json');

CREATE FUNCTION band(p BIGINT) RETURNS STRING AS $$ (p: number): string => (p >= 500 ? 'high' : 'low') $$
LANGUAGE TYPESCRIPT;
CREATE FUNCTION fee(p BIGINT) RETURNS BIGINT AS './udfs.ts#fee' LANGUAGE TYPESCRIPT;
CREATE FUNCTION half AS './lib/half.ts';

SELECT band(price) AS band, SUM(fee(price)) AS fees, SUM(half(auction)) AS halves, COUNT(*) AS n
FROM bids GROUP BY band(price);
`;

/** The final table of a tableau changelog (`| +I | a | b |` lines): +I/+U rows added, -U/-D rows taken away. */
function finalRows(tableau: string): string[] {
  const rows: string[] = [];
  for (const line of tableau.split('\n')) {
    const m = /^\| ([+-][IUD]) \|(.*)\|$/.exec(line);
    if (m === null) continue;
    const row = m[2]!
      .split('|')
      .map((c) => c.trim())
      .join(',');
    if (m[1] === '+I' || m[1] === '+U') rows.push(row);
    else rows.splice(rows.indexOf(row), 1);
  }
  return rows.sort();
}

test('sluice sql runs a script with an inline TypeScript function and module functions at parallelism 2', () => {
  const dir = join(project, 'sql-script');
  mkdirSync(join(dir, 'data'), { recursive: true });
  mkdirSync(join(dir, 'lib'));
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
  const bids = sqlBids();
  const lines = bids.map((b) => JSON.stringify(b));
  writeFileSync(join(dir, 'data/a.jsonl'), `${lines.slice(0, 150).join('\n')}\n`);
  writeFileSync(join(dir, 'data/b.jsonl'), `${lines.slice(150).join('\n')}\n`);
  // One module imports the package (resolved to the project's installation), one imports nothing.
  writeFileSync(
    join(dir, 'udfs.ts'),
    `import { PlanError } from 'sluice';
export function fee(price: number): number {
  if (price < 0) throw new PlanError('negative price');
  return Math.floor(price / 10);
}
`,
  );
  writeFileSync(join(dir, 'lib/half.ts'), 'export default (n: number): number => Math.floor(n / 2);\n');
  writeFileSync(join(dir, 'report.sql'), SQL_SCRIPT);
  const expected = new Map<string, { fees: number; halves: number; n: number }>();
  for (const b of bids) {
    const band = b.price >= 500 ? 'high' : 'low';
    const e = expected.get(band) ?? { fees: 0, halves: 0, n: 0 };
    expected.set(band, {
      fees: e.fees + Math.floor(b.price / 10),
      halves: e.halves + Math.floor(b.auction / 2),
      n: e.n + 1,
    });
  }
  const want = [...expected].map(([band, e]) => `${band},${e.fees},${e.halves},${e.n}`).sort();
  const sluice = join(project, 'node_modules/.bin/sluice');
  // Run from another directory: table paths and module functions resolve against the script's directory.
  const out = ok(run(sluice, ['sql', '-f', join(dir, 'report.sql'), '-p', '2'], project), 'sluice sql -f');
  assert.deepEqual(finalRows(out), want);
  assert.match(out, /Received a total of \d+ rows/);
  // The same statements inline (-e, paths against the working directory) and piped into the client.
  const inline = ok(run(sluice, ['sql', '-e', SQL_SCRIPT, '-p', '2', '--mode', 'batch'], dir), 'sluice sql -e');
  assert.deepEqual(finalRows(inline), want);
  const piped = spawnSync(sluice, ['sql'], {
    cwd: dir,
    env: { ...userEnv, SLUICE_SQL_HISTORY: join(dir, 'history') },
    input: `SET 'sql-client.execution.result-mode' = 'changelog';\n${SQL_SCRIPT}QUIT;\n`,
    encoding: 'utf8',
    timeout: 300_000,
  });
  assert.deepEqual(finalRows(ok(piped, 'sluice sql < statements')), want);
  assert.doesNotMatch(piped.stdout, /ERROR/);
});

const sqlJob = (esm: boolean) => `${
  esm
    ? "import { defineJob } from 'sluice';\nimport { schemaOf, TableEnvironment } from 'sluice/sql';\nexport default "
    : "const { defineJob } = require('sluice');\nconst { schemaOf, TableEnvironment } = require('sluice/sql');\nmodule.exports = "
}defineJob((env) => {
  const tableEnv = TableEnvironment.create(env);
  const words = env.fromCollection(${JSON.stringify(words)}.map((word, i) => ({ word, i })));
  tableEnv.createTemporaryView('words', tableEnv.fromDataStream(words, schemaOf({ word: 'STRING', i: 'INT' })));
  tableEnv.createFunction('tag', (w, i) => w + '#' + i, { params: ['STRING', 'INT'], returns: 'STRING' });
  const picked = tableEnv.sqlQuery("SELECT tag(UPPER(word), i) AS t FROM words WHERE word <> 'beta'");
  tableEnv.toDataStream(picked).map((row) => String(row.t)).print();
});
`;

test('a job file mixes DataStream and SQL through sluice/sql, in ES module and CommonJS form, at parallelism 1 and 2', () => {
  const dir = join(project, 'sql-job');
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
  writeFileSync(join(dir, 'job.ts'), sqlJob(true));
  writeFileSync(join(dir, 'job.cjs'), sqlJob(false));
  const want = words
    .map((w, i) => ({ w, i }))
    .filter((x) => x.w !== 'beta')
    .map((x) => `${x.w.toUpperCase()}#${x.i}`)
    .sort();
  for (const job of ['job.ts', 'job.cjs']) {
    for (const p of ['1', '2']) {
      const out = ok(run(join(project, 'node_modules/.bin/sluice'), ['run', job, '-p', p], dir), `${job} at p=${p}`);
      const printed = out
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => l.replace(/^\d+> /, ''))
        .sort();
      assert.deepEqual(printed, want, `${job} at p=${p}`);
    }
  }
});
