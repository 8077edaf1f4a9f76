import type {
  Auction,
  Bid,
  Collector,
  KeyedContext,
  KeyedCoProcessFunction,
  ListState,
  OnTimerContext,
  RuntimeContext,
  ValueState,
} from 'sluice';
import { listState, valueState } from 'sluice';

/** An auction with its winning bid: the highest bid made while it was open. */
export interface Winner {
  auction: Auction;
  bid: Bid;
}

/**
 * The winning bid of each auction, keyed by auction id (Nexmark q4 and q9): among the bids with
 * auction.dateTime <= bid.dateTime <= auction.expires, the highest price, then the earliest bid. Emitted once, when
 * the watermark passes the auction's expiry (or the input ends); auctions without a valid bid emit nothing.
 *
 * A bid that arrives before its auction waits until the watermark passes the bid's time: an auction is always
 * created before its bids, so an auction still missing then never comes (unless it is late data).
 */
export class WinningBids implements KeyedCoProcessFunction<number, Auction, Bid, Winner> {
  private auction!: ValueState<Auction>;
  private best!: ValueState<Bid>;
  private early!: ListState<Bid>;

  open(ctx: RuntimeContext): void {
    this.auction = ctx.getState(valueState<Auction>('auction'));
    this.best = ctx.getState(valueState<Bid>('best-bid'));
    this.early = ctx.getListState(listState<Bid>('early-bids'));
  }

  processElement1(a: Auction, ctx: KeyedContext<number>, _out: Collector<Winner>): void {
    this.auction.update(a);
    ctx.timerService().registerEventTimeTimer(a.expires);
    const early = this.early.get();
    if (early.length === 0) return;
    for (const b of early) this.offer(a, b);
    this.early.clear();
  }

  processElement2(b: Bid, ctx: KeyedContext<number>, _out: Collector<Winner>): void {
    const a = this.auction.value();
    if (a !== undefined) {
      this.offer(a, b);
      return;
    }
    this.early.add(b);
    ctx.timerService().registerEventTimeTimer(b.dateTime);
  }

  private offer(a: Auction, b: Bid): void {
    if (b.dateTime < a.dateTime || b.dateTime > a.expires) return;
    const best = this.best.value();
    if (best === undefined || beats(b, best)) this.best.update(b);
  }

  onTimer(time: number, _ctx: OnTimerContext<number>, out: Collector<Winner>): void {
    const a = this.auction.value();
    if (a === undefined) {
      // Bids whose auction never came (or is already closed and gone).
      const rest = this.early.get().filter((b) => b.dateTime > time);
      if (rest.length === 0) this.early.clear();
      else this.early.update(rest);
      return;
    }
    if (time !== a.expires) return;
    const best = this.best.value();
    if (best !== undefined) out.collect({ auction: a, bid: best });
    this.auction.clear();
    this.best.clear();
  }
}

/** Higher price wins; on equal prices the earlier bid, then the smaller bidder id, for a deterministic result. */
export function beats(b: Bid, other: Bid): boolean {
  if (b.price !== other.price) return b.price > other.price;
  if (b.dateTime !== other.dateTime) return b.dateTime < other.dateTime;
  return b.bidder < other.bidder;
}
