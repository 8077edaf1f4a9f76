import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FileSink } from '../src/index.js';
import {
  address,
  type Context,
  type ReplyToken,
  type SagaCall,
  type SagaFailure,
  saga,
  statefun,
  type ValueSpec,
  value,
} from '../src/statefun/index.js';
import { eventually, get, post, put, sleep, startApp } from './fixtures/statefun-support.js';

/** The tests of each part of the model: state and expiry, messages and cycles, replies, delayed messages, egress. */

type CounterMessage =
  | { op: 'add'; n: number }
  | { op: 'get' }
  | { op: 'login'; who: string }
  | { op: 'whoami' }
  | { op: 'touch' }
  | { op: 'clear' }
  | { op: 'fail' }
  | { op: 'throw' };

const counter = statefun({
  type: 'test/counter',
  state: {
    count: value<number>(),
    session: value<string>({ expireAfterMs: 300 }),
    seen: value<number>({ expireAfterMs: 300, expireMode: 'access' }),
  },
  handle(ctx, msg: CounterMessage) {
    switch (msg.op) {
      case 'add': {
        const next = (ctx.state.count.get() ?? 0) + msg.n;
        ctx.state.count.set(next);
        ctx.reply({ count: next });
        break;
      }
      case 'get':
        ctx.reply({ count: ctx.state.count.get() ?? 0 });
        break;
      case 'login':
        ctx.state.session.set(msg.who);
        ctx.reply({});
        break;
      case 'whoami':
        ctx.reply({ who: ctx.state.session.get() ?? null });
        break;
      case 'touch':
        if (ctx.state.seen.get() === undefined) ctx.state.seen.set(ctx.now());
        ctx.reply({ seen: ctx.state.seen.get() ?? null });
        break;
      case 'clear':
        ctx.state.count.clear();
        ctx.reply({});
        break;
      case 'fail':
        ctx.fail('refused');
        break;
      case 'throw':
        ctx.state.count.set(-1000);
        throw new Error('boom');
    }
  },
});

test('state: per-instance values, isolated, cleared; a throwing handler leaves no effect', async () => {
  const app = await startApp((a) => a.register(counter));
  try {
    assert.deepEqual((await post(app.base, '/send/test/counter/a', { op: 'add', n: 2 })).body, { count: 2 });
    assert.deepEqual((await post(app.base, '/send/test/counter/a', { op: 'add', n: 3 })).body, { count: 5 });
    assert.deepEqual((await post(app.base, '/send/test/counter/b', { op: 'add', n: 1 })).body, { count: 1 });
    const failed = await post(app.base, '/send/test/counter/a', { op: 'throw' });
    assert.equal(failed.status, 422);
    assert.match(String((failed.body as { error: string }).error), /test\/counter failed: boom/);
    assert.deepEqual((await post(app.base, '/send/test/counter/a', { op: 'get' })).body, { count: 5 });
    assert.ok(
      app.logs.some((l) => l.includes('boom')),
      'the failure is reported',
    );
    const refused = await post(app.base, '/send/test/counter/a', { op: 'fail' });
    assert.deepEqual(refused, { status: 422, body: { error: 'refused' } });
    await post(app.base, '/send/test/counter/a', { op: 'clear' });
    assert.deepEqual((await post(app.base, '/send/test/counter/a', { op: 'get' })).body, { count: 0 });
    const view = await get(app.base, '/statefun/state/test/counter/a');
    assert.deepEqual((view.body as { state: unknown }).state, {});
  } finally {
    await app.stop();
  }
});

test('state expiry: after write, after access, and removed from state', async () => {
  const app = await startApp((a) => a.register(counter));
  // The server reads its clock while handling a request, somewhere between the request's start and its answer, so
  // two requests' handling times lie at least (start − previous end) and at most (end − previous start) apart. Only
  // gaps that are certain on either side of the 300 ms expiry are judged: a loaded machine cannot make this fail.
  const timed = async (id: string, body: object) => {
    const start = performance.now();
    const answer = (await post(app.base, `/send/test/counter/${id}`, body)).body;
    return { start, end: performance.now(), answer };
  };
  try {
    let keptSeen = 0;
    let expiredSeen = 0;
    let expiredSession = 0;
    for (let round = 0; round < 20 && (keptSeen < 3 || expiredSeen < 1 || expiredSession < 1); round++) {
      const id = `x${round}`;
      const login = await timed(id, { op: 'login', who: 'alice' });
      let last = await timed(id, { op: 'touch' });
      const first = last.answer as { seen: number };
      // 'seen' expires 300 ms after the last invocation: invoking every 100 ms keeps it. Once a gap was not
      // certainly short, the value may have expired and been set anew, so later reads are not judged.
      let intact = true;
      for (let i = 0; i < 6; i++) {
        await sleep(100);
        const t = await timed(id, { op: 'touch' });
        intact &&= t.end - last.start < 300;
        if (intact) {
          assert.deepEqual(t.answer, first, 'a value read within its expiry after access is kept');
          keptSeen++;
        }
        last = t;
      }
      // 'session' expired 300 ms after it was written, although the instance was invoked since.
      const whoami = await timed(id, { op: 'whoami' });
      if (whoami.start - login.end > 300) {
        assert.deepEqual(whoami.answer, { who: null }, 'a value expires after write even when accessed');
        expiredSession++;
      }
      await sleep(400);
      const again = await timed(id, { op: 'touch' });
      if (again.start - last.end > 300) {
        assert.ok((again.answer as { seen: number }).seen > first.seen, 'after 300 ms without invocations it expired');
        expiredSeen++;
      }
    }
    assert.ok(keptSeen >= 3 && expiredSeen >= 1 && expiredSession >= 1, 'every case was judged at least once');
    // Expired values are also removed from state without any invocation (the expiry sweep).
    await post(app.base, '/send/test/counter/y', { op: 'login', who: 'bob' });
    const removed = await eventually(async () => {
      const v = (await get(app.base, '/statefun/state/test/counter/y')).body as { state: object };
      return Object.keys(v.state).length === 0;
    }, 3000);
    assert.ok(removed, 'the expired value is swept from state');
  } finally {
    await app.stop();
  }
});

type RelayMessage = { op: 'start'; rounds: number } | { op: 'ping' | 'pong'; k: number; rounds: number };

const relay = statefun({
  type: 'test/relay',
  state: { handled: value<number>() },
  handle(ctx, msg: RelayMessage) {
    ctx.state.handled.set((ctx.state.handled.get() ?? 0) + 1);
    const other = address('test/relay', ctx.self.id === 'a' ? 'b' : 'a');
    if (msg.op === 'start') ctx.send(other, { op: 'ping', k: 1, rounds: msg.rounds });
    else if (msg.k < msg.rounds)
      ctx.send(other, { op: msg.op === 'ping' ? 'pong' : 'ping', k: msg.k + 1, rounds: msg.rounds });
  },
});

test('send: messages in a cycle between two instances, delivered across dispatcher calls', async () => {
  // At most 50 messages per dispatcher call: the cycle of 2,000 continues round the feedback loop.
  const app = await startApp((a) => a.register(relay), { options: { maxMessagesPerCall: 50 } });
  try {
    const accepted = await post(app.base, '/tell/test/relay/a', { op: 'start', rounds: 2000 });
    assert.deepEqual(accepted, { status: 202, body: { accepted: true } });
    const handled = async (id: string) =>
      ((await get(app.base, `/statefun/state/test/relay/${id}`)).body as { state: { handled?: number } }).state.handled;
    assert.ok(await eventually(async () => (await handled('b')) === 1000, 10_000), `b handled ${await handled('b')}`);
    assert.equal(await handled('a'), 1001);
  } finally {
    await app.stop();
  }
});

type AskMessage = { x: number };

const asker = statefun({
  type: 'test/asker',
  state: { waiting: value<ReplyToken>() },
  handle(ctx, msg: AskMessage | number) {
    if (ctx.message.isReply) {
      assert.equal(ctx.message.correlation, 'square');
      assert.deepEqual(ctx.message.from, address('test/square', 'any'));
      ctx.replyTo(ctx.state.waiting.get()!, { squared: msg, ok: ctx.message.ok });
      ctx.state.waiting.clear();
      return;
    }
    ctx.state.waiting.set(ctx.deferReply()!);
    ctx.request(address('test/square', 'any'), (msg as AskMessage).x, 'square');
  },
});

const square = statefun({
  type: 'test/square',
  handle(ctx, x: number) {
    assert.ok(ctx.message.expectsReply);
    ctx.reply(x * x);
  },
});

test('reply: request/reply between functions, and an HTTP answer deferred to a later invocation', async () => {
  const app = await startApp((a) => a.register(asker, square));
  try {
    const r = await post(app.base, '/send/test/asker/1', { x: 7 });
    assert.deepEqual(r, { status: 200, body: { squared: 49, ok: true } });
    const view = (await get(app.base, '/statefun/state/test/asker/1')).body as { state: object };
    assert.deepEqual(view.state, {});
  } finally {
    await app.stop();
  }
});

type TimerMessage =
  | { op: 'schedule'; ms: number; token: string; tag: string }
  | { op: 'cancel'; token: string }
  | { op: 'fire'; tag: string; at: number; ms: number }
  | { op: 'log' };

const timers = statefun({
  type: 'test/timer',
  state: { log: value<{ tag: string; late: number }[]>() },
  handle(ctx, msg: TimerMessage) {
    switch (msg.op) {
      case 'schedule':
        ctx.sendAfter(msg.ms, ctx.self, { op: 'fire', tag: msg.tag, at: ctx.now(), ms: msg.ms }, msg.token);
        break;
      case 'cancel':
        ctx.cancelDelayed(msg.token);
        break;
      case 'fire':
        ctx.state.log.set([...(ctx.state.log.get() ?? []), { tag: msg.tag, late: ctx.now() - msg.at - msg.ms }]);
        break;
      case 'log':
        ctx.reply(ctx.state.log.get() ?? []);
        break;
    }
  },
});

test('delayed messages: delivered after their delay, cancelled by token, replaced under the same token', async () => {
  const app = await startApp((a) => a.register(timers));
  try {
    const send = (m: TimerMessage) => post(app.base, '/send/test/timer/t', m);
    const started = Date.now();
    await send({ op: 'schedule', ms: 700, token: 't1', tag: 'one' });
    await send({ op: 'schedule', ms: 700, token: 't2', tag: 'two' });
    await send({ op: 'cancel', token: 't2' });
    await send({ op: 'schedule', ms: 400, token: 't3', tag: 'three' });
    await send({ op: 'schedule', ms: 1000, token: 't3', tag: 'three-later' });
    const early = (await send({ op: 'log' })).body;
    if (Date.now() - started < 650) assert.deepEqual(early, []);
    const log = async () => (await send({ op: 'log' })).body as { tag: string; late: number }[];
    assert.ok(await eventually(async () => (await log()).length === 2, 10_000));
    await sleep(300);
    const final = await log();
    assert.deepEqual(
      final.map((e) => e.tag),
      ['one', 'three-later'],
    );
    // Never early; the upper bound only catches a timer that waited for something else (a loaded machine adds delay).
    for (const e of final) assert.ok(e.late >= 0 && e.late < 5000, `delivered ${e.late} ms late`);
  } finally {
    await app.stop();
  }
});

const audited = statefun({
  type: 'test/audited',
  handle(ctx, msg: { n: number }) {
    ctx.egress('audit', { id: ctx.self.id, n: msg.n });
    ctx.reply('ok');
  },
});

test('egress: records become a stream, here an exactly-once file sink', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'statefun-egress-')), 'audit');
  const withFile = await startApp((a) => {
    a.register(audited);
    a.build().egress<{ id: string; n: number }>('audit').sinkTo(FileSink.jsonLines(out));
  });
  try {
    for (let n = 0; n < 20; n++)
      assert.equal((await post(withFile.base, `/send/test/audited/i${n % 3}`, { n })).body, 'ok');
    // An answer is only sent once the checkpoint covering the request completed, and the egress record is committed
    // by that same completion — the file sink renames its part file on it, possibly a moment after the answer left.
    const lines = () =>
      existsSync(out)
        ? readdirSync(out)
            .filter((f) => f.startsWith('part-'))
            .sort()
            .flatMap((f) => readFileSync(join(out, f), 'utf8').split('\n').filter(Boolean))
        : [];
    assert.ok(await eventually(async () => lines().length >= 20, 3000), `egress records: ${lines().length}`);
    assert.equal(lines().length, 20);
    assert.deepEqual(
      lines().map((l) => JSON.parse(l) as { n: number }),
      Array.from({ length: 20 }, (_, n) => ({ id: `i${n % 3}`, n })),
    );
  } finally {
    await withFile.stop();
  }
});

type StepMessage = { op: 'do' | 'undo'; step: string; fail?: 'refuse' | 'throw' };

const stepFn = statefun({
  type: 'test/step',
  handle(ctx, msg: StepMessage) {
    if (msg.op === 'do' && msg.fail === 'refuse') {
      ctx.fail(`${msg.step} refused`);
      return;
    }
    if (msg.op === 'do' && msg.fail === 'throw') throw new Error(`${msg.step} crashed`);
    if (msg.op === 'undo' && msg.step === 'unfixable') {
      ctx.fail('cannot undo');
      return;
    }
    ctx.send(address('test/log', 'main'), `${msg.op} ${msg.step}`);
    if (msg.op === 'do') ctx.reply(`${msg.step} done`);
    // 'undo' answers nothing: saga requests are acknowledged automatically.
  },
});

const logFn = statefun({
  type: 'test/log',
  state: { lines: value<string[]>() },
  handle(ctx, msg: string | { op: 'read' }) {
    if (typeof msg === 'string') ctx.state.lines.set([...(ctx.state.lines.get() ?? []), msg]);
    else ctx.reply(ctx.state.lines.get() ?? []);
  },
});

interface Plan {
  steps: { name: string; fail?: 'refuse' | 'throw' }[];
}

const call = (name: string, op: 'do' | 'undo', fail?: 'refuse' | 'throw'): SagaCall => ({
  to: address('test/step', name),
  message: { op, step: name, ...(fail ? { fail } : {}) },
});

function planSaga() {
  let s = saga<Plan>();
  for (const name of ['s1', 's2', 'unfixable', 's3']) {
    s = s.step(name, {
      action: (p) => {
        const step = p.steps.find((x) => x.name === name);
        return step === undefined ? undefined : call(name, 'do', step.fail);
      },
      compensate: name === 's3' ? undefined : () => call(name, 'undo'),
    });
  }
  return s
    .onCommitted((ctx: Context, _p, results) => ctx.reply({ status: 'committed', results }))
    .onAborted((ctx: Context, _p, failure: SagaFailure) => ctx.reply({ status: 'aborted', failure }));
}

const orchestrator = statefun({
  type: 'test/orchestrator',
  sagas: { plan: planSaga() },
  handle(ctx, msg: Plan) {
    ctx.saga('plan', msg);
  },
});

test('sagas: commit, compensation in reverse order, failing and throwing steps, failing compensations', async () => {
  const app = await startApp((a) => a.register(stepFn, logFn, orchestrator));
  const log = async () => (await post(app.base, '/send/test/log/main', { op: 'read' })).body as string[];
  const clearLog = () => put(app.base, '/statefun/state/test/log/main', { lines: null });
  try {
    const ok = await post(app.base, '/send/test/orchestrator/1', { steps: [{ name: 's1' }, { name: 's3' }] });
    assert.deepEqual(ok.body, {
      status: 'committed',
      results: { s1: 's1 done', s2: null, unfixable: null, s3: 's3 done' },
    });
    assert.deepEqual(await log(), ['do s1', 'do s3']);
    await clearLog();

    const refused = await post(app.base, '/send/test/orchestrator/2', {
      steps: [{ name: 's1' }, { name: 's2' }, { name: 's3', fail: 'refuse' }],
    });
    assert.deepEqual(refused.body, {
      status: 'aborted',
      failure: { step: 's3', reason: 's3 refused', compensationFailures: [] },
    });
    assert.deepEqual(await log(), ['do s1', 'do s2', 'undo s2', 'undo s1']);
    await clearLog();

    const crashed = await post(app.base, '/send/test/orchestrator/3', {
      steps: [{ name: 's1' }, { name: 'unfixable' }, { name: 's3', fail: 'throw' }],
    });
    const failure = (crashed.body as { failure: SagaFailure }).failure;
    assert.equal(failure.step, 's3');
    assert.match(failure.reason, /s3 crashed/);
    assert.deepEqual(failure.compensationFailures, [{ step: 'unfixable', reason: 'cannot undo' }]);
    assert.deepEqual(await log(), ['do s1', 'do unfixable', 'undo s1']);
    // Saga progress lives in the orchestrator's state only while the saga runs.
    const view = (await get(app.base, '/statefun/state/test/orchestrator/3')).body as { state: object };
    assert.deepEqual(view.state, {});
  } finally {
    await app.stop();
  }
});

test('idempotency: a retried request gets the same answer and has no second effect', async () => {
  const app = await startApp((a) => a.register(counter));
  try {
    const k = { 'idempotency-key': 'key-1' };
    assert.deepEqual((await post(app.base, '/send/test/counter/i', { op: 'add', n: 5 }, k)).body, { count: 5 });
    assert.deepEqual((await post(app.base, '/send/test/counter/i', { op: 'add', n: 5 }, k)).body, { count: 5 });
    // Concurrent retries of a new key: one effect, the same answer for all.
    const k2 = { 'idempotency-key': 'key-2' };
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => post(app.base, '/send/test/counter/i', { op: 'add', n: 1 }, k2)),
    );
    for (const a of answers) assert.deepEqual(a, { status: 200, body: { count: 6 } });
    const reused = await post(app.base, '/send/test/counter/i', { op: 'add', n: 7 }, k);
    assert.equal(reused.status, 422);
    assert.deepEqual((await post(app.base, '/send/test/counter/i', { op: 'get' })).body, { count: 6 });
  } finally {
    await app.stop();
  }
});

test('a stream as ingress', async () => {
  const app = await startApp((a, env) => {
    a.register(counter);
    a.ingress(
      env.fromCollection(Array.from({ length: 100 }, (_, i) => ({ id: `s${i % 4}`, n: i }))),
      (v: { id: string; n: number }) => ({ to: address('test/counter', v.id), message: { op: 'add', n: v.n } }),
    );
  });
  try {
    const count = async (id: string) =>
      ((await post(app.base, `/send/test/counter/${id}`, { op: 'get' })).body as { count: number }).count;
    // s_k gets k, k + 4, …, k + 96.
    assert.ok(await eventually(async () => (await count('s3')) === 1275, 5000));
    assert.deepEqual(await Promise.all(['s0', 's1', 's2'].map(count)), [1200, 1225, 1250]);
  } finally {
    await app.stop();
  }
});

test('state survives a restart: values, pending delayed messages', async () => {
  const first = await startApp((a) => a.register(counter, timers));
  await post(first.base, '/send/test/counter/r', { op: 'add', n: 41 });
  await post(first.base, '/send/test/timer/r', { op: 'schedule', ms: 800, token: 'late', tag: 'after-restart' });
  // Answers are sent only after the checkpoint covering them completed: stopping now loses nothing.
  await first.stop();
  const second = await startApp((a) => a.register(counter, timers), { checkpointDir: first.checkpointDir });
  try {
    assert.ok(
      second.logs.some((l) => /^restoring from checkpoint/.test(l)),
      second.logs.join('\n'),
    );
    assert.deepEqual((await post(second.base, '/send/test/counter/r', { op: 'add', n: 1 })).body, { count: 42 });
    const log = async () => (await post(second.base, '/send/test/timer/r', { op: 'log' })).body as { tag: string }[];
    assert.ok(await eventually(async () => (await log()).length === 1, 3000));
    assert.equal((await log())[0]!.tag, 'after-restart');
  } finally {
    await second.stop();
  }
});

const fragile = statefun({
  type: 'test/fragile',
  state: { note: value<string>() },
  sagas: {
    badAction: saga<{ n: number }>()
      .step('one', { action: () => call('one', 'do'), compensate: () => call('one', 'undo') })
      .step('two', {
        action: () => {
          throw new Error('no address for step two');
        },
      })
      .onAborted((ctx, _i, f) => ctx.reply({ aborted: f.step, reason: f.reason })),
    badHandler: saga<{ n: number }, { note: ValueSpec<string> }>()
      .step('one', { action: () => call('one', 'do') })
      .onCommitted((ctx) => {
        ctx.state.note.set('written before the error');
        throw new Error('handler bug');
      }),
  },
  handle(ctx, msg: { saga: 'badAction' | 'badHandler' }) {
    ctx.saga(msg.saga, { n: 1 });
  },
});

test('sagas: a throwing action fails its step; a throwing completion handler fails the answer; none stalls', async () => {
  const app = await startApp((a) => a.register(stepFn, logFn, fragile));
  try {
    const r1 = await post(app.base, '/send/test/fragile/1', { saga: 'badAction' });
    assert.deepEqual(r1.body, { aborted: 'two', reason: 'its action failed: no address for step two' });
    const lines = (await post(app.base, '/send/test/log/main', { op: 'read' })).body as string[];
    assert.deepEqual(lines, ['do one', 'undo one']);
    const r2 = await post(app.base, '/send/test/fragile/2', { saga: 'badHandler' });
    assert.equal(r2.status, 422);
    assert.match(String((r2.body as { error: string }).error), /onCommitted handler failed: handler bug/);
    const view = (await get(app.base, '/statefun/state/test/fragile/2')).body as { state: object };
    assert.deepEqual(view.state, {}, 'the handler’s state change was dropped and the saga ended');
  } finally {
    await app.stop();
  }
});
