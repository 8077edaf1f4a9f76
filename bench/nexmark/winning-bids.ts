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

/** The columns of a bid the winner is chosen by. */
export type RankedBid = Pick<Bid, 'auction' | 'price' | 'dateTime' | 'bidder'>;

/** An auction with its winning bid: the highest bid made while it was open. */
export interface Winner<B extends RankedBid = Bid> {
  auction: Auction;
  bid: B;
}

/**
 * The winning bid of each auction, keyed by auction id (Nexmark q4 and q9): among the bids with
 * auction.dateTime <= bid.dateTime <= auction.expires, the highest price, then the earliest bid. Emitted once, when
 * the watermark passes the auction's expiry (or the input ends); auctions without a valid bid emit nothing.
 *
 * A bid that arrives before its auction waits until the watermark passes the bid's time: an auction is always
 * created before its bids, so an auction still missing then never comes (unless it is late data).
 */
export class WinningBids<B extends RankedBid> implements KeyedCoProcessFunction<number, Auction, B, Winner<B>> {
  private auction!: ValueState<Auction>;
  private best!: ValueState<B>;
  private early!: ListState<B>;
  /** Set while bids wait in `early`: reading the list to ask whether it is empty would copy it for every bid. */
  private waiting!: ValueState<boolean>;

  open(ctx: RuntimeContext): void {
    this.auction = ctx.getState(valueState<Auction>('auction'));
    this.best = ctx.getState(valueState<B>('best-bid'));
    this.early = ctx.getListState(listState<B>('early-bids'));
    this.waiting = ctx.getState(valueState<boolean>('bids-waiting'));
  }

  processElement1(a: Auction, ctx: KeyedContext<number>, _out: Collector<Winner<B>>): void {
    this.auction.update(a);
    ctx.timerService().registerEventTimeTimer(a.expires);
    if (this.waiting.value() !== true) return;
    for (const b of this.early.get()) this.offer(a, b);
    this.early.clear();
    this.waiting.clear();
  }

  processElement2(b: B, ctx: KeyedContext<number>, _out: Collector<Winner<B>>): void {
    const a = this.auction.value();
    if (a !== undefined) {
      this.offer(a, b);
      return;
    }
    // One cleanup timer per auction at a time, at the earliest waiting bid (a timer per bid made every firing
    // rescan the list: quadratic when a generator subtask runs ahead of the one making the auctions).
    if (this.waiting.value() !== true) {
      ctx.timerService().registerEventTimeTimer(b.dateTime);
      this.waiting.update(true);
    }
    this.early.add(b);
  }

  private offer(a: Auction, b: B): void {
    if (b.dateTime < a.dateTime || b.dateTime > a.expires) return;
    const best = this.best.value();
    if (best === undefined || beats(b, best)) this.best.update(b);
  }

  onTimer(time: number, ctx: OnTimerContext<number>, out: Collector<Winner<B>>): void {
    const a = this.auction.value();
    if (a === undefined) {
      // Bids whose auction never came (or is already closed and gone) by now never will.
      const rest = this.early.get().filter((b) => b.dateTime > time);
      if (rest.length === 0) {
        this.early.clear();
        this.waiting.clear();
      } else {
        this.early.update(rest);
        ctx.timerService().registerEventTimeTimer(rest.reduce((t, b) => Math.min(t, b.dateTime), Infinity));
      }
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
export function beats(b: RankedBid, other: RankedBid): boolean {
  if (b.price !== other.price) return b.price > other.price;
  if (b.dateTime !== other.dateTime) return b.dateTime < other.dateTime;
  return b.bidder < other.bidder;
}
