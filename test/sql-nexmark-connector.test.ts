// The 'nexmark' SQL connector against the generator: the reference's DDL (nested ROW columns), rows of a projection
// over all three event kinds equal the seeded generator's events field by field.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nexmarkEvent } from '../src/connectors/nexmark/nexmark-generator.js';
import { StreamExecutionEnvironment } from '../src/index.js';
import { TableEnvironment } from '../src/sql/table-environment.js';

test('nexmark table rows equal the generator events (nested ROW fields, NULL for the other kinds)', async () => {
  const env = StreamExecutionEnvironment.create();
  env.setParallelism(1);
  const tEnv = TableEnvironment.create(env);
  tEnv.executeSql(`CREATE TABLE gen (
      event_type INT,
      person ROW<id BIGINT, name VARCHAR, city VARCHAR, \`dateTime\` TIMESTAMP(3)>,
      auction ROW<seller BIGINT, id BIGINT, expires TIMESTAMP(3)>,
      bid ROW<extra VARCHAR, auction BIGINT, price BIGINT>
    ) WITH ('connector' = 'nexmark', 'events.num' = '500', 'seed' = '3', 'first-event.rate' = '1000000',
            'next-event.rate' = '1000000')`);
  const rows = tEnv
    .toDataStream(tEnv.sqlQuery('SELECT event_type, person, auction.seller, auction.expires, bid FROM gen'))
    .collect();
  await env.execute('nexmark-connector');
  const expected = Array.from({ length: 500 }, (_, i) => {
    const e = nexmarkEvent({ seed: 3, firstEventRate: 1_000_000 }, i);
    return {
      event_type: e.event_type,
      person: e.person ? [e.person.id, e.person.name, e.person.city, e.person.dateTime] : null,
      seller: e.auction?.seller ?? null,
      expires: e.auction?.expires ?? null,
      bid: e.bid ? [e.bid.extra, e.bid.auction, e.bid.price] : null,
    };
  });
  assert.deepEqual(
    rows.get().map((r) => ({ ...r })),
    expected,
  );
});
