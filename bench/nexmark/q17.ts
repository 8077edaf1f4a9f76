/**
 * Nexmark q17, auction statistics per day: per auction and day, bids in total and per price level, and the
 * minimum, maximum, average (integer division) and sum of prices. An updating aggregate: the rows after the last
 * event.
 */
import { defineJob } from 'sluice';
import { priceLevel } from './bid-statistics.js';
import { dayOf, nexmarkInput } from './common.js';

interface AuctionDay {
  auction: number;
  day: string;
  bids: [number, number, number, number];
  min: number;
  max: number;
  sum: number;
}

export default defineJob((env, args) => {
  const q = nexmarkInput(env, args, { bid: ['auction', 'price'] });
  q.emit(
    q
      .bids()
      .map((b) => ({ auction: b.auction, price: b.price, dateTime: b.dateTime }), 'q17-project')
      .keyBy((b) => `${b.auction}|${dayOf(b.dateTime)}`)
      .aggregate(
        {
          createAccumulator: (): AuctionDay => ({
            auction: 0,
            day: '',
            bids: [0, 0, 0, 0],
            min: Number.POSITIVE_INFINITY,
            max: Number.NEGATIVE_INFINITY,
            sum: 0,
          }),
          add: (b, s) => {
            if (s.day === '') {
              s.auction = b.auction;
              s.day = dayOf(b.dateTime);
            }
            s.bids[0]++;
            s.bids[priceLevel(b.price)]++;
            if (b.price < s.min) s.min = b.price;
            if (b.price > s.max) s.max = b.price;
            s.sum += b.price;
            return s;
          },
          merge: (a, b) => {
            if (a.day === '') {
              a.auction = b.auction;
              a.day = b.day;
            }
            a.bids[0] += b.bids[0];
            a.bids[1] += b.bids[1];
            a.bids[2] += b.bids[2];
            a.bids[3] += b.bids[3];
            if (b.min < a.min) a.min = b.min;
            if (b.max > a.max) a.max = b.max;
            a.sum += b.sum;
            return a;
          },
          getResult: (s) => ({
            auction: s.auction,
            day: s.day,
            total_bids: s.bids[0],
            rank1_bids: s.bids[1],
            rank2_bids: s.bids[2],
            rank3_bids: s.bids[3],
            min_price: s.min,
            max_price: s.max,
            avg_price: Math.trunc(s.sum / s.bids[0]),
            sum_price: s.sum,
          }),
        },
        { name: 'q17', emit: 'final' },
      ),
  );
});
