import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type BroadcastContext,
  type BroadcastProcessFunction,
  type BroadcastReadOnlyContext,
  type Collector,
  type CoProcessFunction,
  type DataStream,
  type KeyedBroadcastContext,
  type KeyedBroadcastProcessFunction,
  type KeyedContext,
  type KeyedCoProcessFunction,
  type ListState,
  listState,
  type MapStateDescriptor,
  mapState,
  type OnTimerContext,
  OutputTag,
  type ProcessContext,
  type ProcessFunction,
  type RuntimeContext,
  StreamExecutionEnvironment,
  type ValueState,
  valueState,
} from '../src/index.js';
import { OperatorTestHarness } from '../src/testing/index.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const sorted = <T>(xs: T[]) => xs.slice().sort((a, b) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));

/** Counts occurrences of each value. */
function multiset<T>(xs: T[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of xs) m.set(JSON.stringify(x), (m.get(JSON.stringify(x)) ?? 0) + 1);
  return m;
}

// ---------------------------------------------------------------------------------------------------------------
describe('connect', () => {
  test('CoFlatMapFunction sees each input on its own method', async () => {
    const env = StreamExecutionEnvironment.create();
    const numbers = env.fromCollection([1, 2, 3]);
    const words = env.fromCollection(['x', 'yy']);
    const h = numbers
      .connect(words)
      .flatMap<string>({
        flatMap1(n: number, out: Collector<string>) {
          out.collect(`n${n}`);
        },
        flatMap2(w: string, out: Collector<string>) {
          for (const c of w) out.collect(`w${c}`);
        },
      })
      .collect('co-flatmap');
    await env.execute();
    assert.deepEqual(sorted(h.get()), sorted(['n1', 'n2', 'n3', 'wx', 'wy', 'wy']));
    // Within one input, the order is kept.
    assert.deepEqual(
      h.get().filter((s) => s.startsWith('n')),
      ['n1', 'n2', 'n3'],
    );
  });

  test('ConnectedStreams.map maps each side', async () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    const h = env
      .fromCollection(range(10))
      .connect(env.fromCollection(['a', 'b']))
      .map(
        (n) => n * 2,
        (s) => s.length * 100,
      )
      .collect('co-map');
    await env.execute();
    assert.deepEqual(
      h.get().sort((a, b) => a - b),
      [...range(10).map((n) => n * 2), 100, 100].sort((a, b) => a - b),
    );
  });

  test('CoProcessFunction: both inputs, timestamps and side outputs', async () => {
    const rejected = new OutputTag<string>('rejected');
    const fn: CoProcessFunction<number, string, string> = {
      processElement1(n, ctx, out) {
        if (n < 0) ctx.output(rejected, `n${n}`);
        else out.collect(`n${n}@${ctx.timestamp()}`);
      },
      processElement2(s, ctx, out) {
        out.collect(`s${s}@${ctx.timestamp()}`);
      },
    };
    const h = await OperatorTestHarness.createTwoInput(
      (a: DataStream<number>, b: DataStream<string>) => a.connect(b).process(fn),
      { sideOutputs: [rejected as OutputTag<unknown>] },
    );
    h.processElement(1, 10, 0);
    h.processElement('a', 20, 1);
    h.processElement(-5, 30, 0);
    h.processElement(2, undefined, 0);
    await h.endInput();
    assert.deepEqual(h.values(), ['n1@10', 'sa@20', 'n2@undefined']);
    assert.deepEqual(h.sideOutput(rejected), [{ value: 'n-5', timestamp: 30 }]);
  });

  test('a two-input operator takes the minimum watermark of its inputs', async () => {
    const h = await OperatorTestHarness.createTwoInput((a: DataStream<number>, b: DataStream<number>) =>
      a.connect(b).map(
        (x) => x,
        (x) => x,
      ),
    );
    h.processWatermark(100, 0);
    assert.deepEqual(h.watermarks(), []);
    h.processWatermark(50, 1);
    assert.deepEqual(h.watermarks(), [50]);
    h.processWatermark(200, 1);
    assert.deepEqual(h.watermarks(), [50, 100]);
  });

  test('timers on a non-keyed CoProcessFunction are refused', async () => {
    const env = StreamExecutionEnvironment.create();
    env
      .fromCollection([1])
      .connect(env.fromCollection([2]))
      .process<number>({
        processElement1(_n: number, ctx: ProcessContext) {
          ctx.timerService().registerEventTimeTimer(10);
        },
        processElement2() {},
      })
      .name('timerless')
      .collect('co-timers-refused');
    await assert.rejects(env.execute(), /timerless[\s\S]*keyed|keyed[\s\S]*timerless/);
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe('keyed connect', () => {
  interface Name {
    id: string;
    name: string;
  }
  interface Payment {
    id: string;
    amount: number;
  }

  /** Joins names and payments per id in shared keyed state; reports each id when the input ends. */
  class Totals implements KeyedCoProcessFunction<string, Name, Payment, string> {
    name!: ValueState<string>;
    total!: ValueState<number>;
    open(ctx: RuntimeContext) {
      this.name = ctx.getState(valueState<string>('name'));
      this.total = ctx.getState(valueState<number>('total', { defaultValue: 0 }));
    }
    processElement1(n: Name, ctx: KeyedContext<string>) {
      assert.equal(ctx.getCurrentKey(), n.id);
      this.name.update(n.name);
      ctx.timerService().registerEventTimeTimer(0); // fires with the final watermark
    }
    processElement2(p: Payment, ctx: KeyedContext<string>) {
      assert.equal(ctx.getCurrentKey(), p.id);
      this.total.update(this.total.value()! + p.amount);
      ctx.timerService().registerEventTimeTimer(0);
    }
    onTimer(_t: number, ctx: OnTimerContext<string>, out: Collector<string>) {
      out.collect(`${ctx.getCurrentKey()}: ${this.name.value() ?? '?'} ${this.total.value()}`);
    }
  }

  const names: Name[] = range(12).map((i) => ({ id: `id${i}`, name: `name${i}` }));
  const payments: Payment[] = range(60).map((i) => ({ id: `id${(i * 7) % 13}`, amount: i }));
  const expected = () => {
    const ids = new Set([...names.map((n) => n.id), ...payments.map((p) => p.id)]);
    return sorted(
      [...ids].map((id) => {
        const name = names.find((n) => n.id === id)?.name ?? '?';
        const total = payments.filter((p) => p.id === id).reduce((a, p) => a + p.amount, 0);
        return `${id}: ${name} ${total}`;
      }),
    );
  };

  for (const parallelism of [1, 3]) {
    test(`KeyedCoProcessFunction shares keyed state between both inputs (parallelism ${parallelism})`, async () => {
      const env = StreamExecutionEnvironment.create({ parallelism });
      const h = env
        .fromCollection(names)
        .keyBy((n) => n.id)
        .connect(env.fromCollection(payments).keyBy((p) => p.id))
        .process(new Totals())
        .collect(`keyed-connect-${parallelism}`);
      await env.execute();
      // One line per id (the timer is deduplicated per key), whatever the arrival order of the two inputs.
      assert.deepEqual(sorted(h.get()), expected());
    });
  }

  test('KeyedCoProcessFunction event-time timers fire on the combined watermark', async () => {
    const h = await OperatorTestHarness.createTwoInput((a: DataStream<Name>, b: DataStream<Payment>) =>
      a
        .keyBy((n) => n.id)
        .connect(b.keyBy((p) => p.id))
        .process<string>({
          processElement1(_n: Name, ctx: KeyedContext<string>) {
            ctx.timerService().registerEventTimeTimer(100);
          },
          processElement2(_p: Payment, ctx: KeyedContext<string>) {
            ctx.timerService().registerEventTimeTimer(150);
          },
          onTimer(t, ctx, out) {
            out.collect(`${ctx.getCurrentKey()}@${t}`);
          },
        }),
    );
    h.processElement({ id: 'a', name: 'A' }, 1, 0);
    h.processElement({ id: 'a', amount: 1 }, 2, 1);
    h.processElement({ id: 'b', amount: 1 }, 3, 1);
    h.processWatermark(200, 0);
    assert.deepEqual(h.values(), [], 'input 1 still holds the watermark back');
    h.processWatermark(120, 1);
    assert.deepEqual(h.values(), ['a@100']);
    h.processWatermark(200, 1);
    assert.deepEqual(sorted(h.values()), ['a@100', 'a@150', 'b@150']);
  });

  test('KeyedCoProcessFunction processing-time timers fire when bounded input ends (TimerService contract)', async () => {
    const env = StreamExecutionEnvironment.create();
    const h = env
      .fromCollection(['a', 'b'])
      .keyBy((s) => s)
      .connect(env.fromCollection(['c']).keyBy((s) => s))
      .process<string>({
        processElement1(_s: string, ctx: KeyedContext<string>) {
          ctx.timerService().registerProcessingTimeTimer(ctx.timerService().currentProcessingTime() + 3_600_000);
        },
        processElement2(_s: string, ctx: KeyedContext<string>) {
          ctx.timerService().registerProcessingTimeTimer(ctx.timerService().currentProcessingTime() + 3_600_000);
        },
        onTimer(_t, ctx, out) {
          out.collect(`${ctx.getCurrentKey()}/${ctx.timeDomain()}`);
        },
      })
      .collect('keyed-connect-processing-timers');
    await env.execute();
    assert.deepEqual(sorted(h.get()), ['a/processingTime', 'b/processingTime', 'c/processingTime']);
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe('broadcast state', () => {
  interface Rule {
    key: string;
    factor: number;
  }
  interface Item {
    key: string;
    v: number;
  }
  const rulesDesc: MapStateDescriptor<string, number> = mapState<string, number>('rules');
  const seenRules = new OutputTag<string>('seen-rules');

  /**
   * Multiplies each item by the factor of its key's rule. Items that arrive before their rule wait in keyed state and
   * are released when the rule arrives, so the result does not depend on how the two inputs interleave.
   */
  class ApplyRules implements KeyedBroadcastProcessFunction<string, Item, Rule, string> {
    subtask = -1;
    pending!: ListState<number>;
    open(ctx: RuntimeContext) {
      this.subtask = ctx.subtaskIndex;
      this.pending = ctx.getListState(listState<number>('pending'));
    }
    processElement(item: Item, ctx: BroadcastReadOnlyContext & KeyedContext<string>, out: Collector<string>) {
      const rules = ctx.getBroadcastState(rulesDesc);
      assert.equal(typeof (rules as unknown as { put?: unknown }).put, 'undefined', 'read-only on the keyed side');
      const factor = rules.get(item.key);
      if (factor === undefined) this.pending.add(item.v);
      else out.collect(`${item.key}:${item.v * factor}`);
    }
    processBroadcastElement(rule: Rule, ctx: KeyedBroadcastContext<string>, out: Collector<string>) {
      ctx.getBroadcastState(rulesDesc).put(rule.key, rule.factor);
      ctx.output(seenRules, `${this.subtask}:${rule.key}`);
      ctx.applyToKeyedState('pending', (key) => {
        if (key !== rule.key) return;
        for (const v of this.pending.get()) out.collect(`${key}:${v * rule.factor}`);
        this.pending.clear();
      });
    }
  }

  const rules: Rule[] = range(6).map((i) => ({ key: `k${i}`, factor: 10 ** i }));
  const items: Item[] = range(90).map((i) => ({ key: `k${(i * 5) % 6}`, v: i }));
  const expected = sorted(items.map((it) => `${it.key}:${it.v * rules.find((r) => r.key === it.key)!.factor}`));

  for (const parallelism of [1, 3]) {
    test(`keyed broadcast state pattern (parallelism ${parallelism})`, async () => {
      const env = StreamExecutionEnvironment.create({ parallelism });
      const ruleStream = env.fromCollection(rules).broadcast(rulesDesc as MapStateDescriptor<unknown, unknown>);
      const out = env
        .fromCollection(items)
        .keyBy((it) => it.key)
        .connect(ruleStream)
        .process(new ApplyRules());
      const h = out.collect(`broadcast-keyed-${parallelism}`);
      const seen = out.getSideOutput(seenRules).collect(`broadcast-seen-${parallelism}`);
      await env.execute();
      assert.deepEqual(sorted(h.get()), expected);
      // Every subtask received every rule, once.
      const expectedSeen: string[] = [];
      for (let s = 0; s < parallelism; s++) for (const r of rules) expectedSeen.push(`${s}:${r.key}`);
      assert.deepEqual(sorted(seen.get()), sorted(expectedSeen));
    });
  }

  test('keyed broadcast with a controlled interleaving: items wait for their rule; a rule update applies to later items', async () => {
    const h = await OperatorTestHarness.createTwoInput(
      (main: DataStream<Item>, ruleStream: DataStream<Rule>) =>
        main
          .keyBy((it) => it.key)
          .connect(ruleStream.broadcast(rulesDesc as MapStateDescriptor<unknown, unknown>))
          .process(new ApplyRules()),
      { sideOutputs: [seenRules as OutputTag<unknown>] },
    );
    h.processElement({ key: 'k1', v: 1 }, undefined, 0); // before its rule: waits
    h.processElement({ key: 'k2', v: 2 }, undefined, 0); // never gets a rule: waits forever
    h.processElement({ key: 'k1', v: 3 }, undefined, 0);
    h.processElement({ key: 'k1', factor: 10 }, undefined, 1); // releases 1 and 3
    h.processElement({ key: 'k1', v: 4 }, undefined, 0); // applied right away
    h.processElement({ key: 'k1', factor: 100 }, undefined, 1); // replaces the rule
    h.processElement({ key: 'k1', v: 5 }, undefined, 0);
    h.processElement({ key: 'k3', factor: 2 }, undefined, 1); // a rule for a key without items
    await h.endInput();
    assert.deepEqual(h.values(), ['k1:10', 'k1:30', 'k1:40', 'k1:500']);
    assert.deepEqual(
      h.sideOutput(seenRules).map((r) => r.value),
      ['0:k1', '0:k1', '0:k3'],
    );
  });

  test('KeyedBroadcastProcessFunction processing-time timers fire when bounded input ends (TimerService contract)', async () => {
    const env = StreamExecutionEnvironment.create();
    const h = env
      .fromCollection(['a', 'b'])
      .keyBy((s) => s)
      .connect(
        env.fromCollection([{ key: 'r', factor: 1 }]).broadcast(rulesDesc as MapStateDescriptor<unknown, unknown>),
      )
      .process<string>({
        processElement(_s: string, ctx: BroadcastReadOnlyContext & KeyedContext<string>) {
          ctx.timerService().registerProcessingTimeTimer(ctx.timerService().currentProcessingTime() + 3_600_000);
        },
        processBroadcastElement() {},
        onTimer(_t, ctx, out) {
          out.collect(`${ctx.getCurrentKey()}/${ctx.timeDomain()}`);
        },
      })
      .collect('broadcast-processing-timers');
    await env.execute();
    assert.deepEqual(sorted(h.get()), ['a/processingTime', 'b/processingTime']);
  });

  test('non-keyed broadcast: every subtask gets every broadcast element; main elements are processed once', async () => {
    const parallelism = 3;
    class Tag implements BroadcastProcessFunction<number, Rule, string> {
      subtask = -1;
      open(ctx: RuntimeContext) {
        this.subtask = ctx.subtaskIndex;
      }
      processElement(n: number, ctx: BroadcastReadOnlyContext, out: Collector<string>) {
        // Whatever rules have arrived so far: only the count of outputs is order independent.
        void ctx.getBroadcastState(rulesDesc).entries();
        out.collect(`main:${n}`);
      }
      processBroadcastElement(rule: Rule, ctx: BroadcastContext, out: Collector<string>) {
        const state = ctx.getBroadcastState(rulesDesc);
        state.put(rule.key, rule.factor);
        out.collect(`rule:${this.subtask}:${rule.key}:${state.entries().length}`);
      }
    }
    const env = StreamExecutionEnvironment.create({ parallelism });
    const h = env
      .fromCollection(range(30))
      .connect(env.fromCollection(rules).broadcast(rulesDesc as MapStateDescriptor<unknown, unknown>))
      .process(new Tag())
      .collect('broadcast-non-keyed');
    await env.execute();
    const main = h.get().filter((s) => s.startsWith('main:'));
    assert.deepEqual(sorted(main), sorted(range(30).map((n) => `main:${n}`)));
    const ruleLines = h.get().filter((s) => s.startsWith('rule:'));
    // Each subtask's copy of the broadcast state grows by one per rule, in the order the rules were sent.
    const expectedRules: string[] = [];
    for (let s = 0; s < parallelism; s++) {
      rules.forEach((r, i) => {
        expectedRules.push(`rule:${s}:${r.key}:${i + 1}`);
      });
    }
    assert.deepEqual(sorted(ruleLines), sorted(expectedRules));
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe('union', () => {
  test('union of three streams delivers every record of each', async () => {
    for (const parallelism of [1, 3]) {
      const env = StreamExecutionEnvironment.create({ parallelism });
      const a = env.fromCollection(range(10).map((i) => `a${i}`));
      const b = env.fromCollection(range(5).map((i) => `b${i}`));
      const c = env.fromGenerator((i) => `c${i}`, { count: 7 });
      const h = a
        .union(b, c)
        .map((s) => s.toUpperCase())
        .collect(`union3-${parallelism}`);
      await env.execute();
      const expected = [
        ...range(10).map((i) => `A${i}`),
        ...range(5).map((i) => `B${i}`),
        ...range(7).map((i) => `C${i}`),
      ];
      assert.deepEqual(sorted(h.get()), sorted(expected), `parallelism ${parallelism}`);
    }
  });

  test('union then keyBy: a keyed operator sees the records of all inputs', async () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 3 });
    const a = env.fromCollection(range(20).map((i) => ({ k: i % 4, v: 1 })));
    const b = env.fromCollection(range(20).map((i) => ({ k: i % 4, v: 10 })));
    const c = env.fromCollection(range(20).map((i) => ({ k: i % 4, v: 100 })));
    const h = a
      .union(b, c)
      .keyBy((x) => x.k)
      .reduce((x, y) => ({ k: x.k, v: x.v + y.v }))
      .collect('union-keyed');
    await env.execute();
    const finals = new Map<number, number>();
    for (const x of h.get()) finals.set(x.k, Math.max(finals.get(x.k) ?? 0, x.v));
    assert.deepEqual(
      [...finals.entries()].sort((x, y) => x[0] - y[0]),
      [0, 1, 2, 3].map((k) => [k, 5 * (1 + 10 + 100)]),
    );
    assert.equal(h.get().length, 60);
  });

  test('a stream united with itself delivers each record twice', async () => {
    const env = StreamExecutionEnvironment.create();
    const a = env.fromCollection([1, 2, 3]);
    const h = a.union(a).collect('union-self');
    await env.execute();
    assert.deepEqual(
      h.get().sort((x, y) => x - y),
      [1, 1, 2, 2, 3, 3],
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe('partitioning at parallelism 3', () => {
  /** Emits [value, subtask index] with the subtask index captured in open(). */
  class WhereAmI implements ProcessFunction<number, [number, number]> {
    subtask = -1;
    open(ctx: RuntimeContext) {
      this.subtask = ctx.subtaskIndex;
    }
    processElement(x: number, _ctx: unknown, out: Collector<[number, number]>) {
      out.collect([x, this.subtask]);
    }
  }
  const N = 300;

  async function run(partition: (s: DataStream<number>) => DataStream<number>, id: string) {
    const env = StreamExecutionEnvironment.create({ parallelism: 3 });
    const h = partition(env.fromCollection(range(N)))
      .process(new WhereAmI())
      .collect(id);
    await env.execute();
    return h.get();
  }

  const values = (rows: [number, number][]) => rows.map(([x]) => x).sort((a, b) => a - b);
  const perSubtask = (rows: [number, number][]) => {
    const counts = [0, 0, 0];
    for (const [, s] of rows) counts[s]!++;
    return counts;
  };

  test('rebalance: every record once, round robin over the subtasks', async () => {
    const rows = await run((s) => s.rebalance(), 'part-rebalance');
    assert.deepEqual(values(rows), range(N));
    assert.deepEqual(perSubtask(rows), [N / 3, N / 3, N / 3]);
  });

  test('shuffle: every record once, on valid subtasks', async () => {
    const rows = await run((s) => s.shuffle(), 'part-shuffle');
    assert.deepEqual(values(rows), range(N));
    for (const [, sub] of rows) assert.ok(sub >= 0 && sub < 3);
    // 300 uniformly random choices: every subtask gets some.
    assert.ok(perSubtask(rows).every((c) => c > 50));
  });

  test('broadcast(): every record reaches every subtask exactly once', async () => {
    const rows = await run((s) => s.broadcast(), 'part-broadcast');
    assert.equal(rows.length, 3 * N);
    const m = multiset(rows);
    for (const x of range(N)) for (const sub of [0, 1, 2]) assert.equal(m.get(JSON.stringify([x, sub])), 1);
  });

  test('global(): every record to subtask 0', async () => {
    const rows = await run((s) => s.global(), 'part-global');
    assert.deepEqual(values(rows), range(N));
    assert.deepEqual(perSubtask(rows), [N, 0, 0]);
  });

  test('forward: a parallel source feeds the same subtask index downstream', async () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 3 });
    const h = env
      .fromGenerator((i) => i, { count: 90 })
      .process(new WhereAmI())
      .collect('part-forward');
    await env.execute();
    const rows = h.get();
    assert.deepEqual(values(rows), range(90));
    // The generator's subtask s produces the numbers i with i % 3 === s.
    for (const [x, sub] of rows) assert.equal(sub, x % 3, `record ${x}`);
  });
});
