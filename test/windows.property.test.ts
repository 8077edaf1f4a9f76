/**
 * Property tests of event-time windows against brute-force references.
 *
 * Inputs keep their disorder within the watermark bound, so no record is ever late: then every window must hold
 * exactly the elements a batch computation assigns to it, at any parallelism and in both runtime modes.
 * The late-data tests (allowed lateness, late side output) run deterministically at parallelism 1 with one record
 * per source batch, so the watermark advances after every record.
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
  EventTimeSessionWindows,
  GlobalWindows,
  OutputTag,
  type ProcessWindowFunction,
  runJob,
  SlidingEventTimeWindows,
  StreamExecutionEnvironment,
  type TimeWindow,
  TumblingEventTimeWindows,
} from '../src/index.js';
import {
  assertWithinBound,
  batchSizeArb,
  boundedOnTs,
  canon,
  configGrid,
  describeConfig,
  type Ev,
  type EventsOptions,
  eventsArb,
  floorDiv,
  groupBy,
  MODES,
  mod,
  type RuntimeMode,
  runLocal,
} from './fixtures/prop-support.js';
import { countSum, type TumblingRow } from './fixtures/prop-tumbling-job.js';

const NUM_RUNS = 40;
// Report the assertion message (which names the failing configuration) along with the counterexample.
fc.configureGlobal({ includeErrorInReport: true });

interface Input {
  events: Ev[];
  bound: number;
  batchSize: number;
}

/** An input whose disorder stays within a random bound, plus a random source batch size. */
function inputArb(opts: Omit<EventsOptions, 'bound'> = {}): fc.Arbitrary<Input> {
  return fc.integer({ min: 0, max: 15 }).chain((bound) =>
    fc.record({
      events: eventsArb({ ...opts, bound }),
      bound: fc.constant(bound),
      batchSize: batchSizeArb,
    }),
  );
}

/** Runs `build` in every configuration (parallelism 1, 2, 4 x the given modes) and compares with `expected`. */
async function checkAll<R>(
  input: Input,
  expected: readonly unknown[],
  build: (s: DataStream<Ev>) => DataStream<R>,
  modes: readonly RuntimeMode[] = MODES,
): Promise<void> {
  assertWithinBound(input.events, input.bound);
  const want = canon(expected);
  for (const config of configGrid(input.batchSize, modes)) {
    const got = await runLocal(input.events, input.bound, config, build);
    assert.deepStrictEqual(canon(got), want, describeConfig(config));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Brute-force references

interface Stats {
  count: number;
  sum: number;
  min: number;
  max: number;
}
function stats(es: readonly Ev[]): Stats {
  return {
    count: es.length,
    sum: es.reduce((s, e) => s + e.v, 0),
    min: Math.min(...es.map((e) => e.v)),
    max: Math.max(...es.map((e) => e.v)),
  };
}
const sortedNums = (xs: readonly number[]) => [...xs].sort((a, b) => a - b);

/**
 * Every aligned window [offset + k*slide, offset + k*slide + size) that could hold an element, per key, with the
 * elements inside it: a plain scan over all candidate windows (tumbling windows are the case slide = size).
 */
function alignedWindows(
  events: readonly Ev[],
  size: number,
  slide: number,
  offset: number,
): { key: string; start: number; end: number; elements: Ev[] }[] {
  if (events.length === 0) return [];
  const minTs = Math.min(...events.map((e) => e.ts));
  const maxTs = Math.max(...events.map((e) => e.ts));
  const out: { key: string; start: number; end: number; elements: Ev[] }[] = [];
  for (const [key, es] of groupBy(events, (e) => e.key)) {
    for (let k = floorDiv(minTs - size - offset, slide); offset + k * slide <= maxTs; k++) {
      const start = offset + k * slide;
      const end = start + size;
      const elements = es.filter((e) => e.ts >= start && e.ts < end);
      if (elements.length > 0) out.push({ key, start, end, elements });
    }
  }
  return out;
}

/** Sessions per key: sorted timestamps split where the next one is more than `gap` after the previous one. */
function sessions(events: readonly Ev[], gap: number): { key: string; start: number; end: number; elements: Ev[] }[] {
  const out: { key: string; start: number; end: number; elements: Ev[] }[] = [];
  for (const [key, es] of groupBy(events, (e) => e.key)) {
    const sorted = [...es].sort((a, b) => a.ts - b.ts);
    let current: Ev[] = [];
    const flush = () => {
      if (current.length === 0) return;
      out.push({ key, start: current[0]!.ts, end: current[current.length - 1]!.ts + gap, elements: current });
      current = [];
    };
    for (const e of sorted) {
      // Windows [t, t + gap) merge when they intersect, touching included (as Flink's TimeWindow.intersects).
      if (current.length > 0 && e.ts > current[current.length - 1]!.ts + gap) flush();
      current.push(e);
    }
    flush();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Window functions used by the jobs

/** Attaches key and window bounds to a pre-aggregated result. */
function withWindow<V extends object>(): ProcessWindowFunction<
  V,
  V & { key: string; start: number; end: number },
  string,
  TimeWindow
> {
  return {
    process(key, ctx, results, out) {
      for (const r of results) out.collect({ ...r, key, start: ctx.window.start, end: ctx.window.end });
    },
  };
}

const statsAgg = {
  createAccumulator: (): Stats => ({ count: 0, sum: 0, min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY }),
  add: (e: Ev, a: Stats): Stats => ({
    count: a.count + 1,
    sum: a.sum + e.v,
    min: Math.min(a.min, e.v),
    max: Math.max(a.max, e.v),
  }),
  getResult: (a: Stats): Stats => a,
  merge: (a: Stats, b: Stats): Stats => ({
    count: a.count + b.count,
    sum: a.sum + b.sum,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
  }),
};

/** Commutative and associative, and never mutates its inputs (sliding windows share elements). */
const combine = (a: Ev, b: Ev): Ev => ({
  id: Math.min(a.id, b.id),
  key: a.key,
  ts: Math.max(a.ts, b.ts),
  v: a.v + b.v,
});
const combined = (es: readonly Ev[]): Ev => es.reduce(combine);

/** Emits each record with the event timestamp it carries. */
function withOutputTimestamp<T extends object>(s: DataStream<T>): DataStream<T & { outTs: number | undefined }> {
  return s.process<T & { outTs: number | undefined }>({
    processElement(value, ctx, out) {
      out.collect({ ...value, outTs: ctx.timestamp() });
    },
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Properties over in-order-enough input

test('tumbling windows: aggregate (count, sum) per key and window, output timestamp = window end - 1', async () => {
  const arb = fc.record({
    input: inputArb(),
    size: fc.integer({ min: 1, max: 30 }),
    offset: fc.integer({ min: -15, max: 15 }),
  });
  await fc.assert(
    fc.asyncProperty(arb, async ({ input, size, offset }) => {
      const expected = input.events.length === 0 ? [] : referenceTumbling(input.events, size, offset);
      await checkAll(
        input,
        expected.map((r) => ({ ...r, outTs: r.end - 1 })),
        (s) =>
          withOutputTimestamp(
            s
              .keyBy((e) => e.key)
              .window(TumblingEventTimeWindows.of(size, offset))
              .aggregate(countSum, withWindow<{ count: number; sum: number }>()),
          ),
      );
    }),
    { numRuns: NUM_RUNS },
  );
});

function referenceTumbling(events: readonly Ev[], size: number, offset: number): TumblingRow[] {
  // Independent of alignedWindows: each element computes its own window start.
  const rows = new Map<string, TumblingRow>();
  for (const e of events) {
    const start = e.ts - mod(e.ts - offset, size);
    const id = `${e.key}|${start}`;
    const row = rows.get(id) ?? { key: e.key, start, end: start + size, count: 0, sum: 0 };
    row.count++;
    row.sum += e.v;
    rows.set(id, row);
  }
  return [...rows.values()];
}

test('tumbling windows agree with the aligned-window scan (reference self-check)', () => {
  fc.assert(
    fc.property(
      eventsArb({ bound: 5 }),
      fc.integer({ min: 1, max: 20 }),
      fc.integer({ min: -10, max: 10 }),
      (events, size, offset) => {
        const a = referenceTumbling(events, size, offset);
        const b = alignedWindows(events, size, size, offset).map((w) => ({
          key: w.key,
          start: w.start,
          end: w.end,
          count: w.elements.length,
          sum: w.elements.reduce((s, e) => s + e.v, 0),
        }));
        assert.deepStrictEqual(canon(a), canon(b));
      },
    ),
    { numRuns: 200 },
  );
});

async function checkSliding(input: Input, size: number, slide: number, offset: number): Promise<void> {
  const expected = alignedWindows(input.events, size, slide, offset).map((w) => ({
    key: w.key,
    start: w.start,
    end: w.end,
    ...stats(w.elements),
  }));
  await checkAll(input, expected, (s) =>
    s
      .keyBy((e) => e.key)
      .window(SlidingEventTimeWindows.of(size, slide, offset))
      .aggregate(statsAgg, withWindow<Stats>()),
  );
}

test('sliding windows, size a multiple of slide: aggregate per key and window', async () => {
  const arb = fc.record({
    input: inputArb(),
    slide: fc.integer({ min: 1, max: 10 }),
    factor: fc.integer({ min: 1, max: 5 }),
    offset: fc.integer({ min: -10, max: 10 }),
  });
  await fc.assert(
    fc.asyncProperty(arb, ({ input, slide, factor, offset }) => checkSliding(input, slide * factor, slide, offset)),
    { numRuns: NUM_RUNS },
  );
});

test('sliding windows, any size and slide (slide may not divide size, or exceed it)', async () => {
  const arb = fc.record({
    input: inputArb(),
    size: fc.integer({ min: 1, max: 30 }),
    slide: fc.integer({ min: 1, max: 30 }),
    offset: fc.integer({ min: -10, max: 10 }),
  });
  await fc.assert(
    fc.asyncProperty(arb, ({ input, size, slide, offset }) => checkSliding(input, size, slide, offset)),
    { numRuns: NUM_RUNS },
  );
});

test('reduce: sliding windows without, tumbling windows with a window function', async () => {
  const arb = fc.record({
    input: inputArb(),
    size: fc.integer({ min: 1, max: 30 }),
    slide: fc.integer({ min: 1, max: 30 }),
  });
  await fc.assert(
    fc.asyncProperty(arb, async ({ input, size, slide }) => {
      await checkAll(
        input,
        alignedWindows(input.events, size, slide, 0).map((w) => combined(w.elements)),
        (s) =>
          s
            .keyBy((e) => e.key)
            .window(SlidingEventTimeWindows.of(size, slide))
            .reduce(combine),
      );
      await checkAll(
        input,
        alignedWindows(input.events, size, size, 0).map((w) => ({
          ...combined(w.elements),
          key: w.key,
          start: w.start,
          end: w.end,
        })),
        (s) =>
          s
            .keyBy((e) => e.key)
            .window(TumblingEventTimeWindows.of(size))
            .reduce(combine, withWindow<Ev>()),
      );
    }),
    { numRuns: NUM_RUNS },
  );
});

/** Session jobs: an aggregate with merge (count, sum) and a process function over all elements (sorted values). */
async function checkSessions(input: Input, gap: number, modes: readonly RuntimeMode[]): Promise<void> {
  const ss = sessions(input.events, gap);
  await checkAll(
    input,
    ss.map((w) => ({ key: w.key, start: w.start, end: w.end, count: w.elements.length, sum: stats(w.elements).sum })),
    (s) =>
      s
        .keyBy((e) => e.key)
        .window(EventTimeSessionWindows.withGap(gap))
        .aggregate(countSum, withWindow<{ count: number; sum: number }>()),
    modes,
  );
  await checkAll(
    input,
    ss.map((w) => ({ key: w.key, start: w.start, end: w.end, values: sortedNums(w.elements.map((e) => e.v)) })),
    (s) =>
      s
        .keyBy((e) => e.key)
        .window(EventTimeSessionWindows.withGap(gap))
        .process<{ key: string; start: number; end: number; values: number[] }>({
          process(key, ctx, elements, out) {
            out.collect({
              key,
              start: ctx.window.start,
              end: ctx.window.end,
              values: sortedNums(elements.map((e) => e.v)),
            });
          },
        }),
    modes,
  );
  await checkAll(
    input,
    ss.map((w) => ({ ...combined(w.elements), start: w.start, end: w.end })),
    (s) =>
      s
        .keyBy((e) => e.key)
        .window(EventTimeSessionWindows.withGap(gap))
        .reduce(combine, {
          process(_key, ctx, results, out: { collect(v: Ev & { start: number; end: number }): void }) {
            for (const r of results) out.collect({ ...r, start: ctx.window.start, end: ctx.window.end });
          },
        }),
    modes,
  );
}

test('session windows: aggregate, process (sorted values) and reduce per session, streaming and batch', async () => {
  // In streaming mode a session fires (and is cleared) once the watermark passes its end - 1, so an element exactly
  // at its end (ts = last + gap) that arrives afterwards starts a new session, where a batch computation merges the
  // two (touching windows intersect). Which happens depends on watermark timing, so this property keeps
  // timestamps even and the gap odd: no two elements are ever exactly `gap` apart.
  const arb = fc.record({
    input: inputArb({ scale: 2, maxStep: 8 }),
    gap: fc.integer({ min: 0, max: 10 }).map((k) => 2 * k + 1),
  });
  await fc.assert(
    fc.asyncProperty(arb, ({ input, gap }) => checkSessions(input, gap, MODES)),
    { numRuns: NUM_RUNS },
  );
});

test('session windows in batch mode: any timestamps and gaps, touching sessions merge', async () => {
  const arb = fc.record({ input: inputArb({ maxStep: 15 }), gap: fc.integer({ min: 1, max: 20 }) });
  await fc.assert(
    fc.asyncProperty(arb, ({ input, gap }) => checkSessions(input, gap, ['batch'])),
    { numRuns: NUM_RUNS },
  );
});

test('global windows: fire once at the end of input with every element of the key', async () => {
  await fc.assert(
    fc.asyncProperty(inputArb(), async (input) => {
      const byKey = [...groupBy(input.events, (e) => e.key)];
      await checkAll(
        input,
        byKey.map(([key, es]) => ({ key, ids: sortedNums(es.map((e) => e.id)), sum: stats(es).sum })),
        (s) =>
          s
            .keyBy((e) => e.key)
            .window(GlobalWindows.create())
            .process<{ key: string; ids: number[]; sum: number }>({
              process(key, _ctx, elements, out) {
                out.collect({ key, ids: sortedNums(elements.map((e) => e.id)), sum: stats(elements).sum });
              },
            }),
      );
      await checkAll(
        input,
        byKey.map(([, es]) => combined(es)),
        (s) =>
          s
            .keyBy((e) => e.key)
            .window(GlobalWindows.create())
            .reduce(combine),
      );
    }),
    { numRuns: NUM_RUNS },
  );
});

// ---------------------------------------------------------------------------------------------------------------
// Late data: allowed lateness and the late side output

interface Firing {
  key: string;
  start: number;
  end: number;
  ids: number[];
}

/**
 * Runs tumbling windows with allowed lateness and a late side output at parallelism 1, one record per source batch
 * (so the watermark advances after every record). Returns the firings in emission order and the late records' ids.
 */
async function runLate(
  events: readonly Ev[],
  opts: { size: number; bound: number; lateness: number; runtimeMode: RuntimeMode },
): Promise<{ fired: Firing[]; late: number[] }> {
  const env = StreamExecutionEnvironment.create({ parallelism: 1, runtimeMode: opts.runtimeMode, batchSize: 1 });
  const lateTag = new OutputTag<Ev>('late');
  const windowed = env
    .fromCollection(events)
    .assignTimestampsAndWatermarks(boundedOnTs<Ev>(opts.bound))
    .keyBy((e) => e.key)
    .window(TumblingEventTimeWindows.of(opts.size))
    .allowedLateness(opts.lateness)
    .sideOutputLateData(lateTag)
    .process<Firing>({
      process(key, ctx, elements, out) {
        out.collect({ key, start: ctx.window.start, end: ctx.window.end, ids: sortedNums(elements.map((e) => e.id)) });
      },
    });
  const fired = windowed.collect();
  const late = windowed.getSideOutput(lateTag).collect();
  await env.execute();
  return { fired: fired.get(), late: late.get().map((e) => e.id) };
}

const ev = (id: number, key: string, ts: number): Ev => ({ id, key, ts, v: id });

// Tumbling windows of 10, watermark = max ts - 1 (bound 0), allowed lateness 5: window [s, s+10) fires when the
// watermark reaches s+9 and is dropped when it reaches s+14; elements for it in between re-fire it.
const LATE_EVENTS: Ev[] = [
  ev(1, 'a', 1), //  wm 0
  ev(2, 'a', 5), //  wm 4
  ev(3, 'a', 12), // wm 11: a[0,10) fires {1,2}
  ev(4, 'a', 3), //  behind the watermark, within lateness: a[0,10) re-fires {1,2,4}
  ev(5, 'b', 2), //  late for a window key b never had: b[0,10) is created and fires at once {5}
  ev(6, 'a', 14), // wm 13
  ev(7, 'a', 9), //  wm 13 < cleanup 14: a[0,10) re-fires {1,2,4,7}
  ev(8, 'a', 15), // wm 14: cleanup of a[0,10) and b[0,10)
  ev(9, 'a', 8), //  a[0,10) is gone: late side output
  ev(10, 'b', 4), // b[0,10) is gone: late side output
  ev(11, 'a', 25), // wm 24: a[10,20) fires {3,6,8} and is cleaned up at once (19 + 5 <= 24)
  ev(12, 'a', 19), // exactly at the cleanup time: late side output
  ev(13, 'a', 29), // wm 28
  ev(14, 'a', 20), // behind nothing: a[20,30) still open (29 > 28)
  ev(15, 'a', 35), // wm 34: a[20,30) fires {11,13,14}, cleanup at 34 too
  ev(16, 'a', 21), // late side output
  ev(17, 'a', 33), // behind the watermark (33 <= 34) but its window a[30,40) is still open: no firing yet
  //                  end of input: a[30,40) fires {15,17}
];

test('late data (streaming, p=1): late-but-allowed elements re-fire the window, later ones go to the side output', async () => {
  const { fired, late } = await runLate(LATE_EVENTS, { size: 10, bound: 0, lateness: 5, runtimeMode: 'streaming' });
  assert.deepStrictEqual(fired, [
    { key: 'a', start: 0, end: 10, ids: [1, 2] },
    { key: 'a', start: 0, end: 10, ids: [1, 2, 4] },
    { key: 'b', start: 0, end: 10, ids: [5] },
    { key: 'a', start: 0, end: 10, ids: [1, 2, 4, 7] },
    { key: 'a', start: 10, end: 20, ids: [3, 6, 8] },
    { key: 'a', start: 20, end: 30, ids: [11, 13, 14] },
    { key: 'a', start: 30, end: 40, ids: [15, 17] },
  ]);
  assert.deepStrictEqual(late, [9, 10, 12, 16]);
});

test('late data (batch mode): no intermediate watermarks, so nothing is late and each window fires once', async () => {
  const { fired, late } = await runLate(LATE_EVENTS, { size: 10, bound: 0, lateness: 5, runtimeMode: 'batch' });
  assert.deepStrictEqual(canon(fired), canon(alignedFirings(LATE_EVENTS, 10)));
  assert.deepStrictEqual(late, []);
});

function alignedFirings(events: readonly Ev[], size: number): Firing[] {
  return alignedWindows(events, size, size, 0).map((w) => ({
    key: w.key,
    start: w.start,
    end: w.end,
    ids: sortedNums(w.elements.map((e) => e.id)),
  }));
}

/**
 * Flink's semantics of tumbling windows with allowed lateness, simulated record by record: the watermark seen by a
 * record is max(ts before it) - bound - 1. An element whose window's cleanup time (end - 1 + lateness) is <= the
 * watermark is late (side output); otherwise it joins the window, which fires at once when the watermark already
 * passed its end - 1. When the watermark advances, windows whose end - 1 it reaches fire, and windows whose cleanup
 * time it reaches are dropped. The final watermark fires the rest.
 */
function simulateLate(events: readonly Ev[], size: number, bound: number, lateness: number) {
  const fired: Firing[] = [];
  const late: number[] = [];
  const windows = new Map<string, { key: string; start: number; ids: number[] }>();
  let wm = Number.NEGATIVE_INFINITY;
  let maxTs = Number.NEGATIVE_INFINITY;
  const fire = (w: { key: string; start: number; ids: number[] }) =>
    fired.push({ key: w.key, start: w.start, end: w.start + size, ids: sortedNums(w.ids) });
  const advance = (to: number) => {
    for (const [id, w] of windows) {
      const last = w.start + size - 1;
      if (last > wm && last <= to) fire(w);
      if (last + lateness <= to) windows.delete(id);
    }
    wm = to;
  };
  for (const e of events) {
    const start = floorDiv(e.ts, size) * size;
    const last = start + size - 1;
    if (last + lateness <= wm) late.push(e.id);
    else {
      const id = `${e.key}|${start}`;
      const w = windows.get(id) ?? { key: e.key, start, ids: [] };
      w.ids.push(e.id);
      windows.set(id, w);
      if (last <= wm) fire(w);
    }
    maxTs = Math.max(maxTs, e.ts);
    if (maxTs - bound - 1 > wm) advance(maxTs - bound - 1);
  }
  advance(Number.POSITIVE_INFINITY);
  return { fired, late };
}

test('late data property (streaming, p=1): firings and late records match a record-by-record simulation', async () => {
  const item = fc.record({ key: fc.constantFrom('a', 'b'), ts: fc.integer({ min: 0, max: 60 }) });
  const arb = fc.record({
    items: fc.array(item, { maxLength: 30 }),
    size: fc.integer({ min: 1, max: 15 }),
    bound: fc.integer({ min: 0, max: 5 }),
    lateness: fc.integer({ min: 0, max: 12 }),
  });
  assert.deepStrictEqual(simulateLate(LATE_EVENTS, 10, 0, 5).late, [9, 10, 12, 16]);
  await fc.assert(
    fc.asyncProperty(arb, async ({ items, size, bound, lateness }) => {
      const events = items.map((it, i) => ev(i, it.key, it.ts));
      const want = simulateLate(events, size, bound, lateness);
      const got = await runLate(events, { size, bound, lateness, runtimeMode: 'streaming' });
      // Firings of different windows at one watermark have no defined order: compare multisets.
      assert.deepStrictEqual(canon(got.fired), canon(want.fired));
      assert.deepStrictEqual(sortedNums(got.late), sortedNums(want.late));
    }),
    { numRuns: 150 },
  );
});

// ---------------------------------------------------------------------------------------------------------------
// Worker threads

const TUMBLING_JOB = fileURLToPath(new URL('./fixtures/prop-tumbling-job.ts', import.meta.url));

test('tumbling windows on worker threads (runJob, parallelism 2 and 4)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-prop-'));
  try {
    const arb = fc.record({
      input: inputArb({ maxLength: 80 }),
      size: fc.integer({ min: 1, max: 30 }),
      offset: fc.integer({ min: 0, max: 10 }),
    });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(arb, async ({ input, size, offset }) => {
        assertWithinBound(input.events, input.bound);
        const path = join(dir, `input-${run++}.json`);
        writeFileSync(path, JSON.stringify(input.events));
        const want = canon(referenceTumbling(input.events, size, offset));
        for (const parallelism of [2, 4]) {
          const config = { parallelism, runtimeMode: 'streaming' as const, batchSize: input.batchSize };
          const result = await runJob(TUMBLING_JOB, {
            args: [path, String(size), String(offset), String(input.bound)],
            config,
          });
          assert.deepStrictEqual(canon(result.collected['out'] ?? []), want, describeConfig(config));
        }
      }),
      { numRuns: 3 },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
