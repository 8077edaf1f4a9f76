/**
 * An interval join followed by an event-time window aggregate, as real jobs at parallelism 1 and 2, streaming and
 * batch: the join emits rows behind its input watermark (a pair made when its right row arrives carries the left
 * row's time; outer rows are padded once the watermark passes their interval), and holds its output watermark back
 * so that none of them is late for the window. Reference: the nested-loop join, every joined row counted in its
 * tumbling window. Input rows arrive out of order, but after their watermark.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { intervalJoin, intervalJoinWatermarkDelay } from '../src/sql/operators/interval-join.js';
import { windowAggregate } from '../src/sql/operators/window-aggregate.js';
import type { Row } from '../src/sql/runtime/row.js';
import { CONFIGS, COUNT, call, canon, describe, runRows, timedRowsArb } from './fixtures/sql-window-support.js';

fc.configureGlobal({ includeErrorInReport: true });
const NUM_RUNS = 30;

type JoinKind = 'INNER' | 'LEFT' | 'RIGHT' | 'FULL';

/** Rows [key, v, ts] whose times run up to `j` ms out of order, with a watermark delay of j + 1 (none late). */
const onTimeSide = () =>
  fc
    .integer({ min: 0, max: 6 })
    .chain((j) => fc.record({ rows: timedRowsArb({ maxJitter: j, maxLength: 20 }), delay: fc.constant(j + 1) }));

/** The joined rows [left..., right...] with their record time: the left row's, the right's for right-padded rows. */
function joinRef(
  left: readonly { row: Row; ts: number }[],
  right: readonly { row: Row; ts: number }[],
  type: JoinKind,
  lower: number,
  upper: number,
): { row: unknown[]; ts: number }[] {
  const match = (l: Row, r: Row) =>
    l[1] !== null &&
    l[1] === r[1] &&
    (r[3] as number) >= (l[3] as number) + lower &&
    (r[3] as number) <= (l[3] as number) + upper;
  const out: { row: unknown[]; ts: number }[] = [];
  for (const { row: l, ts } of left) {
    const ms = right.filter(({ row: r }) => match(l, r));
    for (const { row: r } of ms) out.push({ row: [...l, ...r.slice(1)], ts });
    if (ms.length === 0 && (type === 'LEFT' || type === 'FULL')) out.push({ row: [...l, null, null, null], ts });
  }
  if (type === 'RIGHT' || type === 'FULL') {
    for (const { row: r, ts } of right)
      if (!left.some(({ row: l }) => match(l, r))) out.push({ row: [0, null, null, null, ...r.slice(1)], ts });
  }
  return out;
}

test('a window aggregate after an interval join counts every joined row: the join holds its watermark back', async () => {
  const arb = fc.record({
    left: onTimeSide(),
    right: onTimeSide(),
    lower: fc.integer({ min: -10, max: 5 }),
    width: fc.integer({ min: 0, max: 10 }),
    type: fc.constantFrom<JoinKind>('INNER', 'LEFT', 'RIGHT', 'FULL'),
    size: fc.integer({ min: 1, max: 10 }),
  });
  await fc.assert(
    fc.asyncProperty(arb, async ({ left, right, lower, width, type, size }) => {
      const upper = lower + width;
      // COUNT(*) per (left key, window): [key, window_start, window_end, window_time, count], then the timestamp.
      const groups = new Map<string, number>();
      for (const { row, ts } of joinRef(left.rows, right.rows, type, lower, upper)) {
        const start = Math.floor(ts / size) * size;
        const id = JSON.stringify([row[1], start]);
        groups.set(id, (groups.get(id) ?? 0) + 1);
      }
      const want = canon(
        [...groups].map(([id, n]) => {
          const [key, start] = JSON.parse(id) as [unknown, number];
          return [0, key, start, start + size, start + size - 1, n, start + size - 1];
        }),
      );
      for (const config of CONFIGS) {
        const got = await runRows([left, right], config, ([l, r]) =>
          windowAggregate(
            intervalJoin(l!, r!, type, [0], [0], 2, 2, lower, upper, 3, 3, undefined, { name: 'ij', uid: 'ij' }),
            [0],
            { type: 'TUMBLE', size },
            [call(COUNT, [])],
            true,
            { name: 'count', uid: 'count' },
          ),
        );
        assert.deepStrictEqual(canon(got), want, `${describe(config)} ${type} [${lower}, ${upper}] size ${size}`);
      }
    }),
    { numRuns: NUM_RUNS },
  );
});

test('the interval join holds its watermark back by max(upper, -lower), plus 1 ms on each side outer joins pad', () => {
  assert.equal(intervalJoinWatermarkDelay('INNER', -3, 5), 5);
  assert.equal(intervalJoinWatermarkDelay('INNER', -7, 5), 7);
  assert.equal(intervalJoinWatermarkDelay('INNER', 2, 4), 4);
  assert.equal(intervalJoinWatermarkDelay('INNER', -4, -2), 4);
  assert.equal(intervalJoinWatermarkDelay('INNER', 0, 0), 0);
  assert.equal(intervalJoinWatermarkDelay('LEFT', -3, 5), 6);
  assert.equal(intervalJoinWatermarkDelay('LEFT', -7, 5), 7);
  assert.equal(intervalJoinWatermarkDelay('RIGHT', -7, 5), 8);
  assert.equal(intervalJoinWatermarkDelay('FULL', 0, 0), 1);
});
