import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Admin, Producer } from '@platformatic/kafka';
import {
  KafkaSink,
  KafkaSource,
  type KafkaSourceOptions,
  type KafkaSourceState,
  partitionOwner,
} from '../src/connectors/kafka/index.js';
import {
  type Collector,
  DEAD_LETTER_TAG,
  type ProcessContext,
  type SinkWriterContext,
  type SourceReader,
  type SourceReaderContext,
  StreamExecutionEnvironment,
} from '../src/index.js';
import {
  describeExit,
  type Exit,
  SluiceProcess,
  seededRandom,
  sleep,
  waitForCheckpointInFlight,
} from './fixtures/ckpt-support.js';
import { brokers, hasKcat, kafkaSkip } from './fixtures/kafka-support.js';

/**
 * The Kafka connectors against a real single-node broker on 127.0.0.1:${KAFKA_PORT:-9092}, started beforehand
 * with `bash scripts/kafka.sh start`. Results are read back with Debian's kcat (an independent client) where it is
 * installed. Without a broker the tests are skipped, unless CI=true or SLUICE_KAFKA_TESTS=1 demand them.
 * Every test uses topics of its own (unique names), so reruns against the same broker do not interfere.
 */

const run = `t${Date.now().toString(36)}${process.pid.toString(36)}`;
const dir = mkdtempSync(join(tmpdir(), 'sluice-kafka-'));
const skip = await kafkaSkip();
const up = skip === false;

let admin: Admin;
before(() => {
  if (up) admin = new Admin({ clientId: 'sluice-test', bootstrapBrokers: [brokers] });
});
after(async () => {
  await admin?.close();
});

let topicCount = 0;
async function createTopic(partitions: number): Promise<string> {
  const name = `${run}-${++topicCount}`;
  await admin.createTopics({ topics: [name], partitions, replicas: 1 });
  return name;
}

interface Produced {
  key?: string;
  value: string;
  partition?: number;
  timestamp?: number;
}

/** Produces with the client (when timestamps or partitions matter), in order. */
async function produce(topic: string, records: readonly Produced[]): Promise<void> {
  const p = new Producer({ clientId: 'sluice-test', bootstrapBrokers: [brokers], idempotent: true });
  try {
    for (let i = 0; i < records.length; i += 5000) {
      await p.send({
        messages: records.slice(i, i + 5000).map((r) => ({
          topic,
          value: Buffer.from(r.value),
          ...(r.key === undefined ? {} : { key: Buffer.from(r.key) }),
          ...(r.partition === undefined ? {} : { partition: r.partition }),
          ...(r.timestamp === undefined ? {} : { timestamp: BigInt(r.timestamp) }),
        })),
      });
    }
  } finally {
    await p.close();
  }
}

/** Produces `key\tvalue` lines with kcat (idempotent, so each key's records stay in order); else with the client. */
async function produceKeyed(topic: string, records: readonly { key: string; value: string }[]): Promise<void> {
  if (!hasKcat) return produce(topic, records);
  execFileSync(
    'kcat',
    ['-P', '-b', brokers, '-t', topic, '-K', '\t', '-X', 'enable.idempotence=true', '-X', 'linger.ms=5'],
    { input: `${records.map((r) => `${r.key}\t${r.value}`).join('\n')}\n`, maxBuffer: 1 << 28 },
  );
}

/** Every value of a topic that a read_committed consumer sees (kcat if installed, else a bounded KafkaSource). */
async function readCommitted(topic: string): Promise<string[]> {
  if (hasKcat) {
    const out = execFileSync(
      'kcat',
      ['-C', '-b', brokers, '-t', topic, '-e', '-q', '-X', 'isolation.level=read_committed', '-f', '%s\n'],
      { maxBuffer: 1 << 28, timeout: 60_000 },
    ).toString('utf8');
    return out.split('\n').filter((l) => l !== '');
  }
  return readWithSource(topic);
}

/** Every value of a topic, read by a bounded read_committed KafkaSource. */
async function readWithSource(topic: string): Promise<string[]> {
  const env = StreamExecutionEnvironment.create({ parallelism: 2 });
  const h = env
    .fromSource(new KafkaSource<string>({ brokers, topics: topic, value: 'string', stoppingOffsets: 'latest' }))
    .collect();
  await env.execute();
  return h.get();
}

const sorted = (xs: readonly string[]) => [...xs].sort();

test('partitions are spread evenly over readers, deterministically', () => {
  for (const p of [1, 2, 3, 5]) {
    const counts = new Array<number>(p).fill(0);
    for (let partition = 0; partition < 12; partition++) counts[partitionOwner('events', partition, p)]!++;
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `p=${p}: ${counts}`);
  }
  assert.equal(partitionOwner('events', 7, 3), partitionOwner('events', 7, 3));
});

test('a bounded KafkaSource reads every record once, with its Kafka timestamp, at parallelism 3', {
  skip,
}, async () => {
  const topic = await createTopic(5);
  const base = Date.UTC(2026, 0, 1);
  const records = Array.from({ length: 3000 }, (_, i) => ({
    value: JSON.stringify({ i }),
    partition: i % 5,
    timestamp: base + i * 7,
  }));
  await produce(topic, records);
  const env = StreamExecutionEnvironment.create({ parallelism: 3 });
  const h = env
    .fromSource(new KafkaSource<{ i: number }>({ brokers, topics: [topic], stoppingOffsets: 'latest' }))
    .process({
      processElement(v: { i: number }, ctx: ProcessContext, out: Collector<[number, number | undefined]>) {
        out.collect([v.i, ctx.timestamp()]);
      },
    })
    .collect();
  await env.execute();
  const got = h.get().sort((a, b) => a[0] - b[0]);
  assert.equal(got.length, 3000);
  for (const [i, ts] of got) assert.equal(ts, base + i * 7, `timestamp of record ${i}`);
  assert.deepEqual(
    got.map(([i]) => i),
    records.map((_, i) => i),
  );
});

test('starting offsets: latest, timestamp, specific offsets, committed; map sees key and headers', {
  skip,
}, async () => {
  const topic = await createTopic(2);
  const base = Date.UTC(2026, 0, 1);
  await produce(
    topic,
    Array.from({ length: 100 }, (_, i) => ({
      key: `k${i}`,
      value: String(i),
      partition: i % 2,
      timestamp: base + i * 1000,
    })),
  );
  const read = async (options: Partial<KafkaSourceOptions<string, string, string>>) => {
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    const h = env
      .fromSource(
        new KafkaSource<string, string, string>({
          brokers,
          topics: topic,
          value: 'string',
          key: 'string',
          stoppingOffsets: 'latest',
          map: (r) => `${r.key}=${r.value}@${r.partition}/${r.offset}`,
          ...options,
        }),
      )
      .collect();
    await env.execute();
    return h.get().sort();
  };
  assert.deepEqual(await read({ startingOffsets: 'latest' }), []);
  const fromTs = await read({ startingOffsets: { timestamp: base + 90_000 } });
  assert.deepEqual(
    fromTs,
    sorted(Array.from({ length: 10 }, (_, j) => 90 + j).map((i) => `k${i}=${i}@${i % 2}/${i >> 1}`)),
  );
  const specific = await read({
    startingOffsets: { offsets: [{ topic, partition: 0, offset: 48 }] },
    startingOffsetsFallback: 'latest',
  });
  assert.deepEqual(specific, ['k96=96@0/48', 'k98=98@0/49']);
  // Committed offsets: a group that committed 45 on partition 1 (none on partition 0: the fallback, earliest).
  const group = `${topic}-group`;
  await admin.alterConsumerGroupOffsets({
    groupId: group,
    topics: [{ name: topic, partitionOffsets: [{ partition: 1, offset: 45n }] }],
  });
  const committed = await read({ startingOffsets: 'committed', groupId: group, commitOffsets: false });
  assert.equal(committed.length, 50 + 5);
  assert.ok(committed.includes('k91=91@1/45') && !committed.includes('k89=89@1/44'));
});

test('bad records go to the dead-letter output; valid ones go on', { skip }, async () => {
  const topic = await createTopic(1);
  await produce(topic, [{ value: '{"n":1}' }, { value: 'not json' }, { value: '{"n":2}' }]);
  const env = StreamExecutionEnvironment.create();
  const source = env.fromSource(new KafkaSource<{ n: number }>({ brokers, topics: topic, stoppingOffsets: 'latest' }));
  const dead = source.getSideOutput(DEAD_LETTER_TAG).collect();
  const good = source.collect();
  await env.execute();
  assert.deepEqual(
    good.get().map((r) => r.n),
    [1, 2],
  );
  assert.equal(dead.get().length, 1);
  assert.match(JSON.stringify(dead.get()[0]), /offset 1/);
});

test('fields: JSON values are decoded to just the named fields; bad ones still go to the dead-letter output', {
  skip,
}, async () => {
  const topic = await createTopic(2);
  await produce(topic, [
    { value: '{"user":"a","amount":3,"note":"long text the job never reads","tags":[1,2]}' },
    { value: '{"amount":4, "user" : "b"}' },
    { value: '{"user":"c","amount":' },
    { value: '{"user":"d\\u00e9","amount":-1.5}' },
  ]);
  const env = StreamExecutionEnvironment.create({ parallelism: 2 });
  const source = env.fromSource(
    new KafkaSource<{ user: string; amount: number }>({
      brokers,
      topics: topic,
      stoppingOffsets: 'latest',
      fields: { user: true, amount: true },
    }),
  );
  const dead = source.getSideOutput(DEAD_LETTER_TAG).collect();
  const good = source.collect();
  await env.execute();
  assert.deepEqual(
    good.get().sort((x, y) => x.user.localeCompare(y.user)),
    [
      { user: 'a', amount: 3 },
      { user: 'b', amount: 4 },
      { user: 'd\u00e9', amount: -1.5 },
    ],
  );
  assert.equal(dead.get().length, 1);
  assert.match(dead.get()[0]!.reason, /Unexpected end of JSON input/);
});

/** Polls a reader until it ends, or until `limit` records were emitted. */
async function drain<T>(
  reader: SourceReader<T>,
  into: T[],
  limit = Number.POSITIVE_INFINITY,
): Promise<'end' | 'limit'> {
  const out = { collect: (v: T) => into.push(v) };
  for (;;) {
    const r = reader.pollNext(out, Math.min(100, limit - into.length));
    if (r === 'end') return 'end';
    if (into.length >= limit) return 'limit';
    if (r === 'wait') await reader.available!();
  }
}

test('reader positions restore at another parallelism: nothing lost, nothing twice', { skip }, async () => {
  const topic = await createTopic(6);
  await produce(
    topic,
    Array.from({ length: 6000 }, (_, i) => ({ value: String(i), partition: i % 6 })),
  );
  const source = new KafkaSource<number>({
    brokers,
    topics: topic,
    stoppingOffsets: 'latest',
    maxBufferedRecords: 500,
  });
  const ctx = (subtaskIndex: number, parallelism: number): SourceReaderContext => ({
    subtaskIndex,
    parallelism,
    reportBadRecord: (b) => {
      throw new Error(b.reason);
    },
  });
  // First run: two readers each emit some records, then "fail" after a snapshot.
  const first: number[] = [];
  const states: KafkaSourceState[] = [];
  for (const i of [0, 1]) {
    const reader = source.createReader(ctx(i, 2));
    await reader.open?.();
    assert.equal(await drain(reader, first, first.length + 700 + i * 300), 'limit');
    states.push(reader.snapshotState!() as KafkaSourceState);
    await reader.close?.();
  }
  // Restored at parallelism 3 from both states.
  const second: number[] = [];
  for (const i of [0, 1, 2]) {
    const reader = source.createReader(ctx(i, 3));
    await reader.open?.();
    reader.restoreState!(states);
    assert.equal(await drain(reader, second), 'end');
    await reader.close?.();
  }
  const all = [...first, ...second].sort((a, b) => a - b);
  assert.equal(first.length, 1700);
  assert.deepEqual(
    all,
    Array.from({ length: 6000 }, (_, i) => i),
  );
});

test('exactly-once writer: recovery commits the restored transactions, aborts the rest, fences the zombie', {
  skip,
}, async () => {
  const topic = await createTopic(2);
  const prefix = `${topic}-tx`;
  const sink = new KafkaSink<{ i: number }>({
    brokers,
    topic,
    delivery: 'exactly-once',
    transactionalIdPrefix: prefix,
  });
  const ctx: SinkWriterContext = { subtaskIndex: 0, parallelism: 1, executionId: 'a', exactlyOnce: true };
  const records = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => ({ i: from + k }));
  const write = (w: ReturnType<typeof sink.createWriter>, from: number, to: number) => {
    const values = records(from, to);
    return w.write(
      values,
      values.map(() => Date.now()),
    );
  };
  const a = sink.createWriter(ctx);
  await a.open?.();
  await a.recover!([], []);
  await write(a, 0, 100);
  const c1 = await a.prepareCommit!(1);
  await write(a, 100, 200);
  const c2 = await a.prepareCommit!(2);
  await a.commit!([c1]);
  await write(a, 200, 300); // after checkpoint 2: must be discarded
  const aState = a.snapshotState!();
  // "Crash": checkpoint 2 completed but its commit never happened; the writer is abandoned, not closed.
  const b = sink.createWriter({ ...ctx, executionId: 'b' });
  await b.open?.();
  await b.recover!([c2], [aState]);
  await write(b, 300, 350);
  const c3 = await b.prepareCommit!(3);
  await b.commit!([c3]);
  await b.commit!([c2]); // committing again is harmless
  // The zombie cannot commit what it wrote after the checkpoint.
  const c4 = await a.prepareCommit!(4);
  await assert.rejects(Promise.resolve(a.commit!([c4])), /fenced|epoch|PRODUCER_FENCED|INVALID_PRODUCER_EPOCH/i);
  await a.close?.();
  await b.close?.();
  const got = (await readCommitted(topic)).map((l) => (JSON.parse(l) as { i: number }).i).sort((x, y) => x - y);
  assert.deepEqual(
    got,
    [...records(0, 200), ...records(300, 350)].map((r) => r.i),
  );
});

test('an unbounded KafkaSource waits for new records and stops when the job is cancelled', { skip }, async () => {
  const topic = await createTopic(2);
  await produce(topic, [{ value: '{"i":0}', partition: 0 }]);
  const env = StreamExecutionEnvironment.create({ parallelism: 2 });
  const got: number[] = [];
  env
    .fromSource(new KafkaSource<{ i: number }>({ brokers, topics: topic, partitionDiscoveryIntervalMs: 0 }))
    .sinkTo({ name: 'probe', createWriter: () => ({ write: (values) => void got.push(...values.map((v) => v.i)) }) });
  const controller = new AbortController();
  const job = env.execute('unbounded', { signal: controller.signal });
  const deadline = Date.now() + 20_000;
  while (got.length < 1 && Date.now() < deadline) await sleep(20);
  await produce(
    topic,
    Array.from({ length: 100 }, (_, k) => ({ value: JSON.stringify({ i: k + 1 }), partition: k % 2 })),
  );
  while (got.length < 101 && Date.now() < deadline) await sleep(20);
  controller.abort();
  const result = await job;
  assert.equal(result.cancelled, true);
  assert.deepEqual(
    got.sort((a, b) => a - b),
    Array.from({ length: 101 }, (_, i) => i),
  );
});

test('a job reads a topic and writes it with the at-least-once sink', { skip }, async () => {
  const input = await createTopic(3);
  const output = await createTopic(2);
  await produceKeyed(
    input,
    Array.from({ length: 2000 }, (_, i) => ({ key: `k${i % 11}`, value: JSON.stringify({ i }) })),
  );
  const env = StreamExecutionEnvironment.create({ parallelism: 2 });
  env
    .fromSource(new KafkaSource<{ i: number }>({ brokers, topics: input, stoppingOffsets: 'latest' }))
    .map((r) => ({ j: r.i * 2 }))
    .sinkTo(new KafkaSink<{ j: number }>({ brokers, topic: output, key: (r) => String(r.j % 7) }));
  await env.execute();
  const got = (await readCommitted(output)).map((l) => (JSON.parse(l) as { j: number }).j).sort((x, y) => x - y);
  assert.deepEqual(
    got,
    Array.from({ length: 2000 }, (_, i) => i * 2),
  );
});

test('Kafka → keyed state → exactly-once Kafka survives SIGKILLs: read_committed sees every result once', {
  skip,
  timeout: 150_000,
}, async (t) => {
  const seed = Number(process.env.SLUICE_CRASH_SEED ?? 4242);
  const random = seededRandom(seed);
  const input = await createTopic(4);
  const output = await createTopic(3);
  const users = 13;
  const count = 24_000;
  const events = Array.from({ length: count }, (_, id) => ({ id, user: `u${(id * 7) % users}` }));
  await produceKeyed(
    input,
    events.map((e) => ({ key: e.user, value: JSON.stringify(e) })),
  );
  // Each user's events are in one partition, in id order: the n-th event of a user gets number n.
  const seen = new Map<string, number>();
  const expected = events.map((e) => {
    const n = (seen.get(e.user) ?? 0) + 1;
    seen.set(e.user, n);
    return `${e.user}/${n}/${e.id}`;
  });
  const ck = join(dir, 'crash-ck');
  const command = [
    'run',
    'test/fixtures/kafka-pipeline-job.ts',
    '-p',
    '2',
    '--batch-size',
    '64',
    '--checkpoint-dir',
    ck,
    '--checkpoint-interval',
    '100',
    '-v',
    '--',
    '--brokers',
    brokers,
    '--input',
    input,
    '--output',
    output,
    '--prefix',
    `${output}-tx`,
    '--pause-every',
    '4',
  ];
  const normalise = (lines: string[]) =>
    lines.map((l) => {
      const r = JSON.parse(l) as { user: string; n: number; id: number };
      return `${r.user}/${r.n}/${r.id}`;
    });
  const tag = `[SLUICE_CRASH_SEED=${seed}]`;
  const plannedKills = 4;
  let kills = 0;
  const log: string[] = [];
  for (let attempt = 1; ; attempt++) {
    assert.ok(attempt <= plannedKills + 4, `${tag}: no clean exit after ${attempt - 1} attempts:\n${log.join('\n')}`);
    const p = new SluiceProcess(command, 90_000);
    let what = 'ran to the end';
    if (kills < plannedKills) {
      if (attempt === 3) {
        // During start-up / restore: before (or at) the first checkpoint of this attempt.
        const delay = Math.round(200 + random() * 600);
        await p.waitUntil(() => p.completedCheckpoints().length > 0, delay);
        what = `early kill (${delay} ms)`;
      } else {
        const checkpoints = attempt === 1 ? 1 : 2;
        await p.waitUntil(() => p.completedCheckpoints().length >= checkpoints, 60_000);
        if (attempt === 2) {
          // While a checkpoint is in flight: the sink has pre-committed (flushed) its transaction, which is not
          // committed yet and must be aborted by the next run.
          const caught = await waitForCheckpointInFlight(ck, 400, () => p.exit !== undefined);
          what = caught ? 'kill during a checkpoint in flight' : 'kill 400 ms after checkpoint #2';
        } else {
          const delay = Math.round(random() * 150);
          await sleep(delay);
          what = `kill ${delay} ms after checkpoint #${checkpoints}`;
        }
      }
    }
    let killed = false;
    if (p.exit === undefined && kills < plannedKills) {
      await p.kill();
      killed = p.exit!.signal === 'SIGKILL' && !p.timedOut;
    }
    const e: Exit = await p.exited;
    assert.ok(!p.timedOut, `${tag}: attempt ${attempt} hung\n${describeExit(e)}`);
    log.push(`attempt ${attempt}: ${killed ? what : `exit ${e.code}`}; checkpoints [${p.completedCheckpoints()}]`);
    if (killed) kills++;
    else assert.equal(e.code, 0, `${tag}: attempt ${attempt} failed\n${describeExit(e)}`);
    assert.doesNotMatch(e.stderr, /error:|warning: checkpoint/, `${tag}: attempt ${attempt}\n${describeExit(e)}`);
    if (attempt > 1 && !killed) assert.match(e.stderr, /^restoring from checkpoint \d+ /m, describeExit(e));
    // What is committed so far is never wrong and never twice.
    const now = normalise(await readCommitted(output));
    assert.equal(new Set(now).size, now.length, `${tag}: duplicates visible after attempt ${attempt}`);
    const allowed = new Set(expected);
    assert.deepEqual(
      now.filter((l) => !allowed.has(l)).slice(0, 5),
      [],
      `${tag}: wrong records after attempt ${attempt}`,
    );
    if (!killed) break;
  }
  for (const line of log) t.diagnostic(line);
  assert.ok(kills >= 1, `${tag}: the job finished before it could be killed:\n${log.join('\n')}`);
  const got = normalise(await readCommitted(output));
  assert.equal(got.length, expected.length, `${tag}: wrong number of committed results`);
  assert.deepEqual(sorted(got), sorted(expected), `${tag}: committed results differ from the reference`);
  // The output topic holds aborted transactions: KafkaSource's read_committed filtering must skip them too.
  assert.deepEqual(sorted(normalise(await readWithSource(output))), sorted(expected), `${tag}: KafkaSource read`);
});

test('readers commit their positions to the group when a checkpoint completes (monitoring), the last at the end', {
  skip,
  timeout: 60_000,
}, async () => {
  const topic = await createTopic(2);
  await produce(
    topic,
    Array.from({ length: 300 }, (_, i) => ({ value: JSON.stringify({ n: i }), partition: i % 2 })),
  );
  const group = `${topic}-monitor`;
  const env = StreamExecutionEnvironment.create({ parallelism: 2 });
  env.enableCheckpointing(50, join(dir, 'ck-monitor'));
  const seen = env
    .fromSource(new KafkaSource<{ n: number }>({ brokers, topics: topic, stoppingOffsets: 'latest', groupId: group }))
    .collect();
  await env.execute();
  assert.equal(seen.get().length, 300);
  const [offsets] = await admin.listConsumerGroupOffsets({ groups: [group] });
  const committed = new Map(
    (offsets?.topics ?? []).flatMap((t) =>
      t.partitions.map((p) => [`${t.name}:${p.partitionIndex}`, p.committedOffset]),
    ),
  );
  assert.deepEqual([...committed].sort(), [
    [`${topic}:0`, 150n],
    [`${topic}:1`, 150n],
  ]);
});
