import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  committedLines,
  describeExit,
  hiddenFiles,
  notCovered,
  PART_FILE,
  ratedCheckpointCommand,
  ratedReference,
  SluiceProcess,
  sleep,
  waitForCheckpointInFlight,
} from './fixtures/ckpt-support.js';

/**
 * The exactly-once file sink as a reader of its output directory sees it: while a checkpointed job runs, the
 * directory is polled over and over. Every visible (non-hidden) file must be a complete, committed part file whose
 * content never changes once seen, the visible records only grow, and they are always part of the final result.
 * A SIGKILL and a restart must not change what was visible, and must clean up the hidden leftovers.
 */

const dir = mkdtempSync(join(tmpdir(), 'sluice-exactly-once-'));

/** What a reader has seen of the output directory so far; `poll` checks the invariants and throws on a violation. */
class Reader {
  readonly seen = new Map<string, string>();
  polls = 0;
  /** Distinct numbers of visible records observed (the output becoming visible step by step). */
  readonly visibleCounts = new Set<number>();
  hiddenSeen = 0;
  private visible = 0;

  constructor(
    private readonly out: string,
    private readonly reference: readonly string[],
  ) {}

  poll(): void {
    this.polls++;
    const names = existsSync(this.out) ? readdirSync(this.out) : [];
    for (const name of this.seen.keys()) {
      assert.ok(names.includes(name), `visible part file ${name} disappeared`);
    }
    const lines: string[] = [];
    for (const name of names) {
      if (name.startsWith('.')) {
        this.hiddenSeen++;
        continue;
      }
      assert.match(name, PART_FILE, `a visible file that is not a committed part file: ${name}`);
      const text = readFileSync(join(this.out, name), 'utf8');
      const before = this.seen.get(name);
      if (before !== undefined) {
        assert.equal(text, before, `visible part file ${name} changed after it was first seen`);
      } else {
        assert.ok(text === '' || text.endsWith('\n'), `visible part file ${name} is incomplete: ${text.slice(-80)}`);
        for (const line of text.split('\n').slice(0, -1)) {
          assert.doesNotThrow(() => JSON.parse(line), `visible part file ${name} has a line that is not JSON: ${line}`);
        }
        this.seen.set(name, text);
      }
      for (const l of text.split('\n')) if (l !== '') lines.push(l);
    }
    assert.ok(lines.length >= this.visible, `visible records went from ${this.visible} to ${lines.length}`);
    this.visible = lines.length;
    this.visibleCounts.add(lines.length);
    const extra = notCovered(lines, this.reference);
    assert.deepEqual(extra.slice(0, 5), [], `${extra.length} visible records are wrong or duplicates`);
  }

  /** Polls every ~15 ms until the process exits; rejects with the first violation. */
  async watch(p: SluiceProcess, until: () => boolean = () => false): Promise<void> {
    while (p.exit === undefined && !until()) {
      this.poll();
      await sleep(15);
    }
    this.poll();
  }
}

test('uncommitted output is never visible, across a SIGKILL and a restart', { timeout: 150_000 }, async (t) => {
  const count = 9000;
  const reference = ratedReference(count);
  const out = join(dir, 'out');
  const ck = join(dir, 'ck');
  // Every state in a file of its own, so that the sink's pre-commit shows as its state file (see the helper).
  const command = ratedCheckpointCommand(ck, out, count, 1500, ['--checkpoint-inline-bytes', '0']);
  const reader = new Reader(out, reference);

  // First run: watched until at least two part files are visible; then killed while a checkpoint is in flight with
  // the sink's output pre-committed (flushed, closed, still hidden) but the checkpoint not complete.
  const first = new SluiceProcess(command);
  let caught = false;
  try {
    await reader.watch(first, () => reader.seen.size >= 2);
    caught = await waitForCheckpointInFlight(ck, 30_000, () => first.exit !== undefined);
  } finally {
    await first.kill();
  }
  assert.ok(caught, `no checkpoint in flight was caught\n${describeExit(first.exit!)}`);
  assert.equal(
    first.exit!.signal,
    'SIGKILL',
    `the first run ended before it could be killed\n${describeExit(first.exit!)}`,
  );
  reader.poll();
  const visibleAtKill = new Map(reader.seen);
  const leftovers = hiddenFiles(out);
  t.diagnostic(
    `killed with ${visibleAtKill.size} visible part files; hidden leftovers: ${leftovers.join(', ') || '-'}`,
  );
  assert.ok(committedLines(out).length < reference.length, 'the first run was not killed before its end');

  // Second run: restores, and is watched to the end.
  const second = new SluiceProcess(command);
  try {
    await reader.watch(second);
  } finally {
    await second.kill();
  }
  const e = second.exit!;
  assert.equal(e.code, 0, describeExit(e));
  assert.match(e.stderr, /^restoring from checkpoint \d+ \(/m, describeExit(e));
  assert.doesNotMatch(e.stderr, /warning|error/, describeExit(e));
  for (const [name, text] of visibleAtKill) {
    assert.equal(readFileSync(join(out, name), 'utf8'), text, `${name}, visible before the kill, changed`);
  }
  assert.deepEqual(hiddenFiles(out), [], 'hidden in-progress files were left behind');
  assert.deepEqual(committedLines(out), reference, 'the final output differs from the reference');
  // The reader really saw the output grow in steps (the test would be vacuous if everything appeared at once).
  t.diagnostic(
    `${reader.polls} polls, ${reader.visibleCounts.size} distinct visible sizes, ${reader.seen.size} part files`,
  );
  assert.ok(reader.visibleCounts.size >= 4, `output became visible in only ${reader.visibleCounts.size} steps`);
  assert.ok(reader.hiddenSeen > 0, 'no hidden in-progress file was ever seen');
});
