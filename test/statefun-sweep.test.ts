import assert from 'node:assert/strict';
import { test } from 'node:test';
import { statefun, value } from '../src/statefun/index.js';
import { eventually, post, startApp } from './fixtures/statefun-support.js';

/**
 * Sweeps of idempotency entries: one index per dispatcher subtask with one timer per time bucket (not a timer per
 * key). An answer is removed once a sweep passed after its TTL, after which the key starts a fresh execution
 * (before, a retry gets the stored answer: the crash test checks that).
 */

const adder = statefun({
  type: 'test/adder',
  state: { n: value<number>() },
  handle(ctx, msg: { add: number }) {
    const n = (ctx.state.n.get() ?? 0) + msg.add;
    ctx.state.n.set(n);
    ctx.reply({ n });
  },
});

for (const parallelism of [1, 2]) {
  test(`idempotency entries are swept after their TTL, at parallelism ${parallelism}`, async () => {
    const app = await startApp((a) => a.register(adder), { parallelism, options: { idempotencyTtlMs: 300 } });
    try {
      const keys = Array.from({ length: 8 }, (_, i) => `k${i}`);
      for (const [i, key] of keys.entries()) {
        const h = { 'idempotency-key': key };
        assert.deepEqual((await post(app.base, `/send/test/adder/a${i}`, { add: 1 }, h)).body, { n: 1 });
      }
      for (const [i, key] of keys.entries()) {
        const h = { 'idempotency-key': key };
        // Once swept, the same request is a new execution (until then: the stored answer, n 1).
        const fresh = await eventually(async () => {
          const r = await post(app.base, `/send/test/adder/a${i}`, { add: 1 }, h);
          return (r.body as { n: number }).n === 2;
        }, 10_000);
        assert.ok(fresh, `${key} was never swept`);
      }
    } finally {
      await app.stop();
    }
  });
}
