/** Nexmark q9, winning bids: every auction with its highest bid made while it was open (earliest on ties). */
import { defineJob } from 'sluice';
import { nexmarkInput } from './common.js';
import { WinningBids } from './winning-bids.js';

export default defineJob((env, args) => {
  const q = nexmarkInput(env, args, {
    auction: ['id', 'itemName', 'description', 'initialBid', 'reserve', 'expires', 'seller', 'category', 'extra'],
    bid: ['auction', 'bidder', 'price', 'extra'],
  });
  q.emit(
    q
      .auctions()
      .keyBy((a) => a.id)
      .connect(
        q
          .bids()
          .map(
            (b) => ({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, extra: b.extra }),
            'q9-project',
          )
          .keyBy((b) => b.auction),
      )
      .process(new WinningBids(), 'q9-winning-bids')
      .map(
        ({ auction: a, bid: b }) => ({
          id: a.id,
          itemName: a.itemName,
          description: a.description,
          initialBid: a.initialBid,
          reserve: a.reserve,
          dateTime: a.dateTime,
          expires: a.expires,
          seller: a.seller,
          category: a.category,
          extra: a.extra,
          auction: b.auction,
          bidder: b.bidder,
          price: b.price,
          bid_dateTime: b.dateTime,
          bid_extra: b.extra,
        }),
        'q9',
      ),
  );
});
