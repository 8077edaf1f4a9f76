import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Admin, API, Connection, Producer } from '@platformatic/kafka';
import { type KafkaLib, loadKafka, protocolErrorIds } from '../src/connectors/kafka/client.js';
import { KafkaSource } from '../src/connectors/kafka/index.js';
import { negotiateApi } from '../src/connectors/kafka/protocol-api.js';
import { TransactionAdmin } from '../src/connectors/kafka/transaction-admin.js';
import { StreamExecutionEnvironment } from '../src/index.js';
import { brokers, createTopic, kafkaSkip } from './fixtures/kafka-support.js';

/**
 * The contract between Sluice and @platformatic/kafka: the parts of the client that Sluice's exactly-once sink, its
 * source and its cluster mode rely on beyond the documented clients (docs/KAFKA.md, "The client surface Sluice relies
 * on"), checked by name and shape and, against a real broker, by behaviour. A client upgrade that breaks one of them
 * fails here with the part and the code that needs it named, instead of as lost or doubled output.
 */

const lib: KafkaLib = await loadKafka();
const installed = (
  JSON.parse(
    readFileSync(
      join(dirname(createRequire(import.meta.url).resolve('@platformatic/kafka')), '..', 'package.json'),
      'utf8',
    ),
  ) as { version: string }
).version;
const client = `@platformatic/kafka ${installed}`;

/** Exported protocol API modules Sluice sends requests with: export name, Kafka API key, version, user. */
const PROTOCOL_APIS: readonly [keyof KafkaLib, number, number, string][] = [
  ['apiVersionsV3', 18, 3, 'protocol-api.ts (version negotiation)'],
  ['endTxnV3', 26, 3, 'transaction-admin.ts (committing a restored transaction)'],
  ['endTxnV4', 26, 4, 'transaction-admin.ts (committing a restored transaction)'],
  ['initProducerIdV3', 22, 3, 'transaction-admin.ts (fencing)'],
  ['initProducerIdV4', 22, 4, 'transaction-admin.ts (fencing)'],
  ['initProducerIdV5', 22, 5, 'transaction-admin.ts (fencing)'],
  ['listTransactionsV0', 66, 0, 'transaction-admin.ts (recovery)'],
  ['fetchV13', 1, 13, 'kafka-source-reader.ts'],
  ['fetchV14', 1, 14, 'kafka-source-reader.ts'],
  ['fetchV15', 1, 15, 'kafka-source-reader.ts'],
  ['fetchV16', 1, 16, 'kafka-source-reader.ts'],
  ['fetchV17', 1, 17, 'kafka-source-reader.ts'],
  ['joinGroupV6', 11, 6, 'cluster/group-membership.ts'],
  ['joinGroupV7', 11, 7, 'cluster/group-membership.ts'],
  ['joinGroupV8', 11, 8, 'cluster/group-membership.ts'],
  ['joinGroupV9', 11, 9, 'cluster/group-membership.ts'],
  ['syncGroupV4', 14, 4, 'cluster/group-membership.ts'],
  ['syncGroupV5', 14, 5, 'cluster/group-membership.ts'],
  ['heartbeatV4', 12, 4, 'cluster/group-membership.ts'],
  ['leaveGroupV4', 13, 4, 'cluster/group-membership.ts'],
  ['leaveGroupV5', 13, 5, 'cluster/group-membership.ts'],
];

test('the client exports each protocol API version Sluice sends, with its key, version and both call forms', () => {
  for (const [name, key, version, user] of PROTOCOL_APIS) {
    const api = (lib[name] as { api?: { (...a: unknown[]): void; async?: unknown; key?: unknown; version?: unknown } })
      ?.api;
    const what = `${client}: export ${name}.api (Kafka API key ${key} v${version}), used by src/…/${user}`;
    assert.equal(typeof api, 'function', `${what}, is missing`);
    assert.equal(typeof api!.async, 'function', `${what}, has no async form`);
    assert.equal(api!.key, key, `${what}, has another API key`);
    assert.equal(api!.version, version, `${what}, has another version`);
  }
});

const skip = await kafkaSkip();
const up = skip === false;
let admin: Admin;
let connection: Connection;
let txAdmin: TransactionAdmin;
const producers: Producer[] = [];
before(async () => {
  if (!up) return;
  admin = new lib.Admin({ clientId: 'sluice-contract', bootstrapBrokers: [brokers] });
  const connections = await admin.connectToBrokers();
  connection = [...connections.values()][0]!;
  txAdmin = new TransactionAdmin(lib, [brokers], 'sluice-contract-txn');
});
after(async () => {
  await Promise.allSettled(producers.map((p) => p.close(true)));
  await txAdmin?.close();
  await admin?.close();
});

/** A transactional producer as the exactly-once sink creates one for each transaction (kafka-sink-writer.ts). */
function transactionalProducer(transactionalId: string): Producer {
  const p = new lib.Producer({
    clientId: 'sluice-contract',
    bootstrapBrokers: [brokers],
    idempotent: true,
    transactionalId,
    producerId: -1n,
    producerEpoch: -1,
    timeout: 60_000,
    retries: 400,
    retryDelay: 50,
  });
  producers.push(p);
  return p;
}

const bytes = (s: string) => Buffer.from(s, 'utf8');

/**
 * The values a bounded KafkaSource reads at read_committed, up to the last stable offset when it starts. The broker
 * writes a commit's markers after EndTxn has answered, so a read right after a commit may end below the last
 * transaction: read again (a new start sees a newer stable offset) until `atLeast` values came, at most 20 times.
 */
async function readCommittedValues(topic: string, atLeast: number): Promise<string[]> {
  for (let attempt = 1; ; attempt++) {
    const env = StreamExecutionEnvironment.create({ parallelism: 1 });
    const h = env
      .fromSource(new KafkaSource<string>({ brokers, topics: topic, value: 'string', stoppingOffsets: 'latest' }))
      .collect();
    await env.execute();
    const values = h.get();
    if (values.length >= atLeast || attempt === 20) return values;
  }
}

test('version negotiation: ApiVersions answers per API key, and the broker takes a version of every API Sluice sends', {
  skip,
}, async () => {
  const versions = await lib.apiVersionsV3.api.async(connection, 'sluice', '1');
  const fetch = versions.apiKeys.find((k) => k.apiKey === 1);
  assert.ok(
    fetch !== undefined && typeof fetch.minVersion === 'number' && typeof fetch.maxVersion === 'number',
    `${client}: ApiVersions v3 answers { apiKeys: [{ apiKey, minVersion, maxVersion }] } (protocol-api.ts)`,
  );
  // Every API once, with all the versions Sluice can send of it (the first test checked each export's shape).
  const byKey = new Map<number, API<unknown[], unknown>[]>();
  for (const [name, key] of PROTOCOL_APIS) {
    byKey.set(key, [...(byKey.get(key) ?? []), (lib[name] as { api: API<unknown[], unknown> }).api]);
  }
  for (const [key, candidates] of byKey) {
    const chosen = await negotiateApi(lib, connection, `API ${key}`, candidates);
    assert.ok(candidates.includes(chosen), `API key ${key}: negotiated one of the candidates`);
  }
  // A version the broker does not take is refused before anything is sent, naming both sides.
  const future: API<[], undefined> = Object.assign(() => {}, { async: async () => undefined, key: 26, version: 99 });
  await assert.rejects(negotiateApi(lib, connection, 'EndTxn', [future]), {
    name: 'UnsupportedApiError',
    message:
      /^the Kafka broker does not support a usable version of EndTxn: Sluice sends versions 99, the broker accepts \d+–\d+$/,
  });
});

test('the sink: a producer per transaction gets a new epoch from beginTransaction (producerId -1n, epoch -1), its getters tell it, EndTxn from another client commits it, an older epoch is fenced', {
  skip,
}, async () => {
  const topic = await createTopic(1, 'contract-txn');
  const id = `contract-${topic}`;
  const first = transactionalProducer(id);
  const tx1 = await first.beginTransaction();
  const epoch1 = { producerId: first.producerId, producerEpoch: first.producerEpoch };
  assert.equal(typeof epoch1.producerId, 'bigint', `${client}: Producer#producerId after beginTransaction`);
  assert.equal(typeof epoch1.producerEpoch, 'number', `${client}: Producer#producerEpoch after beginTransaction`);
  await tx1.send({ messages: [{ topic, value: bytes('aborted by the next producer') }] });
  const open = (await txAdmin.listTransactions()).find((t) => t.transactionalId === id);
  assert.equal(open?.state, 'Ongoing', `${client}: ListTransactions v0 names an open transaction 'Ongoing'`);

  // A second producer on the same id: a new epoch of the same producer id, which aborts the first one's transaction.
  const second = transactionalProducer(id);
  const tx2 = await second.beginTransaction();
  assert.equal(second.producerId, epoch1.producerId, 'the transactional id keeps its producer id');
  assert.ok(
    second.producerEpoch! > epoch1.producerEpoch!,
    `${client}: beginTransaction with producerId -1n/epoch -1 bumps the epoch (${epoch1.producerEpoch} → ` +
      `${second.producerEpoch}); kafka-sink-writer.ts needs a new epoch per transaction`,
  );
  await tx2.send({ messages: [{ topic, value: bytes('committed by another client') }] });

  // Committed by another client (as recovery after a crash does) with the id, producer id and epoch.
  assert.equal(
    await txAdmin.endTransaction(id, second.producerId!, second.producerEpoch!, true),
    'done',
    'EndTxn with the current epoch commits',
  );
  assert.equal(
    await txAdmin.endTransaction(id, epoch1.producerId!, epoch1.producerEpoch!, true),
    'fenced',
    `${client}: EndTxn with an older epoch fails with an error whose apiId is PRODUCER_FENCED or INVALID_PRODUCER_EPOCH`,
  );
  // The coordinator answers EndTxn in PrepareCommit and moves on once the markers are written: poll for that.
  let done = (await txAdmin.listTransactions()).find((t) => t.transactionalId === id);
  for (let i = 0; i < 500 && done?.state === 'PrepareCommit'; i++) {
    await new Promise((r) => setTimeout(r, 10));
    done = (await txAdmin.listTransactions()).find((t) => t.transactionalId === id);
  }
  assert.equal(done?.state, 'CompleteCommit', `${client}: ListTransactions v0 names a committed one 'CompleteCommit'`);
  assert.deepEqual(await readCommittedValues(topic, 1), ['committed by another client']);
});

test('the source: Fetch v13+ at READ_COMMITTED lists aborted transactions and keeps their batches, in the shape the reader decodes', {
  skip,
}, async () => {
  const topic = await createTopic(1, 'contract-fetch');
  const id = `contract-${topic}`;
  const p = transactionalProducer(id);
  const aborted = await p.beginTransaction();
  await aborted.send({
    messages: [{ topic, partition: 0, value: bytes('x'), headers: new Map([[bytes('h'), bytes('v')]]) }],
  });
  await aborted.abort();
  const committed = await p.beginTransaction();
  await committed.send({ messages: [{ topic, partition: 0, key: bytes('k'), value: bytes('y') }] });
  await committed.commit();
  // More aborted and committed transactions of the same producer id in the same partition. The client's own
  // read_committed filter (Consumer.fetch) keeps one range per producer id, from the last aborted transaction's
  // first offset to the last abort marker: alone it would let 'x' and 'x2' through. The reader's filter must not.
  for (const n of [2, 3]) {
    const a = await p.beginTransaction();
    await a.send({ messages: [{ topic, partition: 0, value: bytes(`x${n}`) }] });
    await a.abort();
    const c = await p.beginTransaction();
    await c.send({ messages: [{ topic, partition: 0, value: bytes(`y${n}`) }] });
    await c.commit();
  }

  const metadata = await admin.metadata({ topics: [topic] });
  const topicId = metadata.topics.get(topic)!.id;
  const leader = metadata.topics.get(topic)!.partitions[0]!.leader;
  const leaderConnection = (await admin.connectToBrokers([leader])).get(leader)!;
  const versions = [lib.fetchV17.api, lib.fetchV16.api, lib.fetchV15.api, lib.fetchV14.api, lib.fetchV13.api];
  const fetch = await negotiateApi(lib, leaderConnection, 'Fetch', versions);
  const partitions = (fetchOffset: bigint) => [
    {
      topicId,
      partitions: [
        { partition: 0, fetchOffset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1 },
      ],
    },
  ];
  // The broker writes a commit's markers after EndTxn has answered: until they are written the last transaction is
  // above the last stable offset, and a READ_COMMITTED fetch stops below it. Fetch again (the broker waits up to
  // 500 ms for data each time) until the whole log is stable.
  let response = await fetch.async(leaderConnection, 500, 1, 1 << 20, 1, 0, -1, partitions(0n), [], '');
  for (let i = 0; i < 40 && (response.responses[0]!.partitions[0]!.records ?? []).length < 12; i++) {
    response = await fetch.async(leaderConnection, 500, 1, 1 << 20, 1, 0, -1, partitions(0n), [], '');
  }
  const pr = response.responses[0]!.partitions[0]!;
  assert.equal(response.responses[0]!.topicId, topicId, `${client}: Fetch answers name topics by id`);
  assert.equal(pr.partitionIndex, 0);
  assert.equal(pr.errorCode, 0);
  assert.equal(pr.abortedTransactions.length, 3, `${client}: Fetch at READ_COMMITTED lists aborted transactions`);
  assert.equal(typeof pr.abortedTransactions[0]!.producerId, 'bigint');
  assert.equal(pr.abortedTransactions[0]!.firstOffset, 0n);
  const batches = pr.records ?? [];
  // (data x, abort marker, data y, commit marker) three times: the protocol layer filters nothing
  // (kafka-source-reader.ts does).
  assert.equal(batches.length, 12, `${client}: the protocol layer returns every batch, aborted ones included`);
  const [x, abortMarker, y, commitMarker] = batches;
  const TRANSACTIONAL = 1 << 4;
  const CONTROL = 1 << 5;
  for (const b of batches) {
    assert.equal(typeof b.firstOffset, 'bigint');
    assert.equal(typeof b.lastOffsetDelta, 'number');
    assert.equal(typeof b.firstTimestamp, 'bigint');
    assert.equal(typeof b.maxTimestamp, 'bigint');
    assert.equal(b.producerId, pr.abortedTransactions[0]!.producerId);
    assert.ok((b.attributes & TRANSACTIONAL) !== 0, 'transactional batches have attribute bit 4');
  }
  assert.equal(x!.records[0]!.value!.toString(), 'x');
  assert.deepEqual(
    x!.records[0]!.headers.map(([k, v]) => [k?.toString(), v?.toString()]),
    [['h', 'v']],
    'headers as [key, value] pairs',
  );
  assert.equal(typeof x!.records[0]!.offsetDelta, 'number');
  assert.equal(typeof x!.records[0]!.timestampDelta, 'bigint');
  assert.ok((abortMarker!.attributes & CONTROL) !== 0 && (commitMarker!.attributes & CONTROL) !== 0);
  assert.equal(abortMarker!.records[0]!.key!.readInt16BE(2), 0, 'an abort marker has control type 0 in its key');
  assert.equal(commitMarker!.records[0]!.key!.readInt16BE(2), 1, 'a commit marker has control type 1');
  assert.equal(y!.records[0]!.key!.toString(), 'k');
  // The reader's own filter over that answer.
  assert.deepEqual(await readCommittedValues(topic, 3), ['y', 'y2', 'y3']);

  // A partition error comes as an error carrying the response (kafka-source-reader.ts findResponse), with its id.
  const outOfRange = await fetch.async(leaderConnection, 0, 1, 1 << 20, 1, 0, -1, partitions(1000n), [], '').then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(outOfRange instanceof Error, 'fetching past the end fails');
  assert.ok(protocolErrorIds(outOfRange).includes('OFFSET_OUT_OF_RANGE'), `${client}: errors carry apiId`);
  const carried = (outOfRange as { response?: typeof response }).response?.responses[0]?.partitions[0];
  assert.equal(carried?.errorCode, 1, `${client}: a ResponseError carries the response with partition error codes`);
  assert.equal(typeof carried?.logStartOffset, 'bigint');
});

test('cluster mode: the group protocol answers in the shape group-membership.ts reads', { skip }, async () => {
  const groupId = `contract-group-${process.pid}-${Date.now()}`;
  const [coordinator] = await admin.findCoordinator({ keyType: 0, keys: [groupId] });
  const c = (await admin.connectToBrokers([coordinator!.nodeId])).get(coordinator!.nodeId)!;
  const join = await negotiateApi(lib, c, 'JoinGroup', [
    lib.joinGroupV9.api,
    lib.joinGroupV8.api,
    lib.joinGroupV7.api,
    lib.joinGroupV6.api,
  ]);
  const protocols = [{ name: 'contract', metadata: bytes('m') }];
  const first = await join.async(c, groupId, 10_000, 10_000, '', null, 'sluice', protocols, null).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(protocolErrorIds(first).includes('MEMBER_ID_REQUIRED'), `${client}: a new member is asked for an id`);
  const memberId = (first as { response?: { memberId?: string } }).response?.memberId;
  assert.ok(memberId, `${client}: the MEMBER_ID_REQUIRED error carries response.memberId`);
  const joined = await join.async(c, groupId, 10_000, 10_000, memberId, null, 'sluice', protocols, null);
  assert.equal(joined.memberId, memberId);
  assert.equal(joined.leader, memberId);
  assert.equal(joined.skipAssignment, false);
  assert.equal(joined.protocolName, 'contract');
  assert.deepEqual(
    joined.members.map((m) => [m.memberId, Buffer.from(m.metadata!).toString()]),
    [[memberId, 'm']],
  );
  const sync = await negotiateApi(lib, c, 'SyncGroup', [lib.syncGroupV5.api, lib.syncGroupV4.api]);
  const synced = await sync.async(c, groupId, joined.generationId, memberId, null, 'sluice', joined.protocolName, [
    { memberId, assignment: bytes('a') },
  ]);
  assert.equal(Buffer.from(synced.assignment).toString(), 'a');
  const heartbeat = await negotiateApi(lib, c, 'Heartbeat', [lib.heartbeatV4.api]);
  await heartbeat.async(c, groupId, joined.generationId, memberId, null);
  const leave = await negotiateApi(lib, c, 'LeaveGroup', [lib.leaveGroupV5.api, lib.leaveGroupV4.api]);
  await leave.async(c, groupId, [{ memberId, groupInstanceId: null, reason: 'contract test' }]);
});
