/**
 * Nexmark q16, channel statistics per day: q15's counts per channel and day, with the latest minute ('HH:mm')
 * seen. An updating aggregate: the rows after the last event.
 */
import { defineJob } from 'sluice';
import { addBid, type BidStatistics, newBidStatistics, statisticsColumns } from './bid-statistics.js';
import { dayOf, hourMinuteOf, nexmarkInput } from './common.js';

interface ChannelStatistics extends BidStatistics {
  channel: string;
  day: string;
  minute: string;
}

export default defineJob((env, args) => {
  const q = nexmarkInput(env, args, { bid: ['auction', 'bidder', 'price', 'channel'] });
  q.emit(
    q
      .bids()
      .map(
        (b) => ({ auction: b.auction, bidder: b.bidder, price: b.price, channel: b.channel, dateTime: b.dateTime }),
        'q16-project',
      )
      .keyBy((b) => `${b.channel}|${dayOf(b.dateTime)}`)
      .aggregate(
        {
          createAccumulator: (): ChannelStatistics => ({ channel: '', day: '', minute: '', ...newBidStatistics() }),
          add: (b, s) => {
            if (s.day === '') {
              s.channel = b.channel;
              s.day = dayOf(b.dateTime);
            }
            const minute = hourMinuteOf(b.dateTime);
            if (minute > s.minute) s.minute = minute;
            addBid(s, b);
            return s;
          },
          getResult: (s) => ({ channel: s.channel, day: s.day, minute: s.minute, ...statisticsColumns(s) }),
          // No `merge`, so no pre-aggregation before the exchange: keys (channel, day) rarely repeat within a
          // batch, and a partial carrying its distinct-id maps measured dearer to send and merge than the bid.
        },
        { name: 'q16', emit: 'final' },
      ),
  );
});
