/**
 * Per-split watermarks (`Source.splitWatermarks`): the watermark of a source subtask is the minimum over its
 * non-idle splits, so a lagging split holds it back (none of its records is late) and a silent one stops holding it
 * after the idleness timeout.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type Source,
  type SourceOutput,
  type SourceReader,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  WatermarkStrategies,
} from '../src/index.js';
import { SplitWatermarks } from '../src/runtime/split-watermarks.js';

test('the watermark is the minimum over splits; a silent split stops holding it after the idleness timeout', () => {
  let now = 0;
  const watermarks: number[] = [];
  const idles: boolean[] = [];
  const records: number[] = [];
  const sw = new SplitWatermarks(
    WatermarkStrategies.forBoundedOutOfOrderness<number>(0).withIdleness(1_000) as never,
    {
      collect: (_v, ts) => records.push(ts),
      emitWatermark: (wm) => watermarks.push(wm),
      emitIdle: (idle) => idles.push(idle),
    },
    () => now,
    false,
  );
  sw.output('a').collect('x', 10_000);
  sw.output('b').collect('y', 1_000);
  sw.afterPoll();
  const wmB = watermarks.at(-1)!;
  assert.ok(wmB < 1_000, `held back by split b: ${wmB}`);
  // a goes on, b stays silent: still held until b's idleness timeout.
  now = 500;
  sw.output('a').collect('x', 20_000);
  sw.afterPoll();
  assert.equal(watermarks.at(-1), wmB);
  assert.equal(sw.nextIdleCheck(), 1_000);
  now = 1_200;
  sw.output('a').collect('x', 21_000);
  sw.afterPoll();
  assert.ok(watermarks.at(-1)! >= 20_000, `b idle: a alone decides (${watermarks.at(-1)})`);
  // Everything silent: the subtask is idle; a record makes it active again.
  now = 5_000;
  sw.afterPoll();
  assert.deepEqual(idles, [true]);
  sw.output('b').collect('y', 30_000);
  sw.afterPoll();
  assert.deepEqual(idles, [true, false]);
  assert.deepEqual(records, [10_000, 1_000, 20_000, 21_000, 30_000]);
  for (let i = 1; i < watermarks.length; i++) assert.ok(watermarks[i]! > watermarks[i - 1]!, 'never decreases');
});

/** Two splits in one reader: split 'fast' runs 100 s of event time ahead of split 'slow' in every poll. */
class TwoSplitSource implements Source<{ split: string; ts: number }> {
  readonly name = 'two-splits';
  readonly boundedness = 'bounded' as const;
  readonly maxParallelism = 1;
  readonly splitWatermarks = true;
  createReader(): SourceReader<{ split: string; ts: number }> {
    let i = 0;
    return {
      pollNext(out: SourceOutput<{ split: string; ts: number }>) {
        if (i >= 200) return 'end';
        const fast = out.forSplit?.('fast') ?? out;
        const slow = out.forSplit?.('slow') ?? out;
        for (let k = 0; k < 10; k++, i++) {
          fast.collect({ split: 'fast', ts: 100_000 + i * 1_000 }, 100_000 + i * 1_000);
          slow.collect({ split: 'slow', ts: i * 1_000 }, i * 1_000);
        }
        return 'more';
      },
    };
  }
}

test('a lagging split holds the watermark: none of its records is late for event-time windows', async () => {
  const env = new StreamExecutionEnvironment();
  const counts = env
    .fromSource(new TwoSplitSource(), WatermarkStrategies.forBoundedOutOfOrderness(0))
    .keyBy((e) => e.split)
    .window(TumblingEventTimeWindows.of(10_000))
    .aggregate({ createAccumulator: () => 0, add: (_e, n: number) => n + 1, getResult: (n) => n })
    .collect();
  const result = await env.execute();
  assert.equal(
    counts.get().reduce((a, b) => a + b, 0),
    400,
    'every record of both splits is counted (none dropped as late)',
  );
  assert.deepEqual(result.unconsumedSideRecords, {});
});

test('a split whose idleness deadline passes between a poll and the next wake-up is still checked (due at once)', () => {
  let now = 0;
  const idles: boolean[] = [];
  const sw = new SplitWatermarks(
    WatermarkStrategies.forBoundedOutOfOrderness<number>(0).withIdleness(100) as never,
    { collect: () => {}, emitWatermark: () => {}, emitIdle: (idle) => idles.push(idle) },
    () => now,
    false,
  );
  sw.output('silent');
  now = 99;
  sw.afterPoll(); // not idle yet: 1 ms to go
  now = 105; // the subtask asks when to wake up only now, after the deadline
  const due = sw.nextIdleCheck();
  assert.equal(due, 100, 'the passed deadline is still due');
  sw.afterPoll();
  assert.deepEqual(idles, [true]);
  assert.equal(sw.nextIdleCheck(), undefined, 'idle: nothing more to check');
});
