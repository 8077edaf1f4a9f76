import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { jobSpec, loadJobPlan } from '../src/api/load-job.js';
import { runPlan } from '../src/runtime/job-runner.js';
import { WorkerHost } from '../src/runtime/worker-host.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const windowJob = join(root, 'test/fixtures/window-job.ts');
const throwingJob = join(root, 'test/fixtures/throwing-job.ts');

/** Brute force of test/fixtures/window-job.ts: count and sum per user and 60 s window. */
function expected(count: number): string[] {
  const acc = new Map<string, { c: number; s: number }>();
  for (let i = 0; i < count; i++) {
    const ts = i * 100 + ((i * 7919) % 50) * 10;
    const key = `u${i % 13}@${Math.floor(ts / 60000)}`;
    const a = acc.get(key) ?? { c: 0, s: 0 };
    a.c++;
    a.s += i % 10;
    acc.set(key, a);
  }
  return [...acc.values()].map((a) => `${a.c}/${a.s}`).sort();
}

const rows = (collected: Record<string, unknown[]>) =>
  (collected.out ?? []).map((r) => `${(r as { c: number }).c}/${(r as { s: number }).s}`).sort();

const host = new WorkerHost(2);
after(() => host.close());

test('runs on a worker host: several runs at once share its threads and each gets its own result', async () => {
  const counts = [3000, 5000, 7000, 9000, 11000];
  const results = await Promise.all(
    counts.map(async (n) => {
      const spec = jobSpec(windowJob, [String(n)], {});
      return runPlan(await loadJobPlan(spec), { threads: 1, spec, workerHost: host, log: () => {} });
    }),
  );
  results.forEach((r, i) => {
    assert.deepEqual(rows(r.collected), expected(counts[i]!));
    assert.equal(r.sourceRecords, counts[i]);
  });
  assert.deepEqual(host.load(), [0, 0], 'every session ended');
});

test('a run of several threads on a worker host exchanges records between its sessions', async () => {
  const spec = jobSpec(windowJob, ['20000'], { parallelism: 3 });
  const result = await runPlan(await loadJobPlan(spec), { threads: 3, spec, workerHost: host, log: () => {} });
  assert.deepEqual(rows(result.collected), expected(20000));
  assert.deepEqual(host.load(), [0, 0]);
});

test('a failing run on a worker host fails with its error and leaves the host usable', async () => {
  const spec = jobSpec(throwingJob, [], {});
  await assert.rejects(
    runPlan(await loadJobPlan(spec), {
      threads: 1,
      spec,
      workerHost: host,
      restartStrategy: { type: 'none' },
      log: () => {},
    }),
    /cannot handle id 3/,
  );
  assert.deepEqual(host.load(), [0, 0]);
  const again = jobSpec(windowJob, ['2000'], {});
  const result = await runPlan(await loadJobPlan(again), { threads: 1, spec: again, workerHost: host, log: () => {} });
  assert.deepEqual(rows(result.collected), expected(2000));
});

test('a cancelled run on a worker host ends its sessions', async () => {
  const spec = jobSpec(windowJob, ['100000000'], {});
  const controller = new AbortController();
  const run = runPlan(await loadJobPlan(spec), {
    threads: 2,
    spec,
    workerHost: host,
    signal: controller.signal,
    onProgress: (p) => {
      if (p.sourceRecords > 0) controller.abort();
    },
    log: () => {},
  });
  const result = await run;
  assert.equal(result.cancelled, true);
  assert.deepEqual(host.load(), [0, 0]);
});
