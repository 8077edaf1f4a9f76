import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  describeExit,
  makeEvents,
  SluiceProcess,
  seededRandom,
  windowCountsReference,
} from './fixtures/ckpt-support.js';
import {
  brokers,
  canonicalRows,
  createTopic,
  kafkaSkip,
  produceEvents,
  produceWithKcat,
  readCommitted,
} from './fixtures/kafka-support.js';

/**
 * Cluster mode against a real broker: examples/kafka-window-counts.ts started as three processes with the same
 * --cluster and --job-id over a 6-partition topic. The group spreads the tasks (6 reading the topic, 6 after the
 * keyBy), the keyBy travels through a repartition topic, and one process is SIGKILLed while it runs tasks and
 * started again: the read_committed output equals the brute-force reference, every row exactly once.
 */

const skip = await kafkaSkip();
const dir = mkdtempSync(join(tmpdir(), 'sluice-cluster-test-'));
const seed = Number(process.env.SLUICE_CRASH_SEED ?? 91);

function clusterArgs(
  jobId: string,
  stateDir: string,
  input: string,
  output: string,
  jobArgs: readonly string[] = ['--bounded'],
): string[] {
  return [
    'run',
    'examples/kafka-window-counts.ts',
    '--cluster',
    `kafka://${brokers}`,
    '--job-id',
    jobId,
    '--checkpoint-dir',
    stateDir,
    '--session-timeout',
    '6000',
    '-v',
    '--',
    '--brokers',
    brokers,
    '--input-topic',
    input,
    '--output-topic',
    output,
    ...jobArgs,
  ];
}

/** Checkpoints the tasks of this process have completed (it runs with -v). */
const ownCheckpoints = (p: SluiceProcess) => (p.stderr.match(/^s\d+t\d+: checkpoint \d+/gm) ?? []).length;

/**
 * Tasks this process ran when it was killed that have a completed checkpoint and had not finished: whoever takes
 * them over must restore them.
 */
function checkpointedUnfinished(p: SluiceProcess): string[] {
  const generations = [...p.stderr.matchAll(/generation \d+: this process runs (.*)$/gm)];
  const last = generations.at(-1)?.[1] ?? '';
  const owned = new Set(last.split(', ').filter((t) => /^s\d+t\d+$/.test(t)));
  const tasks = new Set([...p.stderr.matchAll(/^(s\d+t\d+): checkpoint \d+/gm)].map((m) => m[1]!));
  for (const m of p.stderr.matchAll(/^(s\d+t\d+): finished/gm)) tasks.delete(m[1]!);
  return [...tasks].filter((t) => owned.has(t));
}

test('three processes run kafka-window-counts together; one is SIGKILLed and restarted; output = reference', {
  skip,
  timeout: 240_000,
}, async () => {
  const random = seededRandom(seed);
  const events = makeEvents(150_000, 50, seed);
  const input = await createTopic(6, 'cluster-in');
  const output = await createTopic(3, 'cluster-out');
  await produceWithKcat(input, 6, events);
  const stateDir = join(dir, 'state');
  const jobId = `counts-${seed}`;
  // A slow tap keeps the job running long enough to kill a process in the middle of it.
  const args = clusterArgs(jobId, stateDir, input, output);
  // Tasks on the main thread (--threads 0), on one worker thread, and on the default (one per core): all must agree.
  const threads = (n: number | undefined) =>
    n === undefined ? args : [...args.slice(0, 2), '--threads', String(n), ...args.slice(2)];
  const processes = [0, 1, undefined].map(
    (n) => new SluiceProcess(threads(n), Number(process.env.SLUICE_CLUSTER_LIMIT ?? 200_000)),
  );
  const victim = processes[Math.floor(random() * 3)]!;
  const killAfter = 1 + Math.floor(random() * 4);
  const hit = await victim.waitUntil(() => ownCheckpoints(victim) >= killAfter, 120_000);
  assert.ok(
    hit,
    `no checkpoint before the kill\n${describeExit(victim.exit ?? { code: null, signal: null, stdout: '', stderr: victim.stderr })}`,
  );
  victim.child.kill('SIGKILL');
  await victim.exited;
  const moved = checkpointedUnfinished(victim);
  const restarted = new SluiceProcess(args, Number(process.env.SLUICE_CLUSTER_LIMIT ?? 200_000));
  const exits = await Promise.all([...processes.filter((p) => p !== victim), restarted].map((p) => p.exited));
  for (const e of exits) assert.equal(e.code, 0, describeExit(e));
  const all = exits.map((e) => e.stderr).join('\n');
  for (const task of moved) {
    assert.match(all, new RegExp(`^${task}: restoring from checkpoint \\d+`, 'm'), `killed:\n${victim.stderr}`);
  }
  assert.deepEqual(canonicalRows(await readCommitted(output)), windowCountsReference(events));
});

test('unbounded: an idle partition holds back no window across the repartition topic; a killed process is replaced by the survivor', {
  skip,
  timeout: 240_000,
}, async () => {
  // Partitions 0 and 1 get the events, partition 2 none; a last event far ahead in each of 0 and 1 moves their
  // watermarks past every window of the events (its own window never closes, and is left out of the reference).
  const events = makeEvents(20_000, 30, seed + 1);
  const input = await createTopic(3, 'cluster-idle-in');
  const output = await createTopic(2, 'cluster-idle-out');
  const last = events.reduce((m, e) => Math.max(m, e.ts), 0);
  const flush = [0, 1].map((i) => ({ user: `flush-${i}`, ts: last + 600_000, amount: 1 }));
  await produceEvents(
    input,
    2,
    [...events, ...flush].map((e, index) => ({ e, index })),
  );
  const stateDir = join(dir, 'state-idle');
  const args = clusterArgs(`idle-${seed}`, stateDir, input, output, ['--idleness-ms', '2000']);
  const [a, b] = [0, 1].map(() => new SluiceProcess(args, 200_000));
  const expected = windowCountsReference(events);
  try {
    assert.ok(await b!.waitUntil(() => ownCheckpoints(b!) >= 2, 120_000), `no checkpoint\n${b!.stderr}`);
    b!.child.kill('SIGKILL');
    await b!.exited;
    const moved = checkpointedUnfinished(b!);
    // The survivor takes over the killed process's tasks after the session timeout (restoring each) and fires every
    // window (the killed process may have fired some or all of them already).
    assert.ok(moved.length > 0);
    const restored = (task: string) => new RegExp(`^${task}: restoring from checkpoint \\d+`, 'm').test(a!.stderr);
    assert.ok(await a!.waitUntil(() => moved.every(restored), 60_000), `moved ${moved}:\n${a!.stderr}`);
    const deadline = Date.now() + 120_000;
    let rows: string[] = [];
    while (Date.now() < deadline) {
      rows = canonicalRows(await readCommitted(output));
      if (rows.length >= expected.length) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    assert.deepEqual(rows, expected, a!.stderr);
  } finally {
    a!.child.kill('SIGTERM');
  }
  const e = await a!.exited;
  assert.equal(e.code, 130, describeExit(e));
  assert.match(e.stderr, /left the cluster job/);
});
