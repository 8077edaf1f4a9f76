import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type AggregateFunction,
  type AggregatingState,
  aggregatingState,
  type Collector,
  ContinuousEventTimeTrigger,
  CountEvictor,
  CountTrigger,
  type DataStream,
  EventTimeTrigger,
  GlobalWindows,
  type KeyedContext,
  type KeyedProcessFunction,
  type ListState,
  listState,
  type MapState,
  mapState,
  type OnTimerContext,
  OutputTag,
  type ProcessWindowContext,
  type ProcessWindowFunction,
  PurgingTrigger,
  type ReducingState,
  type RuntimeContext,
  reducingState,
  StreamExecutionEnvironment,
  TimeEvictor,
  type TimeWindow,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  type ValueState,
  valueState,
  WatermarkStrategies,
} from '../src/index.js';
import { OperatorTestHarness } from '../src/testing/index.js';

interface Ev {
  key: string;
  ts: number;
  v: number;
}

const ev = (key: string, ts: number, v = 1): Ev => ({ key, ts, v });
const sum = (a: Ev, b: Ev): Ev => ({ key: a.key, ts: Math.max(a.ts, b.ts), v: a.v + b.v });

/** Collects the values a window saw, with its bounds: "[start,end) key: v1,v2,...". */
function describeWindow<T>(show: (e: T) => string): ProcessWindowFunction<T, string, string, TimeWindow> {
  return {
    process(key, ctx, elements, out) {
      out.collect(`[${ctx.window.start},${ctx.window.end}) ${key}: ${elements.map(show).join(',')}`);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
describe('map, filter, flatMap', () => {
  test('plain functions, end to end', async () => {
    // A named function: flatMap may emit through the collector and return nothing.
    function emitWithNegatives(x: number, out: Collector<number>): void {
      out.collect(x);
      if (x % 4 === 0) out.collect(-x);
    }
    const input = Array.from({ length: 50 }, (_, i) => i);
    const env = StreamExecutionEnvironment.create();
    const h = env
      .fromCollection(input)
      .map((x) => x * 3)
      .filter((x) => x % 2 === 0)
      .flatMap(emitWithNegatives)
      .flatMap((x: number) => (x > 100 ? [x, x + 1] : [x]))
      .collect('plain-functions');
    await env.execute();
    const expected: number[] = [];
    for (const i of input) {
      const x = i * 3;
      if (x % 2 !== 0) continue;
      const firsts = x % 4 === 0 ? [x, -x] : [x];
      for (const y of firsts) expected.push(...(y > 100 ? [y, y + 1] : [y]));
    }
    assert.deepEqual(h.get(), expected);
  });

  test('flatMap may return nothing, an array, or any iterable', async () => {
    const mixed = (x: number, out: Collector<number>): Iterable<number> | undefined => {
      if (x === 0) return undefined;
      if (x === 1) return [10, 11];
      if (x === 2) return new Set([20, 21]);
      out.collect(x * 10);
      return undefined;
    };
    const h = await OperatorTestHarness.create((s: DataStream<number>) => s.flatMap(mixed));
    for (const x of [0, 1, 2, 3]) h.processElement(x, 100 + x);
    assert.deepEqual(h.output(), [
      { value: 10, timestamp: 101 },
      { value: 11, timestamp: 101 },
      { value: 20, timestamp: 102 },
      { value: 21, timestamp: 102 },
      { value: 30, timestamp: 103 },
    ]);
  });

  test('records keep their timestamps through map, filter and flatMap', async () => {
    const h = await OperatorTestHarness.create((s: DataStream<number>) =>
      s
        .map((x) => x + 1)
        .filter((x) => x !== 3)
        .flatMap((x: number) => [x, x]),
    );
    h.processElement(1, 10).processElement(2, 20).processElement(3, 30).processElement(4);
    assert.deepEqual(h.output(), [
      { value: 2, timestamp: 10 },
      { value: 2, timestamp: 10 },
      { value: 4, timestamp: 30 },
      { value: 4, timestamp: 30 },
      { value: 5, timestamp: undefined },
      { value: 5, timestamp: undefined },
    ]);
  });

  test('rich function objects: open before the first record, close after the last, `this` is the object', async () => {
    const log: string[] = [];
    class Prefixer {
      prefix = '';
      open(ctx: RuntimeContext) {
        log.push(`open map ${ctx.operatorName} ${ctx.subtaskIndex}/${ctx.parallelism}`);
        this.prefix = 'p:';
      }
      map(x: number) {
        log.push(`map ${x}`);
        return `${this.prefix}${x}`;
      }
      close() {
        log.push('close map');
      }
    }
    class Numberer {
      seen = 0;
      open() {
        log.push('open flatMap');
        this.seen = 100;
      }
      flatMap(s: string, out: Collector<string>) {
        this.seen++;
        out.collect(`${s}#${this.seen}`);
      }
      close() {
        log.push('close flatMap');
      }
    }
    const env = StreamExecutionEnvironment.create();
    const h = env
      .fromCollection([1, 2, 3, 4])
      .map(new Prefixer(), 'prefixer')
      .filter({
        open: () => {
          log.push('open filter');
        },
        filter: (s: string) => s !== 'p:2',
        close: () => {
          log.push('close filter');
        },
      })
      .flatMap(new Numberer())
      .collect('rich-functions');
    await env.execute();
    assert.deepEqual(h.get(), ['p:1#101', 'p:3#102', 'p:4#103']);
    const opens = log.filter((l) => l.startsWith('open'));
    assert.deepEqual(opens.sort(), ['open filter', 'open flatMap', 'open map prefixer 0/1']);
    const firstMap = log.indexOf('map 1');
    const lastMap = log.indexOf('map 4');
    for (const o of opens) assert.ok(log.indexOf(o) < firstMap, `${o} before the first record`);
    for (const c of ['close map', 'close filter', 'close flatMap']) {
      assert.equal(log.filter((l) => l === c).length, 1, `${c} once`);
      assert.ok(log.indexOf(c) > lastMap, `${c} after the last record`);
    }
  });

  test('every parallel subtask opens its own copy of a rich function (subtask index captured in open)', async () => {
    const opened: number[] = [];
    const closed: number[] = [];
    class Tagger {
      subtask = -1;
      open(ctx: RuntimeContext) {
        this.subtask = ctx.subtaskIndex;
        opened.push(ctx.subtaskIndex);
      }
      map(x: number): [number, number] {
        return [x, this.subtask];
      }
      close() {
        closed.push(this.subtask);
      }
    }
    const env = StreamExecutionEnvironment.create({ parallelism: 3 });
    const h = env
      .fromCollection(Array.from({ length: 30 }, (_, i) => i))
      .rebalance()
      .map(new Tagger())
      .collect('rich-parallel');
    await env.execute();
    assert.deepEqual(opened.sort(), [0, 1, 2]);
    assert.deepEqual(closed.sort(), [0, 1, 2]);
    const perSubtask = new Map<number, number>();
    for (const [, s] of h.get()) perSubtask.set(s, (perSubtask.get(s) ?? 0) + 1);
    // Round robin from one source subtask: 10 records each.
    assert.deepEqual(
      [...perSubtask.entries()].sort((a, b) => a[0] - b[0]),
      [
        [0, 10],
        [1, 10],
        [2, 10],
      ],
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe('failures of user functions', () => {
  test('a throwing map fails the job with the operator name and the failing record', async () => {
    const env = StreamExecutionEnvironment.create();
    env
      .fromCollection([
        { id: 1, name: 'ok' },
        { id: 2, name: 'ok' },
        { id: 3, name: 'bad' },
        { id: 4, name: 'ok' },
      ])
      .map((r) => {
        if (r.name === 'bad') throw new Error('boom');
        return r.id;
      })
      .name('my-op')
      .collect('throwing-map');
    await assert.rejects(env.execute(), (e: Error) => {
      assert.match(e.message, /my-op/);
      assert.ok(e.message.includes('{"id":3,"name":"bad"}'), e.message);
      assert.match(e.message, /boom/);
      return true;
    });
  });

  test('a throwing function in a chain names its own operator, not its neighbours', async () => {
    const env = StreamExecutionEnvironment.create();
    env
      .fromCollection(['a', 'b', 'c'])
      .map((s) => s.toUpperCase())
      .name('upper')
      .filter((s) => {
        if (s === 'B') throw new TypeError('no Bs');
        return true;
      })
      .name('picky-filter')
      .map((s) => s)
      .name('after')
      .collect('throwing-chain');
    await assert.rejects(env.execute(), (e: Error) => {
      assert.match(e.message, /picky-filter/);
      assert.doesNotMatch(e.message, /'upper'|'after'/);
      assert.ok(e.message.includes('"B"'), e.message);
      assert.match(e.message, /no Bs/);
      return true;
    });
  });

  test('a throwing keyed process function fails the job with its operator name (element and timer)', async () => {
    const env = StreamExecutionEnvironment.create();
    env
      .fromCollection([ev('a', 1), ev('b', 2, 13)])
      .keyBy((e) => e.key)
      .process<number>({
        processElement(e) {
          if (e.v === 13) throw new Error('unlucky');
        },
      })
      .name('keyed-thrower')
      .collect('throwing-keyed');
    await assert.rejects(env.execute(), (e: Error) => {
      assert.match(e.message, /keyed-thrower/);
      assert.match(e.message, /unlucky/);
      assert.ok(e.message.includes('"v":13'), e.message);
      return true;
    });

    const env2 = StreamExecutionEnvironment.create();
    env2
      .fromCollection([ev('a', 1)])
      .keyBy((e) => e.key)
      .process<number>({
        processElement(_e, ctx) {
          ctx.timerService().registerEventTimeTimer(5);
        },
        onTimer() {
          throw new Error('timer trouble');
        },
      })
      .name('timer-thrower')
      .collect('throwing-timer');
    await assert.rejects(env2.execute(), /timer-thrower.*timer trouble|timer trouble.*timer-thrower/s);
  });

  test('a throwing open() fails the job with the operator name', async () => {
    const env = StreamExecutionEnvironment.create();
    env
      .fromCollection([1])
      .map({
        open() {
          throw new Error('cannot connect');
        },
        map: (x: number) => x,
      })
      .name('opener')
      .collect('throwing-open');
    await assert.rejects(env.execute(), (e: Error) => {
      assert.match(e.message, /opener/);
      assert.match(e.message, /cannot connect/);
      return true;
    });
  });

  test('records collected by a failed job do not show up in the result of a later job', async () => {
    const build = (fail: boolean) => {
      const env = StreamExecutionEnvironment.create({ batchSize: 1 });
      const h = env
        .fromCollection([1, 2, 3, 4, 5])
        .map((x) => {
          if (fail && x === 4) throw new Error('fail at 4');
          return x;
        })
        .collect(); // default id: the same in both jobs
      return { env, h };
    };
    const failing = build(true);
    await assert.rejects(failing.env.execute(), /fail at 4/);
    const ok = build(false);
    assert.equal(ok.h.id, failing.h.id, 'precondition: both jobs use the same collect id');
    await ok.env.execute();
    assert.deepEqual(ok.h.get(), [1, 2, 3, 4, 5]);
  });
});

describe('collecting results', () => {
  test('two jobs executed at the same time each get all of their own records', async () => {
    const make = (id: string, n: number) => {
      const env = StreamExecutionEnvironment.create({ batchSize: 4 });
      const h = env
        .fromCollection(Array.from({ length: n }, (_, i) => i))
        .mapAsync(async (x: number) => {
          await new Promise((r) => setTimeout(r, 1));
          return x;
        })
        .collect(id);
      return { env, h };
    };
    const small = make('concurrent-small', 20);
    const large = make('concurrent-large', 200);
    await Promise.all([small.env.execute(), large.env.execute()]);
    assert.equal(small.h.get().length, 20);
    assert.equal(large.h.get().length, 200, 'the job that finished first must not take the records of the other');
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe('KeyedProcessFunction', () => {
  test('ValueState, ListState, MapState, ReducingState and AggregatingState are per key', async () => {
    const avg: AggregateFunction<number, [number, number], number> = {
      createAccumulator: () => [0, 0],
      add: (v, [s, c]) => [s + v, c + 1],
      getResult: ([s, c]) => s / c,
    };
    type Out = { key: string; count: number; list: number[]; map: [string, number][]; max: number; avg: number };
    class AllStates implements KeyedProcessFunction<string, Ev, Out> {
      count!: ValueState<number>;
      list!: ListState<number>;
      map!: MapState<string, number>;
      max!: ReducingState<number>;
      avg!: AggregatingState<number, number>;
      open(ctx: RuntimeContext) {
        this.count = ctx.getState(valueState<number>('count', { defaultValue: 0 }));
        this.list = ctx.getListState(listState<number>('list'));
        this.map = ctx.getMapState(mapState<string, number>('map'));
        this.max = ctx.getReducingState(reducingState<number>('max', Math.max));
        this.avg = ctx.getAggregatingState(aggregatingState('avg', avg));
      }
      processElement(e: Ev, ctx: KeyedContext<string>, out: Collector<Out>) {
        this.count.update(this.count.value()! + 1);
        this.list.add(e.v);
        const parity = e.v % 2 === 0 ? 'even' : 'odd';
        this.map.put(parity, (this.map.get(parity) ?? 0) + 1);
        this.max.add(e.v);
        this.avg.add(e.v);
        out.collect({
          key: ctx.getCurrentKey(),
          count: this.count.value()!,
          list: this.list.get(),
          map: this.map.entries().sort(),
          max: this.max.get()!,
          avg: this.avg.get()!,
        });
      }
    }
    const input: Ev[] = [];
    for (let i = 0; i < 40; i++) input.push(ev(['a', 'b', 'c'][(i * 7) % 3]!, i, (i * 13) % 17));
    // Brute force: replay each key's history.
    const expected = input.map((e, i) => {
      const history = input.slice(0, i + 1).filter((x) => x.key === e.key);
      const vs = history.map((x) => x.v);
      const even = vs.filter((v) => v % 2 === 0).length;
      const odd = vs.length - even;
      const map: [string, number][] = [];
      if (even > 0) map.push(['even', even]);
      if (odd > 0) map.push(['odd', odd]);
      return {
        key: e.key,
        count: vs.length,
        list: vs,
        map,
        max: Math.max(...vs),
        avg: vs.reduce((a, b) => a + b, 0) / vs.length,
      };
    });
    for (const parallelism of [1, 3]) {
      const env = StreamExecutionEnvironment.create({ parallelism });
      const h = env
        .fromCollection(input)
        .keyBy((e) => e.key)
        .process(new AllStates())
        .collect(`all-states-${parallelism}`);
      await env.execute();
      // Across subtasks the interleaving of keys is not defined; per key the order is the input order.
      for (const key of ['a', 'b', 'c']) {
        assert.deepEqual(
          h.get().filter((o) => o.key === key),
          expected.filter((o) => o.key === key),
          `key ${key} at parallelism ${parallelism}`,
        );
      }
      assert.equal(h.get().length, input.length);
    }
  });

  test('event-time timers fire in time order when the watermark passes them', async () => {
    const h = await OperatorTestHarness.create((s: DataStream<Ev>) =>
      s
        .keyBy((e) => e.key)
        .process<string>({
          processElement(e, ctx) {
            ctx.timerService().registerEventTimeTimer(e.ts + 10);
          },
          onTimer(t, ctx, out) {
            assert.equal(ctx.timeDomain(), 'eventTime');
            assert.equal(ctx.timestamp(), t);
            assert.ok(ctx.timerService().currentWatermark() >= t);
            out.collect(`${ctx.getCurrentKey()}@${t}`);
          },
        }),
    );
    h.processElement(ev('a', 30), 30);
    h.processElement(ev('b', 5), 5);
    h.processElement(ev('c', 20), 20);
    h.processElement(ev('a', 12), 12);
    h.processWatermark(14);
    assert.deepEqual(h.values(), [], 'no timer is due at 14');
    h.processWatermark(15);
    assert.deepEqual(h.values(), ['b@15']);
    h.processWatermark(39);
    assert.deepEqual(h.values(), ['b@15', 'a@22', 'c@30']);
    h.processWatermark(40);
    assert.deepEqual(h.output().slice(3), [{ value: 'a@40', timestamp: 40 }], 'timer output carries the timer time');
    assert.deepEqual(h.watermarks(), [14, 15, 39, 40]);
  });

  test('the watermark goes downstream after the timers it fired', async () => {
    const h = await OperatorTestHarness.create((s: DataStream<Ev>) =>
      s
        .keyBy((e) => e.key)
        .process<string>({
          processElement(e, ctx) {
            ctx.timerService().registerEventTimeTimer(e.ts);
          },
          onTimer(t, ctx, out) {
            out.collect(`${ctx.getCurrentKey()}@${t}`);
          },
        })
        // A downstream event-time window must see the timer output before the watermark.
        .keyBy(() => 'all')
        .window(TumblingEventTimeWindows.of(100))
        .process<string>({
          process(_k, ctx, elements, out) {
            out.collect(`${(ctx.window as TimeWindow).start}: ${elements.join(' ')}`);
          },
        }),
    );
    h.processElement(ev('a', 10), 10).processElement(ev('b', 99), 99);
    h.processWatermark(150);
    assert.deepEqual(h.values(), ['0: a@10 b@99']);
  });

  test('processing-time timers fire when processing time reaches them', async () => {
    const h = await OperatorTestHarness.create(
      (s: DataStream<Ev>) =>
        s
          .keyBy((e) => e.key)
          .process<string>({
            processElement(e, ctx) {
              ctx.timerService().registerProcessingTimeTimer(ctx.timerService().currentProcessingTime() + e.v);
            },
            onTimer(t, ctx, out) {
              assert.equal(ctx.timeDomain(), 'processingTime');
              out.collect(`${ctx.getCurrentKey()}@${t}`);
            },
          }),
      { processingTime: 1000 },
    );
    h.processElement(ev('a', 0, 100));
    h.processElement(ev('b', 0, 50));
    h.processWatermark(5000);
    assert.deepEqual(h.values(), [], 'watermarks do not fire processing-time timers');
    h.setProcessingTime(1049);
    assert.deepEqual(h.values(), []);
    h.setProcessingTime(1050);
    assert.deepEqual(h.values(), ['b@1050']);
    h.processElement(ev('c', 0, 10)); // at 1060
    h.setProcessingTime(2000);
    assert.deepEqual(h.values(), ['b@1050', 'c@1060', 'a@1100']);
    assert.equal(h.output()[0]!.timestamp, undefined, 'processing-time timer output has no event timestamp');
  });

  test('processing-time timers still pending when bounded input ends fire once (end to end)', async () => {
    const env = StreamExecutionEnvironment.create();
    const h = env
      .fromCollection(['a', 'b', 'a'])
      .keyBy((s) => s)
      .process<string>({
        processElement(_s, ctx) {
          ctx.timerService().registerProcessingTimeTimer(ctx.timerService().currentProcessingTime() + 3_600_000);
        },
        onTimer(_t, ctx, out) {
          out.collect(`${ctx.getCurrentKey()}/${ctx.timeDomain()}`);
        },
      })
      .collect('keyed-processing-timers-at-end');
    await env.execute();
    // Two timers for 'a' at (almost surely) different times, one for 'b'.
    const lines = h.get().sort();
    assert.ok(lines.length === 3 || lines.length === 2, lines.join(' '));
    assert.deepEqual([...new Set(lines)], ['a/processingTime', 'b/processingTime']);
  });

  test('a timer registered twice for the same key and time fires once; other keys get their own', async () => {
    const h = await OperatorTestHarness.create((s: DataStream<Ev>) =>
      s
        .keyBy((e) => e.key)
        .process<string>({
          processElement(e, ctx) {
            ctx.timerService().registerEventTimeTimer(100);
            ctx.timerService().registerEventTimeTimer(100);
            ctx.timerService().registerProcessingTimeTimer(500);
            if (e.v === 2) ctx.timerService().registerEventTimeTimer(e.ts);
          },
          onTimer(t, ctx, out) {
            out.collect(`${ctx.getCurrentKey()}@${t}/${ctx.timeDomain()}`);
          },
        }),
    );
    h.processElement(ev('a', 1), 1)
      .processElement(ev('a', 2, 2), 2)
      .processElement(ev('a', 3), 3);
    h.processElement(ev('b', 4), 4);
    h.processWatermark(1000);
    assert.deepEqual(h.values(), ['a@2/eventTime', 'a@100/eventTime', 'b@100/eventTime']);
    h.setProcessingTime(500);
    assert.deepEqual(h.values().slice(3).sort(), ['a@500/processingTime', 'b@500/processingTime']);
  });

  test('deleted timers do not fire', async () => {
    const h = await OperatorTestHarness.create((s: DataStream<Ev>) =>
      s
        .keyBy((e) => e.key)
        .process<string>({
          processElement(e, ctx) {
            const ts = ctx.timerService();
            if (e.v > 0) {
              ts.registerEventTimeTimer(e.ts);
              ts.registerProcessingTimeTimer(e.ts);
            } else {
              ts.deleteEventTimeTimer(e.ts);
              ts.deleteProcessingTimeTimer(e.ts);
            }
          },
          onTimer(t, ctx, out) {
            out.collect(`${ctx.getCurrentKey()}@${t}/${ctx.timeDomain()}`);
          },
        }),
    );
    h.processElement(ev('a', 10), 10);
    h.processElement(ev('a', 20), 20);
    h.processElement(ev('b', 10), 10);
    h.processElement(ev('a', 10, 0), 10); // deletes a@10 (both domains); b@10 stays
    h.processElement(ev('a', 77, 0), 77); // deleting a timer that does not exist is harmless
    h.processWatermark(100);
    h.setProcessingTime(100);
    assert.deepEqual(h.values(), ['b@10/eventTime', 'a@20/eventTime', 'b@10/processingTime', 'a@20/processingTime']);
  });

  test('onTimer can use keyed state of the timer key and register further timers', async () => {
    const h = await OperatorTestHarness.create((s: DataStream<Ev>) =>
      s
        .keyBy((e) => e.key)
        .process<string>(
          new (class implements KeyedProcessFunction<string, Ev, string> {
            total!: ValueState<number>;
            open(ctx: RuntimeContext) {
              this.total = ctx.getState(valueState<number>('total'));
            }
            processElement(e: Ev, ctx: KeyedContext<string>) {
              this.total.update((this.total.value() ?? 0) + e.v);
              ctx.timerService().registerEventTimeTimer(100);
            }
            onTimer(t: number, ctx: OnTimerContext<string>, out: Collector<string>) {
              out.collect(`${ctx.getCurrentKey()}=${this.total.value()}@${t}`);
              if (t === 100) ctx.timerService().registerEventTimeTimer(200);
            }
          })(),
        ),
    );
    h.processElement(ev('x', 1, 5), 1)
      .processElement(ev('y', 1, 7), 1)
      .processElement(ev('x', 2, 1), 2);
    h.processWatermark(150);
    assert.deepEqual(h.values().sort(), ['x=6@100', 'y=7@100']);
    h.processWatermark(250);
    assert.deepEqual(h.values().slice(2).sort(), ['x=6@200', 'y=7@200']);
  });

  test('side outputs via ctx.output(tag, value)', async () => {
    const small = new OutputTag<number>('small');
    const odd = new OutputTag<string>('odd');
    const h = await OperatorTestHarness.create(
      (s: DataStream<Ev>) =>
        s
          .keyBy((e) => e.key)
          .process<number>({
            processElement(e, ctx, out) {
              if (e.v < 10) ctx.output(small, e.v);
              else out.collect(e.v);
              if (e.v % 2 === 1) ctx.output(odd, `${e.key}:${e.v}`);
            },
          }),
      { sideOutputs: [small as OutputTag<unknown>, odd as OutputTag<unknown>] },
    );
    h.processElement(ev('a', 1, 3), 1)
      .processElement(ev('b', 2, 12), 2)
      .processElement(ev('a', 3, 15), 3);
    assert.deepEqual(h.values(), [12, 15]);
    assert.deepEqual(h.sideOutput(small), [{ value: 3, timestamp: 1 }]);
    assert.deepEqual(h.sideOutput(odd), [
      { value: 'a:3', timestamp: 1 },
      { value: 'a:15', timestamp: 3 },
    ]);

    // End to end: getSideOutput reads the side output as a stream.
    const env = StreamExecutionEnvironment.create();
    const main = env
      .fromCollection([1, 20, 3, 40, 5])
      .keyBy((x) => x % 2)
      .process<number>({
        processElement(x, ctx, out) {
          if (x < 10) ctx.output(small, x);
          else out.collect(x);
        },
      });
    const mainOut = main.collect('side-main');
    const sideOut = main
      .getSideOutput(small)
      .map((x) => x * 100)
      .collect('side-small');
    await env.execute();
    assert.deepEqual(
      mainOut.get().sort((a, b) => a - b),
      [20, 40],
    );
    assert.deepEqual(
      sideOut.get().sort((a, b) => a - b),
      [100, 300, 500],
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe('rolling reduce and aggregate on a KeyedStream', () => {
  const input = Array.from({ length: 60 }, (_, i) => ev(`k${(i * 5) % 4}`, i, (i * 7) % 10));
  const running = (reduce: (acc: number, v: number) => number, init: (v: number) => number) => {
    const acc = new Map<string, number>();
    return input.map((e) => {
      const prev = acc.get(e.key);
      const next = prev === undefined ? init(e.v) : reduce(prev, e.v);
      acc.set(e.key, next);
      return [e.key, next] as [string, number];
    });
  };
  const perKey = <T>(rows: [string, T][]) => {
    const m = new Map<string, T[]>();
    for (const [k, v] of rows) m.set(k, [...(m.get(k) ?? []), v]);
    return [...m.entries()].sort((a, b) => a[0].localeCompare(b[0]));
  };

  for (const parallelism of [1, 3]) {
    test(`reduce emits the running value per key (parallelism ${parallelism})`, async () => {
      const env = StreamExecutionEnvironment.create({ parallelism });
      const h = env
        .fromCollection(input)
        .keyBy((e) => e.key)
        .reduce(sum)
        .map((e): [string, number] => [e.key, e.v])
        .collect(`rolling-reduce-${parallelism}`);
      await env.execute();
      assert.deepEqual(
        perKey(h.get()),
        perKey(
          running(
            (a, b) => a + b,
            (v) => v,
          ),
        ),
      );
    });

    test(`aggregate emits the running result per key (parallelism ${parallelism})`, async () => {
      const env = StreamExecutionEnvironment.create({ parallelism });
      const h = env
        .fromCollection(input)
        .keyBy((e) => e.key)
        .aggregate<{ key: string; max: number; n: number }, [string, string]>({
          createAccumulator: () => ({ key: '', max: Number.NEGATIVE_INFINITY, n: 0 }),
          add: (e, acc) => ({ key: e.key, max: Math.max(acc.max, e.v), n: acc.n + 1 }),
          getResult: (acc) => [acc.key, `${acc.max}/${acc.n}`],
        })
        .collect(`rolling-aggregate-${parallelism}`);
      await env.execute();
      const counts = new Map<string, number>();
      const expected = running(Math.max, (v) => v).map(([k, max]): [string, string] => {
        counts.set(k, (counts.get(k) ?? 0) + 1);
        return [k, `${max}/${counts.get(k)}`];
      });
      assert.deepEqual(perKey(h.get()), perKey(expected));
    });
  }

  test('rolling reduce output keeps the input record timestamp', async () => {
    const h = await OperatorTestHarness.create((s: DataStream<Ev>) => s.keyBy((e) => e.key).reduce(sum));
    h.processElement(ev('a', 5, 1), 5)
      .processElement(ev('a', 9, 2), 9)
      .processElement(ev('b', 7, 4), 7);
    assert.deepEqual(
      h.output().map((r) => [r.value.key, r.value.v, r.timestamp]),
      [
        ['a', 1, 5],
        ['a', 3, 9],
        ['b', 4, 7],
      ],
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe('window triggers', () => {
  test('tumbling event-time windows fire when the watermark passes the end; results carry end - 1', async () => {
    const h = await OperatorTestHarness.create((s: DataStream<Ev>) =>
      s
        .keyBy((e) => e.key)
        .window(TumblingEventTimeWindows.of(100))
        .reduce(sum),
    );
    h.processElement(ev('a', 10, 1), 10)
      .processElement(ev('a', 99, 2), 99)
      .processElement(ev('b', 50, 4), 50);
    h.processElement(ev('a', 100, 8), 100);
    h.processWatermark(98);
    assert.deepEqual(h.values(), []);
    h.processWatermark(99);
    assert.deepEqual(
      h
        .output()
        .map((r) => [r.value.key, r.value.v, r.timestamp])
        .sort(),
      [
        ['a', 3, 99],
        ['b', 4, 99],
      ],
    );
    h.processWatermark(199);
    assert.deepEqual(h.output().map((r) => [r.value.key, r.value.v, r.timestamp])[2], ['a', 8, 199]);
  });

  test('a window function may return its results: they follow the collected ones, with the window timestamp', async () => {
    const h = await OperatorTestHarness.create((s: DataStream<Ev>) =>
      s
        .keyBy((e) => e.key)
        .window(TumblingEventTimeWindows.of(100))
        .aggregate(
          { createAccumulator: () => 0, add: (e: Ev, n: number) => n + e.v, getResult: (n) => n },
          {
            process(key, ctx, [total], out: Collector<string>) {
              out.collect(`${key} collected ${total}`);
              return [`${key} returned ${total}`, `${key} ends ${ctx.window.end}`];
            },
          },
        ),
    );
    h.processElement(ev('a', 10, 1), 10).processElement(ev('a', 20, 2), 20);
    h.processWatermark(99);
    assert.deepEqual(
      h.output().map((r) => [r.value, r.timestamp]),
      [
        ['a collected 3', 99],
        ['a returned 3', 99],
        ['a ends 100', 99],
      ],
    );
  });

  test('countWindow(n) fires every n elements of a key; an incomplete window never fires', async () => {
    const h = await OperatorTestHarness.create((s: DataStream<Ev>) =>
      s
        .keyBy((e) => e.key)
        .countWindow(3)
        .process<string>({
          process(key, _ctx, elements, out) {
            out.collect(`${key}: ${elements.map((e) => e.v).join(',')}`);
          },
        }),
    );
    for (let i = 1; i <= 8; i++) h.processElement(ev('a', 0, i));
    for (let i = 1; i <= 4; i++) h.processElement(ev('b', 0, 10 * i));
    await h.endInput();
    assert.deepEqual(h.values(), ['a: 1,2,3', 'a: 4,5,6', 'b: 10,20,30']);
  });

  test('countWindow(size, slide) fires every `slide` elements over the last `size`', async () => {
    const h = await OperatorTestHarness.create((s: DataStream<Ev>) =>
      s
        .keyBy((e) => e.key)
        .countWindow(3, 2)
        .process<string>({
          process(key, _ctx, elements, out) {
            out.collect(`${key}: ${elements.map((e) => e.v).join(',')}`);
          },
        }),
    );
    for (let i = 1; i <= 7; i++) h.processElement(ev('a', 0, i));
    h.processElement(ev('b', 0, 1));
    await h.endInput();
    assert.deepEqual(h.values(), ['a: 1,2', 'a: 2,3,4', 'a: 4,5,6']);
  });

  test('CountTrigger alone fires the accumulated window; PurgingTrigger purges after each firing', async () => {
    const run = async (purging: boolean) => {
      const h = await OperatorTestHarness.create((s: DataStream<Ev>) =>
        s
          .keyBy((e) => e.key)
          .window(TumblingEventTimeWindows.of(100))
          .trigger(purging ? PurgingTrigger.of(CountTrigger.of(2)) : CountTrigger.of(2))
          .process(describeWindow((e) => String(e.v))),
      );
      for (const [ts, v] of [
        [1, 1],
        [2, 2],
        [3, 3],
        [4, 4],
        [5, 5],
        [150, 6],
      ] as const)
        h.processElement(ev('a', ts, v), ts);
      // The trigger replaces the event-time trigger: the end of the window does not fire it.
      h.processWatermark(1000);
      h.processElement(ev('a', 1001, 7), 1001);
      h.processElement(ev('a', 1002, 8), 1002);
      return h.values();
    };
    assert.deepEqual(await run(false), ['[0,100) a: 1,2', '[0,100) a: 1,2,3,4', '[1000,1100) a: 7,8']);
    assert.deepEqual(await run(true), ['[0,100) a: 1,2', '[0,100) a: 3,4', '[1000,1100) a: 7,8']);
  });

  test('PurgingTrigger around the event-time trigger: a late element re-fires alone', async () => {
    const h = await OperatorTestHarness.create((s: DataStream<Ev>) =>
      s
        .keyBy((e) => e.key)
        .window(TumblingEventTimeWindows.of(100))
        .trigger(PurgingTrigger.of(EventTimeTrigger.create()))
        .allowedLateness(50)
        .process(describeWindow((e) => String(e.v))),
    );
    h.processElement(ev('a', 10, 1), 10).processElement(ev('a', 20, 2), 20);
    h.processWatermark(100);
    h.processElement(ev('a', 30, 3), 30);
    assert.deepEqual(h.values(), ['[0,100) a: 1,2', '[0,100) a: 3']);
  });

  test('ContinuousEventTimeTrigger fires early every interval and at the end of the window', async () => {
    const h = await OperatorTestHarness.create((s: DataStream<Ev>) =>
      s
        .keyBy((e) => e.key)
        .window(TumblingEventTimeWindows.of(1000))
        .trigger(ContinuousEventTimeTrigger.of(300))
        .process(describeWindow((e) => String(e.v))),
    );
    h.processElement(ev('a', 10, 1), 10).processElement(ev('a', 20, 2), 20);
    h.processWatermark(200);
    assert.deepEqual(h.values(), [], 'no interval has passed yet');
    h.processWatermark(350);
    assert.deepEqual(h.values(), ['[0,1000) a: 1,2']);
    h.processElement(ev('a', 400, 3), 400);
    h.processWatermark(450);
    assert.equal(h.values().length, 1, 'the next early firing is one interval later');
    h.processWatermark(650);
    assert.deepEqual(h.values().slice(1), ['[0,1000) a: 1,2,3']);
    // Past the 900 boundary and the end of the window: one early and the final firing.
    h.processWatermark(1100);
    assert.deepEqual(h.values().slice(2), ['[0,1000) a: 1,2,3', '[0,1000) a: 1,2,3']);
    // The window is gone: no more firings.
    h.processWatermark(5000);
    assert.equal(h.values().length, 4);
    assert.ok(h.output().every((r) => r.timestamp === 999));
  });

  test('allowedLateness: late elements re-fire the window with all its contents until the cleanup time', async () => {
    const late = new OutputTag<Ev>('late');
    const h = await OperatorTestHarness.create(
      (s: DataStream<Ev>) =>
        s
          .keyBy((e) => e.key)
          .window(TumblingEventTimeWindows.of(100))
          .allowedLateness(50)
          .sideOutputLateData(late)
          .reduce(sum),
      { sideOutputs: [late as OutputTag<unknown>] },
    );
    h.processElement(ev('a', 10, 1), 10).processElement(ev('a', 20, 2), 20);
    h.processWatermark(99);
    assert.deepEqual(
      h.values().map((e) => e.v),
      [3],
    );
    h.processElement(ev('a', 30, 4), 30); // late but within the allowed lateness: fires again, 1+2+4
    assert.deepEqual(
      h.values().map((e) => e.v),
      [3, 7],
    );
    h.processWatermark(148);
    h.processElement(ev('a', 40, 8), 40); // cleanup time is 99 + 50 = 149 > 148: still accepted
    assert.deepEqual(
      h.values().map((e) => e.v),
      [3, 7, 15],
    );
    assert.ok(h.output().every((r) => r.timestamp === 99));
    h.processWatermark(149); // the window is cleaned up
    h.processElement(ev('a', 50, 16), 50);
    assert.equal(h.values().length, 3, 'too late: dropped from the main output');
    assert.deepEqual(h.sideOutput(late), [{ value: ev('a', 50, 16), timestamp: 50 }]);
    // A new window of the same key starts from scratch.
    h.processElement(ev('a', 160, 32), 160);
    h.processWatermark(199);
    assert.deepEqual(
      h.values().map((e) => e.v),
      [3, 7, 15, 32],
    );
  });

  test('sideOutputLateData without allowed lateness: elements behind the watermark go to the side output', async () => {
    const late = new OutputTag<Ev>('late-data');
    const h = await OperatorTestHarness.create(
      (s: DataStream<Ev>) =>
        s
          .keyBy((e) => e.key)
          .window(TumblingEventTimeWindows.of(100))
          .sideOutputLateData(late)
          .process(describeWindow((e) => String(e.v))),
      { sideOutputs: [late as OutputTag<unknown>] },
    );
    h.processElement(ev('a', 50, 1), 50);
    h.processWatermark(120);
    h.processElement(ev('a', 99, 2), 99); // its window [0,100) ended at watermark 99
    h.processElement(ev('b', 10, 3), 10); // a window that never existed, but late all the same
    h.processElement(ev('a', 121, 4), 121); // on time
    h.processWatermark(300);
    assert.deepEqual(h.values(), ['[0,100) a: 1', '[100,200) a: 4']);
    assert.deepEqual(h.sideOutput(late), [
      { value: ev('a', 99, 2), timestamp: 99 },
      { value: ev('b', 10, 3), timestamp: 10 },
    ]);
  });

  test('processing-time tumbling windows fire when processing time passes the end', async () => {
    const h = await OperatorTestHarness.create(
      (s: DataStream<Ev>) =>
        s
          .keyBy((e) => e.key)
          .window(TumblingProcessingTimeWindows.of(100))
          .process(describeWindow((e) => String(e.v))),
      { processingTime: 10 },
    );
    h.processElement(ev('a', 0, 1)).processElement(ev('b', 0, 2));
    h.setProcessingTime(60);
    h.processElement(ev('a', 0, 3));
    h.processWatermark(10_000);
    assert.deepEqual(h.values(), [], 'watermarks do not fire processing-time windows');
    h.setProcessingTime(98);
    assert.deepEqual(h.values(), []);
    h.setProcessingTime(99);
    assert.deepEqual(h.values().sort(), ['[0,100) a: 1,3', '[0,100) b: 2']);
    h.setProcessingTime(150);
    h.processElement(ev('a', 0, 4));
    h.setProcessingTime(260);
    h.processElement(ev('a', 0, 5)); // window [200, 300)
    assert.deepEqual(h.values().slice(2), ['[100,200) a: 4']);
    h.setProcessingTime(299);
    assert.deepEqual(h.values().slice(3), ['[200,300) a: 5']);
  });

  test('processing-time windows on bounded input fire when the input ends (end to end)', async () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    const h = env
      .fromCollection(Array.from({ length: 30 }, (_, i) => ev(`k${i % 3}`, 0, i)))
      .keyBy((e) => e.key)
      // One window spanning centuries: every element lands in the same window of its key.
      .window(TumblingProcessingTimeWindows.of(1e13))
      .reduce(sum)
      .map((e): [string, number] => [e.key, e.v])
      .collect('processing-time-bounded');
    await env.execute();
    const expected = ['k0', 'k1', 'k2'].map((k, r): [string, number] => [
      k,
      Array.from({ length: 30 }, (_, i) => i)
        .filter((i) => i % 3 === r)
        .reduce((a, b) => a + b, 0),
    ]);
    assert.deepEqual(
      h.get().sort((a, b) => a[0].localeCompare(b[0])),
      expected,
    );
  });

  test('GlobalWindows with the default trigger fire once when bounded input ends', async () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 3 });
    const h = env
      .fromCollection(Array.from({ length: 40 }, (_, i) => ev(`k${i % 4}`, i, 1)))
      .keyBy((e) => e.key)
      .window(GlobalWindows.create())
      .reduce(sum)
      .map((e): [string, number] => [e.key, e.v])
      .collect('global-windows-default');
    await env.execute();
    assert.deepEqual(
      h.get().sort((a, b) => a[0].localeCompare(b[0])),
      [
        ['k0', 10],
        ['k1', 10],
        ['k2', 10],
        ['k3', 10],
      ],
    );
  });

  test('windowAll: one window over all keys, also when the job runs with parallelism 3', async () => {
    const input = Array.from({ length: 200 }, (_, i) => ev(`k${i % 7}`, (i * 37) % 1000, i % 5));
    const expected = new Map<number, number>();
    for (const e of input) {
      const start = Math.floor(e.ts / 250) * 250;
      expected.set(start, (expected.get(start) ?? 0) + e.v);
    }
    const env = StreamExecutionEnvironment.create({ parallelism: 3 });
    const h = env
      .fromCollection(input)
      .assignTimestampsAndWatermarks(
        WatermarkStrategies.forBoundedOutOfOrderness<Ev>(1000).withTimestampAssigner((e) => e.ts),
      )
      .rebalance()
      .map((e) => e)
      .windowAll(TumblingEventTimeWindows.of(250))
      .process<[number, number]>({
        process(_key, ctx: ProcessWindowContext<TimeWindow>, elements, out) {
          out.collect([ctx.window.start, elements.reduce((a, e) => a + e.v, 0)]);
        },
      })
      .collect('window-all');
    await env.execute();
    assert.deepEqual(
      h.get().sort((a, b) => a[0] - b[0]),
      [...expected.entries()].sort((a, b) => a[0] - b[0]),
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe('evictors', () => {
  test('CountEvictor keeps the last n elements (in arrival order) for the window function', async () => {
    const h = await OperatorTestHarness.create((s: DataStream<Ev>) =>
      s
        .keyBy((e) => e.key)
        .window(TumblingEventTimeWindows.of(100))
        .evictor(CountEvictor.of(2))
        .process(describeWindow((e) => `${e.v}@${e.ts}`)),
    );
    h.processElement(ev('a', 50, 1), 50)
      .processElement(ev('a', 10, 2), 10)
      .processElement(ev('a', 30, 3), 30);
    h.processElement(ev('b', 5, 4), 5);
    h.processWatermark(100);
    assert.deepEqual(h.values().sort(), ['[0,100) a: 2@10,3@30', '[0,100) b: 4@5']);
  });

  test('TimeEvictor keeps elements newer than (max timestamp - keep) for a ProcessWindowFunction', async () => {
    const h = await OperatorTestHarness.create((s: DataStream<Ev>) =>
      s
        .keyBy((e) => e.key)
        .window(TumblingEventTimeWindows.of(100))
        .evictor(TimeEvictor.of(30))
        .process(describeWindow((e) => String(e.ts))),
    );
    for (const ts of [10, 80, 50, 75, 51]) h.processElement(ev('a', ts), ts);
    h.processWatermark(99);
    // max timestamp 80: elements with timestamp <= 50 are evicted.
    assert.deepEqual(h.values(), ['[0,100) a: 80,75,51']);
  });

  test('TimeEvictor with reduce: the window function sees the reduction of the kept elements', async () => {
    const h = await OperatorTestHarness.create((s: DataStream<Ev>) =>
      s
        .keyBy((e) => e.key)
        .window(TumblingEventTimeWindows.of(100))
        .evictor(TimeEvictor.of(20))
        .reduce(sum),
    );
    for (const [ts, v] of [
      [5, 1],
      [70, 2],
      [90, 4],
      [60, 8],
    ] as const)
      h.processElement(ev('a', ts, v), ts);
    h.processWatermark(99);
    // Newest 90: keep ts > 70, i.e. only the element at 90.
    assert.deepEqual(
      h.values().map((e) => e.v),
      [4],
    );
  });

  test('evicting after the window function: the next firing sees what remained plus new elements', async () => {
    const h = await OperatorTestHarness.create((s: DataStream<Ev>) =>
      s
        .keyBy((e) => e.key)
        .window(GlobalWindows.create())
        .trigger(CountTrigger.of(3))
        .evictor(CountEvictor.of(2, true))
        .process<string>({
          process(key, _ctx, elements, out) {
            out.collect(`${key}: ${elements.map((e) => e.v).join(',')}`);
          },
        }),
    );
    for (let i = 1; i <= 6; i++) h.processElement(ev('a', 0, i));
    assert.deepEqual(h.values(), ['a: 1,2,3', 'a: 2,3,4,5,6']);
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe('keyed state end to end', () => {
  test('an event-time window job gives the brute-force result at parallelism 1 and 4', async () => {
    const input: Ev[] = [];
    for (let i = 0; i < 500; i++) input.push(ev(`u${(i * 11) % 9}`, i * 10 + ((i * 7919) % 37), (i * 3) % 10));
    const expected = new Map<string, number>();
    for (const e of input) {
      const k = `${e.key}|${Math.floor(e.ts / 300) * 300}`;
      expected.set(k, (expected.get(k) ?? 0) + e.v);
    }
    for (const parallelism of [1, 4]) {
      const env = StreamExecutionEnvironment.create({ parallelism, batchSize: 16 });
      const h = env
        .fromCollection(input)
        .assignTimestampsAndWatermarks(
          WatermarkStrategies.forBoundedOutOfOrderness<Ev>(40).withTimestampAssigner((e) => e.ts),
        )
        .keyBy((e) => e.key)
        .window(TumblingEventTimeWindows.of(300))
        .aggregate<number, number, [string, number]>(
          { createAccumulator: () => 0, add: (e, a) => a + e.v, getResult: (a) => a },
          {
            process(key, ctx, [total], out) {
              out.collect([`${key}|${(ctx.window as TimeWindow).start}`, total!]);
            },
          },
        )
        .collect(`e2e-window-${parallelism}`);
      await env.execute();
      assert.deepEqual(new Map(h.get()), expected, `parallelism ${parallelism}`);
      assert.equal(h.get().length, expected.size);
    }
  });
});
