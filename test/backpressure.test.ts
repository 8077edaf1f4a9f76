import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runJob, StreamExecutionEnvironment } from '../src/index.js';
import { slowSink } from './fixtures/slow-sink-job.js';

/**
 * A slow sink must slow the source down instead of letting records pile up: channels between subtasks grant a
 * fixed number of batches (credits), and a subtask whose output has no credit is not scheduled.
 */

test('records in flight stay bounded when the sink is slow (in-process, parallelism 2)', async () => {
  const records = 200_000;
  const batchSize = 256;
  const env = StreamExecutionEnvironment.create({ parallelism: 2, batchSize, channelCredits: 2 });
  let generated = 0;
  let sunk = 0;
  let maxInFlight = 0;
  env
    .fromGenerator(
      (i) => {
        generated++;
        return i;
      },
      { count: records },
    )
    .keyBy((i) => i % 101)
    .map((i) => i * 2)
    .sinkTo(
      slowSink<number>(1, (values) => {
        sunk += values.length;
        maxInFlight = Math.max(maxInFlight, generated - sunk);
      }),
    );
  await env.execute();
  assert.equal(sunk, records);
  // 2 sources x 2 targets x (2 credits + one step's overdraft) batches, plus partial buffers: a few thousand records.
  // Without backpressure the generator would be done long before the sink, i.e. ~200,000 in flight.
  assert.ok(maxInFlight <= 16 * batchSize, `max records in flight ${maxInFlight}`);
});

test('memory stays flat with a slow sink across worker threads', async () => {
  const path = new URL('./fixtures/slow-sink-job.ts', import.meta.url).pathname;
  const records = 300_000;
  /** Peak RSS growth of the process while the slow-sink job runs on two worker threads with `payload`-byte records. */
  const growth = async (payload: number) => {
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 10);
    try {
      const result = await runJob(path, { args: [String(records), String(payload), '2'], config: { parallelism: 2 } });
      assert.equal(result.sinkRecords, records);
    } finally {
      clearInterval(sampler);
    }
    return (peak - before) / 2 ** 20;
  };
  // The same job with 1-byte payloads: what two workers cost to start (code, heaps), with nothing worth buffering.
  const startup = await growth(1);
  const grown = await growth(1000);
  // Unbounded buffering holds ~300 MB of payload on top (measured with backpressure off: +320 MiB); bounded, a few
  // batches per channel plus payload garbage not yet collected (+105–130 MiB measured).
  assert.ok(grown - startup < 200, `RSS grew by ${grown.toFixed(0)} MiB, ${startup.toFixed(0)} MiB of it for start-up`);
});

test('a sparse exchange between threads with one credit per channel completes with every record', {
  timeout: 120_000,
}, async () => {
  // Credits for senders on another thread are held back until a batch limit's worth is owed (executor.ts): with one
  // credit of four records per channel the senders would stall for good if a held credit could block them.
  const path = new URL('./fixtures/sparse-exchange-job.ts', import.meta.url).pathname;
  const records = 40_000;
  const every = 7;
  const result = await runJob(path, {
    args: [String(records), String(every)],
    config: { parallelism: 2, batchSize: 4, channelCredits: 1 },
  });
  assert.equal(result.sinkRecords, Math.ceil(records / every));
});
