import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  committedLines,
  describeExit,
  hiddenFiles,
  makeEvents,
  SluiceProcess,
  seededRandom,
  sessionsReference,
  sleep,
  windowCountsReference,
  writeEvents,
} from './fixtures/ckpt-support.js';

/**
 * The crash test of the disk state backend (LMDB, incremental checkpoints): SIGKILL after each new checkpoint, rerun
 * with the same command, and compare the committed output with a brute-force reference.
 */

// Inputs large enough that every run outlasts a checkpoint and a kill (sessions is the faster job).
const cases = [
  { example: 'examples/sessions.ts', reference: sessionsReference, seed: 11, events: 300_000 },
  { example: 'examples/window-counts.ts', reference: windowCountsReference, seed: 12, events: 80_000 },
];

for (const c of cases) {
  test(`${c.example} with --state-backend disk survives kills at parallelism 2`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-crash-disk-'));
    const events = makeEvents(c.events, 40, c.seed);
    const input = join(dir, 'events.jsonl');
    writeEvents(input, events);
    const out = join(dir, 'out');
    const ck = join(dir, 'ck');
    const args = [
      'run',
      c.example,
      '-p',
      '2',
      '--state-backend',
      'disk',
      '--state-dir',
      join(dir, 'state'),
      '--checkpoint-dir',
      ck,
      '--checkpoint-interval',
      '100',
      '-v',
      '--',
      '--input',
      input,
      '--output',
      out,
    ];
    const random = seededRandom(c.seed);
    let kills = 0;
    for (let attempt = 0; attempt < 40; attempt++) {
      const run = new SluiceProcess(args);
      if (kills < 4) {
        // Let this run complete one checkpoint of its own (progress), then kill it a little later.
        const progressed = await run.waitUntil(() => run.completedCheckpoints().length >= 1, 60_000);
        if (progressed && run.exit === undefined) {
          await sleep(Math.floor(random() * 150));
          if (run.exit === undefined) {
            await run.kill();
            kills++;
            continue;
          }
        }
      }
      const exit = await run.exited;
      if (exit.code === 0) {
        if (kills > 0) assert.match(exit.stderr, /restoring from checkpoint \d+/, describeExit(exit));
        break;
      }
      assert.equal(exit.signal, null, describeExit(exit));
      assert.fail(`run failed: ${describeExit(exit)}`);
    }
    assert.ok(kills >= 1, 'the job finished before any kill: make the input larger');
    assert.deepEqual(committedLines(out), c.reference(events).sort());
    assert.deepEqual(hiddenFiles(out), []);
  });
}
