import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { StreamExecutionEnvironment } from '../src/api/environment.js';
import { normalizeKey } from '../src/core/key.js';
import { materializeChangelog } from '../src/sql/operators/materialize.js';
import { type JoinType, regularJoin } from '../src/sql/operators/regular-join.js';
import { sqlKeyValue } from '../src/sql/operators/sql-key.js';
import { type Row, RowKind } from '../src/sql/runtime/row.js';
import { OperatorTestHarness } from '../src/testing/index.js';
import { applyChangelog, changelogArb, MODES, type RunOptions, sortRows } from './fixtures/sql-ops-support.js';

/**
 * Regular joins over random changelogs of both sides, run as real jobs: the output changelog, applied, equals the
 * join of the two final tables computed by brute force. Left [k, a], right [k, b]; join on k (NULL keys included),
 * optionally with the residual condition a <= b.
 */
const leftArb = fc.tuple(fc.constantFrom('x', 'y', null), fc.integer({ min: 0, max: 3 }));
const rightArb = fc.tuple(fc.constantFrom('x', 'y', 'z', null), fc.integer({ min: 0, max: 3 }));
const TYPES: JoinType[] = ['INNER', 'LEFT', 'RIGHT', 'FULL', 'SEMI', 'ANTI'];
const cond = (l: Row, r: Row) => (l[2] as number) <= (r[2] as number);

function bruteForce(
  type: JoinType,
  left: unknown[][],
  right: unknown[][],
  keys: boolean,
  withCond: boolean,
): unknown[][] {
  const eq = (l: unknown[], r: unknown[]) =>
    (!keys || (l[0] !== null && l[0] === r[0])) && (!withCond || (l[1] as number) <= (r[1] as number));
  const out: unknown[][] = [];
  for (const l of left) {
    const m = right.filter((r) => eq(l, r));
    if (type === 'SEMI') {
      if (m.length > 0) out.push(l);
    } else if (type === 'ANTI') {
      if (m.length === 0) out.push(l);
    } else {
      for (const r of m) out.push([...l, ...r]);
      if (m.length === 0 && (type === 'LEFT' || type === 'FULL')) out.push([...l, null, null]);
    }
  }
  if (type === 'RIGHT' || type === 'FULL') {
    for (const r of right) if (!left.some((l) => eq(l, r))) out.push([null, null, ...r]);
  }
  return sortRows(out);
}

async function runJoin(
  left: Row[],
  right: Row[],
  type: JoinType,
  keys: boolean,
  withCond: boolean,
  o: RunOptions,
  materialize = false,
): Promise<Row[]> {
  const env = StreamExecutionEnvironment.create({ parallelism: o.parallelism }).setRuntimeMode(o.mode);
  const l = env.fromCollection(left.map((r) => r.slice()));
  const r = env.fromCollection(right.map((x) => x.slice()));
  const k = keys ? [0] : [];
  let out = regularJoin(l, 'retract', r, 'retract', type, k, k, 2, 2, withCond ? cond : undefined, {
    name: 'join',
    uid: 'join',
  });
  const width = type === 'SEMI' || type === 'ANTI' ? 2 : 4;
  if (materialize) out = materializeChangelog(out, 'retract', undefined, width, { name: 'mat', uid: 'mat' });
  const handle = out.global().collect();
  await env.execute('sql-join');
  return handle.get();
}

describe('regularJoin', () => {
  for (const type of TYPES) {
    for (const o of MODES) {
      test(`${type} at parallelism ${o.parallelism}, ${o.mode}`, async () => {
        await fc.assert(
          fc.asyncProperty(
            changelogArb(leftArb, true, 25),
            changelogArb(rightArb, true, 25),
            fc.boolean(),
            fc.boolean(),
            async (left, right, keys, withCond) => {
              const out = await runJoin(left, right, type, keys, withCond, o);
              const expected = bruteForce(
                type,
                applyChangelog(left, true),
                applyChangelog(right, true),
                keys,
                withCond,
              );
              assert.deepEqual(applyChangelog(out, false), expected);
              assert.ok(
                out.every((row) => row[0] === RowKind.INSERT || row[0] === RowKind.DELETE),
                'joins emit INSERT and DELETE',
              );
            },
          ),
          { numRuns: o.parallelism === 1 ? 40 : 12 },
        );
      });
    }
  }

  test('FULL join materialised in batch mode: final rows as INSERTs', async () => {
    await fc.assert(
      fc.asyncProperty(changelogArb(leftArb, true, 25), changelogArb(rightArb, true, 25), async (left, right) => {
        const out = await runJoin(left, right, 'FULL', true, true, { parallelism: 2, mode: 'batch' }, true);
        assert.ok(out.every((row) => row[0] === RowKind.INSERT));
        const expected = bruteForce('FULL', applyChangelog(left, true), applyChangelog(right, true), true, true);
        assert.deepEqual(sortRows(out.map((row) => row.slice(1))), expected);
      }),
      { numRuns: 15 },
    );
  });

  test('LEFT join: the padded row is retracted by the first match and comes back after the last', async () => {
    const h = await OperatorTestHarness.createTwoInput((l, r) =>
      regularJoin(l as never, 'retract', r as never, 'retract', 'LEFT', [0], [0], 2, 2, undefined, {
        name: 'j',
        uid: 'j',
      }),
    );
    const I = RowKind.INSERT;
    const D = RowKind.DELETE;
    h.processElement([I, 'x', 1], 0, 0);
    h.processElement([I, 'x', 7], 0, 1);
    h.processElement([D, 'x', 7], 0, 1);
    h.processElement([I, null, 2], 0, 0);
    assert.deepEqual(h.values(), [
      [I, 'x', 1, null, null],
      [D, 'x', 1, null, null],
      [I, 'x', 1, 'x', 7],
      [D, 'x', 1, 'x', 7],
      [I, 'x', 1, null, null],
      [I, null, 2, null, null],
    ]);
  });

  test('state TTL: rows of a side expire', async () => {
    const h = await OperatorTestHarness.createTwoInput((l, r) =>
      regularJoin(l as never, 'insert-only', r as never, 'insert-only', 'INNER', [0], [0], 1, 1, undefined, {
        name: 'j',
        uid: 'j',
        stateTtlMs: 100,
      }),
    );
    h.processElement([RowKind.INSERT, 'x'], 0, 0);
    h.setProcessingTime(200);
    h.processElement([RowKind.INSERT, 'x'], 0, 1);
    assert.deepEqual(h.values(), []);
  });

  test('keys of SQL values: distinct values give distinct keys, NULL included; equal ROW values equal keys', () => {
    const values: unknown[] = [
      null,
      '',
      'N',
      '[]',
      0,
      '0',
      false,
      'f',
      't',
      [1],
      ['1'],
      [1, null],
      [null, 1],
      new Uint8Array([1]),
    ];
    const keys = values.map((v) => normalizeKey(sqlKeyValue(v)));
    assert.equal(new Set(keys).size, values.length);
    assert.equal(normalizeKey(sqlKeyValue([1, 'a'])), normalizeKey(sqlKeyValue([1, 'a'])));
    assert.equal(normalizeKey(sqlKeyValue(-0)), normalizeKey(sqlKeyValue(0)));
  });
});
