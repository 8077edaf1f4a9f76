/**
 * Nexmark q19, auction top-N: per auction, the ten highest bids with their rank (ties keep arrival order, and a
 * bid only equal to the tenth never displaces it). An updating result: the rows after the last event.
 */
import { type Bid, defineJob } from 'sluice';
import { nexmarkInput } from './common.js';

const N = 10;

export default defineJob((env, args) => {
  const q = nexmarkInput(env, args, { bid: ['auction', 'bidder', 'price', 'channel', 'url', 'extra'] });
  q.emit(
    q
      .bids()
      .keyBy((b) => b.auction)
      .aggregate(
        {
          createAccumulator: (): Bid[] => [],
          add: (b, top) => {
            // After every bid of at least its price: earlier arrivals stay ahead on ties.
            let at = top.length;
            while (at > 0 && top[at - 1]!.price < b.price) at--;
            if (at < N) {
              top.splice(at, 0, b);
              if (top.length > N) top.pop();
            }
            return top;
          },
          getResult: (top) => top,
          // `a` holds earlier arrivals than `b`: on ties a's bids stay ahead. Exact for this stable top-N, so the
          // engine pre-aggregates each batch before the exchange (local-global aggregation).
          merge: (a, b) => {
            const merged: Bid[] = [];
            let i = 0;
            let j = 0;
            while (merged.length < N && (i < a.length || j < b.length)) {
              if (j >= b.length || (i < a.length && a[i]!.price >= b[j]!.price)) merged.push(a[i++]!);
              else merged.push(b[j++]!);
            }
            return merged;
          },
        },
        { name: 'q19-top', emit: 'final' },
      )
      .flatMap(
        (top) =>
          top.map((b, i) => ({
            auction: b.auction,
            bidder: b.bidder,
            price: b.price,
            channel: b.channel,
            url: b.url,
            dateTime: b.dateTime,
            extra: b.extra,
            rank_number: i + 1,
          })),
        'q19',
      ),
  );
});
