/**
 * Nexmark q5, hot items: for every sliding window of 10 s every 2 s, the auctions with the most bids in it.
 * Counts per auction share work between the five overlapping windows (stream slicing in the window operator).
 */
import {
  type Collector,
  defineJob,
  type KeyedContext,
  type OnTimerContext,
  type RuntimeContext,
  SlidingEventTimeWindows,
  type ValueState,
  valueState,
} from 'sluice';
import { nexmarkInput } from './common.js';

interface AuctionCount {
  auction: number;
  num: number;
  windowEnd: number;
}

/** Per window (keyed by its end): the largest count and the auctions that have it, emitted when the window closes. */
class MaxPerWindow {
  private top!: ValueState<{ num: number; auctions: number[] }>;
  open(ctx: RuntimeContext): void {
    this.top = ctx.getState(valueState('max-count'));
  }
  processElement(c: AuctionCount, ctx: KeyedContext<number>, _out: Collector<object>): void {
    const top = this.top.value();
    if (top === undefined) {
      this.top.update({ num: c.num, auctions: [c.auction] });
      // The counts of a window carry its maximum timestamp; all have arrived once the watermark passes it.
      ctx.timerService().registerEventTimeTimer(c.windowEnd - 1);
    } else if (c.num > top.num) this.top.update({ num: c.num, auctions: [c.auction] });
    else if (c.num === top.num) top.auctions.push(c.auction);
  }
  onTimer(_time: number, _ctx: OnTimerContext<number>, out: Collector<object>): void {
    const top = this.top.value()!;
    for (const auction of top.auctions) out.collect({ auction, num: top.num });
    this.top.clear();
  }
}

export default defineJob((env, args) => {
  const q = nexmarkInput(env, args, { bid: ['auction'] });
  q.emit(
    q
      .bids()
      // Only the auction id crosses threads (what a SQL planner's projection would keep).
      .map((b) => b.auction, 'q5-project')
      .keyBy((auction) => auction)
      .window(SlidingEventTimeWindows.of(10_000, 2_000))
      .aggregate<number, number, AuctionCount>(
        {
          createAccumulator: () => 0,
          add: (_b, n: number) => n + 1,
          getResult: (n) => n,
          merge: (a, b) => a + b,
        },
        {
          process(auction, ctx, [num], out) {
            out.collect({ auction, num: num!, windowEnd: ctx.window.end });
          },
        },
      )
      .keyBy((c) => c.windowEnd)
      .process(new MaxPerWindow(), 'q5-max'),
  );
});
