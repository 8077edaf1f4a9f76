import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { INVENTORY, shopFunctions, shopRoutes } from '../examples/shop/functions.js';
import { RestartStrategies } from '../src/index.js';
import {
  address,
  handleInvocations,
  type InvokeRequest,
  serveFunctions,
  statefun,
  value,
} from '../src/statefun/index.js';
import {
  checkConsistency,
  checkoutUntilFinal,
  client,
  makeCheckouts,
  seededRandom,
} from './fixtures/statefun-shop-client.js';
import { eventually, get, post, sleep, startApp } from './fixtures/statefun-support.js';

/**
 * The remote-function protocol: the stateless function service, and the runtime calling it through a proxy that
 * makes it slow, failing, dropping connections or down for a while. Messages must be retried, never lost, and never
 * applied twice.
 */

const counter = statefun({
  type: 'rt/counter',
  state: { count: value<number>() },
  handle(ctx, msg: { op: 'add' } | { op: 'get' }) {
    if (msg.op === 'add') {
      const n = (ctx.state.count.get() ?? 0) + 1;
      ctx.state.count.set(n);
      ctx.reply({ count: n });
    } else ctx.reply({ count: ctx.state.count.get() ?? 0 });
  },
});

const pinger = statefun({
  type: 'rt/pinger',
  handle(ctx, msg: { to: string }) {
    ctx.send(address('rt/counter', msg.to), { op: 'add' });
    ctx.sendAfter(10, address('rt/counter', msg.to), { op: 'add' });
    ctx.egress('seen', msg.to);
  },
});

test('the function service: invocations with state in, state changes and messages out', async () => {
  const response = handleInvocations([counter, pinger], {
    invocations: [
      {
        id: 'i1',
        address: 'rt/counter:a',
        state: { count: 4 },
        messages: [
          { to: 'rt/counter:a', body: { op: 'add' }, replyTo: { r: 'req-1' } },
          { to: 'rt/counter:a', body: { op: 'add' }, from: 'x/y:z', replyTo: { a: 'x/y:z', c: 'c1' } },
        ],
        now: 1000,
      },
      { id: 'i2', address: 'rt/pinger:p', state: {}, messages: [{ to: 'rt/pinger:p', body: { to: 'b' } }], now: 1000 },
      {
        id: 'i3',
        address: 'rt/none:x',
        state: {},
        messages: [{ to: 'rt/none:x', body: 1, replyTo: { i: 'k' } }],
        now: 0,
      },
    ],
  });
  const [r1, r2, r3] = response.results;
  assert.deepEqual(r1, {
    id: 'i1',
    state: { count: { set: 6 } },
    replies: [
      { to: { r: 'req-1' }, ok: true, body: { count: 5 } },
      { to: { a: 'x/y:z', c: 'c1' }, ok: true, body: { count: 6 } },
    ],
  });
  assert.equal(r2!.send?.[0]?.to, 'rt/counter:b');
  assert.equal(r2!.delayed?.[0]?.delayMs, 10);
  assert.deepEqual(r2!.egress, [{ name: 'seen', value: 'b' }]);
  assert.equal(r3!.replies?.[0]?.ok, false);
  assert.match(String(r3!.replies?.[0]?.body), /no type 'rt\/none'/);

  const server = await serveFunctions([counter]);
  try {
    const body: InvokeRequest = {
      invocations: [
        {
          id: 'i',
          address: 'rt/counter:a',
          state: {},
          messages: [{ to: 'rt/counter:a', body: { op: 'add' } }],
          now: 0,
        },
      ],
    };
    const ok = await fetch(server.url, { method: 'POST', body: JSON.stringify(body) });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { results: [{ id: 'i', state: { count: { set: 1 } } }] });
    assert.equal((await fetch(server.url)).status, 405);
    assert.equal((await fetch(server.url, { method: 'POST', body: '{' })).status, 400);
  } finally {
    await server.close();
  }
});

type Fault = 'ok' | 'slow' | 'fail' | 'drop' | 'down' | 'garbage';

/** A proxy in front of a function service that injects faults, and counts how often each invocation id came. */
class FaultyProxy {
  readonly seen = new Map<string, number>();
  requests = 0;
  faults = 0;
  private server!: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    private readonly upstream: number,
    public choose: (n: number) => Fault,
    private readonly slowMs = 600,
  ) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const body = Buffer.concat(chunks);
        const n = this.requests++;
        const invocations = (JSON.parse(body.toString('utf8')) as InvokeRequest).invocations;
        for (const inv of invocations) this.seen.set(inv.id, (this.seen.get(inv.id) ?? 0) + 1);
        const fault = this.choose(n);
        if (fault !== 'ok') this.faults++;
        if (fault === 'fail' || fault === 'down') {
          res.writeHead(fault === 'fail' ? 500 : 503).end('injected failure');
          return;
        }
        if (fault === 'garbage') {
          // Well-formed JSON, malformed results: must count as a failed attempt, never be half applied.
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({ results: invocations.map((i) => ({ id: i.id, state: 5, send: [{ to: 'nowhere' }] })) }),
          );
          return;
        }
        if (fault === 'drop') {
          req.socket.destroy();
          return;
        }
        if (fault === 'slow') await sleep(this.slowMs);
        const up = request(
          { port: this.upstream, host: '127.0.0.1', method: 'POST', path: '/', headers: req.headers },
          (r) => {
            res.writeHead(r.statusCode ?? 500, r.headers);
            r.pipe(res);
          },
        );
        up.on('error', () => res.destroy());
        up.end(body);
      });
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return `http://127.0.0.1:${this.port}/`;
  }

  get retried(): number {
    return [...this.seen.values()].filter((n) => n > 1).length;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
  }
}

const remoteOptions = { timeoutMs: 250, retryForMs: 30_000, maxBatch: 8 };

test('a slow, failing, connection-dropping, garbage-answering service: every message applied exactly once', async () => {
  const service = await serveFunctions([counter, pinger]);
  const random = seededRandom(7);
  const faults: Fault[] = ['slow', 'fail', 'drop', 'garbage'];
  const proxy = new FaultyProxy(service.port, () => (random() < 0.4 ? faults[Math.floor(random() * 4)]! : 'ok'));
  const url = await proxy.start();
  const app = await startApp((a) => a.remote({ url, types: ['rt/*'], ...remoteOptions }));
  try {
    const n = 60;
    const answers = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        post(app.base, '/send/rt/counter/c', { op: 'add' }, { 'idempotency-key': `k${i}` }),
      ),
    );
    for (const a of answers) assert.equal(a.status, 200, JSON.stringify(a));
    const counts = answers.map((a) => (a.body as { count: number }).count).sort((x, y) => x - y);
    assert.deepEqual(
      counts,
      Array.from({ length: n }, (_, i) => i + 1),
      'each add applied once, in some order',
    );
    // Messages between remote functions, delayed ones included, under the same faults.
    for (let i = 0; i < 10; i++) await post(app.base, '/send/rt/pinger/p', { to: 'd' });
    const count = async () =>
      ((await post(app.base, '/send/rt/counter/d', { op: 'get' })).body as { count: number }).count;
    assert.ok(await eventually(async () => (await count()) === 20, 10_000), `count ${await count()}`);
    await sleep(300);
    assert.equal(await count(), 20);
    assert.ok(proxy.faults > 5, `faults injected: ${proxy.faults}`);
    assert.ok(proxy.retried > 0, 'some invocations were sent more than once');
  } finally {
    await app.stop();
    await proxy.close();
    await service.close();
  }
});

test('a service that is down for a while: messages wait and are applied once it is back', async () => {
  const service = await serveFunctions([counter]);
  let downUntil = 0;
  const proxy = new FaultyProxy(service.port, () => (Date.now() < downUntil ? 'down' : 'ok'));
  const url = await proxy.start();
  const app = await startApp((a) => a.remote({ url, types: ['rt/counter'], ...remoteOptions }));
  try {
    downUntil = Date.now() + 1500;
    const t = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => post(app.base, `/send/rt/counter/x${i % 2}`, { op: 'add' })),
    );
    assert.ok(Date.now() - t >= 1400, 'answers came after the outage');
    assert.ok(answers.every((a) => a.status === 200));
    for (const id of ['x0', 'x1']) {
      const v = (await get(app.base, `/statefun/state/rt/counter/${id}`)).body as { state: { count: number } };
      assert.equal(v.state.count, 5);
    }
    assert.ok(proxy.faults >= 2);
  } finally {
    await app.stop();
    await proxy.close();
    await service.close();
  }
});

test('a service down for longer than the retry budget fails the job with a clear error', async () => {
  const service = await serveFunctions([counter]);
  const proxy = new FaultyProxy(service.port, () => 'fail');
  const url = await proxy.start();
  // Without restarts: with the default (exponential delay) the job would restart and call the service again.
  const app = await startApp((a) => a.remote({ url, types: ['rt/counter'], timeoutMs: 100, retryForMs: 300 }), {
    restartStrategy: RestartStrategies.none(),
  });
  try {
    void post(app.base, '/send/rt/counter/z', { op: 'add' }).catch(() => {});
    await assert.rejects(app.done, /rt\/counter:z: remote function service .* failed for \d+ s: HTTP 500/);
  } finally {
    await proxy.close();
    await service.close();
  }
});

test('an invocation in flight at a checkpoint is sent again after a restart and applied once', async () => {
  const service = await serveFunctions([counter]);
  let hold = true;
  const proxy = new FaultyProxy(service.port, () => (hold ? 'slow' : 'ok'), 3000);
  const url = await proxy.start();
  const configure = (a: Parameters<Parameters<typeof startApp>[0]>[0]) =>
    a.remote({ url, types: ['rt/counter'], timeoutMs: 5000, retryForMs: 30_000 });
  const first = await startApp(configure);
  // One-way: 202 once the message is durably accepted (its checkpoint completed), while the invocation hangs.
  assert.equal((await post(first.base, '/tell/rt/counter/f', { op: 'add' })).status, 202);
  const view = (await get(first.base, '/statefun/state/rt/counter/f')).body as { pendingMessages: number };
  assert.equal(view.pendingMessages, 1);
  await first.stop();
  hold = false;
  const second = await startApp(configure, { checkpointDir: first.checkpointDir });
  try {
    const count = async () =>
      ((await get(second.base, '/statefun/state/rt/counter/f')).body as { state: { count?: number } }).state.count;
    assert.ok(await eventually(async () => (await count()) === 1, 5000));
    await sleep(200);
    assert.equal(await count(), 1);
    assert.equal(proxy.seen.size, 1, 'the same invocation id both times');
    assert.equal([...proxy.seen.values()][0], 2);
  } finally {
    await second.stop();
    await proxy.close();
    await service.close();
  }
});

test('the shop with remote functions behind a faulty service stays consistent', async () => {
  const service = await serveFunctions(shopFunctions);
  const random = seededRandom(11);
  const proxy = new FaultyProxy(service.port, () => {
    const r = random();
    return r < 0.1 ? 'slow' : r < 0.2 ? 'fail' : r < 0.25 ? 'drop' : 'ok';
  });
  const url = await proxy.start();
  const stock = 40;
  const app = await startApp(
    (a) => a.remote({ url, types: ['shop/*'], ...remoteOptions }).stateDefaults(INVENTORY, { stock }),
    { http: { routes: shopRoutes } },
  );
  try {
    const c = client(app.base, 16);
    const orders = Array.from({ length: 4 }, (_, i) => makeCheckouts(i, 25, 3, 5)).flat();
    const answers = new Map<string, Awaited<ReturnType<typeof checkoutUntilFinal>>>();
    const deadline = Date.now() + 60_000;
    await Promise.all(
      orders.map(async (o) => answers.set(o.orderId, await checkoutUntilFinal(c, o, `key-${o.orderId}`, deadline))),
    );
    const report = await checkConsistency(c, orders, answers, 3, stock, deadline);
    assert.deepEqual(report.problems, []);
    assert.deepEqual(c.unexpected, []);
    assert.ok(report.confirmed > 0 && report.rejected > 0, JSON.stringify(report));
    assert.ok(proxy.faults > 0);
    c.agent.destroy();
  } finally {
    await app.stop();
    await proxy.close();
    await service.close();
  }
});
