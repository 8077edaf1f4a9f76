import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type Source,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  WatermarkStrategies,
} from '../src/index.js';

/** Generators split exactly, rate limits hold, idle inputs release the watermark, cancellation stops a job. */

for (const p of [1, 2, 3, 4]) {
  test(`a generator yields every sequence number exactly once at parallelism ${p}`, async () => {
    const env = StreamExecutionEnvironment.create({ parallelism: p, batchSize: 7 });
    const h = env.fromGenerator((i) => i, { count: 1000 }).collect();
    await env.execute();
    assert.deepEqual(
      h.get().sort((a, b) => a - b),
      Array.from({ length: 1000 }, (_, i) => i),
    );
  });
}

test('a rate-limited generator does not run ahead of its rate', async () => {
  const env = StreamExecutionEnvironment.create({ parallelism: 2 });
  const h = env.fromGenerator((i) => i, { count: 600, ratePerSecond: 2000 }).collect();
  const start = performance.now();
  await env.execute();
  const seconds = (performance.now() - start) / 1000;
  assert.equal(h.get().length, 600);
  // 600 records at 2000/s cannot be produced in less than ~0.3 s (a lower bound: the rate is a maximum).
  assert.ok(seconds >= 0.25, `took ${seconds.toFixed(3)} s`);
});

/** A source that never produces anything and never ends. */
const silent: Source<number> = {
  name: 'silent',
  boundedness: 'unbounded',
  createReader: () => ({
    pollNext: () => 'wait',
    available: () => new Promise((resolve) => setTimeout(resolve, 20)),
  }),
};

test('an idle input stops holding back the watermark of a union', async () => {
  const env = StreamExecutionEnvironment.create();
  const events = env.fromGenerator((i) => ({ key: 'k', ts: i * 10 }), { count: 5000, ratePerSecond: 20000 });
  const quiet = env.fromSource(silent).map((ts) => ({ key: 'k', ts }));
  const strategy = WatermarkStrategies.forBoundedOutOfOrderness<{ key: string; ts: number }>(0)
    .withTimestampAssigner((e) => e.ts)
    .withIdleness(50);
  const windows = events
    .assignTimestampsAndWatermarks(strategy)
    .union(quiet.assignTimestampsAndWatermarks(strategy))
    .keyBy((e) => e.key)
    .window(TumblingEventTimeWindows.of(1000))
    .aggregate({ createAccumulator: () => 0, add: (_e, n: number) => n + 1, getResult: (n) => n })
    .collect();
  const controller = new AbortController();
  const run = env.execute('idle', { signal: controller.signal });
  // The silent input never ends, so only idleness lets windows fire before the job is cancelled.
  await new Promise((r) => setTimeout(r, 1500));
  controller.abort();
  const result = await run;
  assert.equal(result.cancelled, true);
  const counts = windows.get();
  // The generator covers 50,000 ms of event time at 100 records per window; within 1.5 s most windows must have fired.
  assert.ok(counts.length >= 10, `only ${counts.length} windows fired`);
  for (const c of counts) assert.equal(c, 100);
});

test('without idleness a silent input holds the watermark back', async () => {
  const env = StreamExecutionEnvironment.create();
  const strategy = WatermarkStrategies.forBoundedOutOfOrderness<{ key: string; ts: number }>(0).withTimestampAssigner(
    (e) => e.ts,
  );
  const windows = env
    .fromGenerator((i) => ({ key: 'k', ts: i * 10 }), { count: 2000 })
    .assignTimestampsAndWatermarks(strategy)
    .union(
      env
        .fromSource(silent)
        .map((ts) => ({ key: 'k', ts }))
        .assignTimestampsAndWatermarks(strategy),
    )
    .keyBy((e) => e.key)
    .window(TumblingEventTimeWindows.of(1000))
    .aggregate({ createAccumulator: () => 0, add: (_e, n: number) => n + 1, getResult: (n) => n })
    .collect();
  const controller = new AbortController();
  const run = env.execute('held', { signal: controller.signal });
  await new Promise((r) => setTimeout(r, 500));
  controller.abort();
  await run;
  assert.deepEqual(windows.get(), []);
});

test('processing-time windows fire on the wall clock and at the end of bounded input', async () => {
  const env = StreamExecutionEnvironment.create();
  const h = env
    .fromGenerator((i) => i, { count: 300, ratePerSecond: 1000 })
    .keyBy(() => 'all')
    .window(TumblingProcessingTimeWindows.of(100))
    .aggregate({ createAccumulator: () => 0, add: (_v, n: number) => n + 1, getResult: (n) => n })
    .collect();
  await env.execute();
  const counts = h.get();
  assert.equal(
    counts.reduce((a, b) => a + b, 0),
    300,
  );
  assert.ok(counts.length >= 2, `expected several windows over ~0.3 s, got ${counts.length}`);
});
