/**
 * Nexmark q4, average price per category: the winning price of each auction (highest bid while it was open),
 * averaged per category with integer division (AVG of BIGINT). An updating result: the rows after the last event.
 */
import { defineJob } from 'sluice';
import { nexmarkInput } from './common.js';
import { WinningBids } from './winning-bids.js';

interface CategoryAverage {
  id: number;
  sum: number;
  count: number;
}

export default defineJob((env, args) => {
  const q = nexmarkInput(env, args, { auction: ['id', 'expires', 'category'], bid: ['auction', 'bidder', 'price'] });
  q.emit(
    q
      .auctions()
      .keyBy((a) => a.id)
      .connect(
        q
          .bids()
          .map((b) => ({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime }), 'q4-project')
          .keyBy((b) => b.auction),
      )
      .process(new WinningBids(), 'q4-winning-bids')
      .map(({ auction, bid }) => ({ category: auction.category, final: bid.price }), 'q4-final-prices')
      .keyBy((w) => w.category)
      .aggregate(
        {
          createAccumulator: (): CategoryAverage => ({ id: 0, sum: 0, count: 0 }),
          add: (w, acc) => {
            acc.id = w.category;
            acc.sum += w.final;
            acc.count++;
            return acc;
          },
          getResult: (acc) => ({ id: acc.id, final: Math.trunc(acc.sum / acc.count) }),
        },
        { name: 'q4-average', emit: 'final' },
      ),
  );
});
