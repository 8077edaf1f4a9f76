/**
 * Window Top-N and window join over the window TVF's output, as real jobs at parallelism 1 and 2, streaming and
 * batch, against brute-force references: window Top-N sorts each (window, key) group; window join is a nested loop
 * per window with outer padding. Top-N inputs include rows behind the watermark (dropped when their window fired).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { DataStream } from '../src/index.js';
import { windowAssign } from '../src/sql/operators/window-aggregate.js';
import { windowJoin } from '../src/sql/operators/window-join.js';
import { windowRank } from '../src/sql/operators/window-rank.js';
import type { Row } from '../src/sql/runtime/row.js';
import {
  arrivalWatermarks,
  CONFIGS,
  canon,
  describe,
  runRows,
  type TimedRow,
  timedRowsArb,
} from './fixtures/sql-window-support.js';

fc.configureGlobal({ includeErrorInReport: true });
const NUM_RUNS = 15;
const tumble = (ts: number, size: number) => Math.floor(ts / size) * size;
/** The window TVF at parallelism 1, so the operator after it meets exactly the source's watermarks. */
const tvf = (s: DataStream<Row>, size: number, uid = 'tvf') =>
  windowAssign(s, 2, { type: 'TUMBLE', size }, { name: uid, uid, parallelism: 1 });

type RankFn = 'ROW_NUMBER' | 'RANK' | 'DENSE_RANK';

/** Sort each (window, key) group by v descending, NULLs last; rank; keep ranks in [from, to]. Output [key, v, start, rank]. */
function rankRef(
  rows: readonly TimedRow[],
  size: number,
  delay: number,
  mode: 'streaming' | 'batch',
  fn: RankFn,
  from: number,
  to: number,
) {
  const wms = arrivalWatermarks(rows, delay, mode);
  const groups = new Map<string, Row[]>();
  rows.forEach(({ row, ts }, i) => {
    const start = tumble(ts, size);
    if (start + size - 1 <= wms[i]!) return;
    const id = JSON.stringify([row[1], start]);
    groups.set(id, [...(groups.get(id) ?? []), [...row, start]]);
  });
  const out: unknown[][] = [];
  const v = (r: Row) => (r[2] === null ? Number.NEGATIVE_INFINITY : (r[2] as number));
  for (const list of groups.values()) {
    list.sort((a, b) => v(b) - v(a));
    list.forEach((r, i) => {
      const rank =
        fn === 'ROW_NUMBER'
          ? i + 1
          : fn === 'RANK'
            ? 1 + list.filter((x) => v(x) > v(r)).length
            : new Set(list.filter((x) => v(x) > v(r)).map(v)).size + 1;
      if (rank >= from && rank <= to) out.push([r[1], r[2], r[4], rank]);
    });
  }
  return out;
}

test('window Top-N (ROW_NUMBER, RANK, DENSE_RANK) equals sorting each window, late rows dropped', async () => {
  const arb = fc.record({
    rows: timedRowsArb({ maxJitter: 8 }),
    delay: fc.integer({ min: 0, max: 6 }),
    size: fc.integer({ min: 1, max: 15 }),
    fn: fc.constantFrom<RankFn>('ROW_NUMBER', 'RANK', 'DENSE_RANK'),
    from: fc.integer({ min: 1, max: 2 }),
    n: fc.integer({ min: 0, max: 3 }),
  });
  await fc.assert(
    fc.asyncProperty(arb, async ({ rows, delay, size, fn, from, n }) => {
      for (const config of CONFIGS) {
        const want = canon(rankRef(rows, size, delay, config.runtimeMode, fn, from, from + n));
        const got = await runRows([{ rows, delay }], config, ([s]) =>
          windowRank(
            tvf(s!, size),
            3,
            4,
            [0],
            [{ index: 1, descending: true, nullsFirst: false }],
            fn,
            from,
            from + n,
            true,
            {
              name: 'rank',
              uid: 'rank',
            },
          ),
        );
        // [kind, key, v, ts, start, end, wtime, rank, timestamp]: the rank's record timestamp is window_end - 1.
        for (const r of got) assert.equal(r[8], r[6]);
        assert.deepStrictEqual(canon(got.map((r) => [r[1], r[2], r[4], r[7]])), want, describe(config));
      }
    }),
    { numRuns: NUM_RUNS },
  );
});

type JoinKind = 'INNER' | 'LEFT' | 'RIGHT' | 'FULL' | 'SEMI' | 'ANTI';

function windowJoinRef(left: readonly TimedRow[], right: readonly TimedRow[], size: number, type: JoinKind) {
  const win = (rows: readonly TimedRow[]) =>
    rows.map(({ row, ts }) => [...row, tumble(ts, size), tumble(ts, size) + size, tumble(ts, size) + size - 1]);
  const ls = win(left);
  const rs = win(right);
  const match = (l: unknown[], r: unknown[]) => l[1] !== null && l[1] === r[1] && l[4] === r[4] && l[2] !== r[2];
  const out: unknown[][] = [];
  const nulls = (n: number) => new Array(n).fill(null);
  for (const l of ls) {
    const ms = rs.filter((r) => match(l, r));
    if (type === 'SEMI' || type === 'ANTI') {
      if (ms.length > 0 === (type === 'SEMI')) out.push([...l]);
      continue;
    }
    for (const r of ms) out.push([...l, ...r.slice(1)]);
    if (ms.length === 0 && (type === 'LEFT' || type === 'FULL')) out.push([...l, ...nulls(6)]);
  }
  if (type === 'RIGHT' || type === 'FULL')
    for (const r of rs) if (!ls.some((l) => match(l, r))) out.push([0, ...nulls(6), ...r.slice(1)]);
  return out.map((r) => [...r.slice(0, 1), ...r.slice(1)]);
}

test('window join (all join types) equals a nested loop per window, rows within the watermark delay', async () => {
  const side = fc
    .integer({ min: 0, max: 5 })
    .chain((j) => fc.record({ rows: timedRowsArb({ maxJitter: j, maxLength: 20 }), delay: fc.constant(j + 1) }));
  const arb = fc.record({
    left: side,
    right: side,
    size: fc.integer({ min: 1, max: 15 }),
    type: fc.constantFrom<JoinKind>('INNER', 'LEFT', 'RIGHT', 'FULL', 'SEMI', 'ANTI'),
  });
  await fc.assert(
    fc.asyncProperty(arb, async ({ left, right, size, type }) => {
      const want = canon(windowJoinRef(left.rows, right.rows, size, type));
      for (const config of CONFIGS) {
        const got = await runRows([left, right], config, ([l, r]) =>
          windowJoin(
            tvf(l!, size, 'tvf-left'),
            tvf(r!, size, 'tvf-right'),
            type,
            { start: 3, end: 4 },
            { start: 3, end: 4 },
            [0],
            [0],
            6,
            6,
            (a, b) => a[2] !== b[2],
            {
              name: 'wjoin',
              uid: 'wjoin',
            },
          ),
        );
        assert.deepStrictEqual(canon(got.map((r) => r.slice(0, -1))), want, `${describe(config)} ${type}`);
      }
    }),
    { numRuns: NUM_RUNS },
  );
});
