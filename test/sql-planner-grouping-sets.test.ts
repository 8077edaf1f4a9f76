// GROUPING SETS / ROLLUP / CUBE and GROUPING() / GROUPING_ID(), against a brute-force evaluation.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { environment, runQuery } from './sql-planner-gaps-helpers.js';

type R = { a: string | null; b: number; v: number };
const data: R[] = [];
for (let i = 0; i < 40; i++) data.push({ a: i % 7 === 0 ? null : ['x', 'y', 'z'][i % 3]!, b: i % 4, v: (i * 37) % 11 });
const tables = { t: { columns: 'a STRING, b INT, v BIGINT', rows: data } };

/** SELECT a, b, SUM(v), COUNT(*), GROUPING(a), GROUPING_ID(a, b) for each grouping set, by brute force. */
function brute(sets: readonly (readonly ('a' | 'b')[])[]): string[] {
  const out: string[] = [];
  for (const set of sets) {
    const groups = new Map<string, R[]>();
    for (const r of data) {
      const k = JSON.stringify([set.includes('a') ? r.a : null, set.includes('b') ? r.b : null]);
      groups.set(k, [...(groups.get(k) ?? []), r]);
    }
    for (const [k, rs] of groups) {
      const [a, b] = JSON.parse(k) as [string | null, number | null];
      const ga = set.includes('a') ? 0 : 1;
      const gb = set.includes('b') ? 0 : 1;
      out.push(
        JSON.stringify({
          a,
          b,
          s: rs.reduce((x, r) => x + r.v, 0),
          n: rs.length,
          ga,
          gid: ga * 2 + gb,
        }),
      );
    }
  }
  return out.sort();
}

const SELECT = 'SELECT a, b, SUM(v) AS s, COUNT(*) AS n, GROUPING(a) AS ga, GROUPING_ID(a, b) AS gid FROM t';

describe('GROUPING SETS, ROLLUP, CUBE', () => {
  const cases: [string, (readonly ('a' | 'b')[])[]][] = [
    ['GROUPING SETS ((a, b), (a), ())', [['a', 'b'], ['a'], []]],
    ['GROUPING SETS ((a), (b))', [['a'], ['b']]],
    ['ROLLUP (a, b)', [['a', 'b'], ['a'], []]],
    ['CUBE (a, b)', [['a', 'b'], ['a'], ['b'], []]],
    ['a, ROLLUP (b)', [['a', 'b'], ['a']]],
  ];
  for (const [groupBy, sets] of cases) {
    for (const mode of ['streaming', 'batch'] as const) {
      test(`GROUP BY ${groupBy} (${mode})`, async () => {
        const { result } = await runQuery(tables, `${SELECT} GROUP BY ${groupBy}`, () => {}, mode);
        assert.deepEqual(result, brute(sets));
      });
    }
  }

  test('HAVING on a grouping function, the plan has an Expand', async () => {
    const { result } = await runQuery(tables, `${SELECT} GROUP BY CUBE (a, b) HAVING GROUPING_ID(a, b) = 3`);
    assert.deepEqual(result, brute([[]]));
    const { tEnv } = environment(tables);
    const [e] = tEnv.executeSql(`EXPLAIN ${SELECT} GROUP BY ROLLUP (a, b)`);
    const plan = e!.kind === 'table' ? String(e!.rows[0]![0]) : '';
    assert.match(
      plan,
      /Expand\(projects=\[\{a, b, \$f2, 0 AS \$e\}, \{a, null AS b, \$f2, 1 AS \$e\}, \{null AS a, null AS b, \$f2, 3 AS \$e\}\]/,
      plan,
    );
    assert.match(plan, /GroupAggregate\(groupBy=\[a, b, \$e\]/, plan);
  });

  test('GROUPING of a column that is not grouped is refused', async () => {
    await assert.rejects(
      runQuery(tables, 'SELECT a, GROUPING(v) FROM t GROUP BY ROLLUP (a)'),
      /Arguments of GROUPING must be grouped expressions/,
    );
  });
});
