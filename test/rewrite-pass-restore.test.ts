import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  checkpointPath,
  committedLines,
  completeCheckpointIds,
  describeExit,
  hiddenFiles,
  root,
  SluiceProcess,
} from './fixtures/ckpt-support.js';
import { recordOf } from './fixtures/running-sums-job.js';

/**
 * Heap checkpoints whose chains were cut after a rewrite pass (no full link left in them), restored after SIGKILLs
 * through real checkpoint files: the job is killed once its newest checkpoint no longer needs the attempt's first
 * (full) checkpoint and that one has been pruned, then run again (twice, when the input lasts); the output must be
 * exactly the brute-force reference.
 */

const dir = mkdtempSync(join(tmpdir(), 'sluice-rewrite-'));
const job = join(root, 'test/fixtures/running-sums-job.ts');
const COUNT = 45_000;
const KEYS = 3000;

function reference(): string[] {
  const acc = new Map<number, { n: number; sum: number }>();
  const out: string[] = [];
  for (let i = 0; i < COUNT; i++) {
    const r = recordOf(i, KEYS);
    const a = acc.get(r.key) ?? { n: 0, sum: 0 };
    a.n++;
    a.sum += r.v;
    acc.set(r.key, a);
    out.push(JSON.stringify({ key: r.key, n: a.n, sum: a.sum }));
  }
  return out.sort();
}

/** Checkpoint ids a checkpoint's metadata references (the earlier links its chains build on). */
function referencedIds(ck: string, id: number): number[] {
  const meta = JSON.parse(readFileSync(join(checkpointPath(ck, id), '_metadata'), 'utf8')) as {
    references?: { checkpointDir: string }[];
  };
  return (meta.references ?? []).map((r) => Number(/chk-(\d+)/.exec(r.checkpointDir)![1]));
}

test('heap chains cut after rewrite passes restore exactly after SIGKILLs', { timeout: 170_000 }, async () => {
  const ck = join(dir, 'ck');
  const out = join(dir, 'out');
  const command = [
    'run',
    job,
    '-p',
    '2',
    '--checkpoint-dir',
    ck,
    '--checkpoint-interval',
    '50',
    '-v',
    '--',
    '--count',
    String(COUNT),
    '--keys',
    String(KEYS),
    '--output',
    out,
  ];
  let restoresFromCutChains = 0;
  for (let attempt = 1; attempt <= 6; attempt++) {
    const p = new SluiceProcess(command);
    if (attempt <= 2) {
      // Killed once a checkpoint of this attempt builds on none of the attempt's first checkpoints (its full links)
      // and references some checkpoint (its chain starts with a delta), and the first has been pruned.
      const cut = await p.waitUntil(() => {
        const mine = p.completedCheckpoints();
        if (mine.length < 2) return false;
        const first = mine[0]!;
        const newest = completeCheckpointIds(ck)[0]!;
        const refs = referencedIds(ck, newest);
        return refs.length > 0 && Math.min(...refs) > first && !existsSync(checkpointPath(ck, first));
      }, 60_000);
      if (cut) {
        await p.kill();
        restoresFromCutChains++;
        continue;
      }
    }
    const exit = await p.exited;
    assert.equal(exit.code, 0, describeExit(exit));
    break;
  }
  // The first attempt has the whole input to get there; the second only what is left, which a very slow machine may
  // finish first.
  assert.ok(restoresFromCutChains >= 1, 'no attempt was killed after a chain was cut');
  assert.deepEqual(hiddenFiles(out), [], 'in-progress files were left behind');
  const lines = committedLines(out);
  const expected = reference();
  assert.equal(lines.length, expected.length, 'committed lines');
  assert.deepEqual(lines, expected);
});
