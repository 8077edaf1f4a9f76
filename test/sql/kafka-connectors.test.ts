import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StreamExecutionEnvironment } from '../../src/api/environment.js';
import { connectorFor } from '../../src/sql/connectors/registry.js';
import type { ResolvedTable } from '../../src/sql/connectors/table-connector.js';
import type { ChangelogMode, Row } from '../../src/sql/runtime/row.js';
import type { SqlType } from '../../src/sql/types/sql-type.js';
import { brokers, createTopic, kafkaSkip } from '../fixtures/kafka-support.js';

/**
 * The kafka and upsert-kafka tables against a real broker (`bash scripts/kafka.sh start`); skipped without one
 * unless SLUICE_KAFKA_TESTS=1 or CI=true demand it.
 */
const skip = await kafkaSkip();

const t = (kind: string, extra: Record<string, unknown> = {}): SqlType =>
  ({ kind, nullable: true, ...extra }) as SqlType;
const FIELDS = [
  { name: 'k', type: t('BIGINT') },
  { name: 'v', type: t('VARCHAR', { length: 2147483647 }) },
];

function table(options: Record<string, string>, primaryKey?: number[]): ResolvedTable {
  return {
    name: 'k',
    physical: { fields: FIELDS },
    primaryKey,
    options: new Map(Object.entries({ 'properties.bootstrap.servers': brokers, ...options })),
    metadata: [],
    span: { start: 0, end: 0, line: 1, column: 1 },
    baseDir: process.cwd(),
  } as ResolvedTable;
}

async function write(tbl: ResolvedTable, rows: Row[], mode: ChangelogMode): Promise<void> {
  const env = StreamExecutionEnvironment.create();
  const input = env.fromCollection(rows);
  connectorFor(tbl.options.get('connector')!)!.createSink!({
    table: tbl,
    input,
    inputMode: mode,
    uid: 'sink',
    runtimeMode: 'streaming',
  });
  await env.execute('write');
}

async function read(tbl: ResolvedTable): Promise<Row[]> {
  const env = StreamExecutionEnvironment.create();
  const scan = connectorFor(tbl.options.get('connector')!)!.createSource!({
    env,
    table: tbl,
    uid: 'src',
    runtimeMode: 'streaming',
  });
  const out = scan.stream.collect('rows');
  await env.execute('read');
  return out.get();
}

test('kafka: json values written and read back (bounded read)', { skip, timeout: 60_000 }, async () => {
  const topic = await createTopic(1, 'sql-kafka');
  const options = {
    connector: 'kafka',
    topic,
    format: 'json',
    'scan.startup.mode': 'earliest-offset',
    'scan.bounded.mode': 'latest-offset',
  };
  const rows: Row[] = [
    [0, 1, 'a'],
    [0, 2, null],
  ];
  await write(table(options), rows, 'insert-only');
  assert.deepEqual(await read(table(options)), rows);
});

test('upsert-kafka: -U dropped, DELETE as a tombstone, read back normalised into a retract changelog', {
  skip,
  timeout: 60_000,
}, async () => {
  const topic = await createTopic(1, 'sql-upsert');
  const options = {
    connector: 'upsert-kafka',
    topic,
    'key.format': 'json',
    'value.format': 'json',
    'scan.startup.mode': 'earliest-offset',
    'scan.bounded.mode': 'latest-offset',
  };
  await write(
    table(options, [0]),
    [
      [0, 1, 'a'],
      [1, 1, 'a'],
      [2, 1, 'b'],
      [0, 2, 'c'],
      [3, 2, 'c'],
    ],
    'retract',
  );
  const back = await read(table(options, [0]));
  // Normalised by the key (Flink's ChangelogNormalize): -U of the previous value, -D of the last row.
  assert.deepEqual(back, [
    [0, 1, 'a'],
    [1, 1, 'a'],
    [2, 1, 'b'],
    [0, 2, 'c'],
    [3, 2, 'c'],
  ]);
});
