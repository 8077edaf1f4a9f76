/**
 * Nexmark q8, monitor new users: people who put up an auction in the same 10 s tumbling window in which they
 * registered; one row per person and window however many auctions.
 */
import {
  type Collector,
  defineJob,
  type KeyedContext,
  type OnTimerContext,
  type RuntimeContext,
  type ValueState,
  valueState,
} from 'sluice';
import { nexmarkInput, windowStart } from './common.js';

const SIZE = 10_000;

/** Keyed by person id and window start: what each side has seen in that window. */
class NewSellers {
  private seen!: ValueState<{ name: string | undefined; sold: boolean }>;
  open(ctx: RuntimeContext): void {
    this.seen = ctx.getState(valueState('seen'));
  }
  private state(ctx: KeyedContext<string>, start: number) {
    let s = this.seen.value();
    if (s === undefined) {
      s = { name: undefined, sold: false };
      this.seen.update(s);
      ctx.timerService().registerEventTimeTimer(start + SIZE - 1);
    }
    return s;
  }
  processElement1(p: { id: number; name: string; start: number }, ctx: KeyedContext<string>): void {
    this.state(ctx, p.start).name = p.name;
  }
  processElement2(a: { seller: number; start: number }, ctx: KeyedContext<string>): void {
    this.state(ctx, a.start).sold = true;
  }
  onTimer(time: number, ctx: OnTimerContext<string>, out: Collector<object>): void {
    const s = this.seen.value()!;
    if (s.name !== undefined && s.sold) {
      const key = ctx.getCurrentKey();
      out.collect({ id: Number(key.slice(0, key.indexOf('|'))), name: s.name, stime: time + 1 - SIZE });
    }
    this.seen.clear();
  }
}

export default defineJob((env, args) => {
  const q = nexmarkInput(env, args, { person: ['id', 'name'], auction: ['seller'] });
  const persons = q
    .persons()
    .map((p) => ({ id: p.id, name: p.name, start: windowStart(p.dateTime, SIZE) }), 'q8-persons');
  const sellers = q.auctions().map((a) => ({ seller: a.seller, start: windowStart(a.dateTime, SIZE) }), 'q8-sellers');
  q.emit(
    persons
      .keyBy((p) => `${p.id}|${p.start}`)
      .connect(sellers.keyBy((a) => `${a.seller}|${a.start}`))
      .process(new NewSellers(), 'q8-join'),
  );
});
