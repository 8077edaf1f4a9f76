import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { FeedbackLog } from '../src/statefun/feedback-log.js';
import { address, statefun, value } from '../src/statefun/index.js';
import { eventually, get, post, setDefaultParallelism, sleep, startApp } from './fixtures/statefun-support.js';

/**
 * Stateful Functions above parallelism 1: the feedback log's channel recording against a brute-force reference, a
 * ring of instances spread over subtasks stopped in the middle and restored at other parallelisms (no message lost
 * or doubled), and the whole model suite again at parallelism 3.
 */

type Op = { k: 'push' } | { k: 'take' } | { k: 'checkpoint' } | { k: 'tail' };

test('feedback log: the recording of checkpoint n is what was pushed from the head mark to the tail barrier', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          { weight: 5, arbitrary: fc.constant<Op>({ k: 'push' }) },
          { weight: 5, arbitrary: fc.constant<Op>({ k: 'take' }) },
          { weight: 1, arbitrary: fc.constant<Op>({ k: 'checkpoint' }) },
          { weight: 1, arbitrary: fc.constant<Op>({ k: 'tail' }) },
        ),
        { maxLength: 400 },
      ),
      (ops) => {
        const log = new FeedbackLog<number>();
        const pushed: number[] = [];
        let taken = 0;
        // Checkpoints the head marked and the tail did not reach yet, oldest first (barriers stay in order).
        const open: { id: number; mark: number }[] = [];
        let nextId = 1;
        for (const op of ops) {
          if (op.k === 'push') {
            log.push(pushed.length);
            pushed.push(pushed.length);
          } else if (op.k === 'take') {
            const r = log.take();
            assert.equal(r, taken < pushed.length ? taken : undefined);
            if (r !== undefined) taken++;
          } else if (op.k === 'checkpoint') {
            log.markHead(nextId);
            open.push({ id: nextId++, mark: taken });
          } else if (open.length > 0) {
            // The tail reaches the newest barrier or an older one (a newer checkpoint then aborts the older ones).
            const i = open.length > 1 && pushed.length % 2 === 0 ? open.length - 1 : 0;
            const { id, mark } = open[i]!;
            assert.deepEqual(log.recordTail(id), pushed.slice(mark));
            open.splice(0, i + 1);
          }
          assert.equal(log.size, pushed.length - taken);
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('feedback log: a tail barrier the head never marked fails loudly', () => {
  const log = new FeedbackLog<number>();
  assert.throws(() => log.recordTail(3), /checkpoint 3 reached the feedback sink before the ingress snapshotted it/);
});

type Hop = { chain: number; k: number; until: number };

/** A ring of `RING` instances: hop k of a chain goes to instance k mod RING, until hop `until`. */
const RING = 12;
const ring = statefun({
  type: 'test/ring',
  state: { handled: value<number>(), sum: value<number>() },
  handle(ctx, msg: Hop) {
    ctx.state.handled.set((ctx.state.handled.get() ?? 0) + 1);
    ctx.state.sum.set((ctx.state.sum.get() ?? 0) + msg.k);
    if (msg.k < msg.until) ctx.send(address('test/ring', String((msg.k + 1) % RING)), { ...msg, k: msg.k + 1 });
  },
});

test('a ring over subtasks, stopped twice and restored at other parallelisms: every message delivered once', {
  timeout: 120_000,
}, async () => {
  const chains = 6;
  const until = 20_000;
  const view = async (base: string) => {
    let handled = 0;
    let sum = 0;
    for (let i = 0; i < RING; i++) {
      const s = (
        (await get(base, `/statefun/state/test/ring/${i}`)).body as { state: { handled?: number; sum?: number } }
      ).state;
      handled += s.handled ?? 0;
      sum += s.sum ?? 0;
    }
    return { handled, sum };
  };
  // Brute force: every chain handles each of its until + 1 hops once.
  const expected = { handled: chains * (until + 1) };
  const options = { maxMessagesPerCall: 7 };
  let app = await startApp((a) => a.register(ring), { parallelism: 2, options });
  const dir = app.checkpointDir;
  for (let c = 0; c < chains; c++) {
    assert.equal(
      (await post(app.base, `/tell/test/ring/${c % RING}`, { chain: c, k: c % RING, until: until + (c % RING) }))
        .status,
      202,
    );
  }
  // Hops start at k = c mod RING for chain c (the instance it starts at), so chain c handles until + 1 hops too.
  const expectedSum = Array.from({ length: chains }, (_, c) => {
    const from = c % RING;
    const to = until + from;
    return ((to - from + 1) * (from + to)) / 2;
  }).reduce((a, b) => a + b, 0);
  for (const next of [3, 1]) {
    const at = app.checkpoints.length;
    assert.ok(await eventually(async () => app.checkpoints.length >= at + 3, 10_000), 'checkpoints complete');
    const seen = await view(app.base);
    await app.stop();
    assert.ok(seen.handled < expected.handled, `stopped in the middle (${seen.handled} of ${expected.handled})`);
    app = await startApp((a) => a.register(ring), { parallelism: next, options, checkpointDir: dir });
    assert.ok(
      app.logs.some((l) => /^restoring from checkpoint/.test(l)),
      app.logs.join('\n'),
    );
  }
  try {
    assert.ok(
      await eventually(async () => (await view(app.base)).handled >= expected.handled, 60_000),
      `finished: ${JSON.stringify(await view(app.base))}`,
    );
    await sleep(200);
    assert.deepEqual(await view(app.base), { handled: expected.handled, sum: expectedSum });
  } finally {
    await app.stop();
  }
});

// The model suite again, every app at parallelism 3 (its tests register here, after the ones above).
setDefaultParallelism(3);
// A query makes it a module instance of its own; a variable specifier keeps tsc from resolving it.
const modelSuite = './statefun-model.test.js?parallelism=3';
await import(modelSuite);
