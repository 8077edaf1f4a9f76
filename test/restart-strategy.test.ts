import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PlanError, RestartStrategies, StreamExecutionEnvironment } from '../src/index.js';
import { effectiveRestartStrategy } from '../src/plan/restart-strategy.js';
import { createRestartBackoff } from '../src/runtime/restart-backoff.js';
import {
  committedLines,
  describeExit,
  fileLines,
  hiddenFiles,
  ratedReference,
  root,
  runSluice,
} from './fixtures/ckpt-support.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-restart-'));
const job = join(root, 'test/fixtures/fail-once-job.ts');
const COUNT = 6000;
const RESTART_LINE =
  /^restarting \(restart (\d+)\) in (\d+) ms (from checkpoint \d+|from the beginning) after failure: (.*)$/gm;

const restartLines = (stderr: string) => [...stderr.matchAll(RESTART_LINE)];

test('backoffs: fixed-delay gives up after its attempts, failure-rate counts failures in its interval', () => {
  const fixed = createRestartBackoff({ type: 'fixed-delay', attempts: 2, delayMs: 7 });
  assert.deepEqual([fixed.onFailure(0), fixed.onFailure(1), fixed.onFailure(2)], [7, 7, undefined]);
  assert.equal(createRestartBackoff({ type: 'none' }).onFailure(0), undefined);
  const rate = createRestartBackoff({
    type: 'failure-rate',
    maxFailuresPerInterval: 2,
    failureRateIntervalMs: 100,
    delayMs: 3,
  });
  // Two failures in any 100 ms are tolerated, the third within 100 ms of the first two is not.
  assert.deepEqual(
    [0, 50, 150, 160, 170].map((t) => rate.onFailure(t)),
    [3, 3, 3, 3, undefined],
  );
});

test('backoffs: exponential delay grows by its multiplier up to the maximum, with jitter, and resets', () => {
  const config = {
    type: 'exponential-delay',
    initialBackoffMs: 10,
    maxBackoffMs: 35,
    backoffMultiplier: 2,
    resetBackoffThresholdMs: 1000,
    jitterFactor: 0.1,
    attemptsBeforeResetBackoff: 10,
  } as const;
  const middle = createRestartBackoff(config, () => 0.5);
  assert.deepEqual(
    [0, 1, 2, 3].map((t) => middle.onFailure(t)),
    [10, 20, 35, 35],
  );
  // A run of 1000 ms without failure starts over.
  assert.equal(middle.onFailure(1003), 10);
  const high = createRestartBackoff(config, () => 0.999999);
  assert.equal(high.onFailure(0), 11);
  const limited = createRestartBackoff({ ...config, attemptsBeforeResetBackoff: 1 }, () => 0.5);
  assert.deepEqual([limited.onFailure(0), limited.onFailure(1)], [10, undefined]);
});

test("Flink's default: exponential delay with checkpointing, none without; bad values are refused", () => {
  assert.equal(effectiveRestartStrategy(undefined, true).type, 'exponential-delay');
  assert.equal(effectiveRestartStrategy(undefined, false).type, 'none');
  assert.equal(effectiveRestartStrategy(RestartStrategies.none(), true).type, 'none');
  assert.throws(() => RestartStrategies.fixedDelay(-1, 10), PlanError);
  assert.throws(
    () => RestartStrategies.exponentialDelay({ jitterFactor: 2 }),
    /restart-strategy\.exponential-delay\.jitter-factor must be between 0 and 1, got 2/,
  );
});

/** 1…5 times ten, collected; the first attempt (no marker file yet) throws on 4 and leaves the marker. */
function tenfoldFailingOnceAtFour(env: StreamExecutionEnvironment, marker: string) {
  return env
    .fromCollection([1, 2, 3, 4, 5])
    .map((n) => {
      if (n === 4 && !existsSync(marker)) {
        writeFileSync(marker, '');
        throw new Error('four is bad');
      }
      return n * 10;
    })
    .collect();
}

test('env.setRestartStrategy restarts a job in-process; without checkpoints it starts over', async () => {
  const marker = join(dir, 'api-marker');
  const env = StreamExecutionEnvironment.create().setRestartStrategy(RestartStrategies.fixedDelay(1, 1));
  const handle = tenfoldFailingOnceAtFour(env, marker);
  const lines: string[] = [];
  const result = await env.execute('api-restart', { log: (l) => lines.push(l) });
  assert.equal(result.restarts, 1);
  // Collect sinks keep only what the attempt that got through produced when it started from the same point.
  assert.deepEqual(handle.get(), [10, 20, 30, 40, 50]);
  assert.equal(lines.length, 1, lines.join('\n'));
  assert.match(lines[0]!, /^restarting \(restart 1\) in 1 ms from the beginning after failure: .*four is bad$/);
});

test('with checkpointing and no strategy set, the job restarts after the default exponential delay', async () => {
  const marker = join(dir, 'default-marker');
  const env = StreamExecutionEnvironment.create().enableCheckpointing(20, join(dir, 'default-ck'));
  const handle = tenfoldFailingOnceAtFour(env, marker);
  const lines: string[] = [];
  const result = await env.execute('default-restart', { log: (l) => lines.push(l) });
  assert.equal(result.restarts, 1);
  // Collect sinks are at-least-once across a restart: every record is there, some possibly twice.
  assert.deepEqual(
    [...new Set(handle.get())].sort((a, b) => a - b),
    [10, 20, 30, 40, 50],
  );
  const restart = /^restarting \(restart 1\) in (\d+) ms /.exec(lines.find((l) => l.startsWith('restarting')) ?? '');
  assert.ok(restart, lines.join('\n'));
  // Flink's exponential-delay defaults: the first delay is 1000 ms +- 10 % jitter.
  const delay = Number(restart[1]);
  assert.ok(delay >= 900 && delay <= 1100, `first delay ${delay} ms`);
});

for (const p of [1, 2]) {
  test(`a function that throws once recovers from the latest checkpoint with exact output (p=${p})`, {
    timeout: 180_000,
  }, async () => {
    const ck = join(dir, `ck-${p}`);
    const out = join(dir, `out-${p}`);
    const marker = join(dir, `marker-${p}`);
    // p=1 uses the fixed delay, p=2 the exponential delay: each with a tiny delay.
    const strategy =
      p === 1
        ? ['--restart-strategy', 'fixed-delay', '--restart-strategy-fixed-delay-delay', '1']
        : ['--restart-strategy', 'exponential-delay', '--restart-strategy-exponential-delay-initial-backoff', '1'];
    const r = await runSluice([
      'run',
      job,
      '-p',
      String(p),
      '--checkpoint-dir',
      ck,
      '--checkpoint-interval',
      '50',
      ...strategy,
      '--',
      '--count',
      String(COUNT),
      '--gate',
      '3000',
      '--fail-at',
      '4001',
      '--marker',
      marker,
      '--ck',
      ck,
      '--output',
      out,
    ]);
    assert.equal(r.code, 0, describeExit(r));
    assert.ok(existsSync(marker), 'the function did throw');
    const restarts = restartLines(r.stderr);
    assert.equal(restarts.length, 1, describeExit(r));
    assert.match(restarts[0]![3]!, /^from checkpoint \d+$/, 'the gate guarantees a checkpoint before the failure');
    assert.match(
      restarts[0]![4]!,
      /operator 'fail-once' failed on record .*"i":4001.*: injected failure at event 4001/,
    );
    // Exactly the output of a run without the failure, which is the brute-force reference.
    const clean = join(dir, `clean-${p}.jsonl`);
    const c = await runSluice(['run', job, '-p', String(p), '--', '--count', String(COUNT), '--output', clean]);
    assert.equal(c.code, 0, describeExit(c));
    assert.deepEqual(fileLines(clean), ratedReference(COUNT));
    assert.deepEqual(committedLines(out), fileLines(clean));
    assert.deepEqual(hiddenFiles(out), []);
    assert.match(r.stderr, /^summary: .*, restarts 1, duration /m, describeExit(r));
  });
}

test('restart strategy none fails at the first failure; fixed-delay gives up after its attempts', {
  timeout: 120_000,
}, async () => {
  const base = (name: string) => [
    '--',
    '--count',
    '200',
    '--fail-at',
    '50',
    '--fail-always',
    '--marker',
    join(dir, `${name}-marker`),
    '--output',
    join(dir, `${name}-out`),
  ];
  const none = await runSluice([
    'run',
    job,
    '--checkpoint-dir',
    join(dir, 'none-ck'),
    '--restart-strategy',
    'none',
    ...base('none'),
  ]);
  assert.equal(none.code, 1, describeExit(none));
  assert.equal(restartLines(none.stderr).length, 0, describeExit(none));
  assert.match(none.stderr, /^error: operator 'fail-once' failed on record .*injected failure at event 50$/m);

  const fixed = await runSluice([
    'run',
    job,
    '-p',
    '2',
    '--restart-strategy',
    'fixed-delay',
    '--restart-strategy-fixed-delay-attempts',
    '3',
    '--restart-strategy-fixed-delay-delay',
    '1',
    ...base('fixed'),
  ]);
  assert.equal(fixed.code, 1, describeExit(fixed));
  const lines = restartLines(fixed.stderr);
  assert.deepEqual(
    lines.map((m) => [m[1], m[2], m[3]]),
    [
      ['1', '1', 'from the beginning'],
      ['2', '1', 'from the beginning'],
      ['3', '1', 'from the beginning'],
    ],
    describeExit(fixed),
  );
  assert.match(fixed.stderr, /^not restarting: restart strategy fixed-delay \(3 attempts\) gave up after 3 restarts$/m);
  assert.match(fixed.stderr, /^error: operator 'fail-once' failed on record .*injected failure at event 50$/m);
  // The summary comes after the error and counts every attempt.
  const lastLines = fixed.stderr.trimEnd().split('\n');
  assert.match(lastLines.at(-1)!, /^summary: records in \d+, .*, restarts 3, duration /, describeExit(fixed));
  assert.match(none.stderr, /^summary: .*, restarts 0, duration /m, describeExit(none));
});

test('restart options are checked against the strategy they belong to', async () => {
  const r = await runSluice(['run', job, '--restart-strategy-fixed-delay-attempts', '3', '--', '--count', '1']);
  assert.equal(r.code, 2, describeExit(r));
  assert.match(r.stderr, /^error: --restart-strategy-fixed-delay-attempts needs --restart-strategy fixed-delay$/m);
});
