/**
 * An autoscaled job submitted to `sluice serve`: the submission's `autoscale*` options reach the job process, the
 * job rescales itself, its decisions are answered over REST after it ended (from its job.json), and the output holds
 * every record exactly once.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { committedLines } from './fixtures/ckpt-support.js';
import { serviceScratch, untilState } from './fixtures/web/serve-process.js';

const root = new URL('..', import.meta.url).pathname;
const { dir, serve } = serviceScratch('sluice-serve-autoscale-');

test('a job submitted with autoscale options rescales itself and reports its decisions over REST', async () => {
  const service = await serve();
  const count = 5000;
  const out = join(dir, 'out');
  const submitted = await service.api('POST', '/jobs', {
    file: join(root, 'test/fixtures/autoscale-job.ts'),
    args: ['500', String(count), '4', out],
    autoscale: true,
    autoscaleWindow: 1000,
    autoscaleStabilization: 500,
  });
  assert.equal(submitted.status, 200, submitted.text);
  const jid = submitted.json.jobid as string;
  await untilState(service, jid, ['FINISHED', 'FAILED']);
  const doc = (await service.api('GET', `/jobs/${jid}/autoscaler`)).json as {
    enabled: boolean;
    rescales: number;
    decisions: { action: string; summary: string }[];
  };
  assert.equal((await service.api('GET', `/jobs/${jid}`)).json.state, 'FINISHED');
  assert.equal(doc.enabled, true);
  assert.ok(doc.rescales >= 1, JSON.stringify(doc));
  assert.ok(
    doc.decisions.some((d) => d.action === 'rescale' && /slow/.test(d.summary)),
    JSON.stringify(doc.decisions.map((d) => d.summary)),
  );
  const lines: string[] = [];
  for (let i = 0; i < count; i++) lines.push(`${1 + (i % 97)},${i}`);
  assert.deepEqual(committedLines(out), lines.sort());
});
