import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { deduplicate, type RankSpec, rank } from '../src/sql/operators/rank.js';
import { rowComparator } from '../src/sql/operators/row-order.js';
import { encodeValue } from '../src/sql/operators/value-encoding.js';
import { type Row, RowKind } from '../src/sql/runtime/row.js';
import { OperatorTestHarness } from '../src/testing/index.js';
import { applyChangelog, changelogArb, MODES, rowArb, runOne, sortRows } from './fixtures/sql-ops-support.js';

/**
 * Top-N over random changelogs (and insert-only inputs), run as real jobs: the output changelog, applied, equals the
 * brute-force ranking of the final table. Rows [k, g, v, f], PARTITION BY k ORDER BY v ASC NULLS FIRST, g DESC
 * NULLS LAST. ROW_NUMBER with ties picks any of the tied rows, so for it the comparison is on the sort-key values
 * (and row numbers) per partition, plus every output row being a row of the final table.
 */
const SORT = [
  { index: 2, descending: false, nullsFirst: true },
  { index: 1, descending: true, nullsFirst: false },
];
const cmp = rowComparator(SORT);

function bruteForce(rows: unknown[][], spec: RankSpec): unknown[][] {
  const parts = new Map<string, unknown[][]>();
  const part = (r: unknown[]) => (spec.partitionIndices.length === 0 ? '' : encodeValue(r[0]));
  for (const r of rows) parts.set(part(r), [...(parts.get(part(r)) ?? []), r]);
  const out: unknown[][] = [];
  for (const members of parts.values()) {
    const sorted = members.map((r) => [0, ...r] as Row).sort(cmp);
    let rk = 0;
    for (const [i, r] of sorted.entries()) {
      if (spec.function === 'ROW_NUMBER') rk = i + 1;
      else if (i === 0 || cmp(sorted[i - 1]!, r) !== 0) rk = spec.function === 'RANK' ? i + 1 : rk + 1;
      if (rk >= spec.rankStart && rk <= spec.rankEnd)
        out.push(spec.outputRankNumber ? [...r.slice(1), rk] : r.slice(1));
    }
  }
  return sortRows(out);
}

/** What ROW_NUMBER determines: partition, sort-key values and (when output) the row number. */
const determined = (rows: unknown[][], spec: RankSpec) =>
  sortRows(
    rows.map((r) => [
      spec.partitionIndices.length === 0 ? '' : r[0],
      r[2],
      r[1],
      ...(spec.outputRankNumber ? [r[4]] : []),
    ]),
  );

const specArb = fc
  .record({
    function: fc.constantFrom('ROW_NUMBER' as const, 'RANK' as const, 'DENSE_RANK' as const),
    partitionIndices: fc.constantFrom([0], []),
    sortKeys: fc.constant(SORT),
    rankStart: fc.integer({ min: 1, max: 2 }),
    rankEnd: fc.integer({ min: 0, max: 2 }),
    outputRankNumber: fc.boolean(),
  })
  .map((s) => ({ ...s, rankEnd: s.rankStart + s.rankEnd }));

describe('rank (Top-N)', () => {
  for (const retract of [true, false]) {
    for (const o of MODES) {
      test(`${retract ? 'changelog' : 'insert-only'} input at parallelism ${o.parallelism}, ${o.mode}`, async () => {
        await fc.assert(
          fc.asyncProperty(changelogArb(rowArb, retract), specArb, async (input, spec) => {
            const mode = retract ? 'retract' : 'insert-only';
            const out = await runOne(input, (s) => rank(s, mode, spec, { name: 'rank', uid: 'rank' }), o);
            const final = applyChangelog(input, true);
            check(applyChangelog(out, o.parallelism === 1), bruteForce(final, spec), final, spec);
          }),
          { numRuns: o.parallelism === 1 ? 60 : 20 },
        );
      });
    }
  }

  test('with rank numbers, rows shifting position emit UPDATE_BEFORE/UPDATE_AFTER per rank', async () => {
    const h = await OperatorTestHarness.create((s) =>
      rank(
        s as never,
        'retract',
        {
          function: 'ROW_NUMBER',
          partitionIndices: [],
          sortKeys: [{ index: 0, descending: false, nullsFirst: true }],
          rankStart: 1,
          rankEnd: 2,
          outputRankNumber: true,
        },
        { name: 'r', uid: 'r' },
      ),
    );
    const I = RowKind.INSERT;
    h.processElement([I, 5]).processElement([I, 7]).processElement([I, 3]);
    assert.deepEqual(h.values(), [
      [I, 5, 1],
      [I, 7, 2],
      [RowKind.UPDATE_BEFORE, 5, 1],
      [RowKind.UPDATE_AFTER, 3, 1],
      [RowKind.UPDATE_BEFORE, 7, 2],
      [RowKind.UPDATE_AFTER, 5, 2],
    ]);
  });
});

function check(got: unknown[][], expected: unknown[][], final: unknown[][], spec: RankSpec): void {
  if (spec.function !== 'ROW_NUMBER') {
    assert.deepEqual(got, expected);
    return;
  }
  assert.deepEqual(determined(got, spec), determined(expected, spec));
  const pool = final.map((r) => encodeValue(r));
  for (const r of got) {
    const at = pool.indexOf(encodeValue(spec.outputRankNumber ? r.slice(0, 4) : r));
    assert.ok(at >= 0, `${JSON.stringify(r)} is not a row of the final table (or is output too often)`);
    pool.splice(at, 1);
  }
}

describe('deduplicate', () => {
  // Rows [k, t, n]: n numbers the arrival; t is the time column.
  const inputArb = fc
    .array(fc.tuple(fc.constantFrom('a', 'b', null), fc.integer({ min: 0, max: 5 })), { maxLength: 30 })
    .map((rows) => rows.map(([k, t], n) => [RowKind.INSERT, k, t, n] as Row));

  /** Per key the row a deduplication keeps: by arrival, or by time with ties to the first (keep-first) or last. */
  function keep(rows: Row[], keepLast: boolean, rowtime: boolean): unknown[][] {
    const chosen = new Map<string, Row>();
    for (const r of rows) {
      const k = encodeValue(r[1]);
      const prev = chosen.get(k);
      const replace =
        prev === undefined ||
        (rowtime
          ? keepLast
            ? (r[2] as number) >= (prev[2] as number)
            : (r[2] as number) < (prev[2] as number)
          : keepLast);
      if (replace) chosen.set(k, r);
    }
    return sortRows([...chosen.values()].map((r) => r.slice(1)));
  }

  for (const keepLast of [false, true]) {
    for (const rowtime of [false, true]) {
      for (const o of MODES) {
        test(`keep-${keepLast ? 'last' : 'first'} on ${rowtime ? 'rowtime' : 'proctime'} at parallelism ${o.parallelism}, ${o.mode}`, async () => {
          await fc.assert(
            fc.asyncProperty(inputArb, async (input) => {
              const out = await runOne(
                input,
                (s) => deduplicate(s, [0], 1, keepLast, rowtime, false, { name: 'dedup', uid: 'dedup' }),
                o,
              );
              if (!keepLast)
                assert.ok(
                  out.every((r) => r[0] === RowKind.INSERT),
                  'keep-first is insert-only',
                );
              assert.deepEqual(applyChangelog(out, o.parallelism === 1), keep(input, keepLast, rowtime));
            }),
            { numRuns: 25 },
          );
        });
      }
    }
  }

  test('rowtime keep-first waits for the watermark and counts late rows of decided keys', async () => {
    const h = await OperatorTestHarness.create((s) =>
      deduplicate(s as never, [0], 1, false, true, true, { name: 'd', uid: 'd' }),
    );
    const I = RowKind.INSERT;
    h.processElement([I, 'a', 5], 5).processElement([I, 'a', 3], 3).processElement([I, 'a', 4], 4);
    assert.deepEqual(h.values(), []);
    h.processWatermark(3);
    assert.deepEqual(h.values(), [[I, 'a', 3, 1]]);
    h.processElement([I, 'a', 1], 1).processElement([I, 'a', 9], 9);
    h.processWatermark(10);
    assert.deepEqual(h.values(), [[I, 'a', 3, 1]]);
    assert.equal(h.counter('numLateRecordsDropped'), 1);
  });

  test('an updating input is refused with the operator name', async () => {
    const h = await OperatorTestHarness.create((s) =>
      deduplicate(s as never, [0], 1, true, false, false, { name: 'dedup-x', uid: 'd' }),
    );
    assert.throws(
      () => h.processElement([RowKind.DELETE, 'a', 1]),
      /dedup-x: deduplication needs an insert-only input, got a -D row/,
    );
  });
});
