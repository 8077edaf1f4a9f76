/**
 * Nexmark q18, last bid: per bidder and auction, the bid with the latest time (on equal times the later arrival,
 * as Flink's row-time deduplication). An updating result: the rows after the last event.
 */
import { defineJob } from 'sluice';
import { nexmarkInput } from './common.js';

export default defineJob((env, args) => {
  const q = nexmarkInput(env, args, { bid: ['auction', 'bidder', 'price', 'channel', 'url', 'extra'] });
  q.emit(
    q
      .bids()
      .keyBy((b) => `${b.bidder}|${b.auction}`)
      .reduce((last, b) => (b.dateTime >= last.dateTime ? b : last), { name: 'q18-last-bid', emit: 'final' })
      .map(
        (b) => ({
          auction: b.auction,
          bidder: b.bidder,
          price: b.price,
          channel: b.channel,
          url: b.url,
          dateTime: b.dateTime,
          extra: b.extra,
        }),
        'q18',
      ),
  );
});
