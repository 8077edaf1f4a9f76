import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  committedFiles,
  committedLines,
  completeCheckpointIds,
  describeExit,
  fileLines,
  hiddenFiles,
  runSluice,
  SluiceProcess,
} from './fixtures/ckpt-support.js';

/**
 * Checkpoints abandoned by their timeout while a source subtask is blocked: that source never emits the barrier of
 * the abandoned checkpoint, only the next one, so downstream subtasks see barrier n on one input and n + 1 on
 * another. They must give up n and align on n + 1; later checkpoints must complete, and a job SIGKILLed at points
 * chosen by its progress (after an abandoned checkpoint, after a checkpoint that followed one, after output was
 * published) must produce exactly the output of an uninterrupted run.
 */

const dir = mkdtempSync(join(tmpdir(), 'sluice-abandon-'));
const job = 'test/fixtures/stalling-source-job.ts';
const jobArgs = (out: string, stallMs: number) => [
  '--count',
  '24000',
  '--rate',
  '3000',
  '--stall-every',
  '6000',
  '--stall-ms',
  String(stallMs),
  '--output',
  out,
];

/** Ids of the checkpoints a run reported abandoned. */
const abandoned = (p: SluiceProcess) =>
  [...p.stderr.matchAll(/^warning: checkpoint (\d+) did not complete within/gm)].map((m) => Number(m[1]));

/** Whether a checkpoint completed after one of the same run was abandoned (alignment recovered). */
const completedAfterAbandon = (p: SluiceProcess) => {
  const first = abandoned(p)[0];
  return first !== undefined && p.completedCheckpoints().some((id) => id > first);
};

/** Where the attempts are killed, in turn; each waits for progress of the attempt, never for a fixed time. */
const killPoints: { what: string; reached(p: SluiceProcess, out: string, partsBefore: number): boolean }[] = [
  { what: 'after a checkpoint that followed an abandoned one', reached: completedAfterAbandon },
  { what: 'right after a checkpoint was abandoned', reached: (p) => abandoned(p).length > 0 },
  {
    what: 'after new output was published and a checkpoint followed an abandoned one',
    reached: (p, out, before) => committedFiles(out).size > before && completedAfterAbandon(p),
  },
  { what: 'right after the second abandoned checkpoint', reached: (p) => abandoned(p).length > 1 },
];

test('checkpoints abandoned while a source is blocked leave exactly-once output across SIGKILLs', {
  timeout: 240_000,
}, async (t) => {
  const cleanOut = join(dir, 'clean.jsonl');
  const clean = await runSluice(['run', job, '-p', '2', '--', ...jobArgs(cleanOut, 0)]);
  assert.equal(clean.code, 0, describeExit(clean));
  const expected = fileLines(cleanOut);
  assert.ok(expected.length > 100, 'the uninterrupted run wrote little output');

  const ck = join(dir, 'ck');
  const out = join(dir, 'out');
  // Source subtask 1 is blocked for 800 ms every 2 s of input; a checkpoint not complete after 300 ms is abandoned.
  const command = [
    'run',
    job,
    '-p',
    '2',
    '--checkpoint-dir',
    ck,
    '--checkpoint-interval',
    '100',
    '--checkpoint-timeout',
    '300',
    '-v',
    '--',
    ...jobArgs(out, 800),
  ];
  const log: string[] = [];
  let kills = 0;
  let recovered = 0;
  for (let attempt = 1; ; attempt++) {
    assert.ok(attempt <= killPoints.length + 4, `the job did not finish; log:\n${log.join('\n')}`);
    const restoreFrom = completeCheckpointIds(ck)[0];
    const partsBefore = committedFiles(out).size;
    const p = new SluiceProcess(command);
    const point = killPoints[attempt - 1];
    if (point !== undefined) {
      const reached = await p.waitUntil(() => point.reached(p, out, partsBefore), 120_000);
      if (reached) await p.kill();
      assert.ok(reached || p.exit?.code === 0, `attempt ${attempt}: ${point.what} never happened\n${p.stderr}`);
    }
    const e = await p.exited;
    const killed = e.signal === 'SIGKILL';
    if (completedAfterAbandon(p)) recovered++;
    log.push(
      `attempt ${attempt}: ${killed ? `killed ${point!.what}` : `exit ${e.code}`}; restored ${restoreFrom ?? '-'}; ` +
        `abandoned [${abandoned(p).join(',')}]; completed [${p.completedCheckpoints().join(',')}]`,
    );
    if (restoreFrom !== undefined && (!killed || abandoned(p).length + p.completedCheckpoints().length > 0)) {
      assert.match(e.stderr, new RegExp(`^restoring from checkpoint ${restoreFrom} \\(`, 'm'), describeExit(e));
    }
    if (killed) {
      kills++;
      continue;
    }
    assert.equal(e.code, 0, `attempt ${attempt}\n${describeExit(e)}`);
    break;
  }
  for (const line of log) t.diagnostic(line);
  assert.ok(kills >= 3, `only ${kills} kills; log:\n${log.join('\n')}`);
  assert.ok(recovered >= 2, `checkpoints after abandoned ones completed in only ${recovered} attempts`);
  const lines = committedLines(out);
  assert.deepEqual(lines, expected, `output after kills differs from the uninterrupted run; log:\n${log.join('\n')}`);
  assert.deepEqual(hiddenFiles(out), [], 'in-progress files were left behind');
});
