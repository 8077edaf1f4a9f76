import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { StreamExecutionEnvironment } from '../src/api/environment.js';
import { groupAggregate } from '../src/sql/operators/group-aggregate.js';
import { materializeChangelog } from '../src/sql/operators/materialize.js';
import { encodeValue } from '../src/sql/operators/value-encoding.js';
import { type Row, RowKind } from '../src/sql/runtime/row.js';
import { OperatorTestHarness } from '../src/testing/index.js';
import {
  applyChangelog,
  COUNT,
  call,
  changelogArb,
  MAX,
  MODES,
  rowArb,
  runOne,
  SUM,
  sortRows,
} from './fixtures/sql-ops-support.js';

/**
 * GROUP BY over random changelogs, run as real jobs (parallelism 1 and 2, streaming and batch): the output changelog,
 * applied, equals the brute-force aggregate of the final input. Columns: [k STRING, g INT, v INT, f BOOLEAN].
 * Calls: COUNT(*), SUM(v), MAX(v), COUNT(DISTINCT v), SUM(v) FILTER (WHERE f).
 */
const CALLS = [call(COUNT, []), call(SUM, [2]), call(MAX, [2]), call(COUNT, [2], true), call(SUM, [2], false, 3)];

function bruteForce(rows: unknown[][], groups: number[], global: boolean): unknown[][] {
  const byGroup = new Map<string, unknown[][]>();
  for (const r of rows) {
    const k = groups.map((g) => encodeValue(r[g])).join('|');
    byGroup.set(k, [...(byGroup.get(k) ?? []), r]);
  }
  if (global && byGroup.size === 0) byGroup.set('', []);
  const out: unknown[][] = [];
  for (const members of byGroup.values()) {
    const vs = members.map((r) => r[2]).filter((v) => v !== null) as number[];
    const fs = members.filter((r) => r[3] === true && r[2] !== null).map((r) => r[2] as number);
    out.push([
      ...groups.map((g) => members[0]?.[g] ?? null),
      members.length,
      vs.length === 0 ? null : vs.reduce((a, b) => a + b, 0),
      vs.length === 0 ? null : Math.max(...vs),
      new Set(vs).size,
      fs.length === 0 ? null : fs.reduce((a, b) => a + b, 0),
    ]);
  }
  return sortRows(out);
}

const OPTS = { name: 'agg', uid: 'agg' };

describe('groupAggregate', () => {
  for (const groups of [[0], [1, 0], []]) {
    for (const o of MODES) {
      test(`GROUP BY [${groups}] at parallelism ${o.parallelism}, ${o.mode}`, async () => {
        await fc.assert(
          fc.asyncProperty(changelogArb(rowArb, true), async (input) => {
            const out = await runOne(input, (s) => groupAggregate(s, 'retract', groups, CALLS, OPTS), o);
            const finalInput = applyChangelog(input, true);
            // Batch mode: a global aggregate over an empty final table has one row of initial values.
            const expected = bruteForce(finalInput, groups, groups.length === 0 && o.mode === 'batch');
            if (groups.length === 0 && o.mode === 'batch' && input.length === 0) {
              assert.deepEqual(out, [[RowKind.INSERT, 0, null, null, 0, null]]);
              return;
            }
            assert.deepEqual(applyChangelog(out, o.parallelism === 1), expected);
          }),
          { numRuns: o.parallelism === 1 ? 40 : 15 },
        );
      });
    }
  }

  test('batch mode: materialised before the sink, the result is the final rows as INSERTs', async () => {
    await fc.assert(
      fc.asyncProperty(changelogArb(rowArb, true), async (input) => {
        const out = await runOne(
          input,
          (s) =>
            materializeChangelog(groupAggregate(s, 'retract', [0], CALLS, OPTS), 'retract', [0], 6, {
              name: 'mat',
              uid: 'mat',
            }),
          { parallelism: 2, mode: 'batch' },
        );
        assert.ok(out.every((r) => r[0] === RowKind.INSERT));
        assert.deepEqual(sortRows(out.map((r) => r.slice(1))), bruteForce(applyChangelog(input, true), [0], false));
      }),
      { numRuns: 15 },
    );
  });

  test('the changelog: INSERT first, UPDATE_BEFORE/AFTER on change, nothing when unchanged, DELETE at zero rows', async () => {
    const I = RowKind.INSERT;
    const D = RowKind.DELETE;
    const input: Row[] = [
      [I, 'a', 1, 5, true],
      [I, 'a', 1, 5, false], // MAX and COUNT DISTINCT unchanged, COUNT(*) changes
      [D, 'a', 1, 5, false],
      [D, 'a', 1, 5, true],
    ];
    const out = await runOne(
      input,
      (s) => groupAggregate(s, 'retract', [0], [call(MAX, [2]), call(COUNT, [2], true)], OPTS),
      MODES[0]!,
    );
    assert.deepEqual(out, [
      [RowKind.INSERT, 'a', 5, 1],
      [RowKind.DELETE, 'a', 5, 1],
    ]);
  });

  test('NULL group keys form one group', async () => {
    const input: Row[] = [
      [RowKind.INSERT, null, null, 1, null],
      [RowKind.INSERT, null, null, 2, null],
    ];
    const out = await runOne(input, (s) => groupAggregate(s, 'insert-only', [0, 1], [call(SUM, [2])], OPTS), {
      parallelism: 2,
      mode: 'streaming',
    });
    assert.deepEqual(applyChangelog(out, true), [[null, null, 3]]);
  });

  test('streaming: a global aggregate over empty input emits nothing', async () => {
    const out = await runOne([], (s) => groupAggregate(s, 'insert-only', [], [call(COUNT, [])], OPTS), MODES[1]!);
    assert.deepEqual(out, []);
  });

  test('state TTL: a group idle for longer than the TTL starts over', async () => {
    const h = await OperatorTestHarness.create((s) =>
      groupAggregate(s as never, 'insert-only', [0], [call(COUNT, [])], { ...OPTS, stateTtlMs: 1000 }),
    );
    h.processElement([RowKind.INSERT, 'a'], 0);
    h.setProcessingTime(500);
    h.processElement([RowKind.INSERT, 'a'], 0);
    h.setProcessingTime(2000);
    h.processElement([RowKind.INSERT, 'a'], 0);
    assert.deepEqual(h.values(), [
      [RowKind.INSERT, 'a', 1],
      [RowKind.UPDATE_BEFORE, 'a', 1],
      [RowKind.UPDATE_AFTER, 'a', 2],
      [RowKind.INSERT, 'a', 1],
    ]);
  });

  test('state survives a restore: run on part of the input, resume from its final checkpoint with the rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-sql-agg-'));
    await fc.assert(
      fc.asyncProperty(changelogArb(rowArb, true, 30), fc.nat(), async (input, cut) => {
        const ck = join(dir, `ck-${Math.random().toString(36).slice(2)}`);
        const at = input.length === 0 ? 0 : cut % (input.length + 1);
        // Do not cut between an UPDATE_BEFORE and its UPDATE_AFTER (a source splits nothing else either).
        const split = input[at - 1]?.[0] === RowKind.UPDATE_BEFORE ? at + 1 : at;
        const run = async (rows: readonly Row[], from: string | undefined) => {
          const env = StreamExecutionEnvironment.create({ parallelism: 2 });
          env.enableCheckpointing(60_000, ck);
          const src = env.fromCollection(rows.map((r) => r.slice())).uid('src');
          const handle = groupAggregate(src, 'retract', [0], CALLS, OPTS).global().collect();
          await env.execute('sql-agg-restore', { fresh: from === undefined, fromSavepoint: from, log: () => {} });
          return handle.get();
        };
        const first = await run(input.slice(0, split), undefined);
        const last = readdirSync(ck)
          .filter((d) => /^chk-\d+$/.test(d))
          .sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)))
          .pop();
        assert.ok(last !== undefined && existsSync(join(ck, last, '_metadata')), 'no final checkpoint');
        // The same source (uid) over the whole input resumes after the rows the first run read.
        const second = await run(input, join(ck, last));
        assert.deepEqual(
          applyChangelog([...first, ...second], false),
          bruteForce(applyChangelog(input, true), [0], false),
        );
      }),
      { numRuns: 8 },
    );
  });
});
