// INTERSECT ALL / EXCEPT ALL (multiset semantics) and the distinct forms, against a brute-force evaluation.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rowsOf, runQuery } from './sql-planner-gaps-helpers.js';

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type R = { a: number | null; b: string };

function rows(rand: () => number, n: number): R[] {
  return Array.from({ length: n }, () => ({
    a: rand() < 0.15 ? null : Math.floor(rand() * 4),
    b: ['x', 'y'][Math.floor(rand() * 2)]!,
  }));
}

function counts(rs: readonly R[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of rs) m.set(JSON.stringify(r), (m.get(JSON.stringify(r)) ?? 0) + 1);
  return m;
}

function brute(l: readonly R[], r: readonly R[], op: 'INTERSECT' | 'EXCEPT', all: boolean): string[] {
  const lc = counts(l);
  const rc = counts(r);
  const out: string[] = [];
  for (const [k, n] of lc) {
    const m = rc.get(k) ?? 0;
    // EXCEPT (distinct) is distinct(l) minus distinct(r): any right copy removes the row.
    const times = op === 'INTERSECT' ? Math.min(n, m) : all ? Math.max(0, n - m) : m === 0 ? 1 : 0;
    for (let i = 0; i < (all ? times : Math.min(times, 1)); i++) out.push(k);
  }
  return out.sort();
}

describe('INTERSECT / EXCEPT', () => {
  for (const seed of [1, 2, 3]) {
    for (const op of ['INTERSECT', 'EXCEPT'] as const) {
      for (const all of [true, false]) {
        test(`${op}${all ? ' ALL' : ''} equals the brute force (seed ${seed})`, async () => {
          const rand = random(seed * 7 + (op === 'EXCEPT' ? 1 : 0));
          const l = rows(rand, 30);
          const r = rows(rand, 20);
          const tables = {
            l: { columns: 'a INT, b STRING', rows: l },
            r: { columns: 'a INT, b STRING', rows: r },
          };
          const { result } = await runQuery(tables, `SELECT a, b FROM l ${op}${all ? ' ALL' : ''} SELECT a, b FROM r`);
          assert.deepEqual(result, brute(l, r, op, all));
        });
      }
    }
  }

  test('INTERSECT ALL in batch mode, and its plan', async () => {
    const tables = {
      l: { columns: 'a INT', rows: [{ a: 1 }, { a: 1 }, { a: 1 }, { a: 2 }] },
      r: { columns: 'a INT', rows: [{ a: 1 }, { a: 1 }, { a: 3 }] },
    };
    const { result } = await runQuery(tables, 'SELECT a FROM l INTERSECT ALL SELECT a FROM r', () => {}, 'batch');
    assert.deepEqual(result, rowsOf([{ a: 1 }, { a: 1 }]));
    const { environment } = await import('./sql-planner-gaps-helpers.js');
    const { tEnv } = environment(tables);
    const [e] = tEnv.executeSql('EXPLAIN SELECT a FROM l EXCEPT ALL SELECT a FROM r');
    const plan = e!.kind === 'table' ? String(e!.rows[0]![0]) : '';
    assert.match(plan, /Correlate\(invocation=\[REPLICATE_ROWS\(vcol_count\)\]/, plan);
    assert.match(plan, /GroupAggregate\(groupBy=\[a\], select=\[a, SUM\(vcol_left_marker\) AS vcol_left_cnt/, plan);
  });
});
