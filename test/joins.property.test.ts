/**
 * Property tests of the window join and the interval join against brute-force nested loops over all pairs.
 *
 * Both inputs keep their disorder within their own watermark bound (each stream has its own watermark strategy, and
 * the join operator's watermark is the minimum of both), so no element is ever late and every matching pair must be
 * emitted exactly once, at any parallelism.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import {
  type DataStream,
  runJob,
  SlidingEventTimeWindows,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  type WindowAssigner,
} from '../src/index.js';
import type { IntervalPair } from './fixtures/prop-interval-join-job.js';
import {
  assertWithinBound,
  batchSizeArb,
  boundedOnTs,
  canon,
  configGrid,
  describeConfig,
  type Ev,
  eventsArb,
  floorDiv,
  MODES,
  type RunConfig,
  type RuntimeMode,
} from './fixtures/prop-support.js';

const NUM_RUNS = 40;
// Report the assertion message (which names the failing configuration) along with the counterexample.
fc.configureGlobal({ includeErrorInReport: true });

interface Side {
  events: Ev[];
  bound: number;
}

interface JoinInput {
  left: Side;
  right: Side;
  batchSize: number;
}

function sideArb(keys: readonly string[]): fc.Arbitrary<Side> {
  return fc
    .integer({ min: 0, max: 15 })
    .chain((bound) => fc.record({ events: eventsArb({ bound, keys, maxLength: 30 }), bound: fc.constant(bound) }));
}

/** Two inputs with independent bounds; the right one has a key ('d') the left one never has. */
const joinInputArb: fc.Arbitrary<JoinInput> = fc.record({
  left: sideArb(['a', 'b', 'c']),
  right: sideArb(['a', 'b', 'c', 'd']),
  batchSize: batchSizeArb,
});

/** Runs a two-input job on the calling thread; each input gets its own bounded-out-of-orderness strategy. */
async function runJoin<R>(
  input: JoinInput,
  config: RunConfig,
  build: (left: DataStream<Ev>, right: DataStream<Ev>) => DataStream<R>,
): Promise<R[]> {
  const env = StreamExecutionEnvironment.create(config);
  const left = env
    .fromCollection(input.left.events, 'left')
    .assignTimestampsAndWatermarks(boundedOnTs<Ev>(input.left.bound));
  const right = env
    .fromCollection(input.right.events, 'right')
    .assignTimestampsAndWatermarks(boundedOnTs<Ev>(input.right.bound));
  const handle = build(left, right).collect();
  await env.execute();
  return handle.get();
}

async function checkJoin<R>(
  input: JoinInput,
  expected: readonly unknown[],
  build: (left: DataStream<Ev>, right: DataStream<Ev>) => DataStream<R>,
  modes: readonly RuntimeMode[],
  parallelisms?: readonly number[],
): Promise<void> {
  assertWithinBound(input.left.events, input.left.bound);
  assertWithinBound(input.right.events, input.right.bound);
  const want = canon(expected);
  for (const config of configGrid(input.batchSize, modes, parallelisms)) {
    const got = await runJoin(input, config, build);
    assert.deepStrictEqual(canon(got), want, describeConfig(config));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Window join

interface WindowPair {
  key: string;
  a: number;
  b: number;
}

/** Nested loop per window: for every aligned window, every left x and right y of equal key inside it. */
function windowJoinReference(input: JoinInput, size: number, slide: number): WindowPair[] {
  const all = [...input.left.events, ...input.right.events];
  if (all.length === 0) return [];
  const minTs = Math.min(...all.map((e) => e.ts));
  const maxTs = Math.max(...all.map((e) => e.ts));
  const out: WindowPair[] = [];
  for (let k = floorDiv(minTs - size, slide); k * slide <= maxTs; k++) {
    const start = k * slide;
    const inWindow = (e: Ev) => e.ts >= start && e.ts < start + size;
    const lefts = input.left.events.filter(inWindow);
    const rights = input.right.events.filter(inWindow);
    for (const x of lefts) for (const y of rights) if (x.key === y.key) out.push({ key: x.key, a: x.id, b: y.id });
  }
  return out;
}

function windowJoin(assigner: WindowAssigner<unknown, never>) {
  return (left: DataStream<Ev>, right: DataStream<Ev>) =>
    left
      .join(right)
      .where((x) => x.key)
      .equalTo((y) => y.key)
      .window(assigner)
      .apply((x, y): WindowPair => ({ key: x.key, a: x.id, b: y.id }));
}

test('window join (tumbling) equals a nested loop per window, p=1,2,4, streaming and batch', async () => {
  const arb = fc.record({ input: joinInputArb, size: fc.integer({ min: 1, max: 30 }) });
  await fc.assert(
    fc.asyncProperty(arb, ({ input, size }) =>
      checkJoin(
        input,
        windowJoinReference(input, size, size),
        windowJoin(TumblingEventTimeWindows.of(size) as WindowAssigner<unknown, never>),
        MODES,
      ),
    ),
    { numRuns: NUM_RUNS },
  );
});

test('window join (sliding): a pair is emitted once per window holding both, p=1,2,4, streaming and batch', async () => {
  const arb = fc.record({
    input: joinInputArb,
    size: fc.integer({ min: 1, max: 30 }),
    slide: fc.integer({ min: 1, max: 15 }),
  });
  await fc.assert(
    fc.asyncProperty(arb, ({ input, size, slide }) =>
      checkJoin(
        input,
        windowJoinReference(input, size, slide),
        windowJoin(SlidingEventTimeWindows.of(size, slide) as WindowAssigner<unknown, never>),
        MODES,
      ),
    ),
    { numRuns: NUM_RUNS },
  );
});

test('window join flatApply: zero or more results per pair', async () => {
  const arb = fc.record({ input: joinInputArb, size: fc.integer({ min: 1, max: 30 }) });
  await fc.assert(
    fc.asyncProperty(arb, ({ input, size }) => {
      // Emits the pair once per unit of (x.v + y.v) mod 3: 0, 1 or 2 copies.
      const copies = (x: number, y: number) => (((x + y) % 3) + 3) % 3;
      const byId = new Map([...input.left.events.map((e) => [`l${e.id}`, e] as const)]);
      const byIdRight = new Map([...input.right.events.map((e) => [`r${e.id}`, e] as const)]);
      const expected = windowJoinReference(input, size, size).flatMap((p) =>
        Array.from({ length: copies(byId.get(`l${p.a}`)!.v, byIdRight.get(`r${p.b}`)!.v) }, () => p),
      );
      return checkJoin(
        input,
        expected,
        (left, right) =>
          left
            .join(right)
            .where((x) => x.key)
            .equalTo((y) => y.key)
            .window(TumblingEventTimeWindows.of(size))
            .flatApply<WindowPair>((x, y, out) => {
              for (let i = 0; i < copies(x.v, y.v); i++) out.collect({ key: x.key, a: x.id, b: y.id });
            }),
        MODES,
      );
    }),
    { numRuns: NUM_RUNS },
  );
});

// ---------------------------------------------------------------------------------------------------------------
// Interval join

/** All pairs of equal key with a.ts + lower <= b.ts <= a.ts + upper. */
function intervalJoinReference(input: JoinInput, lower: number, upper: number): IntervalPair[] {
  const out: IntervalPair[] = [];
  for (const x of input.left.events) {
    for (const y of input.right.events) {
      if (x.key === y.key && x.ts + lower <= y.ts && y.ts <= x.ts + upper) {
        out.push({ a: x.id, b: y.id, leftTs: x.ts, rightTs: y.ts });
      }
    }
  }
  return out;
}

test('interval join equals a nested loop over all pairs, p=1,2,4, streaming and batch', async () => {
  const arb = fc.record({
    input: joinInputArb,
    lower: fc.integer({ min: -20, max: 15 }),
    width: fc.integer({ min: 0, max: 25 }),
    lowerExclusive: fc.boolean(),
    upperExclusive: fc.boolean(),
  });
  await fc.assert(
    fc.asyncProperty(arb, ({ input, lower, width, lowerExclusive, upperExclusive }) => {
      const upper = lower + width;
      const lo = lower + (lowerExclusive ? 1 : 0);
      const hi = upper - (upperExclusive ? 1 : 0);
      return checkJoin(
        input,
        intervalJoinReference(input, lo, hi),
        (left, right) => {
          let between = left
            .keyBy((x) => x.key)
            .intervalJoin(right.keyBy((y) => y.key))
            .between(lower, upper);
          if (lowerExclusive) between = between.lowerBoundExclusive();
          if (upperExclusive) between = between.upperBoundExclusive();
          return between.process<IntervalPair>((x, y, ctx, out) =>
            out.collect({ a: x.id, b: y.id, leftTs: ctx.leftTimestamp, rightTs: ctx.rightTimestamp }),
          );
        },
        MODES,
      );
    }),
    { numRuns: NUM_RUNS },
  );
});

const INTERVAL_JOB = fileURLToPath(new URL('./fixtures/prop-interval-join-job.ts', import.meta.url));

test('interval join on worker threads (runJob, parallelism 2 and 4, one subtask per thread)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-prop-'));
  try {
    const arb = fc.record({
      input: joinInputArb,
      lower: fc.integer({ min: -20, max: 15 }),
      width: fc.integer({ min: 0, max: 25 }),
    });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(arb, async ({ input, lower, width }) => {
        assertWithinBound(input.left.events, input.left.bound);
        assertWithinBound(input.right.events, input.right.bound);
        const path = join(dir, `input-${run++}.json`);
        writeFileSync(path, JSON.stringify({ left: input.left, right: input.right }));
        const want = canon(intervalJoinReference(input, lower, lower + width));
        for (const parallelism of [2, 4]) {
          const config = { parallelism, runtimeMode: 'streaming' as const, batchSize: input.batchSize };
          const result = await runJob(INTERVAL_JOB, { args: [path, String(lower), String(lower + width)], config });
          assert.deepStrictEqual(canon(result.collected['out'] ?? []), want, describeConfig(config));
        }
      }),
      { numRuns: 2 },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('interval join output records carry the larger of the two timestamps (as in Flink), p=1', async () => {
  const arb = fc.record({ input: joinInputArb, lower: fc.integer({ min: -20, max: 15 }), width: fc.nat(25) });
  await fc.assert(
    fc.asyncProperty(arb, async ({ input, lower, width }) => {
      const upper = lower + width;
      const expected = intervalJoinReference(input, lower, upper).map((p) => ({
        ...p,
        outTs: Math.max(p.leftTs, p.rightTs),
      }));
      await checkJoin(
        input,
        expected,
        (left, right) =>
          left
            .keyBy((x) => x.key)
            .intervalJoin(right.keyBy((y) => y.key))
            .between(lower, upper)
            .process<IntervalPair>((x, y, ctx, out) =>
              out.collect({ a: x.id, b: y.id, leftTs: ctx.leftTimestamp, rightTs: ctx.rightTimestamp }),
            )
            .process<IntervalPair & { outTs: number | undefined }>({
              processElement(value, ctx, out) {
                out.collect({ ...value, outTs: ctx.timestamp() });
              },
            }),
        ['streaming'],
        [1],
      );
    }),
    { numRuns: NUM_RUNS },
  );
});
