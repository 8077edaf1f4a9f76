// Scalar subqueries: one row gives its value, none NULL, more than one fails the job naming the subquery.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rowsOf, runQuery } from './sql-planner-gaps-helpers.js';

const tables = {
  t: { columns: 'id BIGINT', rows: [{ id: 1 }, { id: 2 }] },
  s: {
    columns: 'k BIGINT, v STRING',
    rows: [
      { k: 1, v: 'one' },
      { k: 2, v: 'two' },
      { k: 2, v: 'deux' },
    ],
  },
};

describe('scalar subqueries', () => {
  test('one row: its value; no row: NULL', async () => {
    const one = await runQuery(tables, 'SELECT id, (SELECT v FROM s WHERE k = 1) AS x FROM t');
    assert.deepEqual(
      one.result,
      rowsOf([
        { id: 1, x: 'one' },
        { id: 2, x: 'one' },
      ]),
    );
    const none = await runQuery(tables, 'SELECT id, (SELECT v FROM s WHERE k = 3) AS x FROM t');
    assert.deepEqual(
      none.result,
      rowsOf([
        { id: 1, x: null },
        { id: 2, x: null },
      ]),
    );
  });

  test('more than one row fails at run time, naming the subquery', async () => {
    await assert.rejects(
      runQuery(tables, 'SELECT id,\n  (SELECT v FROM s WHERE k = 2) AS x FROM t'),
      /Scalar subquery at <query>:2:3 returned more than one row/,
    );
  });

  test('a global aggregate needs no check', async () => {
    const { environment } = await import('./sql-planner-gaps-helpers.js');
    const { tEnv } = environment(tables);
    const [a] = tEnv.executeSql('EXPLAIN SELECT id FROM t WHERE id < (SELECT MAX(k) FROM s)');
    const [b] = tEnv.executeSql('EXPLAIN SELECT id, (SELECT v FROM s WHERE k = 2) AS x FROM t');
    const text = (r: typeof a) => (r!.kind === 'table' ? String(r!.rows[0]![0]) : '');
    assert.doesNotMatch(text(a), /SINGLE_VALUE/);
    assert.match(text(b), /GroupAggregate\(select=\[SINGLE_VALUE\(v\) AS v\]/, text(b));
    const max = await runQuery(tables, 'SELECT id FROM t WHERE id < (SELECT MAX(k) FROM s)');
    assert.deepEqual(max.result, rowsOf([{ id: 1 }]));
  });
});
