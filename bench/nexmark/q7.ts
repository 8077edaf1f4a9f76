/**
 * Nexmark q7, highest bid: per 10 s tumbling window, the bids with the window's highest price. As in the
 * reference, a bid made exactly at a window's end also matches that window's maximum (BETWEEN is inclusive).
 */
import {
  type Bid,
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

/** A bid routed to the window ending at `end`; `inWindow` is false for a bid made exactly at `end`. */
interface Candidate {
  end: number;
  inWindow: boolean;
  bid: Bid;
}

class HighestBids {
  private state!: ValueState<{ max: number; bids: Bid[] }>;
  open(ctx: RuntimeContext): void {
    this.state = ctx.getState(valueState('highest'));
  }
  processElement(c: Candidate, ctx: KeyedContext<number>, _out: Collector<object>): void {
    let s = this.state.value();
    if (s === undefined) {
      s = { max: Number.NEGATIVE_INFINITY, bids: [] };
      this.state.update(s);
      // Fire once no bid at or before the window's end can come: then the bid at `end` is in as well.
      ctx.timerService().registerEventTimeTimer(c.end);
    }
    const price = c.bid.price;
    if (c.inWindow && price > s.max) {
      s.max = price;
      s.bids = s.bids.filter((b) => b.price >= price);
    }
    if (price >= s.max) s.bids.push(c.bid);
  }
  onTimer(_time: number, _ctx: OnTimerContext<number>, out: Collector<object>): void {
    const s = this.state.value()!;
    for (const b of s.bids) {
      if (b.price === s.max) {
        out.collect({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, extra: b.extra });
      }
    }
    this.state.clear();
  }
}

/**
 * The local half of a local-global maximum, chained before the exchange: keyed by window end, every bid of a window
 * would go to one subtask (one hot key per 10 s), so each subtask forwards only the candidates that can still be a
 * window's maximum by what it has seen itself. Dropping a candidate below the local maximum is exact: the local maximum
 * never exceeds the window's, and only bids equal to the window's maximum are output. The local maxima are a cache,
 * not state — forgetting them (a restore, eviction) only forwards more.
 */
class LocalMaximumFilter {
  private readonly localMax = new Map<number, number>();

  /** True when `c` may be its window's highest bid by the bids this subtask has seen. */
  keep(c: Candidate): boolean {
    const price = c.bid.price;
    const max = this.localMax.get(c.end);
    if (max !== undefined && price < max) return false;
    if (c.inWindow && (max === undefined || price > max)) {
      this.localMax.set(c.end, price);
      // Windows are met in nearly ascending order: keep a few recent ones, forget the oldest.
      if (this.localMax.size > 8) this.localMax.delete(this.localMax.keys().next().value!);
    }
    return true;
  }
}

export default defineJob((env, args) => {
  const q = nexmarkInput(env, args, { bid: ['auction', 'bidder', 'price', 'extra'] });
  const local = new LocalMaximumFilter();
  q.emit(
    q
      .bids()
      .flatMap<Candidate>((bid, out) => {
        const start = windowStart(bid.dateTime, SIZE);
        const inWindow: Candidate = { end: start + SIZE, inWindow: true, bid };
        if (local.keep(inWindow)) out.collect(inWindow);
        if (start !== bid.dateTime) return;
        const atEnd: Candidate = { end: start, inWindow: false, bid };
        if (local.keep(atEnd)) out.collect(atEnd);
      }, 'q7-windows')
      .keyBy((c) => c.end)
      .process(new HighestBids(), 'q7-highest'),
  );
});
