import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
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

/** Contenders in separate processes, released together: exactly one gets the lock, the others a clear error. */
describe('lockCheckpointDirectory with simultaneous starters', () => {
  const contender = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/lock-contender.ts');

  interface Contender {
    child: ChildProcess;
    out: string;
    exited: Promise<void>;
  }

  async function contest(dir: string, n: number): Promise<{ winners: Contender[]; refused: Contender[] }> {
    const all: Contender[] = [];
    for (let i = 0; i < n; i++) {
      const child = spawn(process.execPath, ['--import', 'tsx', contender, dir, '1000'], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      const c: Contender = { child, out: '', exited: new Promise((r) => child.on('close', () => r())) };
      child.stdout!.setEncoding('utf8');
      all.push(c);
    }
    const lines = (c: Contender, what: RegExp) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (what.test(c.out)) resolve();
        };
        c.child.stdout!.on('data', (s: string) => {
          c.out += s;
          check();
        });
        c.exited.then(resolve);
        check();
      });
    await Promise.all(all.map((c) => lines(c, /^ready$/m)));
    for (const c of all) c.child.stdin!.write('go\n');
    await Promise.all(all.map((c) => lines(c, /^(locked|refused .*)$/m)));
    return {
      winners: all.filter((c) => /^locked$/m.test(c.out)),
      refused: all.filter((c) => /^refused /m.test(c.out)),
    };
  }

  async function check(dir: string, n: number): Promise<void> {
    const { winners, refused } = await contest(dir, n);
    try {
      assert.equal(winners.length, 1, `winners: ${winners.length}, refused: ${refused.length}`);
      assert.equal(refused.length, n - 1);
      const holder = winners[0]!.child.pid;
      for (const r of refused) {
        assert.match(r.out, new RegExp(`checkpoint directory ${dir} is in use by another job \\(pid ${holder} on `));
      }
      assert.equal(readFileSync(join(dir, '_lock'), 'utf8').trim(), `${holder} ${hostname()}`);
    } finally {
      for (const w of winners) w.child.stdin!.end();
      await Promise.all(winners.map((w) => w.exited));
    }
    assert.deepEqual(readdirSync(dir), [], 'the lock (and no temporary file) is left after release');
  }

  it('12 starters on a free directory: one wins', { timeout: 120_000 }, async () => {
    await check(mkdtempSync(join(tmpdir(), 'sluice-lock-race-')), 12);
  });

  it('12 starters on a stale lock (dead pid): one takes it over', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-lock-race-'));
    writeFileSync(join(dir, '_lock'), `999999999 ${hostname()}\n`);
    await check(dir, 12);
  });
});
