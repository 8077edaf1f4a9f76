import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { lockCheckpointDirectory } from '../src/runtime/checkpoint/directory-lock.js';

/** The checkpoint directory lock: pids on this machine, leases for locks written by other machines. */
describe('lockCheckpointDirectory', () => {
  const fresh = () => mkdtempSync(join(tmpdir(), 'sluice-lock-'));

  it('writes pid and host, and releases', async () => {
    const dir = fresh();
    const unlock = await lockCheckpointDirectory(dir);
    assert.equal(readFileSync(join(dir, '_lock'), 'utf8').trim(), `${process.pid} ${hostname()}`);
    await unlock();
    assert.throws(() => readFileSync(join(dir, '_lock')));
  });

  it('takes over the lock of a process of this machine that is gone', async () => {
    const dir = fresh();
    writeFileSync(join(dir, '_lock'), `999999999 ${hostname()}\n`);
    await (await lockCheckpointDirectory(dir, 100))();
  });

  it('waits for a live process of this machine, then fails naming it', async () => {
    const dir = fresh();
    writeFileSync(join(dir, '_lock'), `1 ${hostname()}\n`); // pid 1 is always alive
    await assert.rejects(lockCheckpointDirectory(dir, 300), /in use by another job \(pid 1 on /);
  });

  it('treats a lock of another machine as a lease: held while renewed, taken over when stale', async () => {
    const dir = fresh();
    const path = join(dir, '_lock');
    writeFileSync(path, '4242 some-other-host\n');
    await assert.rejects(lockCheckpointDirectory(dir, 300), /pid 4242 on some-other-host/);
    const old = new Date(Date.now() - 60_000);
    utimesSync(path, old, old);
    await (await lockCheckpointDirectory(dir, 300))();
  });
});
