import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { eventValue, eventWatermarks, windowCounts } from '../examples/kafka-window-counts.js';
import { HybridSource, type HybridSourceOptions } from '../src/connectors/kafka/index.js';
import {
  FileSource,
  type SourceOutput,
  type SourceReader,
  type SourceReaderContext,
  StreamExecutionEnvironment,
} from '../src/index.js';
import {
  type Event,
  makeEvents,
  notCovered,
  seededRandom,
  windowCountsReference,
  writeEvents,
} from './fixtures/ckpt-support.js';
import {
  brokers,
  canonicalRows,
  createTopic,
  kafkaSkip,
  partitionOf,
  produceEvents,
  readCommitted,
  runWithKills,
} from './fixtures/kafka-support.js';

/**
 * The hybrid (backfill) source and examples/kafka-backfill.ts against a real broker (bash scripts/kafka.sh start):
 * history from files, then Kafka from where the history ends. Every event is in Kafka (with its `ts` as Kafka
 * timestamp); the files hold, of every partition, the events before its first event later than a cut time C (an
 * archive cut at C, about half of the events). Results must equal the reference over all events: no gap, no
 * duplicate. Skipped without a broker unless CI=true or SLUICE_KAFKA_TESTS=1.
 */

const skip = await kafkaSkip();
const dir = mkdtempSync(join(tmpdir(), 'sluice-kafka-backfill-'));
const seed = Number(process.env.SLUICE_CRASH_SEED ?? 99);

interface Setup {
  events: Event[];
  topic: string;
  /** Directory with the history split into two files (the first and second half of it). */
  history: string;
  /** Per partition: the offset of its first record after the cut (what the history ends before). */
  cutOffsets: number[];
  historyCount: number;
}

let setups = 0;
async function setup(count: number, partitions: number, s: number): Promise<Setup> {
  const events = makeEvents(count, 50, s);
  const topic = await createTopic(partitions, 'bf-in');
  await produceEvents(
    topic,
    partitions,
    events.map((e, index) => ({ e, index })),
  );
  // The cut: the time of the middle event. Each partition's history ends before its first event later than that.
  const cut = events[count >> 1]!.ts;
  const cutOffsets = new Array<number>(partitions).fill(-1);
  const seen = new Array<number>(partitions).fill(0);
  const historyEvents: Event[] = [];
  events.forEach((e, index) => {
    const p = partitionOf(index, partitions);
    if (cutOffsets[p] === -1 && e.ts > cut) cutOffsets[p] = seen[p]!;
    if (cutOffsets[p] === -1) historyEvents.push(e);
    seen[p]!++;
  });
  for (let p = 0; p < partitions; p++) if (cutOffsets[p] === -1) cutOffsets[p] = seen[p]!;
  const history = join(dir, `history-${++setups}`);
  mkdirSync(history);
  const half = historyEvents.length >> 1;
  writeEvents(join(history, 'a.jsonl'), historyEvents.slice(0, half));
  writeEvents(join(history, 'b.jsonl'), historyEvents.slice(half));
  return { events, topic, history, cutOffsets, historyCount: historyEvents.length };
}

function hybrid(s: Setup, extra: Partial<HybridSourceOptions<Event, Buffer | null, Event>> = {}) {
  return new HybridSource<Event, Buffer | null, Event>({
    history: FileSource.jsonLines(s.history, { chunkBytes: 4096 }),
    historyTimestamp: (e) => e.ts,
    kafka: { brokers, topics: s.topic, value: eventValue, stoppingOffsets: 'latest', maxBufferedRecords: 500 },
    alignPartitions: true,
    ...extra,
  });
}

async function windowCountsOf(source: HybridSource<Event, Buffer | null, Event>, parallelism: number) {
  const env = StreamExecutionEnvironment.create({ parallelism });
  const h = windowCounts(env.fromSource(source, eventWatermarks())).collect();
  await env.execute();
  return h
    .get()
    .map((r) => JSON.stringify(r))
    .sort();
}

test('backfill: window counts over files then Kafka equal the reference (derived and given offsets, p=2)', {
  skip,
  timeout: 60_000,
}, async () => {
  const s = await setup(12_000, 3, seed);
  assert.ok(s.historyCount > 4000 && s.historyCount < 8000, `history of ${s.historyCount} events`);
  const expected = windowCountsReference(s.events);
  const cuts: (number | undefined)[] = [];
  const derived = await windowCountsOf(hybrid(s, { onSwitch: (i) => cuts.push(i.cutTimestamp) }), 2);
  assert.deepEqual(derived, expected, 'after-history');
  // Both readers computed the same cut: the greatest history timestamp (reader 1 scanned reader 0's file).
  assert.equal(cuts.length, 2);
  assert.equal(new Set(cuts).size, 1);
  const given = await windowCountsOf(
    hybrid(s, { start: { offsets: s.cutOffsets.map((offset, partition) => ({ topic: s.topic, partition, offset })) } }),
    2,
  );
  assert.deepEqual(given, expected, 'given offsets');
});

/** Polls a reader until it ends or `limit` records were emitted; records are pushed as JSON strings. */
async function drain(reader: SourceReader<Event>, into: string[], limit = Number.POSITIVE_INFINITY) {
  const out: SourceOutput<Event> = { collect: (e) => void into.push(JSON.stringify(e)) };
  const start = into.length;
  for (;;) {
    const r = reader.pollNext(out, Math.min(97, start + limit - into.length));
    if (r === 'end') return 'end';
    if (into.length - start >= limit) return 'limit';
    if (r === 'wait') await reader.available!();
  }
}

const ctx = (subtaskIndex: number, parallelism: number): SourceReaderContext => ({
  subtaskIndex,
  parallelism,
  reportBadRecord: (b) => {
    throw new Error(b.reason);
  },
});

test('backfill reader state: restores from either phase, at another parallelism, without gap or duplicate', {
  skip,
  timeout: 60_000,
}, async () => {
  const s = await setup(6000, 3, seed + 1);
  const all = s.events.map((e) => JSON.stringify(e)).sort();
  for (const [from, to] of [
    [2, 2],
    [2, 1],
    [2, 3],
  ] as const) {
    const source = hybrid(s);
    // First run: reader 0 stops in the history phase (a.jsonl), reader 1 in the Kafka phase (after b.jsonl).
    const first: string[] = [];
    const states: unknown[] = [];
    const r0 = source.createReader(ctx(0, from));
    await r0.open?.();
    assert.equal(await drain(r0, first, 700), 'limit');
    states.push(r0.snapshotState!());
    await r0.close?.();
    const r1 = source.createReader(ctx(1, from));
    await r1.open?.();
    assert.equal(await drain(r1, first, s.historyCount - (s.historyCount >> 1) + 900), 'limit');
    states.push(r1.snapshotState!());
    await r1.close?.();
    assert.deepEqual(
      states.map((st) => (st as { phase: string }).phase),
      ['history', 'kafka'],
    );
    // Restored at parallelism `to`; then each reader's final state restores to nothing more.
    const second: string[] = [];
    for (let i = 0; i < to; i++) {
      const r = source.createReader(ctx(i, to));
      await r.open?.();
      r.restoreState!(states);
      assert.equal(await drain(r, second), 'end');
      const final = r.snapshotState!();
      await r.close?.();
      const again = source.createReader(ctx(i, to));
      await again.open?.();
      again.restoreState!([final]);
      const none: string[] = [];
      assert.equal(await drain(again, none), 'end');
      assert.deepEqual(none, [], `reader ${i} of ${to} after the end`);
      await again.close?.();
    }
    const got = [...first, ...second].sort();
    assert.deepEqual(
      { missing: notCovered(all, got).length, twice: notCovered(got, all).length },
      { missing: 0, twice: 0 },
      `${from} → ${to}`,
    );
  }
});

test('kafka-backfill example survives a SIGKILL in the history phase and one in the Kafka phase', {
  skip,
  timeout: 90_000,
}, async (t) => {
  const s = await setup(16_000, 3, seed + 2);
  const output = await createTopic(2, 'bf-out');
  const expected = windowCountsReference(s.events);
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
    'backfill',
    '--pause-every',
    '3',
    '--history',
    s.history,
    '--brokers',
    brokers,
    '--input-topic',
    s.topic,
    '--output-topic',
    output,
    '--bounded',
  ];
  const switched = (stderr: string) => stderr.match(/^kafka-backfill: reader \d switched to Kafka/gm)?.length ?? 0;
  const historyDelay = Math.round(random() * 300);
  let firstAt = 0;
  let switchedAt = -1;
  const result = await runWithKills(
    command,
    [
      {
        what: `in the history phase, ${historyDelay} ms after the first checkpoint`,
        when: (p) => {
          if (p.completedCheckpoints().length === 0) return false;
          firstAt ||= Date.now();
          return Date.now() - firstAt >= historyDelay || switched(p.stderr) > 0;
        },
      },
      {
        what: 'in the Kafka phase, two checkpoints after both readers switched',
        when: (p) => {
          if (switched(p.stderr) < 2) return false;
          if (switchedAt < 0) switchedAt = p.completedCheckpoints().length;
          return p.completedCheckpoints().length >= switchedAt + 2;
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
  assert.equal(result.kills, 2, `the job ended before both kills:\n${result.log.join('\n')}`);
  assert.match(result.log[0]!, /history phase/);
  assert.match(result.last.stderr, /switched to Kafka \(restored positions\)/);
  const got = canonicalRows(await readCommitted(output));
  const missing = notCovered(expected, got);
  const extra = notCovered(got, expected);
  assert.deepEqual(
    { missing: missing.length, extra: extra.length },
    { missing: 0, extra: 0 },
    `missing ${missing.slice(0, 3).join(' ')}; extra ${extra.slice(0, 3).join(' ')}`,
  );
});
