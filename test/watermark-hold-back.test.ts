/**
 * DataStream.holdBackWatermarks: a keyed process function that re-emits each record from an event-time timer 5 ms
 * after its time (so behind its input watermark), followed by a tumbling event-time window. With the watermark held
 * back by 5 ms no record is late and every window counts all its records, including those released only by the
 * final watermark; without it the window drops them. Brute-force reference: counting per key and window.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type Collector,
  type KeyedContext,
  type KeyedProcessFunction,
  type OnTimerContext,
  PlanError,
  type RuntimeContext,
  StreamExecutionEnvironment,
  type TimestampedEmitter,
  TumblingEventTimeWindows,
  WatermarkStrategies,
} from '../src/index.js';
import { listState } from '../src/state/descriptors.js';
import type { ListState } from '../src/state/state.js';

interface Ev {
  k: string;
  ts: number;
}

/** Holds every record until the watermark passes its time + 5, then emits it with its own timestamp. */
class Release implements KeyedProcessFunction<string, Ev, Ev> {
  private held!: ListState<Ev>;
  open(ctx: RuntimeContext): void {
    this.held = ctx.getListState(listState<Ev>('held'));
  }
  processElement(e: Ev, ctx: KeyedContext<string>): void {
    this.held.add(e);
    ctx.timerService().registerEventTimeTimer(e.ts + 5);
  }
  onTimer(time: number, ctx: OnTimerContext<string>, _out: Collector<Ev>): void {
    const keep: Ev[] = [];
    for (const e of this.held.get()) {
      if (e.ts + 5 <= time) (ctx as unknown as TimestampedEmitter).collectWithTimestamp(e, e.ts);
      else keep.push(e);
    }
    this.held.update(keep);
  }
}

/** Events with times 0..59 in a shuffled-but-bounded order (at most 3 ms out of order), over three keys. */
const events: Ev[] = Array.from({ length: 60 }, (_, i) => ({ k: `k${i % 3}`, ts: i + ((i * 7) % 4) }));

function expected(): string[] {
  const counts = new Map<string, number>();
  for (const e of events) {
    const id = `${e.k}@${Math.floor(e.ts / 10) * 10}`;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return [...counts].map(([id, n]) => `${id}:${n}`).sort();
}

async function run(parallelism: number, runtimeMode: 'streaming' | 'batch', delay: number | undefined) {
  const env = StreamExecutionEnvironment.create({ parallelism, runtimeMode, batchSize: 1 });
  let released = env
    .fromCollection(events, 'events')
    .setParallelism(1)
    .assignTimestampsAndWatermarks(
      WatermarkStrategies.forBoundedOutOfOrderness<Ev>(3).withTimestampAssigner((e) => e.ts),
    )
    .setParallelism(1)
    .keyBy((e) => e.k)
    .process<Ev>(new Release(), 'release');
  if (delay !== undefined) released = released.holdBackWatermarks(delay);
  const counts = released
    .keyBy((e) => e.k)
    .window(TumblingEventTimeWindows.of(10))
    .aggregate(
      { createAccumulator: () => 0, add: (_e: Ev, n: number) => n + 1, getResult: (n: number) => n },
      {
        process(k: string, ctx, [n]: readonly [number], out: Collector<string>) {
          out.collect(`${k}@${ctx.window.start}:${n}`);
        },
      },
    )
    .collect();
  const result = await env.execute('hold-back', { log: () => {} });
  const window = result.operatorMetrics.find((m) => m.name === 'window-aggregate');
  return { counts: counts.get().sort(), late: window?.counters.numLateRecordsDropped ?? 0 };
}

for (const parallelism of [1, 2]) {
  test(`records a process function emits behind its watermark are on time downstream when it holds the watermark back (p=${parallelism})`, async () => {
    for (const mode of ['streaming', 'batch'] as const) {
      assert.deepEqual(await run(parallelism, mode, 5), { counts: expected(), late: 0 }, mode);
    }
    // Without the hold-back the window has fired before the records come: they are dropped as late.
    const without = await run(parallelism, 'streaming', undefined);
    assert.notDeepEqual(without.counts, expected());
    assert.ok(without.late > 0);
  });
}

test('holdBackWatermarks applies to process() and connect().process() outputs, with a delay >= 0', () => {
  const env = StreamExecutionEnvironment.create({ parallelism: 1 });
  const s = env.fromCollection([1, 2, 3]);
  s.process<number>({ processElement: (v, _ctx, out) => out.collect(v) }).holdBackWatermarks(0);
  s.connect(s)
    .process<number>({ processElement1: () => {}, processElement2: () => {} })
    .holdBackWatermarks(10);
  assert.throws(() => s.map((v) => v).holdBackWatermarks(5), PlanError);
  assert.throws(() => s.map((v) => v).holdBackWatermarks(5), /applies to the output of process\(\)/);
  const p = s.process<number>({ processElement: () => {} });
  assert.throws(() => p.holdBackWatermarks(-1), /finite number of ms >= 0, got -1/);
  assert.throws(() => p.holdBackWatermarks(Number.NaN), PlanError);
  assert.throws(() => p.holdBackWatermarks(Number.POSITIVE_INFINITY), PlanError);
});
