import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createRestServer, listenOnFreePort, type RestServer } from '../src/web/rest-server.js';
import { MemoryBackend } from './fixtures/web/memory-backend.js';

/** The REST routes over an in-memory backend: paths, status codes, Flink's error shape, OpenAPI, static files. */

const backend = new MemoryBackend();
const dist = mkdtempSync(join(tmpdir(), 'sluice-static-'));
writeFileSync(join(dist, 'index.html'), '<html>dashboard</html>');
mkdirSync(join(dist, 'assets'));
writeFileSync(join(dist, 'assets', 'app.js'), 'console.log(1)');
writeFileSync(join(tmpdir(), 'sluice-outside-secret.txt'), 'secret');
symlinkSync(join(tmpdir(), 'sluice-outside-secret.txt'), join(dist, 'assets', 'link.txt'));
let server: RestServer;

before(async () => {
  server = await createRestServer(backend, { host: '127.0.0.1', port: 0, staticDir: dist });
});
after(() => server.close());

async function call(method: string, path: string, body?: unknown) {
  const r = await fetch(server.url + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: r.status, text, json: json as Record<string, unknown>, type: r.headers.get('content-type') };
}

test('GET routes map to the backend with Flink paths', async () => {
  assert.equal((await call('GET', '/overview')).json['flink-version'], '0.1.0');
  assert.deepEqual((await call('GET', '/jobs/overview')).json, {
    jobs: [{ jid: 'j1', name: 'one', state: 'RUNNING' }],
  });
  assert.deepEqual((await call('GET', '/jobs')).json, { jobs: [{ id: 'j1', status: 'RUNNING' }] });
  assert.equal((await call('GET', '/jobs/j1')).json.name, 'one');
  assert.equal((await call('GET', '/jobs/j1/vertices/v1')).json.id, 'v1');
  assert.deepEqual((await call('GET', '/jobs/j1/checkpoints')).json, { counts: { completed: 2 } });
  assert.deepEqual((await call('GET', '/jobs/j1/autoscaler')).json, { enabled: false, rescales: 0, decisions: [] });
  await call('GET', '/jobs/j1/logs?offset=5&limit=2&q=boom');
  assert.deepEqual(backend.calls.at(-1), ['jobResource', 'j1', '/logs', { offset: '5', limit: '2', q: 'boom' }]);
  await call('GET', '/jobs/j1/vertices/v1/subtasks/metrics?get=numRecordsIn');
  assert.deepEqual(backend.calls.at(-1), [
    'jobResource',
    'j1',
    '/vertices/v1/subtasks/metrics',
    { get: 'numRecordsIn' },
  ]);
  const metrics = await call('GET', '/metrics');
  assert.equal(metrics.status, 200);
  assert.match(metrics.type ?? '', /^text\/plain/);
  assert.match(metrics.text, /sluice_up 1/);
});

test('missing jobs and routes answer 404 in Flink error shape', async () => {
  const r = await call('GET', '/jobs/nope');
  assert.equal(r.status, 404);
  assert.deepEqual(r.json, { errors: ['Job nope not found'] });
  assert.equal((await call('GET', '/jobs/j1/vertices/zz/watermarks')).status, 404);
  assert.deepEqual((await call('GET', '/jobs/nope/savepoints/r1')).status, 404);
  assert.equal((await call('DELETE', '/jobs/j1')).status, 415);
  assert.deepEqual((await call('POST', '/nothing', {})).json, { errors: ['Not found: POST /nothing'] });
});

test('mutations: submit, cancel, savepoint, stop, rescale', async () => {
  const submit = await call('POST', '/jobs', { file: 'job.ts', args: ['a'], parallelism: 2, checkpointDir: '/ck' });
  assert.deepEqual([submit.status, submit.json], [200, { jobid: 'j2' }]);
  assert.deepEqual(backend.calls.at(-1), [
    'submit',
    { file: 'job.ts', args: ['a'], parallelism: 2, checkpointDir: '/ck' },
  ]);
  const cancel = await call('PATCH', '/jobs/j1?mode=cancel', {});
  assert.equal(cancel.status, 202);
  assert.deepEqual(backend.calls.at(-1), ['cancel', 'j1']);
  const sp = await call('POST', '/jobs/j1/savepoints', { 'target-directory': '/sp', 'cancel-job': false });
  assert.deepEqual([sp.status, sp.json], [202, { 'request-id': 'r1' }]);
  assert.deepEqual((await call('GET', '/jobs/j1/savepoints/r1')).json, { status: { id: 'COMPLETED' } });
  assert.equal((await call('POST', '/jobs/j1/stop', { drain: false })).status, 202);
  const rescale = await call('PUT', '/jobs/j1/resource-requirements', { parallelism: 3 });
  assert.deepEqual([rescale.status, rescale.json], [405, { errors: ['this backend cannot rescale'] }]);
  const bad = await call('POST', '/jobs', { file: 'bad.ts' });
  assert.deepEqual([bad.status, bad.json], [400, { errors: ['bad job file'] }]);
});

test('invalid requests: unknown keys named, wrong types, file or sql, bad JSON, wrong cancel mode', async () => {
  const unknown = await call('POST', '/jobs', { file: 'a.ts', paralelism: 2, foo: 1 });
  assert.equal(unknown.status, 400);
  assert.deepEqual(unknown.json, { errors: ['unknown fields: paralelism, foo'] });
  const type = await call('POST', '/jobs', { file: 'a.ts', parallelism: 0 });
  assert.deepEqual([type.status, type.json], [400, { errors: ['body/parallelism must be >= 1'] }]);
  const neither = await call('POST', '/jobs', { args: [] });
  assert.deepEqual(neither.json, { errors: ["body needs exactly one of 'file' and 'sql'"] });
  assert.equal((await call('POST', '/jobs', { file: 'a.ts', sql: 'SELECT 1' })).status, 400);
  const mode = await call('PATCH', '/jobs/j1?mode=stop', {});
  assert.equal(mode.status, 400);
  const r = await fetch(`${server.url}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{nope',
  });
  assert.equal(r.status, 400);
  assert.match(((await r.json()) as { errors: string[] }).errors[0]!, /not JSON/);
});

test('openapi.json lists every route with the schemas that validate it', async () => {
  const doc = (await call('GET', '/openapi.json')).json as {
    openapi: string;
    paths: Record<
      string,
      Record<string, { requestBody?: { content: Record<string, { schema: { properties: object } }> } }>
    >;
  };
  assert.equal(doc.openapi, '3.1.0');
  for (const p of ['/jobs/overview', '/jobs/{jid}/vertices/{vid}/backpressure', '/jobs/{jid}/logs', '/metrics']) {
    assert.ok(doc.paths[p]?.get, p);
  }
  const submit = doc.paths['/jobs']!.post!.requestBody!.content['application/json']!.schema;
  assert.ok('maxParallelism' in submit.properties && 'restartStrategyFixedDelayAttempts' in submit.properties);
  assert.ok(doc.paths['/jobs/{jid}']!.patch && doc.paths['/jobs/{jid}/resource-requirements']!.put);
});

test('static files: assets, index.html for app routes, nothing outside the directory', async () => {
  assert.equal((await call('GET', '/')).text, '<html>dashboard</html>');
  assert.equal((await call('GET', '/job/abc/graph')).text, '<html>dashboard</html>');
  const js = await call('GET', '/assets/app.js');
  assert.deepEqual([js.text, js.type], ['console.log(1)', 'text/javascript; charset=utf-8']);
  assert.equal((await call('GET', '/assets/missing.js')).status, 404);
  assert.equal((await call('GET', '/assets/link.txt')).status, 404);
  assert.equal((await call('GET', '/..%2f..%2fetc%2fpasswd.txt')).status, 404);
});

test('listenOnFreePort takes the next port when one is taken', async () => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const taken = (blocker.address() as { port: number }).port;
  const s = await listenOnFreePort(taken, (port) => createRestServer(backend, { host: '127.0.0.1', port }));
  try {
    assert.ok(s.port > taken, `${s.port} > ${taken}`);
  } finally {
    await s.close();
    blocker.close();
  }
});
