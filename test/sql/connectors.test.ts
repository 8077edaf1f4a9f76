import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { StreamExecutionEnvironment } from '../../src/api/environment.js';
import { NexmarkGenerator } from '../../src/connectors/nexmark/nexmark-generator.js';
import { TableOptionError } from '../../src/sql/connectors/connector-options.js';
import { connectorFor } from '../../src/sql/connectors/registry.js';
import type { ResolvedTable } from '../../src/sql/connectors/table-connector.js';
import type { ChangelogMode, Row } from '../../src/sql/runtime/row.js';
import type { RowField, Schema, SqlType } from '../../src/sql/types/sql-type.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-sql-connectors-'));

const t = (kind: string, extra: Record<string, unknown> = {}): SqlType =>
  ({ kind, nullable: true, ...extra }) as SqlType;
const BIGINT = t('BIGINT');
const INT = t('INT');
const STRING = t('VARCHAR', { length: 2147483647 });
const TS3 = t('TIMESTAMP', { precision: 3 });
const f = (name: string, type: SqlType): RowField => ({ name, type });
const row = (...fields: RowField[]): SqlType => t('ROW', { fields });

function table(name: string, fields: RowField[], options: Record<string, string>): ResolvedTable {
  const physical: Schema = { fields };
  return {
    name,
    physical,
    options: new Map(Object.entries(options)),
    metadata: [],
    span: { start: 0, end: 0, line: 1, column: 1 },
    baseDir: dir,
  } as ResolvedTable;
}

const PERSON = row(
  f('id', BIGINT),
  f('name', STRING),
  f('emailAddress', STRING),
  f('creditCard', STRING),
  f('city', STRING),
  f('state', STRING),
  f('dateTime', TS3),
  f('extra', STRING),
);
const AUCTION = row(
  f('id', BIGINT),
  f('itemName', STRING),
  f('description', STRING),
  f('initialBid', BIGINT),
  f('reserve', BIGINT),
  f('dateTime', TS3),
  f('expires', TS3),
  f('seller', BIGINT),
  f('category', BIGINT),
  f('extra', STRING),
);
const BID = row(
  f('auction', BIGINT),
  f('bidder', BIGINT),
  f('price', BIGINT),
  f('channel', STRING),
  f('url', STRING),
  f('dateTime', TS3),
  f('extra', STRING),
);
const NEXMARK_COLUMNS = [f('event_type', INT), f('person', PERSON), f('auction', AUCTION), f('bid', BID)];

/** Reads a table through its connector in a real job and returns the rows. */
async function scan(
  tbl: ResolvedTable,
  parallelism = 1,
  projection?: number[],
): Promise<{ rows: Row[]; mode: ChangelogMode; bounded: boolean }> {
  const env = StreamExecutionEnvironment.create({ parallelism });
  const connector = connectorFor(tbl.options.get('connector')!)!;
  const scanned = connector.createSource!({ env, table: tbl, projection, uid: 'src', runtimeMode: 'streaming' });
  const out = scanned.stream.collect('rows');
  await env.execute('scan');
  return { rows: out.get(), mode: scanned.changelogMode, bounded: scanned.bounded };
}

/** Writes rows through a table's connector in a real job. */
async function write(tbl: ResolvedTable, rows: Row[], mode: ChangelogMode, parallelism = 1): Promise<void> {
  const env = StreamExecutionEnvironment.create({ parallelism });
  const input = env
    .fromCollection(rows)
    .rebalance()
    .map((r) => r);
  connectorFor(tbl.options.get('connector')!)!.createSink!({
    table: tbl,
    input,
    inputMode: mode,
    uid: 'sink',
    runtimeMode: 'streaming',
  });
  await env.execute('write');
}

const sortRows = (rows: Row[]) => [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

function expectedNexmark(n: number, seed = 0): Row[] {
  const g = new NexmarkGenerator({ seed, baseTime: 0 });
  const out: Row[] = [];
  for (let i = 0; i < n; i++) {
    const e = g.event(i) as unknown as Record<string, Record<string, unknown> | null> & { event_type: number };
    const asRow = (o: Record<string, unknown> | null | undefined) => (o == null ? null : Object.values(o));
    out.push([0, e.event_type, asRow(e.person), asRow(e.auction), asRow(e.bid)]);
  }
  return out;
}

test('nexmark: rows equal the generator events (the JSON Lines of `sluice nexmark generate`) at p=1 and p=2', async () => {
  const tbl = table('datagen', NEXMARK_COLUMNS, {
    connector: 'nexmark',
    'events.num': '500',
    'first-event.rate': '10000',
    'next-event.rate': '10000',
  });
  const expected = expectedNexmark(500);
  const one = await scan(tbl, 1);
  assert.equal(one.bounded, true);
  assert.deepEqual(one.rows, expected);
  const two = await scan(tbl, 2);
  assert.deepEqual(sortRows(two.rows), sortRows(expected));
});

test('nexmark: a projection yields only the projected columns; seeds differ', async () => {
  const tbl = table('datagen', NEXMARK_COLUMNS, { connector: 'nexmark', 'events.num': '100', seed: '7' });
  const { rows } = await scan(tbl, 1, [3, 0]);
  const expected = expectedNexmark(100, 7).map((r) => [0, r[4], r[1]]);
  assert.deepEqual(rows, expected);
});

test('nexmark: unknown options are refused with the nearest name', () => {
  const env = StreamExecutionEnvironment.create();
  const tbl = table('datagen', NEXMARK_COLUMNS, { connector: 'nexmark', 'events.nmu': '5' });
  assert.throws(
    () => connectorFor('nexmark')!.createSource!({ env, table: tbl, uid: 'x', runtimeMode: 'streaming' }),
    (e: unknown) =>
      e instanceof TableOptionError && e.option === 'events.nmu' && /Did you mean 'events.num'/.test(e.message),
  );
});

test('filesystem json: reads nested rows, timestamps as text or epoch ms, missing fields as NULL, projected', async () => {
  const path = join(dir, 'in.jsonl');
  writeFileSync(
    path,
    [
      '{"id": 1, "name": "a", "ts": "2020-01-01 10:00:00.123", "r": {"x": 5, "y": "q"}}',
      '',
      '{"id": "2", "ts": 1577872800000, "r": null}',
      '{"id": 3, "name": "c", "ts": "2020-01-01T10:00:00", "r": {"x": 7}}',
    ].join('\n'),
  );
  const fields = [f('id', BIGINT), f('name', STRING), f('ts', TS3), f('r', row(f('x', INT), f('y', STRING)))];
  const tbl = table('t', fields, { connector: 'filesystem', path: 'in.jsonl', format: 'json' });
  const { rows, mode } = await scan(tbl);
  assert.equal(mode, 'insert-only');
  assert.deepEqual(rows, [
    [0, 1, 'a', Date.UTC(2020, 0, 1, 10, 0, 0, 123), [5, 'q']],
    [0, 2, null, 1577872800000, null],
    [0, 3, 'c', Date.UTC(2020, 0, 1, 10), [7, null]],
  ]);
  const projected = await scan(tbl, 1, [3, 0]);
  assert.deepEqual(projected.rows, [
    [0, [5, 'q'], 1],
    [0, null, 2],
    [0, [7, null], 3],
  ]);
});

test('filesystem json: a wrong type fails the job naming file:line and the field path; fail-on-missing-field', async () => {
  const path = join(dir, 'bad.jsonl');
  writeFileSync(path, '{"id": 1, "r": {"x": 1}}\n{"id": 2, "r": {"x": "many"}}\n');
  const fields = [f('id', BIGINT), f('r', row(f('x', INT)))];
  await assert.rejects(scan(table('t', fields, { connector: 'filesystem', path, format: 'json' })), (e: Error) => {
    assert.match(e.message, /bad\.jsonl:2/);
    assert.match(e.message, /field 'r\.x': expected INT, got "many"/);
    return true;
  });
  const ignored = await scan(
    table('t', fields, { connector: 'filesystem', path, format: 'json', 'json.ignore-parse-errors': 'true' }),
  );
  assert.deepEqual(ignored.rows, [
    [0, 1, [1]],
    [0, 2, [null]],
  ]);
  writeFileSync(join(dir, 'missing.jsonl'), '{"id": 1}\n');
  await assert.rejects(
    scan(
      table('t', [f('id', BIGINT), f('name', STRING)], {
        connector: 'filesystem',
        path: 'missing.jsonl',
        format: 'json',
        'json.fail-on-missing-field': 'true',
      }),
    ),
    /missing\.jsonl:1.*field 'name': missing/,
  );
});

test('filesystem: a missing path and an unknown format option are refused before running', () => {
  const env = StreamExecutionEnvironment.create();
  const fs = connectorFor('filesystem')!;
  const req = (options: Record<string, string>) => ({
    env,
    table: table('t', [f('id', BIGINT)], options),
    uid: 'x',
    runtimeMode: 'streaming' as const,
  });
  assert.throws(
    () => fs.createSource!(req({ connector: 'filesystem', path: 'nope', format: 'json' })),
    /'path' = 'nope' does not exist/,
  );
  assert.throws(
    () =>
      fs.createSource!(
        req({ connector: 'filesystem', path: '.', format: 'json', 'json.fail-on-missng-field': 'true' }),
      ),
    /Did you mean 'json.fail-on-missing-field'/,
  );
  assert.throws(
    () => fs.createSource!(req({ connector: 'filesystem', path: '.', format: 'jsn' })),
    /Did you mean 'json'/,
  );
  assert.deepEqual(fs.sinkModes!(table('t', [], { connector: 'filesystem', path: 'o', format: 'json' })), [
    'insert-only',
  ]);
});

const SINK_FIELDS = [
  f('id', BIGINT),
  f('name', STRING),
  f('ts', TS3),
  f('ltz', t('TIMESTAMP_LTZ', { precision: 3 })),
  f('price', t('DECIMAL', { precision: 10, scale: 2 })),
  f('r', row(f('a', INT), f('b', t('BOOLEAN')))),
];

function partLines(out: string): string[] {
  return readdirSync(out)
    .filter((n) => n.startsWith('part-'))
    .sort()
    .flatMap((n) =>
      readFileSync(join(out, n), 'utf8')
        .split('\n')
        .filter((l) => l !== ''),
    );
}

test('filesystem json sink: Flink json conventions, part files per subtask at p=2, read back equal', async () => {
  const rows: Row[] = Array.from({ length: 50 }, (_, i) => [
    0,
    i,
    i % 5 === 0 ? null : `n"${i}`,
    Date.UTC(2020, 0, 1, 10) + i,
    Date.UTC(2020, 0, 1, 10),
    i + 0.5,
    [i, i % 2 === 0],
  ]);
  const out = join(dir, 'json-out');
  const tbl = table('sink', SINK_FIELDS, { connector: 'filesystem', path: 'json-out', format: 'json' });
  await write(tbl, rows, 'insert-only', 2);
  const lines = partLines(out);
  assert.equal(lines.length, 50);
  assert.ok(readdirSync(out).includes('part-1-000000.json'));
  assert.ok(
    lines.includes(
      '{"id":1,"name":"n\\"1","ts":"2020-01-01 10:00:00.001","ltz":"2020-01-01 10:00:00.000Z","price":1.50,"r":{"a":1,"b":false}}',
    ),
  );
  assert.ok(
    lines.includes(
      '{"id":0,"name":null,"ts":"2020-01-01 10:00:00.000","ltz":"2020-01-01 10:00:00.000Z","price":0.50,"r":{"a":0,"b":true}}',
    ),
  );
  const back = await scan(table('src', SINK_FIELDS, { connector: 'filesystem', path: 'json-out', format: 'json' }));
  assert.deepEqual(sortRows(back.rows), sortRows(rows));
  // A second run replaces its part files instead of adding another copy.
  await write(tbl, rows.slice(0, 10), 'insert-only', 2);
  assert.equal(partLines(out).length, 10);
});

test('filesystem sink: a path with the format extension is one file', async () => {
  const tbl = table('sink', [f('id', BIGINT)], { connector: 'filesystem', path: 'one.json', format: 'json' });
  await write(
    tbl,
    [
      [0, 1],
      [0, 2],
    ],
    'insert-only',
    2,
  );
  // Rows arrive over a rebalance from two subtasks: their order is not defined.
  assert.deepEqual(readFileSync(join(dir, 'one.json'), 'utf8').split('\n').sort(), ['', '{"id":1}', '{"id":2}']);
});

test('debezium-json: every row kind written as Flink writes it and read back as a changelog', async () => {
  const fields = [f('k', BIGINT), f('v', STRING)];
  const tbl = table('cdc', fields, { connector: 'filesystem', path: 'cdc-out', format: 'debezium-json' });
  assert.deepEqual(connectorFor('filesystem')!.sinkModes!(tbl), ['insert-only', 'retract']);
  const changes: Row[] = [
    [0, 1, 'a'],
    [1, 1, 'a'],
    [2, 1, 'b'],
    [3, 1, 'b'],
  ];
  await write(tbl, changes, 'retract');
  assert.deepEqual(partLines(join(dir, 'cdc-out')), [
    '{"before":null,"after":{"k":1,"v":"a"},"op":"c"}',
    '{"before":{"k":1,"v":"a"},"after":null,"op":"d"}',
    '{"before":null,"after":{"k":1,"v":"b"},"op":"c"}',
    '{"before":{"k":1,"v":"b"},"after":null,"op":"d"}',
  ]);
  const cdcIn = join(dir, 'cdc-in.json');
  writeFileSync(
    cdcIn,
    [
      '{"before":null,"after":{"k":1,"v":"a"},"op":"c"}',
      '{"before":{"k":1,"v":"a"},"after":{"k":1,"v":"b"},"op":"u"}',
      '{"payload":{"before":{"k":1,"v":"b"},"after":null,"op":"d"}}',
    ].join('\n'),
  );
  const back = await scan(table('cdc', fields, { connector: 'filesystem', path: cdcIn, format: 'debezium-json' }));
  assert.equal(back.mode, 'retract');
  assert.deepEqual(back.rows, [
    [0, 1, 'a'],
    [1, 1, 'a'],
    [2, 1, 'b'],
    [3, 1, 'b'],
  ]);
});

test('csv: written and read back by position, NULL as empty field, quoting, comments', async () => {
  const fields = [f('id', BIGINT), f('name', STRING), f('ts', TS3), f('ok', t('BOOLEAN'))];
  const rows: Row[] = [
    [0, 1, 'a,b', Date.UTC(2021, 5, 1), true],
    [0, 2, null, null, false],
  ];
  const tbl = table('c', fields, { connector: 'filesystem', path: 'csv-out', format: 'csv' });
  await write(tbl, rows, 'insert-only');
  assert.deepEqual(partLines(join(dir, 'csv-out')), ['1,"a,b",2021-06-01 00:00:00.000,true', '2,,,false']);
  const back = await scan(tbl);
  assert.deepEqual(back.rows, [rows[0], [0, 2, '', null, false]]);
  mkdirSync(join(dir, 'csv-in'), { recursive: true });
  writeFileSync(join(dir, 'csv-in', 'a.csv'), '# comment\n3|x|1000|true\n');
  const piped = await scan(
    table('c', fields, {
      connector: 'filesystem',
      path: 'csv-in',
      format: 'csv',
      'csv.field-delimiter': '|',
      'csv.allow-comments': 'true',
    }),
  );
  assert.deepEqual(piped.rows, [[0, 3, 'x', 1000, true]]);
  // A query using some columns: every field of a line is still read by position, the projected ones kept.
  const projected = await scan(tbl, 1, [3, 0]);
  assert.deepEqual(projected.rows, [
    [0, true, 1],
    [0, false, 2],
  ]);
});

test('datagen: sequence bounds the table; random values are the same at any parallelism', async () => {
  const fields = [f('id', BIGINT), f('n', INT), f('s', STRING)];
  const options = {
    connector: 'datagen',
    'fields.id.kind': 'sequence',
    'fields.id.start': '1',
    'fields.id.end': '100',
    'fields.n.min': '5',
    'fields.n.max': '9',
    'fields.s.length': '4',
    'rows-per-second': '0',
  };
  const one = await scan(table('g', fields, options), 1);
  assert.equal(one.rows.length, 100);
  assert.deepEqual(
    one.rows.map((r) => r[1]),
    Array.from({ length: 100 }, (_, i) => i + 1),
  );
  assert.ok(one.rows.every((r) => (r[2] as number) >= 5 && (r[2] as number) <= 9 && (r[3] as string).length === 4));
  const two = await scan(table('g', fields, options), 2);
  assert.deepEqual(sortRows(two.rows), sortRows(one.rows));
  assert.throws(
    () =>
      connectorFor('datagen')!.createSource!({
        env: StreamExecutionEnvironment.create(),
        table: table('g', fields, { connector: 'datagen', 'fields.nope.kind': 'random' }),
        uid: 'x',
        runtimeMode: 'streaming',
      }),
    /fields\.nope\.kind/,
  );
});
