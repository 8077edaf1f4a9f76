import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { JobMonitor, RestartStrategies, runJob, StreamExecutionEnvironment } from '../src/index.js';
import { jobResource } from '../src/runtime/monitor/job-documents.js';

/** The live job model: record counts against the input, statuses, exceptions, logs, in Flink's shapes. */

const job = new URL('./fixtures/metrics-job.ts', import.meta.url).pathname;

type Vertex = { id: string; name: string; status: string; metrics: Record<string, number> };

for (const parallelism of [1, 2]) {
  test(`per-vertex record counts equal the input at parallelism ${parallelism}`, async () => {
    const records = 5000;
    const monitor = new JobMonitor({ name: 'metrics-job', config: { parallelism } });
    const result = await runJob(job, { args: [String(records)], config: { parallelism }, observer: monitor });
    assert.equal(result.sinkRecords, records);
    assert.equal(monitor.state, 'FINISHED');
    assert.match(monitor.jobId, /^[0-9a-f]{32}$/);
    const details = jobResource(monitor, '', {}) as { vertices: Vertex[]; plan: { nodes: unknown[] }; state: string };
    assert.equal(details.state, 'FINISHED');
    // Brute force: the source emits every number once; the keyed map gets and emits each; the sink gets each.
    const [source, mapSink] = details.vertices as [Vertex, Vertex];
    assert.equal(details.vertices.length, 2);
    assert.match(source.name, /generator/);
    assert.match(mapSink.name, /double -> sink/);
    assert.equal(source.metrics['read-records'], 0, 'sources receive nothing (as in Flink)');
    assert.equal(source.metrics['write-records'], records);
    assert.equal(mapSink.metrics['read-records'], records);
    assert.equal(mapSink.metrics['write-records'], 0, 'a chain ending in a sink emits nothing');
    for (const v of details.vertices) assert.equal(v.status, 'FINISHED');
    const plan = details.plan as { nodes: { id: string; inputs?: { id: string; ship_strategy: string }[] }[] };
    assert.deepEqual(
      plan.nodes[1]!.inputs!.map((i) => [i.id, i.ship_strategy]),
      [['0', 'HASH']],
    );
    const vertex = jobResource(monitor, '/vertices/1', {}) as {
      subtasks: { status: string; metrics: Record<string, number> }[];
    };
    assert.equal(vertex.subtasks.length, parallelism);
    const perSubtask = vertex.subtasks.map((s) => s.metrics['read-records']!);
    assert.equal(
      perSubtask.reduce((a, b) => a + b, 0),
      records,
    );
    const agg = jobResource(monitor, '/vertices/1/subtasks/metrics', { get: 'numRecordsIn,numRecordsOut' }) as {
      id: string;
      sum: number;
      min: number;
    }[];
    assert.equal(agg.find((a) => a.id === 'numRecordsIn')!.sum, records);
    // The generator's watermarks: the final one reaches the keyed vertex.
    const wms = jobResource(monitor, '/vertices/1/watermarks', {}) as { id: string; value: string }[];
    assert.deepEqual(
      wms.map((w) => w.id),
      Array.from({ length: parallelism }, (_, i) => `${i}.currentInputWatermark`),
    );
    assert.equal(jobResource(monitor, '/vertices/9', {}), undefined);
  });
}

test('a slow sink shows as back-pressure upstream', async () => {
  const monitor = new JobMonitor({ name: 'slow' });
  await runJob(job, {
    args: ['20000', 'slow'],
    config: { parallelism: 2, batchSize: 64, channelCredits: 1 },
    observer: monitor,
  });
  const source = (monitor.subtasks[0] ?? []).map((s) => s.latest!);
  const pressured = source.reduce((n, p) => n + p.accumulatedBackPressuredTimeMs, 0);
  assert.ok(pressured > 0, `back-pressured time of the source: ${pressured} ms`);
  const sinkBusy = (monitor.subtasks[1] ?? []).reduce((n, s) => n + s.latest!.accumulatedBusyTimeMs, 0);
  assert.ok(sinkBusy > 0, 'the slow sink is busy');
  const bp = jobResource(monitor, '/vertices/0/backpressure', {}) as { subtasks: { 'backpressure-level': string }[] };
  assert.equal(bp.subtasks.length, 2);
  for (const s of bp.subtasks) assert.ok(['ok', 'low', 'high'].includes(s['backpressure-level']));
});

test('a failing function is named in the exceptions, with the record; user logs reach the log file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-monitor-'));
  const file = join(dir, 'logs.jsonl');
  const monitor = new JobMonitor({ name: 'failing' });
  await assert.rejects(
    runJob(job, {
      args: ['100', 'fail'],
      config: { parallelism: 2 },
      observer: monitor,
      logs: { jobId: monitor.jobId, jobName: 'failing', file },
    }),
    /five is not allowed/,
  );
  assert.equal(monitor.state, 'FAILED');
  const ex = jobResource(monitor, '/exceptions', {}) as {
    'root-exception': string;
    exceptionHistory: { entries: { exceptionName: string; operator: string; record: string; taskName: string }[] };
  };
  assert.match(ex['root-exception'], /five is not allowed/);
  const entry = ex.exceptionHistory.entries[0]!;
  assert.equal(entry.exceptionName, 'UserFunctionError');
  assert.equal(entry.operator, 'double');
  assert.equal(entry.record, '5');
  assert.match(entry.taskName, /double/);
  const lines = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const opened = lines.filter((l) => l.msg === 'opened');
  assert.deepEqual(opened.map((l) => l.subtask).sort(), [0, 1], 'both subtasks of the map logged, from two threads');
  for (const l of opened) {
    assert.equal(l.jobId, monitor.jobId);
    assert.match(String(l.vertex), /double/);
    assert.equal(l.operator, 'double');
    assert.equal(l.level, 30);
    assert.equal(typeof l.time, 'number');
  }
});

test('after a restart the monitor counts restarts, keeps the failure, and adds counts over attempts', async () => {
  const env = StreamExecutionEnvironment.create({ batchSize: 100 });
  env.setRestartStrategy(RestartStrategies.fixedDelay(2, 1));
  let failed = false;
  const records = 1000;
  env
    .fromCollection(Array.from({ length: records }, (_, i) => i))
    .rebalance()
    .map((n) => {
      if (n === 500 && !failed) {
        failed = true;
        throw new Error('passing trouble');
      }
      return n;
    })
    .name('flaky')
    .discard();
  const monitor = new JobMonitor({ name: 'restarting' });
  const lines: string[] = [];
  const result = await env.execute('restarting', { observer: monitor, log: (l) => lines.push(l) });
  assert.equal(monitor.state, 'FINISHED');
  assert.equal(monitor.restarts, 1);
  assert.ok(monitor.timestamps.RESTARTING !== undefined);
  const metrics = jobResource(monitor, '/metrics', { get: 'numRestarts' }) as { value: string }[];
  assert.equal(metrics[0]!.value, '1');
  const ex = jobResource(monitor, '/exceptions', {}) as { exceptionHistory: { entries: { operator: string }[] } };
  assert.deepEqual(
    ex.exceptionHistory.entries.map((e) => e.operator),
    ['flaky'],
  );
  // Brute force: the source's records out over both attempts are what the runner counted over both attempts.
  const details = jobResource(monitor, '', {}) as { vertices: Vertex[] };
  assert.equal(details.vertices[0]!.metrics['write-records'], result.sourceRecords);
  assert.ok(result.sourceRecords > records, 'the first attempt read part of the input before it failed');
});
