import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type DataStream, OutputTag, runJob } from '../src/index.js';
import { OperatorTestHarness } from '../src/testing/index.js';
import { describeExit, fileLines, root, runSluice, seededRandom } from './fixtures/ckpt-support.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-late-'));
const job = join(root, 'test/fixtures/late-window-job.ts');
const BOUND = 500;
const LATENESS = 200;
const WINDOW = 1000;

/** Seeded events: mostly moving forward with disorder around the bound, one in ten far behind. */
function makeInput(seed: number, count: number): { path: string; events: { user: string; ts: number }[] } {
  const random = seededRandom(seed);
  const events: { user: string; ts: number }[] = [];
  let clock = 10_000;
  for (let i = 0; i < count; i++) {
    clock += Math.floor(random() * 60);
    const behind = random() < 0.1 ? Math.floor(random() * 3000) : Math.floor(random() * 700);
    events.push({ user: `u${Math.floor(random() * 7)}`, ts: Math.max(0, clock - behind) });
  }
  const path = join(dir, `events-${seed}.jsonl`);
  writeFileSync(path, `${events.map((e) => JSON.stringify(e)).join('\n')}\n`);
  return { path, events };
}

/**
 * Brute force, with a watermark after every record (batch size 1): before record j it is the largest timestamp
 * so far minus the bound minus 1; the record is dropped when its window's end - 1 + allowed lateness is not after it.
 */
function lateCount(events: readonly { ts: number }[]): number {
  let max = Number.NEGATIVE_INFINITY;
  let late = 0;
  for (const e of events) {
    const watermark = max - BOUND - 1;
    const windowEnd = e.ts - (e.ts % WINDOW) + WINDOW;
    if (windowEnd - 1 + LATENESS <= watermark) late++;
    max = Math.max(max, e.ts);
  }
  return late;
}

const { path: input, events } = makeInput(7, 4000);
const expected = lateCount(events);

const jobArgs = (out: string) => [
  '--input',
  input,
  '--output',
  out,
  '--bound',
  String(BOUND),
  '--lateness',
  String(LATENESS),
];

for (const p of [1, 2]) {
  test(`numLateRecordsDropped of the window operator equals a brute-force count (p=${p})`, {
    timeout: 120_000,
  }, async () => {
    assert.ok(expected > 50, `the input has late records (${expected})`);
    const log: string[] = [];
    const result = await runJob(job, {
      args: jobArgs(join(dir, `api-${p}.jsonl`)),
      config: { parallelism: p, batchSize: 1 },
      log: (l) => log.push(l),
    });
    const window = result.operatorMetrics.find((m) => m.name === 'late-window');
    assert.ok(window !== undefined, JSON.stringify(result.operatorMetrics));
    assert.equal(window.counters.numLateRecordsDropped, expected);
    assert.deepEqual(log, [
      `warning: operator 'late-window' dropped ${expected} late records (behind the watermark, beyond any allowed lateness); keep them with .sideOutputLateData(tag) on the windowed stream`,
    ]);
  });
}

test('sluice run warns about dropped late records on stderr, and not when a side output takes them', {
  timeout: 120_000,
}, async () => {
  const dropped = await runSluice([
    'run',
    job,
    '-p',
    '2',
    '--batch-size',
    '1',
    '--',
    ...jobArgs(join(dir, 'cli.jsonl')),
  ]);
  assert.equal(dropped.code, 0, describeExit(dropped));
  const warnings = dropped.stderr.split('\n').filter((l) => l.startsWith('warning:'));
  assert.deepEqual(warnings, [
    `warning: operator 'late-window' dropped ${expected} late records (behind the watermark, beyond any allowed lateness); keep them with .sideOutputLateData(tag) on the windowed stream`,
  ]);
  assert.equal(dropped.stdout, '');
  assert.match(dropped.stderr, new RegExp(`^summary: records in 4000, .*, late records dropped ${expected}, `, 'm'));

  const lateOut = join(dir, 'late.jsonl');
  const kept = await runSluice([
    'run',
    job,
    '-p',
    '2',
    '--batch-size',
    '1',
    '--',
    ...jobArgs(join(dir, 'cli-kept.jsonl')),
    '--late-output',
    lateOut,
  ]);
  assert.equal(kept.code, 0, describeExit(kept));
  assert.doesNotMatch(kept.stderr, /warning/, describeExit(kept));
  assert.equal(fileLines(lateOut).length, expected);
});

test('the interval join counts late records of both inputs, or sends them to its late-data side outputs', async () => {
  type Ev = { k: number; ts: number };
  const leftLate = new OutputTag<Ev>('left-late');
  const rightLate = new OutputTag<Ev>('right-late');
  for (const withSide of [false, true]) {
    const h = await OperatorTestHarness.createTwoInput(
      (a: DataStream<Ev>, b: DataStream<Ev>) => {
        const join = a
          .keyBy((e) => e.k)
          .intervalJoin(b.keyBy((e) => e.k))
          .between(-50, 50);
        if (withSide) join.sideOutputLeftLateData(leftLate).sideOutputRightLateData(rightLate);
        return join.process<string>((x, y, _ctx, out) => out.collect(`${x.ts}-${y.ts}`));
      },
      { sideOutputs: withSide ? [leftLate, rightLate] : [] },
    );
    const random = seededRandom(11);
    const watermarks = [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY];
    const late = [0, 0];
    const clocks = [0, 0];
    for (let i = 0; i < 3000; i++) {
      const input = random() < 0.5 ? 0 : 1;
      clocks[input]! += Math.floor(random() * 20);
      const ts = Math.max(0, clocks[input]! - Math.floor(random() * 400));
      // Late: not after the operator's watermark, the smaller of its two inputs' watermarks.
      if (ts <= Math.min(watermarks[0]!, watermarks[1]!)) late[input]!++;
      h.processElement({ k: i % 5, ts }, ts, input);
      if (i % 10 === 9) {
        watermarks[input] = clocks[input]! - 200;
        h.processWatermark(watermarks[input]!, input);
      }
    }
    assert.ok(late[0]! > 20 && late[1]! > 20, `late records on both inputs: ${late}`);
    if (withSide) {
      assert.equal(h.counter('numLateRecordsDropped'), 0);
      assert.equal(h.sideOutput(leftLate).length, late[0]);
      assert.equal(h.sideOutput(rightLate).length, late[1]);
    } else {
      assert.equal(h.counter('numLateRecordsDropped'), late[0]! + late[1]!);
    }
    await h.close();
  }
});
