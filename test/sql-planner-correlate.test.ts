// LATERAL TABLE (user table functions) and UNNEST: the Correlate node, against hand-computed results.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TableEnvironment } from '../src/sql/table-environment.js';
import { rowsOf, runQuery, type TestTable } from './sql-planner-gaps-helpers.js';

const docs: Record<string, TestTable> = {
  docs: {
    columns: 'id BIGINT, line STRING',
    rows: [
      { id: 1, line: 'a bb' },
      { id: 2, line: '' },
      { id: 3, line: 'ccc' },
      { id: 4, line: null },
    ],
  },
};

function words(tEnv: TableEnvironment): void {
  tEnv.createFunction(
    'words',
    function* (s: string) {
      for (const w of s.split(' ')) if (w !== '') yield [w, w.length];
    },
    { params: ['STRING'], returns: 'ROW<word STRING, len INT>' },
  );
}

describe('LATERAL TABLE', () => {
  test('comma join: one row per generated row, input rows without any dropped', async () => {
    const { result } = await runQuery(docs, 'SELECT id, w, n FROM docs, LATERAL TABLE(words(line)) AS t(w, n)', words);
    assert.deepEqual(
      result,
      rowsOf([
        { id: 1, w: 'a', n: 1 },
        { id: 1, w: 'bb', n: 2 },
        { id: 3, w: 'ccc', n: 3 },
      ]),
    );
  });

  test('CROSS JOIN LATERAL TABLE with the function’s own column names', async () => {
    const { result } = await runQuery(
      docs,
      'SELECT id, word, len FROM docs CROSS JOIN LATERAL TABLE(words(line)) WHERE len > 1',
      words,
    );
    assert.deepEqual(
      result,
      rowsOf([
        { id: 1, word: 'bb', len: 2 },
        { id: 3, word: 'ccc', len: 3 },
      ]),
    );
  });

  test('LEFT JOIN LATERAL TABLE ... ON TRUE pads rows that yield nothing with NULLs', async () => {
    const { result } = await runQuery(
      docs,
      'SELECT id, w FROM docs LEFT JOIN LATERAL TABLE(words(line)) AS t(w, n) ON TRUE',
      words,
    );
    assert.deepEqual(
      result,
      rowsOf([
        { id: 1, w: 'a' },
        { id: 1, w: 'bb' },
        { id: 2, w: null },
        { id: 3, w: 'ccc' },
        { id: 4, w: null },
      ]),
    );
  });

  test('the correlate keeps the row kinds of an updating input', async () => {
    const { changes, result } = await runQuery(
      docs,
      `SELECT k, w FROM (SELECT id % 2 AS k, MAX(line) AS m FROM docs GROUP BY id % 2)
         CROSS JOIN LATERAL TABLE(words(m)) AS t(w, n)`,
      words,
    );
    // k=1: 'a bb' then MAX('a bb', 'ccc') = 'ccc' (an update); k=0: '' then MAX('', NULL) = '' (no words).
    assert.deepEqual(result, rowsOf([{ k: 1, w: 'ccc' }]));
    assert.ok(changes.some((c) => c.kind === '-U'));
  });

  test('an unknown function and a scalar function are refused with the position', async () => {
    await assert.rejects(
      runQuery(docs, 'SELECT id FROM docs, LATERAL TABLE(wordz(line)) AS t(w, n)', words),
      /1:36: No match found for function signature wordz\(STRING\)[\s\S]*Did you mean 'words'\?/,
    );
    await assert.rejects(
      runQuery(docs, 'SELECT id FROM docs, LATERAL TABLE(UPPER(line)) AS t(w)', words),
      /is not a table function/,
    );
  });

  test('EXPLAIN shows the Correlate', async () => {
    const { environment } = await import('./sql-planner-gaps-helpers.js');
    const { tEnv } = environment(docs);
    words(tEnv);
    const [r] = tEnv.executeSql(
      'EXPLAIN SELECT id, w FROM docs LEFT JOIN LATERAL TABLE(words(line)) AS t(w, n) ON TRUE',
    );
    const plan = r!.kind === 'table' ? String(r!.rows[0]![0]) : '';
    assert.match(
      plan,
      /Correlate\(invocation=\[words\(line\)\], select=\[id, line, w, n\], joinType=\[LEFT\], changelogMode=\[I\]\)/,
      plan,
    );
  });
});

const arrays: Record<string, TestTable> = {
  t: {
    columns: 'id BIGINT, tags ARRAY<STRING>, attrs MAP<STRING, BIGINT>, pts ARRAY<ROW<x INT, y INT>>',
    rows: [
      { id: 1, tags: ['a', 'b'], attrs: { k1: 10, k2: 20 }, pts: [{ x: 1, y: 2 }] },
      { id: 2, tags: [], attrs: {}, pts: [] },
      { id: 3, tags: null, attrs: null, pts: null },
      {
        id: 4,
        tags: ['c', null],
        attrs: { k3: 30 },
        pts: [
          { x: 5, y: 6 },
          { x: 7, y: 8 },
        ],
      },
    ],
  },
};

describe('UNNEST', () => {
  test('CROSS JOIN UNNEST over an ARRAY column', async () => {
    const { result } = await runQuery(arrays, 'SELECT id, tag FROM t CROSS JOIN UNNEST(tags) AS u(tag)');
    assert.deepEqual(
      result,
      rowsOf([
        { id: 1, tag: 'a' },
        { id: 1, tag: 'b' },
        { id: 4, tag: 'c' },
        { id: 4, tag: null },
      ]),
    );
  });

  test('WITH ORDINALITY numbers the elements from 1', async () => {
    const { result } = await runQuery(
      arrays,
      'SELECT id, tag, pos FROM t CROSS JOIN UNNEST(tags) WITH ORDINALITY AS u(tag, pos)',
    );
    assert.deepEqual(
      result,
      rowsOf([
        { id: 1, tag: 'a', pos: 1 },
        { id: 1, tag: 'b', pos: 2 },
        { id: 4, tag: 'c', pos: 1 },
        { id: 4, tag: null, pos: 2 },
      ]),
    );
  });

  test('a MAP unnests into key and value; an array of rows into the row fields', async () => {
    const maps = await runQuery(arrays, 'SELECT id, k, v FROM t CROSS JOIN UNNEST(attrs) AS u(k, v)');
    assert.deepEqual(
      maps.result,
      rowsOf([
        { id: 1, k: 'k1', v: 10 },
        { id: 1, k: 'k2', v: 20 },
        { id: 4, k: 'k3', v: 30 },
      ]),
    );
    const rows = await runQuery(arrays, 'SELECT id, x + y AS s FROM t, UNNEST(t.pts) AS p(x, y)');
    assert.deepEqual(
      rows.result,
      rowsOf([
        { id: 1, s: 3 },
        { id: 4, s: 11 },
        { id: 4, s: 15 },
      ]),
    );
  });

  test('LEFT JOIN UNNEST keeps rows with empty or NULL arrays; UNNEST of a constant array alone', async () => {
    const { result } = await runQuery(
      arrays,
      'SELECT id, tag FROM t LEFT JOIN UNNEST(tags) AS u(tag) ON TRUE WHERE id < 4',
    );
    assert.deepEqual(
      result,
      rowsOf([
        { id: 1, tag: 'a' },
        { id: 1, tag: 'b' },
        { id: 2, tag: null },
        { id: 3, tag: null },
      ]),
    );
    const lone = await runQuery({}, 'SELECT x * 2 AS d FROM UNNEST(ARRAY[1, 2, 3]) AS u(x)');
    assert.deepEqual(lone.result, rowsOf([{ d: 2 }, { d: 4 }, { d: 6 }]));
  });

  test('UNNEST of a non-collection is refused', async () => {
    await assert.rejects(
      runQuery(arrays, 'SELECT id FROM t CROSS JOIN UNNEST(id) AS u(x)'),
      /UNNEST needs an ARRAY, MAP or MULTISET argument, got BIGINT/,
    );
  });
});
