import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { StreamExecutionEnvironment, TumblingEventTimeWindows, WatermarkStrategies } from '../src/index.js';

/** Small deterministic PRNG (mulberry32) so the random delays are reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('ordered and unordered async I/O', () => {
  test('mapAsync keeps the input order although calls complete in random order', async () => {
    const rand = rng(1);
    const delays = range(120).map(() => Math.floor(rand() * 8));
    const completion: number[] = [];
    const env = StreamExecutionEnvironment.create({ batchSize: 16 });
    const h = env
      .fromCollection(range(120))
      .mapAsync(
        async (x: number) => {
          await sleep(delays[x]!);
          completion.push(x);
          return `r${x}`;
        },
        { capacity: 10 },
      )
      .collect('async-ordered');
    await env.execute();
    assert.deepEqual(
      h.get(),
      range(120).map((x) => `r${x}`),
    );
    // The calls really did overtake each other, so the order was restored by the operator.
    assert.notDeepEqual(completion, range(120));
  });

  test('mapAsyncUnordered emits every result exactly once', async () => {
    const rand = rng(2);
    const delays = range(120).map(() => Math.floor(rand() * 8));
    const env = StreamExecutionEnvironment.create({ batchSize: 16 });
    const h = env
      .fromCollection(range(120))
      .mapAsyncUnordered(
        async (x: number) => {
          await sleep(delays[x]!);
          return x * 2;
        },
        { capacity: 10 },
      )
      .collect('async-unordered');
    await env.execute();
    assert.equal(h.get().length, 120);
    assert.deepEqual(
      h.get().sort((a, b) => a - b),
      range(120).map((x) => x * 2),
    );
  });

  test('an async function may return an array of results (zero or more per input)', async () => {
    for (const ordered of [true, false]) {
      const env = StreamExecutionEnvironment.create();
      const fn = async (x: number) => {
        await sleep(x % 3);
        return x % 3 === 0 ? [] : x % 3 === 1 ? [x] : [x, -x];
      };
      const s = env.fromCollection(range(30));
      const h = (ordered ? s.mapAsync(fn) : s.mapAsyncUnordered(fn)).collect(`async-arrays-${ordered}`);
      await env.execute();
      const expected = range(30).flatMap((x) => (x % 3 === 0 ? [] : x % 3 === 1 ? [x] : [x, -x]));
      if (ordered) assert.deepEqual(h.get(), expected);
      else
        assert.deepEqual(
          h.get().sort((a, b) => a - b),
          expected.sort((a, b) => a - b),
        );
    }
  });

  for (const ordered of [true, false]) {
    test(`at most \`capacity\` calls are in flight (${ordered ? 'ordered' : 'unordered'})`, async () => {
      const rand = rng(3);
      let active = 0;
      let maxActive = 0;
      let calls = 0;
      const env = StreamExecutionEnvironment.create({ batchSize: 50 });
      const fn = async (x: number) => {
        calls++;
        active++;
        maxActive = Math.max(maxActive, active);
        try {
          await sleep(1 + Math.floor(rand() * 5));
          return x;
        } finally {
          active--;
        }
      };
      const s = env.fromCollection(range(150));
      const h = (ordered ? s.mapAsync(fn, { capacity: 4 }) : s.mapAsyncUnordered(fn, { capacity: 4 })).collect(
        `async-capacity-${ordered}`,
      );
      await env.execute();
      assert.equal(calls, 150);
      assert.equal(h.get().length, 150);
      assert.ok(maxActive <= 4, `at most 4 calls in flight, saw ${maxActive}`);
      assert.equal(maxActive, 4, 'the capacity is used');
      assert.equal(active, 0);
    });
  }
});

describe('retries and timeouts', () => {
  test('a call failing twice then succeeding succeeds with retries: 2', async () => {
    const attempts = new Map<number, number>();
    const env = StreamExecutionEnvironment.create();
    const h = env
      .fromCollection(range(20))
      .mapAsync(
        async (x: number) => {
          const n = (attempts.get(x) ?? 0) + 1;
          attempts.set(x, n);
          if (n <= 2) throw new Error(`flaky ${x} attempt ${n}`);
          return x;
        },
        { retries: 2, retryDelayMs: 1, capacity: 5 },
      )
      .collect('async-retries-ok');
    await env.execute();
    assert.deepEqual(h.get(), range(20));
    for (const x of range(20)) assert.equal(attempts.get(x), 3, `record ${x}: exactly 3 attempts`);
  });

  test('with too few retries the job fails with a clear error', async () => {
    for (const retries of [0, 1]) {
      const attempts = new Map<number, number>();
      const env = StreamExecutionEnvironment.create();
      env
        .fromCollection([{ id: 7 }])
        .mapAsync(
          async (r: { id: number }) => {
            const n = (attempts.get(r.id) ?? 0) + 1;
            attempts.set(r.id, n);
            if (n <= 2) throw new Error(`service unavailable (attempt ${n})`);
            return r.id;
          },
          { retries, retryDelayMs: 1 },
        )
        .name('lookup')
        .collect(`async-retries-fail-${retries}`);
      await assert.rejects(env.execute(), (e: Error) => {
        assert.match(e.message, /lookup/, 'names the operator');
        assert.ok(e.message.includes('{"id":7}'), `names the record: ${e.message}`);
        assert.match(e.message, new RegExp(`service unavailable \\(attempt ${retries + 1}\\)`), 'the last failure');
        return true;
      });
      assert.equal(attempts.get(7), retries + 1, 'one attempt plus the retries');
    }
  });

  test('a call that times out is aborted and retried', async () => {
    const signals: AbortSignal[] = [];
    const attempts = new Map<number, number>();
    const env = StreamExecutionEnvironment.create();
    const h = env
      .fromCollection(range(6))
      .mapAsync(
        (x: number, signal: AbortSignal) => {
          const n = (attempts.get(x) ?? 0) + 1;
          attempts.set(x, n);
          if (n === 1) {
            signals.push(signal);
            return new Promise<number>(() => {}); // hangs
          }
          return Promise.resolve(x * 10);
        },
        { timeoutMs: 20, retries: 1, retryDelayMs: 1 },
      )
      .collect('async-timeout-retry');
    await env.execute();
    assert.deepEqual(
      h.get(),
      range(6).map((x) => x * 10),
    );
    assert.equal(signals.length, 6);
    assert.ok(
      signals.every((s) => s.aborted),
      'timed-out calls are aborted',
    );
  });

  test('a call that times out without retries fails the job and says it timed out', async () => {
    const env = StreamExecutionEnvironment.create();
    env
      .fromCollection(['slow'])
      .mapAsync(() => new Promise<string>(() => {}), { timeoutMs: 20 })
      .name('slow-service')
      .collect('async-timeout-fail');
    await assert.rejects(env.execute(), (e: Error) => {
      assert.match(e.message, /slow-service/);
      assert.match(e.message, /timed out/);
      assert.ok(e.message.includes('"slow"'), e.message);
      return true;
    });
  });

  test('a synchronous throw in the async function is handled like a rejection', async () => {
    let calls = 0;
    const env = StreamExecutionEnvironment.create();
    const h = env
      .fromCollection([1, 2, 3])
      .mapAsync(
        (x: number) => {
          calls++;
          if (calls === 2) throw new Error('sync throw');
          return Promise.resolve(x);
        },
        { retries: 1, retryDelayMs: 1 },
      )
      .collect('async-sync-throw');
    await env.execute();
    assert.deepEqual(h.get(), [1, 2, 3]);
    assert.equal(calls, 4);
  });
});

describe('async I/O and event time', () => {
  interface Ev {
    ts: number;
    key: string;
  }
  const input: Ev[] = range(400).map((i) => ({ ts: i * 5, key: `k${i % 3}` }));
  const expected = () => {
    const m = new Map<string, number>();
    for (const e of input) {
      const k = `${e.key}@${Math.floor(e.ts / 100) * 100}`;
      m.set(k, (m.get(k) ?? 0) + 1);
    }
    return m;
  };

  for (const ordered of [true, false]) {
    test(`watermarks do not overtake pending results (${ordered ? 'ordered' : 'unordered'})`, async () => {
      const rand = rng(ordered ? 4 : 5);
      const delays = input.map(() => Math.floor(rand() * 6));
      // Small batches: the source emits a watermark every 8 records, while calls are still in flight.
      const env = StreamExecutionEnvironment.create({ batchSize: 8 });
      const fn = async (e: Ev) => {
        await sleep(delays[e.ts / 5]!);
        return e;
      };
      const s = env
        .fromCollection(input)
        .assignTimestampsAndWatermarks(
          WatermarkStrategies.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.ts),
        );
      const h = (ordered ? s.mapAsync(fn, { capacity: 16 }) : s.mapAsyncUnordered(fn, { capacity: 16 }))
        .keyBy((e) => e.key)
        .window(TumblingEventTimeWindows.of(100))
        .aggregate<number, number, [string, number]>(
          { createAccumulator: () => 0, add: (_e, a) => a + 1, getResult: (a) => a },
          {
            process(key, ctx, [count], out) {
              out.collect([`${key}@${(ctx.window as { start: number }).start}`, count!]);
            },
          },
        )
        .collect(`async-watermarks-${ordered}`);
      const result = await env.execute();
      // A result that arrived after a watermark passed its window would have been dropped as late.
      assert.deepEqual(new Map(h.get()), expected());
      assert.equal(h.get().length, expected().size);
      assert.deepEqual(result.unconsumedSideRecords, {});
    });
  }

  test('results carry the timestamp of their input record', async () => {
    const env = StreamExecutionEnvironment.create({ batchSize: 4 });
    const seen: [number, number][] = [];
    env
      .fromCollection(range(20).map((i) => ({ ts: 1000 + i, key: 'k' })))
      .assignTimestampsAndWatermarks(
        WatermarkStrategies.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.ts),
      )
      .mapAsyncUnordered(async (e: Ev) => {
        await sleep((e.ts * 7) % 5);
        return e.ts;
      })
      .sinkTo({
        name: 'timestamps',
        createWriter: () => ({
          write: (values, timestamps) => {
            values.forEach((v, i) => {
              seen.push([v, timestamps[i]!]);
            });
          },
        }),
      });
    await env.execute();
    assert.equal(seen.length, 20);
    for (const [v, ts] of seen) assert.equal(ts, v);
  });
});

describe('failures downstream of async I/O', () => {
  test('an operator chained after mapAsync that throws fails the job with its name', async () => {
    const env = StreamExecutionEnvironment.create();
    env
      .fromCollection([1, 2, 3])
      .mapAsync(async (x: number) => {
        await sleep(2);
        return x;
      })
      .map((x) => {
        if (x === 2) throw new Error('downstream boom');
        return x;
      })
      .name('after-async')
      .collect('async-downstream-failure');
    await assert.rejects(env.execute(), (e: Error) => {
      assert.match(e.message, /after-async/);
      assert.match(e.message, /downstream boom/);
      return true;
    });
  });
});
