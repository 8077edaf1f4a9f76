import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Producer } from '@platformatic/kafka';
import { AlignedKafkaSource, KafkaSource } from '../src/connectors/kafka/index.js';
import { OutputTag, StreamExecutionEnvironment, TumblingEventTimeWindows, WatermarkStrategies } from '../src/index.js';
import {
  describeExit,
  makeEvents,
  notCovered,
  runSluice,
  seededRandom,
  windowCountsReference,
} from './fixtures/ckpt-support.js';
import {
  brokers,
  canonicalRows,
  createTopic,
  kafkaSkip,
  produceEvents,
  produceWithKcat,
  readCommitted,
  runWithKills,
} from './fixtures/kafka-support.js';

/**
 * examples/kafka-window-counts.ts against a real broker (bash scripts/kafka.sh start): its read_committed output
 * equals the brute-force reference of examples/window-counts.ts over the same events — with several partitions per
 * reader (timestamp-aligned emission keeps every partition's events on time), and across a SIGKILL.
 * Skipped without a broker unless CI=true or SLUICE_KAFKA_TESTS=1.
 */

const skip = await kafkaSkip();
const dir = mkdtempSync(join(tmpdir(), 'sluice-kafka-example-'));
const seed = Number(process.env.SLUICE_CRASH_SEED ?? 77);

async function topicWithEvents(count: number, users: number, partitions: number, s: number) {
  const events = makeEvents(count, users, s);
  const input = await createTopic(partitions, 'kwc-in');
  const output = await createTopic(2, 'kwc-out');
  await produceEvents(
    input,
    partitions,
    events.map((e, index) => ({ e, index })),
  );
  return { events, input, output };
}

test('kafka-window-counts: one reader over 3 partitions gives the reference result (bounded, p=1, kcat input)', {
  skip,
  timeout: 60_000,
}, async () => {
  // Produced by kcat, keyed by user: Kafka timestamps are production times; the reader aligns by the events' ts.
  const events = makeEvents(9000, 40, seed);
  const input = await createTopic(3, 'kwc-in');
  const output = await createTopic(2, 'kwc-out');
  await produceWithKcat(input, 3, events);
  const e = await runSluice(
    [
      'run',
      'examples/kafka-window-counts.ts',
      '--checkpoint-dir',
      join(dir, 'ck-p1'),
      '--',
      '--brokers',
      brokers,
      '--input-topic',
      input,
      '--output-topic',
      output,
      '--bounded',
    ],
    60_000,
  );
  assert.equal(e.code, 0, describeExit(e));
  assert.deepEqual(canonicalRows(await readCommitted(output)), windowCountsReference(events));
});

test('kafka-window-counts at p=2 survives a SIGKILL: read_committed sees the reference exactly once', {
  skip,
  timeout: 90_000,
}, async (t) => {
  const { events, input, output } = await topicWithEvents(18_000, 60, 3, seed + 1);
  const expected = windowCountsReference(events);
  const random = seededRandom(seed);
  const command = [
    'run',
    'test/fixtures/kafka-throttled-job.ts',
    '-p',
    '2',
    '--batch-size',
    '64',
    '--checkpoint-dir',
    join(dir, 'ck-crash'),
    '--checkpoint-interval',
    '100',
    '-v',
    '--',
    'window-counts',
    '--pause-every',
    '3',
    '--brokers',
    brokers,
    '--input-topic',
    input,
    '--output-topic',
    output,
    '--bounded',
  ];
  const delay = Math.round(random() * 300);
  let firstAt = 0;
  const result = await runWithKills(
    command,
    [
      {
        what: `${delay} ms after the first checkpoint`,
        when: (p) => {
          if (p.completedCheckpoints().length === 0) return false;
          firstAt ||= Date.now();
          return Date.now() - firstAt >= delay;
        },
      },
    ],
    async (attempt) => {
      const now = canonicalRows(await readCommitted(output));
      assert.equal(new Set(now).size, now.length, `duplicates visible after attempt ${attempt}`);
      assert.deepEqual(notCovered(now, expected).slice(0, 5), [], `wrong rows after attempt ${attempt}`);
    },
  );
  for (const line of result.log) t.diagnostic(line);
  assert.equal(result.kills, 1, `the job ended before it could be killed:\n${result.log.join('\n')}`);
  const got = canonicalRows(await readCommitted(output));
  const missing = notCovered(expected, got);
  const extra = notCovered(got, expected);
  assert.deepEqual(
    { missing: missing.length, extra: extra.length },
    { missing: 0, extra: 0 },
    `${got.length} rows, ${expected.length} expected; missing ${missing.slice(0, 3).join(' ')}; extra ${extra.slice(0, 3).join(' ')}`,
  );
});

test('AlignedKafkaSource: an empty partition holds back the others until idle (unbounded) or not at all (bounded)', {
  skip,
  timeout: 60_000,
}, async () => {
  const events = makeEvents(300, 5, seed + 2);
  const topic = await createTopic(3, 'kwc-idle');
  // partitionOf(i, 2) uses partitions 0 and 1 only: partition 2 stays empty.
  await produceEvents(
    topic,
    2,
    events.map((e, index) => ({ e, index })),
  );
  const bounded = StreamExecutionEnvironment.create({ parallelism: 1 });
  const all = bounded
    .fromSource(
      new AlignedKafkaSource<{ ts: number }>({ brokers, topics: topic, stoppingOffsets: 'latest', fetchMaxWaitMs: 50 }),
    )
    .collect();
  const t0 = Date.now();
  await bounded.execute();
  assert.equal(all.get().length, 300);
  assert.ok(Date.now() - t0 < 20_000);
  // Emitted in timestamp-aligned order: never more than the data's own disorder (< 4.9 s) behind the newest.
  let newest = 0;
  for (const e of all.get()) {
    assert.ok(e.ts > newest - 4900, `record at ${e.ts} after one at ${newest}`);
    newest = Math.max(newest, e.ts);
  }
  const unbounded = StreamExecutionEnvironment.create({ parallelism: 1 });
  const got: number[] = [];
  unbounded
    .fromSource(
      new AlignedKafkaSource<{ ts: number }>(
        { brokers, topics: topic, partitionDiscoveryIntervalMs: 0, fetchMaxWaitMs: 50 },
        { idleTimeoutMs: 1000 },
      ),
    )
    .sinkTo({ name: 'probe', createWriter: () => ({ write: (values) => void got.push(...values.map((v) => v.ts)) }) });
  const controller = new AbortController();
  const started = Date.now();
  const job = unbounded.execute('idle', { signal: controller.signal });
  while (got.length < 300 && Date.now() - started < 20_000) await new Promise((r) => setTimeout(r, 20));
  const waited = Date.now() - started;
  controller.abort();
  await job;
  assert.equal(got.length, 300);
  assert.ok(waited >= 1000, `records flowed after ${waited} ms, before the idle timeout`);
});

test('KafkaSource per-partition watermarks: a partition far behind the other loses nothing to lateness', {
  skip,
  timeout: 60_000,
}, async () => {
  const topic = await createTopic(2, 'kwm');
  // Partition 0 holds event times 100–200 s, partition 1 times 0–100 s: one watermark over both would make all of
  // partition 1 late for 10 s windows; per-partition watermarks hold it back until partition 1 catches up.
  const producer = new Producer({ clientId: 'sluice-test', bootstrapBrokers: [brokers] });
  try {
    await producer.send({
      messages: Array.from({ length: 2000 }, (_, i) => {
        const partition = i % 2;
        const ts = (partition === 0 ? 100_000 : 0) + Math.floor(i / 2) * 100;
        return { topic, partition, value: Buffer.from(JSON.stringify({ p: partition, ts })), timestamp: BigInt(ts) };
      }),
    });
  } finally {
    await producer.close();
  }
  for (const perPartition of [true, false]) {
    const env = StreamExecutionEnvironment.create({ parallelism: 1 });
    const source = new KafkaSource<{ p: number; ts: number }>({ brokers, topics: topic, stoppingOffsets: 'latest' });
    // Without per-partition watermarks (the same source behind a plain wrapper) the lagging partition is late.
    const input = perPartition
      ? source
      : { ...source, splitWatermarks: false, createReader: source.createReader.bind(source) };
    const late = new OutputTag<{ p: number; ts: number }>('late');
    const windows = env
      .fromSource(
        input,
        WatermarkStrategies.forBoundedOutOfOrderness<{ p: number; ts: number }>(0).withTimestampAssigner((e) => e.ts),
      )
      .keyBy((e) => e.p)
      .window(TumblingEventTimeWindows.of(10_000))
      .sideOutputLateData(late)
      .aggregate({ createAccumulator: () => 0, add: (_e, n: number) => n + 1, getResult: (n) => n });
    const counted = windows.collect();
    const dropped = windows.getSideOutput(late).collect();
    await env.execute();
    const total = counted.get().reduce((a, b) => a + b, 0);
    if (perPartition) {
      assert.equal(total, 2000, 'every record counted');
      assert.equal(dropped.get().length, 0);
    } else {
      assert.ok(dropped.get().length > 0, 'the control run (one watermark for both partitions) does see late data');
    }
  }
});
