/**
 * The SQL front end's property: for random queries over random tables, the changelog that streaming mode writes,
 * applied, equals batch mode's result, which equals a brute-force evaluation — at parallelism 1 and 2, through the
 * real `sluice sql` command and real files.
 *
 * Tables and queries come from test/fixtures/sql-prop (the evaluator there uses no Sluice code). Each property run
 * writes two JSON Lines tables and one script holding every query of the run as an INSERT in one statement set, and
 * runs it four times (streaming and batch, p=1 and p=2). SLUICE_SQL_PROPERTY_RUNS raises the number of runs
 * (default 5 runs of up to 5 queries), SLUICE_SQL_PROPERTY_MODES narrows the modes, SLUICE_SQL_PROPERTY_ROWS sets the largest table (14); SLUICE_SQL_PROPERTY_SHRINK=1 shrinks a failure to a small counterexample (slow: every
 * step runs the CLI).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { describeExit, runSluice } from './fixtures/ckpt-support.js';
import { col } from './fixtures/sql-prop/expr.js';
import { cols, type GenQuery, type Inputs } from './fixtures/sql-prop/queries.js';
import { aggregate } from './fixtures/sql-prop/relation.js';
import { expectedRows, queryArb, type RunMode, sinkRows, writeScript } from './fixtures/sql-prop/script.js';
import { TABLE_COLUMNS, tableArb } from './fixtures/sql-prop/tables.js';

const RUNS = Number(process.env.SLUICE_SQL_PROPERTY_RUNS ?? 5);
const QUERIES_PER_RUN = 5;
const MAX_ROWS = Number(process.env.SLUICE_SQL_PROPERTY_ROWS ?? 14);
const SHRINK = process.env.SLUICE_SQL_PROPERTY_SHRINK === '1';
const ALL_MODES: readonly RunMode[] = [
  { mode: 'streaming', parallelism: 1 },
  { mode: 'streaming', parallelism: 2 },
  { mode: 'batch', parallelism: 1 },
  { mode: 'batch', parallelism: 2 },
];
// SLUICE_SQL_PROPERTY_MODES=streaming-p2,batch-p1 narrows a local run to some of the four.
const MODES = ALL_MODES.filter((m) =>
  (process.env.SLUICE_SQL_PROPERTY_MODES ?? `${m.mode}-p${m.parallelism}`)
    .split(',')
    .includes(`${m.mode}-p${m.parallelism}`),
);

const root = mkdtempSync(join(tmpdir(), 'sluice-sql-props-'));
let runNumber = 0;
after(() => rmSync(root, { recursive: true, force: true }));

/** Runs the queries in one mode; returns a description of every query whose result differs from the expected one. */
export async function checkMode(dir: string, inputs: Inputs, queries: readonly GenQuery[], run: RunMode) {
  const script = writeScript(dir, inputs, queries, run);
  const args = [
    'sql',
    '-f',
    script,
    '-p',
    String(run.parallelism),
    ...(run.mode === 'batch' ? ['--mode', 'batch'] : []),
  ];
  const exit = await runSluice(args);
  const label = `${run.mode} p=${run.parallelism}`;
  if (exit.code !== 0) return [`${label}: sluice sql failed on ${script}\n${describeExit(exit)}`];
  const failures: string[] = [];
  queries.forEach((q, i) => {
    const expected = q.evaluate(inputs);
    const format = run.mode === 'streaming' ? 'debezium-json' : 'json';
    let actual: string[];
    try {
      actual = sinkRows(join(dirname(script), `o${i}`), expected.columns, format);
    } catch (e) {
      failures.push(`${label} o${i} (${q.kind}): ${(e as Error).message}\n  ${q.sql}`);
      return;
    }
    const want = expectedRows(expected);
    if (JSON.stringify(actual) !== JSON.stringify(want)) {
      const missing = want.filter((r) => !actual.includes(r));
      const extra = actual.filter((r) => !want.includes(r));
      failures.push(
        `${label} o${i} (${q.kind}): ${q.sql}\n  expected ${want.length} rows, got ${actual.length}` +
          `\n  missing: ${missing.slice(0, 8).join(' ')}\n  extra:   ${extra.slice(0, 8).join(' ')}`,
      );
    }
  });
  return failures;
}

test('streaming changelog = batch result = brute force, p=1 and p=2', async () => {
  fc.configureGlobal({ includeErrorInReport: true });
  const inputs = fc.record({ t1: tableArb(0, MAX_ROWS), t2: tableArb(1000, MAX_ROWS) });
  const queries = fc.array(queryArb, { minLength: 1, maxLength: QUERIES_PER_RUN });
  await fc.assert(
    fc.asyncProperty(inputs, queries, async (inp, qs) => {
      const dir = join(root, `run-${runNumber++}`);
      const failures: string[] = [];
      for (const run of MODES)
        failures.push(...(await checkMode(join(dir, `${run.mode}-p${run.parallelism}`), inp, qs, run)));
      assert.equal(failures.length, 0, `\n${failures.join('\n')}\nscripts in ${dir}`);
      rmSync(dir, { recursive: true, force: true });
    }),
    { numRuns: RUNS, endOnFailure: !SHRINK },
  );
});

// Counterexamples the property found, pinned.

test('regression: --mode batch writes the final rows of an updating query to a json sink', async () => {
  // The planner read the runtime mode before the command line's --mode was applied, so batch runs refused (or did not
  // materialise) updating results for insert-only sinks.
  const rows = [
    [100, 1, 1, 'b', 7, null, 1577836801446],
    [101, 1, 0, 'a', 5, 4, 1577836801626],
    [102, 1, 1, 'ab', -2, -2, 1577836803960],
    [103, 0, null, null, 2, 1, 1577836804440],
    [104, 2, 1, 'ab', 6, 0.5, 1577836805106],
    [105, 2, null, null, 9, 3, 1577836803668],
    [106, null, 0, null, 0, -2, 1577836807198],
  ];
  const inputs: Inputs = { t1: { columns: TABLE_COLUMNS, rows: [] }, t2: { columns: TABLE_COLUMNS, rows } };
  const query: GenQuery = {
    kind: 'nested-aggregate',
    sql: 'SELECT cnt, COUNT(*) AS n, SUM(sv) AS total FROM (SELECT k1, k2, COUNT(*) AS cnt, SUM(v) AS sv FROM t2 GROUP BY k1, k2) GROUP BY cnt',
    evaluate: (inp) =>
      aggregate(
        aggregate(inp.t2, cols('k1', 'k2'), [
          { fn: 'COUNT', name: 'cnt' },
          { fn: 'SUM', arg: col('v', 'BIGINT'), name: 'sv' },
        ]),
        [{ expr: col('cnt', 'BIGINT'), name: 'cnt' }],
        [
          { fn: 'COUNT', name: 'n' },
          { fn: 'SUM', arg: col('sv', 'BIGINT'), name: 'total' },
        ],
      ),
  };
  for (const run of ALL_MODES.filter((m) => m.mode === 'batch')) {
    const failures = await checkMode(join(root, `regression-batch-p${run.parallelism}`), inputs, [query], run);
    assert.deepEqual(failures, []);
  }
});
