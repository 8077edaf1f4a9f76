/**
 * Type-level checks of the API's inference, compiled by `test/type-inference.test.ts` (and by `npm run typecheck`).
 * Each `exact<T>()(x)` only compiles when `x`'s type is exactly `T` (a plain annotation would not do: a
 * `DataStream<unknown>` is assignable to a `DataStream<Row>`); each `@ts-expect-error` marks code that must not
 * compile (the compiler reports an unused one as an error). Nothing here runs.
 */
import {
  type AggregateFunction,
  type Collector,
  type DataStream,
  defineJob,
  type ProcessWindowFunction,
  type TimeWindow,
  TumblingEventTimeWindows,
} from 'sluice';

type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
/** `exact<Expected>()(value)` compiles only when the type of `value` is exactly `Expected`. */
const exact =
  <Expected>() =>
  <Actual>(_value: Actual, ..._typeDiffers: Equal<Actual, Expected> extends true ? [] : [never]) => {};

interface Ev {
  user: string;
  ts: number;
  amount: number;
}
interface Row {
  user: string;
  total: number;
}

export default defineJob((env) => {
  const events = env.fromCollection<Ev>([]);
  const keyed = events.keyBy((e) => e.user);
  const windowed = keyed.window(TumblingEventTimeWindows.of(1000));
  const sumAgg = {
    createAccumulator: () => 0,
    add: (e: Ev, acc: number) => acc + e.amount,
    getResult: (a: number) => a,
  };

  // A window function that returns its rows: the output type is inferred, and `[total]` is the aggregate's type.
  const aggregated = windowed.aggregate(sumAgg, {
    process(user, _ctx, [total]) {
      return [{ user, total }];
    },
  });
  // The same with the accumulator and result types inferred from an inline aggregate function.
  const inline = windowed.aggregate(
    { createAccumulator: () => ({ n: 0 }), add: (e, acc) => ({ n: acc.n + e.amount }), getResult: (acc) => acc.n },
    {
      process(user, ctx, [total]) {
        const start: number = ctx.window.start;
        return [{ user, total: total + start * 0 }];
      },
    },
  );
  // Emitting through an annotated collector.
  const collected = windowed.aggregate(sumAgg, {
    process(user, _ctx, [total], out: Collector<Row>) {
      out.collect({ user, total });
    },
  });
  // An unannotated collector no longer silently yields DataStream<unknown>: collecting into it does not compile.
  windowed.aggregate(sumAgg, {
    process(user, _ctx, [total], out) {
      // @ts-expect-error the output type is not known: annotate `out` or return the rows
      out.collect({ user, total });
    },
  });
  // A class implementing the interface gives the types.
  class Format implements ProcessWindowFunction<number, Row, string, TimeWindow> {
    process(user: string, _ctx: unknown, [total]: readonly number[]): Row[] {
      return [{ user, total: total ?? 0 }];
    }
  }
  const fromClass = windowed.aggregate(sumAgg, new Format());
  const typedAgg: AggregateFunction<Ev, number, number> = sumAgg;
  const fromTyped = windowed.aggregate(typedAgg, new Format());

  // reduce with a window function: the element is the stream's type.
  const reduced = windowed.reduce((a, b) => ({ user: a.user, ts: b.ts, amount: a.amount + b.amount }), {
    process(user, _ctx, [e]) {
      return [{ user, total: e.amount }];
    },
  });
  const reducedPlain = windowed.reduce((a, b) => (a.amount > b.amount ? a : b));
  const aggregatedPlain = windowed.aggregate(sumAgg);
  // process over all elements.
  const processed = windowed.process({
    process(user, _ctx, elements) {
      return [{ user, total: elements.length }];
    },
  });
  const all = events.windowAll(TumblingEventTimeWindows.of(1000)).process({
    process: (_key, _ctx, elements) => [elements.length],
  });

  // Process functions emit through the collector: annotate it, and the type follows.
  const keyedProcess = keyed.process({
    processElement(e, _ctx, out: Collector<Row>) {
      out.collect({ user: e.user, total: e.amount });
    },
  });
  keyed.process({
    processElement(e, _ctx, out) {
      // @ts-expect-error unannotated collector
      out.collect({ user: e.user, total: e.amount });
    },
  });
  const process = events.process({
    processElement(e, _ctx, out: Collector<string>) {
      out.collect(e.user);
    },
  });
  const flat = events.flatMap((e) => [e.user, e.user]);
  const coProcess = keyed.connect(keyed).process({
    processElement1(e, _ctx, out: Collector<Row>) {
      out.collect({ user: e.user, total: 1 });
    },
    processElement2(e, _ctx, out) {
      out.collect({ user: e.user, total: 2 });
    },
  });
  const coMap = events.connect(events).map(
    (a) => a.amount,
    (b) => b.ts,
  );
  const intervalJoined = keyed
    .intervalJoin(keyed)
    .between(-10, 10)
    .process((a, b, _ctx, out: Collector<Row>) => out.collect({ user: a.user, total: a.amount + b.amount }));
  keyed
    .intervalJoin(keyed)
    .between(-10, 10)
    // @ts-expect-error unannotated collector
    .process((a, b, _ctx, out) => out.collect({ user: a.user, total: a.amount + b.amount }));
  const windowJoined = events
    .join(events)
    .where((a) => a.user)
    .equalTo((b) => b.user)
    .window(TumblingEventTimeWindows.of(1000))
    .apply((a, b) => ({ user: a.user, total: a.amount + b.amount }));
  const rolling = keyed.aggregate(sumAgg, { emit: 'final' });

  exact<DataStream<Row>>()(aggregated);
  exact<DataStream<Row>>()(inline);
  exact<DataStream<Row>>()(collected);
  exact<DataStream<Row>>()(fromClass);
  exact<DataStream<Row>>()(fromTyped);
  exact<DataStream<Row>>()(reduced);
  exact<DataStream<Ev>>()(reducedPlain);
  exact<DataStream<number>>()(aggregatedPlain);
  exact<DataStream<Row>>()(processed);
  exact<DataStream<number>>()(all);
  exact<DataStream<Row>>()(keyedProcess);
  exact<DataStream<string>>()(process);
  exact<DataStream<string>>()(flat);
  exact<DataStream<Row>>()(coProcess);
  exact<DataStream<number>>()(coMap);
  exact<DataStream<Row>>()(intervalJoined);
  exact<DataStream<Row>>()(windowJoined);
  exact<DataStream<number>>()(rolling);

  for (const s of [aggregated, inline, collected, fromClass, fromTyped, reduced, processed, keyedProcess]) s.print();
  for (const s of [coProcess, intervalJoined, windowJoined]) s.print();
  for (const s of [reducedPlain, aggregatedPlain, all, process, flat, coMap, rolling]) s.print();
});
