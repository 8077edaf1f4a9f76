// Filters between a window TVF and its GROUP BY keep the window aggregate (append-only), against a brute force.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { environment, runQuery } from './sql-planner-gaps-helpers.js';

const rows = Array.from({ length: 60 }, (_, i) => ({ k: i % 3, price: (i * 13) % 50, ts: i * 1000 }));
const tables = { b: { columns: 'k BIGINT, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts', rows } };
const TVF = "TABLE(TUMBLE(TABLE b, DESCRIPTOR(ts), INTERVAL '10' SECOND))";

function fmt(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

function brute(keep: (r: (typeof rows)[number], start: number) => boolean): string[] {
  const groups = new Map<string, number>();
  for (const r of rows) {
    const start = Math.floor(r.ts / 10000) * 10000;
    if (!keep(r, start)) continue;
    const key = JSON.stringify([r.k, start]);
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return [...groups]
    .map(([key, n]) => {
      const [k, start] = JSON.parse(key) as [number, number];
      return JSON.stringify({ k, ws: fmt(start), n });
    })
    .sort();
}

describe('filters between a window TVF and its aggregate', () => {
  test('on a non-window column: pushed below the TVF', async () => {
    const q = `SELECT k, window_start AS ws, COUNT(*) AS n FROM ${TVF} WHERE price > 20 GROUP BY k, window_start, window_end`;
    const { result, changes } = await runQuery(tables, q);
    assert.ok(changes.every((c) => c.kind === '+I'));
    const normalized = result.map((t) => {
      const r = JSON.parse(t) as { k: number; ws: unknown; n: number };
      return JSON.stringify({ k: r.k, ws: typeof r.ws === 'number' ? fmt(r.ws) : String(r.ws).slice(0, 23), n: r.n });
    });
    assert.deepEqual(
      normalized.sort(),
      brute((r) => r.price > 20),
    );
  });

  test('on grouped window columns: applied to the window results, still a WindowAggregate', async () => {
    const q = `SELECT k, window_start AS ws, COUNT(*) AS n FROM ${TVF} WHERE window_start >= TIMESTAMP '1970-01-01 00:00:20' AND price > 5 GROUP BY k, window_start, window_end`;
    const { result, changes } = await runQuery(tables, q);
    assert.ok(changes.every((c) => c.kind === '+I'));
    const normalized = result.map((t) => {
      const r = JSON.parse(t) as { k: number; ws: unknown; n: number };
      return JSON.stringify({ k: r.k, ws: typeof r.ws === 'number' ? fmt(r.ws) : String(r.ws).slice(0, 23), n: r.n });
    });
    assert.deepEqual(
      normalized.sort(),
      brute((r, start) => start >= 20000 && r.price > 5),
    );
    const { tEnv } = environment(tables);
    const [e] = tEnv.executeSql(`EXPLAIN ${q}`);
    const plan = e!.kind === 'table' ? String(e!.rows[0]![0]) : '';
    assert.match(plan, /WindowAggregate\(groupBy=\[k\]/, plan);
    assert.doesNotMatch(plan, /GroupAggregate/, plan);
  });

  test('a condition mixing row and window columns stays a group aggregate (correct, updating)', async () => {
    const { tEnv } = environment(tables);
    const [e] = tEnv.executeSql(
      `EXPLAIN SELECT k, COUNT(*) FROM ${TVF} WHERE ts > window_start GROUP BY k, window_start, window_end`,
    );
    const plan = e!.kind === 'table' ? String(e!.rows[0]![0]) : '';
    assert.match(plan, /GroupAggregate/, plan);
  });
});
