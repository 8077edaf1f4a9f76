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
  type Exit,
  hiddenFiles,
  makeEvents,
  notCovered,
  PART_FILE,
  ratedJob,
  ratedReference,
  SluiceProcess,
  seededRandom,
  sessionsReference,
  sleep,
  waitForCheckpointInFlight,
  waitForCompleteButUnpublished,
  windowCountsReference,
  writeEvents,
} from './fixtures/ckpt-support.js';

/**
 * The crash-test harness: the real `sluice run` command with checkpoints every 100 ms is SIGKILLed at random moments
 * and run again with the same command line until it exits 0. The committed output (part files only) must then be
 * exactly the brute-force reference and exactly what an uninterrupted run produces: nothing lost, nothing twice.
 *
 * Kills are chosen by a seeded PRNG (the seed is in every failure message; SLUICE_CRASH_SEED=N replays the same
 * choices, the exact moments still depend on timing). Kinds of kill, each attempt one of them:
 * - after-checkpoint: 0-150 ms after the attempt's first (or second) new checkpoint completed;
 * - in-flight: after that, while the next checkpoint is in flight with the sink's output pre-committed (its state
 *   file written) but the metadata not yet written;
 * - before-commit: after that, between a checkpoint's metadata and the publication of the part files it covers;
 * - early: during start-up or restore (100-800 ms, or at the attempt's first checkpoint), never twice in a row.
 * All but early kills leave progress behind (a checkpoint newer than the one restored), so the loop terminates.
 */

const seed = Number(process.env.SLUICE_CRASH_SEED ?? 20260101);
const dir = mkdtempSync(join(tmpdir(), 'sluice-crash-'));
/** Kills performed by all cases of this file; the last case tops the total up to at least MIN_TOTAL_KILLS. */
let totalKills = 0;
let casesDone = 0;
const MIN_TOTAL_KILLS = 20;

interface CrashCase {
  name: string;
  /** Engine arguments after `run`: the job file and -p. */
  job: string[];
  /** Job arguments (after `--`) for an output directory. */
  jobArgs(out: string): string[];
  reference: string[];
  plannedKills: number;
  /** Whether running out of input before all planned kills fails the case (speed-independent jobs only). */
  mustReachPlannedKills: boolean;
  seed: number;
}

interface Outcome {
  kills: number;
  attempts: number;
  restores: number;
  log: string[];
}

/**
 * Part files already seen must never change or disappear, and what is committed so far must be part of the
 * reference (no wrong or duplicate record is ever published). Records the files in `seen`.
 */
function checkCommittedStable(out: string, seen: Map<string, string>, reference: string[], context: string): void {
  const now = committedFiles(out);
  for (const [name, text] of seen) {
    assert.ok(now.has(name), `${context}: committed part file ${name} disappeared`);
    assert.equal(now.get(name), text, `${context}: committed part file ${name} changed after it was published`);
  }
  for (const [name, text] of now) {
    assert.match(name, PART_FILE, `${context}: unexpected visible file ${name}`);
    assert.ok(text === '' || text.endsWith('\n'), `${context}: committed part file ${name} ends mid-line`);
    seen.set(name, text);
  }
  const extra = notCovered(committedLines(out), reference);
  assert.deepEqual(extra.slice(0, 5), [], `${context}: ${extra.length} committed records are wrong or duplicates`);
}

async function runCrashCase(c: CrashCase): Promise<Outcome> {
  const ck = join(dir, `${c.name}-ck`);
  const out = join(dir, `${c.name}-out`);
  const command = [
    'run',
    ...c.job,
    '--checkpoint-dir',
    ck,
    '--checkpoint-interval',
    '100',
    // Every state in a file of its own: a kill "during a checkpoint in flight" looks for the sink's state file. (The
    // uninterrupted run keeps small state in the metadata, as by default.)
    '--checkpoint-inline-bytes',
    '0',
    '-v',
    '--',
    ...c.jobArgs(out),
  ];
  const random = seededRandom(c.seed);
  const tag = `[${c.name}, SLUICE_CRASH_SEED=${seed}]`;
  const seen = new Map<string, string>();
  const maxAttempts = c.plannedKills + 12;
  let kills = 0;
  let restores = 0;
  let previousEarly = false;
  const log: string[] = [];
  for (let attempt = 1; ; attempt++) {
    assert.ok(
      attempt <= maxAttempts,
      `${tag}: the job did not exit 0 within ${maxAttempts} attempts (${kills} kills); log:\n${log.join('\n')}`,
    );
    // What the run must restore from: the newest checkpoint with metadata (none is corrupt in this test).
    const expectedRestore = completeCheckpointIds(ck)[0];
    const p = new SluiceProcess(command);
    let killed = false;
    let sawCheckpoint = false;
    let what = 'ran to the end';
    if (kills < c.plannedKills) {
      // The first attempt of a case is always killed after its first checkpoint: every case gets a kill and a restore.
      const r = attempt === 1 ? 1 : random();
      const mode: string =
        !previousEarly && r < 0.2 ? 'early' : r < 0.45 ? 'in-flight' : r < 0.7 ? 'before-commit' : 'after-checkpoint';
      previousEarly = mode === 'early';
      if (mode === 'early') {
        // During start-up/restore: a random moment, but no later than the first checkpoint of this attempt.
        const delay = Math.round(100 + random() * 700);
        await p.waitUntil(() => p.completedCheckpoints().length > 0, delay);
        what = `early kill (planned at ${delay} ms or the first checkpoint)`;
      } else {
        // After progress: at least one new checkpoint of this attempt is complete, then a random delay ...
        const checkpoints = attempt === 1 || random() < 0.75 ? 1 : 2;
        const delay = Math.round(random() * 150);
        const reached = await p.waitUntil(() => p.completedCheckpoints().length >= checkpoints, 90_000);
        assert.ok(
          reached || p.exit !== undefined,
          `${tag}: attempt ${attempt} completed no checkpoint within 90 s\n${p.stderr}`,
        );
        sawCheckpoint = reached;
        if (reached && mode === 'after-checkpoint') {
          await sleep(delay);
          what = `kill ${delay} ms after checkpoint #${checkpoints} of the attempt`;
        } else if (reached && mode === 'before-commit') {
          // ... or between the completion of a checkpoint and the publication of its output ...
          const caught = await waitForCompleteButUnpublished(ck, out, 400, () => p.exit !== undefined);
          what = caught
            ? `kill between a checkpoint's completion and its commit, after checkpoint #${checkpoints}`
            : 'kill after waiting 400 ms for a checkpoint completing before its commit';
        } else if (reached) {
          // ... or while the next checkpoint is in flight: the sink pre-committed, the metadata not yet written.
          const caught = await waitForCheckpointInFlight(ck, 400, () => p.exit !== undefined);
          what = caught
            ? `kill during a checkpoint in flight after checkpoint #${checkpoints}`
            : 'kill after waiting 400 ms for a checkpoint in flight';
        }
      }
      if (p.exit === undefined) {
        await p.kill();
        killed = p.exit!.signal === 'SIGKILL' && !p.timedOut;
      }
    }
    const e: Exit = await p.exited;
    assert.ok(!p.timedOut, `${tag}: attempt ${attempt} hung and was stopped\n${describeExit(e)}`);
    log.push(
      `attempt ${attempt}: ${killed ? what : `exit ${e.code}`}; restored ${expectedRestore ?? '-'}; completed [${p.completedCheckpoints().join(',')}]`,
    );
    if (killed) kills++;
    else assert.equal(e.code, 0, `${tag}: attempt ${attempt} failed\n${describeExit(e)}`);
    // Every rerun restores from the newest complete checkpoint, if there is one, and reports it.
    // (An early kill may come before the restore line is printed.)
    const restoreLine = /^restoring from .*$/m.exec(e.stderr)?.[0];
    if (expectedRestore !== undefined) {
      if (restoreLine !== undefined || !killed || sawCheckpoint) {
        assert.match(
          e.stderr,
          new RegExp(`^restoring from checkpoint ${expectedRestore} \\(`, 'm'),
          `${tag}: attempt ${attempt} should restore from checkpoint ${expectedRestore}\n${describeExit(e)}`,
        );
        restores++;
      }
    } else {
      assert.doesNotMatch(e.stderr, /restoring from/, `${tag}: attempt ${attempt} restored from nothing?`);
    }
    assert.doesNotMatch(e.stderr, /warning: checkpoint|error:/, `${tag}: attempt ${attempt}\n${describeExit(e)}`);
    checkCommittedStable(out, seen, c.reference, `${tag} after attempt ${attempt}`);
    if (!killed) {
      if (kills < c.plannedKills && c.mustReachPlannedKills) {
        assert.fail(
          `${tag}: the job finished after ${kills} of ${c.plannedKills} planned kills; log:\n${log.join('\n')}`,
        );
      }
      return { kills, attempts: attempt, restores, log };
    }
  }
}

/** The whole case: an uninterrupted run, then the crash loop; both compared with the reference. */
async function crashTest(t: { diagnostic(s: string): void }, c: CrashCase): Promise<void> {
  const tag = `[${c.name}, SLUICE_CRASH_SEED=${seed}]`;
  const cleanOut = join(dir, `${c.name}-clean-out`);
  // The uninterrupted run goes on beside the crash loop (its own directories), to keep the file's run time down.
  const cleanRun = new SluiceProcess([
    'run',
    ...c.job,
    '--checkpoint-dir',
    join(dir, `${c.name}-clean-ck`),
    '--checkpoint-interval',
    '100',
    '--',
    ...c.jobArgs(cleanOut),
  ]);
  let outcome: Outcome;
  try {
    outcome = await runCrashCase(c);
  } catch (e) {
    await cleanRun.kill();
    throw e;
  }
  const clean = await cleanRun.exited;
  assert.equal(clean.code, 0, `${tag}: uninterrupted run\n${describeExit(clean)}`);
  const cleanLines = committedLines(cleanOut);
  assert.deepEqual(cleanLines, c.reference, `${tag}: the uninterrupted run differs from the reference`);
  assert.deepEqual(hiddenFiles(cleanOut), [], `${tag}: the uninterrupted run left hidden files`);

  totalKills += outcome.kills;
  casesDone++;
  t.diagnostic(`${tag}: ${outcome.kills} kills, ${outcome.attempts} attempts, ${outcome.restores} restores`);
  for (const line of outcome.log) t.diagnostic(line);
  const out = join(dir, `${c.name}-out`);
  const lines = committedLines(out);
  assert.equal(lines.length, c.reference.length, `${tag}: wrong number of output records after crashes`);
  assert.deepEqual(lines, c.reference, `${tag}: output after crashes differs from the reference`);
  assert.deepEqual(lines, cleanLines, `${tag}: output after crashes differs from the uninterrupted run`);
  assert.deepEqual(hiddenFiles(out), [], `${tag}: in-progress files were left behind`);
  assert.ok(outcome.kills >= 1, `${tag}: no kill happened`);
  assert.ok(outcome.restores >= 1, `${tag}: no rerun restored from a checkpoint`);
}

const events = makeEvents(250_000, 40, seed);
const input = join(dir, 'events.jsonl');
writeEvents(input, events);

test('window-counts at parallelism 2, its file read in ranges, survives SIGKILLs with exactly-once output', {
  timeout: 170_000,
}, async (t) => {
  await crashTest(t, {
    name: 'window-counts-p2',
    job: ['examples/window-counts.ts', '-p', '2'],
    // ~13 MB of events in ranges of 1.5 MB: both subtasks read parts of the file, restored mid-range.
    jobArgs: (out) => ['--input', input, '--output', out, '--split-bytes', '1500000'],
    reference: windowCountsReference(events),
    plannedKills: 6,
    mustReachPlannedKills: false,
    seed: seed + 1,
  });
});

test('sessions at parallelism 1 survives SIGKILLs with exactly-once output', { timeout: 170_000 }, async (t) => {
  await crashTest(t, {
    name: 'sessions-p1',
    job: ['examples/sessions.ts', '-p', '1'],
    jobArgs: (out) => ['--input', input, '--output', out],
    reference: sessionsReference(events),
    plannedKills: 6,
    mustReachPlannedKills: false,
    seed: seed + 2,
  });
});

test('the rated generator job at parallelism 2 survives SIGKILLs with exactly-once output', {
  timeout: 170_000,
}, async (t) => {
  // The rate makes this job's length independent of the machine's speed, so it can take the remaining kills.
  const count = 48_000;
  await crashTest(t, {
    name: 'rated-p2',
    job: [ratedJob, '-p', '2'],
    jobArgs: (out) => ['--count', String(count), '--rate', '6000', '--output', out],
    reference: ratedReference(count),
    // After the other two cases: whatever they could not take, up to 20 (the input holds ~30 such attempts).
    plannedKills: casesDone === 2 ? Math.min(20, Math.max(8, MIN_TOTAL_KILLS - totalKills)) : 8,
    mustReachPlannedKills: true,
    seed: seed + 3,
  });
  t.diagnostic(`kills in this file: ${totalKills}`);
  if (casesDone === 3) assert.ok(totalKills >= 20, `only ${totalKills} kills in this file`);
});
