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

export default defineJob((env, args) => {
  const q = nexmarkInput(env, args);
  q.emit(
    q
      .bids()
      .flatMap<Candidate>((bid, out) => {
        const start = windowStart(bid.dateTime, SIZE);
        out.collect({ end: start + SIZE, inWindow: true, bid });
        if (start === bid.dateTime) out.collect({ end: start, inWindow: false, bid });
      }, 'q7-windows')
      .keyBy((c) => c.end)
      .process(new HighestBids(), 'q7-highest'),
  );
});
