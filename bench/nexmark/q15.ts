/**
 * Nexmark q15, bidding statistics per day: bids, distinct bidders and distinct auctions, in total and per price
 * level. An updating aggregate: the rows after the last event.
 */
import { defineJob } from 'sluice';
import {
  addBid,
  type BidStatistics,
  mergeBidStatistics,
  newBidStatistics,
  statisticsColumns,
} from './bid-statistics.js';
import { dayOf, nexmarkInput } from './common.js';

interface DayStatistics extends BidStatistics {
  day: string;
}

export default defineJob((env, args) => {
  const q = nexmarkInput(env, args, { bid: ['auction', 'bidder', 'price'] });
  q.emit(
    q
      .bids()
      // Only the columns used cross threads (what a SQL planner's projection keeps).
      .map((b) => ({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime }), 'q15-project')
      .keyBy((b) => dayOf(b.dateTime))
      .aggregate(
        {
          createAccumulator: (): DayStatistics => ({ day: '', ...newBidStatistics() }),
          add: (b, s) => {
            if (s.day === '') s.day = dayOf(b.dateTime);
            addBid(s, b);
            return s;
          },
          getResult: (s) => ({ day: s.day, ...statisticsColumns(s) }),
          // With merge, the engine pre-aggregates each batch before the exchange (one hot key: the day).
          merge: (a, b) => {
            if (a.day === '') a.day = b.day;
            mergeBidStatistics(a, b);
            return a;
          },
        },
        { name: 'q15', emit: 'final' },
      ),
  );
});
