/** Nexmark q11, user sessions: bids per bidder and session (sessions end after 10 s without a bid). */
import { defineJob, EventTimeSessionWindows } from 'sluice';
import { nexmarkInput } from './common.js';

export default defineJob((env, args) => {
  const q = nexmarkInput(env, args, { bid: ['bidder'] });
  q.emit(
    q
      .bids()
      .map((b) => b.bidder, 'q11-project')
      .keyBy((bidder) => bidder)
      .window(EventTimeSessionWindows.withGap(10_000))
      .aggregate(
        { createAccumulator: () => 0, add: (_b, n: number) => n + 1, getResult: (n) => n, merge: (a, b) => a + b },
        {
          process(bidder, ctx, [count]) {
            return [{ bidder, bid_count: count, starttime: ctx.window.start, endtime: ctx.window.end }];
          },
        },
      ),
  );
});
