import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type Service, serviceScratch, untilState } from './fixtures/web/serve-process.js';

/** `sluice serve` running real `sluice run` children: a bounded job that finishes, one that fails; logs after a restart. */

const root = new URL('..', import.meta.url).pathname;
const { dir, serve } = serviceScratch('sluice-serve-jobs-');

test('a bounded job finishes and a failing one fails, over REST; history and logs survive a restart', async () => {
  let service = await serve();
  const lines = Array.from({ length: 200 }, (_, i) => `line ${i}`);
  writeFileSync(join(dir, 'in.txt'), `${lines.join('\n')}\n`);
  const ok = await service.api('POST', '/jobs', {
    file: join(root, 'test/fixtures/copy-lines-job.ts'),
    args: [join(dir, 'in.txt'), join(dir, 'out')],
    parallelism: 2,
  });
  assert.equal(ok.status, 200, ok.text);
  const bad = await service.api('POST', '/jobs', { file: 'test/fixtures/throwing-job.ts' });
  assert.equal(bad.status, 200, bad.text);
  await untilState(service, ok.json.jobid, ['FINISHED', 'FAILED']);
  await untilState(service, bad.json.jobid, ['FINISHED', 'FAILED']);

  const done = (await service.api('GET', `/jobs/${ok.json.jobid}`)).json;
  assert.equal(done.state, 'FINISHED', JSON.stringify(done));
  const out = readFileSync(join(dir, 'out'), 'utf8').split('\n');
  assert.deepEqual(out.filter((l) => l !== '').sort(), lines.map((l) => l.toUpperCase()).sort());
  const config = (await service.api('GET', `/jobs/${ok.json.jobid}/config`)).json;
  assert.equal(config['execution-config']['job-parallelism'], 2);

  const failed = (await service.api('GET', `/jobs/${bad.json.jobid}`)).json;
  assert.equal(failed.state, 'FAILED');
  const exceptions = (await service.api('GET', `/jobs/${bad.json.jobid}/exceptions`)).json;
  assert.match(exceptions['root-exception'], /validate-ids/);
  assert.match(exceptions['root-exception'], /cannot handle id 3/);

  const stderrOf = async (s: Service, jid: string) =>
    ((await s.api('GET', `/jobs/${jid}/logs?source=stderr&limit=1000`)).json.lines as { msg: string }[]).map(
      (l) => l.msg,
    );
  assert.ok((await stderrOf(service, ok.json.jobid)).some((l) => l.startsWith('summary: records in 200')));

  await service.stop();
  service = await serve();
  const jobs = (await service.api('GET', '/jobs/overview')).json.jobs as { jid: string; state: string }[];
  assert.deepEqual(jobs.map((j) => j.state).sort(), ['FAILED', 'FINISHED']);
  assert.ok((await stderrOf(service, bad.json.jobid)).some((l) => /cannot handle id 3/.test(l)));
  assert.match((await service.api('GET', `/jobs/${bad.json.jobid}/exceptions`)).json['root-exception'], /validate-ids/);
});
