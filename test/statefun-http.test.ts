import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { StreamExecutionEnvironment } from '../src/index.js';
import { cliCheckpointDir, HttpError, StatefulFunctions, statefun, value } from '../src/statefun/index.js';
import { get, post, put, sendRoute, startApp } from './fixtures/statefun-support.js';

/** The HTTP ingress and reply egress: refusals, backpressure, timeouts, the state API, configuration errors. */

const kv = statefun({
  type: 'test/kv',
  state: { v: value<unknown>(), hits: value<number>() },
  handle(ctx, msg: { op: 'set'; v: unknown } | { op: 'get' } | { op: 'hang' }) {
    ctx.state.hits.set((ctx.state.hits.get() ?? 0) + 1);
    if (msg.op === 'set') ctx.state.v.set(msg.v);
    else if (msg.op === 'get') ctx.reply({ v: ctx.state.v.get() ?? null });
    // 'hang' defers its answer and never gives it
    else ctx.deferReply();
  },
});

const validatingRoute = {
  method: 'POST' as const,
  path: '/kv/:id',
  handle: (req: { body: unknown; params: Readonly<Record<string, string>> }) => {
    if (typeof req.body !== 'object' || req.body === null) throw new HttpError(400, 'expected an object');
    return { to: { type: 'test/kv', id: req.params.id! }, message: req.body };
  },
  respond: (a: { ok: boolean; body: unknown }) => ({ status: a.ok ? 201 : 409, body: a.body }),
};

test('refusals: invalid JSON, refused by the route, no route, wrong method, body too large', async () => {
  const app = await startApp((a) => a.register(kv), {
    http: { routes: [sendRoute, validatingRoute], maxBodyBytes: 200 },
  });
  try {
    const bad = await post(app.base, '/send/test/kv/1', '{"op": ');
    assert.equal(bad.status, 400);
    assert.match((bad.body as { error: string }).error, /^invalid JSON in request body: /);
    assert.deepEqual(await post(app.base, '/kv/1', '42'), { status: 400, body: { error: 'expected an object' } });
    assert.equal((await post(app.base, '/nowhere', {})).status, 404);
    assert.equal((await get(app.base, '/kv/1')).status, 405);
    const big = await post(app.base, '/send/test/kv/1', { op: 'set', v: 'x'.repeat(500) });
    assert.equal(big.status, 413);
    // A route's own answer mapping.
    assert.deepEqual(await post(app.base, '/kv/1', { op: 'get' }), { status: 201, body: { v: null } });
    // Nothing refused reached a function.
    const view = (await get(app.base, '/statefun/state/test/kv/1')).body as { state: { hits?: number } };
    assert.equal(view.state.hits, 1);
    // Messages to a type nobody serves: a failure answer.
    const unknown = await post(app.base, '/send/test/nobody/1', {});
    assert.equal(unknown.status, 422);
    assert.match(String((unknown.body as { error: string }).error), /no function of type 'test\/nobody'/);
  } finally {
    await app.stop();
  }
});

test('backpressure: a full request queue answers 503 at once', async () => {
  const app = await startApp((a) => a.register(kv), { http: { maxQueue: 0 } });
  try {
    const r = await fetch(`${app.base}/send/test/kv/1`, { method: 'POST', body: '{"op":"get"}' });
    assert.equal(r.status, 503);
    assert.equal(r.headers.get('retry-after'), '1');
  } finally {
    await app.stop();
  }
});

test('a request without an answer in time gets 504; its effect still happens, once', async () => {
  const app = await startApp((a) => a.register(kv), { http: { requestTimeoutMs: 300 } });
  try {
    const t = Date.now();
    const r = await post(app.base, '/send/test/kv/h', { op: 'hang' });
    assert.equal(r.status, 504);
    assert.ok(Date.now() - t >= 280);
    const view = (await get(app.base, '/statefun/state/test/kv/h')).body as { state: { hits?: number } };
    assert.equal(view.state.hits, 1);
  } finally {
    await app.stop();
  }
});

test('state API: read and correct one instance; undeclared names and unknown types are refused', async () => {
  const app = await startApp((a) => a.register(kv).stateDefaults('test/kv', { v: 'default' }));
  try {
    assert.deepEqual((await post(app.base, '/send/test/kv/s', { op: 'get' })).body, { v: 'default' });
    const corrected = await put(app.base, '/statefun/state/test/kv/s', { v: { n: 1 }, hits: null });
    assert.equal(corrected.status, 200);
    assert.deepEqual(corrected.body, {
      type: 'test/kv',
      id: 's',
      state: { v: { n: 1 } },
      expiresAt: {},
      defaults: { v: 'default' },
      pendingMessages: 0,
    });
    assert.deepEqual((await post(app.base, '/send/test/kv/s', { op: 'get' })).body, { v: { n: 1 } });
    const undeclared = await put(app.base, '/statefun/state/test/kv/s', { nope: 1 });
    assert.equal(undeclared.status, 400);
    assert.match(
      (undeclared.body as { error: string }).error,
      /'nope' is not a state value of test\/kv \(declared: v, hits\)/,
    );
    assert.equal((await put(app.base, '/statefun/state/test/kv/s', [1])).status, 400);
    assert.equal((await get(app.base, '/statefun/state/test/none/s')).status, 404);
    assert.equal((await get(app.base, '/statefun/state/nonsense')).status, 404);
    // Ids are percent-decoded.
    await post(app.base, `/send/test/kv/${encodeURIComponent('a b/c')}`, { op: 'set', v: 1 });
    const odd = await get(app.base, `/statefun/state/test/kv/${encodeURIComponent('a b/c')}`);
    assert.deepEqual((odd.body as { state: unknown }).state, { v: 1, hits: 1 });
  } finally {
    await app.stop();
  }
});

test('without checkpoints answers go out at once', async () => {
  const app = await startApp((a) => a.register(kv), { noCheckpoints: true });
  try {
    await post(app.base, '/send/test/kv/n', { op: 'set', v: 3 });
    assert.deepEqual((await post(app.base, '/send/test/kv/n', { op: 'get' })).body, { v: 3 });
    assert.deepEqual(app.checkpoints, []);
  } finally {
    await app.stop();
  }
});

test('answers wait for the checkpoint that covers their effects', async () => {
  // A long interval makes the wait visible: each answer comes only after a checkpoint completed.
  const app = await startApp((a) => a.register(kv), { intervalMs: 300 });
  try {
    for (let i = 0; i < 3; i++) {
      const before = app.checkpoints.length;
      await post(app.base, '/send/test/kv/c', { op: 'set', v: i });
      assert.ok(app.checkpoints.length > before, 'a checkpoint completed before the answer');
    }
  } finally {
    await app.stop();
  }
});

test('at parallelism 2 one subtask serves HTTP and answers come back from every dispatcher subtask', async () => {
  const app = await startApp((a) => a.register(kv), { parallelism: 2 });
  try {
    for (let i = 0; i < 8; i++) {
      assert.deepEqual((await post(app.base, `/send/test/kv/k${i}`, { op: 'set', v: i })).status, 200);
    }
    for (let i = 0; i < 8; i++) {
      assert.deepEqual((await post(app.base, `/send/test/kv/k${i}`, { op: 'get' })).body, { v: i });
    }
  } finally {
    await app.stop();
  }
});

test('the ingress listens only once every subtask of the job is open', async () => {
  // A request accepted before the job runs would only wait: its answer needs a checkpoint, and checkpoints need
  // every subtask running. So the port opens after the slowest subtask's open(), here one added after the app.
  const env = StreamExecutionEnvironment.create();
  env.enableCheckpointing(20, join(mkdtempSync(join(tmpdir(), 'statefun-test-')), 'ck'));
  const job = new StatefulFunctions(env, { log: () => {} })
    .register(kv)
    .http({ port: 0, host: '127.0.0.1', routes: [sendRoute], log: null })
    .build();
  let opened = false;
  env
    .fromElements(1)
    .map({
      open: () => new Promise<void>((resolve) => setTimeout(resolve, 300)).then(() => void (opened = true)),
      map: (x: number) => x,
    })
    .discard();
  const controller = new AbortController();
  const done = env.execute('statefun-listen', { signal: controller.signal });
  try {
    const port = await job.ready;
    assert.equal(opened, true, 'the port was ready before every subtask was open');
    const base = `http://127.0.0.1:${port}`;
    assert.deepEqual(await post(base, '/send/test/kv/1', { op: 'get' }), { status: 200, body: { v: null } });
  } finally {
    controller.abort();
    await done;
  }
});

test('a port already taken fails the job with the listen error', async () => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as AddressInfo).port;
  try {
    await assert.rejects(
      startApp((a) => a.register(kv), { http: { port }, restartStrategy: { type: 'none' } }),
      (e: Error) => e.message.includes('EADDRINUSE') && e.message.includes(String(port)),
    );
  } finally {
    taken.close();
  }
});

test('the checkpoint directory of a sluice run command line', () => {
  assert.equal(
    cliCheckpointDir(['node', 'sluice', 'run', 'app.ts', '--checkpoint-dir', 'CK', '--', '--port', '1']),
    'CK',
  );
  assert.equal(cliCheckpointDir(['node', 'sluice', 'run', 'app.ts', '--checkpoint-dir=/x']), '/x');
  assert.equal(cliCheckpointDir(['node', 'sluice', 'run', 'app.ts', '--', '--checkpoint-dir', 'CK']), undefined);
});
