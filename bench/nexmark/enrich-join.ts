import type {
  Collector,
  KeyedContext,
  KeyedCoProcessFunction,
  ListState,
  OnTimerContext,
  RuntimeContext,
  ValueState,
} from 'sluice';
import { listState, valueState } from 'sluice';

/**
 * An inner join of a stream of facts with a stream of dimension rows, one dimension row per key that never changes
 * once it exists (a person, an auction), as Nexmark's regular join q3 needs (q20, whose fact side is most of the events,
 * uses `BroadcastEnrichJoin` instead, so that its facts need not cross threads). `join` may return undefined
 * for a pair that does not qualify (e.g. an auction of another category): keeping such dimension rows lets facts
 * for them be dropped at once instead of waiting.
 *
 * Dimension rows are kept for good. A fact whose dimension row has not arrived yet waits in keyed state until the
 * watermark passes the fact's own time: Nexmark creates a dimension row before any fact refers to it, so a row that
 * has not arrived by then never will (unless it is late data), and the fact has no partner.
 */
export class EnrichJoin<K, D, F, R> implements KeyedCoProcessFunction<K, D, F, R> {
  private dimension!: ValueState<D>;
  private waiting!: ListState<F>;
  /**
   * The time of the cleanup timer while facts wait: reading the list to ask whether it is empty copies it, for
   * every fact — quadratic on a hot key whose dimension row is still in another thread's queue (when q20 used this
   * join, half of its bids at p=2 went to the newest hot auction).
   */
  private cleanupAt!: ValueState<number>;

  constructor(
    private readonly join: (d: D, f: F) => R | undefined,
    private readonly factTime: (f: F) => number,
  ) {}

  open(ctx: RuntimeContext): void {
    this.dimension = ctx.getState(valueState<D>('dimension'));
    this.waiting = ctx.getListState(listState<F>('waiting-facts'));
    this.cleanupAt = ctx.getState(valueState<number>('waiting-cleanup-at'));
  }

  processElement1(d: D, ctx: KeyedContext<K>, out: Collector<R>): void {
    this.dimension.update(d);
    const cleanupAt = this.cleanupAt.value();
    if (cleanupAt === undefined) return;
    for (const f of this.waiting.get()) this.emit(d, f, out);
    this.waiting.clear();
    this.cleanupAt.clear();
    ctx.timerService().deleteEventTimeTimer(cleanupAt);
  }

  processElement2(f: F, ctx: KeyedContext<K>, out: Collector<R>): void {
    const d = this.dimension.value();
    if (d !== undefined) {
      this.emit(d, f, out);
      return;
    }
    // One cleanup timer per key at a time, at the earliest waiting fact (a timer per fact made every firing rescan
    // the list: quadratic when one input runs ahead of the other).
    if (this.cleanupAt.value() === undefined) {
      const at = this.factTime(f);
      ctx.timerService().registerEventTimeTimer(at);
      this.cleanupAt.update(at);
    }
    this.waiting.add(f);
  }

  private emit(d: D, f: F, out: Collector<R>): void {
    const r = this.join(d, f);
    if (r !== undefined) out.collect(r);
  }

  onTimer(time: number, ctx: OnTimerContext<K>, _out: Collector<R>): void {
    if (this.dimension.value() !== undefined) return;
    const rest = this.waiting.get().filter((f) => this.factTime(f) > time);
    if (rest.length === 0) {
      this.waiting.clear();
      this.cleanupAt.clear();
    } else {
      this.waiting.update(rest);
      const at = rest.reduce((t, f) => Math.min(t, this.factTime(f)), Infinity);
      ctx.timerService().registerEventTimeTimer(at);
      this.cleanupAt.update(at);
    }
  }
}
