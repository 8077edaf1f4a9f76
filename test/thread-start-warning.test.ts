import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { jobSpec, loadJobPlan } from '../src/api/load-job.js';
import { runPlan } from '../src/runtime/job-runner.js';

const job = join(fileURLToPath(new URL('..', import.meta.url)), 'test/fixtures/slow-open-job.ts');

test('a thread that takes long to start is named in a warning, and the run still completes', async () => {
  const spec = jobSpec(job, ['1500'], { parallelism: 2 });
  const lines: string[] = [];
  const result = await runPlan(await loadJobPlan(spec), {
    threads: 2,
    spec,
    startWarningMs: 200,
    log: (line) => lines.push(line),
  });
  assert.equal(result.sinkRecords, 100);
  const warnings = lines.filter((l) => l.includes('not started after'));
  // The second thread runs the map's slow subtask; the first (this thread) may be named too on a busy machine.
  assert.ok(
    warnings.some((l) =>
      /^warning: threads? (1, )?2 of 2 not started after \d+(\.\d+)? s \(still loading the job, opening operators or restoring state\)$/.test(
        l,
      ),
    ),
    `no warning named thread 2: ${JSON.stringify(lines)}`,
  );
});
