import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FAKE_SLUICE, type Service, serviceScratch, until, untilState } from './fixtures/web/serve-process.js';

/**
 * `sluice serve` end to end with a stand-in job command that speaks the child protocol (port file, job.json,
 * logs.jsonl): proxying to running jobs, documents of ended ones, logs, cancel, metrics, restart and resume.
 */

const scratch = serviceScratch('sluice-serve-');
const { dir, data } = scratch;
const jobFile = join(dir, 'job.ts');
writeFileSync(jobFile, '// the stand-in command does not read it\n');
const serve = (): Promise<Service> => scratch.serve(['--job-command', FAKE_SLUICE]);

test('running jobs are proxied, ended ones served from job.json; logs, cancel, metrics, restart and resume', async () => {
  let service = await serve();
  const release = (name: string) => writeFileSync(join(dir, name), '');

  // A job that finishes once released.
  const a = await service.api('POST', '/jobs', { file: jobFile, args: [join(dir, 'release-a')], parallelism: 2 });
  assert.equal(a.status, 200, a.text);
  const jidA = a.json.jobid as string;
  assert.match(jidA, /^[0-9a-f]{32}$/);
  const live = await until(async () => {
    const r = await service.api('GET', `/jobs/${jidA}`);
    return r.json?.live === true ? r.json : undefined;
  }, 'the child to answer');
  assert.deepEqual([live.jid, live.state, live.parallelism], [jidA, 'RUNNING', 2]);
  const metrics = await until(async () => {
    const r = await service.api('GET', '/metrics');
    return r.text.includes('sluice_records_out_total') ? r.text : undefined;
  }, 'child metrics');
  assert.match(metrics, /sluice_service_jobs\{state="RUNNING"\} 1/);
  assert.equal(metrics.match(/# TYPE sluice_records_out_total/g)?.length, 1);

  release('release-a');
  const doneA = await untilState(service, jidA, ['FINISHED']);
  assert.equal(doneA.name, 'job.ts');
  const details = (await service.api('GET', `/jobs/${jidA}`)).json;
  assert.deepEqual([details.jid, details.state, details.vertices[0].id], [jidA, 'FINISHED', 'v1']);
  assert.deepEqual((await service.api('GET', `/jobs/${jidA}/checkpoints`)).json, { counts: { completed: 3 } });
  const sub = await service.api('GET', `/jobs/${jidA}/vertices/v1/subtasks/metrics?get=numRecordsOut`);
  assert.deepEqual(sub.json, [{ id: 'numRecordsOut', min: 42, max: 42, avg: 42, sum: 42 }]);
  assert.equal((await service.api('GET', `/jobs/${jidA}/vertices/v9`)).status, 404);
  const logs = (await service.api('GET', `/jobs/${jidA}/logs`)).json;
  assert.deepEqual(
    logs.lines.map((l: { msg: string }) => l.msg),
    ['job started', 'released; ending'],
  );
  assert.deepEqual((await service.api('GET', `/jobs/${jidA}/logs?q=RELEASED`)).json.lines.length, 1);
  assert.equal((await service.api('GET', `/jobs/${jidA}/logs?offset=1&limit=1`)).json['next-offset'], 2);
  const meta = JSON.parse(readFileSync(join(data, 'jobs', jidA, 'meta.json'), 'utf8'));
  assert.deepEqual([meta.status, meta.exitCode, meta.request.parallelism], ['FINISHED', 0, 2]);

  // A job that fails, one cancelled, one with a checkpoint directory and one without left running.
  const b = (await service.api('POST', '/jobs', { file: jobFile, args: [join(dir, 'release-b'), '3'] })).json.jobid;
  const c = (await service.api('POST', '/jobs', { file: jobFile, args: [join(dir, 'never')] })).json.jobid;
  const ck = join(dir, 'ck');
  const d = (await service.api('POST', '/jobs', { file: jobFile, args: [join(dir, 'release-d')], checkpointDir: ck }))
    .json.jobid;
  const e = (await service.api('POST', '/jobs', { file: jobFile, args: [join(dir, 'never')] })).json.jobid;
  release('release-b');
  await untilState(service, b, ['FAILED']);
  const exceptions = (await service.api('GET', `/jobs/${b}/exceptions`)).json;
  assert.equal(exceptions['root-exception'], 'fake failure in function boom-fn');
  await until(async () => ((await service.api('GET', `/jobs/${c}`)).json?.live ? true : undefined), 'job c');
  assert.equal((await service.api('PATCH', `/jobs/${c}?mode=cancel`, {})).status, 202);
  await untilState(service, c, ['CANCELED']);
  assert.equal((await service.api('PATCH', `/jobs/${c}?mode=cancel`, {})).status, 409);
  assert.equal((await service.api('PATCH', '/jobs/ffff?mode=cancel', {})).status, 404);
  assert.equal((await service.api('POST', `/jobs/${e}/savepoints`, {})).status, 409);
  await until(async () => ((await service.api('GET', `/jobs/${d}`)).json?.live ? true : undefined), 'job d');

  // The service dies (kill -9): its history stays; d resumes (its old process ended first), e is marked failed.
  await service.stop('SIGKILL');
  service = await serve();
  const overview = (await service.api('GET', '/jobs/overview')).json.jobs as { jid: string; state: string }[];
  const state = Object.fromEntries(overview.map((j) => [j.jid, j.state]));
  assert.deepEqual(
    [state[jidA], state[b], state[c], state[d], state[e]],
    ['FINISHED', 'FAILED', 'CANCELED', 'RUNNING', 'FAILED'],
  );
  assert.match(
    JSON.parse(readFileSync(join(data, 'jobs', e, 'meta.json'), 'utf8')).reason,
    /no checkpointDir to resume/,
  );
  assert.equal(JSON.parse(readFileSync(join(data, 'jobs', d, 'meta.json'), 'utf8')).runs, 2);
  assert.equal((await service.api('GET', `/jobs/${jidA}/logs`)).json.lines.length, 2);
  release('release-d');
  await untilState(service, d, ['FINISHED']);
  assert.equal((await service.api('GET', '/overview')).json['jobs-finished'], 2);
});
