import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  type AggregateFunction,
  type DataStream,
  OutputTag,
  RestartStrategies,
  SlidingEventTimeWindows,
  StreamExecutionEnvironment,
  type TimeWindow,
  TumblingEventTimeWindows,
  WatermarkStrategies,
} from '../src/index.js';
import { buildExecutionGraph } from '../src/runtime/execution-graph.js';
import { NUM_LATE_RECORDS_DROPPED } from '../src/runtime/operator-metrics.js';
import { seededRandom } from './fixtures/ckpt-support.js';

/**
 * Local-global aggregation: results with the pre-aggregation before the exchange equal a brute-force reference and
 * the same job with `localAggregation: false` — random keys with one hot key, timestamps out of order within the
 * watermark bound (and some beyond it: late), random batch sizes, p=1 and p=2, streaming and batch, and through a
 * failure restored from a checkpoint.
 */

interface Ev {
  key: string;
  ts: number;
  v: number;
  user: number;
}
interface Stats {
  n: number;
  sum: number;
  users: Set<number>;
}
const BOUND = 50;

/** Count, sum and distinct users; `merge` unions the sets (never sharing `b`'s set). */
const stats: AggregateFunction<Ev, Stats, { n: number; sum: number; users: number }> = {
  createAccumulator: () => ({ n: 0, sum: 0, users: new Set() }),
  add: (e, a) => {
    a.n++;
    a.sum += e.v;
    a.users.add(e.user);
    return a;
  },
  getResult: (a) => ({ n: a.n, sum: a.sum, users: a.users.size }),
  merge: (a, b) => {
    a.n += b.n;
    a.sum += b.sum;
    for (const u of b.users) a.users.add(u);
    return a;
  },
};

/** Events with a hot key (half of them), in time order up to BOUND ms of disorder; `late` adds some beyond it. */
function makeEvents(seed: number, count: number, late: boolean): Ev[] {
  const rnd = seededRandom(seed);
  const out: Ev[] = [];
  for (let i = 0; i < count; i++) {
    const key = rnd() < 0.5 ? 'hot' : `k${Math.floor(rnd() * 30)}`;
    let ts = i * 3 + Math.floor(rnd() * BOUND);
    if (late && rnd() < 0.02) ts -= 400;
    out.push({ key, ts: Math.max(0, ts), v: Math.floor(rnd() * 100), user: Math.floor(rnd() * 40) });
  }
  return out;
}

interface RunOptions {
  parallelism: number;
  batchSize: number;
  mode: 'streaming' | 'batch';
  localAggregation: boolean;
}

function envFor(o: RunOptions): StreamExecutionEnvironment {
  return StreamExecutionEnvironment.create({
    parallelism: o.parallelism,
    batchSize: o.batchSize,
    runtimeMode: o.mode,
    localAggregation: o.localAggregation,
  });
}

function timed(env: StreamExecutionEnvironment, events: Ev[]): DataStream<Ev> {
  return env
    .fromCollection(events)
    .assignTimestampsAndWatermarks(
      WatermarkStrategies.forBoundedOutOfOrderness<Ev>(BOUND).withTimestampAssigner((e) => e.ts),
    );
}

const sorted = (rows: unknown[]): string[] => rows.map((r) => JSON.stringify(r)).sort();
const vertexNames = (env: StreamExecutionEnvironment): string[] =>
  buildExecutionGraph(env.buildPlan()).vertices.map((v) => v.name);

async function rolling(events: Ev[], o: RunOptions): Promise<string[]> {
  const env = envFor(o);
  const h = timed(env, events)
    .keyBy((e) => e.key)
    .aggregate(
      {
        ...stats,
        getResult: (a: Stats) => ({ ...stats.getResult(a) }),
      },
      { name: 'stats', emit: 'final' },
    )
    .collect();
  if (o.localAggregation) assert.ok(vertexNames(env).some((n) => n.includes('stats (local)')));
  await env.execute();
  return sorted(h.get());
}

type Windowing = 'tumbling' | 'sliding';
const assignerOf = (w: Windowing) =>
  w === 'tumbling' ? TumblingEventTimeWindows.of(100) : SlidingEventTimeWindows.of(200, 50);

async function windowed(events: Ev[], w: Windowing, o: RunOptions): Promise<{ rows: string[]; late: number }> {
  const env = envFor(o);
  const h = timed(env, events)
    .keyBy((e) => e.key)
    .window(assignerOf(w))
    .aggregate(stats, {
      process(key: string, ctx, [r]) {
        const win = ctx.window as TimeWindow;
        return [{ key, start: win.start, end: win.end, ...r! }];
      },
    })
    .collect();
  if (o.localAggregation)
    assert.ok(
      vertexNames(env).some((n) => n.includes('(local)')),
      vertexNames(env).join(),
    );
  const result = await env.execute();
  const late = result.operatorMetrics.reduce((n, m) => n + (m.counters[NUM_LATE_RECORDS_DROPPED] ?? 0), 0);
  return { rows: sorted(h.get()), late };
}

function rollingReference(events: Ev[]): string[] {
  const by = new Map<string, Stats>();
  for (const e of events) by.set(e.key, stats.add(e, by.get(e.key) ?? stats.createAccumulator()));
  return sorted([...by.values()].map((a) => stats.getResult(a)));
}

/** Every window of every key, without lateness (events within the bound are never late). */
function windowReference(events: Ev[], w: Windowing): string[] {
  const [size, slide] = w === 'tumbling' ? [100, 100] : [200, 50];
  const by = new Map<string, { key: string; start: number; acc: Stats }>();
  for (const e of events) {
    for (let start = e.ts - (e.ts % slide); start > e.ts - size; start -= slide) {
      const id = `${e.key}|${start}`;
      const cur = by.get(id) ?? { key: e.key, start, acc: stats.createAccumulator() };
      stats.add(e, cur.acc);
      by.set(id, cur);
    }
  }
  return sorted(
    [...by.values()].map((x) => ({ key: x.key, start: x.start, end: x.start + size, ...stats.getResult(x.acc) })),
  );
}

const modes = ['streaming', 'batch'] as const;

for (const parallelism of [1, 2]) {
  for (const mode of modes) {
    test(`rolling final aggregate: local-global equals the reference and the switch off (p=${parallelism}, ${mode})`, async () => {
      for (let seed = 1; seed <= 4; seed++) {
        const events = makeEvents(seed * 31 + parallelism, 600 + seed * 150, false);
        const batchSize = 1 + Math.floor(seededRandom(seed)() * 40);
        const on = await rolling(events, { parallelism, batchSize, mode, localAggregation: true });
        const off = await rolling(events, { parallelism, batchSize, mode, localAggregation: false });
        assert.deepEqual(on, rollingReference(events), `seed ${seed}`);
        assert.deepEqual(on, off, `seed ${seed}`);
      }
    });

    for (const w of ['tumbling', 'sliding'] as const) {
      test(`${w} window aggregate: local-global equals the reference and the switch off (p=${parallelism}, ${mode})`, async () => {
        for (let seed = 1; seed <= 4; seed++) {
          const events = makeEvents(seed * 17 + parallelism, 600 + seed * 150, false);
          const batchSize = 1 + Math.floor(seededRandom(seed + 7)() * 40);
          const on = await windowed(events, w, { parallelism, batchSize, mode, localAggregation: true });
          const off = await windowed(events, w, { parallelism, batchSize, mode, localAggregation: false });
          assert.deepEqual(on.rows, windowReference(events, w), `seed ${seed}`);
          assert.deepEqual(on, off, `seed ${seed}`);
          assert.equal(on.late, 0);
        }
      });
    }
  }

  test(`late records: windows and dropped-record counts equal the switch off (p=${parallelism})`, async () => {
    for (const w of ['tumbling', 'sliding'] as const) {
      for (let seed = 1; seed <= 3; seed++) {
        const events = makeEvents(seed * 101 + parallelism, 1500, true);
        const batchSize = 1 + Math.floor(seededRandom(seed + 3)() * 40);
        const o = { parallelism, batchSize, mode: 'streaming' as const };
        const on = await windowed(events, w, { ...o, localAggregation: true });
        const off = await windowed(events, w, { ...o, localAggregation: false });
        assert.ok(off.late > 0, 'the input has late records');
        assert.deepEqual(on, off, `${w}, seed ${seed}`);
      }
    }
  });
}

test('local aggregation is planned only where it is safe', () => {
  const plan = (build: (s: DataStream<Ev>) => { collect(): unknown }, config: { localAggregation?: boolean } = {}) => {
    const env = StreamExecutionEnvironment.create(config);
    build(timed(env, [])).collect();
    return vertexNames(env).join(' | ');
  };
  const sum = { ...stats };
  const noMerge = { ...stats, merge: undefined };
  const keyed = (s: DataStream<Ev>) => s.keyBy((e) => e.key);
  assert.match(
    plan((s) => keyed(s).aggregate(sum, { name: 'a', emit: 'final' })),
    /a \(local\) \| a ->/,
  );
  assert.doesNotMatch(
    plan((s) => keyed(s).aggregate(sum, { name: 'a', emit: 'final' }), { localAggregation: false }),
    /local/,
  );
  assert.doesNotMatch(
    plan((s) => keyed(s).aggregate(sum, { name: 'a', emit: 'every' })),
    /local/,
  );
  assert.doesNotMatch(
    plan((s) => keyed(s).aggregate(noMerge, { name: 'a', emit: 'final' })),
    /local/,
  );
  const win = (s: DataStream<Ev>) => keyed(s).window(TumblingEventTimeWindows.of(10));
  assert.match(
    plan((s) => win(s).aggregate(sum)),
    /local/,
  );
  assert.doesNotMatch(
    plan((s) => win(s).aggregate(noMerge)),
    /local/,
  );
  assert.doesNotMatch(
    plan((s) => win(s).allowedLateness(5).aggregate(sum)),
    /local/,
  );
  assert.doesNotMatch(
    plan((s) => win(s).sideOutputLateData(new OutputTag<Ev>('late')).aggregate(sum)),
    /local/,
  );
  // An upstream with a second consumer would not chain the local aggregation: none is planned.
  assert.doesNotMatch(
    plan((s) => {
      s.collect();
      return keyed(s).aggregate(sum, { name: 'a', emit: 'final' });
    }),
    /local/,
  );
});

const dir = mkdtempSync(join(tmpdir(), 'sluice-local-agg-'));
after(() => rmSync(dir, { recursive: true, force: true }));

for (const parallelism of [1, 2]) {
  test(`partials are neither lost nor doubled by a failure restored from a checkpoint (p=${parallelism})`, {
    timeout: 120_000,
  }, async () => {
    const count = 6000;
    const gen = (i: number): Ev => {
      const r = (i * 2654435761) % 1000;
      return { key: r < 500 ? 'hot' : `k${r % 13}`, ts: i * 2 + (r % BOUND), v: r % 100, user: r % 37 };
    };
    const events = Array.from({ length: count }, (_, i) => gen(i));
    let checkpointed = false;
    let failed = false;
    const env = StreamExecutionEnvironment.create({ parallelism, batchSize: 17 })
      .enableCheckpointing(30, join(dir, `ck-${parallelism}`))
      .setRestartStrategy(RestartStrategies.fixedDelay(1, 1));
    const source = env
      .fromGenerator(gen, { count, ratePerSecond: 8000 })
      .map((e) => {
        if (checkpointed && !failed && e.ts > 4000) {
          failed = true;
          throw new Error('fail once after a checkpoint');
        }
        return e;
      })
      .assignTimestampsAndWatermarks(
        WatermarkStrategies.forBoundedOutOfOrderness<Ev>(BOUND).withTimestampAssigner((e) => e.ts),
      );
    const windows = source
      .map((e) => e)
      .keyBy((e) => e.key)
      .window(TumblingEventTimeWindows.of(100))
      .aggregate(stats, {
        process(key: string, ctx, [r]) {
          return [{ key, start: (ctx.window as TimeWindow).start, end: (ctx.window as TimeWindow).end, ...r! }];
        },
      })
      .collect('windows');
    const totals = source
      .map((e) => e)
      .keyBy((e) => e.key)
      .aggregate(stats, { name: 'totals', emit: 'final' })
      .collect('totals');
    assert.equal(vertexNames(env).filter((n) => n.includes('(local)')).length, 2, vertexNames(env).join());
    const result = await env.execute('restore', {
      onCheckpoint: () => {
        checkpointed = true;
      },
    });
    assert.equal(result.restarts, 1);
    // Collect sinks are at-least-once across a restart: a window fired before the failure may come twice, equal.
    assert.deepEqual([...new Set(sorted(windows.get()))], windowReference(events, 'tumbling'));
    assert.deepEqual(sorted(totals.get()), rollingReference(events));
  });
}
