import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  checkpointCommittables,
  committedLines,
  describeExit,
  fileLines,
  hiddenFiles,
  notCovered,
  ratedCheckpointCommand,
  ratedJob,
  ratedReference,
  runSluice,
  SluiceProcess,
} from './fixtures/ckpt-support.js';

/**
 * Savepoints through the CLI: `sluice savepoint --stop` of a job running at parallelism 2, then the job resumed from
 * the savepoint at parallelism 1 and at 4, each on its own copy of the output so far; both results must equal an
 * uninterrupted run. And a savepoint request that nobody answers fails with a clear error once its timeout passes.
 */

const dir = mkdtempSync(join(tmpdir(), 'sluice-savepoint-'));

test('stop with savepoint at parallelism 2, resume at parallelism 1 and 4', { timeout: 170_000 }, async (t) => {
  const count = 16_000;
  const rate = '2000';
  // The reference: an uninterrupted run without checkpoints (one plain output file), itself checked by brute force.
  const refFile = join(dir, 'reference.jsonl');
  const ref = await runSluice(['run', ratedJob, '-p', '2', '--', '--count', String(count), '--output', refFile]);
  assert.equal(ref.code, 0, describeExit(ref));
  const reference = fileLines(refFile);
  assert.deepEqual(reference, ratedReference(count), 'the uninterrupted run differs from the brute-force reference');

  const ck = join(dir, 'ck');
  const out = join(dir, 'out');
  const savepoint = join(dir, 'sp');
  const jobArgs = (o: string) => ['--', '--count', String(count), '--rate', rate, '--output', o];
  const job = new SluiceProcess(ratedCheckpointCommand(ck, out, count, rate));
  try {
    // Some output committed first, so that the savepoint stops the job part way, with state in every operator.
    const running = await job.waitUntil(
      () => job.completedCheckpoints().length >= 3 && committedLines(out).length > 0,
      90_000,
    );
    assert.ok(running, `the job did not get going\n${job.stderr}`);
    const sp = await runSluice([
      'savepoint',
      '--checkpoint-dir',
      ck,
      '--target',
      savepoint,
      '--stop',
      '--timeout',
      '60000',
    ]);
    assert.equal(sp.code, 0, `sluice savepoint failed\n${describeExit(sp)}\n--- job stderr ---\n${job.stderr}`);
    assert.equal(sp.stdout.trim(), savepoint, 'the savepoint command prints the savepoint path');
    const e = await job.exited;
    assert.equal(e.code, 0, describeExit(e));
    assert.match(e.stderr, new RegExp(`^job stopped with savepoint ${savepoint}$`, 'm'), describeExit(e));
  } finally {
    await job.kill();
  }
  const metadata = JSON.parse(readFileSync(join(savepoint, '_metadata'), 'utf8')) as { kind: string; final: boolean };
  assert.equal(metadata.kind, 'savepoint');
  assert.equal(metadata.final, false, 'the job should have been stopped before the end of its input');
  // "--stop: the job stops once the savepoint is written, its output up to the savepoint committed": every part file
  // the savepoint's sink state pre-committed is published already (found by walking the decoded state files).
  const committables = await checkpointCommittables(savepoint);
  t.diagnostic(`part files pre-committed in the savepoint: ${committables.join(', ') || '-'}`);
  for (const name of committables) {
    assert.ok(existsSync(join(out, name)), `${name}, pre-committed by the savepoint, was not published by --stop`);
  }
  const soFar = committedLines(out);
  t.diagnostic(
    `stopped with ${soFar.length} of ${reference.length} records committed; hidden: ${hiddenFiles(out).join(', ') || '-'}`,
  );
  assert.ok(soFar.length < reference.length, 'the job was not stopped before its end');
  assert.deepEqual(
    notCovered(soFar, reference).slice(0, 3),
    [],
    'records committed before the savepoint are wrong or duplicates',
  );

  // Resume at two other parallelisms, each into its own copy of the output directory (hidden files included).
  const resume = async (p: number) => {
    const o = join(dir, `out-p${p}`);
    cpSync(out, o, { recursive: true });
    const r = await runSluice([
      'run',
      ratedJob,
      '-p',
      String(p),
      '--from-savepoint',
      savepoint,
      '--checkpoint-dir',
      join(dir, `ck-p${p}`),
      '--checkpoint-interval',
      '100',
      ...jobArgs(o),
    ]);
    return { p, o, r };
  };
  for (const { p, o, r } of await Promise.all([resume(1), resume(4)])) {
    assert.equal(r.code, 0, `resume at parallelism ${p}\n${describeExit(r)}`);
    assert.match(
      r.stderr,
      new RegExp(`^restoring from savepoint ${savepoint} \\(checkpoint \\d+\\)$`, 'm'),
      describeExit(r),
    );
    const lines = committedLines(o);
    assert.equal(lines.length, reference.length, `resumed at parallelism ${p}: wrong number of records`);
    assert.deepEqual(lines, reference, `resumed at parallelism ${p}: output differs from the uninterrupted run`);
    assert.deepEqual(hiddenFiles(o), [], `resumed at parallelism ${p}: hidden files left behind`);
  }
  // The savepoint itself is left as it was: it can be used again.
  assert.ok(existsSync(join(savepoint, '_metadata')));
});

test('sluice savepoint without a running job fails with a clear error after its timeout', {
  timeout: 60_000,
}, async () => {
  const ck = mkdtempSync(join(dir, 'idle-ck-'));
  const started = Date.now();
  const r = await runSluice(
    ['savepoint', '--checkpoint-dir', ck, '--target', join(dir, 'never'), '--timeout', '1500'],
    45_000,
  );
  const elapsed = Date.now() - started;
  assert.equal(r.code, 1, describeExit(r));
  assert.match(
    r.stderr,
    /^error: savepoint failed: no answer within 1500 ms: is a job running with --checkpoint-dir .*\?$/m,
    describeExit(r),
  );
  assert.equal(r.stdout, '');
  assert.ok(elapsed >= 1500, `gave up after ${elapsed} ms, before its timeout`);
  assert.ok(!existsSync(join(dir, 'never')), 'a savepoint directory was created');
  // The unanswered request is withdrawn: a job started later with this directory must not find it and stop.
  const pending = readdirSync(join(ck, '_requests')).filter((n) => n.endsWith('.request.json'));
  assert.deepEqual(pending, [], 'the unanswered savepoint request was left behind');
});
