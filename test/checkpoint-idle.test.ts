import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mock, test } from 'node:test';
import {
  CheckpointCoordinator,
  type CheckpointStats,
  IDLE_CHECKPOINT_INTERVAL_MS,
} from '../src/runtime/checkpoint/checkpoint-coordinator.js';
import { checkpointDirName, listCheckpointIds, writeStateFile } from '../src/runtime/checkpoint/checkpoint-storage.js';

/**
 * A job that takes in nothing new checkpoints at most every IDLE_CHECKPOINT_INTERVAL_MS instead of every interval;
 * new input brings the interval back at once. Time is driven by mock timers (the coordinator's tick and Date.now);
 * the checkpoint files are real.
 */
test('checkpoints slow down while no input comes and resume at the interval when it does', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-ck-idle-'));
  mock.timers.enable({ apis: ['setInterval', 'setTimeout', 'Date'], now: 1_000_000 });
  try {
    let input = 0;
    const triggered: number[] = [];
    let completed: (s: CheckpointStats) => void = () => {};
    const c: CheckpointCoordinator = new CheckpointCoordinator(
      { dir, intervalMs: 20, timeoutMs: 60_000, minPauseMs: 0, retain: 2 },
      { name: 'job', fingerprint: 'f' },
      128,
      1,
      1,
      1,
      {
        trigger: (id) => {
          triggered.push(id);
          void writeStateFile(join(dir, checkpointDirName(id)), 's-0-0.state', [Buffer.from('x')], ['op']).then((ref) =>
            c.onAck(id, ref, 0, []),
          );
        },
        complete: () => {},
        abort: () => {},
        fail: (e) => assert.fail(String(e)),
        activity: () => input,
        onStats: (s) => completed(s),
      },
    );
    const completion = () => new Promise<CheckpointStats>((resolve) => (completed = resolve));
    /** Advances time in coordinator ticks (10 ms at a 20 ms interval) up to `ms`; the triggers seen meanwhile. */
    const advance = (ms: number) => {
      const before = triggered.length;
      for (let t = 0; t < ms; t += 10) mock.timers.tick(10);
      return triggered.slice(before);
    };
    c.start();

    input = 1;
    let done = completion();
    assert.equal(advance(20).length, 1, 'the first checkpoint starts at the interval');
    await done;

    // Nothing new since that checkpoint started: none for almost a second, then one.
    done = completion();
    assert.deepEqual(advance(IDLE_CHECKPOINT_INTERVAL_MS - 30), [], 'an idle job checkpointed at the interval');
    assert.equal(advance(40).length, 1, 'an idle job must still checkpoint every idle interval');
    await done;

    // New input: the next checkpoint comes at the interval again.
    input = 2;
    done = completion();
    assert.equal(advance(20).length, 1, 'new input did not bring the interval back');
    await done;
    // Input that comes while a checkpoint runs counts for the next one.
    input = 3;
    done = completion();
    assert.equal(advance(20).length, 1);
    input = 4;
    await done;
    assert.equal(advance(20).length, 1, 'input that came while a checkpoint ran did not bring the next one');
    await c.stop();
  } finally {
    mock.timers.reset();
  }
});

test('pruning keeps up with checkpoints that complete faster than a pruning pass: the newest N stay', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-ck-prune-'));
  let completions = 0;
  let reached: () => void = () => {};
  const enough = new Promise<void>((resolve) => (reached = resolve));
  const c: CheckpointCoordinator = new CheckpointCoordinator(
    { dir, intervalMs: 1, timeoutMs: 60_000, minPauseMs: 0, retain: 2 },
    { name: 'job', fingerprint: 'f' },
    128,
    1,
    1,
    1,
    {
      trigger: (id) => {
        void writeStateFile(join(dir, checkpointDirName(id)), 's-0-0.state', [Buffer.from('x')], ['op']).then((ref) =>
          c.onAck(id, ref, 0, []),
        );
      },
      complete: () => {
        if (++completions === 30) reached();
      },
      abort: () => {},
      fail: (e) => assert.fail(String(e)),
    },
  );
  // The coordinator's ticker does not keep the process alive by itself.
  const alive = setInterval(() => {}, 1000);
  c.start();
  await enough;
  await c.stop();
  clearInterval(alive);
  const ids = await listCheckpointIds(dir);
  assert.equal(ids.length, 2, `directories left: ${ids}`);
  assert.ok(ids[0]! >= 30 && ids[1] === ids[0]! - 1, `the newest two stay: ${ids}`);
});
