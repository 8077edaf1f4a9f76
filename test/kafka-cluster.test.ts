import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
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

function clusterArgs(jobId: string, stateDir: string, input: string, output: string): string[] {
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
    '--',
    '--brokers',
    brokers,
    '--input-topic',
    input,
    '--output-topic',
    output,
    '--bounded',
  ];
}

/** Task checkpoints completed so far, over all tasks of the job. */
function completedCheckpoints(stateDir: string): number {
  if (!existsSync(stateDir)) return 0;
  let n = 0;
  for (const task of readdirSync(stateDir)) {
    const d = join(stateDir, task);
    if (!/^s\d+t\d+$/.test(task)) continue;
    n += readdirSync(d).filter((f) => /^chk-\d+$/.test(f) && existsSync(join(d, f, '_metadata'))).length;
  }
  return n;
}

test('three processes run kafka-window-counts together; one is SIGKILLed and restarted; output = reference', {
  skip,
  timeout: 240_000,
}, async () => {
  const random = seededRandom(seed);
  const events = makeEvents(60_000, 50, seed);
  const input = await createTopic(6, 'cluster-in');
  const output = await createTopic(3, 'cluster-out');
  await produceWithKcat(input, 6, events);
  const stateDir = join(dir, 'state');
  const jobId = `counts-${seed}`;
  // A slow tap keeps the job running long enough to kill a process in the middle of it.
  const args = clusterArgs(jobId, stateDir, input, output);
  const processes = [0, 1, 2].map(() => new SluiceProcess(args, Number(process.env.SLUICE_CLUSTER_LIMIT ?? 200_000)));
  const victim = processes[Math.floor(random() * 3)]!;
  const killAfter = 2 + Math.floor(random() * 6);
  const hit = await victim.waitUntil(
    () => completedCheckpoints(stateDir) >= killAfter && /runs s\d+t\d+/.test(victim.stderr),
    120_000,
  );
  assert.ok(
    hit,
    `no checkpoint before the kill\n${describeExit(victim.exit ?? { code: null, signal: null, stdout: '', stderr: victim.stderr })}`,
  );
  victim.child.kill('SIGKILL');
  await victim.exited;
  const restarted = new SluiceProcess(args, Number(process.env.SLUICE_CLUSTER_LIMIT ?? 200_000));
  const exits = await Promise.all([...processes.filter((p) => p !== victim), restarted].map((p) => p.exited));
  for (const e of exits) assert.equal(e.code, 0, describeExit(e));
  const all = exits.map((e) => e.stderr).join('\n');
  if (process.env.SLUICE_TEST_VERBOSE)
    console.log(victim.stderr, '\n=====\n', exits.map((e) => e.stderr).join('\n=====\n'));
  assert.match(all, /restoring from checkpoint \d+/, 'some task moved and restored');
  assert.deepEqual(canonicalRows(await readCommitted(output)), windowCountsReference(events));
});
