/**
 * Nexmark q20, expand bid with auction: every bid on an auction of category 10, with all the auction's columns
 * (a regular inner join on bid.auction = auction.id).
 */
import { type Auction, type Bid, defineJob } from 'sluice';
import { nexmarkInput } from './common.js';
import { EnrichJoin } from './enrich-join.js';

/** Auctions of other categories are kept as this stub, so bids on them are dropped at once instead of waiting. */
type OtherAuction = { id: number; category: null };

function expand(a: Auction | OtherAuction, b: Bid) {
  if (a.category === null) return undefined;
  return {
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
  };
}

export default defineJob((env, args) => {
  const q = nexmarkInput(env, args, {
    auction: ['id', 'itemName', 'description', 'initialBid', 'reserve', 'expires', 'seller', 'category', 'extra'],
    bid: ['auction', 'bidder', 'price', 'channel', 'url', 'extra'],
  });
  const auctions = q
    .auctions()
    .map((a): Auction | OtherAuction => (a.category === 10 ? a : { id: a.id, category: null }), 'q20-category');
  q.emit(
    auctions
      .keyBy((a) => a.id)
      .connect(q.bids().keyBy((b) => b.auction))
      .process(new EnrichJoin(expand, (b: Bid) => b.dateTime), 'q20-join'),
  );
});
