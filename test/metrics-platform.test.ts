import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { JobMonitor, runJob } from '../src/index.js';
import { jobResource } from '../src/runtime/monitor/job-documents.js';
import { prometheusText } from '../src/web/prometheus-metrics.js';
import { SingleJobBackend } from '../src/web/single-job-backend.js';

/** What outlives a job (job.json, logs.jsonl), checkpoint history, and the Prometheus text. */

const root = new URL('..', import.meta.url).pathname;
const bin = join(root, 'bin/sluice.mjs');
const job = 'test/fixtures/metrics-job.ts';

function sluice(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

type JobJson = {
  overview: { jid: string; state: string; name: string };
  resources: {
    '': { state: string; vertices: { metrics: Record<string, number> }[] };
    '/exceptions': { exceptionHistory: { entries: { operator: string }[] } };
    '/config': { jid: string; 'execution-config': { 'job-parallelism': number } };
  };
};

test('--job-dir: job.json at the end says FINISHED with the record counts, logs.jsonl has every subtask', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-jobdir-'));
  const r = sluice('run', job, '-p', '2', '--job-dir', dir, '--', '3000');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /summary: records in 3000, records out 3000/, 'stderr as before');
  const doc = JSON.parse(readFileSync(join(dir, 'job.json'), 'utf8')) as JobJson;
  assert.equal(doc.overview.state, 'FINISHED');
  assert.equal(doc.overview.name, 'metrics-job');
  assert.match(doc.overview.jid, /^[0-9a-f]{32}$/);
  assert.equal(doc.resources['/config'].jid, doc.overview.jid);
  assert.equal(doc.resources['/config']['execution-config']['job-parallelism'], 2);
  assert.equal(doc.resources[''].vertices[0]!.metrics['write-records'], 3000);
  assert.equal(doc.resources[''].vertices[1]!.metrics['read-records'], 3000);
  const lines = readFileSync(join(dir, 'logs.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const first = lines.filter((l) => l.msg === 'first record');
  assert.deepEqual(first.map((l) => l.subtask).sort(), [0, 1]);
  for (const l of first) assert.equal(l.jobId, doc.overview.jid);
});

test('--job-dir: a failing job leaves job.json FAILED naming the function', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-jobdir-'));
  const r = sluice('run', job, '--job-dir', dir, '--', '100', 'fail');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /five is not allowed/);
  const doc = JSON.parse(readFileSync(join(dir, 'job.json'), 'utf8')) as JobJson;
  assert.equal(doc.overview.state, 'FAILED');
  assert.equal(doc.resources['/exceptions'].exceptionHistory.entries[0]!.operator, 'double');
});

test('a checkpointed run has a checkpoint history; the Prometheus text parses and has the counters', async () => {
  const ck = await mkdtemp(join(tmpdir(), 'sluice-ck-'));
  const monitor = new JobMonitor({ name: 'checkpointed' });
  const records = 2000;
  await runJob(job, {
    args: [String(records)],
    checkpointDir: ck,
    checkpointIntervalMs: 50,
    config: { parallelism: 1 },
    observer: monitor,
  });
  const cps = jobResource(monitor, '/checkpoints', {}) as {
    counts: { completed: number };
    latest: { completed: { status: string } };
    history: {
      id: number;
      status: string;
      trigger_timestamp: number;
      latest_ack_timestamp: number;
      state_size: number;
      end_to_end_duration: number;
    }[];
  };
  // At least the final checkpoint, which every checkpointed bounded run takes.
  assert.ok(cps.counts.completed >= 1);
  assert.equal(cps.latest.completed.status, 'COMPLETED');
  const done = cps.history.filter((h) => h.status === 'COMPLETED');
  assert.ok(done.length >= 1);
  for (const h of done) {
    assert.ok(h.latest_ack_timestamp >= h.trigger_timestamp);
    assert.ok(h.state_size > 0, 'checkpoints hold the source position at least');
    assert.equal(h.end_to_end_duration, h.latest_ack_timestamp - h.trigger_timestamp);
  }
  const metrics = jobResource(monitor, '/metrics', { get: 'numRestarts,lastCheckpointSize' }) as {
    id: string;
    value: string;
  }[];
  assert.equal(metrics.find((m) => m.id === 'numRestarts')!.value, '0');

  const text = await new SingleJobBackend(monitor).prometheus();
  assert.equal(text, await prometheusText([monitor]));
  // Parse the exposition format: comments, or `name{labels} value`.
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    assert.ok(m !== null, `not a sample line: ${line}`);
    const value = Number(m[3]);
    assert.ok(!Number.isNaN(value), line);
    samples.set(`${m[1]}${m[2] ?? ''}`, value);
  }
  const recordsIn = [...samples].filter(([k]) => k.startsWith('sluice_task_numRecordsIn_total{'));
  assert.equal(
    recordsIn.reduce((n, [, v]) => n + v, 0),
    records,
  );
  const label = recordsIn.find(([k]) => k.includes('double'))![0];
  assert.match(label, new RegExp(`job_id="${monitor.jobId}"`));
  assert.match(label, /subtask_index="0"/);
  assert.equal(samples.get(`sluice_job_state{job_id="${monitor.jobId}",job_name="checkpointed",state="FINISHED"}`), 1);
  assert.ok(
    (samples.get(`sluice_job_numberOfCompletedCheckpoints_total{job_id="${monitor.jobId}",job_name="checkpointed"}`) ??
      0) >= 1,
  );
});
