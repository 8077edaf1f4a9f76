/**
 * Interval join, OVER aggregation and event-time temporal join as real jobs at parallelism 1 and 2, streaming and
 * batch, against brute-force references: the interval join is a nested loop with the bound predicate (plus outer
 * padding); OVER recomputes each row's frame; the temporal join looks up the last version at or before each probe
 * row. OVER inputs include late rows (Flink's rule: not after the last time its partition processed).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { intervalJoin } from '../src/sql/operators/interval-join.js';
import { overAggregate } from '../src/sql/operators/over-aggregate.js';
import { temporalJoin } from '../src/sql/operators/temporal-join.js';
import type { Row } from '../src/sql/runtime/row.js';
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
const NUM_RUNS = 30;

const onTimeSide = (maxLength = 20) =>
  fc
    .integer({ min: 0, max: 5 })
    .chain((j) => fc.record({ rows: timedRowsArb({ maxJitter: j, maxLength }), delay: fc.constant(j + 1) }));

type OuterKind = 'INNER' | 'LEFT' | 'RIGHT' | 'FULL';

test('interval join (INNER, LEFT, RIGHT, FULL) equals a nested loop with the bound predicate', async () => {
  const arb = fc.record({
    left: onTimeSide(),
    right: onTimeSide(),
    lower: fc.integer({ min: -10, max: 5 }),
    width: fc.integer({ min: 0, max: 10 }),
    type: fc.constantFrom<OuterKind>('INNER', 'LEFT', 'RIGHT', 'FULL'),
  });
  await fc.assert(
    fc.asyncProperty(arb, async ({ left, right, lower, width, type }) => {
      const upper = lower + width;
      const cond = (l: Row, r: Row) => l[2] !== r[2];
      const match = (l: Row, r: Row) =>
        l[1] !== null &&
        l[1] === r[1] &&
        (r[3] as number) >= (l[3] as number) + lower &&
        (r[3] as number) <= (l[3] as number) + upper &&
        cond(l, r);
      const out: unknown[][] = [];
      for (const { row: l } of left.rows) {
        const ms = right.rows.filter(({ row: r }) => match(l, r));
        for (const { row: r } of ms) out.push([...l, ...r.slice(1), l[3]]);
        if (ms.length === 0 && (type === 'LEFT' || type === 'FULL')) out.push([...l, null, null, null, l[3]]);
      }
      if (type === 'RIGHT' || type === 'FULL') {
        for (const { row: r } of right.rows)
          if (!left.rows.some(({ row: l }) => match(l, r))) out.push([0, null, null, null, ...r.slice(1), r[3]]);
      }
      const want = canon(out);
      for (const config of CONFIGS) {
        const got = await runRows([left, right], config, ([l, r]) =>
          intervalJoin(l!, r!, type, [0], [0], 2, 2, lower, upper, 3, 3, cond, { name: 'ijoin', uid: 'ijoin' }),
        );
        assert.deepStrictEqual(canon(got), want, `${describe(config)} ${type} [${lower}, ${upper}]`);
      }
    }),
    { numRuns: NUM_RUNS },
  );
});

/**
 * Which rows OVER accepts, by Flink's rule: a row is late when its time is not after the last time its partition
 * processed; a time is processed when a watermark at or after it is emitted after the row came (watermarks are
 * emitted after a record only when they advance).
 */
function overAccepted(rows: readonly TimedRow[], delay: number, mode: 'streaming' | 'batch'): boolean[] {
  const wms = arrivalWatermarks(rows, delay, mode);
  // The watermark emitted after record k (the one record i > k meets), or -Infinity when it did not advance.
  const emitted = rows.map((_, k) =>
    k + 1 < rows.length && wms[k + 1]! > wms[k]! ? wms[k + 1]! : Number.NEGATIVE_INFINITY,
  );
  const accepted: boolean[] = [];
  rows.forEach(({ row, ts }, i) => {
    let last = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < i; j++) {
      if (!accepted[j] || rows[j]!.row[1] !== row[1]) continue;
      const fired = Math.max(...emitted.slice(j, i)) >= rows[j]!.ts;
      if (fired) last = Math.max(last, rows[j]!.ts);
    }
    accepted.push(mode === 'batch' || ts > last);
  });
  return accepted;
}

type FrameCase = { unit: 'ROWS'; precedingRows?: number } | { unit: 'RANGE'; precedingMs?: number };

test('OVER aggregation (ROWS/RANGE, bounded/unbounded) equals recomputing each row over its frame, late rows dropped', async () => {
  const frameArb: fc.Arbitrary<FrameCase> = fc.oneof(
    fc.record({ unit: fc.constant('ROWS' as const) }),
    fc.record({ unit: fc.constant('ROWS' as const), precedingRows: fc.integer({ min: 0, max: 4 }) }),
    fc.record({ unit: fc.constant('RANGE' as const) }),
    fc.record({ unit: fc.constant('RANGE' as const), precedingMs: fc.integer({ min: 0, max: 10 }) }),
  );
  const arb = fc.record({
    rows: timedRowsArb({ maxJitter: 8 }),
    delay: fc.integer({ min: 0, max: 6 }),
    frame: frameArb,
    retracting: fc.boolean(),
  });
  await fc.assert(
    fc.asyncProperty(arb, async ({ rows, delay, frame, retracting }) => {
      // Retractable calls exercise retraction; MAX (not retractable) makes bounded frames recompute.
      const calls = retracting
        ? [call(COUNT, []), call(SUM, [1]), call(COUNT, [1], { distinct: true })]
        : [call(MAX, [1]), call(SUM, [1])];
      const values = (frameRows: readonly Row[]) => {
        const vs = frameRows.map((r) => r[2]);
        return retracting ? [frameRows.length, ref.sum(vs), ref.count(ref.distinct(vs))] : [ref.max(vs), ref.sum(vs)];
      };
      for (const config of CONFIGS) {
        const accepted = overAccepted(rows, delay, config.runtimeMode);
        const kept = rows.map((r, i) => ({ ...r, i })).filter((_, i) => accepted[i]);
        const out: unknown[][] = [];
        for (const key of new Set(kept.map((r) => r.row[1]))) {
          const part = kept.filter((r) => r.row[1] === key).sort((a, b) => a.ts - b.ts || a.i - b.i);
          part.forEach((r, n) => {
            let inFrame: typeof part;
            if (frame.unit === 'ROWS')
              inFrame = part.slice(frame.precedingRows === undefined ? 0 : Math.max(0, n - frame.precedingRows), n + 1);
            else
              inFrame = part.filter(
                (x) => x.ts <= r.ts && (frame.precedingMs === undefined || x.ts >= r.ts - frame.precedingMs),
              );
            out.push([...r.row, ...values(inFrame.map((x) => x.row)), r.ts]);
          });
        }
        const got = await runRows([{ rows, delay }], config, ([s]) =>
          overAggregate(s!, [0], 2, true, frame, calls, { name: 'over', uid: 'over' }),
        );
        assert.deepStrictEqual(canon(got), canon(out), `${describe(config)} ${JSON.stringify(frame)}`);
      }
    }),
    { numRuns: NUM_RUNS },
  );
});

test('event-time temporal join joins the version valid at each probe row (INNER and LEFT, deletions)', async () => {
  const versionsArb = fc.integer({ min: 0, max: 5 }).chain((j) =>
    fc.record({
      rows: fc
        .tuple(timedRowsArb({ maxJitter: j, maxLength: 15 }), fc.array(fc.boolean(), { minLength: 15, maxLength: 15 }))
        .map(([rows, deletes]) =>
          // Versioned rows [key, price, ts] as a changelog: some are DELETEs.
          rows.map(({ row, ts }, i) => ({ row: [deletes[i] ? 3 : 0, row[1], row[2], ts], ts })),
        ),
      delay: fc.constant(j + 1),
    }),
  );
  const arb = fc.record({ probe: onTimeSide(), versions: versionsArb, left: fc.boolean() });
  await fc.assert(
    fc.asyncProperty(arb, async ({ probe, versions, left }) => {
      const out: unknown[][] = [];
      for (const { row: p, ts } of probe.rows) {
        const candidates = versions.rows.filter((v) => p[1] !== null && v.row[1] === p[1] && v.ts <= ts);
        // The valid version: largest time, and of equal times the last to arrive.
        let valid: TimedRow | undefined;
        for (const v of candidates) if (valid === undefined || v.ts >= valid.ts) valid = v;
        if (valid !== undefined && valid.row[0] !== 3) out.push([...p, ...valid.row.slice(1), ts]);
        else if (left) out.push([...p, null, null, null, ts]);
      }
      const want = canon(out);
      for (const config of CONFIGS) {
        const got = await runRows([probe, versions], config, ([p, v]) =>
          temporalJoin(p!, v!, 'retract', left ? 'LEFT' : 'INNER', [0], [0], 2, 2, 3, 3, undefined, true, {
            name: 'tjoin',
            uid: 'tjoin',
          }),
        );
        assert.deepStrictEqual(canon(got), want, describe(config));
      }
    }),
    { numRuns: NUM_RUNS },
  );
});
