import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { describeExit, runSluice, SluiceProcess, seededRandom, sleep } from './fixtures/ckpt-support.js';
import { brokers, createTopic, kafkaSkip } from './fixtures/kafka-support.js';

/**
 * `sluice sql` on Kafka against a real broker (bash scripts/kafka.sh start; KAFKA_PORT picks its port): JSON events
 * produced with kcat, read by a 'kafka' table with a WATERMARK, windowed into a 'kafka' sink exactly once and
 * aggregated into an 'upsert-kafka' table; an 'upsert-kafka' source with tombstones. Output topics are read back
 * read_committed with kcat, upserts applied (tombstones delete), and compared with brute-force references — also
 * across a SIGKILL and a rerun on the same checkpoint directory. Skipped without a broker unless CI=true or
 * SLUICE_KAFKA_TESTS=1.
 */

const skip = await kafkaSkip();
const dir = mkdtempSync(join(tmpdir(), 'sluice-sql-kafka-'));
const seed = Number(process.env.SLUICE_CRASH_SEED ?? 11);
const WINDOW = 10_000;

interface Ev {
  readonly user_id: string;
  readonly amount: number;
  readonly ts: number;
}

/** Flink's json text of a TIMESTAMP(3). */
const sqlTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

/**
 * Events whose timestamps are at most 1.5 s older than the newest event produced before them: on time for a
 * WATERMARK of `ts - 2 s` within every partition — but not across partitions read chunk by chunk.
 */
function makeEvents(count: number, users: number, s: number, from = Date.UTC(2026, 0, 1)): Ev[] {
  const random = seededRandom(s);
  let clock = from;
  const events: Ev[] = [];
  for (let i = 0; i < count; i++) {
    clock += Math.floor(random() * 300);
    events.push({
      user_id: `u${Math.floor(random() ** 2 * users)}`,
      amount: Math.floor(random() * 1000),
      ts: clock - Math.floor(random() * 1500),
    });
  }
  return events;
}

/** Produces lines `key \t value` with kcat (keyed: partition by murmur2 of the key); `-Z`: an empty value is a tombstone. */
function kcatProduce(topic: string, lines: readonly string[], partition?: number): void {
  execFileSync(
    'kcat',
    ['-P', '-b', brokers, '-t', topic, '-K', '\t', '-Z', ...(partition === undefined ? [] : ['-p', String(partition)])],
    { input: `${lines.join('\n')}\n`, maxBuffer: 1 << 28 },
  );
}

const eventLines = (events: readonly Ev[]) =>
  events.map((e) => `${e.user_id}\t${JSON.stringify({ user_id: e.user_id, amount: e.amount, ts: sqlTime(e.ts) })}`);

/** Every record of a topic a read_committed consumer sees, in partition order: [key, value or null]. */
function readCommitted(topic: string): [string, string | null][] {
  const out = execFileSync(
    'kcat',
    ['-C', '-b', brokers, '-t', topic, '-e', '-q', '-X', 'isolation.level=read_committed', '-f', '%k\t%S\t%s\n'],
    { maxBuffer: 1 << 28, timeout: 60_000 },
  ).toString('utf8');
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [key, size, ...value] = l.split('\t');
      return [key!, size === '-1' ? null : value.join('\t')];
    });
}

/** An upsert topic's table: the last value of every key, keys whose last record is a tombstone left out. */
function upsertTable(topic: string): Map<string, unknown> {
  const table = new Map<string, unknown>();
  for (const [key, value] of readCommitted(topic)) {
    if (value === null) table.delete(key);
    else table.set(key, JSON.parse(value));
  }
  return table;
}

/** The window rows of a topic, canonical and sorted (duplicates kept). */
const windowRows = (topic: string) =>
  readCommitted(topic)
    .map(([, v]) => {
      const r = JSON.parse(v!) as Record<string, unknown>;
      return JSON.stringify([r.user_id, r.window_start, r.window_end, r.cnt, r.total]);
    })
    .sort();

function windowsReference(events: readonly Ev[]): string[] {
  const groups = new Map<string, { user: string; start: number; cnt: number; total: number }>();
  for (const e of events) {
    const start = Math.floor(e.ts / WINDOW) * WINDOW;
    const k = `${e.user_id}|${start}`;
    const g = groups.get(k) ?? { user: e.user_id, start, cnt: 0, total: 0 };
    g.cnt++;
    g.total += e.amount;
    groups.set(k, g);
  }
  return [...groups.values()]
    .map((g) => JSON.stringify([g.user, sqlTime(g.start), sqlTime(g.start + WINDOW), g.cnt, g.total]))
    .sort();
}

function totalsReference(events: readonly Ev[]): Map<string, unknown> {
  const totals = new Map<string, { user_id: string; cnt: number; total: number }>();
  for (const e of events) {
    const t = totals.get(e.user_id) ?? { user_id: e.user_id, cnt: 0, total: 0 };
    t.cnt++;
    t.total += e.amount;
    totals.set(e.user_id, t);
  }
  return new Map([...totals].map(([u, t]) => [JSON.stringify({ user_id: u }), t]));
}

const sorted = (m: Map<string, unknown>) => [...m].sort(([a], [b]) => (a < b ? -1 : 1));

/** The script of the event tests: a kafka source with a WATERMARK, a window aggregate and a running total. */
function eventsScript(input: string, windows: string, totals: string, bounded: boolean): string {
  const path = join(dir, `${input}.sql`);
  writeFileSync(
    path,
    `-- events → 10 s windows (exactly once) and running totals per user (upserts)
CREATE TABLE events (
  user_id STRING,
  amount BIGINT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = '${input}',
  'properties.bootstrap.servers' = '\${BROKERS}',
  'properties.group.id' = 'sql-${input}',
  'scan.startup.mode' = 'earliest-offset',
  ${bounded ? "'scan.bounded.mode' = 'latest-offset'," : ''}
  'format' = 'json'
);
-- The end marker of each partition only moves the watermark on.
CREATE VIEW real_events AS SELECT * FROM events WHERE user_id <> 'end';
CREATE TABLE windows (
  user_id STRING,
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  cnt BIGINT,
  total BIGINT
) WITH (
  'connector' = 'kafka',
  'topic' = '${windows}',
  'properties.bootstrap.servers' = '\${BROKERS}',
  'sink.delivery-guarantee' = 'exactly-once',
  'sink.transactional-id-prefix' = 'sql-${windows}',
  'format' = 'json'
);
CREATE TABLE totals (
  user_id STRING,
  cnt BIGINT,
  total BIGINT,
  PRIMARY KEY (user_id) NOT ENFORCED
) WITH (
  'connector' = 'upsert-kafka',
  'topic' = '${totals}',
  'properties.bootstrap.servers' = '\${BROKERS}',
  'sink.delivery-guarantee' = 'exactly-once',
  'sink.transactional-id-prefix' = 'sql-${totals}',
  'key.format' = 'json',
  'value.format' = 'json'
);
EXECUTE STATEMENT SET BEGIN
INSERT INTO windows
SELECT user_id, window_start, window_end, COUNT(*), SUM(amount)
FROM TABLE(TUMBLE(TABLE real_events, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY user_id, window_start, window_end;
INSERT INTO totals SELECT user_id, COUNT(*), SUM(amount) FROM real_events GROUP BY user_id;
END;
`,
  );
  return path;
}

/** An end marker per partition, far behind every event: the watermark of an unbounded run passes every window. */
function produceEndMarkers(topic: string, partitions: number): void {
  for (let p = 0; p < partitions; p++) {
    kcatProduce(topic, [`end\t${JSON.stringify({ user_id: 'end', amount: 0, ts: sqlTime(Date.UTC(2030, 0, 1)) })}`], p);
  }
}

test('kafka source with a WATERMARK over 3 partitions (one reader): windows exactly once, totals as upserts', {
  skip,
  timeout: 120_000,
}, async () => {
  const events = makeEvents(6000, 12, seed);
  const input = await createTopic(3, 'sql-events');
  const windows = await createTopic(2, 'sql-windows');
  const totals = await createTopic(2, 'sql-totals');
  kcatProduce(input, eventLines(events));
  const script = eventsScript(input, windows, totals, true);
  const e = await runSluice(
    ['sql', '-f', script, '-D', `BROKERS=${brokers}`, '--checkpoint-dir', join(dir, 'ck-bounded')],
    120_000,
  );
  assert.equal(e.code, 0, describeExit(e));
  // The reader gets the partitions chunk by chunk: one watermark after it would have made records late.
  assert.match(e.stderr, /late records dropped 0,/);
  assert.deepEqual(windowRows(windows), windowsReference(events));
  assert.deepEqual(sorted(upsertTable(totals)), sorted(totalsReference(events)));
});

test('SIGKILL mid-run and a rerun on the same --checkpoint-dir: every window once (read_committed), totals right', {
  skip,
  timeout: 180_000,
}, async (t) => {
  const events = makeEvents(20_000, 30, seed + 1);
  const half = events.length / 2;
  const input = await createTopic(3, 'sql-events-k');
  const windows = await createTopic(2, 'sql-windows-k');
  const totals = await createTopic(2, 'sql-totals-k');
  // Unbounded: the first run is killed while it waits for the second half, which is produced after the kill.
  kcatProduce(input, eventLines(events.slice(0, half)));
  const script = eventsScript(input, windows, totals, false);
  const command = [
    'sql',
    '-f',
    script,
    '-D',
    `BROKERS=${brokers}`,
    '-p',
    '2',
    '--checkpoint-dir',
    join(dir, 'ck-kill'),
    '--checkpoint-interval',
    '200',
    '-v',
  ];
  const expected = windowsReference(events);
  const first = new SluiceProcess(command, 120_000);
  const checkpointed = await first.waitUntil(() => first.completedCheckpoints().length >= 3, 60_000);
  const e1 = await first.kill();
  assert.ok(checkpointed, `no checkpoints before the kill\n${describeExit(e1)}`);
  assert.equal(e1.signal, 'SIGKILL', describeExit(e1));
  const early = windowRows(windows);
  t.diagnostic(`run 1: checkpoints [${first.completedCheckpoints()}], ${early.length} window rows committed`);
  assert.equal(new Set(early).size, early.length, 'duplicate window rows after the kill');
  assert.deepEqual(
    early.filter((r) => !expected.includes(r)),
    [],
    'window rows that are not in the reference after the kill',
  );

  kcatProduce(input, eventLines(events.slice(half)));
  produceEndMarkers(input, 3);
  const second = new SluiceProcess(command, 120_000);
  const restored = await second.waitUntil(() => /^restoring from checkpoint \d+ /m.test(second.stderr), 60_000);
  if (!restored) assert.fail(`the rerun did not restore\n${describeExit(await second.kill())}`);
  // The job never ends (unbounded): wait until the committed output holds as many rows as the reference.
  const totalsExpected = sorted(totalsReference(events));
  let rows: string[] = [];
  for (let waited = 0; ; waited++) {
    rows = windowRows(windows);
    const done = rows.length >= expected.length && totalsExpected.length === upsertTable(totals).size;
    if (done || second.exit !== undefined || waited > 600) break;
    await sleep(200);
  }
  const e2 = await second.kill();
  assert.equal(e2.signal, 'SIGKILL', `the rerun ended by itself\n${describeExit(e2)}`);
  assert.doesNotMatch(e2.stderr, /error:|warning: checkpoint/, describeExit(e2));
  rows = windowRows(windows);
  assert.equal(
    rows.length,
    expected.length,
    `window rows committed: ${rows.length}, expected ${expected.length}\n${describeExit(e2)}`,
  );
  assert.deepEqual(rows, expected);
  assert.deepEqual(sorted(upsertTable(totals)), totalsExpected);
});

test('upsert-kafka source with tombstones: aggregates over the normalised changelog, deleted groups as tombstones', {
  skip,
  timeout: 120_000,
}, async () => {
  const random = seededRandom(seed + 2);
  const input = await createTopic(3, 'sql-upserts');
  const output = await createTopic(2, 'sql-categories');
  // Random upserts and deletes of 40 ids; the reference applies them in order (an id's records share a partition).
  const state = new Map<string, { cat: string; v: number }>();
  const lines: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const id = `id${Math.floor(random() * 40)}`;
    const key = JSON.stringify({ id });
    if (random() < 0.3) {
      state.delete(id);
      lines.push(`${key}\t`);
    } else {
      const row = { cat: `c${Math.floor(random() * 5)}`, v: Math.floor(random() * 100) };
      state.set(id, row);
      lines.push(`${key}\t${JSON.stringify({ id, ...row })}`);
    }
  }
  // A category emptied at the end: its group must end as a tombstone.
  for (const [id, row] of [...state]) {
    if (row.cat === 'c0') {
      state.delete(id);
      lines.push(`${JSON.stringify({ id })}\t`);
    }
  }
  kcatProduce(input, lines);
  const reference = new Map<string, { cat: string; n: number; s: number }>();
  for (const { cat, v } of state.values()) {
    const g = reference.get(cat) ?? { cat, n: 0, s: 0 };
    g.n++;
    g.s += v;
    reference.set(cat, g);
  }
  const script = join(dir, `${input}.sql`);
  writeFileSync(
    script,
    `CREATE TABLE items (id STRING, cat STRING, v BIGINT, PRIMARY KEY (id) NOT ENFORCED) WITH (
  'connector' = 'upsert-kafka', 'topic' = '${input}', 'properties.bootstrap.servers' = '${brokers}',
  'key.format' = 'json', 'value.format' = 'json',
  'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset');
CREATE TABLE categories (cat STRING, n BIGINT, s BIGINT, PRIMARY KEY (cat) NOT ENFORCED) WITH (
  'connector' = 'upsert-kafka', 'topic' = '${output}', 'properties.bootstrap.servers' = '${brokers}',
  'key.format' = 'json', 'value.format' = 'json');
INSERT INTO categories SELECT cat, COUNT(*), SUM(v) FROM items GROUP BY cat;
`,
  );
  const e = await runSluice(['sql', '-f', script, '-p', '2'], 120_000);
  assert.equal(e.code, 0, describeExit(e));
  const got = upsertTable(output);
  assert.ok(!got.has(JSON.stringify({ cat: 'c0' })), 'the emptied category is not deleted');
  assert.ok(
    readCommitted(output).some(([k, v]) => k === JSON.stringify({ cat: 'c0' }) && v === null),
    'no tombstone for the emptied category',
  );
  assert.deepEqual(
    sorted(got),
    sorted(
      new Map([...reference.values()].map((g) => [JSON.stringify({ cat: g.cat }), { cat: g.cat, n: g.n, s: g.s }])),
    ),
  );
});

test('--cluster: a SQL script on Kafka run by two processes with one --job-id gives the reference result', {
  skip,
  timeout: 180_000,
}, async (t) => {
  const events = makeEvents(6000, 12, seed + 3);
  const input = await createTopic(3, 'sql-events-c');
  const windows = await createTopic(2, 'sql-windows-c');
  const totals = await createTopic(2, 'sql-totals-c');
  kcatProduce(input, eventLines(events));
  const script = eventsScript(input, windows, totals, true);
  const jobId = `sql-${input}`;
  const command = [
    'sql',
    '-f',
    script,
    '-D',
    `BROKERS=${brokers}`,
    '--cluster',
    `kafka://${brokers}`,
    '--job-id',
    jobId,
    '--checkpoint-dir',
    join(dir, 'ck-cluster'),
    '--checkpoint-interval',
    '300',
    '-v',
  ];
  // Started together: the group spreads the tasks over both (which task runs where is the group's choice).
  const a = new SluiceProcess(command, 150_000);
  const b = new SluiceProcess(command, 150_000);
  const [ea, eb] = await Promise.all([a.exited, b.exited]);
  assert.equal(ea.code, 0, describeExit(ea));
  assert.equal(eb.code, 0, describeExit(eb));
  const ran = (e: typeof ea) => [...e.stderr.matchAll(/^(s\d+t\d+): finished$/gm)].map((m) => m[1]).join(' ');
  t.diagnostic(`process 1 finished [${ran(ea)}], process 2 finished [${ran(eb)}]`);
  assert.deepEqual(windowRows(windows), windowsReference(events));
  assert.deepEqual(sorted(upsertTable(totals)), sorted(totalsReference(events)));
});

test('kafka json values: only the ROW fields a statement reads are decoded (nested projection push-down)', {
  skip,
  timeout: 120_000,
}, async () => {
  const topic = await createTopic(2, 'sql-nested');
  const values = Array.from({ length: 400 }, (_, i) => ({
    id: i,
    r: { a: i % 7, b: `b${i % 3}`, c: i === 123 ? 'not a number' : i },
  }));
  kcatProduce(
    topic,
    values.map((v) => `k${v.id}\t${JSON.stringify(v)}`),
  );
  /** Runs `INSERT INTO out <select>` over the topic in batch mode; the rows go to <output>.jsonl. */
  const runSelect = (select: string, output: string) => {
    const path = join(dir, `${output}.sql`);
    writeFileSync(
      path,
      `CREATE TABLE src (id BIGINT, r ROW<a BIGINT, b STRING, c BIGINT>) WITH (
  'connector' = 'kafka', 'topic' = '${topic}', 'properties.bootstrap.servers' = '\${BROKERS}',
  'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset', 'format' = 'json');
CREATE TABLE out (a BIGINT, n BIGINT) WITH ('connector' = 'filesystem', 'path' = '${join(dir, `${output}.jsonl`)}', 'format' = 'json');
INSERT INTO out ${select};
`,
    );
    return runSluice(['sql', '-f', path, '-D', `BROKERS=${brokers}`, '--mode', 'batch'], 120_000);
  };
  // r.c holds a value that does not fit BIGINT in one record: a statement that never reads r.c does not decode it.
  const ok = await runSelect('SELECT r.a, COUNT(*) FROM src GROUP BY r.a', 'nested-ok');
  assert.equal(ok.code, 0, describeExit(ok));
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v.r.a, (counts.get(v.r.a) ?? 0) + 1);
  const got = readFileSync(join(dir, 'nested-ok.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { a: number; n: number })
    .sort((x, y) => x.a - y.a);
  assert.deepEqual(
    got,
    [...counts].sort(([x], [y]) => x - y).map(([a, n]) => ({ a, n })),
  );
  // One that reads it meets the bad value, and the error names the field.
  const bad = await runSelect('SELECT r.a, SUM(r.c) FROM src GROUP BY r.a', 'nested-bad');
  assert.notEqual(bad.code, 0, describeExit(bad));
  assert.match(bad.stderr, /r\.c.*expected BIGINT/);
});
