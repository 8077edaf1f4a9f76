import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PartFileWriter } from '../src/connectors/files/part-file-writer.js';

const formatter = { initial: () => '', format: (v: string) => `${v}\n` };
const files = (dir: string) => readdirSync(dir).sort();

test('part files restored at a lower parallelism: the subtask taking over another index discards its files after the checkpoint', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-part-rescale-'));
  for (const n of ['part-0-000000.json', 'part-1-000000.json', 'part-1-000001.json', '.part-1-000002.inprogress']) {
    writeFileSync(join(dir, n), 'x\n');
  }
  // Old subtask 1's checkpoint state says part 1 of index 1 came after the checkpoint (a newer one was corrupt).
  const w = new PartFileWriter<string>(dir, 0, '.json', formatter);
  await w.recover(
    [],
    [
      { nextSeq: 1, subtask: 0 },
      { nextSeq: 1, subtask: 1 },
    ],
    true,
  );
  assert.deepEqual(files(dir), ['part-0-000000.json', 'part-1-000000.json']);
  await w.write(['a']);
  assert.deepEqual(await w.prepareCommit(), {
    pending: '.part-0-000001.inprogress',
    final: 'part-0-000001.json',
    dir,
  });
});

test('part files restored at a higher parallelism: a subtask without earlier state keeps its index published files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-part-rescale-'));
  for (const n of ['part-1-000000.json', 'part-1-000001.json', '.part-1-000002.inprogress']) {
    writeFileSync(join(dir, n), 'x\n');
  }
  const w = new PartFileWriter<string>(dir, 1, '.json', formatter);
  await w.recover([], [], true);
  assert.deepEqual(files(dir), ['part-1-000000.json', 'part-1-000001.json']);
  await w.write(['a']);
  assert.equal(((await w.prepareCommit()) as { final: string }).final, 'part-1-000002.json');
  // A fresh start (nothing restored) replaces them.
  const fresh = new PartFileWriter<string>(dir, 1, '.json', formatter);
  await fresh.recover([], []);
  assert.deepEqual(files(dir), []);
});
