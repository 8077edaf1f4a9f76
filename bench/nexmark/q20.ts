/**
 * Nexmark q20, expand bid with auction: every bid on an auction of category 10, with all the auction's columns
 * (a regular inner join on bid.auction = auction.id).
 */
import { type Auction, type Bid, defineJob } from 'sluice';
import { nexmarkInput } from './common.js';
import { EnrichJoin } from './enrich-join.js';

export default defineJob((env, args) => {
  const q = nexmarkInput(env, args);
  const auctions = q.auctions().filter((a) => a.category === 10, 'q20-category');
  q.emit(
    auctions
      .keyBy((a) => a.id)
      .connect(q.bids().keyBy((b) => b.auction))
      .process(
        new EnrichJoin<number, Auction, Bid, object>(
          (a, b) => ({
            auction: b.auction,
            bidder: b.bidder,
            price: b.price,
            channel: b.channel,
            url: b.url,
            bid_dateTime: b.dateTime,
            bid_extra: b.extra,
            itemName: a.itemName,
            description: a.description,
            initialBid: a.initialBid,
            reserve: a.reserve,
            auction_dateTime: a.dateTime,
            expires: a.expires,
            seller: a.seller,
            category: a.category,
            auction_extra: a.extra,
          }),
          (b) => b.dateTime,
        ),
        'q20-join',
      ),
  );
});
