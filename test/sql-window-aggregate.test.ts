/**
 * SQL window aggregation (TUMBLE, HOP, CUMULATE, SESSION) and the window TVF without aggregation, as real jobs at
 * parallelism 1 and 2, streaming and batch, against brute-force references: every row is put into the windows that
 * contain it (by the definition of each window type, not the engine's assigners), late rows are left out of the
 * windows that had fired when they arrived, and each (key, window) group is aggregated directly.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { windowsContaining } from '../src/sql/operators/sql-window-assigner.js';
import { type WindowSpec, windowAggregate, windowAssign } from '../src/sql/operators/window-aggregate.js';
import {
  arrivalWatermarks,
  CONFIGS,
  COUNT,
  call,
  canon,
  describe,
  MAX,
  ref,
  runRows,
  SUM,
  type TimedRow,
  timedRowsArb,
} from './fixtures/sql-window-support.js';

fc.configureGlobal({ includeErrorInReport: true });
const NUM_RUNS = 15;
const floorDiv = (a: number, b: number) => Math.floor(a / b);

/** Windows containing t, straight from the definitions (enumerating candidate starts). */
function refWindows(spec: WindowSpec, t: number): [number, number][] {
  const out: [number, number][] = [];
  if (spec.type === 'TUMBLE' || spec.type === 'HOP') {
    const size = spec.size;
    const slide = spec.type === 'HOP' ? spec.slide : spec.size;
    const offset = spec.offset ?? 0;
    for (let k = floorDiv(t - offset - size, slide) - 1; k * slide + offset <= t; k++) {
      const s = k * slide + offset;
      if (s <= t && t < s + size) out.push([s, s + size]);
    }
  } else if (spec.type === 'CUMULATE') {
    const offset = spec.offset ?? 0;
    const s = floorDiv(t - offset, spec.size) * spec.size + offset;
    for (let e = s + spec.step; e <= s + spec.size; e += spec.step) if (t < e) out.push([s, e]);
  }
  return out;
}

const calls = [
  call(COUNT, []),
  call(SUM, [1]),
  call(MAX, [1]),
  call(COUNT, [1], { distinct: true }),
  call(SUM, [1], { filterIndex: 3 }),
];

/** Rows [key, v, ts, flag]: the FILTER column is TRUE when v is even. */
function withFlag(rows: TimedRow[]): TimedRow[] {
  return rows.map(({ row, ts }) => ({ row: [...row, typeof row[2] === 'number' && row[2] % 2 === 0], ts }));
}

function aggregateRef(key: unknown, start: number, end: number, rows: readonly unknown[][]) {
  const vs = rows.map((r) => r[2]);
  const filtered = rows.filter((r) => r[4] === true).map((r) => r[2]);
  return [
    0,
    key,
    start,
    end,
    end - 1,
    rows.length,
    ref.sum(vs),
    ref.max(vs),
    ref.count(ref.distinct(vs)),
    ref.sum(filtered),
    end - 1,
  ];
}

function windowAggRef(rows: readonly TimedRow[], spec: WindowSpec, delay: number, mode: 'streaming' | 'batch') {
  const wms = arrivalWatermarks(rows, delay, mode);
  const groups = new Map<string, { key: unknown; start: number; end: number; rows: unknown[][] }>();
  rows.forEach(({ row, ts }, i) => {
    for (const [s, e] of refWindows(spec, ts)) {
      if (e - 1 <= wms[i]!) continue; // the window fired before the row arrived
      const id = JSON.stringify([row[1], s, e]);
      let g = groups.get(id);
      if (g === undefined) groups.set(id, (g = { key: row[1], start: s, end: e, rows: [] }));
      g.rows.push(row);
    }
  });
  return [...groups.values()].map((g) => aggregateRef(g.key, g.start, g.end, g.rows));
}

const specArb: fc.Arbitrary<WindowSpec> = fc.oneof(
  fc.record({
    type: fc.constant('TUMBLE' as const),
    size: fc.integer({ min: 1, max: 20 }),
    offset: fc.integer({ min: -5, max: 5 }),
  }),
  fc
    .record({
      slide: fc.integer({ min: 1, max: 8 }),
      k: fc.integer({ min: 1, max: 4 }),
      offset: fc.integer({ min: 0, max: 3 }),
    })
    .map(({ slide, k, offset }): WindowSpec => ({ type: 'HOP', slide, size: slide * k, offset })),
  fc
    .record({
      step: fc.integer({ min: 1, max: 6 }),
      k: fc.integer({ min: 1, max: 4 }),
      offset: fc.integer({ min: 0, max: 3 }),
    })
    .map(({ step, k, offset }): WindowSpec => ({ type: 'CUMULATE', step, size: step * k, offset })),
);

test('window aggregate (TUMBLE, HOP, CUMULATE) equals grouping rows by their windows, late rows included', async () => {
  const arb = fc.record({ rows: timedRowsArb({ maxJitter: 8 }), delay: fc.integer({ min: 0, max: 6 }), spec: specArb });
  await fc.assert(
    fc.asyncProperty(arb, async ({ rows, delay, spec }) => {
      const input = { rows: withFlag(rows), delay };
      for (const config of CONFIGS) {
        const want = canon(windowAggRef(input.rows, spec, delay, config.runtimeMode));
        const got = await runRows([input], config, ([s]) =>
          windowAggregate(s!, [0], spec, calls, true, { name: 'window-agg', uid: 'window-agg' }),
        );
        assert.deepStrictEqual(canon(got), want, `${describe(config)} ${JSON.stringify(spec)}`);
      }
    }),
    { numRuns: NUM_RUNS },
  );
});

/**
 * Sessions per key as merging windows form them, in arrival order: a row opens [ts, ts + gap) and merges with the
 * open sessions of its key that this window intersects or touches; a session closes (fires) once the watermark a
 * row meets reaches its end - 1. Rows within the watermark delay are never late for their own window, but a row at
 * exactly the end of a session that has already fired starts a new session (Flink does the same) instead of
 * extending it, so cutting the sorted rows at gaps alone is wrong for such input.
 */
function sessionRef(rows: readonly TimedRow[], gap: number, delay: number, mode: 'streaming' | 'batch') {
  type Session = { key: unknown; start: number; end: number; rows: unknown[][] };
  const wms = arrivalWatermarks(rows, delay, mode);
  let open: Session[] = [];
  const out: unknown[][] = [];
  const fire = (s: Session) => out.push(aggregateRef(s.key, s.start, s.end, s.rows));
  rows.forEach(({ row, ts }, i) => {
    for (const s of open) if (s.end - 1 <= wms[i]!) fire(s);
    open = open.filter((s) => s.end - 1 > wms[i]!);
    const meets = (s: Session) => s.key === row[1] && s.start <= ts + gap && s.end >= ts;
    const merged: Session = { key: row[1], start: ts, end: ts + gap, rows: [row] };
    for (const s of open.filter(meets)) {
      merged.start = Math.min(merged.start, s.start);
      merged.end = Math.max(merged.end, s.end);
      merged.rows.push(...s.rows);
    }
    open = [...open.filter((s) => !meets(s)), merged];
  });
  for (const s of open) fire(s);
  return out;
}

test('SESSION window aggregate equals sessions merged in arrival order and closed by the watermark, for rows within the watermark delay', async () => {
  const arb = fc.record({
    rows: fc
      .integer({ min: 0, max: 6 })
      .chain((delay) => fc.record({ rows: timedRowsArb({ maxJitter: delay }), delay: fc.constant(delay + 1) })),
    gap: fc.integer({ min: 1, max: 10 }),
  });
  await fc.assert(
    fc.asyncProperty(arb, async ({ rows: { rows, delay }, gap }) => {
      const input = { rows: withFlag(rows), delay };
      for (const config of CONFIGS) {
        const want = canon(sessionRef(input.rows, gap, delay, config.runtimeMode));
        const got = await runRows([input], config, ([s]) =>
          windowAggregate(s!, [0], { type: 'SESSION', gap }, calls, true, { name: 'session-agg', uid: 'session-agg' }),
        );
        assert.deepStrictEqual(canon(got), want, describe(config));
      }
    }),
    {
      numRuns: NUM_RUNS,
      // Rare for the generator: 'a' at 1 meets watermark 0 (from 'b' at 1), which has closed the session [0, 1)
      // it touches, so it starts a new session.
      examples: [
        [
          {
            rows: {
              rows: [
                { row: [0, 'a', 0, 0], ts: 0 },
                { row: [0, 'b', null, 1], ts: 1 },
                { row: [0, 'a', 0, 1], ts: 1 },
              ],
              delay: 1,
            },
            gap: 1,
          },
        ],
      ],
    },
  );
});

test('the window TVF emits each row once per window it is in, with window columns and window_time as timestamp', async () => {
  const arb = fc.record({ rows: timedRowsArb({ maxJitter: 5 }), spec: specArb });
  await fc.assert(
    fc.asyncProperty(arb, async ({ rows, spec }) => {
      const want = canon(
        rows.flatMap(({ row, ts }) => refWindows(spec, ts).map(([s, e]) => [...row, s, e, e - 1, e - 1])),
      );
      for (const config of CONFIGS) {
        const got = await runRows([{ rows, delay: 0 }], config, ([s]) =>
          windowAssign(s!, 2, spec, { name: 'tvf', uid: 'tvf' }),
        );
        assert.deepStrictEqual(canon(got), want, describe(config));
      }
    }),
    { numRuns: NUM_RUNS },
  );
});

test('a SESSION window refuses aggregate functions that cannot merge, and CUMULATE a size that is not a multiple of the step', () => {
  const noMerge = { ...MAX, mergeable: false, merge: undefined };
  assert.throws(
    () =>
      windowAggregate(undefined as never, [0], { type: 'SESSION', gap: 5 }, [call(noMerge, [1])], true, {
        name: 'w',
        uid: 'w',
      }),
    /SESSION window needs aggregate functions that can merge; MAX cannot/,
  );
  assert.throws(() => windowsContaining({ type: 'CUMULATE', step: 3, size: 10 }, 0), /integral multiple of its step/);
});
