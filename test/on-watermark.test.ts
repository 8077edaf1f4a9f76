import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type DataStream,
  type ProcessFunction,
  StreamExecutionEnvironment,
  type TimestampedCollector,
  TumblingEventTimeWindows,
  WatermarkStrategies,
} from '../src/index.js';
import { OperatorTestHarness } from '../src/testing/index.js';

/** Holds every record until the watermark passes its time, then emits it with that time. */
class HoldUntilWatermark implements ProcessFunction<number, number> {
  private held: number[] = [];
  processElement(v: number): void {
    this.held.push(v);
  }
  onWatermark(watermark: number, out: TimestampedCollector<number>): void {
    const due = this.held.filter((v) => v <= watermark);
    this.held = this.held.filter((v) => v > watermark);
    for (const v of due) out.collectWithTimestamp(v, v);
  }
}

/** Emits how many records it has seen at each watermark, stamped by the engine. */
class CountAtWatermark implements ProcessFunction<number, number> {
  private held = 0;
  processElement(): void {
    this.held++;
  }
  onWatermark(_watermark: number, out: TimestampedCollector<number>): void {
    out.collect(this.held);
  }
}

describe('onWatermark (non-keyed process functions)', () => {
  test('runs before the watermark is forwarded; collect stamps the watermark, none at the end', async () => {
    const h = await OperatorTestHarness.create((s: DataStream<number>) => s.process(new CountAtWatermark()));
    h.processElement(5, 5).processElement(12, 12);
    assert.deepEqual(h.values(), []);
    h.processWatermark(12);
    assert.deepEqual(h.output(), [{ value: 2, timestamp: 12 }]);
    assert.deepEqual(h.watermarks(), [12]);
    h.processElement(30, 30);
    await h.endInput();
    assert.deepEqual(h.output().slice(1), [{ value: 3, timestamp: undefined }]);
    assert.deepEqual(h.watermarks(), [12, Number.POSITIVE_INFINITY]);
  });

  test('what it emits is counted by the event-time windows downstream, at every parallelism', async () => {
    const n = 6_000;
    // Out of order within 40 ms, so records are held across several watermark steps.
    const times = Array.from({ length: n }, (_, i) => i * 3 + ((i * 7919) % 40));
    const expected = new Map<number, number>();
    for (const t of times) {
      const w = Math.floor(t / 1000) * 1000;
      expected.set(w, (expected.get(w) ?? 0) + 1);
    }
    for (const parallelism of [1, 2, 3]) {
      const env = StreamExecutionEnvironment.create({ parallelism });
      const counts = env
        .fromCollection(times)
        .assignTimestampsAndWatermarks(
          WatermarkStrategies.forBoundedOutOfOrderness<number>(50).withTimestampAssigner((t) => t),
        )
        .process(new HoldUntilWatermark(), 'hold')
        .keyBy((t) => Math.floor(t / 1000))
        .window(TumblingEventTimeWindows.of(1000))
        .process<[number, number]>({
          process: (key, _ctx, elements, out) => out.collect([key * 1000, elements.length]),
        })
        .collect('counts');
      await env.execute();
      const got = new Map(counts.get());
      assert.deepEqual(
        [...got].sort((a, b) => a[0] - b[0]),
        [...expected].sort((a, b) => a[0] - b[0]),
        `p=${parallelism}`,
      );
    }
  });

  test('a keyed function with onWatermark is refused when the job starts', async () => {
    const env = StreamExecutionEnvironment.create();
    env
      .fromCollection([1, 2])
      .keyBy((x) => x)
      .process<number>({
        processElement() {},
        onWatermark() {},
      } as never)
      .collect('keyed-hook');
    await assert.rejects(env.execute(), /onWatermark is for non-keyed functions/);
  });
});
