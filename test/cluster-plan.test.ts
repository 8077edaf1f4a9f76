import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { assignTasks } from '../src/cluster/assignment.js';
import { claimJobIdentity } from '../src/cluster/job-identity.js';
import { RepartitionReader, repartitionPartition } from '../src/cluster/repartition.js';
import { allTasks, planCluster, sourceTopics, taskName, taskPlan } from '../src/cluster/stage-plan.js';
import { FileSink } from '../src/connectors/files/file-sink.js';
import { KafkaSink, KafkaSource } from '../src/connectors/kafka/index.js';
import { PlanError } from '../src/core/errors.js';
import { keyGroupOf, normalizeKey } from '../src/core/key.js';
import type { SourceOutput, SourceReader } from '../src/core/source.js';
import type { Collector } from '../src/functions/context.js';
import { StreamExecutionEnvironment, TumblingEventTimeWindows, WatermarkStrategies } from '../src/index.js';
import type { JobPlan } from '../src/plan/job-plan.js';
import { SplitWatermarks } from '../src/runtime/split-watermarks.js';

/** Cutting plans into stages and tasks, and assigning tasks to processes: pure parts of cluster mode. */

const brokers = '127.0.0.1:1';
interface Ev {
  user: string;
  ts: number;
}

function source(topic: string, bounded = true) {
  return new KafkaSource<Ev>({ brokers, topics: topic, ...(bounded ? { stoppingOffsets: 'latest' as const } : {}) });
}
const sink = (topic: string) =>
  new KafkaSink<unknown>({ brokers, topic, delivery: 'exactly-once', transactionalIdPrefix: `p-${topic}` });
const strategy = WatermarkStrategies.forBoundedOutOfOrderness<Ev>(5).withTimestampAssigner((e) => e.ts);

function windowJob(): JobPlan {
  const env = StreamExecutionEnvironment.create();
  env
    .fromSource(source('events'), strategy)
    .map((e) => e)
    .keyBy((e) => e.user)
    .window(TumblingEventTimeWindows.of(60_000))
    .reduce((a, b) => ({ user: a.user, ts: Math.max(a.ts, b.ts) }))
    .sinkTo(sink('out'));
  return env.buildPlan('window-job');
}

const options = (partitions: Record<string, number>) => ({
  jobId: 'j-abc',
  brokers,
  partitions: new Map(Object.entries(partitions)),
});

describe('planCluster', () => {
  it('cuts a keyed window job at its keyBy into a reading stage and a window stage', () => {
    const plan = windowJob();
    assert.deepEqual(sourceTopics(plan), ['events']);
    const cluster = planCluster(plan, options({ events: 6 }));
    assert.equal(cluster.stages.length, 2);
    const [read, window] = cluster.stages;
    assert.deepEqual(
      read!.nodes.map((n) => n.kind),
      ['source', 'map'],
    );
    assert.deepEqual(
      window!.nodes.map((n) => n.kind),
      ['window', 'sink'],
    );
    assert.equal(read!.tasks, 6);
    assert.equal(window!.tasks, 6, 'stages after a keyBy default to the most source partitions');
    assert.equal(cluster.edges.length, 1);
    assert.deepEqual(cluster.edges[0]!.topic.partitions, 6);
    assert.deepEqual(cluster.edges[0]!.topic.origins, 6);
    assert.match(cluster.edges[0]!.topic.name, /^sluice-j-abc-[a-zA-Z0-9._-]+-repartition$/);
    assert.equal(allTasks(cluster).length, 12);
    assert.ok(read!.bounded && window!.bounded);
  });

  it('gives each task a plan of its own: narrowed source, repartition sink, per-task transactional ids', () => {
    const cluster = planCluster(windowJob(), { ...options({ events: 4 }), defaultTasks: 3 });
    const first = taskPlan(cluster, { stage: 0, task: 2 });
    assert.equal(first.config.parallelism, 1);
    assert.deepEqual(
      first.nodes.map((n) => n.kind),
      ['source', 'map', 'sink'],
    );
    assert.deepEqual(
      first.nodes.map((n) => n.id),
      [1, 2, 3],
    );
    const src = first.nodes[0]!;
    assert.ok(src.kind === 'source' && src.source instanceof KafkaSource);
    assert.deepEqual((src.source as KafkaSource<Ev>).options.partitions, [2]);
    const repartitionSink = first.nodes[2]!;
    assert.ok(repartitionSink.kind === 'sink' && repartitionSink.name.startsWith('repartition '));
    assert.equal(repartitionSink.inputs[0]!.node, first.nodes[1]);

    const second = taskPlan(cluster, { stage: 1, task: 1 });
    assert.deepEqual(
      second.nodes.map((n) => n.kind),
      ['source', 'window', 'sink'],
    );
    const input = second.nodes[0]!;
    assert.ok(input.kind === 'source' && input.watermarks !== undefined, 'repartition input tracks split watermarks');
    assert.equal(second.nodes[1]!.inputs[0]!.partitioning?.kind, 'hash');
    const out = second.nodes[2]!;
    assert.ok(out.kind === 'sink' && out.sink instanceof KafkaSink);
    assert.equal(
      (out.sink as KafkaSink<unknown>).options.transactionalIdPrefix,
      `p-out-${taskName({ stage: 1, task: 1 })}`,
    );
    assert.equal(out.uid, windowJob().nodes.find((n) => n.kind === 'sink')!.uid, 'state keeps the job uids');
    assert.equal(cluster.stages[1]!.tasks, 3);
    assert.equal(cluster.edges[0]!.topic.origins, 4);
  });

  it('puts a keyed join of two topics in one stage fed by two repartition topics', () => {
    const env = StreamExecutionEnvironment.create();
    const a = env.fromSource(source('a'), strategy);
    const b = env.fromSource(source('b', false), strategy);
    a.keyBy((e) => e.user)
      .connect(b.keyBy((e) => e.user))
      .process({
        processElement1: (e: Ev, _ctx, out: Collector<Ev>) => out.collect(e),
        processElement2: (e: Ev, _ctx, out) => out.collect(e),
      })
      .sinkTo(sink('joined'));
    const cluster = planCluster(env.buildPlan(), options({ a: 3, b: 5 }));
    assert.deepEqual(
      cluster.stages.map((s) => s.tasks),
      [3, 5, 5],
    );
    assert.equal(cluster.stages[2]!.bounded, false, 'a stage reading an unbounded stage is unbounded');
    assert.deepEqual(
      cluster.edges.map((e) => [e.from, e.to, e.topic.origins, e.topic.partitions]),
      [
        [0, 2, 3, 5],
        [1, 2, 5, 5],
      ],
    );
  });

  it('refuses what it cannot run, naming the operator', () => {
    const nonKafka = StreamExecutionEnvironment.create();
    nonKafka.fromCollection([1, 2]).sinkTo(sink('x'));
    assert.throws(() => planCluster(nonKafka.buildPlan(), options({})), /source 'collection' is not a Kafka source/);

    const global = StreamExecutionEnvironment.create();
    global.fromSource(source('events')).global().sinkTo(sink('x'));
    assert.throws(() => planCluster(global.buildPlan(), options({ events: 2 })), PlanError);

    const mixed = StreamExecutionEnvironment.create();
    mixed
      .fromSource(source('a'))
      .union(mixed.fromSource(source('b')))
      .sinkTo(sink('x'));
    assert.throws(() => planCluster(mixed.buildPlan(), options({ a: 2, b: 3 })), /same number of partitions/);

    const file = StreamExecutionEnvironment.create();
    file.fromSource(source('events')).sinkTo(new FileSink('/tmp/never-written'));
    assert.throws(() => planCluster(file.buildPlan(), options({ events: 2 })), /would be written by every process/);
  });
});

describe('repartitionPartition', () => {
  it('maps key groups to partitions in contiguous ranges, every partition used', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 128 }), (key, partitions) => {
        const p = repartitionPartition(key, 128, partitions);
        const group = keyGroupOf(normalizeKey(key), 128);
        return p >= 0 && p < partitions && p === Math.floor((group * partitions) / 128);
      }),
    );
    const used = new Set(Array.from({ length: 128 }, (_, g) => Math.floor((g * 6) / 128)));
    assert.equal(used.size, 6);
  });
});

describe('assignTasks', () => {
  const tasks = Array.from({ length: 12 }, (_, i) => `t${i}`);

  it('assigns every task exactly once, balanced within one, for any ownership reported', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.constantFrom(...tasks, 'gone'), { maxLength: 14 }), { minLength: 1, maxLength: 7 }),
        (owned) => {
          const members = owned.map((o, i) => ({ memberId: `m${i}`, owned: o }));
          const result = assignTasks(tasks, members);
          const all = [...result.values()].flat();
          const sizes = [...result.values()].map((l) => l.length);
          return (
            all.length === tasks.length &&
            new Set(all).size === tasks.length &&
            all.every((t) => tasks.includes(t)) &&
            Math.max(...sizes) - Math.min(...sizes) <= 1
          );
        },
      ),
    );
  });

  it('is sticky: a joining member takes tasks only from others, and only its share', () => {
    const before = assignTasks(tasks, [
      { memberId: 'a', owned: [] },
      { memberId: 'b', owned: [] },
    ]);
    const after = assignTasks(tasks, [
      { memberId: 'a', owned: before.get('a')! },
      { memberId: 'b', owned: before.get('b')! },
      { memberId: 'c', owned: [] },
    ]);
    assert.equal(after.get('c')!.length, 4);
    for (const m of ['a', 'b']) for (const t of after.get(m)!) assert.ok(before.get(m)!.includes(t), 'no swaps');
    const leave = assignTasks(tasks, [
      { memberId: 'a', owned: after.get('a')! },
      { memberId: 'c', owned: after.get('c')! },
    ]);
    for (const m of ['a', 'c']) for (const t of after.get(m)!) assert.ok(leave.get(m)!.includes(t), 'kept');
  });
});

describe('RepartitionReader', () => {
  const packr = new Packr({ useRecords: false, moreTypes: true, int64AsType: 'bigint' });
  const topic = { name: 't', partitions: 1, origins: 3 };

  /** A reader over `envelopes` (one poll emits them all), with the split watermarks a task gives it. */
  function harness(envelopes: unknown[][]) {
    const events: string[] = [];
    const inner: SourceReader<Buffer> = {
      pollNext(out) {
        for (const e of envelopes.splice(0)) out.collect(Buffer.from(packr.pack(e)));
        return 'wait';
      },
    };
    const reader = new RepartitionReader<string>(inner, { brokers, topic, partition: 0, bounded: true });
    const splits = new SplitWatermarks(
      WatermarkStrategies.noWatermarks(),
      {
        collect: (v, ts) => events.push(`${v}@${ts}`),
        emitWatermark: (wm) => events.push(`wm ${wm}`),
        emitIdle: (idle) => events.push(`idle ${idle}`),
      },
      () => 0,
      false,
    );
    const out: SourceOutput<string> = {
      collect: (v, ts) => splits.output('').collect(v, ts),
      forSplit: (s) => splits.output(s) as SourceOutput<string>,
      releaseSplit: (s) => splits.release(s),
    };
    const poll = () => {
      const r = reader.pollNext(out, 100);
      if (r !== 'end') splits.afterPoll();
      return r;
    };
    return { reader, events, poll };
  }

  it('holds the watermark at the slowest origin, and an origin that sent nothing holds it back entirely', () => {
    const { events, poll } = harness([
      [0, 0, [10, 20], ['a', 'b']],
      [1, 0, 15],
      [1, 1, 30],
      [0, 1, [40], ['c']],
    ]);
    poll();
    assert.deepEqual(events, ['a@10', 'b@20', 'c@40'], 'origin 2 has sent nothing: no watermark');
  });

  it('after a restore, gives the restored watermarks only once every origin exists (ended origins included)', () => {
    const first = harness([
      [1, 0, Number.POSITIVE_INFINITY],
      [1, 1, 50],
    ]);
    first.poll();
    const state = first.reader.snapshotState();
    const second = harness([[0, 1, [60], ['x']]]);
    second.reader.restoreState([state]);
    second.poll();
    // Origin 2 has not sent anything: nothing may be emitted as a watermark, although origin 0 has ended.
    assert.deepEqual(second.events, ['x@60']);
  });

  it('ends once every origin has sent the maximum watermark; an idle origin holds nothing back', () => {
    const { events, poll } = harness([
      [2, 2, 1],
      [1, 0, 70],
      [1, 1, 90],
      [1, 0, Number.POSITIVE_INFINITY],
      [1, 1, Number.POSITIVE_INFINITY],
      [1, 2, Number.POSITIVE_INFINITY],
    ]);
    assert.equal(poll(), 'end');
    assert.deepEqual(events, ['wm 70', 'wm 90', 'wm Infinity']);
  });
});

describe('claimJobIdentity', () => {
  it('gives processes starting at the same moment the same instance, and refuses a different job', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-identity-'));
    const claims = await Promise.all(Array.from({ length: 8 }, () => claimJobIdentity(dir, 'counts', 'job.ts --a 1')));
    assert.equal(new Set(claims.map((c) => c.instance)).size, 1);
    assert.deepEqual(readdirSync(dir), ['job.json'], 'no temporary files left');
    assert.equal((await claimJobIdentity(dir, 'counts', 'job.ts --a 1')).instance, claims[0]!.instance);
    await assert.rejects(claimJobIdentity(dir, 'counts', 'job.ts --a 2'), /taken in .* by another job/);
  });
});
