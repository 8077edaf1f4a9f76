import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { PROGRESS_LINE_INTERVAL_MS, ProgressReporter } from '../src/cli/progress.js';
import { describeExit, fileLines, root, runSluice } from './fixtures/ckpt-support.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-summary-'));
const job = join(root, 'examples/window-counts.ts');
const input = join(root, 'examples/data/events.jsonl');
const inputRecords = readFileSync(input, 'utf8')
  .split('\n')
  .filter((l) => l !== '').length;
const SUMMARY =
  /^summary: records in (\d+), records out (\d+), late records dropped (\d+), checkpoints (\d+), restarts (\d+), duration \d+\.\d s$/m;
const PROGRESS =
  /^progress: (?:(\d+)% of input read \| )?records in [\d,]+ \| out [\d,]+ \| [\d,]+ rec\/s \| \d+\.\d s elapsed$/;

test('sluice run ends with one summary line on stderr; stdout stays the job output', { timeout: 120_000 }, async () => {
  const out = join(dir, 'plain.jsonl');
  const r = await runSluice(['run', job, '--', '--input', input, '--output', out]);
  assert.equal(r.code, 0, describeExit(r));
  assert.equal(r.stdout, '');
  const summaries = r.stderr.split('\n').filter((l) => l.startsWith('summary:'));
  assert.equal(summaries.length, 1, describeExit(r));
  const m = SUMMARY.exec(r.stderr)!;
  assert.ok(m, describeExit(r));
  assert.equal(Number(m[1]), inputRecords);
  assert.equal(Number(m[2]), fileLines(out).length);
  assert.deepEqual([m[3], m[4], m[5]], ['0', '0', '0']);
  // Not a terminal and no --progress: no progress at all.
  assert.doesNotMatch(r.stderr, /progress/);
});

test('--progress into a pipe prints plain lines with the share of the input file read', {
  timeout: 120_000,
}, async () => {
  const out = join(dir, 'progress');
  const r = await runSluice([
    'run',
    job,
    '-p',
    '2',
    '--progress',
    '--checkpoint-dir',
    join(dir, 'ck'),
    '--checkpoint-interval',
    '50',
    '--',
    '--input',
    input,
    '--output',
    out,
  ]);
  assert.equal(r.code, 0, describeExit(r));
  assert.ok(!r.stderr.includes('\u001b') && !r.stderr.includes('\r'), 'no terminal control codes');
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('progress:'));
  assert.ok(lines.length >= 1, describeExit(r));
  for (const l of lines) assert.match(l, PROGRESS);
  const shares = lines.map((l) => Number(PROGRESS.exec(l)![1]));
  assert.equal(shares.at(-1), 100, describeExit(r));
  assert.deepEqual(
    shares,
    [...shares].sort((a, b) => a - b),
    'the share never goes back',
  );
  const m = SUMMARY.exec(r.stderr)!;
  assert.ok(m, describeExit(r));
  assert.equal(Number(m[1]), inputRecords);
  assert.ok(Number(m[4]) >= 1, 'the final checkpoint at least');
  assert.equal(m[5], '0');
});

test('plain progress lines come every interval and once more at the end', () => {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (b: Buffer) => {
    text += b.toString();
  });
  let now = 1_000_000;
  const reporter = new ProgressReporter('lines', stream, () => now);
  const at = (ms: number, read: number) => {
    now = 1_000_000 + ms;
    reporter.update({ sourceRecords: read, sinkRecords: 0, inputBytes: { readBytes: read, totalBytes: 400 } });
  };
  at(500, 10);
  at(PROGRESS_LINE_INTERVAL_MS, 100);
  at(PROGRESS_LINE_INTERVAL_MS + 500, 200);
  at(2 * PROGRESS_LINE_INTERVAL_MS, 300);
  at(2 * PROGRESS_LINE_INTERVAL_MS + 100, 400);
  reporter.stop();
  const lines = text.split('\n').filter((l) => l !== '');
  assert.deepEqual(
    lines.map((l) => PROGRESS.exec(l)?.[1]),
    ['25', '75', '100'],
    text,
  );
});
