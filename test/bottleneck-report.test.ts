import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runJob } from '../src/index.js';
import type { BottleneckReport } from '../src/runtime/analysis/bottleneck-report.js';
import { jobResource } from '../src/runtime/monitor/job-documents.js';
import { JobMonitor } from '../src/runtime/monitor/job-monitor.js';

/** Real jobs with a known bottleneck through the real engine: the report must name it. No timing thresholds. */

const root = new URL('..', import.meta.url).pathname;
const job = join(root, 'test/fixtures/bottleneck-job.ts');

async function analyse(scenario: string, parallelism: number, records: number, iterations: number, capacity = 500) {
  const reports: BottleneckReport[] = [];
  const result = await runJob(job, {
    args: [scenario, String(records), String(iterations), String(capacity)],
    config: { parallelism },
    analysis: { windowMs: 1000, onReport: (r) => reports.push(r) },
  });
  assert.equal(result.sinkRecords, records);
  const last = reports.at(-1)!;
  assert.ok(last.final, 'the run ends with a final report');
  return { reports, last };
}

for (const p of [1, 2]) {
  test(`a CPU-slow keyed map at parallelism ${p} is the bottleneck`, async () => {
    const { last } = await analyse('slow', p, 30_000, 3000);
    assert.match(last.bottleneck!.name, /slow-map/);
    assert.doesNotMatch(last.bottleneck!.reason, /hot key/, 'keys are spread evenly');
    // The chain slow-map -> discard: its step time is split per operator.
    assert.match(last.bottleneck!.reason, /mostly in slow-map/);
    const map = last.vertices.find((v) => v.name.includes('slow-map'))!;
    assert.ok(map.trueRate !== null && map.trueRate > 0);
  });
}

test('skewed keys (90% one key) at parallelism 2: the slow keyed map is named, with a hot key', async () => {
  const { reports, last } = await analyse('skew', 2, 30_000, 3000);
  assert.match(last.bottleneck!.name, /slow-map/);
  assert.match(last.bottleneck!.reason, /hot key: subtask \d carries \d+%/);
  for (const r of reports) if (r.bottleneck !== undefined) assert.match(r.bottleneck.name, /slow-map/);
});

test('an operator waiting on async calls looks busiest, but the CPU-bound map downstream is on the critical path', async () => {
  // One thread runs everything. `lookup` has up to 500 calls in flight to a fake service answering after a 20 ms
  // timer: it is "busy" (waiting on its calls) nearly all the time, so ranking by busy % names it. But its
  // capacity (500 per 20 ms) far exceeds what `cpu-map` (two subtasks sharing the one thread, each looking half
  // idle) gets through: the thread is almost never idle waiting for the service, it is running cpu-map, so cpu-map
  // bounds throughput and the critical path runs through it.
  const { reports, last } = await analyse('async', 1, 6000, 20_000);
  // Busy % over the whole run, weighted by window length: the final window is only the run's tail, where the
  // service has few calls left to wait on and the two operators' figures come close (either way round).
  const busy = new Map<string, number>();
  for (const r of reports) {
    for (const v of r.vertices) busy.set(v.name, (busy.get(v.name) ?? 0) + v.busyPct * (r.to - r.from));
  }
  const byBusy = [...busy].sort((a, b) => b[1] - a[1])[0]![0];
  assert.match(byBusy, /lookup/, 'ranking by busy % names the async operator');
  assert.match(last.bottleneck!.name, /cpu-map/);
  assert.doesNotMatch(last.bottleneck!.name, /lookup/);
});

test('an async operator with few calls in flight bounds the job: it is named, waiting on its calls', async () => {
  // 5 calls in flight, 20 ms each: at most 250 records/s, far below what cpu-map does with 2000 iterations.
  const { last } = await analyse('async', 1, 300, 2000, 5);
  assert.match(last.bottleneck!.name, /lookup/);
  assert.match(last.bottleneck!.reason, /waiting on its asynchronous calls \(lookup\)/);
});

test('sluice analyze prints a table and the bottleneck line; --json one report per line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-analyze-'));
  const file = join(dir, 'job.ts');
  writeFileSync(file, `export { default } from ${JSON.stringify(job)};\n`);
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [join(root, 'bin/sluice.mjs'), 'analyze', file, ...args], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    });
  const text = run('-p', '2', '--window', '1', '--', 'skew', '20000', '3000');
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /critical%/);
  assert.match(text.stdout, /\(end of run\)/);
  const lines = text.stdout.split('\n').filter((l) => l.startsWith('bottleneck: '));
  assert.ok(lines.length >= 1);
  assert.match(lines.at(-1)!, /^bottleneck: slow-map -> discard — .*hot key/);
  assert.match(text.stderr, /summary: records in 20000/);
  const json = run('--json', '--', 'slow', '5000', '3000');
  assert.equal(json.status, 0, json.stderr);
  const reports = json.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as BottleneckReport);
  assert.ok(reports.at(-1)!.final);
  assert.match(reports.at(-1)!.bottleneck!.name, /slow-map/);
  const bad = run('--window', '0', '--', 'slow', '10', '1');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--window/);
});

test('the latest report is the /jobs/:jid/critical-path document of the running job', async () => {
  const monitor = new JobMonitor({ name: 'analysed' });
  assert.deepEqual(jobResource(monitor, '/critical-path', {}), { report: null });
  const { last } = await analyse('slow', 1, 5000, 3000);
  monitor.onBottleneckReport(last);
  const doc = jobResource(monitor, '/critical-path', {}) as { report: BottleneckReport };
  assert.match(doc.report.bottleneck!.name, /slow-map/);
  assert.deepEqual(JSON.parse(JSON.stringify(doc)), doc, 'plain JSON');
});
