import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { StreamExecutionEnvironment } from '../src/index.js';
import { StatefulFunctions, statefun, value } from '../src/statefun/index.js';
import { SluiceProcess } from './fixtures/ckpt-support.js';
import { post, STATE_TOKEN, startApp } from './fixtures/statefun-support.js';

/**
 * Access to the state API (`GET`/`PUT /statefun/state/...`) over real HTTP against the ingress: absent unless a
 * token is configured, and then only for requests that carry it.
 */

const counter = statefun({
  type: 'test/counter',
  state: { n: value<number>() },
  handle(ctx) {
    const n = (ctx.state.n.get() ?? 0) + 1;
    ctx.state.n.set(n);
    ctx.reply({ n });
  },
});

const STATE_PATH = '/statefun/state/test/counter/a';

async function call(
  base: string,
  method: 'GET' | 'PUT',
  path: string,
  authorization?: string,
  body?: unknown,
): Promise<{ status: number; text: string; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (authorization !== undefined) headers.authorization = authorization;
  const r = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: r.status, text: await r.text(), headers: r.headers };
}

test('state API: without a token configured the endpoints do not exist (404), whatever the request carries', async () => {
  const app = await startApp((a) => a.register(counter), { http: { stateApi: undefined } });
  try {
    assert.deepEqual((await post(app.base, '/send/test/counter/a', {})).body, { n: 1 });
    for (const auth of [undefined, `Bearer ${STATE_TOKEN}`]) {
      const read = await call(app.base, 'GET', STATE_PATH, auth);
      assert.equal(read.status, 404, read.text);
      assert.deepEqual(JSON.parse(read.text), { error: 'no such route' });
      const write = await call(app.base, 'PUT', STATE_PATH, auth, { n: 100 });
      assert.equal(write.status, 404, write.text);
    }
    // Nothing was changed: the next invocation continues from 1.
    assert.deepEqual((await post(app.base, '/send/test/counter/a', {})).body, { n: 2 });
  } finally {
    await app.stop();
  }
});

test('state API with a token: 401 without it or with a wrong one, revealing nothing; served with the right one', async () => {
  const app = await startApp((a) => a.register(counter));
  try {
    await post(app.base, '/send/test/counter/a', {});
    const refusals = [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      'Bearer wrong',
      `Bearer ${STATE_TOKEN}x`,
      `Bearer ${STATE_TOKEN.slice(0, -1)}`,
      `Basic ${Buffer.from(`user:${STATE_TOKEN}`).toString('base64')}`,
      STATE_TOKEN,
    ];
    // The same answer for a valid path, an invalid one, an unknown type and a wrong method: nothing is revealed.
    const paths: ['GET' | 'PUT', string][] = [
      ['GET', STATE_PATH],
      ['PUT', STATE_PATH],
      ['GET', '/statefun/state/nonsense'],
      ['GET', '/statefun/state/test/none/a'],
    ];
    for (const auth of refusals) {
      for (const [method, path] of paths) {
        const r = await call(app.base, method, path, auth, method === 'PUT' ? { n: 100 } : undefined);
        assert.equal(r.status, 401, `${method} ${path} with ${JSON.stringify(auth)}: ${r.text}`);
        assert.deepEqual(JSON.parse(r.text), { error: 'unauthorized' });
        assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="statefun-state"');
      }
    }
    // Refused writes changed nothing.
    const read = await call(app.base, 'GET', STATE_PATH, `Bearer ${STATE_TOKEN}`);
    assert.equal(read.status, 200, read.text);
    assert.deepEqual((JSON.parse(read.text) as { state: unknown }).state, { n: 1 });
    const write = await call(app.base, 'PUT', STATE_PATH, `Bearer ${STATE_TOKEN}`, { n: 41 });
    assert.equal(write.status, 200, write.text);
    assert.deepEqual((JSON.parse(write.text) as { state: unknown }).state, { n: 41 });
    assert.deepEqual((await post(app.base, '/send/test/counter/a', {})).body, { n: 42 });
    // The scheme is case-insensitive, the token is not.
    assert.equal((await call(app.base, 'GET', STATE_PATH, `bearer ${STATE_TOKEN}`)).status, 200);
    assert.equal((await call(app.base, 'GET', STATE_PATH, `Bearer ${STATE_TOKEN.toUpperCase()}`)).status, 401);
    // Other routes need no token.
    assert.deepEqual((await post(app.base, '/send/test/counter/b', {})).body, { n: 1 });
  } finally {
    await app.stop();
  }
});

test('state API: a missing or short token is refused when the job is built, naming the option', () => {
  for (const stateApi of [{ token: '' }, { token: 'short' }, {}, true, null]) {
    const app = new StatefulFunctions(StreamExecutionEnvironment.create()).register(counter);
    app.http({ port: 0, routes: [], stateApi: stateApi as never });
    assert.throws(
      () => app.build(),
      /http\(\{ stateApi \}\) needs \{ token \} with a secret of at least 16 characters/,
      JSON.stringify(stateApi),
    );
  }
});

/** Runs the shop example (`sluice run examples/shop/app.ts`) with `env` added, until it listens; returns its URL. */
async function startShop(env: Record<string, string>): Promise<{ base: string; app: SluiceProcess }> {
  const ck = join(mkdtempSync(join(tmpdir(), 'statefun-shop-token-')), 'ck');
  const saved = { ...process.env };
  Object.assign(process.env, env);
  let app: SluiceProcess;
  try {
    // The child inherits this process's environment as it is when spawned.
    app = new SluiceProcess(['run', 'examples/shop/app.ts', '--checkpoint-dir', ck, '--', '--port', '0']);
  } finally {
    for (const k of Object.keys(env)) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
  const listening = /statefun: listening on http:\/\/[^:]+:(\d+)/;
  const up = await app.waitUntil(() => listening.test(app.stderr), 60_000);
  assert.ok(up, `the shop did not start:\n${app.stderr}`);
  return { base: `http://127.0.0.1:${listening.exec(app.stderr)![1]}`, app };
}

test('the shop example: state API off by default, on with STATEFUN_STATE_TOKEN and then only with that token', async () => {
  const off = await startShop({ STATEFUN_STATE_TOKEN: '' });
  try {
    assert.equal((await call(off.base, 'GET', '/statefun/state/shop/inventory/a')).status, 404);
  } finally {
    await off.app.kill();
  }
  const token = 'shop-example-token-with-24-chars';
  const on = await startShop({ STATEFUN_STATE_TOKEN: token });
  try {
    assert.equal((await call(on.base, 'GET', '/statefun/state/shop/inventory/a')).status, 401);
    assert.equal((await call(on.base, 'GET', '/statefun/state/shop/inventory/a', 'Bearer wrong-token')).status, 401);
    const read = await call(on.base, 'GET', '/statefun/state/shop/inventory/a', `Bearer ${token}`);
    assert.equal(read.status, 200, read.text);
    assert.deepEqual((JSON.parse(read.text) as { defaults: unknown }).defaults, { stock: 1000 });
  } finally {
    await on.app.kill();
  }
});
