import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkpointPath, completeCheckpointIds, describeExit, ratedJob, runSluice } from './fixtures/ckpt-support.js';

/**
 * A checkpoint directory belongs to the job that wrote it: another job pointed at it is refused (instead of
 * restoring that job's source positions), and a restore never drops state silently that maps to no operator.
 */

const dir = mkdtempSync(join(tmpdir(), 'sluice-identity-'));
const evolving = 'test/fixtures/evolving-job.ts';
const stalling = 'test/fixtures/stalling-source-job.ts';

test("another job pointed at a job's checkpoint directory is refused, naming the directory and both jobs", {
  timeout: 120_000,
}, async () => {
  const ck = join(dir, 'rated-ck');
  const first = await runSluice([
    'run',
    ratedJob,
    '--checkpoint-dir',
    ck,
    '--checkpoint-interval',
    '100',
    '--',
    '--count',
    '3000',
    '--output',
    join(dir, 'rated-out'),
  ]);
  assert.equal(first.code, 0, describeExit(first));
  assert.ok(completeCheckpointIds(ck).length > 0);
  const other = await runSluice([
    'run',
    stalling,
    '--checkpoint-dir',
    ck,
    '--',
    '--count',
    '100',
    '--output',
    join(dir, 'other-out'),
  ]);
  assert.notEqual(other.code, 0, `the other job was not refused\n${describeExit(other)}`);
  assert.match(
    other.stderr,
    new RegExp(`checkpoint directory ${ck} holds checkpoints of job \\S*rated-window-job\\.ts`),
  );
  assert.match(other.stderr, /not of \S*stalling-source-job\.ts/);
  assert.deepEqual(readdirSync(dir).includes('other-out'), false, 'the refused job wrote output');
});

test('state of an operator the new version lacks is refused naming its uid, and dropped with --allow-non-restored-state', {
  timeout: 120_000,
}, async () => {
  const ck = join(dir, 'evolving-ck');
  const run = (version: string, out: string, ...engine: string[]) =>
    runSluice(['run', evolving, ...engine, '--', '--version', version, '--count', '500', '--output', join(dir, out)]);
  const v1 = await run('1', 'v1-out', '--checkpoint-dir', ck, '--checkpoint-interval', '100');
  assert.equal(v1.code, 0, describeExit(v1));
  const refused = await run('2', 'v1-out', '--checkpoint-dir', ck);
  assert.notEqual(refused.code, 0, describeExit(refused));
  assert.match(refused.stderr, /holds state of operator uid 'totals', which matches no operator of this job/);
  assert.match(refused.stderr, /--allow-non-restored-state/);

  // The same through the savepoint path (a complete checkpoint directory serves as a savepoint).
  const savepoint = checkpointPath(ck, completeCheckpointIds(ck)[0]!);
  const fromSavepoint = await run('2', 'v1-out', '--from-savepoint', savepoint, '--checkpoint-dir', join(dir, 'v2-ck'));
  assert.notEqual(fromSavepoint.code, 0, describeExit(fromSavepoint));
  assert.match(fromSavepoint.stderr, new RegExp(`savepoint ${savepoint} holds state of operator uid 'totals'`));
  const allowedSp = await run(
    '2',
    'v1-out',
    '--from-savepoint',
    savepoint,
    '--checkpoint-dir',
    join(dir, 'v2-ck'),
    '--allow-non-restored-state',
  );
  assert.equal(allowedSp.code, 0, describeExit(allowedSp));

  const allowed = await run('2', 'v1-out', '--checkpoint-dir', ck, '--allow-non-restored-state');
  assert.equal(allowed.code, 0, describeExit(allowed));
  assert.match(allowed.stderr, /warning: state of operator uid 'totals' .* is not restored/);
  assert.match(allowed.stderr, /restoring from checkpoint/);
});
