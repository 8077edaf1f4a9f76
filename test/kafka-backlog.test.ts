import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Producer } from '@platformatic/kafka';
import { Packr } from 'msgpackr';
import { RepartitionReader } from '../src/cluster/repartition.js';
import {
  AlignedKafkaSource,
  HybridSource,
  KafkaSource,
  type KafkaSourceOptions,
} from '../src/connectors/kafka/index.js';
import type { PollResult, Source, SourceOutput, SourceReader, SourceReaderContext } from '../src/index.js';
import { sleep } from './fixtures/ckpt-support.js';
import { brokers, createTopic, kafkaSkip } from './fixtures/kafka-support.js';

/**
 * `SourceReader.backlog` of the Kafka readers (the autoscaler's source backlog): the records of the owned partitions
 * between the next offset to emit and the partition's end (high watermark; last stable offset under read_committed),
 * against a real broker as test/kafka.test.ts (skipped without one unless CI=true or SLUICE_KAFKA_TESTS=1).
 */

const skip = await kafkaSkip();

const producers: Producer[] = [];
after(async () => {
  await Promise.allSettled(producers.map((p) => p.close(true)));
});

function producer(transactionalId?: string): Producer {
  const p = new Producer({
    clientId: 'sluice-test',
    bootstrapBrokers: [brokers],
    idempotent: true,
    ...(transactionalId === undefined ? {} : { transactionalId, producerId: -1n, producerEpoch: -1 }),
  });
  producers.push(p);
  return p;
}

/** `count` records, numbered from `from`, spread over `partitions` by number. */
const records = (topic: string, partitions: number, count: number, from = 0) =>
  Array.from({ length: count }, (_, i) => ({
    topic,
    value: Buffer.from(String(from + i)),
    partition: (from + i) % partitions,
  }));

async function produce(topic: string, partitions: number, count: number, from = 0): Promise<void> {
  await producer().send({ messages: records(topic, partitions, count, from) });
}

const ctx = (subtaskIndex = 0, parallelism = 1): SourceReaderContext => ({
  subtaskIndex,
  parallelism,
  reportBadRecord: (b) => {
    throw new Error(b.reason);
  },
});

function reader<T = number>(options: Omit<KafkaSourceOptions<T>, 'brokers' | 'value'>, c = ctx()): SourceReader<T> {
  return new KafkaSource<T>({ brokers, value: 'json', fetchMaxWaitMs: 50, ...options }).createReader(c);
}

/** Polls until `count` more records were emitted (or the reader ended); returns them. */
async function read<T>(r: SourceReader<T>, count: number): Promise<T[]> {
  const got: T[] = [];
  const out: SourceOutput<T> = { collect: (v) => got.push(v) };
  while (got.length < count) {
    const res: PollResult = r.pollNext(out, Math.min(100, count - got.length));
    if (res === 'end') break;
    if (res === 'wait' && got.length < count) await r.available?.();
  }
  return got;
}

/** Waits (without polling: the fetch loop runs on its own) until the backlog is `expected`; returns the last value. */
async function backlogBecomes(r: SourceReader<unknown>, expected: number | undefined, ms = 15_000) {
  const deadline = Date.now() + ms;
  let seen = r.backlog?.();
  while (seen !== expected && Date.now() < deadline) {
    await sleep(20);
    seen = r.backlog?.();
  }
  return seen;
}

test('the backlog is what the owned partitions hold beyond the position: N − read, 0 at the end, growing with new records', {
  skip,
}, async () => {
  const topic = await createTopic(3, 'backlog');
  await produce(topic, 3, 3000);
  const r = reader({ topics: topic });
  await r.open?.();
  try {
    // Starting at the earliest offsets takes no ListOffsets of the ends: unknown until the first fetch.
    assert.equal(r.backlog?.(), undefined);
    void r.available?.(); // starts the fetch loop
    assert.equal(await backlogBecomes(r, 3000), 3000);
    assert.equal((await read(r, 700)).length, 700);
    assert.equal(r.backlog?.(), 2300);
    assert.equal((await read(r, 2300)).length, 2300);
    assert.equal(r.backlog?.(), 0);
    // New records: counted once a fetch has seen the new high watermarks.
    await produce(topic, 3, 250, 3000);
    assert.equal(await backlogBecomes(r, 250), 250);
    assert.equal((await read(r, 100)).length, 100);
    assert.equal(r.backlog?.(), 150);
    await read(r, 150);
    assert.equal(r.backlog?.(), 0);
  } finally {
    await r.close?.();
  }
});

test('each reader counts only its own partitions; together they count every unread record', { skip }, async () => {
  const topic = await createTopic(5, 'backlog-split');
  await produce(topic, 5, 5000);
  const readers = [0, 1].map((i) => reader({ topics: topic, maxBufferedRecords: 300 }, ctx(i, 2)));
  try {
    for (const r of readers) await r.open?.();
    const firsts = [400, 900];
    for (const [i, r] of readers.entries()) assert.equal((await read(r, firsts[i]!)).length, firsts[i]);
    const backlogs = readers.map((r) => r.backlog?.());
    assert.ok(
      backlogs.every((b) => b !== undefined && b > 0),
      `both readers know their backlog: ${backlogs}`,
    );
    assert.equal(backlogs[0]! + backlogs[1]!, 5000 - 1300);
    // A full fetch buffer (300 here) stops fetching, not the count: the ends are known from earlier responses.
    for (const [i, r] of readers.entries()) {
      assert.equal((await read(r, backlogs[i]!)).length, backlogs[i]);
      assert.equal(r.backlog?.(), 0);
    }
  } finally {
    await Promise.allSettled(readers.map((r) => r.close?.()));
  }
});

test('a bounded reader knows its backlog at open (ListOffsets of the stop) and counts nothing past its stop', {
  skip,
}, async () => {
  const topic = await createTopic(2, 'backlog-bounded');
  await produce(topic, 2, 1000);
  const r = reader({ topics: topic, stoppingOffsets: 'latest' });
  await r.open?.();
  try {
    assert.equal(r.backlog?.(), 1000);
    await produce(topic, 2, 500, 1000); // beyond the stopping offsets: not this reader's
    assert.equal((await read(r, 600)).length, 600);
    assert.equal(r.backlog?.(), 400);
    assert.equal((await read(r, 1000)).length, 400);
    assert.equal(r.backlog?.(), 0);
  } finally {
    await r.close?.();
  }
});

test('read_committed: records of an open transaction are not backlog until it commits; read_uncommitted counts them', {
  skip,
}, async () => {
  const topic = await createTopic(1, 'backlog-txn');
  const p = producer(`backlog-${topic}`);
  const tx1 = await p.beginTransaction();
  await tx1.send({ messages: records(topic, 1, 100) });
  await tx1.commit();
  const tx2 = await p.beginTransaction();
  await tx2.send({ messages: records(topic, 1, 40, 100) });
  // Offsets: 0–99 committed, 100 its commit marker, 101–140 the open transaction.
  const committed = reader({ topics: topic });
  const uncommitted = reader({ topics: topic, isolationLevel: 'read_uncommitted' });
  try {
    await committed.open?.();
    await uncommitted.open?.();
    void committed.available?.();
    void uncommitted.available?.();
    // The last stable offset is the open transaction's first offset (the commit marker counts as an offset).
    assert.equal(await backlogBecomes(committed, 101), 101);
    assert.equal(await backlogBecomes(uncommitted, 141), 141);
    assert.equal((await read(committed, 100)).length, 100);
    assert.equal(await backlogBecomes(committed, 0), 0, 'read_committed: nothing readable is left');
    assert.equal((await read(uncommitted, 140)).length, 140);
    assert.equal(uncommitted.backlog?.(), 0);
    await tx2.commit();
    // The commit marker follows the 40 records: the stable offset moves to 142.
    assert.equal(await backlogBecomes(committed, 41), 41);
    assert.deepEqual(
      await read(committed, 40),
      Array.from({ length: 40 }, (_, i) => 100 + i),
    );
    assert.equal(await backlogBecomes(committed, 0), 0);
  } finally {
    await Promise.allSettled([committed.close?.(), uncommitted.close?.()]);
  }
});

test('AlignedKafkaSource: the records it holds back count as backlog', { skip }, async () => {
  const topic = await createTopic(3, 'backlog-aligned');
  await produce(topic, 3, 1500);
  const r = new AlignedKafkaSource<number>(
    { brokers, topics: topic, value: 'json', stoppingOffsets: 'latest', fetchMaxWaitMs: 50 },
    { maxHeldRecords: 400 },
  ).createReader(ctx());
  await r.open?.();
  try {
    assert.equal(r.backlog?.(), 1500);
    assert.equal((await read(r, 500)).length, 500);
    assert.equal(r.backlog?.(), 1000);
    assert.equal((await read(r, 1000)).length, 1000);
    assert.equal(r.backlog?.(), 0);
  } finally {
    await r.close?.();
  }
});

test("HybridSource: the history reader's backlog before the switch, the Kafka reader's after it", {
  skip,
}, async () => {
  const topic = await createTopic(2, 'backlog-hybrid');
  await produce(topic, 2, 600);
  // A history of 5 records that knows its backlog.
  const history: Source<number> = {
    name: 'history',
    boundedness: 'bounded',
    createReader: () => {
      let next = 0;
      return {
        pollNext(out, max) {
          for (let k = 0; k < max && next < 5; k++) out.collect(next++, 0);
          return next < 5 ? 'more' : 'end';
        },
        backlog: () => 5 - next,
      };
    },
  };
  const r = new HybridSource<number, Buffer | null, number>({
    history,
    historyTimestamp: () => 0,
    kafka: { brokers, topics: topic, value: 'json', fetchMaxWaitMs: 50 },
    start: { afterTimestamp: 0 },
  }).createReader(ctx());
  await r.open?.();
  try {
    assert.equal(r.backlog?.(), 5);
    assert.deepEqual(await read(r, 3), [0, 1, 2]);
    assert.equal(r.backlog?.(), 2);
    assert.equal((await read(r, 2)).length, 2);
    assert.equal((await read(r, 100)).length, 100); // the switch, then Kafka records
    assert.equal(await backlogBecomes(r, 500), 500);
    assert.equal((await read(r, 500)).length, 500);
    assert.equal(r.backlog?.(), 0);
  } finally {
    await r.close?.();
  }
});

test('a repartition reader scales the Kafka backlog by the records per Kafka record read so far', async () => {
  const packr = new Packr({ useRecords: false, moreTypes: true, int64AsType: 'bigint' });
  const envelopes = [packr.pack([0, 0, [1, 2, 3, 4], [1, 2, 3, 4]])];
  let kafkaBacklog: number | undefined;
  const inner: SourceReader<Buffer> = {
    pollNext(out) {
      for (const e of envelopes.splice(0)) out.collect(e);
      return 'wait';
    },
    backlog: () => kafkaBacklog,
  };
  const r = new RepartitionReader<number>(inner, {
    brokers,
    topic: { name: 't', partitions: 1, origins: 1 },
    partition: 0,
    bounded: false,
  });
  assert.equal(r.backlog(), undefined);
  kafkaBacklog = 10;
  assert.equal(r.backlog(), 10); // no record envelope read yet: one record each
  r.pollNext({ collect: () => {} }, 100);
  // Running average 1 + (4 − 1) / 8 records per Kafka record.
  assert.equal(r.backlog(), Math.round(10 * (1 + 3 / 8)));
});
