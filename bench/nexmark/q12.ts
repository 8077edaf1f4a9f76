/** Nexmark q12, processing-time windows: bids per bidder in 10 s tumbling windows of wall-clock time. */
import { defineJob, TumblingProcessingTimeWindows } from 'sluice';
import { nexmarkInput } from './common.js';

export default defineJob((env, args) => {
  const q = nexmarkInput(env, args, { bid: ['bidder'] });
  q.emit(
    q
      .bids()
      .map((b) => b.bidder, 'q12-project')
      .keyBy((bidder) => bidder)
      .window(TumblingProcessingTimeWindows.of(10_000))
      .aggregate(
        { createAccumulator: () => 0, add: (_b, n: number) => n + 1, getResult: (n) => n },
        {
          process(bidder, ctx, [count]) {
            return [{ bidder, bid_count: count, starttime: ctx.window.start, endtime: ctx.window.end }];
          },
        },
      ),
  );
});
