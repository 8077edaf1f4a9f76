// ORDER BY in streaming (temporal sort on a rowtime; Top-N with LIMIT; refused otherwise) and in batch (any keys).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { environment, runQuery } from './sql-planner-gaps-helpers.js';

const secs = [10, 8, 12, 20, 16, 18, 25, 24, 30, 29];
const rows = secs.map((s, i) => ({ id: i, price: (i * 7) % 5, ts: s * 1000 }));
const tables = {
  b: { columns: "id BIGINT, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND", rows },
};

describe('ORDER BY', () => {
  test('streaming: ORDER BY a rowtime ascending emits rows in time order (then by the next key)', async () => {
    const { changes } = await runQuery(tables, 'SELECT id, price, ts FROM b ORDER BY ts, price DESC');
    assert.ok(changes.every((c) => c.kind === '+I'));
    const expected = [...rows].sort((x, y) => x.ts - y.ts || y.price - x.price).map((r) => r.id);
    assert.deepEqual(
      changes.map((c) => c.row.id),
      expected,
    );
    const { tEnv } = environment(tables);
    const [e] = tEnv.executeSql('EXPLAIN SELECT id, ts FROM b ORDER BY ts');
    assert.match(
      e!.kind === 'table' ? String(e!.rows[0]![0]) : '',
      /TemporalSort\(orderBy=\[ts ASC\], changelogMode=\[I\]\)/,
    );
  });

  test('streaming: ORDER BY another column without LIMIT is refused as in Flink', async () => {
    await assert.rejects(
      runQuery(tables, 'SELECT id, price FROM b ORDER BY price'),
      /Sort on a non-time-attribute field is not supported\./,
    );
    await assert.rejects(
      runQuery(tables, 'SELECT id, ts FROM b ORDER BY ts DESC'),
      /Sort on a non-time-attribute field is not supported\./,
    );
  });

  test('streaming: ORDER BY ... LIMIT n is a global Top-N (updating)', async () => {
    const { result, changes } = await runQuery(tables, 'SELECT id, price FROM b ORDER BY price DESC, id LIMIT 3');
    const expected = [...rows]
      .sort((x, y) => y.price - x.price || x.id - y.id)
      .slice(0, 3)
      .map((r) => JSON.stringify({ id: r.id, price: r.price }))
      .sort();
    assert.deepEqual(result, expected);
    assert.ok(changes.some((c) => c.kind !== '+I'));
  });

  test('batch: ORDER BY any keys, also over an updating input, and ORDER BY an ordinal', async () => {
    const { changes } = await runQuery(tables, 'SELECT id, price FROM b ORDER BY price DESC, 1', () => {}, 'batch');
    const expected = [...rows].sort((x, y) => y.price - x.price || x.id - y.id).map((r) => r.id);
    assert.deepEqual(
      changes.map((c) => c.row.id),
      expected,
    );
    const agg = await runQuery(
      tables,
      'SELECT price, COUNT(*) AS n FROM b GROUP BY price ORDER BY n DESC, price',
      () => {},
      'batch',
    );
    const counts = new Map<number, number>();
    for (const r of rows) counts.set(r.price, (counts.get(r.price) ?? 0) + 1);
    const want = [...counts].sort((x, y) => y[1] - x[1] || x[0] - y[0]).map(([price, n]) => ({ price, n }));
    assert.deepEqual(
      agg.changes.map((c) => c.row),
      want,
    );
  });
});
