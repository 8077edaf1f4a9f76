import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CheckpointCoordinator } from '../src/runtime/checkpoint/checkpoint-coordinator.js';
import { listCheckpointIds, pruneCheckpoints } from '../src/runtime/checkpoint/checkpoint-storage.js';
import { watchSavepointRequests } from '../src/runtime/checkpoint/savepoint-requests.js';
import { checkpointPath, completeCheckpointIds, describeExit, ratedJob, runSluice } from './fixtures/ckpt-support.js';

/**
 * A checkpoint directory that cannot be listed or read fails the start, naming the path and what was done with it,
 * instead of the run silently restoring something older or starting from scratch; savepoint requests that fail are
 * answered or reported. (Tests run as root, which reads anything: the failures are made with a file where a
 * directory belongs and a directory where a file belongs, which fail for root too.)
 */

const tmp = mkdtempSync(join(tmpdir(), 'sluice-ck-errors-'));

/** A finished run of the rated job with checkpoints: its directory holds complete checkpoints. */
async function finishedCheckpointDir(name: string): Promise<string> {
  const ck = join(tmp, `${name}-ck`);
  const e = await runSluice(jobCommand(ck, name));
  assert.equal(e.code, 0, describeExit(e));
  assert.ok(completeCheckpointIds(ck).length >= 2, 'expected two retained checkpoints');
  return ck;
}

const jobCommand = (ck: string, name: string) => [
  'run',
  ratedJob,
  '--checkpoint-dir',
  ck,
  '--checkpoint-interval',
  '50',
  '--',
  '--count',
  '3000',
  '--rate',
  '20000',
  '--output',
  join(tmp, `${name}-out`),
];

describe('unreadable checkpoint directories', () => {
  it('a checkpoint whose metadata cannot be read fails the start, naming the path', { timeout: 120_000 }, async () => {
    const ck = await finishedCheckpointDir('metadata');
    const newest = checkpointPath(ck, completeCheckpointIds(ck)[0]!);
    rmSync(join(newest, '_metadata'));
    mkdirSync(join(newest, '_metadata')); // reading it fails with EISDIR, for root too
    const e = await runSluice(jobCommand(ck, 'metadata'));
    assert.equal(e.code, 1, describeExit(e));
    assert.match(e.stderr, new RegExp(`error: cannot read checkpoint metadata ${newest}/_metadata: EISDIR`));
    assert.doesNotMatch(e.stderr, /restoring from/);
  });

  it('an entry of the checkpoint directory that cannot be read fails the start', { timeout: 120_000 }, async () => {
    const ck = await finishedCheckpointDir('entry');
    const stray = checkpointPath(ck, 99);
    writeFileSync(stray, 'not a directory');
    const e = await runSluice(jobCommand(ck, 'entry'));
    assert.equal(e.code, 1, describeExit(e));
    assert.match(e.stderr, new RegExp(`error: cannot read checkpoint metadata ${stray}/_metadata: ENOTDIR`));
  });

  it('listing fails with the path unless the directory does not exist', async () => {
    assert.deepEqual(await listCheckpointIds(join(tmp, 'absent')), []);
    const file = join(tmp, 'a-file');
    writeFileSync(file, '');
    await assert.rejects(listCheckpointIds(file), new RegExp(`cannot list checkpoint directory ${file}: ENOTDIR`));
  });

  it('pruning never deletes a checkpoint whose metadata cannot be read', { timeout: 120_000 }, async () => {
    const ck = await finishedCheckpointDir('prune');
    const [newest, older] = completeCheckpointIds(ck) as [number, number];
    const olderMetadata = join(checkpointPath(ck, older), '_metadata');
    rmSync(olderMetadata);
    mkdirSync(olderMetadata);
    await assert.rejects(pruneCheckpoints(ck, newest, 1), /cannot read checkpoint metadata .*EISDIR/);
    assert.ok(existsSync(checkpointPath(ck, older)), 'the unreadable checkpoint was deleted');
  });
});

describe('savepoint request errors', () => {
  it('`sluice savepoint` on a checkpoint directory it cannot write reports why', { timeout: 60_000 }, async () => {
    const file = join(tmp, 'not-a-dir');
    writeFileSync(file, '');
    const e = await runSluice(['savepoint', '--checkpoint-dir', file, '--target', join(tmp, 'sp'), '--timeout', '500']);
    assert.equal(e.code, 1, describeExit(e));
    assert.match(
      e.stderr,
      new RegExp(`error: savepoint failed: cannot create directory '${file}/_requests': .* \\(ENOTDIR\\)`),
    );
  });

  it('the job reports a requests folder it cannot list', async () => {
    const root = mkdtempSync(join(tmp, 'requests-'));
    writeFileSync(join(root, '_requests'), '');
    // The watcher's timer does not keep a process alive (a job's does): this one keeps the test's alive meanwhile.
    const alive = setInterval(() => {}, 1000);
    const line = await new Promise<string>((resolve) => {
      const stop = watchSavepointRequests(
        root,
        10,
        async () => ({ ok: true }),
        (l) => {
          stop();
          resolve(l);
        },
      );
    });
    clearInterval(alive);
    assert.match(line, new RegExp(`error: cannot list savepoint requests in ${root}/_requests: ENOTDIR`));
  });

  it('a savepoint waiting for a checkpoint is refused when the job stops or has finished', async () => {
    const hooks = { trigger() {}, complete() {}, abort() {}, fail() {} };
    const config = {
      dir: mkdtempSync(join(tmp, 'coord-')),
      intervalMs: 60_000,
      timeoutMs: 60_000,
      minPauseMs: 0,
      retain: 1,
    };
    const job = { name: 'job', fingerprint: 'f' };
    const c = new CheckpointCoordinator(config, job, 128, 1, 1, 1, hooks);
    const waiting = c.checkpointNow();
    await c.stop();
    await assert.rejects(waiting, /the job stopped before the checkpoint for it was taken/);
    await assert.rejects(c.checkpointNow(), /the job is stopping/);
  });
});
