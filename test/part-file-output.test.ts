import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type PartFileCommittable, PartFileWriter } from '../src/connectors/files/part-file-writer.js';
import {
  checkpointCommittables,
  committedLines,
  describeExit,
  fileLines,
  hiddenFiles,
  ratedJob,
  ratedReference,
  root,
  runSluice,
  SluiceProcess,
} from './fixtures/ckpt-support.js';

/**
 * What an exactly-once file sink's output directory holds across runs: a run started over with `--fresh` replaces
 * the part files of the earlier run (one copy of the output, other files left alone), and a savepoint resumed with
 * a new, not yet existing output path writes there what comes after the savepoint.
 */

const dir = mkdtempSync(join(tmpdir(), 'sluice-part-files-'));
const copyJob = join(root, 'test/fixtures/copy-lines-job.ts');

test('--fresh replaces the part files of the earlier run and leaves other files alone', {
  timeout: 120_000,
}, async () => {
  const input = join(dir, 'words.txt');
  const lines = Array.from({ length: 3000 }, (_, i) => `w${i}`);
  writeFileSync(input, `${lines.join('\n')}\n`);
  const ck = join(dir, 'fresh-ck');
  const out = join(dir, 'fresh-out');
  const expected = lines.map((l) => l.toUpperCase()).sort();
  const run = (...extra: string[]) =>
    runSluice(['run', copyJob, '--checkpoint-dir', ck, ...extra, '--', input, out], 100_000);

  const first = await run();
  assert.equal(first.code, 0, describeExit(first));
  assert.deepEqual(committedLines(out), expected);
  // Files the sink did not write, some with names close to its own, and a stale in-progress file of its own.
  const unrelated = ['notes.txt', 'part-0-000000.csv', 'part-0-7.txt', 'part-1-000000.txt.bak', '_SUCCESS'];
  for (const name of unrelated) writeFileSync(join(out, name), 'keep me\n');
  writeFileSync(join(out, '.part-0-000009.inprogress'), 'stale\n');

  const again = await run('--fresh');
  assert.equal(again.code, 0, describeExit(again));
  const parts = readdirSync(out).filter((n) => /^part-0-\d{6}\.txt$/.test(n));
  const output = parts.flatMap((n) => fileLines(join(out, n))).sort();
  assert.equal(output.length, expected.length, `--fresh doubled the output: part files ${parts.join(', ')}`);
  assert.deepEqual(output, expected);
  for (const name of unrelated) {
    assert.equal(readFileSync(join(out, name), 'utf8'), 'keep me\n', `${name} was touched`);
  }
  assert.deepEqual(hiddenFiles(out), [], 'the stale in-progress file is still there');
});

test('a savepoint resumed into a new output directory writes the output after the savepoint there', {
  timeout: 170_000,
}, async () => {
  const count = 12_000;
  const ck = join(dir, 'sp-ck');
  const out = join(dir, 'sp-out');
  const savepoint = join(dir, 'sp');
  // No periodic checkpoint after the job is under way: once a part file is being written, the savepoint pre-commits
  // it, and its committables name a file of the first directory.
  const job = new SluiceProcess([
    'run',
    ratedJob,
    '--checkpoint-dir',
    ck,
    '--checkpoint-interval',
    '3600000',
    '--',
    '--count',
    String(count),
    '--rate',
    '1000',
    '--output',
    out,
  ]);
  try {
    const writing = await job.waitUntil(() => existsSync(out) && hiddenFiles(out).length > 0, 90_000);
    assert.ok(writing, `the job wrote nothing\n${job.stderr}`);
    const sp = await runSluice(['savepoint', '--checkpoint-dir', ck, '--target', savepoint, '--stop']);
    assert.equal(sp.code, 0, `sluice savepoint failed\n${describeExit(sp)}\n--- job stderr ---\n${job.stderr}`);
    const e = await job.exited;
    assert.equal(e.code, 0, describeExit(e));
  } finally {
    await job.kill();
  }
  assert.notDeepEqual(await checkpointCommittables(savepoint), [], 'the savepoint pre-committed no part file');
  const before = committedLines(out);
  const reference = ratedReference(count);
  assert.ok(before.length > 0 && before.length < reference.length, `${before.length} records before the savepoint`);

  const fresh = join(dir, 'new', 'out');
  mkdirSync(join(dir, 'new'));
  const r = await runSluice([
    'run',
    ratedJob,
    '--from-savepoint',
    savepoint,
    '--checkpoint-dir',
    join(dir, 'sp-ck2'),
    '--',
    '--count',
    String(count),
    '--output',
    fresh,
  ]);
  assert.equal(r.code, 0, describeExit(r));
  const after = committedLines(fresh);
  assert.deepEqual(
    [...before, ...after].sort(),
    reference,
    'the output before the savepoint and the new directory together differ from an uninterrupted run',
  );
  assert.deepEqual(hiddenFiles(fresh), []);
  assert.deepEqual(committedLines(out), before, 'the first directory was changed by the resumed run');
});

test('recovery publishes pre-committed files of another directory only where a copy holds them', async () => {
  const text = { initial: () => '', format: (v: string) => `${v}\n` };
  const first = join(dir, 'unit-first');
  const w = new PartFileWriter<string>(first, 0, '.txt', text);
  await w.open();
  await w.write(['a', 'b']);
  const committable = await w.prepareCommit();
  const state = w.snapshotState();
  await w.close();
  assert.ok(committable !== undefined);

  // A copy of the directory taken before the commit: the pending file is there and gets published.
  const copy = join(dir, 'unit-copy');
  cpSync(first, copy, { recursive: true });
  const inCopy = new PartFileWriter<string>(copy, 0, '.txt', text);
  await inCopy.recover([committable], [state]);
  assert.deepEqual(readdirSync(copy), ['part-0-000000.txt']);
  assert.equal(readFileSync(join(copy, 'part-0-000000.txt'), 'utf8'), 'a\nb\n');

  // A new directory: nothing of the old one is published there, and the next part file continues the numbering.
  const fresh = join(dir, 'unit-new');
  const inNew = new PartFileWriter<string>(fresh, 0, '.txt', text);
  await inNew.recover([committable], [state]);
  assert.deepEqual(readdirSync(fresh), []);
  await inNew.write(['c']);
  const next = (await inNew.prepareCommit()) as PartFileCommittable;
  await inNew.commit([next]);
  assert.deepEqual(readdirSync(fresh), ['part-0-000001.txt']);

  // The first directory itself with its pending file gone: that is lost output, and an error naming the file.
  rmSync(join(first, (committable as PartFileCommittable).pending));
  const again = new PartFileWriter<string>(first, 0, '.txt', text);
  await assert.rejects(again.recover([committable], [state]), /cannot publish part file '.*part-0-000000\.txt'/);
});
