import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { createRestServer, type RestServer } from '../src/web/rest-server.js';
import { MemoryBackend } from './fixtures/web/memory-backend.js';

/** Every refusal of the REST server's security rules, each next to the same request allowed. */

const TOKEN = 's3cret-token';
let server: RestServer;
const backend = new MemoryBackend();

before(async () => {
  server = await createRestServer(backend, {
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    allowedOrigins: ['http://localhost:5173'],
    bodyLimit: 4096,
  });
});
after(() => server.close());

/** A raw request (node:http, so Host and Origin can be set freely). */
function send(method: string, path: string, headers: Record<string, string>, body?: string) {
  return new Promise<{ status: number; body: string; headers: Record<string, unknown> }>((resolve, reject) => {
    const req = request(`${server.url}${path}`, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: text, headers: res.headers }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const auth = { authorization: `Bearer ${TOKEN}` };
const json = { 'content-type': 'application/json' };

test('a non-loopback bind without a token is refused before binding', async () => {
  await assert.rejects(createRestServer(backend, { host: '0.0.0.0', port: 0 }), /binding 0\.0\.0\.0 needs a token/);
  const s = await createRestServer(backend, { host: '0.0.0.0', port: 0, token: 't' });
  await s.close();
});

test('API requests without the token, or with a wrong one, get 401; static assets need none', async () => {
  const none = await send('GET', '/jobs/overview', {});
  assert.equal(none.status, 401);
  assert.deepEqual(JSON.parse(none.body), { errors: ['Authorization: Bearer <token> required'] });
  assert.equal(none.headers['www-authenticate'], 'Bearer realm="sluice"');
  assert.equal((await send('GET', '/jobs/overview', { authorization: 'Bearer wrong' })).status, 401);
  assert.equal((await send('GET', '/jobs/overview', { authorization: `Bearer ${TOKEN}x` })).status, 401);
  assert.equal((await send('GET', '/metrics', { authorization: `Basic ${TOKEN}` })).status, 401);
  assert.equal((await send('GET', '/openapi.json', {})).status, 401);
  assert.equal((await send('POST', '/jobs', json, '{"file":"a.ts"}')).status, 401);
  assert.equal((await send('GET', '/jobs/overview', auth)).status, 200);
  // No static directory: 404, but not 401 — the dashboard's files are public.
  assert.equal((await send('GET', '/index.html', {})).status, 404);
});

test('cross-origin mutations are refused with 403; own and allowed origins pass', async () => {
  const body = '{"file":"a.ts"}';
  const evil = await send('POST', '/jobs', { ...auth, ...json, origin: 'http://evil.example' }, body);
  assert.equal(evil.status, 403);
  assert.match(JSON.parse(evil.body).errors[0], /cross-origin POST from 'http:\/\/evil.example' refused/);
  assert.equal((await send('PATCH', '/jobs/j1?mode=cancel', { ...auth, ...json, origin: 'null' }, '')).status, 403);
  const port = new URL(server.url).port;
  assert.equal(
    (await send('POST', '/jobs', { ...auth, ...json, origin: `http://localhost:${port}` }, body)).status,
    200,
  );
  assert.equal((await send('POST', '/jobs', { ...auth, ...json, origin: 'http://localhost:5173' }, body)).status, 200);
  assert.equal((await send('POST', '/jobs', { ...auth, ...json }, body)).status, 200);
  assert.equal((await send('POST', '/jobs', { ...auth, ...json, origin: 'http://localhost:1' }, body)).status, 403);
});

test('mutations need Content-Type: application/json (415)', async () => {
  const form = await send(
    'POST',
    '/jobs',
    { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
    'file=a.ts',
  );
  assert.equal(form.status, 415);
  assert.equal((await send('POST', '/jobs', { ...auth, 'content-type': 'text/plain' }, '{"file":"a.ts"}')).status, 415);
  assert.equal((await send('PATCH', '/jobs/j1?mode=cancel', auth)).status, 415);
  assert.equal((await send('PATCH', '/jobs/j1?mode=cancel', { ...auth, ...json })).status, 202);
});

test('bodies over the limit get 413 (SQL text counts)', async () => {
  const big = JSON.stringify({ sql: `SELECT '${'x'.repeat(5000)}'` });
  const r = await send('POST', '/jobs', { ...auth, ...json }, big);
  assert.equal(r.status, 413);
  assert.deepEqual(JSON.parse(r.body), { errors: ['request body too large'] });
});

test('a loopback server refuses foreign Host names (DNS rebinding)', async () => {
  const r = await send('GET', '/jobs/overview', { ...auth, host: 'evil.example:8081' });
  assert.equal(r.status, 403);
  assert.equal((await send('GET', '/jobs/overview', { ...auth, host: 'localhost:9999' })).status, 200);
});
